"""The legal pages: legal notice, terms of sale, delivery and returns, contact.

Each is generated from the seller's identity settings and the shop's own rules
(the terms from ``eshop.orders.terms``), the way ``/privacy`` is generated from
the data map: they cannot drift from what the shop does.
"""
