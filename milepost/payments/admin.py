"""Payment terms in the Django admin, read-only (see core/admin.py)."""

from django.contrib import admin

from milepost.core.admin import ReadOnlyAdmin

from .models import PaymentTerms

admin.site.register(PaymentTerms, ReadOnlyAdmin)
