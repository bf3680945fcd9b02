"""Card payment through Stripe: PaymentIntents, signed webhooks, reconciling, refunds.

The shop never sees a card: Stripe.js sets it up with Stripe on the payment page and
the page sends the shop the SetupIntent's id; the server puts its payment method on
the order's PaymentIntent and confirms it. Only a ``payment_intent.succeeded`` event
whose signature, amount and currency check out (or ``flask payments reconcile``
asking Stripe itself) makes the order paid; money the order cannot use goes back by
itself. Modules: ``gateway`` (the door to Stripe), ``attempts`` (an order's
PaymentIntents), ``services`` (paying, events, reconcile), ``refunds``. Roads: this
domain uses orders' services; orders only names its page.
"""
