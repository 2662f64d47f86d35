"""Reads for operators: what the worker could not do."""

from django.db.models import QuerySet

from .choices import Status
from .models import Notification, WorkerFailure

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
