"""Cash-flow and earned-value endpoints: a contract's and the portfolio's, read only."""

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today
from milepost.core.schemas import RowId

from .selectors import Curve, EarnedValue, cash_flow_curves, earned_value, money_outlook

router = Router(tags=["cash flow"])


class CurvePointOut(Schema):
    month: dt.date = Field(description="The first day of the month.")
    planned: Decimal = Field(description="Planned to be received by the end of the month.")
    actual: Decimal | None = Field(description="Received by the end of the month; null: later.")
    forecast_p50: Decimal = Field(description="Forecast by the end of the month, even chance.")
    forecast_p80: Decimal = Field(description="Forecast by the end of the month, 80% sure.")
    planned_in_month: Decimal
    actual_in_month: Decimal | None


class CurveOut(Schema):
    currency: str
    as_of: dt.date
    planned_total: Decimal
    actual_total: Decimal
    forecast_total: Decimal
    points: list[CurvePointOut]


class CashFlowOut(Schema):
    as_of: dt.date = Field(description="The local date the actual and the forecast count from.")
    curves: list[CurveOut] = Field(description="One cumulative S-curve set per currency.")


class EarnedValueOut(Schema):
    currency: str
    as_of: dt.date
    budget: Decimal = Field(description="Budget at completion: every milestone's value.")
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal = Field(description="Paid so far.")
    schedule_variance: Decimal = Field(description="Earned value less planned value.")
    spi: Decimal | None = Field(description="Earned over planned value; null when none planned.")
    cost_variance: Decimal = Field(description="Earned value less actual cost.")
    cpi: Decimal | None = Field(description="Earned value over actual cost; null when none paid.")


class PortfolioCashFlowOut(CashFlowOut):
    earned_value: list[EarnedValueOut] = Field(description="One figure per currency.")


def _curve(curve: Curve) -> CurveOut:
    return CurveOut(
        currency=curve.currency,
        as_of=curve.today,
        planned_total=curve.planned_total,
        actual_total=curve.actual_total,
        forecast_total=curve.forecast_total,
        points=[
            CurvePointOut(
                month=p.month,
                planned=p.planned,
                actual=p.actual,
                forecast_p50=p.p50,
                forecast_p80=p.p80,
                planned_in_month=p.planned_in_month,
                actual_in_month=p.actual_in_month,
            )
            for p in curve.points
        ],
    )


def _earned(ev: EarnedValue) -> EarnedValueOut:
    return EarnedValueOut(
        currency=ev.currency,
        as_of=ev.today,
        budget=ev.budget,
        planned_value=ev.planned_value,
        earned_value=ev.earned_value,
        actual_cost=ev.actual_cost,
        schedule_variance=ev.schedule_variance,
        spi=ev.spi,
        cost_variance=ev.cost_variance,
        cpi=ev.cpi,
    )


@router.get("/contracts/{contract_id}/cash-flow", response=CashFlowOut)
def contract_cash_flow(request: HttpRequest, contract_id: RowId) -> CashFlowOut:
    """A contract's cumulative cash-flow S-curves by month: planned, actual, forecast P50/P80."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    today = local_today(contract.time_zone)
    curves = cash_flow_curves(user=user, today=today, contract=contract)
    return CashFlowOut(as_of=today, curves=[_curve(c) for c in curves])


@router.get("/contracts/{contract_id}/earned-value", response=EarnedValueOut)
def contract_earned_value(request: HttpRequest, contract_id: RowId) -> EarnedValueOut:
    """A contract's earned value today: planned and earned value, actual cost, SPI and CPI."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return _earned(earned_value(contract=contract, today=local_today(contract.time_zone)))


@router.get("/cash-flow", response=PortfolioCashFlowOut)
def portfolio_cash_flow(request: HttpRequest) -> PortfolioCashFlowOut:
    """The cash-flow S-curves and earned value of every contract you see, per currency."""
    user = actor(request)
    today = local_today(user.time_zone)
    outlook = money_outlook(user=user, today=today)
    return PortfolioCashFlowOut(
        as_of=today,
        curves=[_curve(c) for c in outlook.curves],
        earned_value=[_earned(ev) for ev in outlook.values],
    )
