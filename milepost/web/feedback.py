"""How a small form or button posted from another page reports back: as messages on that page.

The pages with a full form of their own show errors on the form instead (``core.forms``).
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from milepost.core.errors import DomainError, Forbidden, NotFound


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
