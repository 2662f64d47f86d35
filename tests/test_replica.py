"""Read replicas: heavy reads go to a replica, writes and a writer's next reads to the primary.

The first tests check the router's rules on any database, with a replica that is only a name.
The rest (PostgreSQL only, in the PostgreSQL suite) start a real streaming standby of the test
cluster (``pg_basebackup -R`` on another loopback port) and prove the rules on it: routed reads
reach the standby, writes never do, a writer reads their own write, and the pages keep working
when the standby lags or stops.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch

from milepost.accounts import api as accounts_api
from milepost.accounts import services as accounts_services
from milepost.accounts.services import api_token_create, api_token_revoke
from milepost.core.db import health
from milepost.core.db.health import ReplicaHealth
from milepost.core.db.middleware import PIN_COOKIE, api_path
from milepost.core.db.router import ReplicaRouter
from milepost.core.db.routing import routing_scope
from milepost.schedule.models import Milestone

from .conftest import World, build_world

ROOT = Path(__file__).resolve().parent.parent
router = ReplicaRouter()


@pytest.fixture
def named_replica(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A replica that always answers as healthy: the primary's own connection under a name."""
    settings.MILEPOST_DB_REPLICAS = ["replica9"]
    monkeypatch.setattr(health, "pick", lambda: "replica9")
    local = connections._connections  # type: ignore[attr-defined]
    connections["replica9"] = connections["default"]
    yield "replica9"
    delattr(local, "replica9")


def test_without_replicas_the_router_leaves_every_choice_to_django(settings: Any) -> None:
    settings.MILEPOST_DB_REPLICAS = []
    with routing_scope(replica_reads=True):
        assert router.db_for_read(Milestone) is None
        assert router.db_for_write(Milestone) is None
    assert router.allow_relation(object(), object()) is None  # type: ignore[arg-type]


def test_a_marked_request_reads_from_a_healthy_replica(named_replica: str) -> None:
    with routing_scope(replica_reads=True):
        assert router.db_for_read(Milestone) == named_replica


def test_an_unmarked_request_and_code_outside_a_request_read_from_the_primary(
    named_replica: str,
) -> None:
    with routing_scope(replica_reads=False):
        assert router.db_for_read(Milestone) == "default"
    assert router.db_for_read(Milestone) == "default"


def test_a_write_goes_to_the_primary_and_the_request_then_reads_from_it(
    named_replica: str,
) -> None:
    with routing_scope(replica_reads=True) as state:
        assert router.db_for_write(Milestone) == "default"
        assert state.wrote
        assert router.db_for_read(Milestone) == "default"


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_goes_to_the_primary(named_replica: str) -> None:
    with routing_scope(replica_reads=True):
        with transaction.atomic():
            assert router.db_for_read(Milestone) == "default"
        assert router.db_for_read(Milestone) == named_replica


def test_no_healthy_replica_means_the_primary(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MILEPOST_DB_REPLICAS = ["replica9"]
    monkeypatch.setattr(health, "pick", lambda: None)
    with routing_scope(replica_reads=True):
        assert router.db_for_read(Milestone) == "default"


def test_a_replica_too_far_behind_or_not_answering_takes_no_reads(settings: Any) -> None:
    settings.MILEPOST_REPLICA_MAX_LAG_SECONDS = 5
    assert ReplicaHealth(alias="r", lag=4.9).usable
    assert not ReplicaHealth(alias="r", lag=5.1).usable
    assert "over the 5 s limit" in ReplicaHealth(alias="r", lag=5.1).describe()
    assert not ReplicaHealth(alias="r", lag=None).usable
    down = ReplicaHealth(alias="r", lag=None, error="connection refused")
    assert not down.usable
    assert down.describe().startswith("not answering (connection refused)")


def test_replicas_take_turns(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MILEPOST_DB_REPLICAS = ["replica1", "replica2"]
    monkeypatch.setattr(health, "health", lambda alias: ReplicaHealth(alias=alias, lag=0.0))
    assert {health.pick() for _ in range(4)} == {"replica1", "replica2"}


def test_while_one_thread_measures_a_replica_the_others_use_the_last_measure(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A replica that is down can take seconds to refuse a connection: the other threads of
    # the process go on with what was known (and with the primary when nothing was) instead
    # of queueing behind the one that measures.
    settings.MILEPOST_REPLICA_CHECK_SECONDS = 5
    measured: list[str] = []
    monkeypatch.setattr(health, "measure", lambda alias: measured.append(alias))
    monkeypatch.setattr(health, "_known", {})
    stale = ReplicaHealth(alias="replica1", lag=0.5, checked_at=time.monotonic() - 60)

    assert health._lock.acquire(blocking=False)
    try:
        assert not health.health("replica1").usable  # nothing known yet: the primary
        health._known["replica1"] = stale
        assert health.health("replica1") is stale
    finally:
        health._lock.release()

    assert measured == []


def test_routes_are_written_as_the_api_reference_writes_them() -> None:
    assert api_path("api/v1/milestones") == "/api/v1/milestones"
    assert (
        api_path("api/v1/contracts/<contract_id>/exports/<table>")
        == "/api/v1/contracts/{contract_id}/exports/{table}"
    )
    assert api_path("milestones/<int:pk>/") == "/milestones/{pk}/"


def test_every_marked_page_and_api_path_exists_and_is_a_read() -> None:
    gets = {
        line.split()[1]
        for line in (ROOT / "tests" / "data" / "api_operations.txt").read_text().splitlines()
        if line.startswith("GET ")
    }
    missing = [p for p in django_settings.MILEPOST_REPLICA_API_PATHS if p not in gets]
    assert not missing, f"not GET operations of the API: {missing}"
    for name in django_settings.MILEPOST_REPLICA_VIEWS:
        try:
            _reverse_any(name)
        except NoReverseMatch:
            pytest.fail(f"no page is named {name}")


def _reverse_any(name: str) -> None:
    from django.urls import reverse

    for args in ([], [1], ["x", "csv"], [1, "csv"], ["token"]):
        try:
            reverse(name, args=args)
            return
        except NoReverseMatch:
            continue
    raise NoReverseMatch(name)


def test_settings_read_replicas_and_pool_sizes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from config.settings.base import database_from_env, replicas_from_env

    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal:5432/milepost")
    monkeypatch.setenv(
        "DATABASE_REPLICA_URL",
        "postgres://app@replica-a:5432/milepost, postgres://app@replica-b:5432/milepost",
    )
    monkeypatch.setenv("MILEPOST_DB_POOL_MAX", "8")
    monkeypatch.setenv("MILEPOST_DB_POOL_MIN", "2")
    primary = database_from_env(tmp_path)
    replicas = replicas_from_env()
    assert primary["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert primary["OPTIONS"] == {"pool": {"min_size": 2, "max_size": 8, "timeout": 10.0}}
    assert list(replicas) == ["replica1", "replica2"]
    assert replicas["replica2"]["HOST"] == "replica-b"
    assert replicas["replica1"]["OPTIONS"]["connect_timeout"] == 2  # type: ignore[index]

    monkeypatch.setenv("MILEPOST_DB_POOL_MAX", "0")
    assert "pool" not in dict(database_from_env(tmp_path).get("OPTIONS") or {})  # type: ignore[call-overload]
    assert database_from_env(tmp_path)["CONN_MAX_AGE"] == 60


def test_replicas_without_a_postgresql_primary_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from config.settings.base import replicas_from_env

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://app@replica-a/milepost")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        replicas_from_env()


@contextlib.contextmanager
def routes_recorded() -> Iterator[list[str]]:
    """Record the router's choice for each read; the name-only replica's reads run on the
    primary."""
    routed: list[str] = []
    real_read = ReplicaRouter.db_for_read

    def spy(self: ReplicaRouter, model: Any, **hints: Any) -> str | None:
        routed.append(str(real_read(self, model, **hints)))
        return "default"

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ReplicaRouter, "db_for_read", spy)
        yield routed


@pytest.mark.django_db
def test_a_write_pins_the_person_to_the_primary_for_a_while(
    named_replica: str, settings: Any, login: Callable[..., Client], world: World
) -> None:
    # Given a signed-in manager, and reads a replica would take
    settings.MILEPOST_REPLICA_PIN_SECONDS = 10
    client = login(world.client_manager)
    milestone = world.deliverable()
    with (
        time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False) as clock,
        routes_recorded() as routed,
    ):
        # When they post a comment
        answer = client.post(
            f"/api/v1/milestones/{milestone.pk}/comments",
            {"text": "Slab poured."},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        # Then the answer pins them to the primary for the next 10 seconds
        assert answer.cookies[PIN_COOKIE]["max-age"] == 10
        routed.clear()
        assert client.get("/api/v1/milestones").status_code == 200
        assert routed and set(routed) == {"default"}
        # And once the time is up their lists come from the replica again
        clock.shift(11)
        routed.clear()
        assert client.get("/api/v1/milestones").status_code == 200
        assert named_replica in routed


class CookielessClient(Client):
    """An API client that keeps no cookies between requests (a script, an integration)."""

    def request(self, **request: Any) -> Any:
        self.cookies.clear()
        answer = super().request(**request)
        self.cookies.clear()
        return answer


def token_client(user: Any) -> CookielessClient:
    _, raw = api_token_create(user=user, name="integration")
    return CookielessClient(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.django_db
def test_a_write_with_a_token_pins_that_token_to_the_primary_without_a_cookie(
    named_replica: str, settings: Any, world: World
) -> None:
    # Given an integration that sends its token and keeps no cookies, and reads a replica
    # would take
    settings.MILEPOST_REPLICA_PIN_SECONDS = 10
    client = token_client(world.client_manager)
    other = token_client(world.client_manager)
    milestone = world.deliverable()
    with (
        time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False) as clock,
        routes_recorded() as routed,
    ):
        # (each token's first use of the minute notes the time, a write of its own)
        assert other.get("/api/v1/milestones").status_code == 200
        # When it posts a comment
        answer = client.post(
            f"/api/v1/milestones/{milestone.pk}/comments",
            {"text": "Slab poured."},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        # Then no cookie is needed: its next lists come from the primary for 10 seconds
        assert PIN_COOKIE not in answer.cookies
        routed.clear()
        assert client.get("/api/v1/milestones").status_code == 200
        assert routed and set(routed) == {"default"}
        # While another token of the same person, which wrote nothing, reads the replica
        routed.clear()
        assert other.get("/api/v1/milestones").status_code == 200
        assert named_replica in routed
        # And once the time is up its lists come from the replica again
        clock.shift(11)
        routed.clear()
        assert client.get("/api/v1/milestones").status_code == 200
        assert named_replica in routed


@pytest.mark.django_db
def test_a_refused_write_pins_no_one(
    named_replica: str, login: Callable[..., Client], world: World
) -> None:
    # A refused change changed nothing: neither a browser nor a token is kept on the primary.
    milestone = world.deliverable()
    url = f"/api/v1/milestones/{milestone.pk}/comments"
    browser = login(world.client_manager)
    answer = browser.post(url, {"text": ""}, content_type="application/json")
    assert answer.status_code == 422, answer.content
    assert PIN_COOKIE not in answer.cookies
    token, raw = api_token_create(user=world.client_manager, name="integration")
    client = CookielessClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post(url, {"text": ""}, content_type="application/json").status_code == 422
    token.refresh_from_db()
    assert token.primary_until is None


@pytest.mark.django_db
def test_a_pin_that_cannot_be_stored_leaves_the_write_answered(
    named_replica: str, world: World, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    client = token_client(world.client_manager)
    milestone = world.deliverable()

    def refuse(**kwargs: Any) -> None:
        raise DatabaseError("the primary refused the pin")

    monkeypatch.setattr(accounts_services, "api_token_pin", refuse)
    monkeypatch.setattr(accounts_api, "api_token_pin", refuse)
    answer = client.post(
        f"/api/v1/milestones/{milestone.pk}/comments",
        {"text": "Slab poured."},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert milestone.comments.filter(text="Slab poured.").exists()
    assert "could not keep a token's reads on the primary" in caplog.text


@pytest.mark.django_db
def test_without_replicas_no_request_gets_a_cookie(
    settings: Any, login: Callable[..., Client], world: World
) -> None:
    settings.MILEPOST_DB_REPLICAS = []
    client = login(world.client_manager)
    milestone = world.deliverable()
    answer = client.post(
        f"/api/v1/milestones/{milestone.pk}/comments",
        {"text": "Slab poured."},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert PIN_COOKIE not in answer.cookies


# --- A real streaming standby (PostgreSQL) -------------------------------------------------

STANDBY = "standby1"
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a streaming standby needs PostgreSQL"
)


@pytest.fixture(scope="module")
def standby(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """A streaming standby of the test cluster, known to Django as ``standby1``."""
    from milepost.testing.pgcluster import remove_standby, start_standby

    with django_db_blocker.unblock():
        primary = connections["default"].settings_dict
        server = start_standby(host=str(primary["HOST"]), port=int(primary["PORT"]))
        conf = copy.deepcopy(primary)
        conf.update(PORT=str(server.port), CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=False)
        conf["OPTIONS"] = {"application_name": "milepost-replica-test", "connect_timeout": 2}
        # A mirror in Django's eyes: never flushed or created, as a standby can be neither.
        conf["TEST"] = {**conf["TEST"], "MIRROR": "default"}
        connections.settings[STANDBY] = conf
        try:
            yield server
        finally:
            connections[STANDBY].close()
            del connections.settings[STANDBY]
            local = connections._connections  # type: ignore[attr-defined]
            if hasattr(local, STANDBY):
                delattr(local, STANDBY)
            remove_standby(server)


@pytest.fixture
def routed_to_standby(standby: Any, settings: Any) -> Iterator[Any]:
    settings.MILEPOST_DB_REPLICAS = [STANDBY]
    settings.MILEPOST_REPLICA_CHECK_SECONDS = 0
    settings.MILEPOST_REPLICA_MAX_LAG_SECONDS = 30
    health.forget()
    if not standby.running:
        standby.start()
    yield standby
    health.forget()
    with connections["default"].cursor():
        pass
    _replay(resume=True, standby=standby)


def _replay(*, resume: bool, standby: Any) -> None:
    import psycopg

    if not standby.running:
        return
    with psycopg.connect(
        host="127.0.0.1", port=standby.port, user="milepost", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("SELECT pg_wal_replay_resume()" if resume else "SELECT pg_wal_replay_pause()")


def caught_up(standby: Any, *, replayed: bool = True) -> None:
    """Wait until the standby has replayed (or only received) all the primary has written."""
    import psycopg

    query = (
        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        if replayed
        else "SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn"
    )
    with connections["default"].cursor() as cursor:
        # Where the last record was put, not where WAL is written to: the test cluster commits
        # without waiting for its WAL (synchronous_commit=off), so a commit can be seen before
        # it is written, and sent.
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 30
    with psycopg.connect(
        host="127.0.0.1", port=standby.port, user="milepost", dbname="postgres", autocommit=True
    ) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(query, [target]).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the standby did not catch up within 30 s")


def standby_backends(standby: Any) -> list[tuple[str, str]]:
    """The standby's sessions opened by Milepost's replica alias: (state, last query)."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=standby.port, user="milepost", dbname="postgres", autocommit=True
    ) as conn:
        rows = conn.execute(
            "SELECT state, query FROM pg_stat_activity "
            "WHERE application_name = 'milepost-replica-test'"
        ).fetchall()
    return [(str(s), str(q)) for s, q in rows]


def writes(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_marked_reads_reach_the_standby_and_writes_never_do(
    routed_to_standby: Any, login: Callable[..., Client]
) -> None:
    # Given a contract written on the primary and streamed to the standby
    world = build_world()
    milestone = world.deliverable("Foundation complete")
    client = login(world.client_manager)
    caught_up(routed_to_standby)

    # When the manager opens the dashboard, the milestone list and the API's list
    with CaptureQueriesContext(connections[STANDBY]) as on_standby:
        for url in ("/", "/milestones/", "/api/v1/milestones"):
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert b"Foundation complete" in answer.content or url == "/"

    # Then their reads ran on the standby: a server in recovery, seen in its pg_stat_activity
    assert on_standby.captured_queries
    assert not writes(on_standby.captured_queries)
    with connections[STANDBY].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    assert standby_backends(routed_to_standby)

    # And when they comment, the write goes to the primary and nothing is written on the standby
    with CaptureQueriesContext(connections[STANDBY]) as on_standby:
        answer = client.post(
            f"/api/v1/milestones/{milestone.pk}/comments",
            {"text": "Slab poured."},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    assert not on_standby.captured_queries
    assert milestone.comments.filter(text="Slab poured.").exists()


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_person_reads_their_own_write_while_the_standby_is_behind(
    routed_to_standby: Any, login: Callable[..., Client]
) -> None:
    # Given a milestone on both servers, and a standby that stops replaying (it falls behind)
    world = build_world()
    milestone = world.deliverable("Foundation complete")
    caught_up(routed_to_standby)
    _replay(resume=False, standby=routed_to_standby)
    writer = login(world.client_manager)
    reader = Client()
    assert reader.login(
        username=world.supplier_manager.username, password="correct-horse-battery-staple"
    )

    # When the manager renames it
    answer = writer.patch(
        f"/api/v1/milestones/{milestone.pk}",
        {"title": "Foundation slab complete"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content

    # Then the manager's own list shows the new title (their reads are pinned to the primary)
    assert b"Foundation slab complete" in writer.get("/api/v1/milestones").content
    # While someone else's list still comes from the standby, which has not replayed it yet
    assert b"Foundation slab complete" not in reader.get("/api/v1/milestones").content

    # And once the standby counts as too far behind, everyone reads from the primary
    caught_up(routed_to_standby, replayed=False)
    health.forget()
    django_settings.MILEPOST_REPLICA_MAX_LAG_SECONDS = 0  # the settings fixture restores it
    assert b"Foundation slab complete" in reader.get("/api/v1/milestones").content


@contextlib.contextmanager
def wal_written_every_10_seconds() -> Iterator[None]:
    """Hold the primary's WAL writer back, so an asynchronous commit (the test cluster's) stays
    unwritten, and unsent, for seconds."""
    with connections["default"].cursor() as cursor:
        cursor.execute("ALTER SYSTEM SET wal_writer_delay = '10s'")
        cursor.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the WAL writer takes the new delay at its next wake-up (every 200 ms)
    try:
        yield
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("ALTER SYSTEM RESET wal_writer_delay")
            cursor.execute("SELECT pg_reload_conf()")


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_commit_the_standby_has_not_received_yet_counts_against_it(
    routed_to_standby: Any,
) -> None:
    # Given a standby that has replayed all it received, and a commit it has not received yet
    world = build_world()
    milestone = world.deliverable("Foundation complete")
    caught_up(routed_to_standby)
    django_settings.MILEPOST_REPLICA_MAX_LAG_SECONDS = 0  # the settings fixture restores it
    with wal_written_every_10_seconds():
        Milestone.objects.filter(pk=milestone.pk).update(title="Foundation slab complete")
        health.forget()

        # Then it is behind, not 0 s behind: reads go to the primary and see the commit
        assert not health.measure(STANDBY).usable
        reader = Client()
        assert reader.login(
            username=world.supplier_manager.username, password="correct-horse-battery-staple"
        )
        assert b"Foundation slab complete" in reader.get("/api/v1/milestones").content


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_integration_without_cookies_reads_its_own_write_while_the_standby_is_behind(
    routed_to_standby: Any,
) -> None:
    # Given a milestone on both servers, a standby that stops replaying, and two integrations
    # that send tokens and keep no cookies
    world = build_world()
    milestone = world.deliverable("Foundation complete")
    writer = token_client(world.client_manager)
    reader = token_client(world.supplier_manager)
    # (a token's first use of the minute notes the time, a write that reads from the primary)
    assert reader.get("/api/v1/milestones").status_code == 200
    caught_up(routed_to_standby)
    _replay(resume=False, standby=routed_to_standby)

    # When one renames the milestone
    answer = writer.patch(
        f"/api/v1/milestones/{milestone.pk}",
        {"title": "Foundation slab complete"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content

    # Then its own list shows the new title, though it sent no cookie back
    assert b"Foundation slab complete" in writer.get("/api/v1/milestones").content
    # While the other's list still comes from the standby, which has not replayed it yet
    assert b"Foundation slab complete" not in reader.get("/api/v1/milestones").content


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_revoked_token_is_refused_at_once_while_the_standby_is_behind(
    routed_to_standby: Any,
) -> None:
    # Given a token that reads lists a standby serves, and a standby that stops replaying
    world = build_world()
    token, raw = api_token_create(user=world.client_manager, name="integration")
    client = CookielessClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    caught_up(routed_to_standby)
    assert client.get("/api/v1/milestones").status_code == 200
    caught_up(routed_to_standby)
    _replay(resume=False, standby=routed_to_standby)

    # When its owner revokes it
    api_token_revoke(token=token, actor=world.client_manager)

    # Then the next list is refused, though the standby still holds the token as live
    assert client.get("/api/v1/milestones").status_code == 401


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_pages_fall_back_to_the_primary_when_the_standby_stops(
    routed_to_standby: Any, settings: Any, login: Callable[..., Client]
) -> None:
    # Given a list that was just read from the standby (its health remembered for a minute)
    world = build_world()
    world.deliverable("Foundation complete")
    client = login(world.client_manager)
    caught_up(routed_to_standby)
    settings.MILEPOST_REPLICA_CHECK_SECONDS = 60
    with CaptureQueriesContext(connections[STANDBY]) as on_standby:
        assert client.get("/api/v1/milestones").status_code == 200
    assert on_standby.captured_queries

    # When the standby stops in the middle of the test
    routed_to_standby.stop()

    # Then the next read fails on it, and the page is served from the primary: no error
    for url in ("/api/v1/milestones", "/milestones/", "/"):
        answer = client.get(url)
        assert answer.status_code == 200, url
    assert b"Foundation complete" in client.get("/api/v1/milestones").content
    assert not health.health(STANDBY).usable

    # And `milepost status --system` says the standby is not answering
    out = io.StringIO()
    call_command("status", "--system", stdout=out)
    assert f"{STANDBY} (database " in out.getvalue()
    assert "not answering" in out.getvalue()


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_status_shows_how_far_behind_each_replica_is(routed_to_standby: Any) -> None:
    caught_up(routed_to_standby)
    out = io.StringIO()
    call_command("status", "--system", stdout=out)
    text = out.getvalue()
    assert text.startswith("Primary: PostgreSQL ")
    assert f"{STANDBY} (database " in text
    assert "s behind the primary; takes reads." in text


@needs_postgres
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_pooled_connection_reaches_the_database() -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper

    conf = copy.deepcopy(connections["default"].settings_dict)
    conf["CONN_MAX_AGE"] = 0
    conf["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 2, "timeout": 5}}
    pooled = DatabaseWrapper(conf, alias="pooled")
    try:
        with pooled.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert pooled.pool is not None  # type: ignore[attr-defined]
    finally:
        pooled.close()
        pooled.close_pool()  # type: ignore[attr-defined]


def test_status_without_replicas_says_every_read_goes_to_the_primary(
    db: None, settings: Any
) -> None:
    settings.MILEPOST_DB_REPLICAS = []
    out = io.StringIO()
    call_command("status", "--system", stdout=out)
    assert "Replicas: none; every read goes to the primary." in out.getvalue()


def test_a_failed_health_check_is_reported_not_raised(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        vendor = "postgresql"
        in_atomic_block = False

        def cursor(self) -> Any:
            raise DatabaseError("connection refused\nmore")

        def close(self) -> None:
            pass

    class Handler(dict[str, object]):
        pass

    fake = Handler(replica9=Broken(), default=object())
    monkeypatch.setattr(health, "connections", fake)
    measured = health.measure("replica9")
    assert measured.error == "connection refused"
    assert not measured.usable


@pytest.mark.skipif(
    "replica1" not in django_settings.DATABASES
    or django_settings.DATABASES["replica1"].get("TEST", {}).get("MIRROR") != "default",
    reason="the PostgreSQL suite's mirror replica is not configured",
)
@pytest.mark.django_db
def test_in_the_postgresql_suite_marked_pages_read_through_the_mirror_replica(
    login: Callable[..., Client], world: World
) -> None:
    # Given the suite's mirror replica, and a milestone written inside this test's transaction
    world.deliverable("Foundation complete")
    client = login(world.client_manager)
    routed: list[str] = []
    real_read = ReplicaRouter.db_for_read

    def spy(self: ReplicaRouter, model: Any, **hints: Any) -> str | None:
        alias = real_read(self, model, **hints)
        routed.append(str(alias))
        return alias

    # When the manager opens the milestone list
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ReplicaRouter, "db_for_read", spy)
        answer = client.get("/milestones/")

    # Then its reads went to the replica alias and saw the test's own uncommitted rows
    assert answer.status_code == 200
    assert "replica1" in routed
    assert b"Foundation complete" in answer.content
    assert connections["replica1"] is connections["default"]


@pytest.mark.django_db
def test_a_page_view_that_only_keeps_its_own_books_pins_no_one(
    named_replica: str, world: World
) -> None:
    from milepost.alerts.feeds import feed_token_get_or_create

    # Given a personal calendar feed (fetching it notes when it was last fetched)
    feed = feed_token_get_or_create(user=world.client_manager, actor=world.client_manager)
    # When a calendar client fetches it
    answer = Client().get(f"/feeds/{feed.token}.ics")
    # Then it is answered, and no cookie pins the client to the primary
    assert answer.status_code == 200
    assert PIN_COOKIE not in answer.cookies


@pytest.fixture
def broken_replica(settings: Any, tmp_path: Path) -> Iterator[str]:
    """A replica that cannot be opened at all (its file's folder does not exist)."""
    wrapper_class = type(connections["default"])
    conf = copy.deepcopy(connections["default"].settings_dict)
    if connections["default"].vendor == "sqlite":
        conf["NAME"] = str(tmp_path / "absent" / "replica.sqlite3")
    else:
        conf["PORT"] = "1"  # nothing listens on port 1: refused at once
    conf["OPTIONS"] = {} if connections["default"].vendor == "sqlite" else {"connect_timeout": 2}
    local = connections._connections  # type: ignore[attr-defined]
    connections["replica8"] = wrapper_class(conf, alias="replica8")
    settings.MILEPOST_DB_REPLICAS = ["replica8"]
    settings.MILEPOST_REPLICA_CHECK_SECONDS = 60
    health.forget()
    yield "replica8"
    health.forget()
    delattr(local, "replica8")


@pytest.mark.django_db
def test_a_page_whose_replica_fails_mid_request_is_served_from_the_primary(
    broken_replica: str, monkeypatch: pytest.MonkeyPatch, login: Callable[..., Client], world: World
) -> None:
    # Given a replica remembered as healthy that fails at its first read
    monkeypatch.setattr(health, "pick", lambda: broken_replica)
    world.deliverable("Foundation complete")
    client = login(world.client_manager)

    # When the manager opens the API's list and the milestone list
    api = client.get("/api/v1/milestones")
    page = client.get("/milestones/")

    # Then both are answered from the primary, and the replica is marked down
    assert api.status_code == 200 and b"Foundation complete" in api.content
    assert page.status_code == 200 and b"Foundation complete" in page.content
    assert not health._known[broken_replica].usable


@pytest.mark.django_db
def test_only_a_replica_that_went_away_is_marked_down_and_read_again_elsewhere(
    broken_replica: str,
) -> None:
    from django.db import OperationalError, ProgrammingError

    from milepost.core.db.middleware import replica_failure

    class Cancelled(Exception):
        sqlstate = "40001"  # canceling statement due to conflict with recovery

    conflict = OperationalError("canceling statement due to conflict with recovery")
    conflict.__cause__ = Cancelled()

    assert replica_failure(broken_replica, OperationalError("connection refused")) == "down"
    assert replica_failure(broken_replica, conflict) == "conflict"
    assert replica_failure(broken_replica, ProgrammingError("no such column")) == ""
    assert replica_failure(broken_replica, ValueError("not the database")) == ""


@pytest.mark.django_db
def test_a_replica_that_cannot_be_reached_is_measured_as_down_and_passed_over(
    broken_replica: str,
) -> None:
    measured = health.measure(broken_replica)
    assert measured.error and not measured.usable
    assert health.pick() is None
    # Remembered: asking again within the check interval does not try it again
    assert health.health(broken_replica).checked_at == health.health(broken_replica).checked_at


@pytest.mark.django_db
def test_status_describes_a_replica_that_does_not_answer(broken_replica: str) -> None:
    out = io.StringIO()
    call_command("status", "--system", stdout=out)
    assert "  replica8 (" in out.getvalue()
    assert "not answering" in out.getvalue()


@pytest.mark.django_db
def test_a_streamed_export_reads_from_the_replica_while_it_is_sent(
    named_replica: str, login: Callable[..., Client], world: World
) -> None:
    from milepost.core.db.routing import current

    world.deliverable("Foundation complete")
    client = login(world.client_manager)
    answer = client.get("/milestones/export.csv")
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert b"Foundation complete" in body
    answer.close()
    assert current() is None


def test_the_pool_is_described_with_its_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    from milepost.core.db import summary

    class Fake:
        vendor = "postgresql"
        settings_dict = {"OPTIONS": {"pool": {"min_size": 1, "max_size": 4, "timeout": 10.0}}}

    monkeypatch.setattr(summary, "connections", {"default": Fake()})
    assert summary._pool("default") == (
        "; a pool of 1 to 4 connections per process (a request waits up to 10 s for one)"
    )
    Fake.settings_dict = {"OPTIONS": {}}
    assert summary._pool("default") == "; no pool, connections kept open for 60 s"


def test_each_state_of_a_replica_reads_as_a_sentence(settings: Any) -> None:
    settings.MILEPOST_REPLICA_MAX_LAG_SECONDS = 5
    assert ReplicaHealth(alias="r", lag=0.4).describe() == ("0.4 s behind the primary; takes reads")
    assert ReplicaHealth(alias="r", lag=None).describe().startswith("has not replayed anything")
    assert ReplicaHealth(alias="r", lag=0.0, in_recovery=False).describe() == (
        "not a standby (it is a primary itself), so 0 s behind; takes reads"
    )


def test_a_garbled_pin_cookie_pins_no_one() -> None:
    from django.test import RequestFactory

    from milepost.core.db.middleware import pinned

    request = RequestFactory().get("/")
    request.COOKIES[PIN_COOKIE] = "tomorrow"
    assert not pinned(request)
    request.COOKIES[PIN_COOKIE] = str(time.time() + 60)
    assert pinned(request)


@pytest.mark.django_db
def test_a_replica_on_its_own_connection_is_measured_and_described(
    settings: Any, tmp_path: Path
) -> None:
    # Given a replica alias with a connection of its own to the test database (a primary,
    # not a standby: 0 behind)
    wrapper_class = type(connections["default"])
    local = connections._connections  # type: ignore[attr-defined]
    connections["replica7"] = wrapper_class(
        copy.deepcopy(connections["default"].settings_dict), alias="replica7"
    )
    settings.MILEPOST_DB_REPLICAS = ["replica7"]
    health.forget()
    try:
        measured = health.measure("replica7")
        out = io.StringIO()
        call_command("status", "--system", stdout=out)
    finally:
        connections["replica7"].close()
        delattr(local, "replica7")
        health.forget()
    assert measured.usable and measured.lag == 0.0 and not measured.in_recovery
    assert "  replica7 (" in out.getvalue()
    assert "so 0 s behind; takes reads." in out.getvalue()
