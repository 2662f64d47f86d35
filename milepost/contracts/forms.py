"""Forms for creating and editing contracts and their parties; the services check the rules."""

from typing import Any

from django import forms
from django.urls import reverse

from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import organisation_get_by_slug, organisations_managed_by
from milepost.core.errors import NotFound
from milepost.core.forms import DATE_WIDGET, MoneyField, set_currency
from milepost.core.text import TEXT_MAX, TITLE_MAX
from milepost.web.pickers import (
    TimeZoneField,
    country_choices,
    country_field_choices,
    holiday_countries,
    region_choices,
    region_field_choices,
)

from .choices import CONTRACT_TRANSITIONS, ContractStatus, PartyRole
from .models import Contract
from .selectors import organisations_known_to
from .services import EDITABLE_FIELDS

SCHEDULE_SETTINGS = ("at_risk_threshold", "self_reschedule", "stale_update_days")


class ContractEditForm(forms.Form):
    """A contract's terms: its descriptive fields, dates, calendar and value."""

    reference = forms.CharField(
        max_length=64, help_text="Your organisation's own reference, unique among its contracts."
    )
    title = forms.CharField(max_length=TITLE_MAX)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX, required=False
    )
    value = MoneyField(
        min_value=0,
        label="Value",
        help_text="The total contract value; payments are committed against it.",
    )
    start_date = forms.DateField(widget=DATE_WIDGET, label="Start date")
    end_date = forms.DateField(widget=DATE_WIDGET, label="End date")
    time_zone = TimeZoneField(
        label="Time zone",
        help_text="Start typing a place, such as London, and pick it from the list. Due dates "
        "fall at the end of the day in this zone.",
    )
    # Lists drawn from the ``holidays`` package; the region list is the chosen country's.
    holiday_country = forms.CharField(
        max_length=8,
        label="Holiday country",
        help_text="Working days skip this country's public holidays.",
        widget=forms.Select,
    )
    holiday_region = forms.CharField(
        max_length=16,
        required=False,
        label="Holiday region",
        help_text="The regions of the country above; a region adds its own public holidays.",
        widget=forms.Select,
    )

    # Schedule settings; left out of a submitted form, each keeps its value (or the default).
    at_risk_threshold = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=99,
        label="At-risk threshold (%)",
        help_text="A milestone is at risk when its forecast chance of meeting its date is below "
        "this. Default 70.",
    )
    self_reschedule = forms.TypedChoiceField(
        required=False,
        choices=[
            ("1", "Yes: a party may move its own standard milestones directly"),
            ("0", "No: every date moves by approved change request"),
        ],
        coerce=lambda value: value == "1",
        empty_value=None,
        label="Direct rescheduling",
    )
    stale_update_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        label="Flag a milestone with no status update for this many days",
        help_text="A leading signal of risk in the forecast. Default 14.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choosing another country asks the server for that country's regions.
        self.fields["holiday_country"].widget.attrs.update(
            {
                "hx-get": reverse("contracts:holiday-regions"),
                "hx-trigger": "change",
                "hx-target": "#id_holiday_region",
                "hx-swap": "outerHTML",
                "hx-include": "#id_holiday_region",
            }
        )
        for name in ("holiday_country", "holiday_region"):
            self.fields[name].widget.attrs.pop("maxlength", None)  # not an attribute of a list
        self.list_holidays()

    def list_holidays(self) -> None:
        """Offer the countries, and the regions of the country the form holds now."""
        # Not through the bound field, which would keep the initial value it saw first.
        name = "holiday_country"
        if self.is_bound:
            value = self.data.get(self.add_prefix(name))
        else:
            value = self.initial.get(name, self.fields[name].initial)
        country = str(value or "").strip().upper()
        self.fields["holiday_country"].widget.choices = country_field_choices(country)
        self.fields["holiday_region"].widget.choices = region_field_choices(country)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in SCHEDULE_SETTINGS:
            if data.get(name) is None:
                data.pop(name, None)
        return data

    def clean_holiday_country(self) -> str:
        country = str(self.cleaned_data["holiday_country"]).strip().upper()
        if country not in holiday_countries():
            raise forms.ValidationError(
                f"'{country}' is not a country with a public holiday calendar: choose one from "
                "the list.",
                code="invalid_holiday_country",
            )
        return country

    def clean_holiday_region(self) -> str:
        region = str(self.cleaned_data["holiday_region"]).strip().upper()
        country = self.cleaned_data.get("holiday_country")
        if region and country and region not in dict(region_choices(country)):
            name = dict(country_choices()).get(country, country)
            raise forms.ValidationError(
                f"'{region}' is not a region of {name}: choose one from the list, or none.",
                code="invalid_holiday_region",
            )
        return region

    @classmethod
    def initial_for(cls, contract: Contract) -> dict[str, Any]:
        initial = {name: getattr(contract, name) for name in (*EDITABLE_FIELDS, "value")}
        initial["self_reschedule"] = "1" if contract.self_reschedule else "0"
        return initial


class ContractForm(ContractEditForm):
    """A new contract: which of your organisations makes it, as what, and in which currency."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text="The organisation that owns the contract; you must manage it.",
    )
    party_role = forms.ChoiceField(
        label="Its role",
        choices=[(r.value, r.label) for r in PartyRole if r != PartyRole.OBSERVER],
    )
    currency = forms.CharField(
        min_length=3, max_length=3, initial="GBP", help_text="ISO 4217 code, such as GBP or EUR."
    )

    field_order = ["organisation", "party_role", "reference", "title", "currency", "value"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_managed_by(user=user)  # type: ignore[attr-defined]
        self.fields["time_zone"].initial = user.time_zone or "Europe/London"
        self.fields["holiday_country"].initial = "GB"
        self.list_holidays()
        # The value may be typed with the symbol of the currency chosen in the same form.
        set_currency(self, str(self.data.get("currency") or "GBP").strip().upper())

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()


class ContractStatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        """Offer only the statuses the contract may move to from where it is."""
        super().__init__(*args, **kwargs)
        allowed = CONTRACT_TRANSITIONS[contract.status]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s.value, s.label) for s in ContractStatus if s in allowed
        ]


class PartyForm(forms.Form):
    """Add a party: an organisation you already work with, or any other by its exact identifier.

    The list holds only organisations already party to a contract of yours (see
    ``organisations_known_to``): the server's other tenants are never listed.
    """

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="An organisation you already work with",
        empty_label="(none: give an identifier below)",
    )
    identifier = forms.SlugField(
        max_length=80,
        required=False,
        label="Or another organisation's identifier",
        help_text="Its slug exactly as its admin gives it to you, such as northgate-construction.",
    )
    role = forms.ChoiceField(choices=PartyRole.choices)

    def __init__(self, *args: Any, contract: Contract, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations_known_to(user=user).exclude(  # type: ignore[attr-defined]
            parties__contract=contract
        )

    def clean(self) -> dict[str, Any]:
        """Return the organisation and the role; exactly one way of naming the organisation."""
        data = super().clean() or {}
        chosen, identifier = data.get("organisation"), data.get("identifier")
        if self.errors:
            return data
        if chosen and identifier:
            raise forms.ValidationError(
                "Choose an organisation from the list or give an identifier, not both."
            )
        if not chosen and not identifier:
            self.add_error(
                "identifier",
                "Choose an organisation you work with, or give another organisation's identifier.",
            )
            return data
        if identifier:
            try:
                chosen = organisation_get_by_slug(slug=identifier)
            except NotFound:
                self.add_error(
                    "identifier",
                    f"No organisation has the identifier '{identifier}'; check it with its admin.",
                )
                return data
        return {"organisation": chosen, "role": data["role"]}
