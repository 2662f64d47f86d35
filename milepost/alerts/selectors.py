"""Reads: what the worker could not do (operators), and what waits for a person to act."""

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Func, QuerySet, Subquery

from milepost.accounts.models import User
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import NotFound

from .choices import Channel, Status
from .models import ActionRequest, Notification, WorkerFailure

# The most failed notifications ``worker_failures`` lists (the newest).
NOTIFICATIONS_SHOWN = 50


def worker_failures() -> tuple[QuerySet[WorkerFailure], list[Notification]]:
    """Every unit the worker is retrying or gave up on, and the latest failed notifications."""
    failures = WorkerFailure.objects.order_by("-last_failed_at", "-id")
    notifications = list(
        Notification.objects.filter(status=Status.FAILED).order_by("-send_after", "-id")[
            :NOTIFICATIONS_SHOWN
        ]
    )
    return failures, notifications


def actions_waiting(*, user: User) -> QuerySet[ActionRequest]:
    """Return the open action requests addressed to the person, oldest first.

    Only those on contracts the person can still see: a request outlives no membership.
    """
    return (
        ActionRequest.objects.filter(
            recipient=user,
            closed_at__isnull=True,
            contract__in=contracts_for_user(user=user).values("id"),
        )
        .select_related("contract", "milestone", "organisation", "asked_by")
        .order_by("opened_at", "id")
    )


def actions_waiting_count(*, user: User) -> int:
    """Count the person's open action requests in one indexed query (the navigation)."""
    return actions_waiting(user=user).count()


def action_get_for_user(*, user: User, pk: int) -> ActionRequest:
    """Return one of the person's own action requests, open or closed, or raise NotFound."""
    found = (
        ActionRequest.objects.filter(
            recipient=user, pk=pk, contract__in=contracts_for_user(user=user).values("id")
        )
        .select_related("contract", "milestone", "organisation", "asked_by")
        .first()
    )
    if found is None:
        raise NotFound("action request")
    return found


def _count(rows: QuerySet[Any]) -> Subquery:
    return Subquery(rows.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n")[:1])


def nav_counts(*, user: User) -> tuple[int, int]:
    """Return the bell's unread count and the number of requests waiting, in one query."""
    unread = Notification.objects.filter(
        user=user, channel=Channel.INAPP, status=Status.SENT, read_at__isnull=True
    )
    found = (
        User.objects.filter(pk=user.pk)
        .annotate(unread=_count(unread), waiting=_count(actions_waiting(user=user)))
        .values_list("unread", "waiting")
        .first()
    )
    return (int(found[0] or 0), int(found[1] or 0)) if found else (0, 0)


@dataclass(frozen=True)
class WaitingPanel:
    """The dashboard's "Waiting for you": the oldest few open requests and how many in all."""

    rows: list[ActionRequest]
    count: int


def actions_waiting_panel(*, user: User, limit: int = 5) -> WaitingPanel:
    """Return the person's oldest open requests (at most ``limit``) and their total, in two
    queries at most."""
    rows = list(actions_waiting(user=user)[:limit])
    count = len(rows) if len(rows) < limit else actions_waiting(user=user).count()
    return WaitingPanel(rows=rows, count=count)
