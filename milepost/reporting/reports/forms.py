"""The forms of the report pages: which report, for which period and audience; a subscription."""

from typing import Any

from django import forms

from milepost.core.forms import DATE_WIDGET

from ..choices import WEEKDAYS, Frequency, ReportType
from .issue import AUDIENCE_MAX


class ReportForm(forms.Form):
    """Choose a report: its type, contract, period and audience."""

    type = forms.ChoiceField(label="Report", choices=ReportType.choices)
    # A number, not a choice: a contract the reader cannot see is not found (404), like anywhere.
    contract = forms.IntegerField(
        label="Contract",
        required=False,
        min_value=1,
        widget=forms.Select,
        help_text="Every report but the portfolio is about one contract.",
    )
    start = forms.DateField(label="From", required=False, widget=DATE_WIDGET)
    end = forms.DateField(
        label="To",
        required=False,
        widget=DATE_WIDGET,
        help_text="Leave both empty for the month so far.",
    )
    weeks = forms.TypedChoiceField(
        label="Look ahead",
        coerce=int,
        choices=[(2, "2 weeks"), (4, "4 weeks")],
        initial=2,
        required=False,
        empty_value=2,  # type: ignore[arg-type]
    )
    audience = forms.CharField(
        label="Prepared for",
        max_length=AUDIENCE_MAX,
        required=False,
        help_text="Who the report is for, such as “Harbour City Council board”.",
    )

    def __init__(self, *args: Any, contracts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].widget.choices = [("", "Choose a contract"), *contracts]


class SubscriptionForm(forms.Form):
    """Send a contract's report to a list of people and addresses, weekly or monthly."""

    type = forms.ChoiceField(
        label="Report",
        choices=[(t.value, t.label) for t in ReportType if t != ReportType.PORTFOLIO],
    )
    frequency = forms.ChoiceField(label="How often", choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label="On (weekly)",
        coerce=int,
        choices=list(enumerate(WEEKDAYS)),
        initial=0,
        required=False,
        empty_value=None,
    )
    day_of_month = forms.TypedChoiceField(
        label="On day (monthly)",
        coerce=int,
        choices=[(d, str(d)) for d in range(1, 29)],
        initial=1,
        required=False,
        empty_value=None,
    )
    weeks = forms.TypedChoiceField(
        label="A look-ahead covers",
        coerce=int,
        choices=[(2, "2 weeks"), (4, "4 weeks")],
        initial=2,
    )
    audience = forms.CharField(label="Prepared for", max_length=AUDIENCE_MAX, required=False)
    members = forms.MultipleChoiceField(
        label="People on the contract", required=False, widget=forms.CheckboxSelectMultiple
    )
    emails = forms.CharField(
        label="Other email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line. Only a manager of a party may send reports outside Milepost.",
    )

    def __init__(
        self, *args: Any, people: list[tuple[str, str]], outside: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = people  # type: ignore[attr-defined]
        if not outside:
            # Only a manager of a party sends reports outside Milepost: no field to be refused.
            del self.fields["emails"]

    def clean_emails(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["emails"].replace(",", "\n").splitlines()
            if line.strip()
        ]
