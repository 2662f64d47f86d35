"""Programme import pages: upload into a contract, then the preview to choose and apply."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from milepost.accounts.models import User
from milepost.contracts.selectors import (
    contract_access,
    contract_get_for_user,
    parties_for_contract,
    people_for_contract,
)
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.schedule.planning import require_editable

from ..batches import batch_discard
from ..choices import ImportStatus
from ..uploads import upload_read
from .reading import ACCEPT, JAVA_FORMATS, JAVA_HINT, PYTHON_FORMATS, java_available
from .services import programme_apply, programme_batch_get, programme_plan, programme_preview


def _refusal(user: User, contract: Any) -> str:
    """Why this person may not import into the contract, or "" when they may."""
    try:
        contract_access(user=user, contract=contract).require_manager()
        require_editable(contract)
    except DomainError as refusal:
        return refusal.message
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def programme_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a programme file into a contract; a readable one goes on to its preview."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    refusal = _refusal(user, contract)
    error = ""
    if request.method == "POST" and not refusal:
        try:
            batch = programme_preview(
                contract=contract, upload=upload_read(request.FILES.get("file")), actor=user
            )
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("interchange:programmes-preview", pk=batch.pk)
    context = {
        "contract": contract,
        "refusal": refusal,
        "error": error,
        "java": java_available(),
        "java_formats": JAVA_FORMATS,
        "java_hint": JAVA_HINT,
        "python_formats": PYTHON_FORMATS,
        "accept": ACCEPT,
    }
    return render(
        request, "interchange/programmes/upload.html", context, status=422 if error else 200
    )


def _posted_options(request: HttpRequest) -> dict[str, Any]:
    mapping: dict[str, dict[str, Any]] = {}
    for key in request.POST.getlist("map_key"):
        index = key.split(":", 1)[0]
        name = key.split(":", 1)[1] if ":" in key else key
        party = request.POST.get(f"map_party_{index}") or None
        owner = request.POST.get(f"map_owner_{index}") or None
        if party or owner:
            mapping[name] = {"party": party, "owner": owner}
    return {
        "tasks": request.POST.getlist("task"),
        "responsible_party": request.POST.get("responsible_party") or None,
        "accepting_party": request.POST.get("accepting_party") or None,
        "owner": request.POST.get("owner") or None,
        "mapping": mapping,
    }


@login_required
@require_http_methods(["GET", "POST"])
def programme_preview_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what the import would do; check other choices, apply it whole, or discard it."""
    user = cast(User, request.user)
    batch = programme_batch_get(user=user, pk=pk)
    contract = batch.contract
    assert contract is not None
    options: dict[str, Any] = batch.options
    error = ""
    if request.method == "POST" and batch.status == ImportStatus.PREVIEWED:
        action = request.POST.get("action", "check")
        if action == "discard":
            batch_discard(batch=batch, actor=user)
            messages.success(request, f"The import of '{batch.file_name}' was discarded.")
            return redirect("reporting:contract-detail", pk=contract.pk)
        options = _posted_options(request)
        if action == "apply":
            try:
                applied = programme_apply(batch=batch, actor=user, options=options)
            except (NotFound, Forbidden):
                raise
            except DomainError as exc:
                error = exc.message
            else:
                counts = applied.counts
                messages.success(
                    request,
                    f"Imported '{batch.file_name}': {counts.get('milestones_created', 0)} new "
                    f"milestones, {counts.get('dependencies', 0)} dependencies, "
                    f"{counts.get('rescheduled', 0)} rescheduled, "
                    f"{counts.get('change_requests', 0)} change requests.",
                )
                return redirect("reporting:contract-detail", pk=contract.pk)
    plan = programme_plan(batch=batch, actor=user, options=options)
    summary = batch.preview.get("summary", {})
    keys = [
        *summary.get("resources", []),
        *(f"wbs:{code}" for code in summary.get("wbs_groups", [])),
    ]
    mapping = options.get("mapping") or {}
    context = {
        "batch": batch,
        "contract": contract,
        "summary": summary,
        "plan": plan,
        "options": options,
        "chosen": {str(uid) for uid in options.get("tasks") or []},
        "parties": parties_for_contract(contract=contract).select_related("organisation"),
        "people": people_for_contract(contract=contract),
        "mapping_rows": [
            {
                "index": index,
                "key": key,
                "label": f"WBS {key[4:]}" if key.startswith("wbs:") else key,
                "party": str((mapping.get(key) or {}).get("party") or ""),
                "owner": str((mapping.get(key) or {}).get("owner") or ""),
            }
            for index, key in enumerate(keys)
        ],
        "selected_party": str(options.get("responsible_party") or ""),
        "selected_accepting": str(options.get("accepting_party") or ""),
        "selected_owner": str(options.get("owner") or ""),
        "error": error,
        "applied": batch.status != ImportStatus.PREVIEWED,
    }
    status = 422 if error else 200
    return render(request, "interchange/programmes/preview.html", context, status=status)
