"""The worker's failures and the notifications in the Django admin, read-only like every
domain row (core/admin.py), except that an operator may delete a failure row.

A failure is cleared when its unit next goes through, or by fixing what it is about
(reschedule or cancel the milestone, or ``milepost repair_dates``). Deleting its row (audited,
as ``workerfailure.deleted_by_operator``) forgets it: a contract's forecast is tried again at
the worker's next check, a milestone's parked plan when the milestone next changes; an event
is not fanned out again.
"""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from milepost.audit.services import event_record
from milepost.core.admin import ReadOnlyAdmin

from .events import AlertEvent
from .models import ActionRequest, ActionRule, Notification, WorkerFailure


def _failure_deleted(request: HttpRequest, failure: WorkerFailure) -> None:
    event_record(
        actor=request.user,
        action=AlertEvent.WORKERFAILURE_DELETED_BY_OPERATOR,
        obj=failure,
        before={
            "unit": failure.unit,
            "object_id": failure.object_id,
            "state": failure.state,
            "attempts": failure.attempts,
            "last_error": failure.last_error[:500],
        },
    )


@admin.register(WorkerFailure)
class WorkerFailureAdmin(ReadOnlyAdmin):
    list_display = ["unit", "object_id", "state", "attempts", "last_failed_at", "last_error"]
    list_filter = ["unit", "state"]
    search_fields = ["object_id", "last_error"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _failure_deleted(request, obj)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkerFailure]) -> None:
        for failure in queryset:
            _failure_deleted(request, failure)
        super().delete_queryset(request, queryset)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "event_type", "status", "attempts", "send_after", "last_error"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["key", "last_error"]
    list_select_related = ["user", "endpoint"]


@admin.register(ActionRequest)
class ActionRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "recipient", "contract", "opened_at", "closed_at", "close_reason"]
    list_filter = ["kind", "close_reason"]
    search_fields = ["key", "sentence", "recipient__username"]
    list_select_related = ["recipient", "contract"]


@admin.register(ActionRule)
class ActionRuleAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "remind_after", "escalate_after"]
    list_select_related = ["organisation"]
