"""Generate a realistic portfolio of contracts and milestones with bulk inserts.

Used by ``api_bench.py``; Django must be set up before ``load_dataset`` is called.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from milepost.accounts.models import User

SUPPLIER_STEMS = [
    "Northgate", "Blueframe", "Kestrel", "Ashdown", "Meridian", "Orchard", "Tamar", "Corvid",
    "Lowther", "Saxby", "Penrose", "Fairlight", "Brockwell", "Greyfriars", "Holloway", "Ingram",
]  # fmt: skip
SUPPLIER_TRADES = ["Construction Ltd", "Software Ltd", "Engineering", "Facilities plc", "Systems"]
CONSULTANTS = ["Arden Project Management", "Fenwick Advisory LLP", "Calder Cost Consultants",
               "Marlow Assurance", "Wexcombe Surveyors", "Quarry Hill Partners"]  # fmt: skip
OTHER_CLIENTS = ["Meridian Health Trust", "Eastshire County Council", "Riverside Schools Trust",
                 "Port Authority of Harbour", "Northern Water"]  # fmt: skip
VERBS = ["Deliver", "Install", "Commission", "Hand over", "Complete", "Approve", "Migrate", "Test"]
THINGS = ["foundations", "steel frame", "roof envelope", "data platform", "payroll interface",
          "fire strategy", "user acceptance tests", "as-built drawings", "training plan",
          "service desk", "network cut-over", "landscaping", "lift installation", "BIM model"]  # fmt: skip
CRITERIA = [
    "Engineer's inspection certificate signed.",
    "Test report with no open severity-1 defects.",
    "Client representative signs the handover form.",
    "Documentation uploaded and reviewed by the project manager.",
]
ZONES = [("Europe/London", "GB")] * 17 + [("Europe/Dublin", "IE"), ("America/New_York", "US"),
                                          ("Australia/Sydney", "AU")]  # fmt: skip


@dataclass
class LoadStats:
    """What the loader made, and how long it took."""

    seconds: float = 0.0
    rows: Counter[str] = field(default_factory=Counter)


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` uneven counts of at least one that add up exactly."""
    weights = [rng.uniform(0.3, 1.7) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in rng.sample(range(parts), total - sum(counts)):
        counts[i] += 1
    return counts


def _status(due: dt.date, today: dt.date, rng: random.Random) -> tuple[str, int, dt.date | None]:
    """Pick a plausible status, progress and met-on date for a milestone due on ``due``."""
    roll = rng.random()
    if due < today:
        if roll < 0.70:
            return "met", 100, min(today, due + dt.timedelta(days=rng.randint(-10, 15)))
        if roll < 0.73:
            return "partially_met", 100, min(today, due + dt.timedelta(days=rng.randint(0, 20)))
        if roll < 0.78:
            return "not_met", rng.randint(0, 80), None
        if roll < 0.80:
            return "waived", 0, None
        if roll < 0.82:
            return "cancelled", 0, None
        return rng.choice(["scheduled", "in_progress"]), rng.randint(0, 90), None
    if roll < 0.02:
        return "cancelled", 0, None
    if roll < 0.25:
        return "in_progress", rng.randint(5, 95), None
    return "scheduled", 0, None


def load_dataset(*, milestones: int, contracts: int, seed: int) -> tuple[User, LoadStats]:
    """Fill the database with bulk inserts on the real models; return the benchmark user.

    The benchmark user is a manager at Harbour City Council, the client on nine contracts in ten; the
    rest are between organisations the user cannot see. Every milestone is owned by a member
    of its responsible party. Payment, performance and gate milestones get no terms, KPI or
    gate rows: neither endpoint measured here reads them.
    """
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from milepost.accounts.models import Membership, Organisation, User
    from milepost.contracts.models import Contract, Party
    from milepost.core.dates import local_today
    from milepost.schedule.models import Comment, Dependency, Milestone, StatusUpdate

    rng = random.Random(seed)
    stats = LoadStats()
    started = time.perf_counter()
    today = local_today("Europe/London")
    password = make_password(None)  # unusable; hashing a real one per user would dominate

    def bulk(model: Any, objs: list[Any]) -> list[Any]:
        stats.rows[model._meta.verbose_name_plural] += len(objs)
        return list(model.objects.bulk_create(objs, batch_size=2000))

    with transaction.atomic():
        names = ["Harbour City Council", *OTHER_CLIENTS, *CONSULTANTS] + [
            f"{stem} {trade}" for stem in SUPPLIER_STEMS for trade in SUPPLIER_TRADES[:3]
        ]
        orgs = bulk(
            Organisation,
            [
                Organisation(name=n, slug=f"org-{i}-{n.lower()[:40]}".replace(" ", "-"))
                for i, n in enumerate(names)
            ],
        )
        council, others = orgs[0], orgs[1 : 1 + len(OTHER_CLIENTS)]
        consultants = orgs[1 + len(OTHER_CLIENTS) : 1 + len(OTHER_CLIENTS) + len(CONSULTANTS)]
        suppliers = orgs[1 + len(OTHER_CLIENTS) + len(CONSULTANTS) :]

        # Six people per organisation (twelve at the council), the benchmark user first.
        roles = ["admin", "manager", "manager", "member", "member", "viewer"]
        people: list[tuple[User, Organisation, str]] = [
            (User(username="bench", first_name="Bench", last_name="Mark"), council, "manager")
        ]
        for org in orgs:
            for n, role in enumerate(roles * (2 if org is council else 1)):
                people.append((User(username=f"u{org.pk}-{n}", last_name=org.name), org, role))
        for user, _, _ in people:
            user.password = password
        users = bulk(User, [u for u, _, _ in people])
        bulk(
            Membership,
            [
                Membership(user=u, organisation=o, role=r)
                for u, (_, o, r) in zip(users, people, strict=True)
            ],
        )
        owners: dict[int, list[User]] = {}
        for u, (_, org, role) in zip(users, people, strict=True):
            if role != "viewer":
                owners.setdefault(org.pk, []).append(u)
        bench_user = users[0]

        counts = _spread(milestones, contracts, rng)
        for first in range(0, contracts, 100):
            block = range(first, min(first + 100, contracts))
            made: list[tuple[Contract, Organisation, Organisation, Organisation | None]] = []
            for i in block:
                client = council if rng.random() < 0.9 else rng.choice(others)
                supplier = rng.choice(suppliers)
                consultant = rng.choice(consultants) if rng.random() < 0.2 else None
                start = today + dt.timedelta(days=rng.randint(-450, 90))
                zone, country = rng.choice(ZONES)
                contract = Contract(
                    owner=client,
                    reference=f"C-{i + 1:05d}",
                    title=f"{rng.choice(THINGS).capitalize()} programme {i + 1}",
                    value=rng.randint(50, 20_000) * 1000,
                    currency="GBP",
                    start_date=start,
                    end_date=start + dt.timedelta(days=rng.randint(120, 540)),
                    time_zone=zone,
                    holiday_country=country,
                    status="active",
                )
                made.append((contract, client, supplier, consultant))
            bulk(Contract, [c for c, _, _, _ in made])
            parties: list[Party] = []
            for contract, client, supplier, consultant in made:
                parties += [
                    Party(contract=contract, organisation=client, role="client"),
                    Party(contract=contract, organisation=supplier, role="supplier"),
                ]
                if consultant is not None:
                    parties.append(
                        Party(contract=contract, organisation=consultant, role="consultant")
                    )
            bulk(Party, parties)
            by_contract: dict[int, list[Party]] = {}
            for party in parties:
                by_contract.setdefault(party.contract_id, []).append(party)

            rows: list[Milestone] = []
            for (contract, *_), i in zip(made, block, strict=True):
                client_p, supplier_p, *extra = by_contract[contract.pk]
                span = (contract.end_date - contract.start_date).days
                dues = sorted(
                    contract.start_date + dt.timedelta(days=rng.randint(0, span))
                    for _ in range(counts[i])
                )
                for due in dues:
                    kind = rng.choices(
                        ["deliverable", "payment", "performance", "gate"], [80, 10, 5, 5]
                    )[0]
                    accepting: Party | None = None
                    if kind == "deliverable":
                        weights = [85, 15, 10][: 2 + len(extra)]
                        by = rng.choices([supplier_p, client_p, *extra], weights)[0]
                        accepting = supplier_p if by is client_p else client_p
                    else:
                        by = supplier_p if kind == "performance" else client_p
                    status, progress, met_on = _status(due, today, rng)
                    open_ = status in ("scheduled", "in_progress")
                    slip = 0 if rng.random() < 0.65 else rng.randint(-10, 60)
                    rows.append(
                        Milestone(
                            contract=contract,
                            kind=kind,
                            title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
                            description="" if rng.random() < 0.5 else "See the works information.",
                            owner=rng.choice(owners[by.organisation_id]),
                            responsible_party=by,
                            accepting_party=accepting,
                            criticality="critical" if rng.random() < 0.15 else "standard",
                            acceptance_criteria=rng.choice(CRITERIA),
                            baseline_due_date=due - dt.timedelta(days=slip),
                            due_date=due,
                            forecast_date=(
                                due + dt.timedelta(days=rng.randint(-5, 30))
                                if open_ and rng.random() < 0.25
                                else None
                            ),
                            risk_note=(
                                "Missed last period's target."
                                if kind == "performance" and open_ and rng.random() < 0.1
                                else ""
                            ),
                            progress=progress,
                            status=status,
                            met_on=met_on,
                        )
                    )
            bulk(Milestone, rows)

            links: list[Dependency] = []
            updates: list[StatusUpdate] = []
            comments: list[Comment] = []
            for prev, m in itertools.pairwise(rows):
                if prev.contract_id == m.contract_id and rng.random() < 0.35:
                    links.append(Dependency(predecessor=prev, successor=m))
            for m in rows:
                if m.status in ("in_progress", "met") and rng.random() < 0.4:
                    updates += [
                        StatusUpdate(milestone=m, author=m.owner, text="On site as planned.")
                        for _ in range(rng.randint(1, 2))
                    ]
                if rng.random() < 0.1:
                    comments.append(Comment(milestone=m, author=m.owner, text="Noted, thanks."))
            bulk(Dependency, links)
            bulk(StatusUpdate, updates)
            bulk(Comment, comments)
    stats.seconds = time.perf_counter() - started
    return bench_user, stats


def analyze() -> None:
    """Gather SQLite's table statistics for the query planner."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
