"""Alerts forms, by area (feeds, inbox, rules, webhooks). Forms check the shape; services check
the rules.
"""

from typing import Any, cast

from django import forms

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user

from .choices import PERSON_CHANNELS, Digest
from .models import WebhookEndpoint
from .webhooks import DESCRIPTION_MAX_LENGTH, EVENT_TYPES, URL_MAX_LENGTH


class ContractFeedForm(forms.Form):
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), label="Contract")

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = cast(forms.ModelChoiceField, self.fields["contract"])
        field.queryset = contracts_for_user(user=user).order_by("reference")


WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class AlertPreferenceForm(forms.Form):
    email = forms.BooleanField(required=False, label="Email me")
    inapp = forms.BooleanField(required=False, label="Show notifications here (the bell)")
    digest = forms.ChoiceField(choices=Digest.choices, label="Emails")
    # The range is the service's rule; the browser's spinner only suggests it.
    hour = forms.IntegerField(
        label="Hour to send at",
        help_text="0 to 23, in your time zone: reminders and digests arrive at this hour.",
        widget=forms.NumberInput(attrs={"min": 0, "max": 23}),
    )
    digest_weekday = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, label="Day of the weekly digest"
    )


class WatchForm(forms.Form):
    action = forms.ChoiceField(choices=[("watch", "Watch"), ("unwatch", "Unwatch")])
    next = forms.CharField(required=False)


class ReminderRuleForm(forms.Form):
    offsets = forms.CharField(
        required=False,
        label="Remind this many days before the due date",
        help_text="Comma-separated, for example 14, 7, 1, 0 (0 is the due date itself).",
    )
    working_days = forms.BooleanField(
        required=False, label="Count working days (skip weekends and the contract's holidays)"
    )
    overdue_every = forms.IntegerField(
        label="While overdue, remind every this many days",
        help_text="0: never.",
        widget=forms.NumberInput(attrs={"min": 0}),
    )
    escalate_after = forms.IntegerField(
        required=False,
        label="Escalate to the responsible party's managers after this many days overdue",
        help_text="Leave empty to never escalate.",
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    escalate_critical_to_counterparty = forms.BooleanField(
        required=False,
        label="Also escalate critical milestones to the counterparty's contract manager",
    )
    channels = forms.MultipleChoiceField(
        required=False,
        choices=[(c.value, c.label) for c in PERSON_CHANNELS],
        widget=forms.CheckboxSelectMultiple,
        label="Send by",
    )

    def clean_offsets(self) -> list[int]:
        """Read "14, 7, 1, 0" as days; the service checks their range."""
        days = []
        for part in str(self.cleaned_data["offsets"]).replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                days.append(int(part))
            except ValueError:
                raise forms.ValidationError(
                    f"'{part}' is not a whole number of days; write them like 14, 7, 1, 0."
                ) from None
        return days


class WebhookForm(forms.Form):
    url = forms.CharField(
        max_length=URL_MAX_LENGTH,
        label="URL",
        help_text="Where Milepost POSTs events, such as https://example.com/hooks/milepost. "
        "It must reach a public address.",
        widget=forms.URLInput(attrs={"size": 60}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        label="Description",
        help_text="Optional: what receives these events.",
    )
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES],
        required=False,
        label="Event types",
        help_text="Tick none to receive every type.",
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def initial_for(cls, endpoint: WebhookEndpoint) -> dict[str, Any]:
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
        }


class ActionRuleForm(forms.Form):
    """How long an organisation lets requests to its people wait (working days)."""

    remind_after = forms.IntegerField(
        min_value=1, max_value=60, label="Remind after (working days)"
    )
    escalate_after = forms.IntegerField(
        min_value=1,
        max_value=60,
        required=False,
        label="Escalate to the organisation's managers after (working days; empty for never)",
    )
