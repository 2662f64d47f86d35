"""Forms check the shape of what people post; services check the rules."""

from typing import Any

from django import forms

from milepost.approvals.choices import Decision
from milepost.schedule.choices import MANUAL_STATUSES, MilestoneStatus


class StatusUpdateForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What has happened")
    progress = forms.IntegerField(min_value=0, max_value=100, required=False, label="Progress %")


class CommentForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000, label="Comment"
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label="Evidence file")


class AcceptanceForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("accept", "Accept"), ("partial", "Accept in part"), ("reject", "Send back")]
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class GateDecisionForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class InvoiceForm(forms.Form):
    invoiced_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0)


class PaidForm(forms.Form):
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0)


class MeasurementForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    note = forms.CharField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[])
    reason = forms.CharField(required=False)

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        """Offer only the statuses a person may set on this kind of milestone."""
        super().__init__(*args, **kwargs)
        allowed = MANUAL_STATUSES[kind] if kind else frozenset().union(*MANUAL_STATUSES.values())
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.value, s.label) for s in MilestoneStatus if s in allowed]


class RescheduleForm(forms.Form):
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField()


class ApiTokenForm(forms.Form):
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
