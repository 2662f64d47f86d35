"""The one setup page's form, and the small forms that save, rename and delete a template."""

from typing import Any

from django import forms
from django.db.models import Prefetch

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.accounts.selectors import organisation_get_by_slug, organisations_managed_by
from milepost.contracts.choices import PartyRole
from milepost.core.dates import DATE_MAX, DATE_MIN
from milepost.core.errors import NotFound
from milepost.core.forms import MoneyField, set_currency

from .selectors import organisations_for_setup, people_for_setup
from .services import Setup, TemplateSource


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        """The person's name with the organisations (of those you work with) they belong to."""
        name = str(obj.get_full_name() or obj.username)
        orgs = sorted({m.organisation.name for m in getattr(obj, "setup_memberships", [])})
        return f"{name} ({', '.join(orgs)})" if orgs else name


def _by_identifier(value: Any) -> Organisation | None:
    """The organisation with exactly this slug, or None."""
    slug = str(value or "").strip()
    if not slug:
        return None
    try:
        return organisation_get_by_slug(slug=slug)
    except NotFound:
        return None


class SetupForm(forms.Form):
    """Only what varies: the contract's names, value, start, and who is in each role."""

    title = forms.CharField(max_length=200)
    reference = forms.CharField(max_length=64, help_text="Your reference, such as HCC-2027-004.")
    currency = forms.CharField(
        min_length=3, max_length=3, initial="GBP", help_text="Such as GBP or EUR."
    )
    value = MoneyField(help_text="Payment stages are percentages of this.")
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_start_date(self) -> Any:
        day = self.cleaned_data["start_date"]
        if day is not None and not DATE_MIN <= day <= DATE_MAX:
            raise forms.ValidationError(
                f"Give a date from {DATE_MIN:%-d %b %Y} to {DATE_MAX:%-d %b %Y}."
            )
        return day

    our_role = forms.ChoiceField(label="Your organisation's role")
    holiday_country = forms.CharField(
        max_length=8,
        initial="GB",
        label="Bank holidays of",
        help_text="The country whose bank holidays working days skip, such as GB.",
    )

    def __init__(self, *args: Any, source: TemplateSource, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        body = source.body
        self.fields["our_role"].choices = [  # type: ignore[attr-defined]
            (r.key, r.label) for r in body.roles if r.role != PartyRole.OBSERVER
        ]
        self.fields["our_role"].initial = body.lead_role
        organisations = organisations_for_setup(user=user)
        people = people_for_setup(user=user).prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organisation__in=organisations)
                .exclude(role=Role.VIEWER)
                .select_related("organisation"),
                to_attr="setup_memberships",
            )
        )
        owning = {m.responsible for m in body.milestones}
        managed = organisations_managed_by(user=user).first()
        for role in body.roles:
            self.fields[f"party_{role.key}"] = forms.ModelChoiceField(
                queryset=organisations,
                label=f"{role.label} organisation",
                required=False,
                initial=managed.pk if managed and role.key == body.lead_role else None,
                empty_label="(choose the organisation)",
            )
            self.fields[f"ident_{role.key}"] = forms.SlugField(
                max_length=80,
                required=False,
                label=f"Or the {role.label.lower()}'s identifier",
                help_text="Another organisation's identifier (slug), exactly as its admin gives "
                "it to you, such as northgate-construction.",
            )
            if role.key not in owning:
                continue  # no milestones of its own: nothing to own
            self.fields[f"owner_{role.key}"] = PersonChoice(
                queryset=people,
                label=f"Owner of the {role.label.lower()}'s milestones",
                required=False,
                empty_label="(you if you are a member, else one of its managers)",
            )
        set_currency(self, str(self.data.get("currency") or "GBP").strip().upper())

    def contract_fields(self) -> list[Any]:
        """The fields about the contract itself, before the parties."""
        return [
            self[name]
            for name in self.fields
            if not name.startswith(("party_", "owner_", "ident_"))
        ]

    def role_rows(self) -> list[tuple[Any, Any, Any]]:
        """Each role's organisation field, its identifier field and its owner field, for the page."""
        return [
            (
                self[f"party_{r.key}"],
                self[f"ident_{r.key}"],
                self[f"owner_{r.key}"] if f"owner_{r.key}" in self.fields else None,
            )
            for r in self.source.body.roles
        ]

    def clean(self) -> dict[str, Any]:
        """Resolve each role's organisation: chosen from the list or named by its identifier."""
        data = super().clean() or {}
        for role in self.source.body.roles:
            slug = data.get(f"ident_{role.key}")
            if not slug:
                continue
            if data.get(f"party_{role.key}"):
                self.add_error(
                    f"ident_{role.key}",
                    "Choose an organisation from the list or give an identifier, not both.",
                )
                continue
            org = _by_identifier(slug)
            if org is None:
                self.add_error(f"ident_{role.key}", f"No organisation has the identifier '{slug}'.")
                continue
            data[f"party_{role.key}"] = org
        return data

    def setup(self) -> Setup:
        data = self.cleaned_data
        keys = [r.key for r in self.source.body.roles]
        return Setup(
            title=data["title"],
            reference=data["reference"],
            value=data["value"],
            currency=data["currency"].strip().upper(),
            start_date=data["start_date"],
            our_role=data["our_role"],
            parties={k: data.get(f"party_{k}") for k in keys},
            owners={k: data.get(f"owner_{k}") for k in keys if data.get(f"owner_{k}")},
            holiday_country=data["holiday_country"].strip().upper(),
        )


class TemplateSaveForm(forms.Form):
    name = forms.CharField(
        max_length=120, help_text="Your organisation's members will see it by this name."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TemplateChangeForm(TemplateSaveForm):
    pass
