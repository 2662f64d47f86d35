"""Early warnings: raise, change, close and reopen one; read the register and a milestone's."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess, contract_access, contracts_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes, validate_lengths
from milepost.core.text import NOTE_MAX, text_check

from ..choices import DONE_STATUSES, WarningStatus
from ..events import ScheduleEvent
from ..models import EarlyWarning, Milestone
from . import (
    SCALE,
    check_owner,
    open_first,
    require_filled,
    require_open_contract,
    snapshot,
)

# Fields of a warning that change after it is raised; ``milestones`` is a many-to-many link.
WARNING_FIELDS = ("title", "description", "likelihood", "impact", "owner", "mitigation")


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
    require_filled(warning, "title", "An early warning needs a title.")
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
    require_open_contract(contract)
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
    check_owner(owner, contract)
    warning.raised_by_party_id = _raising_party(access, linked)
    warning.save()
    warning.milestones.set(linked)
    event_record(
        actor=actor,
        action=ScheduleEvent.EARLY_WARNING_RAISED,
        obj=warning,
        after={
            **snapshot(warning, WARNING_FIELDS),
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
    require_open_contract(warning.contract)
    if warning.status == WarningStatus.CLOSED:
        raise DomainError(
            "warning_closed", "Reopen the warning before changing it.", field="status"
        )
    new_milestones = changes.pop("milestones", None)
    changed, before = apply_changes(warning, changes, editable=WARNING_FIELDS, snapshot=snapshot)
    after = snapshot(warning, changed)
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
            check_owner(warning.owner, warning.contract)
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
        action=ScheduleEvent.EARLY_WARNING_UPDATED,
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
    require_open_contract(warning.contract)
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
        action=ScheduleEvent.EARLY_WARNING_CLOSED,
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
    require_open_contract(warning.contract)
    if warning.status == WarningStatus.OPEN:
        raise DomainError("already_open", "The warning is already open.", field="status")
    before = {"status": WarningStatus.CLOSED, "closing_note": warning.closing_note}
    warning.status = WarningStatus.OPEN
    warning.closed_at = None
    warning.closing_note = ""
    warning.save(update_fields=["status", "closed_at", "closing_note", "updated_at"])
    event_record(
        actor=actor,
        action=ScheduleEvent.EARLY_WARNING_REOPENED,
        obj=warning,
        before=before,
        after={"status": WarningStatus.OPEN},
        contract_id=warning.contract_id,
    )
    return warning


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
    return qs.order_by(open_first(WarningStatus.OPEN), "-score", "-created_at", "-id")


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
