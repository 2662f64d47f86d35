"""Realistic demo contracts, dated relative to today, built only through the services."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import Organisation, User
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.alerts.inbox import watch_add
from milepost.alerts.rules import reminder_rule_set
from milepost.approvals.services import gate_create, gate_decide
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.core.dates import local_today
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.performance.choices import Direction, Period
from milepost.performance.services import measurement_record, performance_milestone_create
from milepost.schedule.baselines import baseline_create
from milepost.schedule.changes import change_request_approve, change_request_submit
from milepost.schedule.choices import Criticality, MilestoneKind
from milepost.schedule.forecasts import contracts_to_forecast, forecast_run
from milepost.schedule.models import Milestone
from milepost.schedule.planning import (
    dependency_update,
    milestone_anchor_set,
    milestone_pin,
    milestone_plan_set,
)
from milepost.schedule.risks import early_warning_raise, recovery_action_add
from milepost.schedule.services import (
    comment_add,
    deliverable_accept,
    dependency_add,
    milestone_create,
    status_update_post,
)

DEMO_PASSWORD = "milepost-demo"
MARKER_SLUG = "harbour-city-council"

# username, first, last, organisation slug, role, what they do
PEOPLE = [
    (
        "cora",
        "Cora",
        "Blake",
        "harbour-city-council",
        Role.MANAGER,
        "client contract manager, construction",
    ),
    ("vic", "Vic", "Hale", "harbour-city-council", Role.VIEWER, "client finance viewer"),
    (
        "sam",
        "Sam",
        "Okafor",
        "northgate-construction",
        Role.MANAGER,
        "main contractor's project manager",
    ),
    (
        "sid",
        "Sid",
        "Patel",
        "northgate-construction",
        Role.MEMBER,
        "site lead who owns deliverables",
    ),
    ("pat", "Pat", "Reyes", "arden-project-management", Role.MANAGER, "project-manager consultant"),
    (
        "maya",
        "Maya",
        "Chen",
        "meridian-health-trust",
        Role.MANAGER,
        "client contract manager, IT and advisory",
    ),
    ("ben", "Ben", "Walsh", "blueframe-software", Role.MANAGER, "IT supplier's delivery manager"),
    ("lena", "Lena", "Ford", "blueframe-software", Role.MEMBER, "IT service owner"),
    ("fay", "Fay", "Morgan", "fenwick-advisory", Role.MANAGER, "consulting partner"),
]
ORGANISATIONS = {
    "harbour-city-council": "Harbour City Council",
    "northgate-construction": "Northgate Construction Ltd",
    "arden-project-management": "Arden Project Management",
    "meridian-health-trust": "Meridian Health Trust",
    "blueframe-software": "Blueframe Software Ltd",
    "fenwick-advisory": "Fenwick Advisory LLP",
}


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str]]


def demo_logins() -> list[tuple[str, str]]:
    return [
        ("admin", "operator: the Django admin at /admin/ (no organisation)"),
        *[(p[0], p[5]) for p in PEOPLE],
    ]


def demo_load() -> DemoResult:
    """Load the demo once; a second call changes nothing."""
    if Organisation.objects.filter(slug=MARKER_SLUG).exists():
        return DemoResult(created=False, logins=demo_logins())
    with transaction.atomic():
        _build()
    return DemoResult(created=True, logins=demo_logins())


def _first_of_month(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _build() -> None:
    orgs = {
        slug: organisation_create(name=name, slug=slug, actor=None)
        for slug, name in ORGANISATIONS.items()
    }
    people: dict[str, User] = {}
    for username, first, last, slug, role, _ in PEOPLE:
        people[username] = user_create(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.milepost.invalid",
            check_password=False,
            actor=None,
        )
        membership_set(user=people[username], organisation=orgs[slug], role=role, actor=None)
    user_create(
        username="admin",
        password=DEMO_PASSWORD,
        check_password=False,
        email="admin@demo.milepost.invalid",
        operator=True,
        actor=None,
    )
    today = local_today("Europe/London")
    _construction(orgs, people, today)
    _it_services(orgs, people, today)
    _consulting(orgs, people, today)
    _alerts(orgs, people)
    # A first forecast of each active contract, seeded so that every demo shows the same one.
    for seed, contract in enumerate(contracts_to_forecast(), start=1):
        forecast_run(contract=contract, actor=None, seed=seed)


def _alerts(orgs: dict[str, Organisation], p: dict[str, User]) -> None:
    """Who watches what, and the council's own reminder rule (others keep the default)."""
    for username, reference in (
        ("cora", "HCC-2026-014"),
        ("pat", "HCC-2026-014"),
        ("maya", "MHT-IT-2026-07"),
        ("fay", "MHT-ADV-2026-03"),
    ):
        watch_add(user=p[username], contract=Contract.objects.get(reference=reference))
    reminder_rule_set(
        actor=p["cora"],
        organisation=orgs["harbour-city-council"],
        offsets=[14, 7, 3, 1, 0],
        working_days=True,
        overdue_every=2,
        escalate_after=3,
        escalate_critical_to_counterparty=True,
        channels=["email", "inapp"],
    )


def _contract(
    owner: Organisation, actor: User, parties: list[tuple[Organisation, str]], **fields: object
) -> tuple[Contract, list[Party]]:
    contract = contract_create(organisation=owner, party_role=parties[0][1], actor=actor, **fields)  # type: ignore[arg-type]
    made = [contract.parties.get()]
    made += [
        party_add(contract=contract, organisation=org, role=role, actor=actor)
        for org, role in parties[1:]
    ]
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=actor)
    return contract, made


def _deliverable(
    contract: Contract,
    actor: User,
    owner: User,
    by: Party,
    to: Party,
    title: str,
    due: dt.date,
    criteria: str,
    critical: bool = False,
) -> Milestone:
    return milestone_create(
        contract=contract,
        kind=MilestoneKind.DELIVERABLE,
        title=title,
        owner=owner,
        responsible_party=by,
        accepting_party=to,
        due_date=due,
        acceptance_criteria=criteria,
        actor=actor,
        criticality=Criticality.CRITICAL if critical else Criticality.STANDARD,
    )


def _construction(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, contractor, pm) = _contract(
        orgs["harbour-city-council"],
        p["cora"],
        [
            (orgs["harbour-city-council"], PartyRole.CLIENT),
            (orgs["northgate-construction"], PartyRole.SUPPLIER),
            (orgs["arden-project-management"], PartyRole.CONSULTANT),
        ],
        reference="HCC-2026-014",
        title="Harbour Library extension (JCT design and build)",
        description="Two-storey extension to the Harbour Library with a new reading room and archive store.",
        value=Decimal("4800000.00"),
        currency="GBP",
        start_date=d(-150),
        end_date=d(240),
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_region="ENG",
    )
    site = gate_create(
        contract=contract,
        title="Site access approved",
        owner=p["cora"],
        responsible_party=client,
        due_date=d(-120),
        required_parties=[client, pm],
        acceptance_criteria="Hoarding, traffic management plan and CDM notice in place.",
        actor=p["cora"],
    )
    # Site access was approved before the due date, weeks before the foundations were met.
    gate_decide(
        milestone=site,
        party=client,
        decision="approve",
        comment="Traffic plan agreed with highways.",
        actor=p["cora"],
        decided_on=d(-124),
    )
    gate_decide(
        milestone=site,
        party=pm,
        decision="approve",
        comment="F10 notice filed.",
        actor=p["pat"],
        decided_on=d(-122),
    )
    foundations = _deliverable(
        contract,
        p["sam"],
        p["sid"],
        contractor,
        client,
        "Foundations complete",
        d(-45),
        "Piling and ground beams signed off by the structural engineer.",
        critical=True,
    )
    structure = _deliverable(
        contract,
        p["sam"],
        p["sid"],
        contractor,
        client,
        "Structure topped out",
        d(3),
        "Frame and roof deck complete; engineer's certificate issued.",
        critical=True,
    )
    completion = _deliverable(
        contract,
        p["sam"],
        p["sam"],
        contractor,
        client,
        "Practical completion",
        d(200),
        "Certificate of practical completion issued by the employer's agent.",
        critical=True,
    )
    drainage = _deliverable(
        contract,
        p["sam"],
        p["sid"],
        contractor,
        client,
        "Drainage survey report",
        d(-5),
        "CCTV survey of existing drains with a condition report.",
    )
    fitout = gate_create(
        contract=contract,
        title="Fit-out stage gate",
        owner=p["pat"],
        responsible_party=pm,
        due_date=d(60),
        required_parties=[client, pm, contractor],
        acceptance_criteria="Weathertight envelope, M&E first fix inspected, fit-out programme agreed.",
        actor=p["pat"],
    )
    for before, after in [
        (site, foundations),
        (foundations, structure),
        (structure, fitout),
        (fitout, completion),
    ]:
        dependency_add(predecessor=before, successor=after, actor=p["sam"])
    deliverable_accept(
        milestone=foundations,
        comment="Engineer's certificate FC-07 received.",
        actor=p["cora"],
        met_on=d(-40),
    )
    pay_foundation = payment_milestone_create(
        contract=contract,
        title="Foundation payment (30%)",
        owner=p["cora"],
        due_date=d(-10),
        payer=client,
        payee=contractor,
        trigger=foundations,
        percentage="30",
        retention_percent="5",
        actor=p["cora"],
    )
    payment_record_invoice(
        milestone=pay_foundation, invoiced_on=d(-38), amount="1440000.00", actor=p["sam"]
    )
    payment_record_paid(
        milestone=pay_foundation, paid_on=d(-12), amount="1368000.00", actor=p["cora"]
    )
    payment_milestone_create(
        contract=contract,
        title="Structure payment (40%)",
        owner=p["cora"],
        due_date=d(40),
        payer=client,
        payee=contractor,
        trigger=structure,
        percentage="40",
        retention_percent="5",
        actor=p["cora"],
    )
    pay_completion = payment_milestone_create(
        contract=contract,
        title="Completion payment (30%)",
        owner=p["cora"],
        due_date=d(230),
        payer=client,
        payee=contractor,
        trigger=completion,
        percentage="30",
        retention_percent="5",
        actor=p["cora"],
        criticality=Criticality.CRITICAL,
    )
    # The programme as signed, to measure every later slip against.
    baseline_create(contract=contract, name="Accepted programme v1", actor=p["cora"])
    # The contract fixes practical completion; the completion payment falls 14 days after it.
    milestone_pin(milestone=completion, pinned=True, actor=p["cora"])
    milestone_anchor_set(milestone=pay_completion, anchor=completion, offset=14, actor=p["cora"])
    # Fit-out follows the frame by a week's working days; the frame's estimate feeds forecasts.
    dependency_update(
        dependency=fitout.predecessor_links.get(), lag=5, working_days=True, actor=p["sam"]
    )
    milestone_plan_set(milestone=structure, estimate=(4, 8, 15), actor=p["sid"])
    # Structure is critical: its new date needed the client's approval.
    change_request_approve(
        change=change_request_submit(
            milestone=structure,
            new_due_date=d(10),
            reason="Steel delivery moved by the fabricator.",
            actor=p["sam"],
        ),
        note="Agreed at the progress meeting.",
        actor=p["cora"],
    )
    status_update_post(
        milestone=structure,
        text="Level 2 slab poured; roof steel arrives next week.",
        progress=40,
        actor=p["sid"],
    )
    status_update_post(
        milestone=drainage,
        text="Survey done; report waiting on CCTV footage review.",
        progress=80,
        actor=p["sid"],
    )
    gate_decide(
        milestone=fitout,
        party=client,
        decision="approve",
        comment="Programme accepted.",
        actor=p["cora"],
    )
    comment_add(
        milestone=fitout, text="Awaiting M&E inspection before we can approve.", actor=p["pat"]
    )
    change_request_submit(
        milestone=completion,
        new_due_date=d(214),
        reason="Wet-weather allowance under clause 2.26: 11 days lost to rain in October.",
        actor=p["sam"],
    )
    early_warning_raise(
        contract=contract,
        title="Steel fabricator capacity",
        description="The fabricator is running two weeks behind on another job.",
        likelihood=3,
        impact=4,
        milestones=[structure, fitout],
        owner=p["sam"],
        mitigation="Second fabricator on standby; weekly capacity call.",
        actor=p["sam"],
    )
    recovery_action_add(
        milestone=drainage,
        cause="CCTV footage review backlog at the survey firm.",
        plan="Review the footage in-house and issue the report with the firm's sign-off.",
        owner=p["sid"],
        new_target=d(7),
        actor=p["sam"],
    )


def _it_services(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, supplier) = _contract(
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
        start_date=_first_of_month(today, 4),
        end_date=d(245),
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_region="ENG",
    )
    module1 = _deliverable(
        contract,
        p["ben"],
        p["lena"],
        supplier,
        client,
        "Module 1: appointments",
        d(-60),
        "All appointment user stories pass UAT scripts; no open P1/P2 defects.",
    )
    module2 = _deliverable(
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
    manual = _deliverable(
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
    start = _first_of_month(today, 3)
    availability = performance_milestone_create(
        contract=contract,
        title="Platform availability ≥ 99.5% monthly",
        owner=p["lena"],
        responsible_party=supplier,
        due_date=_first_of_month(today, -3) - dt.timedelta(days=1),
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
        due_date=_first_of_month(today, -3) - dt.timedelta(days=1),
        kpi_name="P1 response time",
        unit="hours",
        target="4",
        direction=Direction.AT_MOST,
        period=Period.MONTH,
        measurement_start=start,
        actor=p["ben"],
    )
    for months_back, avail, resp in [(3, "99.82", "2.5"), (2, "99.91", "3.1"), (1, "99.31", "4.6")]:
        period = _first_of_month(today, months_back)
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


def _consulting(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, adviser) = _contract(
        orgs["meridian-health-trust"],
        p["maya"],
        [
            (orgs["meridian-health-trust"], PartyRole.CLIENT),
            (orgs["fenwick-advisory"], PartyRole.SUPPLIER),
        ],
        reference="MHT-ADV-2026-03",
        title="Digital strategy review (six weeks)",
        value=Decimal("60000.00"),
        currency="GBP",
        start_date=d(-21),
        end_date=d(21),
        time_zone="Europe/London",
        holiday_country="GB",
        holiday_region="ENG",
    )
    interviews = _deliverable(
        contract,
        p["maya"],
        p["fay"],
        adviser,
        client,
        "Discovery interviews summary",
        d(-7),
        "Summary of 20 stakeholder interviews with themes and evidence.",
    )
    draft = _deliverable(
        contract,
        p["maya"],
        p["fay"],
        adviser,
        client,
        "Draft strategy report",
        d(7),
        "Draft covering options, costs and a roadmap, circulated to the board sponsor.",
    )
    final = _deliverable(
        contract,
        p["maya"],
        p["fay"],
        adviser,
        client,
        "Final report and board presentation",
        d(20),
        "Final report accepted and presented to the Trust board.",
        critical=True,
    )
    dependency_add(predecessor=interviews, successor=draft, actor=p["maya"])
    dependency_add(predecessor=draft, successor=final, actor=p["maya"])
    deliverable_accept(
        milestone=interviews, comment="Clear and well evidenced.", actor=p["maya"], met_on=d(-6)
    )
    status_update_post(
        milestone=draft,
        text="Options analysis under way; costings pending.",
        progress=30,
        actor=p["fay"],
    )
    for milestone, title in (
        (draft, "Draft report payment (50%)"),
        (final, "Final report payment (50%)"),
    ):
        payment_milestone_create(
            contract=contract,
            title=title,
            owner=p["maya"],
            due_date=milestone.due_date + dt.timedelta(days=14),
            payer=client,
            payee=adviser,
            trigger=milestone,
            percentage="50",
            actor=p["maya"],
        )
