"""Writes for a contract's payment terms and its payment cycles: applications, notices, receipts.

Each write has a ``*_refusal`` beside it that says why a person may not do it now (the page
uses it to offer only what may be done, and gives the reason otherwise); the write checks it
again, with the values typed. Who may do what is in docs/payment-cycles.md. One module per
step of the cycle: ``terms``, ``applying``, ``notices``, ``receipts``.
"""

from ._common import MAX_PERIOD_DAYS, MAX_TEXT, MIN_SUSPENSION_DAYS, PERIOD_FIELDS
from .applying import cycle_apply, cycle_apply_refusal
from .notices import (
    DeductionIn,
    cycle_default_notice,
    cycle_default_notice_refusal,
    cycle_pay_less,
    cycle_pay_less_refusal,
    cycle_payment_notice,
    cycle_payment_notice_refusal,
)
from .receipts import (
    cycle_receipt_record,
    cycle_receipt_refusal,
    cycle_suspension_notice,
    cycle_suspension_refusal,
)
from .terms import money_terms_refusal, money_terms_set

__all__ = [
    "MAX_PERIOD_DAYS",
    "MAX_TEXT",
    "MIN_SUSPENSION_DAYS",
    "PERIOD_FIELDS",
    "DeductionIn",
    "cycle_apply",
    "cycle_apply_refusal",
    "cycle_default_notice",
    "cycle_default_notice_refusal",
    "cycle_pay_less",
    "cycle_pay_less_refusal",
    "cycle_payment_notice",
    "cycle_payment_notice_refusal",
    "cycle_receipt_record",
    "cycle_receipt_refusal",
    "cycle_suspension_notice",
    "cycle_suspension_refusal",
    "money_terms_refusal",
    "money_terms_set",
]
