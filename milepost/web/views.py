"""Web pages: each view checks access through a selector, calls one service, and renders."""

import secrets
from collections.abc import Callable
from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.accounts.selectors import (
    api_token_get_for_user,
    api_tokens_for_user,
    organisations_managed_by,
)
from milepost.accounts.services import api_token_create, api_token_revoke
from milepost.alerts.inbox import is_watching
from milepost.approvals.selectors import gate_lines
from milepost.approvals.services import gate_decide, gate_release
from milepost.audit.selectors import events_for_contract
from milepost.contracts.selectors import (
    contract_access,
    contract_get_for_user,
    contracts_for_user,
    parties_for_contract,
    party_get_for_contract,
)
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, NotFound
from milepost.core.forms import add_domain_error, set_currency
from milepost.payments.selectors import payment_for_milestone, payment_totals, payments_for_contract
from milepost.payments.services import payment_record_invoice, payment_record_paid, payment_release
from milepost.performance.selectors import kpi_for_milestone, measurements_for_kpi
from milepost.performance.services import measurement_record
from milepost.reporting.timeline import timeline_context
from milepost.schedule.changes import change_requests_for_user
from milepost.schedule.choices import ChangeStatus, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.risks import risk_panel
from milepost.schedule.selectors import (
    RELATED,
    contract_counts_for_user,
    contract_progress,
    milestone_filter,
    milestone_get_for_user,
    milestone_history,
    milestones_for_contract,
)
from milepost.schedule.services import (
    comment_add,
    deliverable_accept,
    deliverable_reject,
    evidence_add,
    may_reschedule_directly,
    milestone_reschedule,
    milestone_set_status,
    status_update_post,
)

from . import forms
from .charts import measurement_chart
from .feedback import message_form_errors, posted_values, run_action


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = list(contracts_for_user(user=request.user))  # type: ignore[arg-type]
    counts = contract_counts_for_user(user=request.user)  # type: ignore[arg-type]
    rows = [(contract, counts.get(contract.pk)) for contract in contracts]
    can_create = organisations_managed_by(user=request.user).exists()  # type: ignore[arg-type]
    return render(request, "web/contract_list.html", {"rows": rows, "can_create": can_create})


MILESTONE_PAGE = 50
PAYMENT_PAGE = 50


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    today = local_today(contract.time_zone)
    user = cast(User, request.user)
    filters = forms.ContractMilestoneFilterForm(request.GET, contract=contract)
    table = milestones_for_contract(contract=contract)
    if filters.is_valid():
        table = table.filter(milestone_filter(user=user, **filters.filters()))
    else:
        table = table.none()
    context = {
        "contract": contract,
        "access": contract_access(user=request.user, contract=contract),  # type: ignore[arg-type]
        "parties": parties_for_contract(contract=contract),
        # The timeline draws them all; the table pages through them.
        "milestones": Paginator(table, MILESTONE_PAGE).get_page(request.GET.get("page")),
        "filters": filters,
        "filtered": filters.is_valid() and any(filters.cleaned_data.values()),
        # Pages of the schedule; the totals below it are over every payment.
        "progress": contract_progress(contract=contract),
        "payments": Paginator(payments_for_contract(contract=contract), PAYMENT_PAGE).get_page(
            request.GET.get("payments_page")
        ),
        "totals": payment_totals(contract=contract),
        "today": today,
        "history": events_for_contract(contract_id=contract.pk)[:25],
        "watching": is_watching(user=user, contract=contract),
        **timeline_context(contract=contract, query=request.GET, today=today),
    }
    return render(
        request, "web/contract_detail.html", context, status=400 if filters.errors else 200
    )


@login_required
def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _milestone_page(request, pk)


def _milestone_page(
    request: HttpRequest, pk: int, *, refused: str = "", status: int = 200
) -> HttpResponse:
    """Draw a milestone's page; after a refused form (``refused``), with what was typed in it."""
    milestone = milestone_get_for_user(user=request.user, pk=pk, related=RELATED)  # type: ignore[arg-type]
    access = contract_access(user=request.user, contract=milestone.contract)  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "milestone": milestone,
        "access": access,
        "watching": is_watching(user=request.user, milestone=milestone),  # type: ignore[arg-type]
        # The owner (unless since made a viewer) and managers post updates and start the milestone.
        "can_update": access.can_contribute
        and (milestone.owner_id == request.user.pk or access.can_manage),
        "history": milestone_history(milestone=milestone)[:50],
        "today": local_today(milestone.contract.time_zone),
        "status_update_form": forms.StatusUpdateForm(),
        "comment_form": forms.CommentForm(),
        "evidence_form": forms.EvidenceForm(),
        "status_form": forms.StatusForm(
            request.POST if refused == "status" else None, kind=milestone.kind
        ),
        # Each small form draws its fields from here after a refusal, so nothing typed is lost.
        "posted": {refused: posted_values(request)} if refused else {},
        "reschedule_form": forms.RescheduleForm(initial={"due_date": milestone.due_date}),
        "may_reschedule": may_reschedule_directly(milestone, access),
        "pending_changes": list(
            change_requests_for_user(
                user=request.user,  # type: ignore[arg-type]
                milestone=milestone.pk,
                status=ChangeStatus.PENDING,
            )
        ),
    }
    context.update(risk_panel(user=request.user, milestone=milestone))  # type: ignore[arg-type]
    if milestone.kind == MilestoneKind.PAYMENT:
        terms = payment_for_milestone(milestone=milestone)
        context.update(
            terms=terms,
            payment_state=terms.state(context["today"]),
            invoice_form=forms.InvoiceForm(),
            paid_form=forms.PaidForm(),
        )
    elif milestone.kind == MilestoneKind.PERFORMANCE:
        kpi = kpi_for_milestone(milestone=milestone)
        measurements = list(measurements_for_kpi(kpi=kpi)) if kpi else []
        context.update(
            kpi=kpi,
            measurements=measurements,
            chart=measurement_chart(kpi, measurements) if kpi else None,
            measurement_form=forms.MeasurementForm(),
        )
    elif milestone.kind == MilestoneKind.GATE:
        lines = gate_lines(milestone=milestone)
        context.update(
            gate_lines=lines,
            decidable=[
                line.party
                for line in lines
                if line.decision is None and access.acts_for(line.party.pk, Role.MANAGER)
            ],
        )
    elif milestone.kind == MilestoneKind.DELIVERABLE:
        context["acceptance_form"] = forms.AcceptanceForm()
    return render(request, "web/milestone_detail.html", context, status=status)


Action = Callable[[Milestone, dict[str, Any], Any], object]


def _act(
    request: HttpRequest,
    pk: int,
    form_class: type[django_forms.Form],
    action: Action,
    done: str,
    *,
    name: str,
) -> HttpResponse:
    """Validate the form named ``name`` on the page, run one service, and go back.

    Done: back to the milestone with a message. Refused, by the form or a rule: the page again
    (422) with the reason and everything typed still in the form.
    """
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = form_class(request.POST, request.FILES)
    set_currency(form, milestone.contract.currency)
    if not form.is_valid():
        message_form_errors(request, form)
        done_ok = False
    else:
        # A role that may not do this is told so on the milestone's page, not with a 403.
        done_ok = run_action(
            request,
            lambda: action(milestone, form.cleaned_data, request.user),
            done,
            raise_=(NotFound,),
        )
    if not done_ok:
        return _milestone_page(request, milestone.pk, refused=name, status=422)
    return redirect("web:milestone-detail", pk=milestone.pk)


@login_required
@require_POST
def post_status_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
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
    return _act(
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
    return _act(
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
    return _act(
        request, pk, forms.AcceptanceForm, _acceptance, "Decision recorded.", name="acceptance"
    )


def _gate_decision(milestone: Milestone, data: dict[str, Any], user: Any) -> object:
    party = party_get_for_contract(contract=milestone.contract, pk=data["party"])
    return gate_decide(
        milestone=milestone,
        party=party,
        decision=data["decision"],
        comment=data["comment"],
        actor=user,
    )


@login_required
@require_POST
def post_gate_decision(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.GateDecisionForm,
        _gate_decision,
        "Gate decision recorded.",
        name="gate",
    )


@login_required
@require_POST
def post_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.InvoiceForm,
        lambda m, d, u: payment_record_invoice(
            milestone=m, invoiced_on=d["invoiced_on"], amount=d["amount"], actor=u
        ),
        "Invoice recorded.",
        name="invoice",
    )


@login_required
@require_POST
def post_paid(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.PaidForm,
        lambda m, d, u: payment_record_paid(
            milestone=m, paid_on=d["paid_on"], amount=d["amount"], actor=u
        ),
        "Payment recorded.",
        name="paid",
    )


@login_required
@require_POST
def post_measurement(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.MeasurementForm,
        lambda m, d, u: measurement_record(
            milestone=m, period_start=d["period_start"], value=d["value"], note=d["note"], actor=u
        ),
        "Measurement recorded.",
        name="measurement",
    )


@login_required
@require_POST
def post_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, forms.StatusForm, _set_status, "Status changed.", name="status")


def _set_status(milestone: Milestone, data: dict[str, Any], user: Any) -> object:
    """Payments and gates are given up through their own services, which know who is owed."""
    release = {MilestoneKind.PAYMENT: payment_release, MilestoneKind.GATE: gate_release}.get(
        MilestoneKind(milestone.kind)
    )
    if release is not None:
        return release(
            milestone=milestone, status=data["status"], reason=data["reason"], actor=user
        )
    return milestone_set_status(
        milestone=milestone, status=data["status"], reason=data["reason"], actor=user
    )


@login_required
@require_POST
def post_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        forms.RescheduleForm,
        lambda m, d, u: milestone_reschedule(
            milestone=m, due_date=d["due_date"], reason=d["reason"], actor=u
        ),
        "Due date changed; the baseline stays.",
        name="reschedule",
    )


USED_TOKEN_FORMS = "used_token_forms"
USED_TOKEN_FORMS_KEPT = 20


def _new_token_form() -> forms.ApiTokenForm:
    return forms.ApiTokenForm(initial={"form_id": secrets.token_urlsafe(16)})


# never_cache: the response to a successful POST holds the new secret, which no cache may keep.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """List the person's API tokens and create one; its secret is in this response only."""
    user = cast(User, request.user)
    form = forms.ApiTokenForm(request.POST) if request.method == "POST" else _new_token_form()
    created = None
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        used: list[str] = request.session.get(USED_TOKEN_FORMS, [])
        if data["form_id"] and data["form_id"] in used:
            # The same form again, as a reload after creating sends it: never a second token.
            messages.info(
                request,
                "This form was already sent and its token created; its secret was shown once. "
                "If you did not copy it, revoke the token and create another.",
            )
            form, status = _new_token_form(), 409
        else:
            try:
                created = api_token_create(
                    user=user,
                    name=data["name"],
                    read_only=data["read_only"],
                    expires_at=data["expires_at"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if data["form_id"]:
                    used = [*used, data["form_id"]][-USED_TOKEN_FORMS_KEPT:]
                    request.session[USED_TOKEN_FORMS] = used
                form = _new_token_form()
    context = {
        "tokens": api_tokens_for_user(user=user),
        "now": timezone.now(),
        "form": form,
        "created": created,
    }
    return render(request, "web/token_list.html", context, status=422 if form.errors else status)


@login_required
@require_POST
def post_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    token = api_token_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: api_token_revoke(token=token, actor=user),
        f"Token “{token.name}” revoked; it no longer works.",
        raise_=(NotFound,),
    )
    return redirect("web:token-list")
