"""When reminders fire: trigger days from a rule, and the instant a local hour falls on.

Everything here is pure (no database): a due date, a rule and a holiday calendar give the days
a milestone has something to say, and a recipient's time zone and hour turn a day into one UTC
instant. A day is a local calendar date, so a daylight-saving change can neither skip nor
repeat one: each (day, recipient) maps to exactly one instant.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from milepost.core.dates import zone
from milepost.core.workdays import Calendar

# The earliest local time on Earth is UTC+14 (Kiribati): a day begins there first.
EARLIEST_OFFSET = dt.timedelta(hours=14)


@dataclass(frozen=True)
class Rule:
    """The reminder settings that apply to one milestone (see ``models.ReminderRule``)."""

    offsets: tuple[int, ...] = (14, 7, 1, 0)
    working_days: bool = False
    overdue_every: int = 2
    escalate_after: int | None = 3
    escalate_critical_to_counterparty: bool = True
    channels: tuple[str, ...] = ("email", "inapp")


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class Trigger:
    """One day a milestone has something to say: ``kind`` is reminder, overdue or escalation.

    ``offset`` counts days (or working days) from the due date: negative before it.
    """

    kind: str
    offset: int
    on: dt.date


def pre_due(due: dt.date, rule: Rule, calendar: Calendar) -> list[Trigger]:
    """The reminders before (and on) the due date, earliest first, one per distinct day."""
    seen: dict[dt.date, Trigger] = {}
    for offset in sorted(set(rule.offsets), reverse=True):
        on = calendar.shift(due, -offset, working=rule.working_days)
        seen.setdefault(on, Trigger("reminder", -offset, on))
    return sorted(seen.values(), key=lambda t: t.on)


def triggers_between(
    due: dt.date, rule: Rule, calendar: Calendar, after: dt.date, through: dt.date
) -> list[Trigger]:
    """Every trigger on a day in (``after``, ``through``], earliest first."""
    found = [t for t in pre_due(due, rule, calendar) if after < t.on <= through]
    if rule.overdue_every:
        k = 1
        while True:
            on = calendar.shift(due, k * rule.overdue_every, working=rule.working_days)
            if on > through:
                break
            if on > after:
                found.append(Trigger("overdue", k * rule.overdue_every, on))
            k += 1
    if rule.escalate_after:
        on = calendar.shift(due, rule.escalate_after, working=rule.working_days)
        if after < on <= through:
            found.append(Trigger("escalation", rule.escalate_after, on))
    return sorted(found, key=lambda t: (t.on, t.kind))


def next_trigger_day(
    due: dt.date, rule: Rule, calendar: Calendar, after: dt.date
) -> dt.date | None:
    """The first day after ``after`` with any trigger, or None if there is none left."""
    candidates = [t.on for t in pre_due(due, rule, calendar) if t.on > after]
    if rule.overdue_every:
        # Overdue repeats run for as long as the milestone is open: find the first past ``after``.
        k = 1
        while True:
            on = calendar.shift(due, k * rule.overdue_every, working=rule.working_days)
            if on > after:
                candidates.append(on)
                break
            # In calendar days, jump straight to the last repeat not after ``after``, so a
            # long-overdue milestone costs no more than a new one.
            jump = (after - due).days // rule.overdue_every
            k = jump if not rule.working_days and jump > k else k + 1
    if rule.escalate_after:
        on = calendar.shift(due, rule.escalate_after, working=rule.working_days)
        if on > after:
            candidates.append(on)
    return min(candidates, default=None)


def coalesce(triggers: Iterable[Trigger], fresh_from: dt.date) -> list[Trigger]:
    """Drop the history a late scan would otherwise send as a storm.

    Triggers on ``fresh_from`` or later are current and all kept. Of the stale ones (a worker
    was down when their day came), only the latest of each kind is kept, and only if no current
    trigger of that kind supersedes it: the recipient hears the state of things, once.
    """
    triggers = list(triggers)
    fresh = [t for t in triggers if t.on >= fresh_from]
    fresh_kinds = {t.kind for t in fresh}
    latest: dict[str, Trigger] = {}
    for trigger in triggers:
        if trigger.on >= fresh_from or trigger.kind in fresh_kinds:
            continue
        if trigger.kind not in latest or trigger.on > latest[trigger.kind].on:
            latest[trigger.kind] = trigger
    return sorted([*fresh, *latest.values()], key=lambda t: (t.on, t.kind))


def local_instant(day: dt.date, hour: int, tz_name: str) -> dt.datetime:
    """The UTC instant of ``hour``:00 on ``day`` in ``tz_name``.

    An hour that does not exist that day (clocks went forward) is read with the offset before
    the change, so it lands one hour later in the new time; an hour that happens twice (clocks
    went back) is the first of the two. Either way one day gives one instant.
    """
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=zone(tz_name))
    return local.astimezone(dt.UTC)


def day_starts_somewhere(day: dt.date) -> dt.datetime:
    """The first instant at which ``day`` has begun somewhere on Earth (UTC)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC) - EARLIEST_OFFSET


def latest_day_now(now: dt.datetime) -> dt.date:
    """The latest local date anywhere on Earth at ``now``."""
    return (now.astimezone(dt.UTC) + EARLIEST_OFFSET).date()
