"""Four ``milepost worker`` processes on one queue (PostgreSQL): each row once, the work shared.

The workers claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED``, so any number of them can
run next to each other. They deliver to a real SMTP server and a real webhook receiver on
loopback (the crash tests' peers), which count every delivery by the notification's id.
"""

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from milepost.alerts.choices import Status
from milepost.alerts.models import Notification

from . import test_alerts_crash as crash
from .conftest import build_world
from .peers import Inbox, Receiver, smtp_server, webhook_receiver

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite one worker works at a time (the lease); PostgreSQL shares the queue",
)
WORKERS = 4
# How long the workers may take to start, or go without sending anything, before the test
# gives up on them (a busy machine is slow, never wrong).
STALL_SECONDS = 120
SENT = re.compile(rb"notifications (\d+)")


@pytest.fixture
def peers(settings: Any) -> Iterator[tuple[Inbox, int, Receiver]]:
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = True
    with smtp_server() as (inbox, port), webhook_receiver() as receiver:
        yield inbox, port, receiver


def wait_until(
    left: Callable[[], int], procs: list[tuple[subprocess.Popen[bytes], Path]], what: str
) -> None:
    """Wait until ``left()`` is 0; fail when a worker dies or nothing moves for a while."""
    last, progress = left(), time.monotonic()
    while last:
        stalled = time.monotonic() - progress
        assert stalled < STALL_SECONDS, f"{what}: {last} left, no progress for {stalled:.0f} s"
        for proc, log in procs:
            assert proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.1)
        if (now := left()) != last:
            last, progress = now, time.monotonic()


@pytest.mark.django_db(transaction=True)
def test_four_workers_on_one_queue_send_each_notification_once_and_share_the_work(
    peers: tuple[Inbox, int, Receiver], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given four workers on the same database, all started and waiting for work
    inbox, smtp_port, receiver = peers
    world = build_world()
    logs = [tmp_path / f"worker-{n}.log" for n in range(1, WORKERS + 1)]
    # No worker dies here, so a long lease: none takes over another's batch.
    procs = [(crash.start_worker(smtp_port, log, lease=120), log) for log in logs]
    try:
        wait_until(
            lambda: sum(not crash.started(log) for log in logs), procs, "starting the workers"
        )

        # When 700 notifications fall due at once (emails, webhooks, in-app)
        monkeypatch.setattr(crash, "EMAILS", 300)
        monkeypatch.setattr(crash, "HOOKS", 300)
        monkeypatch.setattr(crash, "INAPP", 100)
        ids = crash.queue(world, receiver)
        wait_until(crash.open_rows, procs, "sending the queue")
    finally:
        for proc, _ in procs:
            proc.kill()
            proc.wait()

    # Then every one was delivered exactly once, at its first attempt
    assert crash.check(ids, inbox, receiver, "four workers") == (0, 0)
    assert not Notification.objects.exclude(status=Status.SENT).exists()
    assert not Notification.objects.exclude(attempts=1).exists()
    # And each worker sent a share of them
    shares = [sum(int(n) for n in SENT.findall(log.read_bytes())) for log in logs]
    print(f"\n[{WORKERS} workers, PostgreSQL] notifications sent by each: {shares}")
    assert all(share > 0 for share in shares), shares
    assert sum(shares) >= sum(len(v) for v in ids.values())
