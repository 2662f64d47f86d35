"""In-app notifications, alert preferences and watches: the endpoints behind the bell."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import Code, InputSchema, RowId
from milepost.schedule.selectors import milestone_get_for_user

from ..choices import Digest
from ..inbox import (
    alert_preference_for,
    alert_preference_set,
    inbox_for_user,
    notification_get_for_user,
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
    watch_add,
    watch_remove,
    watches_for_user,
)
from ..models import Notification, Watch

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    event_type: str
    summary: str
    url: str = Field(description="The page it is about (milestone, contract or notice link).")
    payload: dict[str, Any]
    sent_at: dt.datetime | None
    read_at: dt.datetime | None
    message_id: str

    @staticmethod
    def resolve_summary(obj: Notification) -> str:
        return str(obj.payload.get("summary", ""))

    @staticmethod
    def resolve_url(obj: Notification) -> str:
        payload = obj.payload
        for part in (payload.get("milestone"), payload.get("contract"), payload):
            if isinstance(part, dict) and part.get("url"):
                return str(part["url"])
        return ""


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    next_offset: int | None


# Far more than anyone's inbox holds, and small enough that offset plus limit stays a 64-bit row
# count in either database.
MAX_OFFSET = 1_000_000_000


class NotificationFilters(Schema):
    unread: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get("/notifications", response=NotificationPage)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    """List your in-app notifications, newest first; ``unread=true`` for the unread ones only."""
    rows = inbox_for_user(user=actor(request), unread=filters.unread)
    items = list(rows[filters.offset : filters.offset + filters.limit])
    count = rows.count()
    end = filters.offset + len(items)
    return {"items": items, "count": count, "next_offset": end if end < count else None}


@router.get("/notifications/unread-count", response=UnreadOut)
def get_unread_count(request: HttpRequest) -> Any:
    """Count your unread in-app notifications (what the bell shows)."""
    return {"unread": unread_count(user=actor(request))}


@router.post("/notifications/read-all", response=MarkedOut)
def read_all(request: HttpRequest) -> Any:
    """Mark all your in-app notifications read; say how many were unread."""
    return {"marked": notifications_mark_all_read(user=actor(request))}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: RowId) -> Notification:
    """Mark one of your in-app notifications read."""
    notification = notification_get_for_user(user=actor(request), pk=notification_id)
    return notification_mark_read(user=actor(request), notification=notification)


class PreferenceOut(Schema):
    email: bool
    inapp: bool
    digest: Digest
    hour: int
    digest_weekday: int
    time_zone: str

    @staticmethod
    def resolve_time_zone(obj: Any) -> str:
        return str(obj.user.time_zone)


class PreferencePatch(InputSchema):
    email: bool | None = None
    inapp: bool | None = None
    digest: Code | None = None
    hour: int | None = None
    digest_weekday: int | None = None


@router.get("/me/alert-preferences", response=PreferenceOut, tags=["profile"])
def get_preferences(request: HttpRequest) -> Any:
    """Read how and when you hear from Milepost (the hour is in your profile's time zone)."""
    return alert_preference_for(user=actor(request))


@router.patch("/me/alert-preferences", response=PreferenceOut, tags=["profile"])
def update_preferences(request: HttpRequest, payload: PreferencePatch) -> Any:
    """Change any of: email, inapp (on or off), digest (off, daily, weekly), hour (0-23),
    digest_weekday (0 Monday to 6 Sunday)."""
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return alert_preference_set(user=actor(request), actor=actor(request), **changes)


class ContractWatchOut(Schema):
    id: int
    contract_id: int
    title: str
    created_at: dt.datetime

    @staticmethod
    def resolve_title(obj: Watch) -> str:
        return f"{obj.contract.reference} · {obj.contract.title}"  # type: ignore[union-attr]


class MilestoneWatchOut(Schema):
    id: int
    milestone_id: int
    contract_id: int
    title: str
    created_at: dt.datetime

    @staticmethod
    def resolve_contract_id(obj: Watch) -> int:
        return obj.milestone.contract_id  # type: ignore[union-attr]

    @staticmethod
    def resolve_title(obj: Watch) -> str:
        return obj.milestone.title  # type: ignore[union-attr]


class WatchesOut(Schema):
    contracts: list[ContractWatchOut]
    milestones: list[MilestoneWatchOut]


@router.get("/me/watches", response=WatchesOut, tags=["profile"])
def list_watches(request: HttpRequest) -> Any:
    """List the contracts and milestones you watch (among those you can see)."""
    watches = list(watches_for_user(user=actor(request)))
    return {
        "contracts": [w for w in watches if w.contract_id is not None],
        "milestones": [w for w in watches if w.milestone_id is not None],
    }


@router.post("/contracts/{contract_id}/watch", response=ContractWatchOut)
def watch_contract(request: HttpRequest, contract_id: RowId) -> Watch:
    """Watch a contract to hear of its updates; watching twice is fine."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return watch_add(user=actor(request), contract=contract)


@router.delete("/contracts/{contract_id}/watch", response={204: None})
def unwatch_contract(request: HttpRequest, contract_id: RowId) -> Any:
    """Stop watching a contract; not watching it already is fine."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    watch_remove(user=actor(request), contract=contract)
    return Status(204, None)


@router.post("/milestones/{milestone_id}/watch", response=MilestoneWatchOut)
def watch_milestone(request: HttpRequest, milestone_id: RowId) -> Watch:
    """Watch a milestone to hear of its updates; watching twice is fine."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    return watch_add(user=actor(request), milestone=milestone)


@router.delete("/milestones/{milestone_id}/watch", response={204: None})
def unwatch_milestone(request: HttpRequest, milestone_id: RowId) -> Any:
    """Stop watching a milestone; not watching it already is fine."""
    milestone = milestone_get_for_user(user=actor(request), pk=milestone_id)
    watch_remove(user=actor(request), milestone=milestone)
    return Status(204, None)
