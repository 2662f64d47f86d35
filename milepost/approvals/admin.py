"""Gate requirements and decisions in the Django admin, read-only (see core/admin.py)."""

from django.contrib import admin

from milepost.core.admin import ReadOnlyAdmin

from .models import GateDecision, GateRequirement

for model in (GateRequirement, GateDecision):
    admin.site.register(model, ReadOnlyAdmin)
