"""Operators manage people, organisations and memberships here; every change leaves an event."""

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from milepost.audit.services import event_record

from .events import AccountEvent
from .models import ApiToken, ApiTokenFailure, Membership, Organisation, User
from .throttle import login_unlock


def _operator_event(obj: Model, verb: str) -> AccountEvent:
    """The declared event for an operator's ``verb`` on a user, organisation or membership."""
    return AccountEvent(f"{obj._meta.model_name}.{verb}_by_operator")


def _record(request: HttpRequest, obj: Model, changed: list[str], *, created: bool) -> None:
    """Write the admin change to the audit trail, naming the fields (never their secrets)."""
    action = _operator_event(obj, "created" if created else "changed")
    event_record(actor=request.user, action=action, obj=obj, after={"fields": sorted(changed)})


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _record(request, obj, list(form.changed_data), created=not change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        event_record(actor=request.user, action=_operator_event(obj, "deleted"), obj=obj)
        super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _record(request, obj, ["role"], created=True)
        for obj, fields in formset.changed_objects:
            _record(request, obj, list(fields), created=False)
        for obj in formset.deleted_objects:
            event_record(actor=request.user, action=_operator_event(obj, "deleted"), obj=obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class MilepostUserAdmin(AuditedAdmin, UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Milepost", {"fields": ("time_zone",)}))
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: a token's secret is never stored, and its owner revokes it."""

    list_display = [
        "name",
        "user",
        "prefix",
        "read_only",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _record_unlock(request: HttpRequest, obj: ApiTokenFailure) -> None:
    after = {"ip_address": obj.ip_address, "username": "", "failures": 0}
    event_record(
        actor=request.user,
        action=AccountEvent.LOGIN_UNLOCKED,
        obj=obj,
        after=after | {"token_failures": obj.failures},
    )


# django-axes registers its own admin for failed sign-ins; deleting a row here lifts its
# username's and address's lockout through `login_unlock` (as `milepost unlock` does, audited).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
    """Failed sign-ins by username and address; deleting a row unlocks it (audited)."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_queryset(request, AccessAttempt.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # django-axes keeps a row per username, address and browser: unlock each pair for every
        # browser, as `milepost unlock NAME --ip ADDRESS` does, so the lockout really lifts.
        pairs = queryset.order_by().values_list("username", "ip_address").distinct()
        for username, ip_address in sorted({(u or "", ip or "") for u, ip in pairs}):
            if username or ip_address:
                login_unlock(username=username, ip_address=ip_address, actor=request.user)


@admin.register(ApiTokenFailure)
class ApiTokenFailureAdmin(admin.ModelAdmin):
    """Addresses that sent unknown API tokens; deleting a row lifts its 429s (audited)."""

    list_display = ["ip_address", "failures", "last_failure_at"]
    ordering = ["-last_failure_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        _record_unlock(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _record_unlock(request, obj)
        super().delete_queryset(request, queryset)
