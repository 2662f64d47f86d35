"""In-app notifications, alert preferences and watches: what one person receives and follows.

Marking a notification read writes no event: read state is the reader's bookkeeping, not a
change to anything another party relies on. Preference and watch changes do write one, on the
person (watches) or their preference row, so they stay out of contracts' history panels.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contracts_for_user
from milepost.core.errors import DomainError, Forbidden, NotFound
from milepost.core.models import apply_changes
from milepost.schedule.models import Milestone

from .choices import Channel, Digest, Status
from .events import AlertEvent
from .models import AlertPreference, Notification, Watch

PREFERENCE_FIELDS = ("email", "inapp", "digest", "hour", "digest_weekday")


def _target(contract: Contract | None, milestone: Milestone | None) -> dict[str, Any]:
    if (contract is None) == (milestone is None):
        raise ValueError("Name exactly one of contract or milestone.")
    return {"contract": contract} if contract is not None else {"milestone": milestone}


def _watch_snapshot(target: dict[str, Any]) -> dict[str, Any]:
    return {name: obj.pk for name, obj in target.items()}


@transaction.atomic
def watch_add(
    *, user: User, contract: Contract | None = None, milestone: Milestone | None = None
) -> Watch:
    """Follow a contract or a milestone to hear of its updates; watching twice is one watch."""
    target = _target(contract, milestone)
    owning = contract if contract is not None else milestone.contract  # type: ignore[union-attr]
    if not contract_access(user=user, contract=owning).can_view:
        raise NotFound("contract" if contract is not None else "milestone")
    watch, created = Watch.objects.get_or_create(user=user, **target)
    if created:
        event_record(
            actor=user, action=AlertEvent.WATCH_ADDED, obj=user, after=_watch_snapshot(target)
        )
    return watch


@transaction.atomic
def watch_remove(
    *, user: User, contract: Contract | None = None, milestone: Milestone | None = None
) -> None:
    """Stop following a contract or a milestone; not watching it already is fine."""
    target = _target(contract, milestone)
    deleted, _ = Watch.objects.filter(user=user, **target).delete()
    if deleted:
        event_record(
            actor=user, action=AlertEvent.WATCH_REMOVED, obj=user, before=_watch_snapshot(target)
        )


def _flag(name: str, value: object, label: str) -> None:
    if not isinstance(value, bool):
        raise DomainError(f"invalid_{name}", f"{label} is on or off (true or false).", field=name)


def _whole(name: str, value: object, low: int, high: int, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"invalid_{name}", message, field=name)


def _validate_preferences(changes: dict[str, Any]) -> None:
    if "email" in changes:
        _flag("email", changes["email"], "Email")
    if "inapp" in changes:
        _flag("inapp", changes["inapp"], "In-app")
    if "digest" in changes and changes["digest"] not in Digest.values:
        raise DomainError(
            "invalid_digest",
            f"The digest is one of {', '.join(Digest.values)}.",
            field="digest",
        )
    if "hour" in changes:
        _whole("hour", changes["hour"], 0, 23, "The hour is a whole hour from 0 to 23.")
    if "digest_weekday" in changes:
        _whole(
            "digest_weekday",
            changes["digest_weekday"],
            0,
            6,
            "The weekday is 0 (Monday) to 6 (Sunday).",
        )


def _preference_snapshot(preference: AlertPreference, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(preference, name) for name in fields}


@transaction.atomic
def alert_preference_set(*, user: User, actor: User, **changes: Any) -> AlertPreference:
    """Change how and when a person hears from Milepost; only they may change theirs."""
    if actor.pk != user.pk:
        raise Forbidden("Only the person themself may change their alert preferences.")
    unknown = sorted(set(changes) - set(PREFERENCE_FIELDS))
    if unknown:
        raise DomainError(
            "not_editable", f"'{unknown[0]}' cannot be changed here.", field=unknown[0]
        )
    _validate_preferences(changes)
    preference, _ = AlertPreference.objects.select_for_update().get_or_create(user=user)
    changed, before = apply_changes(
        preference, changes, editable=PREFERENCE_FIELDS, snapshot=_preference_snapshot
    )
    if not changed:
        return preference
    preference.save(update_fields=[*changed, "updated_at"])
    event_record(
        actor=actor,
        action=AlertEvent.ALERT_PREFERENCE_CHANGED,
        obj=preference,
        before=before,
        after=_preference_snapshot(preference, changed),
    )
    return preference


def _inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, channel=Channel.INAPP, status=Status.SENT)


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of the person's in-app notifications read (again is fine)."""
    if (
        notification.user_id != user.pk
        or notification.channel != Channel.INAPP
        or notification.status != Status.SENT
    ):
        raise NotFound("notification")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread in-app notification of the person read; return how many."""
    return _inbox(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def alert_preference_for(*, user: User) -> AlertPreference:
    """Return the person's preferences, or the defaults (unsaved) if they never set any."""
    found = AlertPreference.objects.filter(user=user).first()
    return found if found is not None else AlertPreference(user=user)


def inbox_for_user(*, user: User, unread: bool = False) -> QuerySet[Notification]:
    """Return the person's delivered in-app notifications, newest first."""
    rows = _inbox(user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("contract", "milestone").order_by("-sent_at", "-id")


def notification_get_for_user(*, user: User, pk: int) -> Notification:
    """Return one of the person's in-app notifications, or raise NotFound."""
    found = inbox_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("notification")
    return found


def unread_count(*, user: User) -> int:
    """Count the person's unread in-app notifications in one indexed query (the bell)."""
    return _inbox(user).filter(read_at__isnull=True).count()


def watches_for_user(*, user: User) -> QuerySet[Watch]:
    """Return what the person watches among what they can still see, newest first."""
    visible = contracts_for_user(user=user).values("id")
    return (
        Watch.objects.filter(user=user)
        .filter(Q(contract_id__in=visible) | Q(milestone__contract_id__in=visible))
        .select_related("contract", "milestone__contract")
        .order_by("-created_at", "-id")
    )


def is_watching(
    *, user: User, contract: Contract | None = None, milestone: Milestone | None = None
) -> bool:
    """Return whether the person watches this contract or milestone."""
    return Watch.objects.filter(user=user, **_target(contract, milestone)).exists()
