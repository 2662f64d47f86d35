"""The money of a contract: its payment terms, payment cycles with their notices, deductions,
retention and delay damages. One module per idea; Django finds them all here."""

from .cycles import Deduction, PaymentCycle, Receipt
from .damages import DamagesTerms
from .terms import MoneyTerms

__all__ = ["DamagesTerms", "Deduction", "MoneyTerms", "PaymentCycle", "Receipt"]
