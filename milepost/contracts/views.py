"""Contract pages that change a contract: creating one, its status and its parties.

A contract's own page and the list are reports (``reporting``); saving the edit form, which can
change the value that percentage payments follow, is in ``milestones``, above the kinds.

Each edit page shows a form; a valid post runs the services in one transaction, so a rule that
refuses the second change takes back the first. A refused form is shown again with the error on
the field the rule names (422), and nothing is saved.
"""

from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import set_currency
from milepost.web.feedback import form_page, message_form_errors, run_action, save_form

from .forms import (
    ContractEditForm,
    ContractForm,
    ContractStatusForm,
    PartyForm,
)
from .models import Contract
from .selectors import (
    contract_access,
    contract_get_for_user,
    parties_for_contract,
    party_get_for_contract,
)
from .services import (
    contract_create,
    contract_set_status,
    party_add,
    party_remove,
)


@login_required
@require_GET
def holiday_regions(request: HttpRequest) -> HttpResponse:
    """Draw the region list of the country chosen on a contract form (htmx swaps it in)."""
    form = ContractEditForm(initial=request.GET.dict())
    return HttpResponse(str(form["holiday_region"]))


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

    contract = save_form(form, write)
    if contract is not None:
        messages.success(request, f"Contract {contract.reference} created as a draft.")
        return redirect("reporting:contract-detail", pk=contract.pk)
    return form_page(request, "contracts/contract_form.html", {"form": form, "contract": None})


def contract_edit_page(
    request: HttpRequest,
    contract: Contract,
    user: User,
    *,
    form: django_forms.BaseForm | None = None,
    party_form: django_forms.BaseForm | None = None,
    status_form: django_forms.BaseForm | None = None,
) -> HttpResponse:
    """Draw the contract's edit page; a refused form among its three is drawn as it was typed.

    ``milestones.views.contract_edit`` saves its main form.
    """
    contract_access(user=user, contract=contract).require_administrator()
    if form is None:
        form = ContractEditForm(initial=ContractEditForm.initial_for(contract))
        set_currency(form, contract.currency)
    forms_given = [f for f in (form, party_form, status_form) if f is not None]
    return render(
        request,
        "contracts/contract_form.html",
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
    done = save_form(
        form,
        lambda d: contract_set_status(contract=contract, status=d["status"], actor=user),
    )
    if done is None:
        message_form_errors(request, form)
        return contract_edit_page(request, contract, user, status_form=form)
    messages.success(request, f"Contract is now {contract.get_status_display().lower()}.")
    return redirect("milestones:contract-edit", pk=contract.pk)


@login_required
@require_POST
def party_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = PartyForm(request.POST, contract=contract, user=user)
    party = save_form(form, lambda d: party_add(contract=contract, actor=user, **d))
    if party is None:
        message_form_errors(request, form)
        return contract_edit_page(request, contract, user, party_form=form)
    messages.success(request, f"{party} added.")
    return redirect("milestones:contract-edit", pk=contract.pk)


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
    return redirect("milestones:contract-edit", pk=contract.pk)
