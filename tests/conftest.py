"""Shared fixtures: a realistic three-party contract and people in every role."""

import copy
import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from milepost.accounts.choices import Role
from milepost.accounts.models import Organisation, User
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.services import (
    contract_create,
    contract_set_status,
    contract_update,
    party_add,
)
from milepost.core.dates import local_today
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_create

from .peers import Inbox, smtp_server

# MILEPOST_TEST_TODAY=YYYY-MM-DD runs the session, and the processes it starts, on that day.
pytest_plugins = ["milepost.testing.clock"]

# The shared helpers assert; have pytest explain their failures as it does a test's own.
pytest.register_assert_rewrite("tests.helpers")

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    """An active construction contract between a client, a supplier and a consultant."""

    today: dt.date
    client_org: Organisation
    supplier_org: Organisation
    consultant_org: Organisation
    outsider_org: Organisation
    client_manager: User
    client_member: User
    client_viewer: User
    supplier_manager: User
    supplier_member: User
    supplier_viewer: User
    consultant_manager: User
    outsider: User
    contract: Contract
    client: Party
    supplier: Party
    consultant: Party

    def deliverable(self, title: str = "Foundation complete", **overrides: object) -> Milestone:
        """Create a deliverable owned by the supplier member and accepted by the client."""
        fields: dict[str, object] = {
            "contract": self.contract,
            "kind": MilestoneKind.DELIVERABLE,
            "title": title,
            "owner": self.supplier_member,
            "responsible_party": self.supplier,
            "accepting_party": self.client,
            "due_date": self.today + dt.timedelta(days=30),
            "acceptance_criteria": "Engineer's inspection certificate signed.",
            "actor": self.supplier_manager,
        }
        fields.update(overrides)
        return milestone_create(**fields)  # type: ignore[arg-type]

    def other_contract(
        self, *, with_supplier: bool = True, active: bool = False, **overrides: object
    ) -> Contract:
        """Create a second contract of the client's, a draft unless ``active``.

        The supplier is a party to it too unless ``with_supplier`` is false.
        """
        fields: dict[str, object] = {
            "organisation": self.client_org,
            "party_role": PartyRole.CLIENT,
            "reference": "HCC-2026-002",
            "title": "Harbour car park resurfacing",
            "value": Decimal("250000.00"),
            "currency": "GBP",
            "start_date": self.today - dt.timedelta(days=30),
            "end_date": self.today + dt.timedelta(days=200),
            "actor": self.client_manager,
        }
        fields.update(overrides)
        contract = contract_create(**fields)  # type: ignore[arg-type]
        if with_supplier:
            party_add(
                contract=contract,
                organisation=self.supplier_org,
                role=PartyRole.SUPPLIER,
                actor=self.client_manager,
            )
        if active:
            contract_set_status(
                contract=contract, status=ContractStatus.ACTIVE, actor=self.client_manager
            )
        return contract


def make_user(username: str, org: Organisation, role: str) -> User:
    user = user_create(
        username=username, password=PASSWORD, email=f"{username}@example.test", actor=None
    )
    membership_set(user=user, organisation=org, role=role, actor=None)
    return user


@pytest.fixture
def world(request: pytest.FixtureRequest, db: None) -> World:
    """The world, built today: a copy of the module's kept world when there is one."""
    kept = _kept.world_for(request.node)
    return copy.deepcopy(kept) if kept is not None else build_world()


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller]:
    """Hold the clock still at the test module's ``START`` for the whole test.

    A module whose every test runs at that moment says ``pytestmark = usefixtures("clock")``.
    """
    with time_machine.travel(request.module.START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def w(request: pytest.FixtureRequest, db: None, clock: time_machine.Traveller) -> World:
    """Build the world at the module's ``START``, on its ``HOLIDAY_REGION`` calendar if any."""
    kept = _kept.world_for(request.node)
    return copy.deepcopy(kept) if kept is not None else build_w(request.module)


def build_w(module: Any) -> World:
    """Build the world for the ``w`` fixture; the caller holds the clock at ``module.START``."""
    world = build_world()
    region = getattr(module, "HOLIDAY_REGION", "")
    if region:
        contract_update(contract=world.contract, holiday_region=region, actor=world.client_manager)
    return world


class KeptWorld:
    """One world built per module and kept, as Django's ``setUpTestData`` keeps its data.

    Building the world takes about 50 ms of the typical test's 150. Instead, the first test of a
    module that asks for ``world`` (or ``w``) builds it inside a transaction that stays open, and
    each test runs in a savepoint inside that transaction (pytest-django's ``db``) and gets a deep
    copy of the kept objects: the rows and the objects each test sees are exactly those of a
    freshly built world, and whatever the test changes is rolled back. The transaction is
    rolled back before a test that needs another world, none, or a transaction of its own
    (``transaction=True``, ``transactional_db``, ``live_server``) and at the module's end.

    A test that holds the module's ``clock`` before it asks for ``world`` (a module's
    ``usefixtures("clock")`` comes first) is given a world kept from ``START``. A world is built
    afresh, as before, for one that asks for ``world`` before ``clock`` (the world is then
    built on the real day and the clock moved after), and in a module with a module- or class-scoped
    fixture that opens the database itself (it keeps its own transaction, as tests/
    test_api_matrix.py does). ``MILEPOST_TEST_FRESH_WORLD=1`` builds every world afresh.
    """

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.world: World | None = None
        # The test the kept world was settled for (its own fixture then takes it).
        self.nodeid = ""
        self.atomic: Any = None
        self.blocker: Any = None

    @staticmethod
    def wanted(item: pytest.Item) -> tuple[Any, ...] | None:
        """What world ``item`` would be given from a kept one, or None for a fresh build."""
        if os.environ.get("MILEPOST_TEST_FRESH_WORLD") == "1":
            return None
        names = list(getattr(item, "fixturenames", ()))
        if set(names) & {"transactional_db", "live_server", "django_db_reset_sequences"}:
            return None
        if "django_db_serialized_rollback" in names:
            return None
        marker = item.get_closest_marker("django_db")
        if marker is not None and (
            marker.kwargs.get("transaction")
            or marker.kwargs.get("reset_sequences")
            or marker.kwargs.get("serialized_rollback")
            or (marker.args and marker.args[0])
        ):
            return None
        module = getattr(item, "module", None)
        if module is None or _opens_the_database_itself(item):
            return None
        if "world" in names and "w" not in names and "clock" not in names:
            return (module.__name__, "world", local_today("Europe/London"))
        if "world" in names and "w" not in names and _clock_first(item, names):
            # The module holds the clock (``usefixtures("clock")``) before the world is built,
            # so the world is built at ``START``, as ``w`` builds it but on no holiday calendar.
            return (module.__name__, "world at START", module.START)
        if "w" in names and "world" not in names:
            return (module.__name__, "w", module.START, getattr(module, "HOLIDAY_REGION", ""))
        return None

    def settle(self, request: pytest.FixtureRequest) -> None:
        """Before a test's database setup: keep the world it wants, dropping any other."""
        wanted = self.wanted(request.node)
        if wanted != self.key:
            self.close()
        self.nodeid = request.node.nodeid if wanted is not None else ""
        if wanted is None or wanted == self.key:
            return
        self.blocker = request.getfixturevalue("django_db_blocker")
        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            # As Django's TestCase marks its own: durable blocks inside are still allowed.
            self.atomic._from_testcase = True
            self.atomic.__enter__()
            self.key = wanted
        try:
            module = request.node.module  # type: ignore[attr-defined]
            if wanted[1] == "w":
                with self.blocker.unblock(), time_machine.travel(module.START, tick=False):
                    self.world = build_w(module)
            elif wanted[1] == "world at START":
                with self.blocker.unblock(), time_machine.travel(module.START, tick=False):
                    self.world = build_world()
            else:
                with self.blocker.unblock():
                    self.world = build_world()
        except BaseException:
            self.close()
            raise

    def world_for(self, item: pytest.Item) -> World | None:
        """The kept world for ``item``, if one was settled for it, else None."""
        return self.world if self.key is not None and self.nodeid == item.nodeid else None

    def close(self) -> None:
        if self.atomic is None:
            return
        atomic, self.atomic, self.key, self.world, self.nodeid = self.atomic, None, None, None, ""
        with self.blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


_kept = KeptWorld()


def _clock_first(item: pytest.Item, names: list[str]) -> bool:
    """Whether ``item`` holds this file's ``clock`` still before its ``world`` is built."""
    return (
        "clock" in names
        and names.index("clock") < names.index("world")
        and _held_still_throughout(item)
    )


def _opens_the_database_itself(item: pytest.Item) -> bool:
    """Whether a module- or class-scoped fixture of ``item`` uses the database (see KeptWorld)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for defs in info.name2fixturedefs.values():
        for fixturedef in defs:
            if getattr(fixturedef.func, "__module__", "").startswith("pytest_django"):
                continue  # its class-scoped unittest helper opens nothing for a test function
            if fixturedef.scope in ("module", "class", "package") and {
                "django_db_blocker",
                "django_db_setup",
            } & set(fixturedef.argnames):
                return True
    return False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--day-dependent-only",
        action="store_true",
        help="Leave out the tests that hold the clock at their module's START from their start: "
        "they run at that moment whatever the day (make test's day runs).",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--day-dependent-only"):
        return
    held = [item for item in items if _held_still_throughout(item)]
    if held:
        config.hook.pytest_deselected(items=held)
        kept = set(items) - set(held)
        items[:] = [item for item in items if item in kept]


def _held_still_throughout(item: pytest.Item) -> bool:
    """Whether everything of ``item``'s that could read the time runs with ``clock`` held.

    That is this file's ``clock`` fixture (directly, through ``w`` or ``usefixtures``), and
    each of the suite's own fixtures that pytest sets up before it depends on it in turn, so
    its body runs after the clock is held: none can build anything from the real day.
    Fixtures from pytest and its plugins read no day.
    """
    names = list(getattr(item, "fixturenames", ()))
    info = getattr(item, "_fixtureinfo", None)
    if info is None or "clock" not in names or not hasattr(getattr(item, "module", None), "START"):
        return False
    defs = info.name2fixturedefs

    def ours(name: str) -> bool:
        func = defs[name][-1].func if defs.get(name) else None
        return getattr(func, "__module__", "").split(".")[0] == "tests"

    def after_clock(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "clock":
            return True
        if name in seen or not defs.get(name):
            return False
        return any(after_clock(arg, seen | {name}) for arg in defs[name][-1].argnames)

    clock = defs["clock"][-1].func
    if getattr(clock, "__module__", "") != __name__ or clock.__name__ != "clock":
        return False
    return all(after_clock(name) for name in names[: names.index("clock")] if ours(name))


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> None:
    # pytest-django's helper opens the test's own transaction next: the kept world goes under it.
    if fixturedef.argname == "_django_db_helper":
        _kept.settle(request)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield
    if nextitem is None or getattr(nextitem, "module", None) is not getattr(item, "module", None):
        _kept.close()
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    _kept.close()


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """Send the test's email to a real SMTP server on loopback and return what it received."""
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 10
        settings.MILEPOST_BASE_URL = "https://milepost.example.test"
        yield handler


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The shared conformance folder (``../shared/conformance`` or ``MILEPOST_CONFORMANCE_DIR``).

    Tests read real files from it in place. Locally its absence skips them with the reason;
    under ``CI=true`` it fails them.
    """
    default = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
    folder = Path(os.environ.get("MILEPOST_CONFORMANCE_DIR", default))
    if not folder.is_dir():
        reason = f"The conformance folder {folder} is absent (set MILEPOST_CONFORMANCE_DIR)."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return folder


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    """Sign the test's ``client`` in as a user with their password, signing out whoever was in."""

    def as_user(user: User) -> Client:
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return as_user


def build_world() -> World:
    """Create the contract, its parties and their people; the caller provides the database."""
    client_org = organisation_create(name="Harbour City Council", actor=None)
    supplier_org = organisation_create(name="Northgate Construction", actor=None)
    consultant_org = organisation_create(name="Arden Project Management", actor=None)
    outsider_org = organisation_create(name="Unrelated Holdings", actor=None)
    users = {
        "client_manager": make_user("cora", client_org, Role.MANAGER),
        "client_member": make_user("colin", client_org, Role.MEMBER),
        "client_viewer": make_user("cleo", client_org, Role.VIEWER),
        "supplier_manager": make_user("sam", supplier_org, Role.MANAGER),
        "supplier_member": make_user("sid", supplier_org, Role.MEMBER),
        "supplier_viewer": make_user("sue", supplier_org, Role.VIEWER),
        "consultant_manager": make_user("connor", consultant_org, Role.MANAGER),
        "outsider": make_user("otto", outsider_org, Role.ADMIN),
    }
    today = local_today("Europe/London")
    contract = contract_create(
        organisation=client_org,
        party_role=PartyRole.CLIENT,
        reference="HCC-2026-001",
        title="Harbour library extension",
        value=Decimal("1000000.00"),
        currency="GBP",
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=300),
        actor=users["client_manager"],
    )
    client = contract.parties.get()
    supplier = party_add(
        contract=contract,
        organisation=supplier_org,
        role=PartyRole.SUPPLIER,
        actor=users["client_manager"],
    )
    consultant = party_add(
        contract=contract,
        organisation=consultant_org,
        role=PartyRole.CONSULTANT,
        actor=users["client_manager"],
    )
    contract_set_status(
        contract=contract, status=ContractStatus.ACTIVE, actor=users["client_manager"]
    )
    return World(
        today=today,
        client_org=client_org,
        supplier_org=supplier_org,
        consultant_org=consultant_org,
        outsider_org=outsider_org,
        contract=contract,
        client=client,
        supplier=supplier,
        consultant=consultant,
        **users,
    )
