"""The events the payments app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class PaymentEvent(EventType):
    """What happens to a payment milestone's terms, invoices and payments."""

    PAYMENT_TERMS_SET = "payment.terms_set"
    PAYMENT_TERMS_CHANGED = "payment.terms_changed"
    PAYMENT_INVOICED = "payment.invoiced"
    PAYMENT_PAID = "payment.paid"
    PAYMENT_RESCALED = "payment.rescaled"
