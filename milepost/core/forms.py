"""What every web form shares: a refused rule becomes an error on the field it names."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import get_language, to_locale

from .errors import DomainError
from .money import read_amount

# Date inputs the browser draws as a date picker; the value goes back as ISO 8601.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, or above the form when it names none."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def user_locale() -> str:
    """The locale amounts are read in: the active language's (en_GB by default)."""
    return to_locale(get_language() or "en-gb")


class MoneyField(forms.DecimalField):
    """An amount as people type it: "2,000,000", "£2,000,000.00" (the form's currency).

    Grouping and the decimal point follow the person's locale; anything ambiguous in it is
    refused with a sentence naming the field. ``currency`` is the form's currency, whose
    symbol or code may be typed with the number; set it once the form knows it.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(
        self,
        *,
        currency: str | None = None,
        max_digits: int = 15,
        decimal_places: int = 2,
        **kwargs: Any,
    ) -> None:
        self.currency = currency
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):
            return Decimal(value)
        label = str(self.label or "amount").lower()
        try:
            return read_amount(
                str(value), locale=user_locale(), currency=self.currency, label=label
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


def set_currency(form: forms.BaseForm, currency: str) -> None:
    """Tell the form's money fields which currency's symbol a person may type."""
    for field in form.fields.values():
        if isinstance(field, MoneyField):
            field.currency = currency
