"""The IT demo: Meridian Health Trust's patient portal and managed service (MHT-IT-2026-07)."""

import datetime as dt
from decimal import Decimal

from milepost.accounts.models import Organisation, User
from milepost.approvals.services import gate_create
from milepost.contracts.choices import PartyRole
from milepost.payments.services import payment_milestone_create, payment_record_invoice
from milepost.performance.choices import CreditMethod, Direction, Period
from milepost.performance.services import (
    credit_terms_set,
    measurement_record,
    performance_milestone_create,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import Criticality
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.records import status_update_post

from .builders import active_contract, deliverable, first_of_month


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, supplier) = active_contract(
        orgs["meridian-health-trust"],
        p["maya"],
        [
            (orgs["meridian-health-trust"], PartyRole.CLIENT),
            (orgs["blueframe-software"], PartyRole.SUPPLIER),
        ],
        reference="MHT-IT-2026-07",
        title="Patient portal platform and managed service",
        value=Decimal("850000.00"),
        currency="GBP",
        start_date=first_of_month(today, 4),
        end_date=d(245),
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_region="ENG",
    )
    module1 = deliverable(
        contract,
        p["ben"],
        p["lena"],
        supplier,
        client,
        "Module 1: appointments",
        d(-60),
        "All appointment user stories pass UAT scripts; no open P1/P2 defects.",
    )
    module2 = deliverable(
        contract,
        p["ben"],
        p["lena"],
        supplier,
        client,
        "Module 2: records access",
        d(30),
        "Patients view letters and results; penetration test passed.",
        critical=True,
    )
    manual = deliverable(
        contract,
        p["ben"],
        p["lena"],
        supplier,
        client,
        "User manual",
        d(50),
        "Manual for clinicians and patients, reviewed by the Trust's accessibility lead.",
    )
    uat = gate_create(
        contract=contract,
        title="User acceptance testing sign-off",
        owner=p["maya"],
        responsible_party=client,
        due_date=d(70),
        required_parties=[client],
        acceptance_criteria="UAT exit report signed; go-live approved.",
        actor=p["maya"],
    )
    for before in (module2, manual):
        dependency_add(predecessor=before, successor=uat, actor=p["maya"])
    deliverable_accept(milestone=module1, comment="UAT passed.", actor=p["maya"], met_on=d(-58))
    status_update_post(
        milestone=module2,
        text="Results view in test; letters API integrated.",
        progress=60,
        actor=p["lena"],
    )
    start = first_of_month(today, 3)
    availability = performance_milestone_create(
        contract=contract,
        title="Platform availability ≥ 99.5% monthly",
        owner=p["lena"],
        responsible_party=supplier,
        due_date=first_of_month(today, -3) - dt.timedelta(days=1),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction=Direction.AT_LEAST,
        period=Period.MONTH,
        measurement_start=start,
        criticality=Criticality.CRITICAL,
        actor=p["ben"],
    )
    response = performance_milestone_create(
        contract=contract,
        title="P1 incident response within 4 hours",
        owner=p["lena"],
        responsible_party=supplier,
        due_date=first_of_month(today, -3) - dt.timedelta(days=1),
        kpi_name="P1 response time",
        unit="hours",
        target="4",
        direction=Direction.AT_MOST,
        period=Period.MONTH,
        measurement_start=start,
        actor=p["ben"],
    )
    # The managed service's charge is £20,000 a month; a month below 99.5% availability earns
    # the Trust a credit by how far it fell short: 5% of the charge, 10% from 0.5 points short,
    # 20% from 1.5 points, at most £3,000 a month and £20,000 a service year.
    credit_terms_set(
        milestone=availability,
        method=CreditMethod.BANDS,
        payer=supplier,
        payee=client,
        period_charge="20000.00",
        bands=[
            {"shortfall": "0", "percent": "5"},
            {"shortfall": "0.5", "percent": "10"},
            {"shortfall": "1.5", "percent": "20"},
        ],
        cap_period="3000.00",
        cap_year="20000.00",
        actor=p["maya"],
    )
    for months_back, avail, resp in [(3, "99.82", "2.5"), (2, "99.91", "3.1"), (1, "99.31", "4.6")]:
        period = first_of_month(today, months_back)
        measurement_record(
            milestone=availability, period_start=period, value=avail, actor=p["lena"]
        )
        measurement_record(milestone=response, period_start=period, value=resp, actor=p["lena"])
    pay1 = payment_milestone_create(
        contract=contract,
        title="Module 1 payment",
        owner=p["maya"],
        due_date=d(-5),
        payer=client,
        payee=supplier,
        trigger=module1,
        amount="250000.00",
        actor=p["maya"],
    )
    payment_record_invoice(milestone=pay1, invoiced_on=d(-35), amount="250000.00", actor=p["ben"])
    payment_milestone_create(
        contract=contract,
        title="Module 2 payment",
        owner=p["maya"],
        due_date=d(60),
        payer=client,
        payee=supplier,
        trigger=module2,
        amount="250000.00",
        actor=p["maya"],
    )
    payment_milestone_create(
        contract=contract,
        title="Go-live payment (20%)",
        owner=p["maya"],
        due_date=d(90),
        payer=client,
        payee=supplier,
        trigger=uat,
        percentage="20",
        actor=p["maya"],
    )
