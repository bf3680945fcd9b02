"""The member area: a shopper signs in with an emailed link (no password) to see
their orders, keep addresses and manage their newsletter and data (issue 16)."""
