"""Forms on the Money page and a payment cycle's page: the terms, the application, the notices."""

from typing import Any

from django import forms

from milepost.contracts.models import Contract
from milepost.core.forms import MoneyField
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone

from ..choices import CycleBasis, PaymentRegime

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MoneyTermsForm(forms.Form):
    regime = forms.ChoiceField(choices=PaymentRegime.choices, label="Payment regime")
    basis = forms.ChoiceField(choices=CycleBasis.choices, label="Paid by")
    payer: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), label="Payer"
    )
    payee: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), label="Payee"
    )
    due_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=365,
        label="Days to the due date",
        help_text="Only for the contract's own terms; the Scheme and net 30 set their own.",
    )
    final_days = forms.IntegerField(
        required=False, min_value=0, max_value=365, label="Days from the due date to the final date"
    )
    payment_notice_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=365,
        label="Days after the due date for a payment notice",
    )
    pay_less_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=365,
        label="Days before the final date for a pay less notice",
    )
    working_days = forms.BooleanField(
        required=False, label="Count working days (no weekends or bank holidays)"
    )
    period_end_day = forms.IntegerField(
        min_value=0,
        max_value=28,
        initial=0,
        label="Day of the month a period ends",
        help_text="0 for the month's last day.",
    )
    suspension_notice_days = forms.IntegerField(
        min_value=7, max_value=90, initial=7, label="Days' notice of suspension"
    )
    retention_percent = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, initial=0, label="Retention (%)"
    )
    retention_bond = forms.BooleanField(
        required=False, label="A retention bond instead of cash retention"
    )
    retention_first_release_percent = forms.DecimalField(
        min_value=0,
        max_value=100,
        decimal_places=2,
        initial=50,
        label="Share of retention released at completion (%)",
    )
    completion: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Completion milestone",
    )
    defects_months = forms.IntegerField(
        min_value=0, max_value=120, initial=12, label="Defects period (months)"
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = contract.parties.select_related("organisation").exclude(role="observer")
        for name in ("payer", "payee"):
            field = self.fields[name]
            field.queryset = parties  # type: ignore[attr-defined]
            field.label_from_instance = lambda p: str(p.organisation)  # type: ignore[attr-defined]
        self.fields["completion"].queryset = (  # type: ignore[attr-defined]
            Milestone.objects.filter(contract=contract)
            .exclude(kind=MilestoneKind.PAYMENT)
            .order_by("due_date", "pk")
        )


class ApplyForm(forms.Form):
    applied_on = forms.DateField(widget=DATE, label="Applied on")
    period_start = forms.DateField(widget=DATE, required=False, label="Period from")
    period_end = forms.DateField(widget=DATE, label="Period to")
    gross_value = MoneyField(
        max_digits=18,
        min_value=0,
        label="Gross value",
        help_text="For an interim valuation, the gross value of the work to date.",
    )
    milestone: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Payment stage",
        help_text="Only when applying for a milestone stage.",
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = Milestone.objects.filter(  # type: ignore[attr-defined]
            contract=contract, kind=MilestoneKind.PAYMENT
        ).order_by("due_date", "pk")


class PaymentNoticeForm(forms.Form):
    given_on = forms.DateField(widget=DATE, label="Given on")
    notified_sum = MoneyField(max_digits=18, min_value=0, label="Sum considered due")
    basis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="How it was worked out"
    )


class GivenOnForm(forms.Form):
    given_on = forms.DateField(widget=DATE, label="Given on")


class PayLessForm(forms.Form):
    given_on = forms.DateField(widget=DATE, label="Given on")
    grounds = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Grounds"
    )
    damages_milestone: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Delay damages for",
    )
    damages_amount = MoneyField(max_digits=18, min_value=0, required=False, label="Delay damages")
    credit: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Service credit",
    )
    other_amount = MoneyField(max_digits=18, min_value=0, required=False, label="Other deduction")
    other_description = forms.CharField(
        max_length=300, required=False, label="What the other deduction is for"
    )

    def __init__(self, *args: Any, damages: Any, credits: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A list with nothing to choose is not offered: the page says there is none instead.
        self.none_to_deduct: list[str] = []
        if damages.exists():
            self.fields["damages_milestone"].queryset = damages  # type: ignore[attr-defined]
        else:
            del self.fields["damages_milestone"], self.fields["damages_amount"]
            self.none_to_deduct.append("No delay damages are owed to the payer on this contract.")
        if credits.exists():
            credit = self.fields["credit"]
            credit.queryset = credits  # type: ignore[attr-defined]
            credit.label_from_instance = (  # type: ignore[attr-defined]
                lambda c: f"{c.kpi.milestone.title}, period from {c.period_start:%-d %b %Y}"
            )
        else:
            del self.fields["credit"]
            self.none_to_deduct.append("No service credit is waiting to be deducted.")


class ReceiptForm(forms.Form):
    paid_on = forms.DateField(widget=DATE, label="Received on")
    amount = MoneyField(max_digits=18, min_value=0, label="Amount received")
    reference = forms.CharField(max_length=64, required=False, label="Reference")
