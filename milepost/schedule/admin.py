"""Milestones, their dependencies, updates, comments and evidence in the Django admin, read-only
(see core/admin.py)."""

from django.contrib import admin

from milepost.core.admin import ReadOnlyAdmin

from .models import Comment, Dependency, Evidence, Milestone, StatusUpdate


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["title", "contract", "kind", "status", "due_date", "baseline_due_date", "owner"]
    list_filter = ["kind", "status", "criticality"]
    search_fields = ["title", "contract__reference"]
    list_select_related = ["contract", "owner"]


for model in (Dependency, StatusUpdate, Comment, Evidence):
    admin.site.register(model, ReadOnlyAdmin)
