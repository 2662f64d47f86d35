"""Forms of the OCDS pages: the upload, and the choices that turn a preview into a contract."""

from typing import Any

from django import forms

from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import organisations_managed_by
from milepost.contracts.choices import PartyRole
from milepost.contracts.selectors import organisations_known_to

from ..models import ImportBatch
from .reader import roles_in_words
from .services import suggested_organisations


class OcdsUploadForm(forms.Form):
    file = forms.FileField(
        label="OCDS file",
        help_text="A release package, record package, record or release, as JSON.",
    )


class OcdsApplyForm(forms.Form):
    """Which contract of the file, who owns it, the parties mapped, and any missing terms."""

    contract = forms.ChoiceField(label="Contract to import", widget=forms.RadioSelect)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        empty_label=None,
        label="Your organisation",
        help_text="It owns the new contract; you must manage it.",
    )
    party_role = forms.ChoiceField(
        label="Its role",
        choices=[(r.value, r.label) for r in PartyRole if r != PartyRole.OBSERVER],
    )
    counterparty = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Other party",
        help_text="Needed when no party of the file is mapped to the other role: it accepts the milestones.",
    )
    reference = forms.CharField(
        max_length=64, required=False, help_text="Blank: the file's contract id."
    )
    title = forms.CharField(max_length=200, required=False, help_text="Blank: the file's title.")
    value = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text="Blank: the file's value.",
    )
    currency = forms.CharField(
        max_length=3, required=False, help_text="Blank: the file's currency."
    )
    start_date = forms.DateField(required=False, help_text="Blank: the file's start date.")
    end_date = forms.DateField(required=False, help_text="Blank: the file's end date.")

    def __init__(self, *args: Any, batch: ImportBatch, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contracts = batch.preview.get("contracts", [])
        choices = [(c["key"], c["title"] or c["id"]) for c in contracts]
        self.fields["contract"].choices = choices  # type: ignore[attr-defined]
        if contracts:
            self.fields["contract"].initial = contracts[0]["key"]
        self.fields["organisation"].queryset = organisations_managed_by(user=user)  # type: ignore[attr-defined]
        known = organisations_known_to(user=user)
        self.fields["counterparty"].queryset = known  # type: ignore[attr-defined]
        suggested = suggested_organisations(batch=batch, user=user)
        self.party_fields: list[tuple[str, str]] = []
        seen: set[str] = set()
        for c in contracts:
            for p in c["parties"]:
                if p["id"] in seen:
                    continue
                seen.add(p["id"])
                name = f"party_{p['id']}"
                self.fields[name] = forms.ModelChoiceField(
                    queryset=known,
                    required=False,
                    empty_label="Leave out",
                    label=f"{p['name'] or 'Unnamed party'} ({roles_in_words(p['roles']) or 'no role'})",
                    initial=suggested.get(p["id"]),
                )
                self.party_fields.append((p["id"], name))

    def party_map(self) -> dict[str, int]:
        """OCDS party id → organisation id, for the parties mapped."""
        return {
            pid: self.cleaned_data[name].pk
            for pid, name in self.party_fields
            if self.cleaned_data.get(name) is not None
        }
