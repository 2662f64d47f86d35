"""The milestone list page's filter form (the REST list's query parameters, plus search), and
the filters of a contract page's milestone table."""

from typing import Any

from django import forms

from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import parties_for_contract
from milepost.schedule.choices import Health, MilestoneKind, MilestoneStatus

from .search import QUERY_MAX
from .selectors import WINDOWS, MilestoneFilters

ANY = [("", "Any")]
YES_NO = [*ANY, ("true", "Yes"), ("false", "No")]
# Each is a key of ``selectors.SORTS``; the first is the default.
SORT_CHOICES = [
    ("due_date", "Due date, soonest first"),
    ("-due_date", "Due date, latest first"),
    ("health", "Health, worst first"),
    ("progress", "Progress, least first"),
    ("title", "Title, A to Z"),
    ("contract", "Contract reference"),
]
SORT_LABELS = dict(SORT_CHOICES)


def _flag(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class MilestoneFilterForm(forms.Form):
    """Filters a person sets on the milestone list; every field is optional."""

    q = forms.CharField(label="Title contains", required=False, max_length=200)
    kind = forms.ChoiceField(label="Kind", required=False, choices=ANY + MilestoneKind.choices)
    status = forms.ChoiceField(
        label="Status", required=False, choices=ANY + MilestoneStatus.choices
    )
    health = forms.ChoiceField(label="Health", required=False, choices=ANY + Health.choices)
    owner = forms.CharField(
        label="Owner",
        required=False,
        max_length=150,
        help_text="“me”, a username, or empty for anyone.",
    )
    due_from = forms.DateField(
        label="Due from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = forms.DateField(
        label="Due to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    critical = forms.TypedChoiceField(
        label="Critical", required=False, choices=YES_NO, coerce=_flag, empty_value=None
    )
    # Set by the dashboard's links rather than by hand; kept so a filtered page can be refined.
    overdue = forms.TypedChoiceField(
        required=False, choices=YES_NO, coerce=_flag, empty_value=None, widget=forms.HiddenInput
    )
    open = forms.TypedChoiceField(
        required=False, choices=YES_NO, coerce=_flag, empty_value=None, widget=forms.HiddenInput
    )
    awaiting = forms.ChoiceField(
        required=False, choices=[*ANY, ("me", "Me")], widget=forms.HiddenInput
    )
    window = forms.ChoiceField(
        required=False, choices=ANY + [(w, w) for w in WINDOWS], widget=forms.HiddenInput
    )
    contract = forms.IntegerField(required=False, widget=forms.HiddenInput)
    responsible_party = forms.IntegerField(required=False, widget=forms.HiddenInput)
    order = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    @property
    def sort_label(self) -> str:
        """Name the order the results are in, once the form is valid."""
        order = getattr(self, "cleaned_data", {}).get("order") or "due_date"
        return SORT_LABELS[order].lower()

    def filters(self) -> MilestoneFilters:
        """Return the cleaned data as the selector's filters."""
        data: dict[str, Any] = self.cleaned_data
        return MilestoneFilters(
            contract=data["contract"],
            kind=data["kind"] or None,
            status=data["status"] or None,
            health=data["health"] or None,
            owner=data["owner"].strip() or None,
            responsible_party=data["responsible_party"],
            due_from=data["due_from"],
            due_to=data["due_to"],
            overdue=data["overdue"],
            critical=data["critical"],
            q=data["q"].strip(),
            window=data["window"] or None,
            open=data["open"],
            awaiting=data["awaiting"] == "me",
            order=data["order"] or "due_date",
        )


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


class SearchForm(forms.Form):
    """The global search box: a few words matched against references, titles and names."""

    q = forms.CharField(
        label="Search for",
        required=False,
        max_length=QUERY_MAX,
        help_text="A contract's reference or title, a milestone's title or an organisation's name.",
    )
