"""Writes for performance milestones: the KPI and its measurements, which decide the status."""

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import ContractAccess, contract_access
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import parse_money, quantize
from milepost.core.text import NOTE_MAX, text_check
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.services import (
    milestone_create,
    milestone_record_outcome,
    milestone_set_progress,
)

from .choices import CreditMethod, Direction, Period
from .events import PerformanceEvent
from .models import (
    KPI,
    CreditTerms,
    Measurement,
    ServiceCredit,
    next_period_start,
    period_starts,
)

# Targets and measured values are DecimalField(max_digits=18, decimal_places=4). SQLite keeps 15
# significant digits, so 11 before the point and 4 after is what both databases store exactly.
PLACES = Decimal("0.0001")
MAX_NUMBER = Decimal(10) ** 11
# The KPI's name and unit are short labels, limited by their columns.
KPI_NAME_MAX = KPI._meta.get_field("name").max_length or 120
KPI_UNIT_MAX = KPI._meta.get_field("unit").max_length or 32


def _decimal(value: Decimal | str | float, field: str) -> Decimal:
    """Parse a number and round it as it will be stored, so it is judged as stored."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError("invalid_number", f"'{value}' is not a number.", field=field) from exc
    if not number.is_finite():
        raise DomainError("invalid_number", f"'{value}' is not a number.", field=field)
    # Compare exponents: abs() of a number like .4E3591671401 overflows the decimal context.
    if number.adjusted() >= MAX_NUMBER.adjusted():
        raise DomainError("invalid_number", f"'{value}' is too large.", field=field)
    return number.quantize(PLACES, rounding=ROUND_HALF_UP)


def evaluate(kpi: KPI, values: dict[dt.date, Decimal], due_date: dt.date) -> tuple[str, int]:
    """Return the status and progress that a KPI's measurements imply.

    Until every period up to the due date is measured the milestone is in progress (or still
    scheduled with none). Then it is met if every period passed, not met if none did, and
    partially met otherwise.
    """
    expected = period_starts(kpi.period, kpi.measurement_start, due_date)
    measured = [values[day] for day in expected if day in values]
    progress = round(100 * len(measured) / len(expected)) if expected else 0
    if not measured:
        return MilestoneStatus.SCHEDULED, 0
    if len(measured) < len(expected):
        return MilestoneStatus.IN_PROGRESS, progress
    passed = sum(1 for value in measured if kpi.passes(value))
    if passed == len(measured):
        return MilestoneStatus.MET, 100
    return (MilestoneStatus.NOT_MET if passed == 0 else MilestoneStatus.PARTIALLY_MET), 100


@transaction.atomic
def performance_milestone_create(
    *,
    contract: Contract,
    title: str,
    owner: User,
    responsible_party: Party,
    due_date: dt.date,
    kpi_name: str,
    unit: str,
    target: Decimal | str,
    direction: str,
    period: str,
    measurement_start: dt.date,
    criticality: str = Criticality.STANDARD,
    acceptance_criteria: str = "",
    description: str = "",
    reference: str = "",
    actor: User,
) -> Milestone:
    """Create a performance milestone whose status its measurements will decide."""
    contract_access(user=actor, contract=contract).require_manager()
    if not kpi_name.strip():
        raise DomainError("required", "Name the KPI, such as 'Availability'.", field="kpi_name")
    if not unit.strip():
        raise DomainError("required", "Give the KPI's unit, such as '%' or 'hours'.", field="unit")
    text_check(kpi_name.strip(), field="kpi_name", limit=KPI_NAME_MAX, label="The KPI's name")
    text_check(unit.strip(), field="unit", limit=KPI_UNIT_MAX, label="The KPI's unit")
    if direction not in Direction.values:
        raise DomainError(
            "invalid_direction", "The target is 'at_least' or 'at_most'.", field="direction"
        )
    if period not in Period.values:
        raise DomainError(
            "invalid_period", f"The period is one of {', '.join(Period.values)}.", field="period"
        )
    target_value = _decimal(target, "target")
    if measurement_start > due_date:
        raise DomainError(
            "measurement_start_after_due",
            "Measurement starts on or before the due date.",
            field="measurement_start",
        )
    if measurement_start < contract.start_date:
        raise DomainError(
            "measurement_before_contract",
            "Measurement starts on or after the contract start.",
            field="measurement_start",
        )
    if period in (Period.MONTH, Period.QUARTER) and measurement_start.day != 1:
        raise DomainError(
            "period_start_misaligned",
            "Monthly and quarterly measurement starts on the first of a month.",
            field="measurement_start",
        )
    direction_label = Direction(direction).label.lower()
    milestone = milestone_create(
        contract=contract,
        kind=MilestoneKind.PERFORMANCE,
        title=title,
        owner=owner,
        responsible_party=responsible_party,
        due_date=due_date,
        criticality=criticality,
        acceptance_criteria=acceptance_criteria
        or f"{kpi_name} {direction_label} {target_value.normalize():f} {unit} in every {period} "
        f"from {measurement_start:%d %b %Y} to {due_date:%d %b %Y}.",
        description=description,
        reference=reference,
        actor=actor,
    )
    kpi = KPI.objects.create(
        milestone=milestone,
        name=kpi_name.strip(),
        unit=unit.strip(),
        target=target_value,
        direction=direction,
        period=period,
        measurement_start=measurement_start,
    )
    event_record(
        actor=actor,
        action=PerformanceEvent.KPI_SET,
        obj=kpi,
        after={
            "name": kpi.name,
            "unit": kpi.unit,
            "target": target_value,
            "direction": direction,
            "period": period,
            "measurement_start": measurement_start,
        },
        milestone_id=milestone.pk,
    )
    return milestone


def measurement_record_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not record a measurement on ``milestone`` now, or ``None``.

    The check ``measurement_record`` makes before it looks at the period and value typed.
    """
    if milestone.kind != MilestoneKind.PERFORMANCE:
        return DomainError(
            "not_performance", "Only performance milestones take measurements.", field="kind"
        )
    access = contract_access(user=user, contract=milestone.contract)
    if not access.can_contribute:
        return Forbidden("Viewers and observers cannot change this contract.")
    if not (
        access.can_manage
        or milestone.owner_id == user.pk
        or access.acts_for(milestone.responsible_party_id)
    ):
        return Forbidden(
            "Only the owner, the responsible party or a manager may record measurements."
        )
    if milestone.contract.status != ContractStatus.ACTIVE:
        return DomainError(
            "contract_not_active",
            "Measurements are recorded while the contract is active.",
            field="contract",
        )
    if not milestone.is_open:
        return DomainError(
            "milestone_closed",
            "Every period has been decided; the milestone is closed.",
            field="period_start",
        )
    return None


def _milestone_lock(milestone: Milestone) -> None:
    """Lock the milestone row and read it again: every write to its KPI's measurements, credit
    terms and credits takes this lock first, so they run one after another."""
    milestone.refresh_from_db(from_queryset=Milestone.objects.select_for_update(no_key=True))


@transaction.atomic
def measurement_record(
    *,
    milestone: Milestone,
    period_start: dt.date,
    value: Decimal | str,
    note: str = "",
    actor: User,
) -> Measurement:
    """Record one period's measured value and recompute the milestone's status from all of them."""
    if milestone.kind != MilestoneKind.PERFORMANCE:
        raise DomainError(
            "not_performance", "Only performance milestones take measurements.", field="kind"
        )
    # Judge the milestone as it is now, not as the caller loaded it: a copy from before a waiver
    # would record on a closed milestone and move it back to in progress. The lock also
    # serialises measurements, so the last two cannot both miss each other when evaluating.
    _milestone_lock(milestone)
    refusal = measurement_record_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    note = text_check(note.strip(), field="note", limit=NOTE_MAX, label="The note")
    kpi = KPI.objects.select_related("milestone").get(milestone=milestone)
    expected = period_starts(kpi.period, kpi.measurement_start, milestone.due_date)
    if period_start not in expected:
        first = ", ".join(f"{day:%d %b %Y}" for day in expected[:3])
        raise DomainError(
            "not_a_period",
            f"{period_start:%d %b %Y} does not start a measured {kpi.get_period_display().lower()} period "
            f"(periods start {first}{'…' if len(expected) > 3 else ''}).",
            field="period_start",
        )
    period_end = next_period_start(kpi.period, period_start)
    if period_end > local_today(milestone.contract.time_zone):
        # A period is judged once it is over: a month's availability is not known on its first day.
        raise DomainError(
            "period_not_over",
            f"The period from {period_start:%d %b %Y} is not over yet; record it from {period_end:%d %b %Y}.",
            field="period_start",
        )
    if kpi.measurements.filter(period_start=period_start).exists():
        raise DomainError(
            "duplicate_period",
            f"The period starting {period_start:%d %b %Y} has a measurement already.",
            field="period_start",
        )
    measurement = Measurement.objects.create(
        kpi=kpi,
        period_start=period_start,
        value=_decimal(value, "value"),
        note=note.strip(),
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        action=PerformanceEvent.MEASUREMENT_RECORDED,
        obj=measurement,
        after={
            "period_start": period_start,
            "value": measurement.value,
            "passed": measurement.passed,
        },
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    _after_measurement(milestone=milestone, kpi=kpi, actor=actor)
    return measurement


def _after_measurement(*, milestone: Milestone, kpi: KPI, actor: User) -> None:
    """Work out the service credits and the milestone's status again from every measurement."""
    credits_sync(kpi=kpi, actor=actor)
    values = dict(kpi.measurements.values_list("period_start", "value"))
    status, progress = evaluate(kpi, values, milestone.due_date)
    missed = sum(1 for v in values.values() if not kpi.passes(v))
    risk_note = f"{missed} of {len(values)} measured periods missed the target." if missed else ""
    if (progress, risk_note) != (milestone.progress, milestone.risk_note):
        milestone_set_progress(
            milestone=milestone, progress=progress, risk_note=risk_note, actor=actor
        )
    if status != milestone.status:
        milestone_record_outcome(
            milestone=milestone,
            status=status,
            actor=actor,
            reason=f"{sum(1 for v in values.values() if kpi.passes(v))} of {len(values)} periods on target",
            action=PerformanceEvent.MILESTONE_EVALUATED,
        )


@transaction.atomic
def measurement_correct(
    *, measurement: Measurement, value: Decimal | str, note: str = "", actor: User
) -> Measurement:
    """Correct one period's measured value; its service credit and the status follow it."""
    milestone = measurement.kpi.milestone
    _milestone_lock(milestone)
    refusal = measurement_record_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    note = text_check(note.strip(), field="note", limit=NOTE_MAX, label="The note")
    new_value = _decimal(value, "value")
    if new_value == measurement.value and (not note or note == measurement.note):
        raise DomainError(
            "unchanged",
            "The value is the one recorded already; type the corrected one.",
            field="value",
        )
    before = {"value": measurement.value, "passed": measurement.passed, "note": measurement.note}
    measurement.value = new_value
    if note:
        measurement.note = note
    measurement.save(update_fields=["value", "note"])
    event_record(
        actor=actor,
        action=PerformanceEvent.MEASUREMENT_CORRECTED,
        obj=measurement,
        before=before,
        after={
            "period_start": measurement.period_start,
            "value": measurement.value,
            "passed": measurement.passed,
            "note": measurement.note,
        },
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    _after_measurement(milestone=milestone, kpi=measurement.kpi, actor=actor)
    return measurement


# --- service credits ------------------------------------------------------------------------

PERCENT_MAX = Decimal(100)
# A schedule of bands is a short table; more than this is a mistake (or an attack on the page).
BANDS_MAX = 20
CLOSED_CONTRACT = (ContractStatus.COMPLETED, ContractStatus.TERMINATED)


def shortfall(kpi: KPI, value: Decimal) -> Decimal:
    """Return how far ``value`` missed the target (0 when it met it)."""
    gap = kpi.target - value if kpi.direction == Direction.AT_LEAST else value - kpi.target
    return max(gap, Decimal(0))


def service_year_start(kpi: KPI, day: dt.date) -> dt.date:
    """Return the start of the service year holding ``day``: the measurement start or an anniversary.

    A yearly cap counts the credits of twelve months from the KPI's first measured period; a
    start on 29 February has its anniversaries on 28 February.
    """
    first = kpi.measurement_start
    years = day.year - first.year
    start = _years_after(first, years)
    if start > day:
        start = _years_after(first, years - 1)
    return start


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def band_percent(bands: list[dict[str, str]], missed_by: Decimal) -> Decimal:
    """Return the percentage of the band ``missed_by`` falls in, or 0 below the first band."""
    found = Decimal(0)
    for band in bands:
        if Decimal(band["shortfall"]) <= missed_by:
            found = Decimal(band["percent"])
    return found


def credit_uncapped(terms: CreditTerms, missed_by: Decimal, currency: str) -> Decimal:
    """Return what the terms give for one period that missed by ``missed_by``, before any cap."""
    if missed_by <= 0:
        return Decimal(0)
    if terms.method == CreditMethod.FIXED:
        amount = terms.amount or Decimal(0)
    else:
        percent = (
            terms.percent or Decimal(0)
            if terms.method == CreditMethod.PERCENT_OF_CHARGE
            else band_percent(terms.bands, missed_by)
        )
        amount = (terms.period_charge or Decimal(0)) * percent / PERCENT_MAX
    return quantize(amount, currency)


def credits_sync(*, kpi: KPI, actor: User) -> None:
    """Work out every service credit of a KPI again, in period order, from its measurements.

    Each missed period earns the terms' credit, capped per period; the yearly cap goes to the
    earliest periods of the service year first. A credit that changes or falls away says so.

    A credit a pay less notice deducted is settled: it is never changed or withdrawn (not by a
    correction, new terms, or an earlier period recorded later), and its amount counts first
    against its service year's cap, so the credits still open share what is left.
    """
    terms = (
        CreditTerms.objects.filter(kpi=kpi)
        .select_related("payer__organisation", "payee__organisation")
        .first()
    )
    existing = {
        c.measurement_id: c
        for c in ServiceCredit.objects.filter(kpi=kpi).select_related(
            "payer__organisation", "payee__organisation"
        )
    }
    contract = kpi.milestone.contract
    used: dict[dt.date, Decimal] = {}
    for settled in existing.values():
        if settled.deducted:
            year = service_year_start(kpi, settled.period_start)
            used[year] = used.get(year, Decimal(0)) + settled.amount
    for measurement in kpi.measurements.order_by("period_start"):
        credit = existing.pop(measurement.pk, None)
        if credit is not None and credit.deducted:
            continue
        missed_by = shortfall(kpi, measurement.value)
        uncapped = credit_uncapped(terms, missed_by, contract.currency) if terms else Decimal(0)
        if terms is None or uncapped <= 0:
            if credit is not None:
                _credit_withdraw(credit, contract_id=contract.pk, actor=actor)
            continue
        year = service_year_start(kpi, measurement.period_start)
        amount = uncapped if terms.cap_period is None else min(uncapped, terms.cap_period)
        if terms.cap_year is not None:
            amount = max(min(amount, terms.cap_year - used.get(year, Decimal(0))), Decimal(0))
        used[year] = used.get(year, Decimal(0)) + amount
        figures = {
            "period_start": measurement.period_start,
            "shortfall": missed_by,
            "amount": amount,
            "uncapped": uncapped,
            "payer": str(terms.payer.organisation),
            "payee": str(terms.payee.organisation),
            "cap_period": terms.cap_period,
            "cap_year": terms.cap_year,
        }
        if credit is None:
            credit = ServiceCredit.objects.create(
                measurement=measurement,
                kpi=kpi,
                period_start=measurement.period_start,
                shortfall=missed_by,
                amount=amount,
                uncapped=uncapped,
                payer=terms.payer,
                payee=terms.payee,
            )
            event_record(
                actor=actor,
                action=PerformanceEvent.SERVICE_CREDIT_EARNED,
                obj=credit,
                after=figures,
                contract_id=contract.pk,
                milestone_id=kpi.milestone_id,
            )
            continue
        before = {
            "shortfall": credit.shortfall,
            "amount": credit.amount,
            "uncapped": credit.uncapped,
            "payer": str(credit.payer.organisation),
            "payee": str(credit.payee.organisation),
        }
        if (credit.shortfall, credit.amount, credit.uncapped, credit.payer_id, credit.payee_id) == (
            missed_by,
            amount,
            uncapped,
            terms.payer_id,
            terms.payee_id,
        ):
            continue
        credit.shortfall, credit.amount, credit.uncapped = missed_by, amount, uncapped
        credit.payer, credit.payee = terms.payer, terms.payee
        credit.save(
            update_fields=["shortfall", "amount", "uncapped", "payer", "payee", "updated_at"]
        )
        event_record(
            actor=actor,
            action=PerformanceEvent.SERVICE_CREDIT_CHANGED,
            obj=credit,
            before=before,
            after=figures,
            contract_id=contract.pk,
            milestone_id=kpi.milestone_id,
        )
    for credit in existing.values():  # measurements gone: nothing deletes them today
        if not credit.deducted:
            _credit_withdraw(credit, contract_id=contract.pk, actor=actor)


@transaction.atomic
def credit_mark_deducted(*, credit: ServiceCredit) -> ServiceCredit:
    """Record that a pay less notice given in time took ``credit`` off a payment.

    From then on the credit never changes: recomputing the KPI's credits (a correction, an
    earlier period recorded later, new terms) leaves it as it is. The finance app calls this for
    each service credit a pay less notice deducts, inside the notice's transaction; the notice's
    own event says so, so this records none. A credit is deducted once, and only for the amount
    the caller read: if the credit was worked out again meanwhile, the deduction is refused.
    """
    # The milestone's lock first, as measurement_record and credits_sync take it, so a
    # recomputation cannot change the credit between the caller's read and this mark.
    Milestone.objects.select_for_update(no_key=True).filter(kpi__service_credits=credit.pk).first()
    locked = ServiceCredit.objects.select_for_update().filter(pk=credit.pk).first()
    if locked is None or locked.amount != credit.amount:
        raise DomainError(
            "credit_changed",
            "This service credit was worked out again a moment ago; check it and try again.",
            field="measurement",
        )
    if locked.deducted:
        raise DomainError(
            "credit_deducted",
            "This service credit has already been taken off a payment.",
            field="measurement",
        )
    locked.deducted = True
    locked.save(update_fields=["deducted", "updated_at"])
    credit.deducted, credit.updated_at = True, locked.updated_at
    return locked


def _credit_withdraw(credit: ServiceCredit, *, contract_id: int, actor: User) -> None:
    event_record(
        actor=actor,
        action=PerformanceEvent.SERVICE_CREDIT_WITHDRAWN,
        obj=credit,
        before={
            "period_start": credit.period_start,
            "amount": credit.amount,
            "payer": str(credit.payer.organisation),
            "payee": str(credit.payee.organisation),
        },
        contract_id=contract_id,
        milestone_id=credit.kpi.milestone_id,
    )
    credit.delete()


def credit_terms_set_refusal(*, milestone: Milestone, user: User) -> DomainError | None:
    """Return why ``user`` may not set a milestone's service credit terms, or ``None``.

    A manager of a party to the contract may offer them; the service then checks that the
    manager acts for the supplier or the client the terms name (and, when changing them, for one
    of those the old terms named).
    """
    if milestone.kind != MilestoneKind.PERFORMANCE:
        return DomainError(
            "not_performance", "Only performance targets earn service credits.", field="kind"
        )
    access = contract_access(user=user, contract=milestone.contract)
    if not access.can_manage:
        return Forbidden(
            "Only a manager of the supplier or the client may set the service credits."
        )
    if milestone.contract.status in CLOSED_CONTRACT:
        return DomainError(
            "contract_closed",
            f"The contract is {milestone.contract.get_status_display().lower()}; its terms are settled.",
            field="contract",
        )
    terms = CreditTerms.objects.filter(kpi__milestone=milestone).first()
    if terms is not None and not (
        access.acts_for(terms.payer_id, Role.MANAGER)
        or access.acts_for(terms.payee_id, Role.MANAGER)
    ):
        return Forbidden(
            "Only a manager of the supplier or the client these credits are between may change them."
        )
    if terms is not None:
        return _signed_refusal(milestone.contract, access, terms.payer_id, terms.payee_id)
    if milestone.contract.status != ContractStatus.DRAFT and not any(
        access.acts_for(party_id, Role.MANAGER)
        and (party_id in access.owner_parties or kind == PartyRole.CLIENT)
        for party_id, (kind, _role) in access.parties.items()
    ):
        # No terms yet: offer the form to those who could be the client or the owner named.
        return _signed_refusal(milestone.contract, access, 0, 0)
    return None


def _signed_refusal(
    contract: Contract, access: ContractAccess, payer_id: int, payee_id: int
) -> DomainError | None:
    """Once the contract is signed the credits are agreed terms: the supplier may not cut its own.

    Only a manager of the client they are owed to, or of the organisation that owns the
    contract when it is one of the two parties, may then set or change them.
    """
    if contract.status == ContractStatus.DRAFT:
        return None
    if access.acts_for(payee_id, Role.MANAGER) or any(
        access.acts_for(party_id, Role.MANAGER) and party_id in access.owner_parties
        for party_id in (payer_id, payee_id)
    ):
        return None
    return Forbidden(
        "The contract is signed, so its service credits are agreed terms: only a manager of the "
        "client they are owed to, or of the organisation that owns the contract as one of the "
        "two parties, may change them.",
        code="credits_agreed",
    )


def _optional_money(value: Decimal | str | None, field: str, currency: str) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    amount = quantize(parse_money(value, field=field), currency)
    if amount <= 0:
        raise DomainError("invalid_amount", "The amount must be more than zero.", field=field)
    return amount


def _percent(value: Decimal | str | None, field: str) -> Decimal:
    if value is None or str(value).strip() == "":
        raise DomainError("required", "Give the percentage, such as 5.", field=field)
    number = _decimal(value, field)
    if not Decimal(0) < number <= PERCENT_MAX:
        raise DomainError(
            "invalid_percent", "A percentage is more than 0 and at most 100.", field=field
        )
    return number


def credit_bands_clean(bands: Sequence[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    """Return the bands as stored: numbers as text, sorted by shortfall, each shortfall once."""
    if not bands:
        raise DomainError(
            "required",
            "Give at least one band: how far the period missed, and the percentage it costs.",
            field="bands",
        )
    if len(bands) > BANDS_MAX:
        raise DomainError("too_many_bands", f"Give at most {BANDS_MAX} bands.", field="bands")
    rows: dict[Decimal, Decimal] = {}
    for band in bands:
        if not isinstance(band, Mapping) or "shortfall" not in band or "percent" not in band:
            raise DomainError(
                "invalid_band", "Each band has a shortfall and a percentage.", field="bands"
            )
        missed_by = _decimal(band["shortfall"], "bands")
        if missed_by < 0:
            raise DomainError("invalid_band", "A band's shortfall is zero or more.", field="bands")
        if missed_by in rows:
            raise DomainError(
                "duplicate_band",
                f"Two bands start at a shortfall of {missed_by.normalize():f}.",
                field="bands",
            )
        rows[missed_by] = _percent(band["percent"], "bands")
    return [
        {"shortfall": f"{missed_by.normalize():f}", "percent": f"{percent.normalize():f}"}
        for missed_by, percent in sorted(rows.items())
    ]


@transaction.atomic
def credit_terms_set(
    *,
    milestone: Milestone,
    method: str,
    payer: Party,
    payee: Party,
    amount: Decimal | str | None = None,
    percent: Decimal | str | None = None,
    period_charge: Decimal | str | None = None,
    bands: Sequence[Mapping[str, Any]] | None = None,
    cap_period: Decimal | str | None = None,
    cap_year: Decimal | str | None = None,
    actor: User,
) -> CreditTerms:
    """Set (or change) what a performance target's missed periods earn in service credits.

    Credits already earned are worked out again under the new terms, except those a pay less
    notice has deducted, which stay as they were.
    """
    # Lock first, as measurement_record does: a measurement recorded at the same moment would
    # otherwise create the same credit and one of the two would fail on the unique measurement.
    _milestone_lock(milestone)
    refusal = credit_terms_set_refusal(milestone=milestone, user=actor)
    if refusal is not None:
        raise refusal
    contract = milestone.contract
    currency = contract.currency
    for field, party in (("payer", payer), ("payee", payee)):
        if party.contract_id != contract.pk:
            raise DomainError(
                "party_not_on_contract", "That party is not on this contract.", field=field
            )
    if payer.pk == payee.pk:
        raise DomainError(
            "same_party", "The supplier and the client are different parties.", field="payee"
        )
    access = contract_access(user=actor, contract=contract)
    if not (access.acts_for(payer.pk, Role.MANAGER) or access.acts_for(payee.pk, Role.MANAGER)):
        raise Forbidden(
            "Only a manager of the supplier or the client named in the terms may set them."
        )
    signed = _signed_refusal(contract, access, payer.pk, payee.pk)
    if signed is not None:
        raise signed
    if method not in CreditMethod.values:
        raise DomainError(
            "invalid_method",
            "The credit is a fixed amount, a percentage of the charge, or by bands.",
            field="method",
        )
    fields: dict[str, Any] = {
        "method": method,
        "amount": None,
        "percent": None,
        "period_charge": None,
        "bands": [],
    }
    if method == CreditMethod.FIXED:
        fields["amount"] = _optional_money(amount, "amount", currency)
        if fields["amount"] is None:
            raise DomainError("required", "Give the credit for each missed period.", field="amount")
    else:
        if method == CreditMethod.PERCENT_OF_CHARGE:
            fields["percent"] = _percent(percent, "percent")
        else:
            fields["bands"] = credit_bands_clean(bands)
        fields["period_charge"] = _optional_money(period_charge, "period_charge", currency)
        if fields["period_charge"] is None:
            raise DomainError(
                "required",
                "Give the charge for one period, which the percentage is taken from.",
                field="period_charge",
            )
    fields["cap_period"] = _optional_money(cap_period, "cap_period", currency)
    fields["cap_year"] = _optional_money(cap_year, "cap_year", currency)
    if (
        fields["cap_period"] is not None
        and fields["cap_year"] is not None
        and fields["cap_year"] < fields["cap_period"]
    ):
        raise DomainError(
            "cap_year_below_period",
            "The cap for a year is at least the cap for one period.",
            field="cap_year",
        )
    kpi = KPI.objects.select_related("milestone__contract").get(milestone=milestone)
    terms = CreditTerms.objects.select_for_update().filter(kpi=kpi).first()
    after = _terms_snapshot(fields, payer, payee)
    if terms is None:
        terms = CreditTerms.objects.create(
            kpi=kpi, payer=payer, payee=payee, updated_by=actor, **fields
        )
        event_record(
            actor=actor,
            action=PerformanceEvent.SERVICE_CREDIT_TERMS_SET,
            obj=terms,
            after={**after, "currency": currency},
            contract_id=contract.pk,
            milestone_id=milestone.pk,
        )
    else:
        before = _terms_snapshot(
            {name: getattr(terms, name) for name in fields}, terms.payer, terms.payee
        )
        changed = [name for name in after if after[name] != before[name]]
        if not changed:
            raise DomainError("unchanged", "These are the terms already set.", field="method")
        for name, value in fields.items():
            setattr(terms, name, value)
        terms.payer, terms.payee, terms.updated_by = payer, payee, actor
        terms.save(update_fields=[*fields, "payer", "payee", "updated_by", "updated_at"])
        event_record(
            actor=actor,
            action=PerformanceEvent.SERVICE_CREDIT_TERMS_CHANGED,
            obj=terms,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            contract_id=contract.pk,
            milestone_id=milestone.pk,
        )
    credits_sync(kpi=kpi, actor=actor)
    return terms


def _terms_snapshot(fields: Mapping[str, Any], payer: Party, payee: Party) -> dict[str, Any]:
    return {
        "method": fields["method"],
        "amount": fields["amount"],
        "percent": fields["percent"],
        "period_charge": fields["period_charge"],
        "bands": list(fields["bands"]),
        "cap_period": fields["cap_period"],
        "cap_year": fields["cap_year"],
        "payer": str(payer.organisation),
        "payee": str(payee.organisation),
    }
