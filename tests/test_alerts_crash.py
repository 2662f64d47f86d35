"""Worker processes killed with SIGKILL at random moments lose nothing; two workers double nothing.

Real ``milepost worker`` processes run against the test database and deliver to a real SMTP
server and a real webhook receiver on loopback, both in this process. Receivers identify each
notification by its id (``X-Milepost-Notifications`` on email, ``webhook-id`` on webhooks):
a repeat after a kill carries the same id, so it is counted as a duplicate a receiver can drop;
a notification that never arrives fails the test.

``MILEPOST_TEST_CPU_HOGS=2`` runs them on a busy machine: two processes spin a core each for the
whole test, as the races that lose or garble a delivery show themselves mostly under load.
"""

import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from milepost.alerts.choices import Channel, Kind, Status
from milepost.alerts.engine import milestone_payload
from milepost.alerts.models import Notification, WebhookEndpoint
from milepost.alerts.webhooks import webhook_endpoint_create
from milepost.testing.clock import command

from .conftest import World, build_world
from .peers import (
    Inbox,
    Receiver,
    cpu_hogs,
    cpu_hogs_wanted,
    die_with_parent,
    smtp_server,
    webhook_receiver,
)

ROOT = Path(__file__).resolve().parent.parent
EMAILS, HOOKS, INAPP = 1000, 1000, 500
LEASE_SECONDS = 2
# How long the workers may go without sending anything before the test gives up on them.
STALL_SECONDS = 120


@pytest.fixture(autouse=True)
def busy_machine() -> Iterator[int]:
    """Start the spinning processes ``MILEPOST_TEST_CPU_HOGS`` asks for; stop them afterwards."""
    with cpu_hogs(cpu_hogs_wanted()) as count:
        yield count


@pytest.fixture
def peers(settings: Any) -> Iterator[tuple[Inbox, int, Receiver]]:
    # The receiver is on loopback: the operator setting that allows it is on here and in workers.
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = True
    with smtp_server() as (inbox, port), webhook_receiver() as receiver:
        yield inbox, port, receiver


def database_url() -> str:
    """The test database, as a URL a worker process can open."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    return (
        f"postgres://{conf['USER']}:{conf['PASSWORD'] or ''}@{conf['HOST']}:{conf['PORT']}"
        f"/{conf['NAME']}"
    )


def start_worker(smtp_port: int, log: Path, lease: int = LEASE_SECONDS) -> subprocess.Popen[bytes]:
    """Start a worker writing to its own ``log`` (it says "started" there once it is ready)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MILEPOST_EMAIL_HOST": "127.0.0.1",
        "MILEPOST_EMAIL_PORT": str(smtp_port),
        "MILEPOST_WEBHOOK_ALLOW_PRIVATE": "1",
        "MILEPOST_WORKER_LEASE_SECONDS": str(lease),
        # Each line reaches the log at once, so "started" is seen when it is written.
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        command([sys.executable, "-m", "django", "worker", "--interval", "0.1", "--batch", "20"]),
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        # Killed with this test's process, even one stopped by a timeout that runs no finally.
        preexec_fn=die_with_parent,
    )


def queue(world: World, receiver: Receiver) -> dict[str, set[int]]:
    """Queue a few thousand due notifications: emails, webhooks and in-app ones."""
    endpoint = webhook_endpoint_create(
        organisation=world.client_org, url=receiver.url, actor=world_admin(world)
    )
    receiver.secret = endpoint.secret
    milestone = world.deliverable()
    payload = milestone_payload(milestone, "milestone.due_soon", days=30, summary="Due soon")
    people = [world.client_manager, world.supplier_member, world.supplier_manager]
    now = timezone.now()
    rows = []
    for i in range(EMAILS):
        rows.append(
            Notification(
                key=f"crash:{i}:mail",
                kind=Kind.NOTICE,
                channel=Channel.EMAIL,
                event_type="notice.test",
                user=people[i % len(people)],
                payload={**payload, "type": "notice.test", "summary": f"Notice {i}"},
                send_after=now,
            )
        )
    for i in range(HOOKS):
        rows.append(
            Notification(
                key=f"crash:{i}:hook",
                kind=Kind.UPDATE,
                channel=Channel.WEBHOOK,
                event_type="milestone.status_update",
                endpoint=endpoint,
                milestone=milestone,
                contract=world.contract,
                payload=payload,
                send_after=now,
            )
        )
    for i in range(INAPP):
        rows.append(
            Notification(
                key=f"crash:{i}:inapp",
                kind=Kind.NOTICE,
                channel=Channel.INAPP,
                event_type="notice.test",
                user=people[i % len(people)],
                payload={"type": "notice.test", "summary": f"Notice {i}"},
                send_after=now,
            )
        )
    Notification.objects.bulk_create(rows, batch_size=1000)
    ids: dict[str, set[int]] = {}
    for channel in (Channel.EMAIL, Channel.WEBHOOK, Channel.INAPP):
        ids[channel] = set(
            Notification.objects.filter(channel=channel).values_list("pk", flat=True)
        )
    return ids


def world_admin(world: World) -> Any:
    from milepost.accounts.choices import Role
    from milepost.accounts.services import membership_set

    membership_set(
        user=world.client_manager, organisation=world.client_org, role=Role.ADMIN, actor=None
    )
    return world.client_manager


def open_rows() -> int:
    return Notification.objects.exclude(status__in=[Status.SENT]).count()


def started(log: Path) -> bool:
    """Whether the worker writing ``log`` has set itself up and begun its loop."""
    return log.exists() and b" started (" in log.read_bytes()


def run_workers(
    smtp_port: int,
    logs: Path,
    *,
    workers: int,
    kill: bool,
    lease: int = LEASE_SECONDS,
) -> int:
    """Run ``workers`` processes until every row is sent; with ``kill``, SIGKILL them at random.

    Each worker is killed at a random moment 1 to 4 seconds after it has started working, not
    after it was launched: on a busy machine, setting up Django alone can take longer than
    that, and workers killed before they begin would never deliver anything. Each writes to
    its own log in the ``logs`` folder. Returns how many times a worker was killed.

    The test fails when no notification has been sent for ``STALL_SECONDS`` (work lost or stuck),
    not after a fixed time: on a busy machine the same work takes several times as long.
    """
    rng = random.Random(20261126)
    launched = 0

    def launch() -> tuple[subprocess.Popen[bytes], Path]:
        nonlocal launched
        launched += 1
        log = logs / f"worker-{launched}.log"
        return start_worker(smtp_port, log, lease), log

    procs = [launch() for _ in range(workers)]
    kill_at: list[float | None] = [None for _ in procs]
    kills = 0
    left, progress = open_rows(), time.monotonic()
    try:
        while left:
            stalled = time.monotonic() - progress
            assert stalled < STALL_SECONDS, (
                f"{left} notifications open, none sent for {stalled:.0f} s"
            )
            time.sleep(0.1)
            if (now_left := open_rows()) < left:
                left, progress = now_left, time.monotonic()
            for i, (proc, log) in enumerate(procs):
                assert proc.poll() is None, log.read_text()[-3000:]
                if not kill:
                    continue
                if kill_at[i] is None and started(log):
                    kill_at[i] = time.monotonic() + rng.uniform(1.0, 4.0)
                at = kill_at[i]
                if at is not None and time.monotonic() >= at:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    procs[i], kill_at[i] = launch(), None
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    return kills


def deliveries(inbox: Inbox, receiver: Receiver) -> tuple[Counter[int], Counter[int]]:
    """How many times each notification id reached the SMTP server and the webhook receiver."""
    mail: Counter[int] = Counter()
    for message in inbox.messages:
        for part in str(message["X-Milepost-Notifications"]).split(","):
            mail[int(part)] += 1
    hooks: Counter[int] = Counter(int(i.removeprefix("msg_")) for i in receiver.verified_ids)
    return mail, hooks


def check(
    ids: dict[str, set[int]], inbox: Inbox, receiver: Receiver, label: str
) -> tuple[int, int]:
    # Workers add rows of their own (the fan-out of the events the set-up wrote).
    for channel in ids:
        ids[channel] |= set(
            Notification.objects.filter(channel=channel).values_list("pk", flat=True)
        )
    mail, hooks = deliveries(inbox, receiver)
    lost_mail = ids[Channel.EMAIL] - set(mail)
    lost_hooks = ids[Channel.WEBHOOK] - set(hooks)
    assert not lost_mail, f"{label}: {len(lost_mail)} emails never arrived"
    assert not lost_hooks, f"{label}: {len(lost_hooks)} webhooks never arrived"
    assert set(mail) == ids[Channel.EMAIL] and set(hooks) == ids[Channel.WEBHOOK]
    assert not receiver.refused, f"{label}: signatures the receiver refused: {receiver.refused}"
    assert not Notification.objects.exclude(status=Status.SENT).exists()
    assert Notification.objects.filter(channel=Channel.INAPP, status=Status.SENT).count() == len(
        ids[Channel.INAPP]
    )
    dup_mail = sum(mail.values()) - len(mail)
    dup_hooks = sum(hooks.values()) - len(hooks)
    return dup_mail, dup_hooks


@pytest.mark.django_db(transaction=True)
def test_workers_killed_at_random_lose_nothing_and_repeats_carry_their_id(
    peers: tuple[Inbox, int, Receiver], tmp_path: Path
) -> None:
    inbox, smtp_port, receiver = peers
    world = build_world()
    ids = queue(world, receiver)
    # Two workers at once on PostgreSQL; on SQLite one works at a time (the lease).
    workers = 2 if connection.vendor == "postgresql" else 1
    kills = run_workers(
        smtp_port,
        tmp_path,
        workers=workers,
        kill=True,
    )
    dup_mail, dup_hooks = check(ids, inbox, receiver, "after kills")
    assert kills >= 3
    report = (
        f"\n[crash test, {connection.vendor}, {workers} worker(s)] {kills} SIGKILLs; "
        f"{len(ids[Channel.EMAIL])} emails, {len(ids[Channel.WEBHOOK])} webhooks, "
        f"{len(ids[Channel.INAPP])} in-app: none lost; duplicates recognisable by id: "
        f"{dup_mail} emails, {dup_hooks} webhooks"
    )
    print(report)
    (Path(os.environ.get("MILEPOST_REPORT_DIR", tmp_path)) / "crash-report.txt").open("a").write(
        report + "\n"
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_together_send_each_notification_once(
    peers: tuple[Inbox, int, Receiver], tmp_path: Path
) -> None:
    """PostgreSQL: SKIP LOCKED hands each row to one worker. SQLite: the lease lets one work."""
    inbox, smtp_port, receiver = peers
    world = build_world()
    ids = queue(world, receiver)
    # No worker dies here, so no lease needs to run out: a 2-second one would, on a busy machine,
    # during a slow batch, and hand the rest of it to the other worker (right, but a 2nd attempt).
    run_workers(
        smtp_port,
        tmp_path,
        workers=2,
        kill=False,
        lease=120,
    )
    assert check(ids, inbox, receiver, "two workers") == (0, 0)
    assert Notification.objects.filter(attempts=1).count() == sum(len(v) for v in ids.values())
    assert not WebhookEndpoint.objects.filter(failing_since__isnull=False).exists()
    assert dt.datetime.now(tz=dt.UTC)  # the clock was never frozen for the workers


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie waiting to be reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_worker_started_by_a_test_dies_when_the_test_process_is_killed(tmp_path: Path) -> None:
    # Given a test process that starts a worker as these tests do, then is killed outright
    # (a timeout's SIGKILL runs no finally); a worker left behind would go on delivering to
    # whatever later listens on its old port, signed with a secret no later test knows
    parent = tmp_path / "parent.py"
    parent.write_text(
        "import subprocess, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.peers import die_with_parent\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],\n"
        "                         preexec_fn=die_with_parent)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    test_process = subprocess.Popen([sys.executable, str(parent)], stdout=subprocess.PIPE)
    assert test_process.stdout is not None
    worker = int(test_process.stdout.readline())
    assert not gone(worker)

    # When the test process is killed
    test_process.kill()
    test_process.wait()
    test_process.stdout.close()

    # Then its worker is gone too
    deadline = time.monotonic() + 10
    while not gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(worker)


def test_a_request_cut_off_before_its_body_is_whole_is_not_a_delivery() -> None:
    # Given the receiver these tests count deliveries with
    with webhook_receiver() as receiver:
        # When a worker is killed after sending its headers and part of its body
        with socket.create_connection(("127.0.0.1", receiver.port)) as sock:
            sock.sendall(
                b"POST /hooks/milepost HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Length: 100\r\nwebhook-id: msg_1\r\n\r\n" + b'{"type":'
            )
        deadline = time.monotonic() + 10
        while not receiver.incomplete and time.monotonic() < deadline:
            time.sleep(0.05)

    # Then nothing was delivered, and no signature was refused (the retry brings it whole)
    assert receiver.incomplete == 1
    assert receiver.received == [] and receiver.refused == []
