"""The document upload form and a proposal's edit form, whose fields follow its kind."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from milepost.core.forms import DATE_WIDGET, MoneyField, set_currency
from milepost.performance.models import KPI
from milepost.performance.services import KPI_NAME_MAX, KPI_UNIT_MAX

from .choices import ProposalKind
from .values import PROPOSAL_FIELDS

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _with_repeats(fields: tuple[str, ...]) -> tuple[str, ...]:
    """A deliverable's or gate's fields with how it repeats, after its due date."""
    if "recurring" in fields or "due_date" not in fields:
        return fields
    at = fields.index("due_date") + 1
    return (*fields[:at], "recurring", *fields[at:])


# The fields of each kind's edit form, in the order the form shows them (the services' list,
# with how a deliverable or a gate repeats, which the services keep among its values).
KIND_FIELDS = {
    kind: _with_repeats(fields) if kind in (ProposalKind.DELIVERABLE, ProposalKind.GATE) else fields
    for kind, fields in PROPOSAL_FIELDS.items()
}
REPEATS = (
    ("", "Once, on the due date"),
    ("daily", "Every day"),
    ("weekly", "Every week"),
    ("monthly", "Every month"),
    ("quarterly", "Every quarter"),
    ("yearly", "Every year"),
)
# The target's digits as the KPI stores them.
_TARGET = KPI._meta.get_field("target")
DIRECTIONS = (("at_least", "At least"), ("at_most", "At most"))
PERIODS = (
    ("day", "Each day"),
    ("week", "Each week"),
    ("month", "Each month"),
    ("quarter", "Each quarter"),
)
PERS = (("day", "Per day"), ("week", "Per week"))
CRITICALITIES = (
    ("critical", "Critical: it makes or breaks the contract"),
    ("standard", "Standard: it may be rescheduled"),
)
NONE = ("", "Not chosen")
NOTHING = ("", "Nothing: it stands alone")

Choices = Sequence[tuple[str, str]]


class DocumentUploadForm(forms.Form):
    """A contract document to upload: the file, and the title it goes by on the contract."""

    file = forms.FileField(
        label="Document file",
        help_text="A PDF with a text layer, a Word document (DOCX), plain text or Markdown.",
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text=(
            "How the contract's people will know it, such as “Signed agreement”. Leave it "
            "blank to use the file's name."
        ),
    )


def _field(name: str, c: Mapping[str, Choices]) -> forms.Field:
    parties = [NONE, *c.get("parties", ())]
    people = [NONE, *c.get("owners", ())]
    targets = [NOTHING, *c.get("targets", ())]
    fields: dict[str, forms.Field] = {
        "title": forms.CharField(label="Title", max_length=200),
        "due_date": forms.DateField(label="Due date", required=False, widget=DATE_WIDGET),
        "recurring": forms.ChoiceField(
            label="Repeats",
            choices=REPEATS,
            required=False,
            help_text=(
                "A repeating one makes a milestone each time until the contract ends, from the "
                "due date, or from the contract's start when no date is given."
            ),
        ),
        "depends_on": forms.ChoiceField(label="After", choices=targets, required=False),
        "owner": forms.ChoiceField(label="Owner", choices=people, required=False),
        "responsible_party": forms.ChoiceField(
            label="Responsible party", choices=parties, required=False
        ),
        "accepting_party": forms.ChoiceField(label="Accepted by", choices=parties, required=False),
        "criticality": forms.ChoiceField(label="Criticality", choices=CRITICALITIES),
        "acceptance_criteria": forms.CharField(
            label="Acceptance criteria", required=False, widget=TEXTAREA
        ),
        "amount": MoneyField(label="Amount", required=False),
        "percentage": forms.DecimalField(
            label="Percentage of the contract sum",
            required=False,
            max_digits=5,
            decimal_places=2,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        ),
        "payer": forms.ChoiceField(label="Paid by", choices=parties, required=False),
        "payee": forms.ChoiceField(label="Paid to", choices=parties, required=False),
        "trigger": forms.ChoiceField(label="Due when this is met", choices=targets, required=False),
        "kpi_name": forms.CharField(
            label="What is measured", max_length=KPI_NAME_MAX, required=False
        ),
        "target": forms.DecimalField(
            label="Target",
            required=False,
            max_digits=_TARGET.max_digits,
            decimal_places=_TARGET.decimal_places,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        ),
        "unit": forms.CharField(label="Unit", max_length=KPI_UNIT_MAX, required=False),
        "direction": forms.ChoiceField(label="Direction", choices=DIRECTIONS, required=False),
        "period": forms.ChoiceField(label="Measured", choices=PERIODS, required=False),
        "measurement_start": forms.DateField(
            label="Measured from", required=False, widget=DATE_WIDGET
        ),
        "required_parties": forms.MultipleChoiceField(
            label="Approved by",
            choices=list(c.get("parties", ())),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        ),
        "milestone": forms.ChoiceField(label="On the milestone", choices=targets, required=False),
        "rate": MoneyField(label="Rate", required=False),
        "per": forms.ChoiceField(label="Per", choices=PERS, required=False),
        "cap_amount": MoneyField(label="Cap (an amount)", required=False),
        "cap_percent": forms.DecimalField(
            label="Cap (a percentage of the contract sum)",
            required=False,
            max_digits=5,
            decimal_places=2,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        ),
    }
    return fields[name]


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _initial(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else value


class ProposalForm(forms.Form):
    """The values of one proposal, as the reviewer settles them; its fields follow its kind.

    ``choices`` holds the contract's ``parties`` and ``owners`` and the ``targets`` a date may
    follow or a payment be triggered by (other proposals, existing milestones), as
    (value, label) pairs.
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        kind: str,
        values: Mapping[str, Any],
        choices: Mapping[str, Choices],
        currency: str,
    ) -> None:
        names = KIND_FIELDS[kind]
        initial = {name: _initial(values.get(name)) for name in names}
        super().__init__(data, initial=initial)
        for name in names:
            self.fields[name] = _field(name, choices)
        set_currency(self, currency)

    def values(self) -> dict[str, Any]:
        """The cleaned values, ready for the proposal's JSON (ids stay as chosen)."""
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name in ("owner", "responsible_party", "accepting_party", "payer", "payee"):
                out[name] = int(value) if value else None
            elif name == "required_parties":
                out[name] = [int(v) for v in value]
            elif value in ("", None):
                out[name] = "" if name in ("depends_on", "trigger", "milestone") else None
            else:
                out[name] = _json_ready(value)
        return out


def choice_pairs(items: Iterable[Any]) -> list[tuple[str, str]]:
    """(value, label) pairs from whatever the services give: pairs, or objects with pk/str."""
    pairs = []
    for item in items:
        if isinstance(item, tuple | list) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        else:
            pairs.append((str(getattr(item, "pk", item)), str(item)))
    return pairs
