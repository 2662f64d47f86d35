"""Schedule forms, by area (baselines, calendar, changes, dependencies, forecasts, planning,
risks). Forms check the shape; services check the rules.
"""

from decimal import Decimal
from typing import Any, cast

from django import forms

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.core.forms import DATE_WIDGET, MoneyField, set_currency
from milepost.core.text import NOTE_MAX, TEXT_MAX, TITLE_MAX

from .baselines import NAME_MAX
from .choices import AnchorEvent, DependencyType, MilestoneKind
from .forecasts import DEFAULT_RUNS, MAX_RUNS, MAX_SEED, MIN_RUNS
from .models import EarlyWarning, Milestone
from .risks import SCALE, risk_owners_for_contract
from .risks.early_warnings import warning_milestone_choices
from .selectors import milestones_for_contract


class BaselineForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Name",
        help_text="For example “Accepted programme v3”; unique within the contract.",
    )


class NonWorkingDayForm(forms.Form):
    day = forms.DateField(
        widget=DATE_WIDGET, label="Day", help_text="A weekday within the contract."
    )
    reason = forms.CharField(
        max_length=200, label="Reason", help_text="For example “Site closed for the festival”."
    )


class ChangeRequestForm(forms.Form):
    new_due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label="New due date",
    )
    new_amount = MoneyField(required=False, min_value=Decimal("0.01"), label="New amount")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        required=False,
        label="Reason",
    )

    def __init__(self, *args: Any, milestone: Milestone, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if milestone.kind != MilestoneKind.PAYMENT:
            del self.fields["new_amount"]
        set_currency(self, milestone.contract.currency)


class DecisionForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note (required to reject)",
    )


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


class ForecastForm(forms.Form):
    runs = forms.IntegerField(
        initial=DEFAULT_RUNS,
        min_value=MIN_RUNS,
        max_value=MAX_RUNS,
        label="Runs",
        help_text=f"{MIN_RUNS} to {MAX_RUNS:,}; more runs give steadier figures.",
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        label="Seed (optional)",
        help_text="Leave empty for a random seed. The same seed with the same inputs gives the "
        "same figures.",
    )


class AnchorForm(forms.Form):
    anchor = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Count the due date from",
        help_text="Leave empty to make the due date fixed again.",
    )
    event = forms.ChoiceField(
        choices=[(AnchorEvent.MET, "the day it is met"), (AnchorEvent.DUE, "its due date")],
        label="From",
    )
    offset = forms.IntegerField(
        min_value=-1000, max_value=1000, initial=0, label="Days after (negative: before)"
    )
    working_days = forms.BooleanField(
        required=False, label="Count working days (skip weekends and the contract's holidays)"
    )

    def __init__(self, *args: Any, milestone: Milestone, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["anchor"])
        field.queryset = milestones_for_contract(contract=milestone.contract).exclude(
            pk=milestone.pk
        )


class PlanForm(forms.Form):
    start_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label="Work starts",
        help_text="Empty: a point in time that starts when it is due.",
    )
    estimate_optimistic = forms.IntegerField(
        required=False, min_value=0, label="Optimistic (working days left)"
    )
    estimate_likely = forms.IntegerField(required=False, min_value=0, label="Most likely")
    estimate_pessimistic = forms.IntegerField(required=False, min_value=0, label="Pessimistic")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        three = [data.get(f"estimate_{k}") for k in ("optimistic", "likely", "pessimistic")]
        if any(v is not None for v in three) and not all(v is not None for v in three):
            raise forms.ValidationError("Give all three estimates, or none.")
        return data


LIKELIHOOD = [
    (1, "1 · Rare"),
    (2, "2 · Unlikely"),
    (3, "3 · Possible"),
    (4, "4 · Likely"),
    (5, "5 · Almost certain"),
]


IMPACT = [
    (1, "1 · Negligible"),
    (2, "2 · Minor"),
    (3, "3 · Moderate"),
    (4, "4 · Major"),
    (5, "5 · Severe"),
]


assert [value for value, _ in LIKELIHOOD] == list(SCALE) == [value for value, _ in IMPACT]


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class MilestonesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Milestone) -> str:
        return f"{obj.title} (due {obj.due_date:%d %b %Y})"


class WarningForm(forms.Form):
    """An early warning's fields, as raised or edited."""

    title = forms.CharField(max_length=TITLE_MAX)
    likelihood = forms.TypedChoiceField(
        choices=LIKELIHOOD, coerce=int, help_text="How likely it is to happen."
    )
    impact = forms.TypedChoiceField(
        choices=IMPACT, coerce=int, help_text="How badly it would hurt the milestones."
    )
    milestones = MilestonesField(
        queryset=Milestone.objects.none(),
        label="Milestones it threatens",
        help_text="Choose one or more (hold Ctrl or ⌘ to choose several).",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    owner = PersonField(
        queryset=User.objects.none(),
        help_text="A member of a party to the contract who watches and acts on it.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX, required=False
    )
    mitigation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        required=False,
        help_text="What is being done to make it less likely or less harmful.",
    )

    def __init__(
        self, *args: Any, contract: Contract, linked: list[int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = risk_owners_for_contract(contract=contract)  # type: ignore[attr-defined]
        self.fields["milestones"].queryset = warning_milestone_choices(  # type: ignore[attr-defined]
            contract=contract, linked=linked or []
        )

    @staticmethod
    def initial_for(warning: EarlyWarning) -> dict[str, Any]:
        return {
            "title": warning.title,
            "likelihood": warning.likelihood,
            "impact": warning.impact,
            "milestones": [m.pk for m in warning.milestones.all()],
            "owner": warning.owner_id,
            "description": warning.description,
            "mitigation": warning.mitigation,
        }


class CloseForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=NOTE_MAX,
        label="Why is it closed?",
        help_text="For example: the risk passed, the mitigation worked, or it became an issue.",
    )


class RecoveryForm(forms.Form):
    cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=TEXT_MAX, label="Cause"
    )
    plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX,
        label="Plan",
        help_text="How it will recover.",
    )
    owner = PersonField(queryset=User.objects.none())
    new_target = forms.DateField(
        widget=DATE_WIDGET, label="New target", help_text="Today or later."
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = risk_owners_for_contract(contract=contract)  # type: ignore[attr-defined]
