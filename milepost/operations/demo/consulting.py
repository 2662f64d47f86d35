"""The consulting demo: Meridian Health Trust's digital strategy review (MHT-ADV-2026-03)."""

import datetime as dt
from decimal import Decimal

from milepost.accounts.models import Organisation, User
from milepost.contracts.choices import PartyRole
from milepost.payments.services import payment_milestone_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.records import status_update_post

from .builders import active_contract, deliverable


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract, (client, adviser) = active_contract(
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
    interviews = deliverable(
        contract,
        p["maya"],
        p["fay"],
        adviser,
        client,
        "Discovery interviews summary",
        d(-7),
        "Summary of 20 stakeholder interviews with themes and evidence.",
    )
    draft = deliverable(
        contract,
        p["maya"],
        p["fay"],
        adviser,
        client,
        "Draft strategy report",
        d(7),
        "Draft covering options, costs and a roadmap, circulated to the board sponsor.",
    )
    final = deliverable(
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
