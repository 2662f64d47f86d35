"""A contract's documents and the review of what Milepost read from one: upload, read the text
with its citations marked, accept, edit or reject each proposal, then create the accepted set."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_get_for_user, documents_for_contract
from milepost.contracts.services import contract_document_add_refusal
from milepost.core.errors import DomainError, NotFound
from milepost.web.feedback import form_page, run_action, save_form

from . import pages
from .choices import ProposalStatus
from .forms import DocumentUploadForm, ProposalForm
from .selectors import document_get_for_user, proposal_get_for_user, proposals_for_document
from .services import (
    document_upload_and_read,
    proposal_decide,
    proposal_edit,
    proposal_review_refusal,
    proposals_apply,
)

DECISIONS = {
    "accept": "Accepted: it will be created with the others you accept.",
    "reject": "Rejected: nothing will be created from it.",
    "reopen": "Reopened: it waits for review again.",
}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _reason(refusal: DomainError | None) -> str:
    return refusal.message if refusal is not None else ""


@login_required
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, pk: int) -> HttpResponse:
    """The contract's documents and, for those who may, the form to upload one."""
    user = _user(request)
    contract = contract_get_for_user(user=user, pk=pk)
    refusal = _reason(contract_document_add_refusal(contract=contract, user=user))
    form = DocumentUploadForm()
    if request.method == "POST" and not refusal:
        form = DocumentUploadForm(request.POST, request.FILES)
        document = save_form(
            form,
            lambda d: document_upload_and_read(
                contract=contract, upload=d["file"], title=d["title"], actor=user
            ),
        )
        if document is not None:
            messages.success(
                request,
                f"Read “{document.title}”: review what Milepost found in it below the text.",
            )
            return redirect("extraction:document-review", pk=document.pk)
    rows = documents_for_contract(contract=contract).annotate(
        proposal_count=Count("proposals"),
        waiting=Count("proposals", filter=Q(proposals__status=ProposalStatus.PENDING)),
        accepted=Count("proposals", filter=Q(proposals__status=ProposalStatus.ACCEPTED)),
        created=Count("proposals", filter=Q(proposals__status=ProposalStatus.APPLIED)),
    )
    context = {"contract": contract, "documents": rows, "form": form, "refusal": refusal}
    return form_page(request, "extraction/documents.html", context)


@login_required
def document_review(
    request: HttpRequest,
    pk: int,
    *,
    apply_error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    """The document's text with each citation marked, and its proposals to review beside it."""
    user = _user(request)
    document = document_get_for_user(user=user, pk=pk)
    refusal = _reason(proposal_review_refusal(document=document, user=user))
    context = pages.review_context(
        document=document,
        proposals=proposals_for_document(document=document),
        may_review=not refusal,
    )
    context.update(
        refusal=refusal,
        apply_error=apply_error.message if apply_error else "",
        apply_errors=list(getattr(apply_error, "errors", None) or []),
    )
    return render(request, "extraction/review.html", context, status=status)


@login_required
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    """The document's file as uploaded, for its contract's people only."""
    document = document_get_for_user(user=_user(request), pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The document's file is missing from the evidence store.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _back(proposal: Any) -> str:
    url = reverse("extraction:document-review", args=[proposal.document_id])
    return f"{url}#proposal-{pages.proposal_key(proposal)}"


@login_required
@require_POST
def proposal_decision(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Accept, reject or reopen one proposal, then go back to it on the review page."""
    if decision not in DECISIONS:
        raise Http404("No such decision.")
    user = _user(request)
    proposal = proposal_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: proposal_decide(proposal=proposal, decision=decision, actor=user),
        DECISIONS[decision],
    )
    return redirect(_back(proposal))


@login_required
@require_http_methods(["GET", "POST"])
def proposal_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one proposal's values (the fields of its kind); save it, and while it waits for
    review, save and accept it."""
    user = _user(request)
    proposal = proposal_get_for_user(user=user, pk=pk)
    document = proposal.document
    refusal = _reason(proposal_review_refusal(document=document, user=user))
    form = ProposalForm(
        request.POST if request.method == "POST" and not refusal else None,
        kind=proposal.kind,
        values=pages.edit_initial(proposal),
        choices=pages.edit_choices(document=document, proposal=proposal),
        currency=document.contract.currency,
    )
    for name, note in pages.edit_help(proposal, document.contract.currency).items():
        if name in form.fields:
            form.fields[name].help_text = note
    # Only a proposal waiting for review is accepted with its edit; an accepted one is saved.
    pending = proposal.status == ProposalStatus.PENDING
    accept = pending and request.POST.get("then") == "accept"

    def write(_data: dict[str, Any]) -> Any:
        if accept:
            return proposal_decide(
                proposal=proposal, decision="accept", actor=user, values=form.values()
            )
        return proposal_edit(proposal=proposal, values=form.values(), actor=user)

    if form.is_bound and save_form(form, write) is not None:
        messages.success(request, "Saved and accepted." if accept else "Saved.")
        return redirect(_back(proposal))
    key = pages.proposal_key(proposal)
    context = {
        "proposal": proposal,
        "document": document,
        "contract": document.contract,
        "key": key,
        "form": form,
        "refusal": refusal,
        "read": pages.show_one(proposal, key),
        "pending": pending,
    }
    return form_page(request, "extraction/proposal_edit.html", context)


@login_required
@require_POST
def document_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the accepted proposals' milestones in one go, or say what to fix first."""
    user = _user(request)
    document = document_get_for_user(user=user, pk=pk)
    try:
        counts = proposals_apply(document=document, actor=user)
    except NotFound:
        raise
    except DomainError as exc:
        # 422 for what to fix first; a conflict (everything was created already) keeps its 409.
        return document_review(request, pk, apply_error=exc, status=exc.status)
    made = int(counts.get("milestones_created", 0))
    damages = int(counts.get("damages", 0))
    if made:
        tail = " and set the delay damages" if damages else ""
        messages.success(request, f"Created {made} milestone{'s' if made != 1 else ''}{tail}.")
    else:
        messages.success(request, "Set the delay damages.")
    return redirect(reverse("extraction:document-review", args=[pk]) + "#created")
