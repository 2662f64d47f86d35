"""Milestone forms: updates, comments, evidence, acceptance, status and dates, and the forms
that create and edit a milestone of each kind. Forms check the shape; services check the rules.
"""

from collections.abc import Iterable
from typing import Any

from django import forms

from milepost.accounts.models import User
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import parties_for_contract, people_for_contract
from milepost.core.forms import DATE_WIDGET, set_currency
from milepost.core.text import NOTE_MAX, TEXT_MAX, TITLE_MAX
from milepost.payments.forms import PaymentTermsForm
from milepost.performance.choices import Direction, Period
from milepost.schedule.choices import MANUAL_STATUSES, Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_contract


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


# The ids a database row can have (a signed 64-bit key); anything else is no file of ours.
ID_MAX = 2**63 - 1


class EvidenceIdsField(forms.Field):
    """Ticked evidence files, by id; the service checks they belong to the milestone."""

    widget = forms.CheckboxSelectMultiple
    # More files than anyone ticks by hand; the cap keeps one request's lookup small.
    max_ids = 50

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > self.max_ids:
            raise forms.ValidationError(
                f"Choose at most {self.max_ids} files.", code="too_many_evidence"
            )
        not_ours = forms.ValidationError("Choose files from the list.", code="invalid_choice")
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise not_ours from None
        if any(not 1 <= pk <= ID_MAX for pk in ids):
            raise not_ours
        return ids


class SubmissionForm(forms.Form):
    """Submit a deliverable for acceptance: what is handed over, and the evidence that shows it."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_MAX)
    evidence = EvidenceIdsField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[])
    reason = forms.CharField(required=False, max_length=NOTE_MAX)

    def __init__(
        self,
        *args: Any,
        kind: str | None = None,
        statuses: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Offer only the statuses a person may set on this kind of milestone (``statuses``:
        only those, the ones this person may set now)."""
        super().__init__(*args, **kwargs)
        allowed = MANUAL_STATUSES[kind] if kind else frozenset().union(*MANUAL_STATUSES.values())
        if statuses is not None:
            allowed = allowed & frozenset(statuses)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.value, s.label) for s in MilestoneStatus if s in allowed]


class RescheduleForm(forms.Form):
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=NOTE_MAX)


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
