"""Update requests: ask the owners of open milestones how their work is going, and take the answers.

A round asks each owner once per milestone, through a signed link (``links``) that works
without a password. A manager asks on demand; a weekly schedule (per contract or per milestone)
has the worker ask (``update_rounds_due``). The alerts worker turns each
``update_request.sent`` event into the message, reminds a non-responder once and closes it on
the answer or the expiry; nothing here sends email.

An answer is recorded as the person it was sent to, through the schedule's own services: a
status update (with a deliverable's progress), evidence, and an expected date that becomes a
direct reschedule or a change request, as the contract's rules allow that person.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Prefetch, Q, QuerySet
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess, contract_access, contract_get_for_user
from milepost.core.dates import zone
from milepost.core.errors import DomainError, NotFound
from milepost.core.text import NOTE_MAX, text_check
from milepost.schedule.changes import change_request_submit
from milepost.schedule.choices import OPEN_STATUSES, MilestoneKind
from milepost.schedule.models import Evidence, Milestone
from milepost.schedule.records import evidence_add, status_update_post
from milepost.schedule.services import may_reschedule_directly, milestone_reschedule

from .events import UpdateRequestEvent
from .links import update_request_usable, update_requests_usable
from .models import RoundScope, UpdateRequest, UpdateRound, UpdateSchedule, Weekday

# At most this many files go with one answer; each is held to the evidence limits.
FILES_MAX = 5


def _link_days() -> dt.timedelta:
    return dt.timedelta(days=settings.MILEPOST_UPDATE_LINK_DAYS)


def _require_requester(contract: Contract, actor: User) -> ContractAccess:
    access = contract_access(user=actor, contract=contract)
    if not access.can_view:
        raise NotFound("contract")
    access.require_manager()
    return access


def _require_active(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            "contract_not_active",
            f"The contract is {contract.get_status_display().lower()}; updates are asked for "
            "only while it is active.",
            field="contract",
        )


def _round_send(
    *,
    contract: Contract,
    scope: str,
    actor: User | None,
    now: dt.datetime,
    milestone: Milestone | None = None,
    scheduled_for: dt.date | None = None,
) -> UpdateRound:
    """Create a round and one request per (open milestone, owner) whose link would work."""
    if milestone is not None:
        milestones = [milestone] if milestone.is_open else []
    else:
        query = Milestone.objects.filter(contract=contract, status__in=OPEN_STATUSES)
        if scope == RoundScope.CONTRACT_SCHEDULE:
            # A milestone with a schedule of its own is asked on its own weekday instead.
            query = query.exclude(update_schedules__isnull=False)
        milestones = list(query.select_related("contract", "owner").order_by("due_date", "id"))
    round_ = UpdateRound.objects.create(
        contract=contract,
        milestone=milestone,
        scope=scope,
        requested_by=actor,
        requested_at=now,
        scheduled_for=scheduled_for,
    )
    event_record(
        actor=actor,
        action=UpdateRequestEvent.ROUND_REQUESTED,
        obj=round_,
        after={"scope": scope, "milestone": milestone.pk if milestone else None},
        milestone_id=milestone.pk if milestone else None,
    )
    expires_at = now + _link_days()
    # Nobody is sent a link that would not open: an owner no longer able to update it.
    requests = update_requests_usable(
        [
            UpdateRequest(
                round=round_, milestone=item, owner=item.owner, sent_at=now, expires_at=expires_at
            )
            for item in milestones
        ],
        contract=contract,
        now=now,
    )
    _replace_open(requests, round_, now)
    for request in UpdateRequest.objects.bulk_create(requests):
        event_record(
            actor=actor,
            action=UpdateRequestEvent.SENT,
            obj=request,
            after={
                "recipient": request.owner_id,
                "round": round_.pk,
                "expires_at": expires_at.isoformat(),
            },
            contract_id=contract.pk,
            milestone_id=request.milestone_id,
        )
    return round_


def _replace_open(requests: Sequence[UpdateRequest], round_: UpdateRound, now: dt.datetime) -> None:
    """Revoke each person's still-open requests on the milestone: the newest one replaces them."""
    pairs = {(r.milestone_id, r.owner_id) for r in requests}
    if not pairs:
        return
    open_ = UpdateRequest.objects.filter(
        milestone__in={milestone for milestone, _ in pairs},
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).order_by("id")
    old = [r for r in open_ if (r.milestone_id, r.owner_id) in pairs]
    if not old:
        return
    UpdateRequest.objects.filter(pk__in=[r.pk for r in old]).update(revoked_at=now, updated_at=now)
    for request in old:
        request.revoked_at = now
        _revoked(
            request, actor=None, contract_id=round_.contract_id, why="replaced", by_round=round_.pk
        )


def _revoked(
    request: UpdateRequest, *, actor: User | None, contract_id: int, why: str, **extra: Any
) -> None:
    """Record that ``request`` was revoked (``why``: withdrawn or replaced)."""
    event_record(
        actor=actor,
        action=UpdateRequestEvent.REVOKED,
        obj=request,
        after={"reason": why, "round": request.round_id, "recipient": request.owner_id, **extra},
        contract_id=contract_id,
        milestone_id=request.milestone_id,
    )


@transaction.atomic
def update_round_request(
    *, contract: Contract, actor: User, milestone: Milestone | None = None
) -> UpdateRound:
    """Ask the owner of each open milestone (or of ``milestone`` alone) for an update now."""
    _require_requester(contract, actor)
    _require_active(contract)
    if milestone is not None:
        if milestone.contract_id != contract.pk:
            raise DomainError(
                "milestone_not_on_contract",
                "That milestone is not on this contract.",
                field="milestone",
            )
        if not milestone.is_open:
            raise DomainError(
                "milestone_closed",
                "The milestone is closed; there is no progress left to ask about.",
                field="milestone",
            )
    elif not Milestone.objects.filter(contract=contract, status__in=OPEN_STATUSES).exists():
        raise DomainError(
            "nothing_to_ask",
            "The contract has no open milestones to ask about.",
            field="milestone",
        )
    round_ = _round_send(
        contract=contract,
        scope=RoundScope.ON_DEMAND,
        actor=actor,
        now=timezone.now(),
        milestone=milestone,
    )
    if not round_.requests.exists():
        # Rolled back with the round: a round that asks nobody would read as an unanswered one.
        raise DomainError(
            "nobody_to_ask",
            "Nobody can be asked: the owners no longer work for a party to the contract.",
            field="milestone",
        )
    return round_


@transaction.atomic
def update_request_revoke(*, request: UpdateRequest, actor: User) -> UpdateRequest:
    """Withdraw a request: its link stops working at once."""
    _require_requester(request.round.contract, actor)
    if request.revoked_at is not None:
        raise DomainError("already_revoked", "The request is already withdrawn.", field="request")
    now = timezone.now()
    if now >= request.expires_at:
        raise DomainError("expired", "The request has already expired.", field="request")
    request.revoked_at = now
    request.save(update_fields=["revoked_at", "updated_at"])
    _revoked(request, actor=actor, contract_id=request.round.contract_id, why="withdrawn")
    return request


@dataclass(frozen=True)
class DateRoute:
    """What an expected date becomes for one person: ``reschedule``, ``change_request`` or
    nothing, with ``why`` to show instead of the field when nothing."""

    kind: str
    why: str = ""


def expected_date_route(*, milestone: Milestone, access: ContractAccess) -> DateRoute:
    """Say what a new expected date from this person becomes, by the contract's rules."""
    if milestone.anchor_id is not None:
        return DateRoute("", f"This date follows “{milestone.anchor}”, so it moves with it.")
    if may_reschedule_directly(milestone, access):
        return DateRoute("reschedule")
    if access.can_manage:
        return DateRoute("change_request")
    return DateRoute(
        "",
        "Only a manager may propose a new date: say in your note when you expect to finish, "
        "and your manager can propose it.",
    )


@contextmanager
def _as_field(renames: dict[str, str]) -> Iterator[None]:
    """Name the answer form's field in a refusal from a service that names its own."""
    try:
        yield
    except DomainError as error:
        if error.field in renames:
            error.field = renames[error.field]
        raise


@transaction.atomic
def update_request_answer(
    *,
    request: UpdateRequest,
    actor: User,
    note: str,
    progress: int | None = None,
    expected_date: dt.date | None = None,
    files: Sequence[UploadedFile] = (),
) -> UpdateRequest:
    """Record an answer as the person asked: a status update, evidence, and a new expected date.

    Every part goes through the schedule's own service, so the person must still be allowed to
    do each; a refusal of any part writes nothing.
    """
    now = timezone.now()
    if actor.pk != request.owner_id:
        raise NotFound("update request")
    # Lock the request so that two answers at once count as two, and judge the link on the
    # rows as they are now (not as the caller read them: its owner may have moved since).
    request = (
        UpdateRequest.objects.select_for_update()
        .select_related("milestone__contract", "owner", "round")
        .get(pk=request.pk)
    )
    if not update_request_usable(request, now=now):
        raise NotFound("update request")
    milestone = request.milestone
    note = note.strip()
    if not note:
        raise DomainError("required", "Say in a few words how it is going.", field="note")
    text_check(note, field="note", limit=NOTE_MAX, label="The note")
    if progress is not None and milestone.kind != MilestoneKind.DELIVERABLE:
        raise DomainError(
            "progress_computed",
            "This milestone's progress follows its own records; leave the percentage out.",
            field="progress",
        )
    if len(files) > FILES_MAX:
        raise DomainError(
            "too_many_files", f"Attach at most {FILES_MAX} files at a time.", field="files"
        )
    access = contract_access(user=actor, contract=milestone.contract)
    change_id: int | None = None
    rescheduled = False
    if expected_date is not None and expected_date != milestone.due_date:
        route = expected_date_route(milestone=milestone, access=access)
        renames = {"due_date": "expected_date", "new_due_date": "expected_date"}
        renames |= {"milestone": "expected_date", "reason": "note"}
        with _as_field(renames):
            if route.kind == "reschedule":
                milestone_reschedule(
                    milestone=milestone, due_date=expected_date, reason=note, actor=actor
                )
                rescheduled = True
            elif route.kind == "change_request":
                change = change_request_submit(
                    milestone=milestone, reason=note, new_due_date=expected_date, actor=actor
                )
                change_id = change.pk
            else:
                raise DomainError("date_not_movable", route.why, field="expected_date")
    with _as_field({"text": "note"}):
        update = status_update_post(milestone=milestone, text=note, progress=progress, actor=actor)
    evidence: list[Evidence] = []
    with _as_field({"file": "files"}):
        try:
            for upload in files:
                evidence.append(evidence_add(milestone=milestone, upload=upload, actor=actor))
        except Exception:
            # The rows roll back with the answer; the files already stored would be left behind.
            for item in evidence:
                item.file.delete(save=False)
            raise
    request.answers += 1
    request.answered_at = request.answered_at or now
    request.last_answered_at = now
    request.save(update_fields=["answers", "answered_at", "last_answered_at", "updated_at"])
    event_record(
        actor=actor,
        action=UpdateRequestEvent.ANSWERED,
        obj=request,
        after={
            "round": request.round_id,
            "status_update": update.pk,
            "progress": progress,
            "expected_date": expected_date.isoformat() if expected_date else None,
            "rescheduled": rescheduled,
            "change_request": change_id,
            "evidence": [item.pk for item in evidence],
            "answers": request.answers,
        },
        contract_id=milestone.contract_id,
        milestone_id=milestone.pk,
    )
    return request


def _weekday(value: int | str) -> int:
    try:
        weekday = int(value)
    except (TypeError, ValueError):
        weekday = -1
    if weekday not in Weekday.values:
        raise DomainError(
            "invalid_weekday", "Choose a day of the week (0 is Monday, 6 Sunday).", field="weekday"
        )
    return weekday


def _schedule_scope(contract: Contract, milestone: Milestone | None) -> Q:
    if milestone is not None and milestone.contract_id != contract.pk:
        raise DomainError(
            "milestone_not_on_contract",
            "That milestone is not on this contract.",
            field="milestone",
        )
    return Q(contract=contract, milestone=milestone)


@transaction.atomic
def update_schedule_set(
    *, contract: Contract, weekday: int, actor: User, milestone: Milestone | None = None
) -> UpdateSchedule:
    """Ask for updates every week on ``weekday``: the whole contract, or one milestone."""
    _require_requester(contract, actor)
    weekday = _weekday(weekday)
    scope = _schedule_scope(contract, milestone)
    if contract.is_closed:
        raise DomainError(
            "contract_closed", "A closed contract is asked for nothing.", field="contract"
        )
    if milestone is not None and not milestone.is_open:
        raise DomainError(
            "milestone_closed", "A closed milestone is asked for nothing.", field="milestone"
        )
    schedule = UpdateSchedule.objects.select_for_update().filter(scope).first()
    before = {"weekday": schedule.weekday} if schedule else None
    if schedule is None:
        schedule = UpdateSchedule.objects.create(
            contract=contract, milestone=milestone, weekday=weekday, set_by=actor
        )
    elif schedule.weekday == weekday:
        raise DomainError(
            "unchanged",
            f"Updates are already asked every {Weekday(weekday).label}.",
            field="weekday",
        )
    else:
        schedule.weekday = weekday
        schedule.set_by = actor
        schedule.save(update_fields=["weekday", "set_by", "updated_at"])
    event_record(
        actor=actor,
        action=UpdateRequestEvent.SCHEDULE_SET,
        obj=schedule,
        before=before,
        after={"weekday": weekday, "day": Weekday(weekday).label},
        milestone_id=milestone.pk if milestone else None,
    )
    return schedule


@transaction.atomic
def update_schedule_clear(
    *, contract: Contract, actor: User, milestone: Milestone | None = None
) -> None:
    """Stop asking for updates on a schedule (the contract's, or one milestone's)."""
    _require_requester(contract, actor)
    schedule = UpdateSchedule.objects.filter(_schedule_scope(contract, milestone)).first()
    if schedule is None:
        raise DomainError("no_schedule", "No updates are asked on a schedule.", field="weekday")
    event_record(
        actor=actor,
        action=UpdateRequestEvent.SCHEDULE_CLEARED,
        obj=schedule,
        before={"weekday": schedule.weekday, "day": Weekday(schedule.weekday).label},
        milestone_id=milestone.pk if milestone else None,
    )
    schedule.delete()


def _schedules_near(now: dt.datetime) -> QuerySet[UpdateSchedule]:
    # Some time zone is on yesterday's or tomorrow's weekday: look at those three only.
    weekdays = {(now + dt.timedelta(days=d)).weekday() for d in (-1, 0, 1)}
    return UpdateSchedule.objects.filter(
        weekday__in=weekdays, contract__status=ContractStatus.ACTIVE
    ).filter(Q(milestone__isnull=True) | Q(milestone__status__in=OPEN_STATUSES))


def update_rounds_pending(now: dt.datetime) -> Exists:
    """The worker's idle check: a live schedule on a weekday some time zone is on now (the
    rounds job then checks each one's local hour and the day's round itself)."""
    return Exists(_schedules_near(now))


def update_rounds_due(*, now: dt.datetime) -> int:
    """Send the scheduled rounds due now; return how many were sent.

    A schedule is due from ``MILEPOST_UPDATE_ROUND_HOUR`` on its weekday in the contract's
    time zone, once that day: the day's round is unique, so a second tick or a second worker
    finds it there (or loses the insert) and sends nothing more.
    """
    hour = settings.MILEPOST_UPDATE_ROUND_HOUR
    schedules = list(
        _schedules_near(now).select_related("contract", "milestone__contract", "milestone__owner")
    )
    due: list[tuple[UpdateSchedule, dt.date]] = []
    for schedule in schedules:
        local = now.astimezone(zone(schedule.contract.time_zone))
        if local.weekday() == schedule.weekday and local.hour >= hour:
            due.append((schedule, local.date()))
    if not due:
        return 0
    done = set(
        UpdateRound.objects.filter(
            scheduled_for__in={day for _, day in due}, contract__in={s.contract for s, _ in due}
        )
        .exclude(scope=RoundScope.ON_DEMAND)
        .values_list("contract_id", "milestone_id", "scheduled_for")
    )
    sent = 0
    for schedule, day in due:
        if (schedule.contract_id, schedule.milestone_id, day) in done:
            continue
        scope = (
            RoundScope.MILESTONE_SCHEDULE if schedule.milestone_id else RoundScope.CONTRACT_SCHEDULE
        )
        try:
            with transaction.atomic():
                _round_send(
                    contract=schedule.contract,
                    scope=scope,
                    actor=None,
                    now=now,
                    milestone=schedule.milestone,
                    scheduled_for=day,
                )
        except IntegrityError:
            continue  # another worker sent it a moment ago
        sent += 1
    return sent


# Reads


def update_rounds_for_contract(*, contract: Contract, limit: int = 10) -> list[UpdateRound]:
    """Return the contract's latest rounds, each with its requests counted by state."""
    now = timezone.now()
    return list(
        UpdateRound.objects.filter(contract=contract)
        .select_related("milestone", "requested_by")
        .annotate(
            asked=Count("requests"),
            answered=Count("requests", filter=Q(requests__answered_at__isnull=False)),
            waiting=Count(
                "requests",
                filter=Q(
                    requests__answered_at__isnull=True,
                    requests__revoked_at__isnull=True,
                    requests__expires_at__gt=now,
                ),
            ),
        )[:limit]
    )


def update_round_get_for_user(*, user: User, pk: int) -> UpdateRound:
    """Return one round of a contract the user may see, with its requests; else NotFound."""
    round_ = (
        UpdateRound.objects.select_related("contract", "milestone", "requested_by")
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=UpdateRequest.objects.select_related("milestone", "owner").order_by(
                    "milestone__due_date", "milestone__title", "id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if round_ is None:
        raise NotFound("update round")
    contract_get_for_user(user=user, pk=round_.contract_id)
    return round_


def update_request_get_for_user(*, user: User, pk: int) -> UpdateRequest:
    """Return one request on a contract the user may see; else NotFound."""
    request = (
        UpdateRequest.objects.select_related("round__contract", "milestone", "owner")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise NotFound("update request")
    contract_get_for_user(user=user, pk=request.round.contract_id)
    return request


def update_requests_for_milestone(
    *, milestone: Milestone, limit: int = 10
) -> QuerySet[UpdateRequest]:
    """Return the latest requests about one milestone, newest first."""
    return (
        UpdateRequest.objects.filter(milestone=milestone)
        .select_related("owner", "round")
        .order_by("-sent_at", "-id")[:limit]
    )


def update_schedule_for(
    *, contract: Contract, milestone: Milestone | None = None
) -> UpdateSchedule | None:
    """Return the weekly schedule of the contract (or of one milestone), if any."""
    return UpdateSchedule.objects.filter(contract=contract, milestone=milestone).first()


def request_state(request: UpdateRequest, now: dt.datetime | None = None) -> str:
    """Say where a request stands, in words for its row: answered, waiting, expired, withdrawn."""
    now = now or timezone.now()
    if request.answered_at is not None:
        return "answered"
    if request.revoked_at is not None:
        return "withdrawn"
    if now >= request.expires_at:
        return "expired"
    return "waiting"
