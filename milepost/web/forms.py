"""Forms check the shape of what people post; services check the rules."""

from typing import Any

from django import forms

from milepost.accounts.models import User
from milepost.approvals.choices import Decision
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import parties_for_contract, people_for_contract
from milepost.core.forms import DATE_WIDGET, MoneyField, set_currency
from milepost.core.text import NOTE_MAX, TEXT_MAX, TITLE_MAX
from milepost.performance.choices import Direction, Period
from milepost.reporting.forms import MilestoneFilterForm
from milepost.schedule.choices import (
    MANUAL_STATUSES,
    Criticality,
    DependencyType,
    MilestoneKind,
    MilestoneStatus,
)
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_contract


class ContractMilestoneFilterForm(forms.Form):
    """The contract page's milestone table filters; every field is optional."""

    # The milestone list's own fields (each form gets its own copy of a declared field).
    q = MilestoneFilterForm.base_fields["q"]
    kind = MilestoneFilterForm.base_fields["kind"]
    status = MilestoneFilterForm.base_fields["status"]
    health = MilestoneFilterForm.base_fields["health"]
    party = forms.ModelChoiceField(
        label="Responsible party", required=False, queryset=Party.objects.none()
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = parties_for_contract(contract=contract)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """Return the cleaned data as ``milestone_filter`` arguments."""
        data = self.cleaned_data
        party = data["party"]
        return {
            "q": data["q"].strip(),
            "kind": data["kind"] or None,
            "status": data["status"] or None,
            "health": data["health"] or None,
            "responsible_party": party.pk if party else None,
        }


class StatusUpdateForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX, label="What has happened"
    )
    progress = forms.IntegerField(min_value=0, max_value=100, required=False, label="Progress %")


class CommentForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=TEXT_MAX, label="Comment"
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label="Evidence file")


class AcceptanceForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("accept", "Accept"), ("partial", "Accept in part"), ("reject", "Send back")]
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX, required=False
    )


class GateDecisionForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX, required=False
    )


class InvoiceForm(forms.Form):
    invoiced_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = MoneyField(max_digits=18, min_value=0, label="Invoiced amount")


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = MoneyField(max_digits=18, min_value=0, label="Amount paid")


class MeasurementForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    note = forms.CharField(required=False, max_length=NOTE_MAX)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[])
    reason = forms.CharField(required=False, max_length=NOTE_MAX)

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        """Offer only the statuses a person may set on this kind of milestone."""
        super().__init__(*args, **kwargs)
        allowed = MANUAL_STATUSES[kind] if kind else frozenset().union(*MANUAL_STATUSES.values())
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.value, s.label) for s in MilestoneStatus if s in allowed]


class RescheduleForm(forms.Form):
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=NOTE_MAX)


class ApiTokenForm(forms.Form):
    # A fresh value in each form drawn; a post that repeats a used one (the browser's "reload"
    # after creating) creates nothing.
    form_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    name = forms.CharField(
        max_length=100, label="Name", help_text="Say what it is for, such as 'Finance export'."
    )
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="It may read through the API but never change anything.",
    )
    # Read in the signed-in person's own time zone (UserTimeZoneMiddleware activates it).
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires at",
        help_text="Optional, in your time zone; leave empty for a token that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class MilestoneEditForm(forms.Form):
    """The fields of any milestone that may change after it is created."""

    title = forms.CharField(max_length=TITLE_MAX)
    owner = PersonChoiceField(
        queryset=User.objects.none(),
        help_text="A member of the responsible party who keeps it on track.",
    )
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.STANDARD)
    acceptance_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        label="Acceptance criteria",
        help_text="How anyone can tell it is met.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX, required=False
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contract = contract
        set_currency(self, contract.currency)
        self.fields["owner"].queryset = people_for_contract(contract=contract)  # type: ignore[attr-defined]
        self.parties = parties_for_contract(contract=contract)
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and queryset.model is Party:
                field.queryset = self.parties  # type: ignore[attr-defined]


def _party_field(label: str, help_text: str = "") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Party.objects.none(), label=label, help_text=help_text)


class MilestoneCreateForm(MilestoneEditForm):
    """What every new milestone needs; each kind adds its own fields."""

    kind: MilestoneKind
    due_date = forms.DateField(
        widget=DATE_WIDGET, label="Due date", help_text="The baseline: it stays when dates move."
    )
    field_order = ["title", "owner", "due_date", "criticality"]


class DeliverableForm(MilestoneCreateForm):
    kind = MilestoneKind.DELIVERABLE
    responsible_party = _party_field("Responsible party", "The party that delivers it.")
    accepting_party = _party_field("Accepting party", "The party that accepts it.")


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


class PaymentEditForm(MilestoneEditForm, PaymentTermsForm):
    """A payment's fields and terms, edited together."""

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, contract=contract, **kwargs)
        # A payment's criteria default to "paid in full once the trigger is met".
        self.fields["acceptance_criteria"].required = False


class PaymentForm(MilestoneCreateForm, PaymentTermsForm):
    """A payment: the payer owes the payee an amount, or a share of the value, once triggered."""

    kind = MilestoneKind.PAYMENT
    payer = _party_field("Payer", "Only the payer's managers may commit it to paying.")
    payee = _party_field("Payee")
    trigger = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        help_text="The milestone whose completion makes the payment fall due.",
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, contract=contract, **kwargs)
        self.fields["acceptance_criteria"].required = False
        self.fields["trigger"].queryset = (  # type: ignore[attr-defined]
            milestones_for_contract(contract=contract)
            .exclude(kind=MilestoneKind.PAYMENT)
            .exclude(status=MilestoneStatus.CANCELLED)
        )


class PerformanceForm(MilestoneCreateForm):
    kind = MilestoneKind.PERFORMANCE
    responsible_party = _party_field("Responsible party", "The party held to the target.")
    kpi_name = forms.CharField(max_length=120, label="KPI", help_text="Such as 'Availability'.")
    unit = forms.CharField(max_length=32, help_text="Such as '%' or 'hours'.")
    target = forms.DecimalField(max_digits=18, decimal_places=4)
    direction = forms.ChoiceField(choices=Direction.choices)
    period = forms.ChoiceField(choices=Period.choices, help_text="How often it is measured.")
    measurement_start = forms.DateField(widget=DATE_WIDGET, label="Measured from")


class GateForm(MilestoneCreateForm):
    kind = MilestoneKind.GATE
    responsible_party = _party_field("Responsible party", "The party that prepares the gate.")
    required_parties = forms.ModelMultipleChoiceField(
        queryset=Party.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Approved by",
        help_text="The gate passes only when every one of these parties approves.",
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, contract=contract, **kwargs)
        self.fields["criticality"].initial = Criticality.CRITICAL


CREATE_FORMS: dict[str, type[MilestoneCreateForm]] = {
    form.kind.value: form for form in (DeliverableForm, PaymentForm, PerformanceForm, GateForm)
}


class MilestoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Milestone) -> str:
        return f"{obj.title} (due {obj.due_date:%-d %b %Y}, {obj.get_status_display().lower()})"


class DependencyForm(forms.Form):
    """Make a milestone follow another of its contract, with a type and a lag."""

    predecessor = MilestoneChoiceField(
        queryset=Milestone.objects.none(),
        label="Comes after",
        help_text="It can be met only once this one is met (or given up).",
    )
    type = forms.ChoiceField(
        choices=DependencyType.choices,
        initial=DependencyType.FINISH_TO_START,
        required=False,
        label="Link type",
        help_text="Which end of each milestone the link ties: finish to start is the usual.",
    )
    lag = forms.IntegerField(
        initial=0,
        required=False,
        min_value=-1000,
        max_value=1000,
        label="Lag in days",
        help_text="Days between the two ends; negative for a lead.",
    )
    working_days = forms.BooleanField(
        required=False, label="Count the lag in working days (the contract's calendar)"
    )

    def __init__(self, *args: Any, milestone: Milestone, **kwargs: Any) -> None:
        """Offer the contract's other milestones that it does not already follow."""
        super().__init__(*args, **kwargs)
        self.fields["predecessor"].queryset = (  # type: ignore[attr-defined]
            milestones_for_contract(contract=milestone.contract)
            .exclude(pk=milestone.pk)
            .exclude(successor_links__successor=milestone)
        )
