"""How a small form or button posted from another page reports back: as messages on that page.

The pages with a full form of their own show errors on the form instead (``core.forms``).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, resolve

from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.forms import add_domain_error


def message_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """Add one error message per invalid field, starting with the field's label."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label or name.replace("_", " ")) if field is not None else ""
        prefix = f"{label[:1].upper()}{label[1:]}: " if label else ""
        messages.error(request, prefix + " ".join(str(e) for e in errors))


def posted_values(request: HttpRequest) -> dict[str, str]:
    """What a refused small form held, field by field, to draw it again as it was typed."""
    return {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


def run_action(
    request: HttpRequest,
    action: Callable[[], object],
    done: str,
    *,
    raise_: tuple[type[DomainError], ...] = (NotFound, Forbidden),
) -> bool:
    """Run one service call; say it was done, or say why a rule refused it.

    The errors in ``raise_`` propagate (a 404 or 403 page); return whether it was done.
    """
    try:
        action()
    except raise_:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def save_form(form: forms.BaseForm, write: Callable[[dict[str, Any]], Any]) -> Any:
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


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Draw a page with one full form, 422 when the form was refused."""
    form = context["form"]
    return render(request, template, context, status=422 if form.errors else 200)


def post_on_page(
    request: HttpRequest,
    form: forms.BaseForm,
    action: Callable[[dict[str, Any]], object],
    done: str,
    *,
    page: str,
    name: str,
) -> HttpResponse:
    """Validate a small form posted from the page at ``page``, run one service, and go back.

    Done: back to the page with a message. Refused, by the form or a rule: the page's own view
    draws it again for this request (422) with the reason and everything typed in the form
    ``name`` (its view takes ``refused`` and ``status``). A role that may not do this is told so
    on the page, not with a 403; a missing object is still a 404.
    """
    if not form.is_valid():
        message_form_errors(request, form)
        done_ok = False
    else:
        done_ok = run_action(request, lambda: action(form.cleaned_data), done, raise_=(NotFound,))
    if done_ok:
        return redirect(page)
    # ``page`` came from reverse(), so it carries the script prefix (Milepost served under a
    # path such as /milepost/); the resolver matches the path below it.
    prefix = get_script_prefix()
    match = resolve("/" + page.removeprefix(prefix) if page.startswith(prefix) else page)
    return match.func(request, *match.args, refused=name, status=422, **match.kwargs)
