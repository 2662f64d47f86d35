"""The worker's failures in the Django admin, read-only like every domain row (web/admin.py).

A failure is repaired by fixing what it is about (reschedule or cancel the milestone, or
``milepost repair_dates``), which clears it; the admin only shows it, with its error text.
"""

from django.contrib import admin

from milepost.web.admin import ReadOnlyAdmin

from .models import Notification, WorkerFailure


@admin.register(WorkerFailure)
class WorkerFailureAdmin(ReadOnlyAdmin):
    list_display = ["unit", "object_id", "state", "attempts", "last_failed_at", "last_error"]
    list_filter = ["unit", "state"]
    search_fields = ["object_id", "last_error"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "event_type", "status", "attempts", "send_after", "last_error"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["key", "last_error"]
    list_select_related = ["user", "endpoint"]
