"""The form that sets a milestone's delay damages."""

from typing import Any

from django import forms

from milepost.contracts.models import Party
from milepost.core.forms import MoneyField

from ..choices import DamagesUnit


class DamagesForm(forms.Form):
    """A rate per day or per week, who pays whom, and an optional cap."""

    rate = MoneyField(min_value=0, label="Rate")
    unit = forms.ChoiceField(
        choices=[(DamagesUnit.DAY, "Per day"), (DamagesUnit.WEEK, "Per week or part of a week")],
        label="Charged",
    )
    payer = forms.ModelChoiceField(
        queryset=Party.objects.none(), label="Paid by (the party late)", empty_label=None
    )
    payee = forms.ModelChoiceField(queryset=Party.objects.none(), label="Owed to", empty_label=None)
    cap_amount = MoneyField(min_value=0, required=False, label="Cap (an amount)")
    cap_percent = forms.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        required=False,
        label="Cap (% of the contract value)",
        help_text="Leave both caps empty for no cap; with both, the lower one applies.",
    )

    def __init__(self, *args: Any, parties: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("payer", "payee"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = parties
