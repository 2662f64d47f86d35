"""KPIs and their measurements in the Django admin, read-only (see core/admin.py)."""

from django.contrib import admin

from milepost.core.admin import ReadOnlyAdmin

from .models import KPI, CreditTerms, Measurement, ServiceCredit

for model in (KPI, Measurement, CreditTerms, ServiceCredit):
    admin.site.register(model, ReadOnlyAdmin)
