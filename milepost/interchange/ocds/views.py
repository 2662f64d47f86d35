"""OCDS pages: download a contract's release package; upload, preview and apply an import."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import DomainError
from milepost.core.forms import add_domain_error
from milepost.core.money import currencies, format_money
from milepost.web.feedback import save_form

from ..batches import batch_discard, batch_get_for_user
from ..choices import ImportKind, ImportStatus
from ..uploads import upload_read
from .export import contract_ocid, contract_release_package
from .forms import OcdsApplyForm, OcdsUploadForm
from .reader import TYPE_WORDS, roles_in_words
from .services import ocds_import_apply, ocds_preview


@login_required
def ocds_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a contract as an OCDS release package."""
    contract = contract_get_for_user(user=cast(User, request.user), pk=pk)
    uri = f"{settings.MILEPOST_BASE_URL}/api/v1/contracts/{contract.pk}/ocds"
    package = contract_release_package(contract=contract, uri=uri)
    response = HttpResponse(
        json.dumps(package, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="{contract_ocid(contract)}.json"'
    return response


@login_required
def ocds_upload(request: HttpRequest) -> HttpResponse:
    """Upload an OCDS file; a valid one goes to its preview, an invalid one is refused here."""
    form = OcdsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = upload_read(form.cleaned_data["file"])
            batch = ocds_preview(upload=upload, actor=cast(User, request.user))
        except DomainError as exc:
            if exc.field == "file" or exc.field is None:
                form.add_error("file", exc.message)
            else:
                add_domain_error(form, exc)
        else:
            return redirect("interchange:ocds-import-preview", pk=batch.pk)
    status = 422 if form.errors else 200
    return render(request, "interchange/ocds/upload.html", {"form": form}, status=status)


STATUS_WORDS = {
    "scheduled": "Scheduled",
    "met": "Met",
    "notMet": "Not met",
    "partiallyMet": "Partially met",
}


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _shown(contract: dict[str, Any]) -> dict[str, Any]:
    """A previewed contract with dates as dates and its value with its currency symbol."""
    value = contract["value"]
    money = ""
    if value is not None:
        money = (
            format_money(Decimal(value), contract["currency"])
            if contract["currency"] in currencies()
            else f"{value} {contract['currency']}".strip()
        )
    return {
        **contract,
        "money": money,
        "parties": [{**p, "roles": roles_in_words(p["roles"])} for p in contract["parties"]],
        "start": _day(contract["start"]),
        "end": _day(contract["end"]),
        "milestones": [
            {
                **m,
                "due": _day(m["due"]),
                "met": _day(m["met"]),
                "status": STATUS_WORDS.get(m["status"], m["status"]),
                "type": TYPE_WORDS.get(m["type"], m["type"]),
            }
            for m in contract["milestones"]
        ],
    }


@login_required
def ocds_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what an OCDS file holds and create the chosen contract from it."""
    user = cast(User, request.user)
    batch = batch_get_for_user(user=user, pk=pk, kind=ImportKind.OCDS)
    form = OcdsApplyForm(request.POST or None, batch=batch, user=user)
    if request.method == "POST" and batch.status == ImportStatus.PREVIEWED:
        contract = save_form(
            form,
            lambda data: ocds_import_apply(
                batch=batch,
                actor=user,
                contract_key=data["contract"],
                organisation=data["organisation"],
                party_role=data["party_role"],
                party_map=form.party_map(),
                counterparty=data["counterparty"],
                reference=data["reference"],
                title=data["title"],
                value=data["value"],
                currency=data["currency"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            ),
        )
        if contract is not None:
            messages.success(request, f"Contract {contract.reference} imported as a draft.")
            return redirect("reporting:contract-detail", pk=contract.pk)
    context = {
        "batch": batch,
        "form": form,
        "contracts": [_shown(c) for c in batch.preview.get("contracts", [])],
        "party_fields": [form[name] for _, name in form.party_fields],
        "open": batch.status == ImportStatus.PREVIEWED,
        "can_create": form.fields["organisation"].queryset.exists(),  # type: ignore[attr-defined]
    }
    status = 422 if form.errors else 200
    return render(request, "interchange/ocds/preview.html", context, status=status)


@login_required
@require_POST
def ocds_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop an OCDS import without creating anything."""
    user = cast(User, request.user)
    batch = batch_get_for_user(user=user, pk=pk, kind=ImportKind.OCDS)
    try:
        batch_discard(batch=batch, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("interchange:ocds-import-preview", pk=batch.pk)
    messages.success(request, "The OCDS import was discarded; nothing was created.")
    return redirect("reporting:contract-list")
