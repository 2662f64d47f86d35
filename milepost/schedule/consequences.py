"""What schedule changes cost in money: the payments app plugs in here.

The schedule app sits below payments and may not import it, yet a change request's impact
preview names the payments it delays, and an approved change may set a payment's amount.
The payments app registers both abilities when Django starts (``PaymentsConfig.ready``); a
plain registry of two functions, called directly, rather than signals.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from milepost.accounts.models import User
from milepost.contracts.models import Contract

from .models import Milestone


@dataclass(frozen=True)
class PaymentLine:
    """A payment milestone, what it is worth, who pays whom, and what triggers it."""

    milestone_id: int
    title: str
    amount: Decimal
    currency: str
    due_date: dt.date
    trigger_id: int | None
    payer_party_id: int
    payee_party_id: int


PaymentReader = Callable[[Contract], list[PaymentLine]]
AmountWriter = Callable[..., object]


@dataclass
class _Registry:
    read: PaymentReader | None = None
    write: AmountWriter | None = None


_registry = _Registry()


def register_payments(*, read: PaymentReader, write: AmountWriter) -> None:
    """Install the payments app's reader and amount writer (called once at start-up)."""
    _registry.read, _registry.write = read, write


def payment_lines(contract: Contract) -> list[PaymentLine]:
    """Return the contract's payment milestones with their amounts (none without payments)."""
    return _registry.read(contract) if _registry.read else []


def payment_line(contract: Contract, milestone_id: int) -> PaymentLine | None:
    """Return one payment milestone's line, or None if it is not a payment."""
    return next(
        (line for line in payment_lines(contract) if line.milestone_id == milestone_id), None
    )


def amount_set(*, milestone: Milestone, amount: Decimal, actor: User) -> None:
    """Set a payment milestone's amount through the payments app's own service."""
    if _registry.write is None:
        raise RuntimeError("The payments app has not registered its amount writer.")
    _registry.write(milestone=milestone, amount=amount, actor=actor)
