"""Calendar feeds: the secret-token URLs, what a feed shows, and its iCalendar text.

A feed token is a capability: whoever holds the URL reads the feed, with the visibility of the
token's user at the moment of reading. A personal feed holds the milestones the user owns or
watches, and the reply deadlines of the contracts they watch or of communications about those
milestones; a contract feed holds one contract's milestones and reply deadlines. Both answer 404
as soon as the user may no longer see what the feed is about.

A reply deadline is a communication sent and waiting for an answer (``Communication.awaiting``):
an all-day event on the day the answer is due, and another on the last day before silence is
treated as acceptance once a failure to reply was notified. Both leave the feed when the answer
comes; an extension moves the first, with a higher SEQUENCE.
"""

import datetime as dt
import hashlib
import heapq
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vDuration

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.communications import catalogue
from milepost.communications.choices import CommunicationState
from milepost.communications.models import Communication
from milepost.communications.selectors import communication_owed, deems_pending
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contracts_for_user
from milepost.core.dates import date_in_range, left_out_note, local_today
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.choices import OPEN_STATUSES, MilestoneStatus
from milepost.schedule.models import Milestone
from milepost.schedule.selectors import milestones_for_contract, milestones_for_user

from . import timing
from .events import AlertEvent
from .models import AlertPreference, FeedToken, Watch
from .plans import calendar_for, rules_for

PRODID = "-//Milepost//Milepost//EN"
# How often a client should fetch the feed again (RFC 7986 REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = dt.timedelta(hours=1)
# What a feed holds: every open milestone, and closed ones due within the last year; at most
# FEED_MAX_EVENTS of them, those due nearest today kept, so a feed stays small enough to fetch
# hourly and still shows this week's dates to someone with thousands.
FEED_CLOSED_DAYS = 365
FEED_MAX_EVENTS = 2000
# ``last_used_at`` is written at most this often per token, so reading a feed stays a read.
TOUCH_EVERY = dt.timedelta(hours=1)
DEFAULT_HOUR = 8
# Statuses that mean the date no longer happens; the rest are CONFIRMED.
CANCELLED_STATUSES = frozenset({MilestoneStatus.CANCELLED, MilestoneStatus.WAIVED})


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _token_facts(token: FeedToken) -> dict[str, object]:
    """What an audit event says about a feed token: never the secret itself."""
    return {"user": token.user.username, "contract_id": token.contract_id}


# Services


@transaction.atomic
def feed_token_get_or_create(
    *, user: User, contract: Contract | None = None, actor: User
) -> FeedToken:
    """Return the user's feed token (personal, or for one contract), creating it if needed."""
    if actor.pk != user.pk:
        raise Forbidden("You can only create calendar feeds for yourself.", code="not_own_feed")
    if contract is not None and not contract_access(user=user, contract=contract).can_view:
        raise NotFound("contract")
    existing = FeedToken.objects.filter(user=user, contract=contract).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            token = FeedToken.objects.create(user=user, contract=contract, token=_new_secret())
    except IntegrityError:
        # A concurrent request created it first: that one is the feed.
        return FeedToken.objects.get(user=user, contract=contract)
    event_record(
        actor=actor, action=AlertEvent.FEED_TOKEN_CREATED, obj=token, after=_token_facts(token)
    )
    return token


@transaction.atomic
def feed_token_rotate(*, token: FeedToken, actor: User) -> FeedToken:
    """Replace the token's secret; the old URL stops working at once."""
    if token.user_id != actor.pk:
        raise NotFound("calendar feed")
    token.token = _new_secret()
    token.last_used_at = None
    token.save(update_fields=["token", "last_used_at", "updated_at"])
    event_record(
        actor=actor, action=AlertEvent.FEED_TOKEN_ROTATED, obj=token, after=_token_facts(token)
    )
    return token


@transaction.atomic
def feed_token_revoke(*, token: FeedToken, actor: User) -> None:
    """Delete the token; its URL answers 404 from now on."""
    if token.user_id != actor.pk:
        raise NotFound("calendar feed")
    event_record(
        actor=actor, action=AlertEvent.FEED_TOKEN_REVOKED, obj=token, before=_token_facts(token)
    )
    token.delete()


def feed_token_touch(*, token: FeedToken, now: dt.datetime) -> None:
    """Note that the feed was read, at most once per ``TOUCH_EVERY``; no event (not a change)."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    FeedToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)


# Selectors


def feed_tokens_for_user(*, user: User) -> list[FeedToken]:
    """Return the user's feed tokens: the personal one first, then contracts by reference."""
    tokens = FeedToken.objects.filter(user=user).select_related("contract")
    return sorted(
        tokens, key=lambda t: (t.contract is not None, t.contract.reference if t.contract else "")
    )


def feed_token_get_for_user(*, user: User, pk: int) -> FeedToken:
    """Return one of the user's own feed tokens, or raise NotFound."""
    token = FeedToken.objects.filter(user=user, pk=pk).select_related("contract", "user").first()
    if token is None:
        raise NotFound("calendar feed")
    return token


def feed_token_by_secret(*, secret: str) -> FeedToken | None:
    """Return the feed token with this secret whose user is active, or None."""
    if not secret:
        return None
    return (
        FeedToken.objects.filter(token=secret, user__is_active=True)
        .select_related("user", "contract")
        .first()
    )


def feed_url(token: FeedToken) -> str:
    """The feed's absolute https (or http) URL."""
    return settings.MILEPOST_BASE_URL + reverse("feed-ics", args=[token.token])


def feed_webcal_url(token: FeedToken) -> str:
    """The feed's ``webcal://`` URL, which calendar applications open as a subscription."""
    return "webcal://" + feed_url(token).split("://", 1)[1]


def feed_milestones(*, token: FeedToken, now: dt.datetime | None = None) -> list[Milestone]:
    """Return the milestones the feed shows now, earliest due first.

    Personal feed: milestones the user owns or watches (the milestone or its contract) on
    contracts they can still see. Contract feed: that contract's milestones, or NotFound when
    the user can no longer see it. See ``FEED_CLOSED_DAYS`` and ``FEED_MAX_EVENTS``.
    """
    now = now or timezone.now()
    user = token.user
    if token.contract is not None:
        if not contract_access(user=user, contract=token.contract).can_view:
            raise NotFound("calendar feed")
        qs = milestones_for_contract(contract=token.contract, now=now).select_related("contract")
    else:
        watched_milestones = Watch.objects.filter(user=user, milestone__isnull=False).values(
            "milestone_id"
        )
        watched_contracts = Watch.objects.filter(user=user, contract__isnull=False).values(
            "contract_id"
        )
        qs = milestones_for_user(user=user, now=now).filter(
            Q(owner=user) | Q(id__in=watched_milestones) | Q(contract_id__in=watched_contracts)
        )
    today = local_today(user.time_zone, now)
    since = today - dt.timedelta(days=FEED_CLOSED_DAYS)
    qs = qs.filter(Q(status__in=OPEN_STATUSES) | Q(due_date__gte=since))
    # The nearest on each side of today (each side's own index order), then the nearest of both.
    ahead = list(qs.filter(due_date__gte=today).order_by("due_date", "id")[:FEED_MAX_EVENTS])
    behind = list(qs.filter(due_date__lt=today).order_by("-due_date", "-id")[:FEED_MAX_EVENTS])
    nearest = heapq.nsmallest(
        FEED_MAX_EVENTS, ahead + behind, key=lambda m: (abs((m.due_date - today).days), m.pk)
    )
    return sorted(nearest, key=lambda m: (m.due_date, m.pk))


def reminder_hour(user: User) -> int:
    """The local hour the user's reminders come at (their preference, or 08:00)."""
    hour = AlertPreference.objects.filter(user=user).values_list("hour", flat=True).first()
    return DEFAULT_HOUR if hour is None else hour


@dataclass(frozen=True)
class Reminder:
    """One alarm of a milestone's event: ``trigger`` is relative to the start of the due date."""

    on: dt.date
    offset: int
    trigger: dt.timedelta


def milestone_reminders(
    milestone: Milestone,
    rule: timing.Rule,
    calendar: timing.Calendar,
    *,
    hour: int,
    today: dt.date,
) -> list[Reminder]:
    """The pre-due reminders of an open milestone from ``today`` on, at ``hour`` local time.

    Days already past are left out: a calendar that subscribes late would otherwise show a
    pile of missed alarms, which the email reminders do not send either.
    """
    if milestone.status not in OPEN_STATUSES:
        return []
    found = []
    for trigger in timing.pre_due(milestone.due_date, rule, calendar):
        if trigger.on < today:
            continue
        delta = dt.timedelta(days=(trigger.on - milestone.due_date).days, hours=hour)
        found.append(Reminder(on=trigger.on, offset=trigger.offset, trigger=delta))
    return found


def _when(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def _person(user: User) -> str:
    return user.get_full_name() or user.username


def _description(milestone: Milestone, link: str) -> str:
    party = milestone.responsible_party
    lines = [
        f"Contract: {milestone.contract.reference} {milestone.contract.title}",
        f"Kind: {milestone.get_kind_display()}",
        f"Status: {milestone.get_status_display()}",
        f"Criticality: {milestone.get_criticality_display()}",
        f"Owner: {_person(milestone.owner)}",
        f"Responsible party: {party.organisation.name} ({party.get_role_display()})",
        f"Acceptance criteria: {milestone.acceptance_criteria}",
        f"Link: {link}",
    ]
    return "\n".join(lines)


def _host() -> str:
    return urlsplit(settings.MILEPOST_BASE_URL).hostname or "milepost"


def milestone_uid(milestone: Milestone) -> str:
    """The event's UID: the same for a milestone in every feed and across every change."""
    return f"milestone-{milestone.pk}@{_host()}"


def _sequence(milestone: Milestone) -> int:
    # Seconds between creation and the last change: it grows with every change (updated_at only
    # moves forward), needs no extra query, and stays within RFC 5545's 32-bit INTEGER for
    # 68 years, where a plain epoch would not.
    return max(0, int((milestone.updated_at - milestone.created_at).total_seconds()))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class EventFacts:
    """All that one VEVENT (a milestone's, or a reply deadline's) is made of: its text is a
    function of these alone, so they are also the key its text is kept under."""

    uid: str
    created: dt.datetime
    changed: dt.datetime
    sequence: int
    due: dt.date
    title: str
    description: str
    link: str
    cancelled: bool
    category: str
    reminders: tuple[Reminder, ...]


def event_facts(milestone: Milestone, reminders: Sequence[Reminder]) -> EventFacts:
    """What the milestone's event says (its contract, owner and responsible party loaded)."""
    link = settings.MILEPOST_BASE_URL + reverse("milestones:milestone-detail", args=[milestone.pk])
    return EventFacts(
        uid=milestone_uid(milestone),
        created=_utc(milestone.created_at),
        changed=_utc(milestone.updated_at),
        sequence=_sequence(milestone),
        due=milestone.due_date,
        title=f"[{milestone.contract.reference}] {milestone.title}",
        description=_description(milestone, link),
        link=link,
        cancelled=milestone.status in CANCELLED_STATUSES,
        category=str(milestone.get_kind_display()),
        reminders=tuple(reminders),
    )


def all_day_event(facts: EventFacts) -> Event:
    """One all-day VEVENT on the due date, with an alarm per reminder."""
    event = Event()
    event.add("uid", facts.uid)
    event.add("dtstamp", facts.changed)
    event.add("created", facts.created)
    event.add("last-modified", facts.changed)
    event.add("sequence", facts.sequence)
    event.add("dtstart", facts.due)
    event.add("dtend", facts.due + dt.timedelta(days=1))
    event.add("summary", facts.title)
    event.add("description", facts.description)
    event.add("url", facts.link)
    event.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    event.add("categories", [facts.category])
    # A deadline is a date to know, not time taken: free/busy stays free.
    event.add("transp", "TRANSPARENT")
    for reminder in facts.reminders:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Due {_when(-reminder.offset)}: {facts.title}")
        alarm.add("trigger", reminder.trigger)
        event.add_component(alarm)
    return event


class _EventTexts:
    """The iCalendar text of the events served lately, by their facts, least recently used
    dropped first. Every subscribed calendar fetches its feed again each hour, and between two
    fetches few of its events change: those alone are written again. Turning an event into text
    is most of a feed's cost (about 2 ms an event); a kept one is about 1 KB."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._texts: OrderedDict[EventFacts, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, facts: EventFacts) -> bytes:
        with self._lock:
            text = self._texts.get(facts)
            if text is not None:
                self._texts.move_to_end(facts)
                return text
        text = all_day_event(facts).to_ical()
        with self._lock:
            self._texts[facts] = text
            while len(self._texts) > self.size:
                self._texts.popitem(last=False)
        return text

    def clear(self) -> None:
        with self._lock:
            self._texts.clear()


# Ten thousand events: five of the largest feeds (FEED_MAX_EVENTS), about 10 MB per process.
event_texts = _EventTexts(10_000)


# Reply deadlines

DEADLINE_CATEGORY = "Reply deadline"
DEEMED_CATEGORY = "Deemed acceptance"


def feed_deadlines(*, token: FeedToken) -> list[Communication]:
    """Return the open reply deadlines the feed shows, in one query, latest due first.

    The communications sent and waiting for an answer (never a draft): of the contract feed's
    contract (``feed_milestones`` checked the user still sees it), or, for a personal feed, of
    the contracts the user can see and watches, or about a milestone they own or watch. At most
    ``FEED_MAX_EVENTS``; the oldest overdue ones go first.
    """
    user = token.user
    rows = Communication.objects.filter(awaiting=True, reply_due__isnull=False).exclude(
        state=CommunicationState.DRAFT
    )
    if token.contract is not None:
        rows = rows.filter(contract=token.contract)
    else:
        watched = Watch.objects.filter(user=user)
        mine = Milestone.objects.filter(
            Q(owner=user) | Q(id__in=watched.filter(milestone__isnull=False).values("milestone_id"))
        ).values("id")
        about = Communication.milestones.through.objects.filter(milestone_id__in=mine).values(
            "communication_id"
        )
        rows = rows.filter(contract__in=contracts_for_user(user=user)).filter(
            Q(contract_id__in=watched.filter(contract__isnull=False).values("contract_id"))
            | Q(id__in=about)
        )
    return list(
        rows.select_related(
            "contract",
            "sender__organisation",
            "recipient__organisation",
            "owed_by__organisation",
        )
        # A communication's text and a contract's description are long and not shown.
        .defer("text", "contract__description")
        .order_by("-reply_due", "-id")[:FEED_MAX_EVENTS]
    )


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _clause(clause: str) -> str:
    return f" (cl. {clause})" if clause else ""


def deadline_facts(communication: Communication) -> list[EventFacts]:
    """The events of an open communication (its contract and parties loaded): the last day for
    its answer, and the last day before silence is acceptance once a failure was notified."""
    c = communication
    contract = c.contract
    owed = communication_owed(c, contract.form)
    owed_by = c.owed_by.organisation.name if c.owed_by else "the other party"
    type_ = catalogue.form_def(contract.form).type(c.kind)
    link = settings.MILEPOST_BASE_URL + reverse("communications:detail", args=[c.pk])
    assert c.reply_due is not None
    deems_on = c.deems_on if deems_pending(c) else None
    lines = [
        f"Contract: {contract.reference} {contract.title}",
        f"Communication: {c.reference} {c.subject}",
        f"Kind: {type_.label if type_ else 'Communication'}{_clause(c.clause)}",
        f"From: {c.sender.organisation.name} to {c.recipient.organisation.name}"
        + (f", sent on {_day(c.sent_on)}" if c.sent_on else ""),
        f"{owed.what} owed by: {owed_by}, by {_day(c.reply_due)}{_clause(owed.clause)}",
    ]
    if deems_on is not None:
        lines.append(
            f"Failure to reply notified: treated as accepted unless {owed_by} replies by "
            f"{_day(deems_on)}{_clause(owed.deemed_clause)}"
        )
    lines.append(f"Link: {link}")

    def title(what: str, clause: str) -> str:
        cited = f", cl. {clause}" if clause else ""
        return f"[{contract.reference}] {what}: {c.reference} {c.subject} ({owed_by}{cited})"

    reply = EventFacts(
        uid=f"communication-{c.pk}-reply@{_host()}",
        created=_utc(c.sent_at or c.created_at),
        changed=_utc(c.updated_at),
        # As a milestone's: the seconds from creation to the last change, which an extension
        # (or a notified failure) moves on.
        sequence=max(0, int((c.updated_at - c.created_at).total_seconds())),
        due=c.reply_due,
        title=title(f"{owed.what} due", owed.clause),
        description="\n".join(lines),
        link=link,
        cancelled=False,
        category=DEADLINE_CATEGORY,
        reminders=(),
    )
    if deems_on is None:
        return [reply]
    return [
        reply,
        replace(
            reply,
            uid=f"communication-{c.pk}-deemed@{_host()}",
            due=deems_on,
            title=title("Last day before deemed acceptance", owed.deemed_clause),
            category=DEEMED_CATEGORY,
        ),
    ]


def feed_name(token: FeedToken) -> str:
    """The calendar's display name."""
    if token.contract is not None:
        return f"Milepost: {token.contract.reference} {token.contract.title}"
    return f"Milepost: milestones of {_person(token.user)}"


def feed_calendar(
    *,
    token: FeedToken,
    milestones: Iterable[Milestone],
    deadlines: Iterable[Communication] = (),
    now: dt.datetime | None = None,
) -> bytes:
    """Write the VCALENDAR of a feed: one VEVENT per milestone with its reminder alarms, then
    the events of each open reply deadline, earliest first."""
    now = now or timezone.now()
    milestones = list(milestones)
    rules = rules_for(milestones)
    hour = reminder_hour(token.user)
    today = local_today(token.user.time_zone, now)
    calendars: dict[int, timing.Calendar] = {}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = feed_name(token)
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    left_out = []
    events = []
    for milestone in milestones:
        if not date_in_range(milestone.due_date):
            # An old row no calendar can hold (9999-12-31 has no next day): say so instead.
            left_out.append(milestone.title)
            continue
        contract = milestone.contract
        if contract.pk not in calendars:
            calendars[contract.pk] = calendar_for(contract)
        rule = rules.get(milestone.pk, timing.DEFAULT_RULE)
        reminders = milestone_reminders(
            milestone, rule, calendars[contract.pk], hour=hour, today=today
        )
        events.append(event_texts.text(event_facts(milestone, reminders)))
    for communication in sorted(deadlines, key=lambda c: (c.reply_due or dt.date.min, c.pk)):
        for facts in deadline_facts(communication):
            if date_in_range(facts.due):
                events.append(event_texts.text(facts))
            else:
                left_out.append(f"{communication.reference} {communication.subject}")
    if left_out:
        note = left_out_note(left_out)
        cal.add("description", note)
        cal.add("x-wr-caldesc", note)
    # The calendar's own lines, then its events, as icalendar writes a calendar that holds them.
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    if not head.endswith(end):
        raise RuntimeError(f"icalendar wrote a calendar that does not end {end!r}")
    return head[: -len(end)] + b"".join(events) + end


@dataclass(frozen=True)
class FeedBody:
    """A feed's text and what conditional requests compare it by."""

    content: bytes
    etag: str
    last_modified: dt.datetime | None


def feed_body(*, token: FeedToken, now: dt.datetime | None = None) -> FeedBody:
    """Return the feed's iCalendar bytes, or raise NotFound if its user may not see it now."""
    now = now or timezone.now()
    milestones = feed_milestones(token=token, now=now)
    deadlines = feed_deadlines(token=token)
    content = feed_calendar(token=token, milestones=milestones, deadlines=deadlines, now=now)
    # The text holds no clock reading (DTSTAMP is the last change), so equal text means an
    # unchanged feed and its hash is a sound strong validator.
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    changes = [m.updated_at for m in milestones] + [c.updated_at for c in deadlines]
    last_modified = max(changes, default=None)
    return FeedBody(content=content, etag=etag, last_modified=last_modified)
