"""Card payment through Stripe: PaymentIntents, signed webhooks, reconciling, refunds.

The shop never sees a card: Stripe.js takes it on the payment page and gives back a
payment method id; the server attaches it to the order's PaymentIntent and confirms
it. Only a ``payment_intent.succeeded`` event whose signature, amount and currency
check out (or ``flask payments reconcile`` asking Stripe itself) makes the order
paid. Roads: this domain uses orders' services; orders only names its page.
"""
