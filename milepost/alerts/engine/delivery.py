"""Job 3: claim due notifications, deliver them, record the outcome."""

import datetime as dt
import logging
import random
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Exists, F, Q
from django.utils import timezone

from milepost.contracts.models import Party
from milepost.schedule.choices import OPEN_STATUSES

from ..choices import Channel, Kind, Status
from ..emails import send_batch
from ..errors import DeliveryError
from ..failures import MAX_ATTEMPTS, RETRY_AFTER, connection_lost
from ..models import (
    ActionRequest,
    Notification,
    WebhookEndpoint,
)
from . import webhook_delivery
from .compose import (
    _now,
)
from .due import is_due

log = logging.getLogger(__name__)
# Delivered messages recorded per write: fewer writes, against fewer repeats after a kill.
RECORD_EVERY = 5

# Email retries: a mail server that is down for a day still gets every message.
EMAIL_RETRY = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440)]


# --- 3. delivery --------------------------------------------------------------------------------


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.MILEPOST_WORKER_LEASE_SECONDS)


_CLOSED = [Status.SENT, Status.SKIPPED, Status.FAILED]


def deliveries_due(now: dt.datetime) -> Q:
    """The idle check (the tick asks it with the other jobs'): a row due to be sent, or one
    whose sending worker's lease has run out?"""
    return Q(Exists(Notification.objects.filter(status=Status.PENDING, send_after__lte=now))) | Q(
        Exists(Notification.objects.filter(status=Status.SENDING, lease_until__lt=now))
    )


def _claim(now: dt.datetime, limit: int) -> list[list[Notification]]:
    """Claim up to ``limit`` due rows (and their batch mates); return them grouped by message."""
    # The idle case: one read of two partial indexes, no transaction.
    if not is_due(deliveries_due(now)):
        return []
    with transaction.atomic():
        expired = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, lease_until__lt=now)
            .order_by("lease_until")[:limit]
        )
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, send_after__lte=now)
            .order_by("send_after", "pk")[: max(limit - len(expired), 0)]
        )
        groups: dict[str, list[int]] = {}
        taken: set[int] = set()
        for row in expired + due:
            if row.pk in taken:
                continue
            if row.batch:
                mates = list(
                    Notification.objects.select_for_update(skip_locked=True)
                    .filter(batch=row.batch)
                    .exclude(status__in=_CLOSED)
                    .values_list("pk", flat=True)
                )
                ids = sorted(set(mates) | {row.pk})
            elif row.channel == Channel.DIGEST or (row.channel == Channel.EMAIL and row.catch_up):
                mates = list(
                    Notification.objects.select_for_update(skip_locked=True)
                    .filter(
                        user=row.user_id,
                        channel=row.channel,
                        status=Status.PENDING,
                        send_after__lte=now,
                        batch="",
                        catch_up=row.catch_up,
                    )
                    .order_by("pk")
                    .values_list("pk", flat=True)[:500]
                )
                ids = sorted(set(mates) | {row.pk})
                # Even a batch of one: sent again after a crash, it must keep its message id.
                Notification.objects.filter(pk__in=ids).update(batch=f"b{ids[0]}")
            else:
                ids = [row.pk]
            ids = [i for i in ids if i not in taken]
            taken.update(ids)
            groups[str(ids[0])] = ids
        if not taken:
            return []
        # The lease runs from the real clock, not from when the tick began.
        Notification.objects.filter(pk__in=taken).update(
            status=Status.SENDING,
            lease_until=timezone.now() + _lease(),
            attempts=F("attempts") + 1,
        )
    rows = Notification.objects.select_related("user", "endpoint", "milestone", "contract").in_bulk(
        taken
    )
    return [[rows[i] for i in ids] for ids in groups.values()]


def _still_true(row: Notification) -> bool:
    """Send only what still holds: an active recipient still party to the contract, an enabled
    endpoint, and for reminders an open milestone with the due date the reminder is about."""
    if row.endpoint_id is not None and row.endpoint.disabled_at is not None:  # type: ignore[union-attr]
        return False
    if row.user is not None:
        if not row.user.is_active:
            return False
        if row.contract_id is not None and not (
            Party.objects.filter(
                contract=row.contract_id, organisation__memberships__user=row.user_id
            ).exists()
        ):
            return False
    if row.kind == Kind.ACTION and row.user is not None:
        # A person is not asked, reminded or told of an escalation once the request closed.
        action_id = (row.payload.get("action") or {}).get("id")
        return not ActionRequest.objects.filter(
            pk=int(action_id or 0), closed_at__isnull=False
        ).exists()
    if row.kind not in (Kind.REMINDER, Kind.OVERDUE, Kind.ESCALATION):
        return True
    m = row.milestone
    if m is None or m.status not in OPEN_STATUSES:
        return False
    return m.due_date.isoformat() == row.payload.get("milestone", {}).get("due_date")


def _finish(rows: list[Notification], **fields: Any) -> None:
    """Record an outcome, unless the rows' lease ran out and another worker has claimed them."""
    if rows:
        Notification.objects.filter(
            pk__in=[r.pk for r in rows], status=Status.SENDING, lease_until=rows[0].lease_until
        ).update(lease_until=None, **fields)


class _Mailer:
    """One SMTP session for a batch of emails, opened on first use and dropped after a failure."""

    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None

    def send(self, group: list[Notification]) -> None:
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as error:
                raise DeliveryError(f"Could not reach the mail server: {error!r}"[:500]) from error
            self.connection = connection
        try:
            send_batch(group, connection=self.connection)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:
                log.debug("closing the SMTP session failed", exc_info=True)
            self.connection = None


def _deliver_group(
    group: list[Notification], now: dt.datetime, mailer: _Mailer
) -> list[Notification]:
    """Send one message; return the ids it delivered (none if it failed or was skipped)."""
    if group[0].lease_until is not None and timezone.now() >= group[0].lease_until:
        return []  # too late: another worker may have taken these over
    skipped = [r for r in group if not _still_true(r)]
    if skipped:
        _finish(skipped, status=Status.SKIPPED)
    group = [r for r in group if r not in skipped]
    if not group:
        return []
    first = group[0]
    try:
        if first.channel in (Channel.EMAIL, Channel.DIGEST):
            mailer.send(group)
        elif first.channel == Channel.WEBHOOK:
            webhook_delivery.webhook_post(first)
    except DeliveryError as error:
        # Only the channel failing counts against it (and its endpoint). Anything else, say a
        # row whose message cannot be made, propagates to ``deliver_due``: that row's own
        # failure (``_row_failed``), which never blames the endpoint.
        _failed(group, error, now)
        return []
    return group


def _failed(group: list[Notification], error: DeliveryError, now: dt.datetime) -> None:
    """The channel refused or could not be reached: retry on its schedule, then fail."""
    first = group[0]
    delay: dt.timedelta | None
    if error.permanent:
        delay = None
    elif first.channel == Channel.WEBHOOK:
        delay = webhook_delivery.webhook_retry_delay(first.attempts)
    else:
        delay = EMAIL_RETRY[first.attempts - 1] if first.attempts <= len(EMAIL_RETRY) else None
        if delay is not None:
            delay *= random.uniform(0.8, 1.2)
    message = str(error)[:1000] or error.__class__.__name__
    if delay is None:
        _finish(group, status=Status.FAILED, last_error=message)
    else:
        _finish(group, status=Status.PENDING, send_after=now + delay, last_error=message)
    if first.channel == Channel.WEBHOOK:
        webhook_delivery.endpoint_failed(first.endpoint, now=now, gave_up=delay is None)


def _row_failed(group: list[Notification], error: Exception, now: dt.datetime) -> None:
    """A row that raised other than by its channel failing (``DeliveryError``), say while its
    message was being made: retry it a few times, 5 then 30 minutes apart, then fail it.

    Its recipient is not to blame, so a webhook endpoint's failure count stays as it was.
    """
    first = group[0]
    log.error("worker: notification %s failed", first.pk, exc_info=error)
    message = f"{error.__class__.__name__}: {error}"[:1000]
    if first.attempts >= MAX_ATTEMPTS:
        _finish(group, status=Status.FAILED, last_error=message)
    else:
        retry = now + RETRY_AFTER[min(first.attempts, len(RETRY_AFTER)) - 1]
        _finish(group, status=Status.PENDING, send_after=retry, last_error=message)


def deliver_due(*, now: dt.datetime | None = None, limit: int = 50) -> int:
    """Claim and deliver up to ``limit`` due notifications; return how many were claimed.

    Successes are recorded a few at a time (``RECORD_EVERY``): one write instead of one per
    message. A worker killed before a write leaves those few to be sent again, with their ids.
    """
    now = _now(now)
    groups = _claim(now, limit)
    sent: list[Notification] = []
    endpoints: dict[int, WebhookEndpoint] = {}
    mailer = _Mailer()

    def record() -> None:
        if sent:
            _finish(sent, status=Status.SENT, sent_at=now, last_error="")
            sent.clear()

    try:
        for group in groups:
            try:
                delivered = _deliver_group(group, now, mailer)
            except Exception as error:
                # Not the channel failing (a DeliveryError, handled inside) but the row itself,
                # say a payload no message can be made of: this row retries, then fails; the
                # rest go.
                if connection_lost(error):
                    raise
                _row_failed(group, error, now)
                continue
            sent += delivered
            if delivered and group[0].endpoint is not None:
                endpoints[group[0].endpoint.pk] = group[0].endpoint
            if len(sent) >= RECORD_EVERY:
                record()
    finally:
        mailer.close()
    record()
    if endpoints:
        for endpoint in endpoints.values():
            webhook_delivery.endpoint_succeeded(endpoint, now=now)
    return sum(len(g) for g in groups)
