"""Template filters for payments."""

from django import template

register = template.Library()


@register.filter
def payment_state(terms: object, today: object) -> str:
    """Return where a payment stands today (planned, due, invoiced, overdue, paid, closed)."""
    return str(terms.state(today))  # type: ignore[attr-defined]
