"""Operators see every domain row in the Django admin, read-only.

Changes go through the services (web pages, CLI), so that every one is validated and leaves an
audit event; the admin edits only users, organisations and memberships.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from milepost.approvals.models import GateDecision, GateRequirement
from milepost.contracts.models import Contract, Party
from milepost.payments.models import PaymentTerms
from milepost.performance.models import KPI, Measurement
from milepost.schedule.models import Comment, Dependency, Evidence, Milestone, StatusUpdate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "owner",
        "status",
        "value",
        "currency",
        "start_date",
        "end_date",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["reference", "title"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["title", "contract", "kind", "status", "due_date", "baseline_due_date", "owner"]
    list_filter = ["kind", "status", "criticality"]
    search_fields = ["title", "contract__reference"]
    list_select_related = ["contract", "owner"]


for model in (
    Party,
    Dependency,
    StatusUpdate,
    Comment,
    Evidence,
    PaymentTerms,
    KPI,
    Measurement,
    GateRequirement,
    GateDecision,
):
    admin.site.register(model, ReadOnlyAdmin)
