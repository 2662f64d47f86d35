"""REST endpoints for performance milestones: the KPI and its measurements."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user, party_get_for_contract
from milepost.core.errors import DomainError, NotFound
from milepost.core.schemas import Amount, InputSchema, IsoDate, Note, RowId
from milepost.schedule.api.milestones import MilestoneDetailOut, MilestoneIn, milestone_fields
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import LINKS, milestone_get_for_user

from .choices import CreditMethod, Direction, Period
from .models import KPI, CreditTerms, Measurement, ServiceCredit
from .selectors import (
    credit_terms_for_kpi,
    credits_for_contract,
    kpi_for_milestone,
    measurement_get_for_user,
    measurements_for_kpi,
)
from .services import (
    KPI_NAME_MAX,
    KPI_UNIT_MAX,
    credit_terms_set,
    measurement_correct,
    measurement_record,
    performance_milestone_create,
)

router = Router(tags=["performance"])


class MeasurementOut(Schema):
    id: int
    period_start: dt.date
    value: Decimal
    passed: bool
    note: str
    recorded_by: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_recorded_by(obj: Measurement) -> str:
        return obj.recorded_by.username


class KpiOut(Schema):
    name: str
    unit: str
    target: Decimal
    direction: str
    period: str
    measurement_start: dt.date
    measurements: list[MeasurementOut]

    @staticmethod
    def resolve_measurements(obj: KPI) -> list[Measurement]:
        return list(measurements_for_kpi(kpi=obj))


class MeasurementIn(InputSchema):
    period_start: IsoDate
    value: Amount
    note: Note = ""


def _kpi(milestone: Milestone) -> KPI:
    kpi = kpi_for_milestone(milestone=milestone)
    if kpi is None:
        raise DomainError(
            "not_performance", "Only performance milestones have a KPI.", field="kind"
        )
    return kpi


@router.get("/milestones/{milestone_id}/kpi", response=KpiOut)
def get_kpi(request: HttpRequest, milestone_id: RowId) -> KPI:
    """Read a performance milestone's target and every measurement."""
    return _kpi(milestone_get_for_user(user=actor(request), pk=milestone_id))


@router.post("/milestones/{milestone_id}/measurements", response={201: MeasurementOut})
def record_measurement(request: HttpRequest, milestone_id: RowId, payload: MeasurementIn) -> Any:
    """Record one finished period's value; the milestone's status follows from all of them."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    measurement = measurement_record(
        milestone=milestone,
        period_start=payload.period_start,
        value=payload.value,
        note=payload.note,
        actor=actor(request),
    )
    return Status(201, measurement)


class PerformanceIn(MilestoneIn):
    """A performance target: a KPI measured each period from ``measurement_start``."""

    responsible_party: RowId
    kpi_name: str = Field(max_length=KPI_NAME_MAX)
    unit: str = Field(max_length=KPI_UNIT_MAX)
    target: Amount
    direction: Direction
    period: Period
    measurement_start: IsoDate


@router.post("/contracts/{contract_id}/performance", response={201: MilestoneDetailOut})
def create_performance(request: HttpRequest, contract_id: RowId, payload: PerformanceIn) -> Any:
    """Add a performance target; its status follows from measurements, never set by hand."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    milestone = performance_milestone_create(
        contract=contract,
        **milestone_fields(contract, payload, "responsible_party"),
        kpi_name=payload.kpi_name,
        unit=payload.unit,
        target=payload.target,
        direction=payload.direction,
        period=payload.period,
        measurement_start=payload.measurement_start,
        actor=user,
    )
    return Status(201, milestone_get_for_user(user=user, pk=milestone.pk, related=LINKS))


class MeasurementPatch(InputSchema):
    value: Amount
    note: Note = ""


@router.patch("/measurements/{measurement_id}", response=MeasurementOut)
def correct_measurement(
    request: HttpRequest, measurement_id: RowId, payload: MeasurementPatch
) -> Any:
    """Correct a period's value; its service credit and the milestone's status follow."""
    user = actor(request)
    measurement = measurement_get_for_user(user=user, pk=measurement_id)
    return measurement_correct(
        measurement=measurement, value=payload.value, note=payload.note, actor=user
    )


class CreditBand(Schema):
    shortfall: Amount
    percent: Amount


class CreditTermsOut(Schema):
    milestone_id: int
    method: str
    currency: str
    amount: Decimal | None
    percent: Decimal | None
    period_charge: Decimal | None
    bands: list[CreditBand]
    cap_period: Decimal | None
    cap_year: Decimal | None
    payer: str
    payee: str

    @staticmethod
    def resolve_milestone_id(obj: CreditTerms) -> int:
        return obj.kpi.milestone_id

    @staticmethod
    def resolve_currency(obj: CreditTerms) -> str:
        return obj.kpi.milestone.contract.currency

    @staticmethod
    def resolve_payer(obj: CreditTerms) -> str:
        return obj.payer.organisation.name

    @staticmethod
    def resolve_payee(obj: CreditTerms) -> str:
        return obj.payee.organisation.name


class CreditTermsIn(InputSchema):
    """What a missed period earns: ``amount``; ``percent`` of ``period_charge``; or ``bands``."""

    method: CreditMethod
    payer: RowId = Field(description="The supplier's party id: it gives the credit.")
    payee: RowId = Field(description="The client's party id: it receives the credit.")
    amount: Amount | None = None
    percent: Amount | None = None
    period_charge: Amount | None = None
    bands: list[CreditBand] | None = None
    cap_period: Amount | None = None
    cap_year: Amount | None = None


class ServiceCreditOut(Schema):
    id: int
    milestone_id: int
    milestone: str
    measurement_id: int
    period_start: dt.date
    value: Decimal
    shortfall: Decimal
    amount: Decimal
    uncapped: Decimal
    currency: str
    payer: str
    payee: str
    deducted: bool = Field(
        description="A pay less notice took it off a payment; it no longer changes."
    )

    @staticmethod
    def resolve_milestone_id(obj: ServiceCredit) -> int:
        return obj.kpi.milestone_id

    @staticmethod
    def resolve_milestone(obj: ServiceCredit) -> str:
        return obj.kpi.milestone.title

    @staticmethod
    def resolve_value(obj: ServiceCredit) -> Decimal:
        return obj.measurement.value

    @staticmethod
    def resolve_currency(obj: ServiceCredit) -> str:
        return obj.kpi.milestone.contract.currency

    @staticmethod
    def resolve_payer(obj: ServiceCredit) -> str:
        return obj.payer.organisation.name

    @staticmethod
    def resolve_payee(obj: ServiceCredit) -> str:
        return obj.payee.organisation.name


def _credit_terms(milestone: Milestone) -> CreditTerms:
    terms = credit_terms_for_kpi(kpi=_kpi(milestone))
    if terms is None:
        raise NotFound("service credit terms")
    return terms


@router.get("/milestones/{milestone_id}/service-credit-terms", response=CreditTermsOut)
def get_credit_terms(request: HttpRequest, milestone_id: RowId) -> CreditTerms:
    """Read what a performance target's missed periods earn in service credits."""
    return _credit_terms(milestone_get_for_user(user=actor(request), pk=milestone_id))


@router.put("/milestones/{milestone_id}/service-credit-terms", response=CreditTermsOut)
def set_credit_terms(request: HttpRequest, milestone_id: RowId, payload: CreditTermsIn) -> Any:
    """Set or change the service credits (a manager of the supplier or client they name)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    credit_terms_set(
        milestone=milestone,
        method=payload.method,
        payer=party_get_for_contract(contract=milestone.contract, pk=payload.payer, field="payer"),
        payee=party_get_for_contract(contract=milestone.contract, pk=payload.payee, field="payee"),
        amount=payload.amount,
        percent=payload.percent,
        period_charge=payload.period_charge,
        bands=[band.dict() for band in payload.bands] if payload.bands is not None else None,
        cap_period=payload.cap_period,
        cap_year=payload.cap_year,
        actor=user,
    )
    return _credit_terms(milestone)


@router.get("/contracts/{contract_id}/service-credits", response=list[ServiceCreditOut])
def list_service_credits(request: HttpRequest, contract_id: RowId) -> Any:
    """List the service credits the contract's performance targets earned, by period."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return list(credits_for_contract(contract=contract))
