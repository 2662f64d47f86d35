"""Contracts and their parties in the Django admin, read-only (see core/admin.py)."""

from django.contrib import admin

from milepost.core.admin import ReadOnlyAdmin

from .models import Contract, Party


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


admin.site.register(Party, ReadOnlyAdmin)
