"""Pages that create and edit contracts, their parties, milestones and dependencies.

Each page shows a form; a valid post runs the services in one transaction, so a rule that
refuses the second change takes back the first. A refused form is shown again with the error on
the field the rule names (422), and nothing is saved.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.approvals.services import gate_create
from milepost.contracts.forms import ContractEditForm, ContractForm, ContractStatusForm, PartyForm
from milepost.contracts.models import Contract
from milepost.contracts.selectors import (
    contract_access,
    contract_get_for_user,
    parties_for_contract,
    party_get_for_contract,
)
from milepost.contracts.services import (
    contract_create,
    contract_set_status,
    contract_update,
    party_add,
    party_remove,
)
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error, set_currency
from milepost.payments.choices import PaymentBasis
from milepost.payments.selectors import payment_for_milestone
from milepost.payments.services import (
    contract_revalue,
    payment_milestone_create,
    payment_terms_change,
)
from milepost.performance.services import performance_milestone_create
from milepost.schedule.choices import DependencyType, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import LINKS, milestone_get_for_user
from milepost.schedule.services import (
    EDITABLE_FIELDS,
    dependency_add,
    dependency_remove,
    milestone_create,
    milestone_update,
)

from . import forms
from .feedback import message_form_errors, run_action


def _save(form: django_forms.BaseForm, write: Callable[[dict[str, Any]], Any]) -> Any:
    """Run ``write`` on the form's data in one transaction; on a refusal, show it on the form.

    Returns what ``write`` returned, or None when the form or a rule refused it.
    """
    if not form.is_bound or not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return write(form.cleaned_data)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    form = context["form"]
    return render(request, template, context, status=422 if form.errors else 200)


# Contracts


@login_required
@require_http_methods(["GET", "POST"])
def contract_new(request: HttpRequest) -> HttpResponse:
    """Create a draft contract for one of the organisations the person manages."""
    user = cast(User, request.user)
    form = ContractForm(request.POST if request.method == "POST" else None, user=user)
    if not form.fields["organisation"].queryset.exists():  # type: ignore[attr-defined]
        raise Forbidden("Only a manager or admin of an organisation may create contracts.")

    def write(data: dict[str, Any]) -> Contract:
        return contract_create(actor=user, **data)

    contract = _save(form, write)
    if contract is not None:
        messages.success(request, f"Contract {contract.reference} created as a draft.")
        return redirect("web:contract-detail", pk=contract.pk)
    return _page(request, "web/contract_form.html", {"form": form, "contract": None})


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

    def write(data: dict[str, Any]) -> Contract:
        value = data.pop("value")
        contract_update(contract=contract, actor=user, **data)
        if value != contract.value:
            contract_revalue(contract=contract, value=value, actor=user)
        return contract

    if _save(form, write) is not None:
        messages.success(request, "Contract saved.")
        return redirect("web:contract-detail", pk=contract.pk)
    if form.errors:
        contract.refresh_from_db()
    return _contract_edit_page(request, contract, user, form=form)


def _contract_edit_page(
    request: HttpRequest,
    contract: Contract,
    user: User,
    *,
    form: django_forms.BaseForm | None = None,
    party_form: django_forms.BaseForm | None = None,
    status_form: django_forms.BaseForm | None = None,
) -> HttpResponse:
    """Draw the contract's edit page; a refused form among its three is drawn as it was typed."""
    contract_access(user=user, contract=contract).require_administrator()
    if form is None:
        form = ContractEditForm(initial=ContractEditForm.initial_for(contract))
        set_currency(form, contract.currency)
    forms_given = [f for f in (form, party_form, status_form) if f is not None]
    return render(
        request,
        "web/contract_form.html",
        {
            "form": form,
            "contract": contract,
            "parties": parties_for_contract(contract=contract),
            "party_form": party_form or PartyForm(contract=contract, user=user),
            "status_form": status_form or ContractStatusForm(contract=contract),
        },
        status=422 if any(f.errors for f in forms_given) else 200,
    )


@login_required
@require_POST
def contract_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = ContractStatusForm(request.POST, contract=contract)
    done = _save(
        form,
        lambda d: contract_set_status(contract=contract, status=d["status"], actor=user),
    )
    if done is None:
        message_form_errors(request, form)
        return _contract_edit_page(request, contract, user, status_form=form)
    messages.success(request, f"Contract is now {contract.get_status_display().lower()}.")
    return redirect("web:contract-edit", pk=contract.pk)


@login_required
@require_POST
def party_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = PartyForm(request.POST, contract=contract, user=user)
    party = _save(form, lambda d: party_add(contract=contract, actor=user, **d))
    if party is None:
        message_form_errors(request, form)
        return _contract_edit_page(request, contract, user, party_form=form)
    messages.success(request, f"{party} added.")
    return redirect("web:contract-edit", pk=contract.pk)


@login_required
@require_POST
def party_delete(request: HttpRequest, pk: int, party_id: int) -> HttpResponse:
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    try:
        party = party_get_for_contract(contract=contract, pk=party_id)
    except DomainError as exc:
        raise NotFound("party") from exc
    run_action(request, lambda: party_remove(party=party, actor=user), f"{party} removed.")
    return redirect("web:contract-edit", pk=contract.pk)


# Milestones


def _create(kind: str, contract: Contract, data: dict[str, Any], user: User) -> Milestone:
    common = {k: data.pop(k) for k in ("title", "owner", "due_date", "criticality")}
    common.update(acceptance_criteria=data.pop("acceptance_criteria") or "")
    common.update(description=data.pop("description"))
    if kind == MilestoneKind.DELIVERABLE:
        return milestone_create(contract=contract, kind=kind, actor=user, **common, **data)
    if kind == MilestoneKind.PAYMENT:
        return payment_milestone_create(contract=contract, actor=user, **common, **data)
    if kind == MilestoneKind.PERFORMANCE:
        return performance_milestone_create(contract=contract, actor=user, **common, **data)
    data["required_parties"] = list(data["required_parties"])
    return gate_create(contract=contract, actor=user, **common, **data)


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
    milestone = _save(form, lambda d: _create(kind, contract, dict(d), user))
    if milestone is not None:
        messages.success(request, f"{form_class.kind.label} “{milestone.title}” added.")
        return redirect("web:milestone-detail", pk=milestone.pk)
    return _page(
        request,
        "web/milestone_form.html",
        {"form": form, "contract": contract, "kind": form_class.kind, "milestone": None},
    )


TERMS = ("amount", "percentage", "retention_percent")


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a milestone's title, owner, criticality and criteria; a payment's terms too."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk)
    contract = milestone.contract
    contract_access(user=user, contract=contract).require_manager()
    initial: dict[str, Any] = {name: getattr(milestone, name) for name in EDITABLE_FIELDS}
    form_class: type[forms.MilestoneEditForm] = forms.MilestoneEditForm
    terms = None
    if milestone.kind == MilestoneKind.PAYMENT:
        terms = payment_for_milestone(milestone=milestone)
        if terms.invoiced_on is None:
            form_class = forms.PaymentEditForm
            initial["retention_percent"] = terms.retention_percent
            initial["amount" if terms.basis == PaymentBasis.AMOUNT else "percentage"] = (
                terms.amount if terms.basis == PaymentBasis.AMOUNT else terms.percentage
            )
    form = form_class(
        request.POST if request.method == "POST" else None, initial=initial, contract=contract
    )

    def write(data: dict[str, Any]) -> Milestone:
        changes = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
        milestone_update(milestone=milestone, actor=user, **changes)
        if terms is not None and "amount" in data and _terms_changed(terms, data):
            payment_terms_change(
                milestone=milestone,
                amount=data["amount"],
                percentage=data["percentage"],
                retention_percent=data["retention_percent"],
                actor=user,
            )
        return milestone

    if _save(form, write) is not None:
        messages.success(request, "Milestone saved.")
        return redirect("web:milestone-detail", pk=milestone.pk)
    return _page(
        request,
        "web/milestone_form.html",
        {"form": form, "contract": contract, "kind": milestone.kind, "milestone": milestone},
    )


def _terms_changed(terms: Any, data: dict[str, Any]) -> bool:
    wanted: dict[str, Decimal | None] = {k: data[k] for k in TERMS}
    now = {
        "amount": terms.amount if terms.basis == PaymentBasis.AMOUNT else None,
        "percentage": terms.percentage if terms.basis == PaymentBasis.PERCENTAGE else None,
        "retention_percent": terms.retention_percent,
    }
    return wanted != now


# Dependencies


@login_required
@require_http_methods(["GET", "POST"])
def milestone_dependencies(request: HttpRequest, pk: int) -> HttpResponse:
    """What a milestone comes after and before; managers add and remove links."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk, related=LINKS)
    access = contract_access(user=user, contract=milestone.contract)
    if request.method == "POST":
        access.require_manager()
    form = forms.DependencyForm(
        request.POST if request.method == "POST" else None, milestone=milestone
    )
    link = _save(
        form,
        lambda d: dependency_add(
            predecessor=d["predecessor"],
            successor=milestone,
            type=d["type"] or DependencyType.FINISH_TO_START,
            lag=d["lag"] or 0,
            working_days=d["working_days"],
            actor=user,
        ),
    )
    if link is not None:
        messages.success(request, f"“{milestone.title}” now comes after “{link.predecessor}”.")
        return redirect("web:milestone-dependencies", pk=milestone.pk)
    context = {
        "form": form,
        "milestone": milestone,
        "contract": milestone.contract,
        "can_change": access.can_manage and not milestone.contract.is_closed,
    }
    return _page(request, "web/milestone_dependencies.html", context)


@login_required
@require_POST
def dependency_delete(request: HttpRequest, pk: int, dependency_id: int) -> HttpResponse:
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk, related=LINKS)
    links = [*milestone.predecessor_links.all(), *milestone.successor_links.all()]
    dependency = next((d for d in links if d.pk == dependency_id), None)
    if dependency is None:
        raise NotFound("dependency")
    run_action(
        request,
        lambda: dependency_remove(dependency=dependency, actor=user),
        f"Link removed: {dependency}.",
    )
    return redirect("web:milestone-dependencies", pk=milestone.pk)
