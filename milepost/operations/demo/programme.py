"""The programme demo: a seawall repair contract whose milestones came from the contractor's
Microsoft Project programme (MSPDI XML, written here since the demo reads no outside file)."""

import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

from milepost.accounts.models import Organisation, User
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.interchange.programmes.services import programme_apply, programme_preview
from milepost.interchange.uploads import Upload

# uid, name, working days, milestone, predecessors (uid, lag in working days)
PLAN: list[tuple[int, str, int, bool, list[tuple[int, int]]]] = [
    (1, "Contract award and site access", 0, True, []),
    (2, "Temporary works and cofferdam", 15, False, [(1, 0)]),
    (3, "Cofferdam complete", 0, True, [(2, 0)]),
    (4, "Break out damaged wall", 10, False, [(3, 0)]),
    (5, "Precast units delivered", 0, True, [(3, 10)]),
    (6, "Place precast units and grout", 20, False, [(4, 0), (5, 0)]),
    (7, "Wall structurally complete", 0, True, [(6, 2)]),
    (8, "Reinstate promenade", 10, False, [(7, 0)]),
    (9, "Practical completion", 0, True, [(8, 0)]),
]


def _working_day(start: dt.date, days: int) -> dt.date:
    day = start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    for _ in range(days):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def mspdi(start: dt.date) -> bytes:
    """The plan as Microsoft Project would save it: forward-scheduled from ``start``."""
    finish: dict[int, dt.date] = {}
    tasks = []
    for uid, name, days, milestone, before in PLAN:
        begin = max(
            [_working_day(finish[p], lag + (1 if PLAN[p - 1][2] else 0)) for p, lag in before]
            or [start]
        )
        end = _working_day(begin, max(days - 1, 0))
        finish[uid] = end
        links = "".join(
            f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>1</Type>"
            f"<LinkLag>{lag * 4800}</LinkLag><LagFormat>7</LagFormat></PredecessorLink>"
            for p, lag in before
        )
        tasks.append(
            f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{escape(name)}</Name><WBS>{uid}</WBS>"
            f"<OutlineLevel>1</OutlineLevel><Start>{begin}T08:00:00</Start>"
            f"<Finish>{end}T17:00:00</Finish><Duration>PT{days * 8}H0M0S</Duration>"
            f"<Milestone>{int(milestone)}</Milestone><Summary>0</Summary>{links}</Task>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Project xmlns="http://schemas.microsoft.com/project"><SaveVersion>14</SaveVersion>'
        "<Title>Seawall repairs programme rev A</Title><CalendarUID>1</CalendarUID>"
        "<Calendars><Calendar><UID>1</UID><Name>Standard</Name></Calendar></Calendars>"
        "<Tasks><Task><UID>0</UID><ID>0</ID><Name>Seawall repairs</Name>"
        "<OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>"
        + "".join(tasks)
        + "</Tasks></Project>"
    ).encode()


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    contract = contract_create(
        organisation=orgs["harbour-city-council"],
        party_role=PartyRole.CLIENT,
        reference="HCC-2027-SEAWALL",
        title="North beach seawall repairs",
        value=Decimal("640000.00"),
        currency="GBP",
        start_date=today - dt.timedelta(days=14),
        end_date=today + dt.timedelta(days=240),
        actor=p["cora"],
    )
    party_add(
        contract=contract,
        organisation=orgs["northgate-construction"],
        role=PartyRole.SUPPLIER,
        actor=p["cora"],
    )
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=p["cora"])
    batch = programme_preview(
        contract=contract,
        upload=Upload("seawall-programme-rev-A.xml", mspdi(today)),
        actor=p["sam"],
    )
    programme_apply(batch=batch, actor=p["sam"], options={**batch.options, "owner": p["sid"].pk})
