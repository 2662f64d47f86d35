"""Pages for contract templates: the list, one template, the one setup page, save as template."""

import hashlib
import json
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.accounts.selectors import organisations_managed_by
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error
from milepost.web.feedback import form_page, message_form_errors, save_form

from .builtins import BUILT_INS
from .forms import SetupForm, TemplateChangeForm, TemplateSaveForm
from .plan import Plan, due_text, share_text
from .selectors import (
    contract_template_get_for_user,
    contract_templates_for_user,
    template_may_change,
    template_source,
    template_source_for_user,
)
from .services import (
    TemplateSource,
    contract_from_template,
    contract_template_change,
    contract_template_delete,
    contract_template_save,
    template_setup_check,
)


def _described(source: TemplateSource) -> dict[str, object]:
    body = source.body
    labels = {r.key: r.label for r in body.roles}
    rows = [(m, labels[m.responsible], due_text(body, m), share_text(m)) for m in body.milestones]
    return {"source": source, "body": body, "rows": rows}


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    """List the built-in templates and those the person's organisations saved."""
    user = cast(User, request.user)
    saved = list(contract_templates_for_user(user=user))
    return render(
        request,
        "interchange/templating/template_list.html",
        {"built_ins": BUILT_INS.values(), "saved": saved},
    )


@login_required
@require_GET
def template_detail(request: HttpRequest, key: str) -> HttpResponse:
    """Show a template's roles and milestones, with its actions for those who may use them."""
    user = cast(User, request.user)
    source = template_source_for_user(user=user, key=key)
    may_change = source.saved is not None and template_may_change(user=user, template=source.saved)
    form = (
        TemplateChangeForm(initial={"name": source.name, "description": source.description})
        if may_change
        else None
    )
    return render(
        request,
        "interchange/templating/template_detail.html",
        {**_described(source), "may_change": may_change, "form": form, **_use(user, source)},
    )


def _use(user: User, source: TemplateSource) -> dict[str, object]:
    """Whether the person may set a contract up from the template, and if not, why not."""
    if source.unusable:
        return {"may_use": False, "why_not": source.unusable}
    if not organisations_managed_by(user=user).exists():
        return {
            "may_use": False,
            "why_not": "Only a manager or admin of an organisation sets up its contracts; you "
            "manage none, so ask one of your organisation's managers.",
        }
    return {"may_use": True, "why_not": ""}


@login_required
@require_http_methods(["GET", "POST"])
def template_new_contract(request: HttpRequest, key: str) -> HttpResponse:
    """Ask only what varies, preview every milestone, then create the whole contract."""
    user = cast(User, request.user)
    source = template_source_for_user(user=user, key=key)
    if source.unusable:
        messages.error(request, source.unusable)
        return redirect("interchange:templates-detail", key=source.key)
    form = SetupForm(request.POST if request.method == "POST" else None, source=source, user=user)
    plan: Plan | None = None
    previewed = _answers_hash(request) if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid():
        changed = request.POST.get("previewed") != previewed
        if request.POST.get("action") == "create" and changed:
            # The answers differ from those previewed: show their preview instead of creating.
            messages.warning(
                request, "Your answers changed since the preview: check it again, then create."
            )
        if request.POST.get("action") == "create" and not changed:
            contract = save_form(
                form,
                lambda _: contract_from_template(source=source, setup=form.setup(), actor=user),
            )
            if contract is not None:
                messages.success(
                    request,
                    f"Contract {contract.reference} created as a draft from '{source.name}'.",
                )
                return redirect("reporting:contract-detail", pk=contract.pk)
        else:
            try:
                plan = template_setup_check(source=source, setup=form.setup(), actor=user)
            except (NotFound, Forbidden):
                raise
            except DomainError as error:
                add_domain_error(form, error)
    if form.errors:
        message_form_errors(request, form)
    return form_page(
        request,
        "interchange/templating/new_contract.html",
        {"form": form, "source": source, "plan": plan, "previewed": previewed},
    )


def _answers_hash(request: HttpRequest) -> str:
    """A digest of the setup answers as posted, so a create is of exactly what was previewed."""
    skip = {"csrfmiddlewaretoken", "action", "previewed"}
    answers = sorted((k, v) for k in request.POST if k not in skip for v in request.POST.getlist(k))
    return hashlib.sha256(json.dumps(answers).encode()).hexdigest()


@login_required
@require_http_methods(["GET", "POST"])
def template_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a contract as a template of the organisation that owns it."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    allowed = contract_access(user=user, contract=contract).can_administer
    form = TemplateSaveForm(
        request.POST if request.method == "POST" and allowed else None,
        initial={"name": contract.title},
    )
    template = save_form(
        form,
        lambda d: contract_template_save(contract=contract, actor=user, **d),
    )
    if template is not None:
        messages.success(request, f"Saved as the template '{template.name}'.")
        return redirect("interchange:templates-detail", key=str(template.pk))
    return form_page(
        request,
        "interchange/templating/save_form.html",
        {"form": form, "contract": contract, "allowed": allowed},
    )


@login_required
@require_POST
def template_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    template = contract_template_get_for_user(user=user, pk=pk)
    form = TemplateChangeForm(request.POST)
    done = save_form(form, lambda d: contract_template_change(template=template, actor=user, **d))
    if done is None:
        message_form_errors(request, form)
        source = template_source(template)
        return render(
            request,
            "interchange/templating/template_detail.html",
            {**_described(source), "may_change": True, "form": form, **_use(user, source)},
            status=422,
        )
    messages.success(request, f"Template '{template.name}' saved.")
    return redirect("interchange:templates-detail", key=str(template.pk))


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    template = contract_template_get_for_user(user=user, pk=pk)
    name = template.name
    contract_template_delete(template=template, actor=user)
    messages.success(request, f"Template '{name}' deleted.")
    return redirect("interchange:templates-list")
