"""Payment forms: recording an invoice and a payment, and a payment's terms."""

from typing import Any

from django import forms

from milepost.core.forms import MoneyField


class InvoiceForm(forms.Form):
    invoiced_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = MoneyField(max_digits=18, min_value=0, label="Invoiced amount")


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = MoneyField(max_digits=18, min_value=0, label="Amount paid")


class PaymentTermsForm(forms.Form):
    """A payment's amount (or share of the value) and retention, which change until invoiced."""

    amount = MoneyField(
        min_value=0,
        required=False,
        label="Amount",
        help_text="Give an amount or a percentage of the contract value, not both.",
    )
    percentage = forms.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        required=False,
        label="Percentage of value",
    )
    retention_percent = forms.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        initial=0,
        label="Retention %",
        help_text="The share held back until release.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("amount") is not None and data.get("percentage") is not None:
            self.add_error("percentage", "Give an amount or a percentage, not both.")
        elif (
            data.get("amount") is None
            and data.get("percentage") is None
            and "amount" not in self.errors
            and "percentage" not in self.errors
        ):
            self.add_error("amount", "Give an amount or a percentage of the contract value.")
        return data
