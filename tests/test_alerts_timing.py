"""Property tests: trigger days and local hours across time zones, DST changes and offsets."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milepost.alerts.choices import Channel, Kind
from milepost.alerts.engine import tick
from milepost.alerts.models import AlertPreference, Notification, ReminderPlan
from milepost.alerts.timing import (
    Calendar,
    Rule,
    coalesce,
    day_starts_somewhere,
    latest_day_now,
    local_instant,
    next_trigger_day,
    pre_due,
    triggers_between,
)
from milepost.contracts.services import contract_update

from .conftest import World

# Zones with daylight saving in either hemisphere, odd offsets, a negative DST (Dublin), a
# 30-minute DST (Lord Howe), a zone whose clocks change at midnight (Santiago) and none (Kolkata).
ZONES = [
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
rules = st.builds(
    Rule,
    offsets=st.lists(st.integers(0, 60), min_size=0, max_size=6).map(tuple),
    working_days=st.booleans(),
    overdue_every=st.integers(0, 10),
    escalate_after=st.one_of(st.none(), st.integers(1, 30)),
)
calendars = st.sampled_from(
    [Calendar(), Calendar("GB"), Calendar("US", "NY"), Calendar("DE", "BY")]
)


@given(day=days, hour=st.integers(0, 23), tz=st.sampled_from(ZONES))
def test_a_local_hour_falls_on_its_own_day_once(day: dt.date, hour: int, tz: str) -> None:
    instant = local_instant(day, hour, tz)
    local = instant.astimezone(ZoneInfo(tz))
    assert local.date() == day
    # The hour is kept unless the clocks skipped it, in which case it is just after the gap.
    assert local.hour == hour or dt.timedelta(0) < (
        local - local.replace(hour=hour, minute=0)
    ) <= dt.timedelta(hours=1)
    # Consecutive days give strictly later instants: no day is skipped or doubled.
    assert local_instant(day + dt.timedelta(days=1), hour, tz) > instant


@given(day=days, now_hour=st.integers(0, 23), tz=st.sampled_from(ZONES))
def test_the_scan_sees_a_day_before_any_zone_reaches_it(
    day: dt.date, now_hour: int, tz: str
) -> None:
    start = day_starts_somewhere(day)
    assert start <= local_instant(day, 0, tz)
    assert latest_day_now(start) == day
    assert latest_day_now(start - dt.timedelta(seconds=1)) == day - dt.timedelta(days=1)


@given(due=days, rule=rules, cal=calendars, start=st.integers(-90, 60))
def test_stepping_through_next_days_meets_every_trigger_once(
    due: dt.date, rule: Rule, cal: Calendar, start: int
) -> None:
    """The scan jumps from one trigger day to the next; it must land on every one of them."""
    after = due + dt.timedelta(days=start)
    through = due + dt.timedelta(days=70)
    expected = sorted({t.on for t in triggers_between(due, rule, cal, after, through)})
    seen = []
    day = after
    while (day := next_trigger_day(due, rule, cal, day)) is not None and day <= through:  # type: ignore[assignment]
        seen.append(day)
    assert seen == expected


@given(due=days, rule=rules, cal=calendars)
def test_reminder_days_are_distinct_working_days_on_or_before_due(
    due: dt.date, rule: Rule, cal: Calendar
) -> None:
    found = pre_due(due, rule, cal)
    assert len({t.on for t in found}) == len(found)
    for trigger in found:
        assert trigger.on <= due
        if rule.working_days:
            assert cal.is_working(trigger.on)


@given(due=days, rule=rules, cal=calendars, gap=st.integers(1, 120), fresh=st.integers(0, 120))
def test_a_late_scan_keeps_current_triggers_and_the_latest_stale_one_per_kind(
    due: dt.date, rule: Rule, cal: Calendar, gap: int, fresh: int
) -> None:
    start = due - dt.timedelta(days=61)
    found = triggers_between(due, rule, cal, start, due + dt.timedelta(days=gap))
    fresh_from = start + dt.timedelta(days=fresh)
    kept = coalesce(found, fresh_from)
    current = [t for t in found if t.on >= fresh_from]
    assert [t for t in kept if t.on >= fresh_from] == sorted(current, key=lambda t: (t.on, t.kind))
    stale_kept = [t for t in kept if t.on < fresh_from]
    # At most one stale trigger per kind, the latest, and none where a current one supersedes it.
    assert len({t.kind for t in stale_kept}) == len(stale_kept)
    for trigger in stale_kept:
        assert trigger.kind not in {t.kind for t in current}
        assert trigger.on == max(t.on for t in found if t.kind == trigger.kind)


# Days on which the clocks change in the zone, where a reminder could be skipped or doubled.
DST_DAYS = [
    ("Europe/London", dt.date(2026, 10, 25)),
    ("Europe/London", dt.date(2027, 3, 28)),
    ("America/New_York", dt.date(2026, 11, 1)),
    ("America/New_York", dt.date(2027, 3, 14)),
    ("Australia/Sydney", dt.date(2027, 4, 4)),
    ("Australia/Lord_Howe", dt.date(2027, 4, 4)),
    ("Pacific/Auckland", dt.date(2027, 4, 4)),
]
# The contract's term spans every change day (and a week after), whatever day the suite runs on.
DST_TERM = (
    min(day for _, day in DST_DAYS) - dt.timedelta(days=30),
    max(day for _, day in DST_DAYS) + dt.timedelta(days=30),
)


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone_day=st.sampled_from(DST_DAYS),
    hour=st.integers(0, 23),
    offset=st.sampled_from([0, 1, 7]),
    contract_zone=st.sampled_from(["Europe/London", "Pacific/Auckland", "America/Los_Angeles"]),
)
def test_hourly_ticks_across_a_clock_change_send_each_reminder_once(
    world: World, zone_day: tuple[str, dt.date], hour: int, offset: int, contract_zone: str
) -> None:
    """A worker ticking hourly through a DST change sends one reminder per day, at the hour."""
    tz, change_day = zone_day
    Notification.objects.all().delete()
    ReminderPlan.objects.all().delete()
    owner = world.supplier_member
    owner.time_zone = tz
    owner.save(update_fields=["time_zone"])
    AlertPreference.objects.update_or_create(user=owner, defaults={"hour": hour})
    # Due so that the default rule's reminder ``offset`` days before falls on the change day.
    due = change_day + dt.timedelta(days=offset)
    start = day_starts_somewhere(change_day - dt.timedelta(days=2))
    with time_machine.travel(start, tick=False) as clock:
        contract_update(
            contract=world.contract,
            actor=world.client_manager,
            time_zone=contract_zone,
            start_date=DST_TERM[0],
            end_date=DST_TERM[1],
        )
        milestone = world.deliverable(due_date=due)
        now = start
        while now < local_instant(due, 0, tz) + dt.timedelta(days=2):
            clock.move_to(now)
            while tick(now=now).busy:
                pass
            now += dt.timedelta(hours=1)
    sent = Notification.objects.filter(
        milestone=milestone, user=owner, channel=Channel.INAPP, kind=Kind.REMINDER
    )
    by_day = sorted(sent.values_list("fire_on", flat=True))
    assert len(by_day) == len(set(by_day))
    assert change_day in by_day
    change = sent.get(fire_on=change_day)
    local = change.sent_at.astimezone(ZoneInfo(tz))
    assert local.date() == change_day
    assert change.sent_at >= change.send_after
