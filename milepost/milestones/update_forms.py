"""Forms of update requests: the answer from the field, a round asked for now, the schedule.

Forms check the shape; ``updates`` checks the rules.
"""

from typing import Any

from django import forms

from milepost.contracts.models import Contract
from milepost.core.forms import DATE_WIDGET
from milepost.core.text import NOTE_MAX
from milepost.schedule.choices import OPEN_STATUSES
from milepost.schedule.models import Milestone

from .models import Weekday


class UpdateAnswerForm(forms.Form):
    """The phone-first answer; files are read from the request (``files``, several)."""

    progress = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        label="How far along is it? (%)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 100}),
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label="How is it going?",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    expected_date = forms.DateField(
        required=False, label="When do you now expect to finish?", widget=DATE_WIDGET
    )

    def __init__(
        self, *args: Any, kind_has_progress: bool = True, date_open: bool = True, **kwargs: Any
    ) -> None:
        """Leave out what this person may not give: a percentage the kind computes, a date."""
        super().__init__(*args, **kwargs)
        if not kind_has_progress:
            del self.fields["progress"]
        if not date_open:
            del self.fields["expected_date"]


def _open_milestones(contract: Contract) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Milestone.objects.filter(contract=contract, status__in=OPEN_STATUSES).order_by(
            "due_date", "title"
        ),
        required=False,
        empty_label="Every open milestone",
        label="Ask about",
    )


class RoundRequestForm(forms.Form):
    """Ask now: every open milestone's owner, or one milestone's."""

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"] = _open_milestones(contract)


class UpdateScheduleForm(forms.Form):
    """Ask every week on a weekday (none: stop asking), for the contract or one milestone."""

    weekday = forms.TypedChoiceField(
        choices=[("", "Not on a schedule"), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Ask every",
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = _open_milestones(contract)
        field.empty_label = "The whole contract"
        field.label = "For"
        self.fields["milestone"] = field
