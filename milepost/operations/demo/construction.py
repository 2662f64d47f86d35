"""The construction demo: Harbour City Council's library extension (HCC-2026-014)."""

import datetime as dt
from decimal import Decimal

from milepost.accounts.models import Organisation, User
from milepost.approvals.services import gate_create, gate_decide
from milepost.contracts.choices import PartyRole
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.baselines import baseline_create
from milepost.schedule.changes import change_request_approve, change_request_submit
from milepost.schedule.choices import Criticality
from milepost.schedule.dependencies import dependency_add, dependency_update
from milepost.schedule.planning import milestone_anchor_set, milestone_pin, milestone_plan_set
from milepost.schedule.records import comment_add, status_update_post
from milepost.schedule.risks.early_warnings import early_warning_raise
from milepost.schedule.risks.recovery import recovery_action_add

from . import agreement_review, communications
from .builders import active_contract, deliverable


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, contractor, pm) = active_contract(
        orgs["harbour-city-council"],
        p["cora"],
        [
            (orgs["harbour-city-council"], PartyRole.CLIENT),
            (orgs["northgate-construction"], PartyRole.SUPPLIER),
            (orgs["arden-project-management"], PartyRole.CONSULTANT),
        ],
        reference="HCC-2026-014",
        title="Harbour Library extension (NEC4 ECC)",
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
    foundations = deliverable(
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
    structure = deliverable(
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
    completion = deliverable(
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
    drainage = deliverable(
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
    # The signed agreement, uploaded and reviewed: its clauses cited on the milestones above.
    agreement_review.seed(contract, p["cora"], today)
    # The contract's clock: its compensation events and a programme awaiting acceptance.
    communications.seed(contract, pm, p, today, fitout)
