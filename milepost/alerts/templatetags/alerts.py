"""Template tags that let a page of a lower app show what alerts knows, such as a watch."""

from typing import Any

from django import template

from milepost.alerts.inbox import is_watching

register = template.Library()


@register.simple_tag(takes_context=True)
def watching(context: dict[str, Any], *, contract: Any = None, milestone: Any = None) -> bool:
    """Return whether the signed-in person watches the contract or milestone."""
    return is_watching(user=context["request"].user, contract=contract, milestone=milestone)
