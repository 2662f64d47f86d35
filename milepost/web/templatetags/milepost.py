"""Template filters for money, dates and milestone health."""

import datetime as dt
from decimal import Decimal

from django import template

from milepost.accounts.choices import Role
from milepost.core.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | str | None, currency: str) -> str:
    """Format an amount (or a stored decimal string) in a currency, for example '£300,000.00'."""
    return format_money(Decimal(amount) if isinstance(amount, str) else amount, currency)


@register.filter
def label(value: str) -> str:
    """Turn a stored code such as 'in_progress' into 'In progress'."""
    return str(value).replace("_", " ").capitalize()


@register.filter
def payment_state(terms: object, today: object) -> str:
    """Return where a payment stands today (planned, due, invoiced, overdue, paid, closed)."""
    return str(terms.state(today))  # type: ignore[attr-defined]


@register.filter
def acts_for_manager(access: object, party_id: int) -> bool:
    """Return whether the user decides for that party (manager or admin)."""
    return bool(access.acts_for(party_id, Role.MANAGER))  # type: ignore[attr-defined]


@register.filter
def isodate(value: str | None) -> dt.date | None:
    """Read a stored ISO date (as change requests keep their impact) for the ``date`` filter."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
