"""The forms of the contract's clock: one communication of one type, and the contract data."""

from typing import Any

from django import forms

from milepost.contracts.choices import ContractForm, NamedRole, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.core.text import TEXT_MAX, TITLE_MAX
from milepost.finance.models import PaymentCycle
from milepost.schedule.models import EarlyWarning, Milestone

from . import catalogue
from .catalogue import TypeDef
from .choices import Outcome, PeriodUnit
from .models import Communication
from .selectors import REPLY_OUTCOMES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MilestonesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Milestone) -> str:
        return f"{obj.title} (due {obj.due_date:%-d %b %Y})"


class CommunicationForm(forms.Form):
    """A communication of one type: only the fields its clause asks for."""

    subject = forms.CharField(max_length=TITLE_MAX)
    outcome = forms.ChoiceField(label="Decision", choices=())
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), max_length=TEXT_MAX, required=False
    )
    aware_on = forms.DateField(
        label="Became aware on",
        widget=DATE,
        required=False,
        help_text="The 8-week time bar counts from this day (NEC4 cl. 61.3).",
    )
    from_manager_instruction = forms.BooleanField(
        label="It arises from the Project Manager's instruction or notification",
        required=False,
        help_text="No time bar applies then.",
    )
    quoted_amount = forms.DecimalField(
        label="Change to the Prices",
        max_digits=15,
        decimal_places=2,
        help_text="In the contract's currency; negative for a reduction, 0 for none.",
    )
    quoted_delay_days = forms.IntegerField(
        label="Delay to the dates (days)",
        min_value=-3650,
        max_value=3650,
        help_text="How many days later Completion and the linked milestones fall (0 for none).",
    )
    reply_days = forms.IntegerField(
        label="Reply within (days)",
        min_value=1,
        max_value=365,
        required=False,
        help_text="Leave empty for the contract's period for reply.",
    )
    extends_to = forms.DateField(label="New last day for the reply", widget=DATE)
    early_warning = forms.ModelChoiceField(
        queryset=EarlyWarning.objects.none(), required=False, label="Early warning"
    )
    payment_cycle = forms.ModelChoiceField(
        queryset=PaymentCycle.objects.none(), required=False, label="Payment cycle"
    )
    sent_on = forms.DateField(
        label="Sent on",
        widget=DATE,
        required=False,
        help_text="Only if it was already sent by letter or email: the day it was sent, from "
        "which its periods count. Leave empty to send it now.",
    )
    recipient = forms.ModelChoiceField(
        queryset=Party.objects.none(),
        label="To",
        help_text="The party that is to reply.",
    )
    milestones = MilestonesField(
        queryset=Milestone.objects.none(),
        required=False,
        label="Milestones it concerns",
        help_text="Choose any (hold Ctrl or ⌘ to choose several).",
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(
        self,
        *args: Any,
        contract: Contract,
        type_: TypeDef,
        parent: Communication | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        keep = {"subject", "text", "milestones", "sent_on"}
        if type_.outcomes:
            keep.add("outcome")
            allowed = REPLY_OUTCOMES.get(parent.kind if parent else "", type_.outcomes)
            self.fields["outcome"].choices = [(o, Outcome(o).label) for o in allowed]  # type: ignore[attr-defined]
        if type_.awareness:
            keep |= {"aware_on", "from_manager_instruction"}
        if type_.quotation:
            keep |= {"quoted_amount", "quoted_delay_days"}
        if type_.reply_days:
            keep.add("reply_days")
        if type_.extension:
            keep.add("extends_to")
        if parent is None and catalogue.EITHER in type_.senders:
            keep.add("recipient")
            self.fields["recipient"].queryset = contract.parties.exclude(  # type: ignore[attr-defined]
                role=PartyRole.OBSERVER
            ).select_related("organisation")
        if type_.family == catalogue.EARLY_WARNING:
            keep.add("early_warning")
            self.fields["early_warning"].queryset = contract.early_warnings.order_by("-id")  # type: ignore[attr-defined]
        if type_.family == catalogue.PAYMENT:
            keep.add("payment_cycle")
            self.fields["payment_cycle"].queryset = PaymentCycle.objects.filter(  # type: ignore[attr-defined]
                contract=contract
            ).order_by("-number")
        self.fields["milestones"].queryset = contract.milestones.order_by("due_date", "id")  # type: ignore[attr-defined]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def values(self) -> dict[str, Any]:
        """The cleaned data as the service takes it."""
        data = dict(self.cleaned_data)
        data["text"] = data.get("text") or ""
        data["milestones"] = list(data.get("milestones") or [])
        data.setdefault("outcome", "")
        return data


class FormChoiceForm(forms.Form):
    form = forms.ChoiceField(label="Standard form", choices=ContractForm.choices)


class PeriodForm(forms.Form):
    key = forms.CharField(max_length=32, widget=forms.HiddenInput)
    length = forms.IntegerField(min_value=0, max_value=520)
    unit = forms.ChoiceField(choices=PeriodUnit.choices)


class NamedRoleForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    named_role = forms.ChoiceField(label="Named as", choices=NamedRole.choices, required=False)
