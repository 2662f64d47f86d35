"""What every web form shares: a refused rule becomes an error on the field it names."""

from django import forms

from .errors import DomainError

# Date inputs the browser draws as a date picker; the value goes back as ISO 8601.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, or above the form when it names none."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
