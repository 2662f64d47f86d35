"""Writes for contract templates: save a contract as one, rename or delete it, and set up a contract.

``contract_from_template`` creates the whole contract in one transaction through the services
that own each part (contracts, schedule, the kinds, alerts), so every rule and every usual event
applies, and ends with one ``contract_template.instantiated`` event naming the template, the
reference and the counts. Anything refused leaves nothing behind.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Membership, Organisation, User
from milepost.alerts.rules import reminder_rule_set
from milepost.approvals.services import gate_create
from milepost.audit.services import event_record
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import contract_access
from milepost.contracts.services import contract_create, party_add
from milepost.core.dates import validate_date_in_range, validate_holiday_calendar
from milepost.core.errors import DomainError, Forbidden
from milepost.core.money import parse_money, validate_currency
from milepost.core.workdays import Calendar
from milepost.payments.services import payment_milestone_create
from milepost.performance.services import performance_milestone_create
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.models import Milestone
from milepost.schedule.planning import milestone_anchor_set
from milepost.schedule.services import milestone_create

from ..events import InterchangeEvent
from ..models import ContractTemplate
from .body import Body, body_read
from .capture import template_body_from_contract
from .plan import Plan, day_text, measurement_start, template_plan

NAME_MAX = 120


@dataclass(frozen=True)
class TemplateSource:
    """A template to set a contract up from: a built-in one (``key`` its slug) or a saved one."""

    key: str
    name: str
    description: str
    body: Body
    saved: ContractTemplate | None = None
    # Why a saved template whose body no longer reads cannot be used ("" when it can).
    unusable: str = ""


@dataclass
class Setup:
    """What varies between contracts made from one template: the one page's answers."""

    title: str
    reference: str
    value: Decimal | str
    currency: str
    start_date: dt.date | None
    our_role: str
    parties: dict[str, Organisation | None]
    owners: dict[str, User | None] = field(default_factory=dict)
    description: str = ""
    holiday_country: str = "GB"
    holiday_region: str = ""


def _manages(user: User, organisation: Organisation) -> bool:
    role = (
        Membership.objects.filter(user=user, organisation=organisation)
        .values_list("role", flat=True)
        .first()
    )
    return role is not None and at_least(role, Role.MANAGER)


def _check_parties(body: Body, setup: Setup, actor: User) -> dict[str, Organisation]:
    if setup.our_role not in {r.key for r in body.roles if r.role != PartyRole.OBSERVER}:
        raise DomainError(
            "invalid_role", "Choose which of the template's roles you take.", field="our_role"
        )
    chosen: dict[str, Organisation] = {}
    seen: dict[int, str] = {}
    for role in body.roles:
        org = setup.parties.get(role.key)
        if org is None:
            raise DomainError(
                "party_required",
                f"Choose the organisation that is the {role.label.lower()}.",
                field=f"party_{role.key}",
            )
        if org.pk in seen:
            raise DomainError(
                "duplicate_party",
                f"{org} is already the {seen[org.pk].lower()}; each role needs its own organisation.",
                field=f"party_{role.key}",
            )
        seen[org.pk] = role.label
        chosen[role.key] = org
    ours = chosen[setup.our_role]
    if not _manages(actor, ours):
        raise DomainError(
            "not_manager",
            f"You can set up contracts only for an organisation you manage, and you do not "
            f"manage {ours}.",
            field=f"party_{setup.our_role}",
        )
    return chosen


def _check_owners(
    body: Body, setup: Setup, parties: dict[str, Organisation], plan: Plan, actor: User
) -> dict[str, User]:
    needed = {p.spec.responsible for p in plan.created}
    rows = Membership.objects.filter(
        organisation__in=[parties[k] for k in needed],
        user__in=[u for u in [actor, *setup.owners.values()] if u is not None],
    ).values_list("user_id", "organisation_id", "role")
    member = {(u, o) for u, o, r in rows if r != Role.VIEWER}
    # Where you are not a member and choose no one, the role's milestones go to one of its
    # managers (the longest-standing), who may hand them on: naming a person is not needed.
    managers: dict[int, User] = {}
    for row in (
        Membership.objects.filter(
            organisation__in=[parties[k] for k in needed],
            role__in=[Role.MANAGER, Role.ADMIN],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-role", "pk")
    ):
        managers.setdefault(row.organisation_id, row.user)
    owners: dict[str, User] = {}
    for role in body.roles:
        if role.key not in needed:
            continue
        org = parties[role.key]
        owner = setup.owners.get(role.key)
        if owner is None:
            owner = actor if (actor.pk, org.pk) in member else managers.get(org.pk)
            if owner is None:
                raise DomainError(
                    "owner_required",
                    f"Choose who owns the {role.label.lower()}'s milestones at {org}.",
                    field=f"owner_{role.key}",
                )
        elif (owner.pk, org.pk) not in member:
            raise DomainError(
                "owner_not_member",
                f"The owner you chose is not a member of {org}, so cannot own the "
                f"{role.label.lower()}'s milestones.",
                field=f"owner_{role.key}",
            )
        owners[role.key] = owner
    return owners


def template_setup_check(*, source: TemplateSource, setup: Setup, actor: User) -> Plan:
    """Check the one page's answers and return what the template will create (writes nothing)."""
    if source.unusable:
        raise DomainError("unusable_template", source.unusable, field="body")
    body = source.body
    if not setup.title.strip():
        raise DomainError("required", "Give the contract a title.", field="title")
    if not setup.reference.strip():
        raise DomainError("required", "Give the contract a reference.", field="reference")
    if setup.start_date is None:
        raise DomainError("required", "Give the contract's start date.", field="start_date")
    validate_date_in_range(setup.start_date, field="start_date")
    currency = validate_currency(str(setup.currency).strip().upper())
    value = parse_money(setup.value, field="value")
    if value <= 0 and any(m.payment and m.payment.percentage for m in body.milestones):
        raise DomainError(
            "value_required",
            "Give the contract's value: the template's payment stages are percentages of it.",
            field="value",
        )
    validate_holiday_calendar(setup.holiday_country, setup.holiday_region)
    parties = _check_parties(body, setup, actor)
    ours = parties[setup.our_role]
    if Contract.objects.filter(owner=ours, reference=setup.reference.strip()).exists():
        raise DomainError(
            "duplicate_reference",
            f"{ours} already has a contract with reference '{setup.reference.strip()}'.",
            field="reference",
        )
    plan = template_plan(
        body=body,
        start_date=setup.start_date,
        value=value,
        currency=currency,
        calendar=Calendar(setup.holiday_country, setup.holiday_region),
        role_names={k: org.name for k, org in parties.items()},
    )
    for planned in plan.milestones:
        pay = planned.spec.payment
        if pay is not None and not _manages(actor, parties[pay.payer]):
            planned.left_out = (
                f"Left out: only a manager of {parties[pay.payer]}, the payer, may commit it to "
                "a payment; add it from the contract page once they agree."
            )
        kpi = planned.spec.kpi
        if kpi is not None:
            measuring = measurement_start(
                setup.start_date, kpi.measurement_start_offset, kpi.period
            )
            if measuring > planned.due_date:
                raise DomainError(
                    "measurement_start_after_due",
                    f"{planned.spec.title} would start measuring on {day_text(measuring)}, after "
                    f"it is due on {day_text(planned.due_date)}; the template needs changing.",
                    field="measurement_start",
                )
        if planned.due_date < setup.start_date:
            raise DomainError(
                "due_before_start",
                f"{planned.spec.title} would fall on {day_text(planned.due_date)}, before the "
                "contract starts.",
                field="start_date",
            )
    left = [p for p in plan.milestones if p.left_out]
    if left:
        plan.notes.append(
            f"{len(left)} payment stage{'' if len(left) == 1 else 's'} will be left out: you do "
            "not manage the organisation that pays."
        )
    _check_owners(body, setup, parties, plan, actor)
    return plan


def _create(
    spec_key: str,
    body: Body,
    contract: Contract,
    plan: Plan,
    party: dict[str, Party],
    owners: dict[str, User],
    made: dict[str, Milestone],
    actor: User,
) -> Milestone:
    planned = plan.by_key()[spec_key]
    spec = planned.spec
    common: dict[str, Any] = {
        "contract": contract,
        "title": spec.title,
        "owner": owners[spec.responsible],
        "due_date": planned.due_date,
        "criticality": spec.criticality,
        "acceptance_criteria": spec.acceptance_criteria,
        "description": spec.description,
        "reference": spec.key,
        "actor": actor,
    }
    if spec.kind == MilestoneKind.PAYMENT:
        assert spec.payment is not None
        return payment_milestone_create(
            payer=party[spec.payment.payer],
            payee=party[spec.payment.payee],
            trigger=made[spec.payment.trigger],
            percentage=spec.payment.percentage,
            amount=spec.payment.amount,
            retention_percent=spec.payment.retention_percent,
            **common,
        )
    common["responsible_party"] = party[spec.responsible]
    if spec.kind == MilestoneKind.DELIVERABLE:
        return milestone_create(
            kind=MilestoneKind.DELIVERABLE, accepting_party=party[spec.accepting], **common
        )
    if spec.kind == MilestoneKind.GATE:
        return gate_create(required_parties=[party[a] for a in spec.approvers], **common)
    assert spec.kpi is not None
    return performance_milestone_create(
        kpi_name=spec.kpi.name,
        unit=spec.kpi.unit,
        target=spec.kpi.target,
        direction=spec.kpi.direction,
        period=spec.kpi.period,
        measurement_start=measurement_start(
            plan.start_date, spec.kpi.measurement_start_offset, spec.kpi.period
        ),
        **common,
    )


@transaction.atomic
def contract_from_template(*, source: TemplateSource, setup: Setup, actor: User) -> Contract:
    """Create a contract with its parties, milestones, dates, links and reminders from a template."""
    plan = template_setup_check(source=source, setup=setup, actor=actor)
    body = source.body
    parties = _check_parties(body, setup, actor)
    owners = _check_owners(body, setup, parties, plan, actor)
    assert setup.start_date is not None
    contract = contract_create(
        organisation=parties[setup.our_role],
        party_role=body.role(setup.our_role).role,
        reference=setup.reference,
        title=setup.title,
        value=setup.value,
        currency=str(setup.currency).strip().upper(),
        start_date=setup.start_date,
        end_date=plan.end_date,
        description=setup.description,
        holiday_country=setup.holiday_country,
        holiday_region=setup.holiday_region,
        actor=actor,
    )
    party: dict[str, Party] = {setup.our_role: contract.parties.get()}
    for role in body.roles:
        if role.key != setup.our_role:
            party[role.key] = party_add(
                contract=contract, organisation=parties[role.key], role=role.role, actor=actor
            )
    left_out = {p.spec.key for p in plan.milestones if p.left_out}
    made: dict[str, Milestone] = {}
    for key in body.order:
        if key not in left_out:
            made[key] = _create(key, body, contract, plan, party, owners, made, actor)
    links = 0
    for key in body.order:
        if key not in made:
            continue
        spec = body.milestone(key)
        if spec.due.after and spec.due.after in made:
            milestone_anchor_set(
                milestone=made[key],
                anchor=made[spec.due.after],
                event=spec.due.event,
                offset=spec.due.offset,
                working_days=spec.due.working_days,
                actor=actor,
            )
        if spec.payment is not None:
            links += 1  # the payment service links its trigger itself
        for link in spec.depends_on:
            if link.on not in made or (spec.payment and link.on == spec.payment.trigger):
                continue
            dependency_add(
                predecessor=made[link.on],
                successor=made[key],
                type=link.type,
                lag=link.lag,
                working_days=link.working_days,
                actor=actor,
            )
            links += 1
    made_on = dict(Milestone.objects.filter(contract=contract).values_list("reference", "due_date"))
    if any(made_on.get(p.spec.key, p.due_date) != p.due_date for p in plan.created):
        # The preview and the schedule count dates with the same code; this only guards it.
        raise DomainError(
            "preview_mismatch",
            "The contract's dates came out differently from the preview, so nothing was "
            "created; preview again.",
            field="start_date",
        )
    if body.reminders:
        reminder_rule_set(actor=actor, contract=contract, **body.reminders)
    event_record(
        actor=actor,
        action=InterchangeEvent.CONTRACT_TEMPLATE_INSTANTIATED,
        obj=contract,
        after={
            "template": source.name,
            "template_key": source.key,
            "reference": contract.reference,
            "counts": {
                "parties": len(party),
                "milestones_created": len(made),
                "dependencies": links,
            },
        },
    )
    return contract


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError("required", "Give the template a name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(
            "too_long", f"A template's name is at most {NAME_MAX} characters.", field="name"
        )
    return name


def _unique(organisation: Organisation, name: str, exclude: int | None = None) -> None:
    taken = ContractTemplate.objects.filter(organisation=organisation, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise DomainError(
            "duplicate_name",
            f"{organisation} already has a template called '{name}'.",
            field="name",
        )


def _require_template_manager(template: ContractTemplate, actor: User) -> None:
    if not _manages(actor, template.organisation):
        raise Forbidden(
            f"Only a manager or admin of {template.organisation} may change its templates."
        )


@transaction.atomic
def contract_template_save(
    *, contract: Contract, name: str, description: str = "", actor: User
) -> ContractTemplate:
    """Save a contract as a template of its owning organisation: dates become offsets, people roles."""
    if not contract_access(user=actor, contract=contract).can_administer:
        raise Forbidden(
            f"Only a manager or admin of {contract.owner} may save its contracts as templates."
        )
    name = _check_name(name)
    _unique(contract.owner, name)
    body = template_body_from_contract(contract)
    try:
        body_read(body)
    except DomainError as error:
        raise DomainError(
            "cannot_be_template",
            "This contract cannot be saved as a template as it stands: "
            f"{error.message.split(': ', 1)[-1]}",
        ) from None
    try:
        with transaction.atomic():
            template = ContractTemplate.objects.create(
                organisation=contract.owner,
                name=name,
                description=description.strip(),
                body=body,
                created_by=actor,
                source_contract=contract,
            )
    except IntegrityError:
        raise DomainError(
            "duplicate_name",
            f"{contract.owner} already has a template called '{name}'.",
            field="name",
        ) from None
    event_record(
        actor=actor,
        action=InterchangeEvent.CONTRACT_TEMPLATE_SAVED,
        obj=template,
        after={"name": name, "contract": contract.reference, "milestones": len(body["milestones"])},
        contract_id=contract.pk,
    )
    return template


@transaction.atomic
def contract_template_change(
    *,
    template: ContractTemplate,
    actor: User,
    name: str | None = None,
    description: str | None = None,
) -> ContractTemplate:
    """Rename a saved template or change its description."""
    _require_template_manager(template, actor)
    before = {"name": template.name, "description": template.description}
    changed = []
    if name is not None and name.strip() != template.name:
        name = _check_name(name)
        _unique(template.organisation, name, exclude=template.pk)
        template.name = name
        changed.append("name")
    if description is not None and description.strip() != template.description:
        template.description = description.strip()
        changed.append("description")
    if not changed:
        return template
    template.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=InterchangeEvent.CONTRACT_TEMPLATE_CHANGED,
        obj=template,
        before={k: before[k] for k in changed},
        after={k: getattr(template, k) for k in changed},
    )
    return template


@transaction.atomic
def contract_template_delete(*, template: ContractTemplate, actor: User) -> None:
    """Delete a saved template; contracts already made from it stay as they are."""
    _require_template_manager(template, actor)
    event_record(
        actor=actor,
        action=InterchangeEvent.CONTRACT_TEMPLATE_DELETED,
        obj=template,
        before={"name": template.name},
    )
    template.delete()
