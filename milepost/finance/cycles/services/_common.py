"""What the payment-cycle services share: who may act, the checks of dates, sums and text."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from milepost.accounts.choices import Role
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess
from milepost.core.dates import local_today, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import parse_money, quantize
from milepost.payments.models import PaymentTerms

from ...models import MoneyTerms, PaymentCycle, Receipt

ZERO = Decimal(0)
PERIOD_FIELDS = ("due_days", "final_days", "payment_notice_days", "pay_less_days")
MAX_PERIOD_DAYS = 365
# The Housing Grants Act (s.112) gives at least 7 days' notice of an intention to suspend.
MIN_SUSPENSION_DAYS = 7
# The longest basis of a payment notice or grounds of a pay less notice, in characters.
MAX_TEXT = 2000


# --- who may --------------------------------------------------------------------------------


def _manager_of(access: ContractAccess, party_id: int) -> bool:
    return access.acts_for(party_id, Role.MANAGER)


def _party_refusal(access: ContractAccess, parties: list[Party], doing: str) -> DomainError | None:
    if any(_manager_of(access, p.pk) for p in parties):
        return None
    names = " or ".join(str(p.organisation) for p in parties)
    return Forbidden(f"Only a manager of {names} may {doing}.", code="not_payment_party")


def _open_contract_refusal(contract: Contract) -> DomainError | None:
    if contract.status != ContractStatus.ACTIVE:
        return DomainError(
            "contract_not_active",
            "Payment cycles run while the contract is active (keep it active until the "
            "defects period ends and its retention is released).",
            field="contract",
        )
    return None


def _text(value: str, field: str, required: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{field}_required", required, field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(
            "text_too_long", f"Keep this to {MAX_TEXT:,} characters or fewer.", field=field
        )
    return text


def _stages_paid(contract: Contract) -> bool:
    """Whether the contract has payment milestones of its own (retention releases aside)."""
    return PaymentTerms.objects.filter(
        milestone__contract=contract, releases_retention=False
    ).exists()


def _check_day(
    day: dt.date,
    contract: Contract,
    field: str,
    *,
    not_before: dt.date | None = None,
    what: str = "",
) -> None:
    if day > local_today(contract.time_zone):
        raise DomainError("date_in_future", "That date is in the future.", field=field)
    validate_milestone_date(day, field=field, start=contract.start_date, end=contract.end_date)
    if not_before is not None and day < not_before:
        raise DomainError(
            "date_too_early", f"That date is before {what}, {not_before:%-d %b %Y}.", field=field
        )


def _amount(value: Decimal | str, currency: str, field: str, *, positive: bool = True) -> Decimal:
    amount = quantize(parse_money(value, field=field), currency)
    if positive and amount == 0:
        raise DomainError("invalid_amount", "The amount must be more than zero.", field=field)
    return amount


def _lock(cycle: PaymentCycle) -> PaymentCycle:
    """Lock and reload the cycle: a stale copy could give a notice twice or overpay it."""
    return (
        PaymentCycle.objects.select_for_update(of=("self",))
        .select_related("contract", "payer__organisation", "payee__organisation", "milestone")
        .get(pk=cycle.pk)
    )


def _terms_of(contract: Contract) -> MoneyTerms | None:
    return (
        MoneyTerms.objects.select_related("payer__organisation", "payee__organisation")
        .filter(contract=contract)
        .first()
    )


# --- shared by the notices and receipts --------------------------------------------------


def _notices_refusal(cycle: PaymentCycle) -> DomainError | None:
    terms = _terms_of(cycle.contract)
    if terms is not None and not terms.notices_required:
        return DomainError(
            "no_notices",
            "These payment terms have no notices: the invoice is the sum due.",
            field="given_on",
        )
    return None


def _paid_so_far(cycle: PaymentCycle) -> Decimal:
    """The money received on the cycle: the selector's sum when it made one, else a query."""
    paid = getattr(cycle, "paid", None)
    if paid is None:
        return _paid(cycle)
    return quantize(Decimal(str(paid)), cycle.contract.currency)


def _settled_refusal(cycle: PaymentCycle, field: str = "given_on") -> DomainError | None:
    if cycle.payable > 0 and _paid_so_far(cycle) >= cycle.payable:
        return DomainError("settled", "This cycle has been paid in full.", field=field)
    return None


def _paid(cycle: PaymentCycle) -> Decimal:
    total = Receipt.objects.filter(cycle=cycle).aggregate(total=Sum("amount"))["total"]
    return quantize(Decimal(total or 0), cycle.contract.currency)
