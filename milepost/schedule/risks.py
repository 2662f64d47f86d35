"""Early warnings (the risk register) and recovery actions: their services and selectors.

An early warning is a risk raised against one or more milestones of one contract. Its
likelihood and impact, each from 1 (low) to 5 (high), multiply into the score that ranks the
register; it has an owner who acts on it, a mitigation, and stays open until closed with a note.

A recovery action is what a missed or at-risk milestone gets: the cause, the plan, an owner
and a new target date; it is open until marked done.

Who may do what:

- raise a warning: any contributor (member or above of an acting party, not an observer);
- change, close or reopen it: its owner, whoever raised it, or a manager of an acting party;
- add, change or complete a recovery action: a manager of an acting party, a member of the
  milestone's responsible party, or the milestone's owner (and the action's own owner may
  change or complete it).

Owners are people who are members (not viewers) of an acting party. A closed contract's risks
are frozen like its milestones. Every write leaves an event in the same transaction.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess, contract_access, contracts_for_user
from milepost.contracts.services import contract_require_open
from milepost.core.dates import local_today, validate_milestone_date
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes, validate_lengths
from milepost.core.text import NOTE_MAX, text_check

from .choices import DONE_STATUSES, Health, RecoveryStatus, WarningStatus
from .models import EarlyWarning, Milestone, RecoveryAction
from .selectors import with_health

SCALE = range(1, 6)
# Fields of a warning that change after it is raised; ``milestones`` is a many-to-many link.
WARNING_FIELDS = ("title", "description", "likelihood", "impact", "owner", "mitigation")
ACTION_FIELDS = ("cause", "plan", "owner", "new_target")
# Health a milestone must have for a recovery action: missed (overdue or not met) or at risk.
RECOVERABLE = frozenset({Health.OVERDUE, Health.AT_RISK})
OWNER_ROLES = (Role.MEMBER, Role.ADMIN, Role.MANAGER)
ACTING_ROLES = tuple(role for role in PartyRole if role != PartyRole.OBSERVER)


def score_band(score: int) -> str:
    """Name the band of a likelihood-times-impact score: high (15+), medium (5 to 12) or low."""
    if score >= 15:
        return "high"
    return "medium" if score >= 5 else "low"


# Shared rules


def _value(value: Any) -> Any:
    """Return a JSON-friendly form of a field value for the event log."""
    return value.username if isinstance(value, User) else value


def _snapshot(obj: EarlyWarning | RecoveryAction, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _value(getattr(obj, name)) for name in fields}


def _require_open_contract(contract: Contract) -> None:
    contract_require_open(contract, frozen="its risks and recovery actions")


def risk_owners_for_contract(*, contract: Contract) -> QuerySet[User]:
    """Return the active people who may own a warning or action: members of an acting party."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__role__in=OWNER_ROLES,
            memberships__organisation__parties__contract=contract,
            memberships__organisation__parties__role__in=ACTING_ROLES,
        )
        .distinct()
        .order_by("username")
    )


def _check_owner(owner: User | None, contract: Contract) -> None:
    if (
        owner is None
        or not risk_owners_for_contract(contract=contract).filter(pk=owner.pk).exists()
    ):
        raise DomainError(
            "owner_not_eligible",
            "The owner must be a member (not a viewer) of a party acting on this contract.",
            field="owner",
        )


def _required(obj: EarlyWarning | RecoveryAction, name: str, what: str) -> None:
    if not str(getattr(obj, name) or "").strip():
        raise DomainError("required", what, field=name)


# Early warnings: services


def early_warning_may_change(*, access: ContractAccess, warning: EarlyWarning, user: User) -> bool:
    """Return whether the user may change, close or reopen the warning."""
    return access.can_contribute and (
        warning.owner_id == user.pk or warning.raised_by_id == user.pk or access.can_manage
    )


def early_warning_require_editor(*, warning: EarlyWarning, actor: User) -> None:
    """Refuse anyone but the owner, the raiser or a manager (viewers and observers first)."""
    access = contract_access(user=actor, contract=warning.contract)
    access.require_contributor()
    if not early_warning_may_change(access=access, warning=warning, user=actor):
        raise Forbidden(
            "Only the warning's owner, whoever raised it, or a manager of a party to the "
            "contract may change it.",
            code="not_warning_editor",
        )


def _unique(milestones: Iterable[Milestone]) -> list[Milestone]:
    """Drop repeats, keeping the order given (the first one decides the raising party)."""
    seen: dict[int, Milestone] = {}
    for milestone in milestones:
        seen.setdefault(milestone.pk, milestone)
    return list(seen.values())


def _check_milestones(contract: Contract, milestones: Sequence[Milestone]) -> None:
    if not milestones:
        raise DomainError(
            "milestones_required",
            "Link at least one milestone the risk threatens.",
            field="milestones",
        )
    foreign = [m for m in milestones if m.contract_id != contract.pk]
    if foreign:
        # The id only: the title of another contract's milestone may be hidden from the actor.
        raise DomainError(
            "milestone_not_in_contract",
            f"Milestone {foreign[0].pk} is not in this contract.",
            field="milestones",
        )


def _validate_warning(warning: EarlyWarning) -> None:
    validate_lengths(warning)
    _required(warning, "title", "An early warning needs a title.")
    for name in ("likelihood", "impact"):
        value = getattr(warning, name)
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise DomainError(
                "out_of_range",
                f"{name.capitalize()} is a whole number from 1 (low) to 5 (high).",
                field=name,
            )


def _raising_party(access: ContractAccess, milestones: Sequence[Milestone]) -> int:
    """Pick the actor's acting party: the first milestone's responsible party if theirs."""
    acting = sorted(
        pid
        for pid, (kind, role) in access.parties.items()
        if kind != PartyRole.OBSERVER and at_least(role, Role.MEMBER)
    )
    first = milestones[0].responsible_party_id
    return first if first in acting else acting[0]


def _milestone_ids(milestones: Iterable[Milestone]) -> list[int]:
    return sorted(m.pk for m in milestones)


@transaction.atomic
def early_warning_raise(
    *,
    contract: Contract,
    title: str,
    likelihood: int,
    impact: int,
    milestones: Sequence[Milestone],
    owner: User,
    actor: User,
    description: str = "",
    mitigation: str = "",
) -> EarlyWarning:
    """Raise an early warning against milestones of one contract, for the actor's party."""
    access = contract_access(user=actor, contract=contract)
    access.require_contributor()
    _require_open_contract(contract)
    linked = _unique(milestones)
    warning = EarlyWarning(
        contract=contract,
        title=title.strip(),
        description=description.strip(),
        likelihood=likelihood,
        impact=impact,
        owner=owner,
        mitigation=mitigation.strip(),
        raised_by=actor,
    )
    _validate_warning(warning)
    _check_milestones(contract, linked)
    _check_owner(owner, contract)
    warning.raised_by_party_id = _raising_party(access, linked)
    warning.save()
    warning.milestones.set(linked)
    event_record(
        actor=actor,
        action="early_warning.raised",
        obj=warning,
        after={
            **_snapshot(warning, WARNING_FIELDS),
            "milestones": _milestone_ids(linked),
            "score": likelihood * impact,
            "raised_by_party_id": warning.raised_by_party_id,
        },
        contract_id=contract.pk,
    )
    return warning


@transaction.atomic
def early_warning_update(*, warning: EarlyWarning, actor: User, **changes: Any) -> EarlyWarning:
    """Change an open warning's title, description, scores, milestones, owner or mitigation."""
    early_warning_require_editor(warning=warning, actor=actor)
    _require_open_contract(warning.contract)
    if warning.status == WarningStatus.CLOSED:
        raise DomainError(
            "warning_closed", "Reopen the warning before changing it.", field="status"
        )
    new_milestones = changes.pop("milestones", None)
    changed, before = apply_changes(warning, changes, editable=WARNING_FIELDS, snapshot=_snapshot)
    after = _snapshot(warning, changed)
    linked: list[Milestone] | None = None
    if new_milestones is not None:
        linked = _unique(new_milestones)
        current = _milestone_ids(warning.milestones.all())
        if _milestone_ids(linked) != current:
            before["milestones"], after["milestones"] = current, _milestone_ids(linked)
        else:
            linked = None
    if not before:
        return warning
    try:
        _validate_warning(warning)
        if linked is not None:
            _check_milestones(warning.contract, linked)
        if "owner" in changed:
            _check_owner(warning.owner, warning.contract)
    except DomainError:
        # Leave the caller's copy as it is stored, so a page shows the warning unchanged.
        if changed:
            warning.refresh_from_db(fields=changed)
        raise
    warning.save(update_fields=[*changed, "updated_at"])
    if linked is not None:
        warning.milestones.set(linked)
    event_record(
        actor=actor,
        action="early_warning.updated",
        obj=warning,
        before=before,
        after=after,
        contract_id=warning.contract_id,
    )
    return warning


@transaction.atomic
def early_warning_close(*, warning: EarlyWarning, note: str, actor: User) -> EarlyWarning:
    """Close an open warning with a note saying why (passed, mitigated, became an issue)."""
    early_warning_require_editor(warning=warning, actor=actor)
    _require_open_contract(warning.contract)
    if warning.status == WarningStatus.CLOSED:
        raise DomainError("already_closed", "The warning is already closed.", field="status")
    note = note.strip()
    if not note:
        raise DomainError("note_required", "Say why the warning is closed.", field="note")
    text_check(note, field="note", limit=NOTE_MAX, label="The closing note")
    warning.status = WarningStatus.CLOSED
    warning.closed_at = timezone.now()
    warning.closing_note = note
    warning.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
    event_record(
        actor=actor,
        action="early_warning.closed",
        obj=warning,
        before={"status": WarningStatus.OPEN},
        after={"status": WarningStatus.CLOSED, "note": note},
        contract_id=warning.contract_id,
    )
    return warning


@transaction.atomic
def early_warning_reopen(*, warning: EarlyWarning, actor: User) -> EarlyWarning:
    """Reopen a closed warning; its closing note stays in the history only."""
    early_warning_require_editor(warning=warning, actor=actor)
    _require_open_contract(warning.contract)
    if warning.status == WarningStatus.OPEN:
        raise DomainError("already_open", "The warning is already open.", field="status")
    before = {"status": WarningStatus.CLOSED, "closing_note": warning.closing_note}
    warning.status = WarningStatus.OPEN
    warning.closed_at = None
    warning.closing_note = ""
    warning.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
    event_record(
        actor=actor,
        action="early_warning.reopened",
        obj=warning,
        before=before,
        after={"status": WarningStatus.OPEN},
        contract_id=warning.contract_id,
    )
    return warning


# Recovery actions: services


def recovery_may_manage(
    *,
    access: ContractAccess,
    milestone: Milestone,
    user: User,
    action: RecoveryAction | None = None,
) -> bool:
    """Return whether the user may add (or, given ``action``, change) the milestone's actions."""
    return access.can_contribute and (
        access.can_manage
        or access.acts_for(milestone.responsible_party_id, Role.MEMBER)
        or milestone.owner_id == user.pk
        or (action is not None and action.owner_id == user.pk)
    )


def recovery_require_editor(
    *, milestone: Milestone, actor: User, action: RecoveryAction | None = None
) -> None:
    """Refuse anyone who may not record the milestone's recovery (viewers and observers first)."""
    access = contract_access(user=actor, contract=milestone.contract)
    access.require_contributor()
    if not recovery_may_manage(access=access, milestone=milestone, user=actor, action=action):
        raise Forbidden(
            "Only a manager, a member of the responsible party or the milestone's owner may "
            "record its recovery.",
            code="not_recovery_editor",
        )


def milestone_health(*, milestone: Milestone) -> str:
    """Return the milestone's health as ``with_health`` computes it now."""
    row = with_health(Milestone.objects.filter(pk=milestone.pk)).get()
    return str(row.health)  # type: ignore[attr-defined]  # annotated by with_health


def _check_target(action: RecoveryAction, contract: Contract) -> None:
    today = local_today(contract.time_zone)
    if not isinstance(action.new_target, dt.date) or action.new_target < today:
        raise DomainError(
            "target_in_past",
            f"The new target cannot be before today ({today:%d %b %Y} in {contract.time_zone}).",
            field="new_target",
        )
    validate_milestone_date(
        action.new_target, field="new_target", start=contract.start_date, end=contract.end_date
    )


@transaction.atomic
def recovery_action_add(
    *,
    milestone: Milestone,
    cause: str,
    plan: str,
    owner: User,
    new_target: dt.date,
    actor: User,
) -> RecoveryAction:
    """Record how a missed or at-risk milestone will recover: cause, plan, owner, new target."""
    recovery_require_editor(milestone=milestone, actor=actor)
    contract = milestone.contract
    _require_open_contract(contract)
    health = milestone_health(milestone=milestone)
    if health not in RECOVERABLE:
        raise DomainError(
            "milestone_not_at_risk",
            f"Recovery actions are for missed or at-risk milestones; '{milestone.title}' is "
            f"{Health(health).label.lower()}.",
            field="milestone",
        )
    action = RecoveryAction(
        milestone=milestone,
        cause=cause.strip(),
        plan=plan.strip(),
        owner=owner,
        new_target=new_target,
        created_by=actor,
    )
    validate_lengths(action)
    _required(action, "cause", "Say what caused the slip.")
    _required(action, "plan", "Say how the milestone will recover.")
    _check_owner(owner, contract)
    _check_target(action, contract)
    action.save()
    event_record(
        actor=actor,
        action="recovery_action.added",
        obj=action,
        after=_snapshot(action, ACTION_FIELDS),
        contract_id=contract.pk,
        milestone_id=milestone.pk,
    )
    return action


@transaction.atomic
def recovery_action_update(
    *, action: RecoveryAction, actor: User, **changes: Any
) -> RecoveryAction:
    """Change an open action's cause, plan, owner or new target."""
    milestone = action.milestone
    recovery_require_editor(milestone=milestone, actor=actor, action=action)
    _require_open_contract(milestone.contract)
    if action.status == RecoveryStatus.DONE:
        raise DomainError(
            "action_done", "A completed recovery action no longer changes.", field="status"
        )
    changed, before = apply_changes(action, changes, editable=ACTION_FIELDS, snapshot=_snapshot)
    if not changed:
        return action
    try:
        validate_lengths(action)
        _required(action, "cause", "Say what caused the slip.")
        _required(action, "plan", "Say how the milestone will recover.")
        if "owner" in changed:
            _check_owner(action.owner, milestone.contract)
        if "new_target" in changed:
            _check_target(action, milestone.contract)
    except DomainError:
        action.refresh_from_db(fields=changed)
        raise
    action.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action="recovery_action.updated",
        obj=action,
        before=before,
        after=_snapshot(action, changed),
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    return action


@transaction.atomic
def recovery_action_complete(*, action: RecoveryAction, actor: User) -> RecoveryAction:
    """Mark a recovery action done."""
    milestone = action.milestone
    recovery_require_editor(milestone=milestone, actor=actor, action=action)
    _require_open_contract(milestone.contract)
    if action.status == RecoveryStatus.DONE:
        raise DomainError("already_done", "The recovery action is already done.", field="status")
    action.status = RecoveryStatus.DONE
    action.done_at = timezone.now()
    action.save(update_fields=["status", "done_at", "updated_at"])
    event_record(
        actor=actor,
        action="recovery_action.completed",
        obj=action,
        before={"status": RecoveryStatus.OPEN},
        after={"status": RecoveryStatus.DONE},
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    return action


# Selectors


def _open_first(open_status: str) -> Case:
    return Case(
        When(status=open_status, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def _warnings_for_user(user: User) -> QuerySet[EarlyWarning]:
    return (
        EarlyWarning.objects.filter(contract__in=contracts_for_user(user=user))
        .annotate(score=F("likelihood") * F("impact"))
        .select_related("contract", "owner", "raised_by", "raised_by_party__organisation")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id"))
        )
    )


def early_warnings_for_contract(
    *, user: User, contract: Contract, status: str | None = None
) -> QuerySet[EarlyWarning]:
    """Return the contract's register as the user sees it: open first, then by score, highest first.

    Each warning carries ``score`` and its milestones (prefetched, in due order), owner,
    raiser and raising party.
    """
    qs = _warnings_for_user(user).filter(contract=contract)
    if status:
        if status not in WarningStatus.values:
            raise DomainError("invalid_status", "The status is open or closed.", field="status")
        qs = qs.filter(status=status)
    return qs.order_by(_open_first(WarningStatus.OPEN), "-score", "-created_at", "-id")


def early_warning_get_for_user(*, user: User, pk: int) -> EarlyWarning:
    """Return one visible warning with its score, milestones and people, or raise NotFound."""
    warning = _warnings_for_user(user).filter(pk=pk).first()
    if warning is None:
        raise NotFound("early warning")
    return warning


def open_warnings_for_milestone(*, milestone: Milestone) -> QuerySet[EarlyWarning]:
    """Return the open warnings linked to a milestone, highest score first; the caller checked access."""
    return (
        milestone.early_warnings.filter(status=WarningStatus.OPEN)
        .annotate(score=F("likelihood") * F("impact"))
        .select_related("owner")
        .order_by("-score", "-created_at", "-id")
    )


def warning_milestone_choices(
    *, contract: Contract, linked: Iterable[int] = ()
) -> QuerySet[Milestone]:
    """Return the milestones a warning may be linked to on a form: those not done, plus ``linked``."""
    return contract.milestones.filter(
        ~Q(status__in=DONE_STATUSES) | Q(pk__in=list(linked))
    ).order_by("due_date", "id")


def milestones_by_ids(*, contract: Contract, ids: Sequence[int], field: str) -> list[Milestone]:
    """Return the contract's milestones with these ids in the order given, or refuse naming ``field``."""
    found = {m.pk: m for m in contract.milestones.filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(
            "milestone_not_in_contract",
            f"Milestone {missing[0]} is not in this contract.",
            field=field,
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


@dataclass(frozen=True)
class MatrixCell:
    """How many open warnings share one likelihood and impact."""

    likelihood: int
    impact: int
    count: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def band(self) -> str:
        return score_band(self.score)


def warning_matrix(*, warnings: Iterable[EarlyWarning]) -> list[list[MatrixCell]]:
    """Count open warnings per likelihood (rows, 5 down to 1) and impact (columns, 1 to 5)."""
    counts: dict[tuple[int, int], int] = {}
    for warning in warnings:
        if warning.status == WarningStatus.OPEN:
            key = (warning.likelihood, warning.impact)
            counts[key] = counts.get(key, 0) + 1
    return [
        [MatrixCell(likelihood, impact, counts.get((likelihood, impact), 0)) for impact in SCALE]
        for likelihood in reversed(SCALE)
    ]


def recovery_actions_for_milestone(*, user: User, milestone: Milestone) -> QuerySet[RecoveryAction]:
    """Return the milestone's recovery actions the user may see: open first, by new target."""
    return (
        RecoveryAction.objects.filter(
            milestone=milestone, milestone__contract__in=contracts_for_user(user=user)
        )
        .select_related("milestone", "owner", "created_by")
        .order_by(_open_first(RecoveryStatus.OPEN), "new_target", "id")
    )


def recovery_action_get_for_user(*, user: User, pk: int) -> RecoveryAction:
    """Return one visible recovery action with its milestone and people, or raise NotFound."""
    action = (
        RecoveryAction.objects.filter(milestone__contract__in=contracts_for_user(user=user))
        .select_related(
            "milestone__contract",
            "milestone__owner",
            "milestone__responsible_party__organisation",
            "owner",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise NotFound("recovery action")
    return action


def risk_panel(*, user: User, milestone: Milestone) -> dict[str, Any]:
    """Return what a milestone page shows of its risks, for ``schedule/risks/partials/milestone_panel.html``.

    Merge the keys into the page's context (they are prefixed, so they clash with nothing):

    - ``risk_milestone``: the milestone;
    - ``risk_health``: its health now (``Health`` value);
    - ``risk_warnings``: its open early warnings, highest score first, each with ``score`` and
      ``owner``;
    - ``risk_actions``: its recovery actions, open first, each with ``owner`` and ``created_by``;
    - ``risk_can_add_action``: whether the user may add a recovery action now (their role, the
      milestone missed or at risk, the contract not closed);
    - ``risk_completable``: ids of the open actions the user may change or mark done;
    - ``risk_can_raise_warning``: whether the user may raise an early warning on the contract.
    """
    contract = milestone.contract
    access = contract_access(user=user, contract=contract)
    editable = not contract.is_closed
    health = getattr(milestone, "health", None) or milestone_health(milestone=milestone)
    actions = list(recovery_actions_for_milestone(user=user, milestone=milestone))
    may_manage = editable and recovery_may_manage(access=access, milestone=milestone, user=user)
    return {
        "risk_milestone": milestone,
        "risk_health": health,
        "risk_warnings": list(open_warnings_for_milestone(milestone=milestone)),
        "risk_actions": actions,
        "risk_can_add_action": may_manage and health in RECOVERABLE,
        "risk_completable": {
            action.pk
            for action in actions
            if action.status == RecoveryStatus.OPEN
            and editable
            and recovery_may_manage(access=access, milestone=milestone, user=user, action=action)
        },
        "risk_can_raise_warning": editable and access.can_contribute,
    }
