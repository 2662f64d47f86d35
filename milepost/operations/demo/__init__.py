"""Realistic demo contracts, dated relative to today, built only through the services.

The people and organisations are here; each contract is seeded by its own module
(`construction`, `interim`, `it_services`, `consulting`) from the pieces in `builders`.
"""

from dataclasses import dataclass

from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.models import Organisation, User
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.alerts.inbox import watch_add
from milepost.alerts.rules import reminder_rule_set
from milepost.contracts.models import Contract
from milepost.core.dates import local_today
from milepost.schedule.forecasts import contracts_to_forecast, forecast_run

from . import actions, construction, consulting, interim, it_services, reports, update_requests
from . import programme as programme_demo
from . import templates as template_demo

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
    # What the demo loaded: counted, so that the command says what is there.
    contracts: int = 0
    organisations: int = 0


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
    return DemoResult(
        created=True,
        logins=demo_logins(),
        contracts=Contract.objects.count(),
        organisations=len(ORGANISATIONS),
    )


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
    construction.seed(orgs, people, today)
    interim.seed(orgs, people, today)
    it_services.seed(orgs, people, today)
    consulting.seed(orgs, people, today)
    programme_demo.seed(orgs, people, today)
    template_demo.seed(orgs, people, today)
    _alerts(orgs, people)
    update_requests.seed(people)
    actions.seed(people)
    # A first forecast of each active contract, seeded so that every demo shows the same one.
    for seed, contract in enumerate(contracts_to_forecast(), start=1):
        forecast_run(contract=contract, actor=None, seed=seed)
    reports.seed(people)


def _alerts(orgs: dict[str, Organisation], p: dict[str, User]) -> None:
    """Who watches what, and the council's own reminder rule (others keep the default)."""
    for username, reference in (
        ("cora", "HCC-2026-014"),
        ("cora", "HCC-2026-022"),
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
