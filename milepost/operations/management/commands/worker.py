"""Run the worker: plan reminders, fan out events, deliver notifications, send scheduled reports.

It lives in ``operations`` (above ``reporting``) so that one loop runs the alerts tick and the
reporting job; ``alerts`` cannot call up to ``reporting``.
"""

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from milepost.alerts.engine import sqlite_lease_release, tick, worker_name
from milepost.alerts.failures import connection_lost
from milepost.alerts.plans import plans_sync_missing
from milepost.reporting.reports.subscriptions import reports_due

log = logging.getLogger(__name__)


def _reports(now: Any) -> int:
    """Run the reporting job; like the tick's own jobs, a failure is logged and the loop goes on."""
    try:
        return reports_due(now=now)
    except Exception as error:
        if connection_lost(error):
            raise
        log.exception("worker: reports_due failed; the next tick tries again")
        return 0


class Command(BaseCommand):
    help = (
        "Deliver reminders, escalations, stakeholder updates, webhooks and scheduled reports. "
        "Run one or many next "
        "to `milepost serve` (on SQLite, one at a time works and the others wait)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="seconds to sleep when there is nothing to do",
        )
        parser.add_argument("--batch", type=int, default=50, help="notifications claimed at a time")
        parser.add_argument(
            "--once", action="store_true", help="work until nothing is due, then stop"
        )

    def handle(self, *args: Any, interval: float, batch: int, once: bool, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        holder = worker_name()
        created = self._start(interval, lambda: stopping)
        self.stdout.write(
            self.style.SUCCESS(f"Milepost worker {holder} started ({created} reminder plans made).")
        )
        try:
            while not stopping:
                try:
                    result = tick(holder=holder, deliver_limit=batch)
                    reports = 0 if result.waiting else _reports(timezone.now())
                except Exception:
                    # A lost connection, a conflict with another worker, or a bug no job caught:
                    # nothing is lost (the work is rows), so log it, reconnect and go on. Bad
                    # rows are recorded and skipped inside the jobs (alerts.failures).
                    log.exception("Worker tick failed; retrying")
                    close_old_connections()
                    time.sleep(interval)
                    continue
                if result.busy or reports:
                    self.stdout.write(
                        f"events {result.events}, reminder plans {result.plans}, "
                        f"notifications {result.delivered}, reports {reports}"
                    )
                    continue
                if once:
                    break
                close_old_connections()
                time.sleep(interval)
        finally:
            if connection.vendor == "sqlite":
                sqlite_lease_release(holder=holder)
        self.stdout.write("Milepost worker stopped.")

    def _start(self, interval: float, stopping: Callable[[], bool]) -> int:
        """Make the missing reminder plans; wait and retry while the database is unreachable.

        A milestone whose plan cannot be made is recorded and passed over inside
        ``plans_sync_missing``; any other error is logged and the worker starts all the same.
        """
        while not stopping():
            try:
                return plans_sync_missing(now=timezone.now())
            except DatabaseError:
                log.exception("Making reminder plans failed; retrying")
                close_old_connections()
                time.sleep(interval)
            except Exception:
                log.exception("Making reminder plans failed; starting without them")
                return 0
        return 0
