"""Cash-flow S-curves and earned value, every figure worked out by hand below.

The clock stands at 6 Dec 2026. The GBP contract (value £1,000,000) pays the supplier:
- P1 £300,000 at 5% retention (net £285,000) on Foundation (met), due 30 Nov 2026, paid
  directly (no payment cycle) £285,000 on 28 Nov 2026;
- P2 £400,000 at 5% (net £380,000) on Structure (40% done, baseline 1 Dec 2026), due 31 Jan
  2027, applied for in a stage payment cycle (£380,000, final date 20 Feb 2027): one receipt
  of £100,000 on 2 Dec 2026 (its paid amount kept in step, as the cycle's service does:
  counted once); its own forecast P50 10 Feb 2027 and P80 5 Mar 2027 no longer count: the
  cycle's £280,000 outstanding is expected on its final date;
- P3 £250,000 at 5% (net £237,500) on Completion (baseline 10 Mar 2027; P50 5 Apr 2027),
  due 31 Mar 2027, no forecast of its own (so its P80 day is its P50 day, never earlier);
- P4 £50,000 on Completion, due 15 Feb 2027, waived: left out;
- R1 the first release of retention, £23,750, on Completion, due 10 Apr 2027;
and an interim payment cycle (no milestone) received £10,000 on 15 Oct 2026.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.finance.models import MoneyTerms, PaymentCycle, Receipt
from milepost.finance.outlook.chart import s_curve_chart
from milepost.finance.outlook.selectors import (
    cash_flow_curves,
    earned_value,
    money_outlook,
    portfolio_earned_value,
)
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Milestone
from tests.conftest import World
from tests.helpers import signed_in

START = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 6)
pytestmark = pytest.mark.usefixtures("clock")


def D(text: str) -> Decimal:
    return Decimal(text)


def _set(milestone: Milestone, **fields: object) -> None:
    # Test setup: the statuses, progress and forecasts the schedule's services would leave.
    Milestone.objects.filter(pk=milestone.pk).update(**fields)


def _pay(
    w: World, title: str, amount: str, trigger: Milestone, due: dt.date, **kw: object
) -> Milestone:
    return payment_milestone_create(
        contract=w.contract,
        title=title,
        owner=w.client_member,
        due_date=due,
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount=D(amount),
        actor=w.client_manager,
        **kw,  # type: ignore[arg-type]
    )


def _cycle(
    w: World,
    number: int,
    milestone: Milestone | None,
    paid_on: dt.date,
    amount: str,
    applied: str | None = None,
    final: dt.date | None = None,
) -> PaymentCycle:
    cycle = PaymentCycle.objects.create(
        contract=w.contract,
        number=number,
        payer=w.client,
        payee=w.supplier,
        milestone=milestone,
        period_end=paid_on,
        applied_on=paid_on,
        applied_by=w.supplier_manager,
        gross_value=D(applied or amount),
        applied_sum=D(applied or amount),
        due_date=paid_on,
        final_date=final or paid_on,
        payment_notice_by=paid_on,
        pay_less_by=paid_on,
    )
    if milestone is not None:
        # As cycle_apply does (through payment_invoice_by_cycle): the stage is paid only
        # through its cycle.
        PaymentTerms.objects.filter(milestone=milestone).update(cycle_number=number)
    Receipt.objects.create(
        cycle=cycle, paid_on=paid_on, amount=D(amount), recorded_by=w.client_manager
    )
    return cycle


def _job(w: World) -> dict[str, Milestone]:
    foundation = w.deliverable("Foundation", due_date=dt.date(2026, 11, 20))
    structure = w.deliverable("Structure", due_date=dt.date(2027, 1, 15))
    completion = w.deliverable("Completion", due_date=dt.date(2027, 3, 10))
    p1 = _pay(w, "P1", "300000", foundation, dt.date(2026, 11, 30), retention_percent=D("5"))
    p2 = _pay(w, "P2", "400000", structure, dt.date(2027, 1, 31), retention_percent=D("5"))
    p3 = _pay(w, "P3", "250000", completion, dt.date(2027, 3, 31), retention_percent=D("5"))
    p4 = _pay(w, "P4", "50000", completion, dt.date(2027, 2, 15))
    r1 = _pay(w, "R1", "23750", completion, dt.date(2027, 4, 10), releases_retention=True)
    _set(foundation, status=MilestoneStatus.MET, met_on=dt.date(2026, 11, 20), progress=100)
    _set(
        structure,
        progress=40,
        baseline_due_date=dt.date(2026, 12, 1),
        forecast_p50=dt.date(2027, 2, 20),
    )
    _set(completion, forecast_p50=dt.date(2027, 4, 5))
    _set(p1, status=MilestoneStatus.MET, met_on=dt.date(2026, 11, 28))
    p1.payment.paid_on, p1.payment.paid_amount = dt.date(2026, 11, 28), D("285000")
    p1.payment.save(update_fields=["paid_on", "paid_amount"])
    _set(p2, forecast_p50=dt.date(2027, 2, 10), forecast_p80=dt.date(2027, 3, 5))
    p2.payment.paid_on, p2.payment.paid_amount = dt.date(2026, 12, 2), D("100000")
    p2.payment.save(update_fields=["paid_on", "paid_amount"])
    _set(p4, status=MilestoneStatus.WAIVED)
    _cycle(w, 1, None, dt.date(2026, 10, 15), "10000")
    _cycle(w, 2, p2, dt.date(2026, 12, 2), "100000", "380000", dt.date(2027, 2, 20))
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "r1": r1}


def _rows(curve: object) -> list[tuple[object, ...]]:
    return [
        (p.month, p.planned, p.actual, p.p50, p.p80)
        for p in curve.points  # type: ignore[attr-defined]
    ]


def test_s_curves_are_cumulative_by_month_net_of_retention_and_never_count_a_payment_twice(
    w: World,
) -> None:
    # given the job above
    _job(w)
    # when the curves are read for the contract
    (curve,) = cash_flow_curves(user=w.client_manager, today=TODAY, contract=w.contract)
    # then: planned Nov 285,000; Jan +380,000; Mar +237,500; Apr +23,750 (P4 waived).
    # Actual Oct 10,000 (interim receipt); Nov +285,000 (P1 direct); Dec +100,000 (the
    # cycle's receipt, not P2's paid amount again); none after December.
    # P50: P2's cycle's 280,000 outstanding on its final date 20 Feb, P3's 237,500 on 5 Apr
    # (Completion's P50), R1's 23,750 on its due date 10 Apr.
    # P80: P2's cycle on 20 Feb too; P3 on 5 Apr, its P50 day (its own chain says 31 Mar, but
    # P80 is never before P50); R1 10 Apr.
    assert curve.currency == "GBP"
    assert _rows(curve) == [
        (dt.date(2026, 10, 1), D("0.00"), D("10000.00"), D("10000.00"), D("10000.00")),
        (dt.date(2026, 11, 1), D("285000.00"), D("295000.00"), D("295000.00"), D("295000.00")),
        (dt.date(2026, 12, 1), D("285000.00"), D("395000.00"), D("395000.00"), D("395000.00")),
        (dt.date(2027, 1, 1), D("665000.00"), None, D("395000.00"), D("395000.00")),
        (dt.date(2027, 2, 1), D("665000.00"), None, D("675000.00"), D("675000.00")),
        (dt.date(2027, 3, 1), D("902500.00"), None, D("675000.00"), D("675000.00")),
        (dt.date(2027, 4, 1), D("926250.00"), None, D("936250.00"), D("936250.00")),
    ]
    assert (curve.planned_total, curve.actual_total, curve.forecast_total) == (
        D("926250.00"),
        D("395000.00"),
        D("936250.00"),
    )
    assert curve.points[1].planned_in_month == D("285000.00")
    assert curve.points[2].actual_in_month == D("100000.00")


def test_an_unpaid_payment_past_its_due_date_is_forecast_for_this_month_and_currencies_stay_apart(
    w: World,
) -> None:
    # given a USD contract of the client's with one $1,000 payment due 15 Nov 2026, unpaid
    usd = w.other_contract(active=True, currency="USD", reference="HCC-USD")
    supplier = usd.parties.get(organisation=w.supplier_org)
    client = usd.parties.get(organisation=w.client_org)
    site = w.deliverable("Survey", contract=usd, responsible_party=supplier, accepting_party=client)
    payment_milestone_create(
        contract=usd,
        title="Survey fee",
        owner=w.client_member,
        due_date=dt.date(2026, 11, 15),
        payer=client,
        payee=supplier,
        trigger=site,
        amount=D("1000"),
        actor=w.client_manager,
    )
    _job(w)
    # when the portfolio's curves are read
    curves = cash_flow_curves(user=w.client_manager, today=TODAY)
    # then each currency has its own curve; the overdue $1,000 is forecast in December
    assert [c.currency for c in curves] == ["GBP", "USD"]
    usd_curve = curves[1]
    assert _rows(usd_curve) == [
        (dt.date(2026, 11, 1), D("1000.00"), D("0.00"), D("0.00"), D("0.00")),
        (dt.date(2026, 12, 1), D("1000.00"), D("0.00"), D("1000.00"), D("1000.00")),
    ]


def test_an_outsider_sees_no_curves_and_no_earned_value(w: World) -> None:
    _job(w)
    assert cash_flow_curves(user=w.outsider, today=TODAY) == []
    assert portfolio_earned_value(user=w.outsider, today=TODAY) == []


def test_earned_value_from_milestone_values_and_progress(w: World) -> None:
    # given the job: values P1 300,000 (Foundation, met), P2 400,000 (Structure, 40%),
    # P3 250,000 (Completion, 0%); P4 waived and R1 (a release) add no value
    _job(w)
    # when earned value is read on 6 Dec 2026
    ev = earned_value(contract=w.contract, today=TODAY)
    # then BAC 950,000; PV = Foundation + Structure (baselines past) = 700,000;
    # EV = 300,000 + 40% of 400,000 = 460,000; AC = 10,000 + 100,000 + 285,000 = 395,000
    assert (ev.budget, ev.planned_value, ev.earned_value, ev.actual_cost) == (
        D("950000.00"),
        D("700000.00"),
        D("460000.00"),
        D("395000.00"),
    )
    # SV = 460,000 - 700,000; SPI = 460/700 = 0.657...; CV = 460,000 - 395,000; CPI = 1.164...
    assert ev.schedule_variance == D("-240000.00")
    assert ev.spi == D("0.66")
    assert ev.cost_variance == D("65000.00")
    assert ev.cpi == D("1.16")
    assert ev.percent_complete == D("48.4")


def test_earned_value_indices_are_none_when_nothing_is_planned_or_paid(w: World) -> None:
    # given a payment whose trigger is due next year and nothing paid
    later = w.deliverable("Handover", due_date=dt.date(2027, 6, 1))
    _pay(w, "Handover fee", "1000", later, dt.date(2027, 6, 30))
    ev = earned_value(contract=w.contract, today=TODAY)
    assert (ev.planned_value, ev.earned_value, ev.actual_cost) == (D("0.00"),) * 3
    assert ev.spi is None and ev.cpi is None


def test_the_chart_draws_the_actual_to_this_month_and_the_forecasts_from_it(w: World) -> None:
    _job(w)
    (curve,) = cash_flow_curves(user=w.client_manager, today=TODAY, contract=w.contract)
    chart = s_curve_chart(curve)
    assert len(chart.planned.split()) == 7
    assert len(chart.actual.split()) == 3
    assert len(chart.p50.split()) == 5
    assert chart.today_x == pytest.approx(8 + 2 * (704 / 6))
    # the top of the chart is the largest figure: the forecasts' 936,250
    assert chart.p50.split()[-1].endswith(",12.0")


def test_contract_cash_flow_page_shows_the_chart_table_and_earned_value(w: World) -> None:
    _job(w)
    page = signed_in(w.supplier_viewer).get(reverse("finance:cash-flow", args=[w.contract.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "polyline" in text
    assert "£926,250.00" in text and "£936,250.00" in text
    assert "0.66" in text and "1.16" in text
    assert reverse("interchange:exports-contract-cash-flow", args=[w.contract.pk, "csv"]) in text


def test_contract_cash_flow_page_is_not_found_for_an_outsider(w: World) -> None:
    page = signed_in(w.outsider).get(reverse("finance:cash-flow", args=[w.contract.pk]))
    assert page.status_code == 404


def test_portfolio_cash_flow_page_adds_up_the_contracts_you_see(w: World) -> None:
    _job(w)
    page = signed_in(w.client_manager).get(reverse("finance:portfolio-cash-flow"))
    assert page.status_code == 200
    assert "£395,000.00" in page.content.decode()
    empty = signed_in(w.outsider).get(reverse("finance:portfolio-cash-flow"))
    assert "No payment is planned or received yet" in empty.content.decode()


def test_api_contract_cash_flow_and_earned_value(w: World) -> None:
    _job(w)
    api = signed_in(w.client_manager)
    flow = api.get(f"/api/v1/contracts/{w.contract.pk}/cash-flow").json()
    assert flow["as_of"] == "2026-12-06"
    assert flow["curves"][0]["points"][-1]["forecast_p50"] == "936250.00"
    assert flow["curves"][0]["points"][3]["actual"] is None
    ev = api.get(f"/api/v1/contracts/{w.contract.pk}/earned-value").json()
    assert (ev["earned_value"], ev["spi"], ev["cpi"]) == ("460000.00", "0.66", "1.16")


def test_api_cash_flow_is_not_found_for_an_outsider(w: World) -> None:
    api = signed_in(w.outsider)
    assert api.get(f"/api/v1/contracts/{w.contract.pk}/cash-flow").status_code == 404
    assert api.get(f"/api/v1/contracts/{w.contract.pk}/earned-value").status_code == 404
    assert api.get("/api/v1/cash-flow").json()["curves"] == []


def test_cash_flow_downloads_as_csv_with_a_row_per_month(w: World) -> None:
    _job(w)
    client = signed_in(w.client_manager)
    url = reverse("interchange:exports-contract-cash-flow", args=[w.contract.pk, "csv"])
    lines = b"".join(client.get(url).streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Currency,Month,Planned in the month")
    assert len(lines) == 1 + 7
    assert lines[-1].split(",")[-2:] == ["936250.00", "936250.00"]
    portfolio = client.get(reverse("interchange:exports-cash-flow", args=["xlsx"]))
    assert portfolio.status_code == 200
    api = client.get(f"/api/v1/contracts/{w.contract.pk}/exports/cash-flow?format=csv")
    assert api.status_code == 200
    hidden = signed_in(w.outsider).get(url)
    assert hidden.status_code == 404


def test_the_outlook_read_together_gives_the_same_figures_as_each_read_alone(w: World) -> None:
    # given the job, read once for the contract and once for the portfolio
    _job(w)
    one = money_outlook(user=w.client_manager, today=TODAY, contract=w.contract)
    everything = money_outlook(user=w.client_manager, today=TODAY)
    # then both agree with the curves and earned value read on their own
    assert one.curves == cash_flow_curves(user=w.client_manager, today=TODAY, contract=w.contract)
    assert one.values == [earned_value(contract=w.contract, today=TODAY)]
    assert everything.values == portfolio_earned_value(user=w.client_manager, today=TODAY)
    assert everything.curves == cash_flow_curves(user=w.client_manager, today=TODAY)


def _usd(w: World, *, active: bool = True) -> tuple[object, Milestone]:
    """A USD contract of the client's with one $1,000 payment due 15 Jan 2027, unpaid."""
    usd = w.other_contract(active=active, currency="USD", reference="HCC-USD")
    supplier = usd.parties.get(organisation=w.supplier_org)
    client = usd.parties.get(organisation=w.client_org)
    site = w.deliverable("Survey", contract=usd, responsible_party=supplier, accepting_party=client)
    fee = payment_milestone_create(
        contract=usd,
        title="Survey fee",
        owner=w.client_member,
        due_date=dt.date(2027, 1, 15),
        payer=client,
        payee=supplier,
        trigger=site,
        amount=D("1000"),
        actor=w.client_manager,
    )
    return usd, fee


def _p(curve: object, month: dt.date) -> tuple[Decimal, Decimal]:
    (point,) = [p for p in curve.points if p.month == month]  # type: ignore[attr-defined]
    return point.p50, point.p80


def test_money_a_payment_cycle_still_owes_is_forecast_on_its_final_date(w: World) -> None:
    # given an interim cycle of £50,000 with £20,000 received, final date 10 Jan 2027, and
    # another of £8,000 with nothing received, final date 1 Dec 2026 (passed)
    _cycle(w, 1, None, dt.date(2026, 12, 1), "20000", "50000", dt.date(2027, 1, 10))
    overdue = _cycle(w, 2, None, dt.date(2026, 11, 20), "1", "8000", dt.date(2026, 12, 1))
    Receipt.objects.filter(cycle=overdue).delete()
    # when the curves are read
    (curve,) = cash_flow_curves(user=w.client_manager, today=TODAY, contract=w.contract)
    # then the overdue £8,000 is expected this month and the £30,000 in January, both forecasts
    assert _p(curve, dt.date(2026, 12, 1)) == (D("28000.00"), D("28000.00"))
    assert _p(curve, dt.date(2027, 1, 1)) == (D("58000.00"), D("58000.00"))


def test_a_contract_paid_by_interim_valuations_does_not_forecast_its_stages_too(w: World) -> None:
    # given interim terms, a £400,000 stage payment left over from before them, and a valuation
    # received
    MoneyTerms.objects.create(
        contract=w.contract,
        regime="scheme_ew",
        basis="interim",
        due_days=7,
        final_days=17,
        payment_notice_days=5,
        pay_less_days=7,
        payer=w.client,
        payee=w.supplier,
        updated_by=w.client_manager,
    )
    structure = w.deliverable("Structure", due_date=dt.date(2027, 1, 15))
    _pay(w, "Stage", "400000", structure, dt.date(2027, 1, 31))
    _cycle(w, 1, None, dt.date(2026, 11, 30), "95000")
    # when the curves are read
    (curve,) = cash_flow_curves(user=w.client_manager, today=TODAY, contract=w.contract)
    # then the forecast is what the valuations brought, not the stage on top of it
    assert curve.forecast_total == curve.forecast_p80_total == D("95000.00")


def test_a_partly_met_trigger_earns_its_progress(w: World) -> None:
    # given a £100,000 payment on a trigger partly met at 60%
    survey = w.deliverable("Survey", due_date=dt.date(2026, 11, 1))
    _pay(w, "Survey fee", "100000", survey, dt.date(2026, 11, 30))
    _set(survey, status=MilestoneStatus.PARTIALLY_MET, met_on=dt.date(2026, 11, 2), progress=60)
    # when earned value is read
    ev = earned_value(contract=w.contract, today=TODAY)
    # then it has earned 60% of its value, not all of it
    assert ev.earned_value == D("60000.00")


def test_the_portfolio_leaves_out_drafts(w: World) -> None:
    # given a draft USD contract with a payment
    _usd(w, active=False)
    # when the portfolio is read, then the draft adds nothing
    assert cash_flow_curves(user=w.client_manager, today=TODAY) == []
    assert portfolio_earned_value(user=w.client_manager, today=TODAY) == []


def test_a_terminated_contract_forecasts_no_open_payment(w: World) -> None:
    # given an active USD contract with an open $1,000 payment, then terminated
    usd, _ = _usd(w)
    Contract.objects.filter(pk=usd.pk).update(status=ContractStatus.TERMINATED)
    # when the portfolio's curves are read
    (curve,) = cash_flow_curves(user=w.client_manager, today=TODAY)
    # then the payment stays planned but is not forecast to come
    assert curve.planned_total == D("1000.00")
    assert curve.forecast_total == curve.forecast_p80_total == D("0.00")
