"""Template filters for money, labels and dates, shared by every app's pages."""

import datetime as dt
from decimal import Decimal

from django import template

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
def isodate(value: str | None) -> dt.date | None:
    """Read a stored ISO date (as change requests keep their impact) for the ``date`` filter."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
