"""Endpoints for contract templates: list and read them, set a contract up from one, save one."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.accounts.models import Organisation, User
from milepost.contracts.api import ContractDetailOut
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import DomainError, NotFound
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, RowId, Title

from .builtins import BUILT_INS
from .selectors import (
    contract_template_get_for_user,
    contract_templates_for_user,
    people_for_setup,
    template_source,
    template_source_for_user,
)
from .services import (
    Setup,
    TemplateSource,
    contract_from_template,
    contract_template_change,
    contract_template_delete,
    contract_template_save,
    template_setup_check,
)

router = Router()


class RoleOut(Schema):
    key: str
    role: str
    label: str


class TemplateOut(Schema):
    key: str = Field(description="A built-in template's slug, or a saved template's id.")
    name: str
    description: str
    built_in: bool
    organisation: str | None
    roles: list[RoleOut]
    lead_role: str
    milestones: int
    duration_days: int


class TemplateDetailOut(TemplateOut):
    body: dict[str, Any]


class SetupIn(InputSchema):
    title: Title = Field(min_length=1)
    reference: str = Field(min_length=1, max_length=64)
    value: Amount
    currency: str = Field(pattern="^[A-Za-z]{3}$")
    start_date: IsoDate
    our_role: str = Field(
        "",
        max_length=40,
        description="The role your organisation takes; the template's lead role if empty.",
    )
    parties: dict[str, str] = Field(
        description="Each role key of the template to an organisation's identifier (its slug)."
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="Each role key to the username of who owns its milestones (a member of an "
        "organisation you work with); if left out, you when a member, else one of its managers.",
    )
    description: LongText = ""
    holiday_country: str = Field("GB", min_length=1, max_length=8)
    holiday_region: str = Field("", max_length=16)


class PlannedOut(Schema):
    reference: str
    kind: str
    title: str
    responsible: str
    due_date: dt.date
    date_basis: str
    amount: Decimal | None
    left_out: str


class PreviewOut(Schema):
    start_date: dt.date
    end_date: dt.date
    milestones: list[PlannedOut]
    notes: list[str]


class TemplateSaveIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    description: LongText = ""


class TemplateChangeIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: LongText | None = None


def _out(source: TemplateSource, *, detail: bool = False) -> dict[str, Any]:
    body = source.body
    out: dict[str, Any] = {
        "key": source.key,
        "name": source.name,
        "description": source.description,
        "built_in": source.saved is None,
        "organisation": source.saved.organisation.name if source.saved else None,
        "roles": [{"key": r.key, "role": r.role, "label": r.label} for r in body.roles],
        "lead_role": body.lead_role,
        "milestones": len(body.milestones),
        "duration_days": body.duration_days,
    }
    if detail:
        out["body"] = source.saved.body if source.saved else BUILT_INS[source.key].raw
    return out


def _setup(payload: SetupIn, source: TemplateSource, user: User) -> Setup:
    if source.unusable:
        raise DomainError("unusable_template", source.unusable, field="body")
    roles = {r.key for r in source.body.roles}
    for key in [*payload.parties, *payload.owners]:
        if key not in roles:
            raise DomainError(
                "unknown_role",
                f"'{key}' is not one of the template's roles ({', '.join(sorted(roles))}).",
                field="parties" if key in payload.parties else "owners",
            )
    parties: dict[str, Organisation | None] = {}
    for key, slug in payload.parties.items():
        # By its exact identifier only: a name could match an organisation you never met.
        parties[key] = Organisation.objects.filter(slug=slug).first()
        if parties[key] is None:
            raise DomainError(
                "unknown_organisation",
                f"No organisation has the identifier '{slug}'.",
                field=f"party_{key}",
            )
    people = {
        u.username: u
        for u in people_for_setup(user=user).filter(username__in=list(payload.owners.values()))
    }
    owners: dict[str, User | None] = {}
    for key, username in payload.owners.items():
        owners[key] = people.get(username)
        if owners[key] is None:
            # One answer whoever the username belongs to, so it tells nothing about anyone.
            raise DomainError(
                "unknown_owner",
                f"'{username}' is not someone you may name as an owner: give the username of a "
                "member of an organisation you work with, or leave it out.",
                field=f"owner_{key}",
            )
    return Setup(
        title=payload.title,
        reference=payload.reference,
        value=payload.value,
        currency=payload.currency,
        start_date=payload.start_date,
        our_role=payload.our_role or source.body.lead_role,
        parties=parties,
        owners=owners,
        description=payload.description,
        holiday_country=payload.holiday_country,
        holiday_region=payload.holiday_region,
    )


def _saved(request: HttpRequest, key: str) -> Any:
    """The saved template's row, without reading its body (so one that no longer reads goes)."""
    if not key.isdigit():
        raise NotFound("saved contract template")
    return contract_template_get_for_user(user=actor(request), pk=int(key))


@router.get("/contract-templates", response=list[TemplateOut])
def list_contract_templates(request: HttpRequest) -> Any:
    """List the built-in templates and those your organisations saved."""
    user = actor(request)
    built_in = [template_source_for_user(user=user, key=k) for k in BUILT_INS]
    saved = [template_source(t) for t in contract_templates_for_user(user=user)]
    # One that no longer reads is left out here; its own URL says why, and it can be deleted.
    return [_out(source) for source in [*built_in, *saved] if not source.unusable]


@router.get("/contract-templates/{key}", response=TemplateDetailOut)
def get_contract_template(request: HttpRequest, key: str) -> Any:
    """Read one template with its body (the format is described in the docs)."""
    source = template_source_for_user(user=actor(request), key=key)
    if source.unusable:
        raise DomainError("unusable_template", source.unusable, field="body")
    return _out(source, detail=True)


@router.post("/contract-templates/{key}/preview", response=PreviewOut)
def preview_contract_from_template(request: HttpRequest, key: str, payload: SetupIn) -> Any:
    """Show every milestone the template would create, with its date and amount; writes nothing."""
    source = template_source_for_user(user=actor(request), key=key)
    plan = template_setup_check(
        source=source, setup=_setup(payload, source, actor(request)), actor=actor(request)
    )
    return {
        "start_date": plan.start_date,
        "end_date": plan.end_date,
        "notes": plan.notes,
        "milestones": [
            {
                "reference": p.spec.key,
                "kind": p.spec.kind,
                "title": p.spec.title,
                "responsible": p.responsible,
                "due_date": p.due_date,
                "date_basis": p.basis,
                "amount": p.amount,
                "left_out": p.left_out,
            }
            for p in plan.milestones
        ],
    }


@router.post("/contract-templates/{key}/contracts", response={201: ContractDetailOut})
def create_contract_from_template(request: HttpRequest, key: str, payload: SetupIn) -> Any:
    """Create the contract, its parties, milestones, links and reminders in one transaction."""
    source = template_source_for_user(user=actor(request), key=key)
    contract = contract_from_template(
        source=source, setup=_setup(payload, source, actor(request)), actor=actor(request)
    )
    return Status(201, contract)


@router.post("/contracts/{contract_id}/template", response={201: TemplateOut})
def save_contract_as_template(
    request: HttpRequest, contract_id: RowId, payload: TemplateSaveIn
) -> Any:
    """Save a contract as a template of its organisation: dates as offsets, people as roles."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    template = contract_template_save(
        contract=contract, name=payload.name, description=payload.description, actor=actor(request)
    )
    return Status(201, _out(template_source_for_user(user=actor(request), key=str(template.pk))))


@router.patch("/contract-templates/{key}", response=TemplateOut)
def change_contract_template(request: HttpRequest, key: str, payload: TemplateChangeIn) -> Any:
    """Rename a saved template or change its description."""
    template = contract_template_change(
        template=_saved(request, key), actor=actor(request), **payload.dict(exclude_unset=True)
    )
    return _out(template_source_for_user(user=actor(request), key=str(template.pk)))


@router.delete("/contract-templates/{key}", response={204: None})
def delete_contract_template(request: HttpRequest, key: str) -> Any:
    """Delete a saved template; contracts made from it stay."""
    contract_template_delete(template=_saved(request, key), actor=actor(request))
    return Status(204, None)
