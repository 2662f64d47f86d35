"""Worker processes killed with SIGKILL at random moments lose nothing; two workers double nothing.

Real ``milepost worker`` processes run against the test database and deliver to a real SMTP
server and a real webhook receiver on loopback, both in this process. Receivers identify each
notification by its id (``X-Milepost-Notifications`` on email, ``webhook-id`` on webhooks):
a repeat after a kill carries the same id, so it is counted as a duplicate a receiver can drop;
a notification that never arrives fails the test.
"""

import datetime as dt
import os
import random
import signal
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

from .conftest import World, build_world
from .peers import Inbox, Receiver, smtp_server, webhook_receiver

ROOT = Path(__file__).resolve().parent.parent
EMAILS, HOOKS, INAPP = 1000, 1000, 500
LEASE_SECONDS = 2


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


def start_worker(smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MILEPOST_EMAIL_HOST": "127.0.0.1",
        "MILEPOST_EMAIL_PORT": str(smtp_port),
        "MILEPOST_WEBHOOK_ALLOW_PRIVATE": "1",
        "MILEPOST_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "worker", "--interval", "0.1", "--batch", "20"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
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


def run_workers(smtp_port: int, log: Path, *, workers: int, kill: bool, deadline: float) -> int:
    """Run ``workers`` processes until every row is sent; with ``kill``, SIGKILL them at random.

    Returns how many times a worker was killed.
    """
    rng = random.Random(20261126)
    procs = [start_worker(smtp_port, log) for _ in range(workers)]
    kill_at = [time.monotonic() + rng.uniform(1.0, 4.0) for _ in procs]
    kills = 0
    try:
        while open_rows():
            assert time.monotonic() < deadline, f"{open_rows()} notifications still open"
            time.sleep(0.1)
            for i, proc in enumerate(procs):
                if kill and time.monotonic() >= kill_at[i]:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    procs[i] = start_worker(smtp_port, log)
                    kill_at[i] = time.monotonic() + rng.uniform(1.0, 4.0)
                assert procs[i].poll() is None, log.read_text()[-3000:]
    finally:
        for proc in procs:
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
    assert all(r.verified for r in receiver.received)
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
        tmp_path / "worker.log",
        workers=workers,
        kill=True,
        deadline=time.monotonic() + 600,
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
    run_workers(
        smtp_port, tmp_path / "worker.log", workers=2, kill=False, deadline=time.monotonic() + 600
    )
    assert check(ids, inbox, receiver, "two workers") == (0, 0)
    assert Notification.objects.filter(attempts=1).count() == sum(len(v) for v in ids.values())
    assert not WebhookEndpoint.objects.filter(failing_since__isnull=False).exists()
    assert dt.datetime.now(tz=dt.UTC)  # the clock was never frozen for the workers
