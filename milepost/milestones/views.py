"""Milestone pages: a milestone's page and the small forms on it, and creating and editing one;
and saving a contract's edit form, whose value percentage payments follow.

Each view checks access through a selector, calls one service, and renders; what depends on the
milestone's kind goes through ``kinds``.
"""

from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.forms import ContractEditForm
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.contracts.views import contract_edit_page
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, NotFound
from milepost.core.forms import set_currency
from milepost.finance.damages.selectors import damages_panel
from milepost.schedule.acceptance import deliverable_accept, deliverable_reject, deliverable_submit
from milepost.schedule.changes import change_request_submit_refusal, change_requests_for_user
from milepost.schedule.choices import ChangeStatus
from milepost.schedule.models import Citation, Milestone
from milepost.schedule.records import (
    comment_add,
    comment_add_refusal,
    evidence_add,
    evidence_add_refusal,
    status_update_post,
    status_update_refusal,
)
from milepost.schedule.risks.register import risk_panel
from milepost.schedule.selectors import RELATED, milestone_get_for_user, milestone_history
from milepost.schedule.services import may_reschedule_directly, milestone_reschedule
from milepost.web.feedback import form_page, post_on_page, posted_values, save_form

from . import forms
from .kinds import (
    contract_change,
    kind_page_context,
    milestone_change_status,
    milestone_create_of_kind,
    milestone_edit_form,
    milestone_edit_of_kind,
    status_choices,
)

# A small form of the page (its ``name`` in ``post_on_page``) -> its reason in the context.
REFUSED_FORMS = {
    "update": "update_refusal",
    "comment": "comment_refusal",
    "evidence": "evidence_refusal",
    "status": "status_refusal",
    "acceptance": "acceptance_refusal",
    "submission": "submission_refusal",
    "invoice": "invoice_refusal",
    "paid": "paid_refusal",
    "measurement": "measurement_refusal",
}


@login_required
def milestone_detail(
    request: HttpRequest, pk: int, *, refused: str = "", status: int = 200
) -> HttpResponse:
    """Draw a milestone's page; after a refused form (``refused``), with what was typed in it."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk, related=RELATED)
    access = contract_access(user=user, contract=milestone.contract)
    today = local_today(milestone.contract.time_zone)
    allowed, status_refusal = status_choices(milestone=milestone, user=user, access=access)
    # After a refusal the choice made stays selected, among the others of its kind.
    statuses = None if refused == "status" else allowed
    update_refusal = status_update_refusal(milestone=milestone, user=user, access=access)
    # Whether the person watches it is alerts' to say: its ``watching`` tag, in the template.
    # Each form comes with the reason it is not offered (empty when it is), from the same check
    # its service makes: a page never offers what would be refused.
    context: dict[str, Any] = {
        "milestone": milestone,
        "access": access,
        # The owner (unless since made a viewer) and managers post updates and start the milestone.
        "can_update": update_refusal is None,
        "update_refusal": update_refusal.message if update_refusal else "",
        "comment_refusal": _reason(
            comment_add_refusal(milestone=milestone, user=user, access=access)
        ),
        "evidence_refusal": _reason(
            evidence_add_refusal(milestone=milestone, user=user, access=access)
        ),
        "history": milestone_history(milestone=milestone)[:50],
        # Where the contract's own words set it (read from one of its documents), if they did.
        # One query, without the document's text: the page shows the clause, title and quote.
        "citation": Citation.objects.filter(milestone=milestone)
        .select_related("document")
        .only("clause", "start", "end", "page", "quote", "document__title")
        .first(),
        "today": today,
        "status_update_form": forms.StatusUpdateForm(),
        "comment_form": forms.CommentForm(),
        "evidence_form": forms.EvidenceForm(),
        "status_form": forms.StatusForm(
            request.POST if refused == "status" else None, kind=milestone.kind, statuses=statuses
        ),
        "status_refusal": status_refusal,
        # Each small form draws its fields from here after a refusal, so nothing typed is lost.
        "posted": {refused: posted_values(request)} if refused else {},
        "reschedule_form": forms.RescheduleForm(initial={"due_date": milestone.due_date}),
        "may_reschedule": may_reschedule_directly(milestone, access),
        "change_refusal": _reason(
            change_request_submit_refusal(milestone=milestone, user=user, access=access)
        ),
        "pending_changes": list(
            change_requests_for_user(user=user, milestone=milestone.pk, status=ChangeStatus.PENDING)
        ),
        "submission_form": forms.SubmissionForm(),
        # Ticked files are a list, which ``posted`` keeps only the last of.
        "posted_evidence": [int(v) for v in request.POST.getlist("evidence") if v.isdigit()]
        if refused == "submission"
        else [],
    }
    context.update(risk_panel(user=user, milestone=milestone))
    context.update(kind_page_context(milestone=milestone, access=access, today=today, user=user))
    context.update(damages_panel(milestone=milestone, access=access, today=today))
    if refused in REFUSED_FORMS:
        # The form just refused is drawn again with what was typed, even if the person may not
        # send it now (the message says why): nothing they wrote is lost.
        context[REFUSED_FORMS[refused]] = ""
        context["can_update"] = context["can_update"] or refused == "update"
    return render(request, "milestones/milestone_detail.html", context, status=status)


def _reason(refusal: DomainError | None) -> str:
    return refusal.message if refusal is not None else ""


def post_milestone_form(
    request: HttpRequest,
    pk: int,
    form_class: type[django_forms.Form],
    action: Any,
    done: str,
    *,
    name: str,
) -> HttpResponse:
    """Run the small form ``name`` of a milestone's page: ``action(milestone, data, user)``."""
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = form_class(request.POST, request.FILES)
    set_currency(form, milestone.contract.currency)
    return post_on_page(
        request,
        form,
        lambda data: action(milestone, data, request.user),
        done,
        page=reverse("milestones:milestone-detail", args=[milestone.pk]),
        name=name,
    )


@login_required
@require_POST
def post_status_update(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.StatusUpdateForm,
        lambda m, d, u: status_update_post(
            milestone=m, text=d["text"], progress=d["progress"], actor=u
        ),
        "Status update posted.",
        name="update",
    )


@login_required
@require_POST
def post_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.CommentForm,
        lambda m, d, u: comment_add(milestone=m, text=d["text"], actor=u),
        "Comment added.",
        name="comment",
    )


@login_required
@require_POST
def post_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.EvidenceForm,
        lambda m, d, u: evidence_add(milestone=m, upload=d["file"], actor=u),
        "Evidence uploaded.",
        name="evidence",
    )


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk, related=["evidence"])  # type: ignore[arg-type]
    evidence = next((e for e in milestone.evidence.all() if e.pk == evidence_id), None)
    if evidence is None:
        raise NotFound("evidence")
    response = FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _acceptance(milestone: Milestone, data: dict[str, Any], user: Any) -> object:
    if data["outcome"] == "reject":
        return deliverable_reject(milestone=milestone, comment=data["comment"], actor=user)
    return deliverable_accept(
        milestone=milestone,
        comment=data["comment"],
        partial=data["outcome"] == "partial",
        actor=user,
    )


@login_required
@require_POST
def post_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request, pk, forms.AcceptanceForm, _acceptance, "Decision recorded.", name="acceptance"
    )


@login_required
@require_POST
def post_submission(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.SubmissionForm,
        lambda m, d, u: deliverable_submit(
            milestone=m, note=d["note"], evidence=d["evidence"], actor=u
        ),
        "Submitted for acceptance; the receiving party is asked to decide.",
        name="submission",
    )


@login_required
@require_POST
def post_status(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.StatusForm,
        lambda m, d, u: milestone_change_status(
            milestone=m, status=d["status"], reason=d["reason"], actor=u
        ),
        "Status changed.",
        name="status",
    )


@login_required
@require_POST
def post_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return post_milestone_form(
        request,
        pk,
        forms.RescheduleForm,
        lambda m, d, u: milestone_reschedule(
            milestone=m, due_date=d["due_date"], reason=d["reason"], actor=u
        ),
        "Due date changed; the baseline stays.",
        name="reschedule",
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Add a milestone of one kind to a contract (its managers only)."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form_class = forms.CREATE_FORMS.get(kind)
    if form_class is None:
        raise Http404("No such kind of milestone.")
    contract_access(user=user, contract=contract).require_manager()
    form = form_class(request.POST if request.method == "POST" else None, contract=contract)
    milestone = save_form(
        form,
        lambda d: milestone_create_of_kind(kind=kind, contract=contract, data=d, actor=user),
    )
    if milestone is not None:
        messages.success(request, f"{form_class.kind.label} “{milestone.title}” added.")
        return redirect("milestones:milestone-detail", pk=milestone.pk)
    return form_page(
        request,
        "milestones/milestone_form.html",
        {"form": form, "contract": contract, "kind": form_class.kind, "milestone": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a milestone's title, owner, criticality and criteria; a payment's terms too."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    contract = milestone.contract
    contract_access(user=user, contract=contract).require_manager()
    form_class, initial = milestone_edit_form(milestone=milestone)
    form = form_class(
        request.POST if request.method == "POST" else None, initial=initial, contract=contract
    )
    edited = save_form(
        form, lambda d: milestone_edit_of_kind(milestone=milestone, data=d, actor=user)
    )
    if edited is not None:
        messages.success(request, "Milestone saved.")
        return redirect("milestones:milestone-detail", pk=milestone.pk)
    return form_page(
        request,
        "milestones/milestone_form.html",
        {"form": form, "contract": contract, "kind": milestone.kind, "milestone": milestone},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a contract's terms and value; its owning organisation's managers only."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    contract_access(user=user, contract=contract).require_administrator()
    form = ContractEditForm(
        request.POST if request.method == "POST" else None,
        initial=ContractEditForm.initial_for(contract),
    )
    set_currency(form, contract.currency)

    saved = save_form(form, lambda d: contract_change(contract=contract, data=d, actor=user))
    if saved is not None:
        messages.success(request, "Contract saved.")
        return redirect("reporting:contract-detail", pk=contract.pk)
    if form.errors:
        contract.refresh_from_db()
    return contract_edit_page(request, contract, user, form=form)
