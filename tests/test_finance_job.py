"""A construction job's money, month by month, every figure worked out by hand.

Harbour library extension (£1,000,000): the Scheme (England and Wales), interim valuations at
each month's end, 5% retention released half at practical completion and half 12 months later,
delay damages of £500 a day on practical completion (due 30 April 2026). The client pays,
Northgate Construction applies.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from milepost.finance.choices import DeductionKind
from milepost.finance.cycles.selectors import (
    contract_money_summary,
    cycle_figures,
    cycles_for_contract,
)
from milepost.finance.cycles.services import (
    DeductionIn,
    cycle_apply,
    cycle_default_notice,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_receipt_record,
    money_terms_set,
)
from milepost.finance.damages.selectors import damages_available
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.models import PaymentCycle
from milepost.finance.retention.selectors import retention_ledger, retention_release_amount
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneStatus

LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=LONDON)
HOLIDAY_REGION = "ENG"
D = Decimal


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def figures(cycle: PaymentCycle, on: str):
    fresh = cycles_for_contract(contract=cycle.contract).get(pk=cycle.pk)
    return cycle_figures(fresh, day(on))


def test_a_construction_job_month_by_month(w, clock) -> None:
    cora, sam = w.client_manager, w.supplier_manager

    def on(text: str) -> dt.date:
        clock.move_to(dt.datetime.fromisoformat(text).replace(hour=10, tzinfo=LONDON))
        return day(text)

    def apply(applied_on: str, period_end: str, gross: str, **more):
        return cycle_apply(
            contract=w.contract,
            actor=sam,
            applied_on=on(applied_on),
            period_end=day(period_end),
            gross_value=gross,
            **more,
        )

    # --- Set up: completion with delay damages, the terms with retention ------------------
    completion = w.deliverable("Practical completion", due_date=day("2026-04-30"))
    damages_terms_set(
        milestone=completion, actor=cora, rate="500", unit="day", payer=w.supplier, payee=w.client
    )
    terms = money_terms_set(
        contract=w.contract,
        actor=cora,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
        retention_first_release_percent="50",
        completion=completion,
        defects_months=12,
    )
    terms.refresh_from_db()
    first_release, second_release = terms.first_release, terms.second_release
    assert first_release is not None and second_release is not None

    # --- January: valuation £200,000; 5% retention £10,000; applied £190,000 --------------
    jan = apply("2026-02-02", "2026-01-31", "200000")
    assert (jan.retention, jan.previous, jan.applied_sum) == (D("10000"), D(0), D("190000"))
    # due: later of 31 Jan + 7 = Sat 7 Feb and the claim (2 Feb); final 7 Feb + 17 = 24 Feb
    assert (jan.due_date, jan.final_date) == (day("2026-02-07"), day("2026-02-24"))
    assert (jan.payment_notice_by, jan.pay_less_by) == (day("2026-02-12"), day("2026-02-17"))
    # The client values it at £185,000 in time: £5,000 of materials off site left out
    cycle_payment_notice(
        cycle=jan,
        actor=cora,
        given_on=on("2026-02-10"),
        notified_sum="185000",
        basis="Materials off site not yet vested.",
    )
    cycle_receipt_record(cycle=jan, actor=cora, paid_on=on("2026-02-24"), amount="185000")
    jan_f = figures(jan, "2026-02-24")
    assert (jan_f.payable, jan_f.withheld, jan_f.paid, jan_f.outstanding) == (
        D("185000"),
        D("5000"),
        D("185000"),
        D(0),
    )

    # --- February: £450,000 to date; retention to date 22,500 (12,500 of it this cycle's) ----
    feb = apply("2026-03-02", "2026-02-28", "450000")
    # gross to date - retention to date - notified before: 450,000 - 22,500 - 185,000 = 242,500
    assert (feb.retention, feb.previous, feb.applied_sum) == (D("12500"), D("185000"), D("242500"))
    assert (feb.payment_notice_by, feb.final_date) == (day("2026-03-12"), day("2026-03-24"))
    # The payment notice comes a day late (13 Mar): kept, but the application stands
    feb = cycle_payment_notice(
        cycle=feb,
        actor=cora,
        given_on=on("2026-03-13"),
        notified_sum="240000",
        basis="Valuation of work to 28 February.",
    )
    assert feb.notice_late and feb.payable == D("242500")
    # The contractor's default notice on 14 Mar, 2 days after the deadline: final date + 2
    feb = cycle_default_notice(cycle=feb, actor=sam, given_on=on("2026-03-14"))
    assert (feb.final_date, feb.pay_less_by) == (day("2026-03-26"), day("2026-03-19"))
    # Paid in two parts
    cycle_receipt_record(cycle=feb, actor=cora, paid_on=on("2026-03-20"), amount="100000")
    part = figures(feb, "2026-03-20")
    assert (part.paid, part.outstanding, part.overdue) == (D("100000"), D("142500"), D(0))
    cycle_receipt_record(cycle=feb, actor=cora, paid_on=on("2026-03-26"), amount="142500")
    assert figures(feb, "2026-03-26").outstanding == 0

    # --- March: £700,000 to date; retention to date 35,000; previous 185,000 + 242,500 ------
    mar = apply("2026-04-01", "2026-03-31", "700000")
    # 700,000 - 35,000 - 427,500 = 237,500
    assert (mar.retention, mar.previous, mar.applied_sum) == (D("12500"), D("427500"), D("237500"))
    # Over Easter the Scheme skips Good Friday (3 Apr) and Easter Monday (6 Apr), as s.116 says
    assert (mar.due_date, mar.final_date) == (day("2026-04-09"), day("2026-04-26"))
    cycle_payment_notice(
        cycle=mar, actor=cora, given_on=on("2026-04-09"), notified_sum="237500", basis="As applied."
    )
    cycle_receipt_record(cycle=mar, actor=cora, paid_on=on("2026-04-24"), amount="237500")

    # --- April: £900,000 to date; completion late, met on 10 May ------------------------------
    apr = apply("2026-05-01", "2026-04-30", "900000")
    # retention to date 45,000 (10,000 this cycle's); previous 665,000;
    # 900,000 - 45,000 - 665,000 = 190,000
    assert (apr.retention, apr.previous, apr.applied_sum) == (D("10000"), D("665000"), D("190000"))
    # The bank holidays of 4 and 25 May are not counted
    assert (apr.pay_less_by, apr.final_date) == (day("2026-05-18"), day("2026-05-26"))
    cycle_payment_notice(
        cycle=apr, actor=cora, given_on=on("2026-05-07"), notified_sum="190000", basis="As applied."
    )
    on("2026-05-10")
    deliverable_accept(milestone=completion, actor=cora)
    # 10 days late (1 to 10 May) at £500 a day
    assert damages_available(milestone=completion, today=day("2026-05-15")) == D("5000")
    apr = cycle_pay_less(
        cycle=apr,
        actor=cora,
        given_on=on("2026-05-15"),
        grounds="Delay damages: completion 10 days late.",
        deductions=[DeductionIn(DeductionKind.DELAY_DAMAGES, "5000", milestone=completion)],
    )
    assert (apr.pay_less_sum, apr.payable, apr.withheld) == (D("185000"), D("185000"), D("5000"))
    assert damages_available(milestone=completion, today=day("2026-05-15")) == 0

    # --- The first half of the retention, at completion -----------------------------------
    # held 10,000 + 12,500 + 12,500 + 10,000 = 45,000; half is 22,500
    assert retention_release_amount(milestone=first_release) == D("22500")
    release1 = apply("2026-05-12", "2026-05-10", "22500", milestone=first_release)
    assert (release1.retention, release1.previous, release1.applied_sum) == (D(0), D(0), D("22500"))
    # due later of 10 May + 7 = 17 May and the claim; final 17 days on, skipping 25 May: 4 June
    assert (release1.due_date, release1.final_date) == (day("2026-05-17"), day("2026-06-04"))
    cycle_payment_notice(
        cycle=release1,
        actor=cora,
        given_on=on("2026-05-18"),
        notified_sum="22500",
        basis="Half the retention held.",
    )
    # April is paid in two parts, the release in one
    cycle_receipt_record(cycle=apr, actor=cora, paid_on=on("2026-05-20"), amount="97500")
    cycle_receipt_record(cycle=apr, actor=cora, paid_on=on("2026-05-22"), amount="87500")
    cycle_receipt_record(cycle=release1, actor=cora, paid_on=on("2026-06-03"), amount="22500")
    first_release.refresh_from_db()
    assert first_release.status == MilestoneStatus.MET

    ledger = retention_ledger(contract=w.contract, today=day("2026-06-03"))
    assert (ledger.held, ledger.released, ledger.balance) == (D("45000"), D("22500"), D("22500"))

    # --- Twelve months on: the second half -------------------------------------------------
    assert retention_release_amount(milestone=second_release) == D("22500")
    release2 = apply("2027-05-11", "2027-05-10", "22500", milestone=second_release)
    cycle_payment_notice(
        cycle=release2,
        actor=cora,
        given_on=on("2027-05-17"),
        notified_sum="22500",
        basis="The rest of the retention.",
    )
    cycle_receipt_record(cycle=release2, actor=sam, paid_on=on("2027-05-27"), amount="22500")
    ledger = retention_ledger(contract=w.contract, today=day("2027-05-27"))
    assert (ledger.held, ledger.released, ledger.balance) == (D("45000"), D("45000"), D(0))

    # --- The whole job: applied = paid + outstanding + withheld ---------------------------
    summary = contract_money_summary(contract=w.contract, today=day("2027-05-27"))
    # 190,000 + 242,500 + 237,500 + 190,000 + 22,500 + 22,500 applied
    assert summary.applied == D("905000")
    # 185,000 + 242,500 + 237,500 + 185,000 + 22,500 + 22,500 paid: the gross 900,000 less the
    # 5,000 of delay damages (retention held and all released)
    assert summary.paid == D("895000")
    assert (summary.outstanding, summary.overdue, summary.cycles) == (D(0), D(0), 6)
    withheld = sum(
        (
            cycle_figures(c, day("2027-05-27")).withheld
            for c in cycles_for_contract(contract=w.contract)
        ),
        D(0),
    )
    # 5,000 left out of January's notice and 5,000 of delay damages
    assert withheld == D("10000")
    assert summary.applied == summary.paid + summary.outstanding + withheld
