"""The events the finance app records; see ``milepost.audit.events``.

Each area writes how its events read in its own ``sentences`` module, which the app config
loads when Django starts.
"""

from milepost.audit.events import EventType


class FinanceEvent(EventType):
    """What happens to a contract's money: terms, payment cycles, retention, delay damages."""

    MONEY_TERMS_SET = "money_terms.set"
    MONEY_TERMS_CHANGED = "money_terms.changed"
    PAYMENT_CYCLE_APPLIED = "payment_cycle.applied"
    PAYMENT_CYCLE_NOTIFIED = "payment_cycle.notified"
    PAYMENT_CYCLE_DEFAULTED = "payment_cycle.defaulted"
    PAYMENT_CYCLE_PAY_LESS = "payment_cycle.pay_less"
    PAYMENT_CYCLE_PAID = "payment_cycle.paid"
    PAYMENT_CYCLE_SUSPENSION_NOTICED = "payment_cycle.suspension_noticed"
    RETENTION_RELEASE_PLANNED = "retention.release_planned"
    RETENTION_RELEASE_FIXED = "retention.release_fixed"
    DELAY_DAMAGES_SET = "delay_damages.set"
    DELAY_DAMAGES_CHANGED = "delay_damages.changed"
    DELAY_DAMAGES_REMOVED = "delay_damages.removed"
