"""The interim-valuation demo: Harbour City Council's depot workshop refurbishment (HCC-2026-022).

A contract is paid either by interim valuations or by milestone stages, never both: the library
extension (``construction``) is paid by its 30/40/30 stages, this job by monthly valuations under
the Scheme with 5% retention held. Its valuation periods are counted back from today, so that on
any day the council has a payment notice due within the week and a balance overdue:

- the first valuation, notified in full and paid before its final date;
- the second, valued lower by the surveyor and less a pay less notice for the delay damages on
  the late first section, paid only in part: the balance is overdue;
- the third, applied for days ago, waiting on the council's payment notice.
"""

import datetime as dt
from decimal import Decimal

from milepost.accounts.models import Organisation, User
from milepost.contracts.choices import PartyRole
from milepost.finance.choices import CycleBasis, DeductionKind, PaymentRegime
from milepost.finance.cycles.services import (
    DeductionIn,
    cycle_apply,
    cycle_pay_less,
    cycle_payment_notice,
    cycle_receipt_record,
    money_terms_set,
)
from milepost.finance.damages.services import damages_terms_set
from milepost.finance.models import PaymentCycle
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.baselines import baseline_create
from milepost.schedule.records import status_update_post

from .builders import active_contract, deliverable

REFERENCE = "HCC-2026-022"
# The first section was handed over this many days after its contractual date, at £1,500 a day.
SECTION_DAYS_LATE = 14
DAMAGES_PER_DAY = Decimal("1500.00")
# Each valuation period's last day, counted back from today (about a month apart).
PERIOD_ENDS = (-71, -41, -11)
GROSS_TO_DATE = ("420000.00", "780000.00", "1150000.00")


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, contractor) = active_contract(
        orgs["harbour-city-council"],
        p["cora"],
        [
            (orgs["harbour-city-council"], PartyRole.CLIENT),
            (orgs["northgate-construction"], PartyRole.SUPPLIER),
        ],
        reference=REFERENCE,
        title="Harbour Depot workshop refurbishment (JCT intermediate, monthly valuations)",
        description="New roof, heating and vehicle bays for the council's depot workshop, "
        "handed over in two sections and paid by monthly valuations.",
        value=Decimal("2000000.00"),
        currency="GBP",
        start_date=d(-110),
        end_date=d(150),
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_region="ENG",
    )
    section = deliverable(
        contract,
        p["sam"],
        p["sid"],
        contractor,
        client,
        "Section 1: vehicle bays handed over",
        d(-48 - SECTION_DAYS_LATE),
        "Bays 1-4 resurfaced, doors commissioned and the section's completion certificate issued.",
        critical=True,
    )
    completion = deliverable(
        contract,
        p["sam"],
        p["sam"],
        contractor,
        client,
        "Practical completion of the depot works",
        d(120),
        "Certificate of practical completion issued by the contract administrator.",
        critical=True,
    )
    baseline_create(contract=contract, name="Contract programme", actor=p["cora"])
    damages_terms_set(
        milestone=section,
        actor=p["cora"],
        rate=DAMAGES_PER_DAY,
        unit="day",
        payer=contractor,
        payee=client,
        cap_percent="5",
    )
    deliverable_accept(
        milestone=section,
        comment="Section completion certificate SC-1 issued; the bay doors were late from the maker.",
        actor=p["cora"],
        met_on=d(-48),
    )
    status_update_post(
        milestone=completion,
        text="Roof finished; heating first fix under way.",
        progress=55,
        actor=p["sam"],
    )
    money_terms_set(
        contract=contract,
        actor=p["cora"],
        regime=PaymentRegime.SCHEME_EW,
        basis=CycleBasis.INTERIM,
        payer=client,
        payee=contractor,
        retention_percent="5",
        completion=completion,
        defects_months=12,
    )
    days = dt.timedelta

    def apply(index: int) -> PaymentCycle:
        # The gross valuation to date, applied for the day after the period ends.
        period_end = d(PERIOD_ENDS[index])
        start = d(PERIOD_ENDS[index - 1] + 1) if index else d(-110)
        return cycle_apply(
            contract=contract,
            actor=p["sam"],
            applied_on=period_end + days(days=1),
            period_end=period_end,
            period_start=start,
            gross_value=GROSS_TO_DATE[index],
        )

    first = apply(0)
    cycle_payment_notice(
        cycle=first,
        actor=p["cora"],
        given_on=first.due_date + days(days=2),
        notified_sum=first.applied_sum,
        basis=f"Valuation agreed with the quantity surveyor at the site meeting of "
        f"{_day(first.period_end)}.",
    )
    cycle_receipt_record(
        cycle=first,
        actor=p["cora"],
        paid_on=first.final_date - days(days=1),
        amount=first.applied_sum,
        reference="BACS 5102",
    )
    second = apply(1)
    # The surveyor values the works at £760,000 gross to date, £20,000 less than applied for:
    # less 5% retention to date and the £399,000 notified before, £323,000.
    cycle_payment_notice(
        cycle=second,
        actor=p["cora"],
        given_on=second.due_date + days(days=3),
        notified_sum=Decimal("323000.00"),
        basis="Valuation of the works to date at £760,000: the heating is valued as 20% "
        "complete, not 35% as applied for.",
    )
    second = cycle_pay_less(
        cycle=second,
        actor=p["cora"],
        given_on=second.pay_less_by - days(days=1),
        grounds=f"Delay damages: section 1 was handed over {SECTION_DAYS_LATE} days after its "
        "completion date, at £1,500 a day.",
        deductions=[
            DeductionIn(
                kind=DeductionKind.DELAY_DAMAGES,
                amount=DAMAGES_PER_DAY * SECTION_DAYS_LATE,
                milestone=section,
                description="Section 1: vehicle bays, 14 days late",
            )
        ],
    )
    # The council paid part by the final date; the balance is overdue.
    cycle_receipt_record(
        cycle=second,
        actor=p["cora"],
        paid_on=second.final_date,
        amount="250000.00",
        reference="BACS 5140",
    )
    # The third has just been applied for: its payment notice is due within the week.
    apply(2)
