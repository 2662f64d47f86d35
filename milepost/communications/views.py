"""The clock's pages: a contract's communications and registers, one communication with its
thread, sending one (or an answer), and the contract data (its form, periods and named roles).

A refused form is drawn again with everything typed and the error on its field (422); a
one-button action (send a draft, withdraw) reports back as a message.
"""

import csv
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.choices import ContractForm
from milepost.contracts.models import Contract
from milepost.contracts.selectors import (
    contract_access,
    contract_get_for_user,
    parties_for_contract,
)
from milepost.contracts.services import party_name_role
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.web.feedback import run_action

from . import catalogue
from .choices import CommunicationState
from .deadlines import period_words
from .forms import CommunicationForm, FormChoiceForm, NamedRoleForm, PeriodForm
from .models import Communication
from .selectors import (
    SENDER_ROLE,
    Period,
    Sendable,
    attachment_of,
    attachment_response,
    communication_get_for_user,
    communication_thread,
    communications_for_contract,
    compensation_events,
    contract_periods,
    register_rows,
    sendable_types,
    thread_history,
    type_of,
)
from .services import (
    communication_create,
    communication_send,
    communication_withdraw,
    contract_form_set,
    contract_period_set,
)

FAMILIES = [
    (catalogue.COMPENSATION_EVENT, "Compensation events"),
    (catalogue.PROGRAMME, "Programmes"),
    (catalogue.DELAY, "Delays and extensions of time"),
    (catalogue.PAYMENT, "Payment"),
    (catalogue.EARLY_WARNING, "Early warnings"),
    (catalogue.DEFECT, "Defects"),
    (catalogue.COMPLETION, "Completion"),
    (catalogue.GENERAL, "Notices and replies"),
]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _filters(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state", "")
    family = request.GET.get("family", "")
    awaiting = request.GET.get("awaiting", "")
    return {
        "state": state if state in CommunicationState.values else "",
        "family": family if family in dict(FAMILIES) else "",
        "awaiting": True if awaiting == "yes" else None,
    }


@login_required
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """The contract's communications, filtered, each coloured by the share of its period left."""
    user = _user(request)
    contract = contract_get_for_user(user=user, pk=pk)
    today = local_today(contract.time_zone)
    filters = _filters(request)
    rows = register_rows(
        communications=list(
            communications_for_contract(user=user, contract=contract, **filters)[:500]
        ),
        contract=contract,
        today=today,
    )
    context = {
        "contract": contract,
        "today": today,
        "rows": rows,
        "filters": filters,
        "states": CommunicationState.choices,
        "families": FAMILIES,
        "form_label": ContractForm(contract.form).label,
        "events": compensation_events(user=user, contract=contract)
        if contract.form in (ContractForm.NEC4_ECC, ContractForm.NEC4_PSC)
        else None,
        "sendable": sendable_types(contract=contract, user=user, today=today),
        "closed": contract.is_closed,
        "query": request.GET.urlencode(),
    }
    return render(request, "communications/register.html", context)


@login_required
def register_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The register as filtered on the page, as CSV for a spreadsheet."""
    user = _user(request)
    contract = contract_get_for_user(user=user, pk=pk)
    today = local_today(contract.time_zone)
    rows = register_rows(
        communications=list(
            communications_for_contract(user=user, contract=contract, **_filters(request))
        ),
        contract=contract,
        today=today,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{contract.reference}-communications.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "Reference",
            "Type",
            "Clause",
            "Subject",
            "From",
            "To",
            "Sent on",
            "State",
            "Answers",
            "Reply owed by",
            "Reply due",
            "Accepted if silent after",
            "Period left",
            "Change to the Prices",
            "Delay (days)",
        ]
    )
    bands = {"more": "more than half", "less": "less than half", "overdue": "overdue", "": ""}
    for row in rows:
        c = row.communication
        writer.writerow(
            [
                c.reference,
                row.label,
                c.clause,
                _cell(c.subject),
                c.sender.organisation.name,
                c.recipient.organisation.name,
                c.sent_on or "",
                c.get_state_display(),
                c.in_reply_to.reference if c.in_reply_to else "",
                c.owed_by.organisation.name if c.awaiting and c.owed_by else "",
                c.reply_due if c.awaiting else "",
                c.deems_on or "",
                bands[row.band],
                c.quoted_amount if c.quoted_amount is not None else "",
                c.quoted_delay_days if c.quoted_delay_days is not None else "",
            ]
        )
    return response


def _cell(text: str) -> str:
    """Keep a spreadsheet from running a subject as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _chosen(sendable: list[Sendable], kind: str) -> Sendable:
    found = next((s for s in sendable if s.type.key == kind), None)
    if found is None:
        raise Http404("No such communication type here.")
    if found.refusal:
        raise Forbidden(found.refusal, code="not_sender")
    return found


def _write_page(
    request: HttpRequest,
    contract: Contract,
    parent: Communication | None,
) -> HttpResponse:
    user = _user(request)
    today = local_today(contract.time_zone)
    sendable = sendable_types(contract=contract, user=user, parent=parent, today=today)
    chosen = _chosen(sendable, request.GET.get("kind") or request.POST.get("kind", ""))
    form = CommunicationForm(
        request.POST if request.method == "POST" else None,
        contract=contract,
        type_=chosen.type,
        parent=parent,
    )
    if request.method == "POST" and form.is_valid():
        draft = request.POST.get("op") == "draft"
        try:
            with transaction.atomic():
                c = communication_create(
                    contract=contract,
                    kind=chosen.type.key,
                    in_reply_to=parent,
                    actor=user,
                    send=not draft,
                    attachments=request.FILES.getlist("attachments"),
                    **form.values(),
                )
        except (NotFound, Forbidden):
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{c.reference} saved as a draft." if draft else f"{c.reference} sent."
            )
            return redirect("communications:detail", pk=c.pk)
    context = {
        "contract": contract,
        "parent": parent,
        "type": chosen.type,
        "sender": chosen.senders[0] if chosen.senders else None,
        "form": form,
        "today": today,
    }
    return render(request, "communications/write.html", context, status=422 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a communication that starts a thread, of the type chosen (``?kind=``)."""
    contract = contract_get_for_user(user=_user(request), pk=pk)
    return _write_page(request, contract, None)


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a communication (reply, quotation, failure notice, extension), of the type chosen."""
    parent = communication_get_for_user(user=_user(request), pk=pk)
    return _write_page(request, parent.contract, parent)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One communication: its facts, its text, its thread, and what may answer it now."""
    user = _user(request)
    c = communication_get_for_user(user=user, pk=pk)
    contract = c.contract
    today = local_today(contract.time_zone)
    access = contract_access(user=user, contract=contract)
    is_sender = access.acts_for(c.sender_id, SENDER_ROLE) and not contract.is_closed
    type_ = type_of(c)
    thread = communication_thread(user=user, communication=c)
    context = {
        "contract": contract,
        "c": c,
        "type": type_,
        "today": today,
        "thread": thread,
        "answers": sendable_types(contract=contract, user=user, parent=c, today=today)
        if c.is_sent and not contract.is_closed
        else [],
        "band": register_rows(communications=[c], contract=contract, today=today)[0].band,
        "may_send": is_sender and c.state == CommunicationState.DRAFT,
        "may_withdraw": is_sender
        and (
            c.state == CommunicationState.DRAFT
            or (c.state == CommunicationState.SENT and type_ is not None and type_.starts_thread)
        ),
        "history": thread_history(thread=thread),
    }
    return render(request, "communications/detail.html", context)


@login_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """Download one of a communication's files (whoever may read the communication)."""
    c = communication_get_for_user(user=_user(request), pk=pk)
    return attachment_response(attachment_of(c, attachment_id))


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a draft or withdraw a communication (its sending party's managers)."""
    user = _user(request)
    c = communication_get_for_user(user=user, pk=pk)
    op = request.POST.get("op")
    if op == "send":
        run_action(
            request, lambda: communication_send(communication=c, actor=user), f"{c.reference} sent."
        )
    elif op == "withdraw":
        run_action(
            request,
            lambda: communication_withdraw(communication=c, actor=user),
            f"{c.reference} withdrawn.",
        )
    else:
        messages.error(request, "Choose to send or to withdraw it.")
    return redirect("communications:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def contract_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The contract's form, its periods with their clauses, and the roles its parties hold."""
    user = _user(request)
    contract = contract_get_for_user(user=user, pk=pk)
    access = contract_access(user=user, contract=contract)
    may_change = access.can_administer and not contract.is_closed
    periods = contract_periods(contract=contract)
    refused: dict[str, Any] = {}
    if request.method == "POST":
        access.require_administrator()
        op = request.POST.get("op", "")
        form: Any = {"form": FormChoiceForm, "period": PeriodForm, "role": NamedRoleForm}.get(op)
        if form is None:
            raise Http404("No such change.")
        bound = form(request.POST)
        if bound.is_valid():
            try:
                with transaction.atomic():
                    _change(op, contract, bound.cleaned_data, user)
            except (NotFound, Forbidden):
                raise
            except DomainError as exc:
                add_domain_error(bound, exc)
            else:
                messages.success(request, "Contract data saved.")
                return redirect("communications:contract-data", pk=pk)
        refused = {
            "op": op,
            "form": bound,
            "key": request.POST.get("key", ""),
            "party": request.POST.get("party", ""),
        }
    context = {
        "contract": contract,
        "form_label": ContractForm(contract.form).label,
        "form_form": refused["form"]
        if refused.get("op") == "form"
        else FormChoiceForm(initial={"form": contract.form}),
        "periods": [
            (
                p,
                period_words(p.length, p.unit),
                period_words(p.definition.length, p.definition.unit),
            )
            for p in periods
        ],
        "types": [
            (t, _senders(t), _answer_words(t, periods))
            for t in catalogue.form_def(contract.form).types
        ],
        "parties": parties_for_contract(contract=contract),
        "may_change": may_change,
        "form_locked": contract.communications.exists(),
        "refused": refused,
        "units": PeriodForm.base_fields["unit"].choices,  # type: ignore[attr-defined]
        "roles": NamedRoleForm.base_fields["named_role"].choices,  # type: ignore[attr-defined]
    }
    return render(
        request, "communications/contract_data.html", context, status=422 if refused else 200
    )


def _senders(type_: catalogue.TypeDef) -> str:
    words = " or ".join(catalogue.SIDE_NAMES[s] for s in type_.senders)
    return words[:1].upper() + words[1:]


def _answer_words(type_: catalogue.TypeDef, periods: list[Period]) -> str:
    found = next((p for p in periods if p.key == type_.reply), None)
    if found is not None:
        return f"{period_words(found.length, found.unit)} (cl. {found.clause or 'of the contract'})"
    return "It answers another communication." if type_.answers else "No answer is owed."


def _change(op: str, contract: Contract, data: dict[str, Any], user: User) -> None:
    if op == "form":
        contract_form_set(contract=contract, form=data["form"], actor=user)
    elif op == "period":
        contract_period_set(
            contract=contract, key=data["key"], length=data["length"], unit=data["unit"], actor=user
        )
    else:
        party = parties_for_contract(contract=contract).filter(pk=data["party"]).first()
        if party is None:
            raise DomainError(
                "party_not_on_contract", "That party is not on this contract.", field="party"
            )
        party_name_role(party=party, named_role=data["named_role"] or "", actor=user)
