"""Date helpers: due dates are dates in a contract's time zone, instants are UTC."""

import datetime as dt
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

import holidays
from django.db.models import Q
from django.utils import timezone

from .errors import DomainError

# The dates Milepost accepts (README, "Dates"). A contract runs within DATE_MIN..DATE_MAX; a
# milestone's dates fall within its contract's term widened by MILESTONE_MARGIN_YEARS either
# side, and never outside DATE_MIN..DATE_MAX. Lags and offsets are at most ±1000 days, and the
# working-day tables the schedule and forecasts build reach 1900..2299: every date Milepost
# derives from accepted dates stays inside what ``datetime.date`` and numpy can count.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
MILESTONE_MARGIN_YEARS = 10


def date_in_range(day: dt.date | None) -> bool:
    """Is ``day`` (or no date at all) within ``DATE_MIN``..``DATE_MAX``?"""
    return day is None or DATE_MIN <= day <= DATE_MAX


def clamp_date(day: dt.date, earliest: dt.date = DATE_MIN, latest: dt.date = DATE_MAX) -> dt.date:
    """The date in ``earliest``..``latest`` nearest to ``day``."""
    return min(max(day, earliest), latest)


def _years_from(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years (29 February becomes 28 February), clamped to the range."""
    year = day.year + years
    if year < DATE_MIN.year:
        return DATE_MIN
    if year > DATE_MAX.year:
        return DATE_MAX
    return day.replace(year=year, day=min(day.day, 28) if day.month == 2 else day.day)


def milestone_date_range(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The dates a milestone of a contract running ``start``..``end`` may take."""
    return (
        clamp_date(_years_from(start, -MILESTONE_MARGIN_YEARS)),
        clamp_date(_years_from(end, MILESTONE_MARGIN_YEARS)),
    )


def validate_date_in_range(
    day: dt.date,
    *,
    field: str,
    earliest: dt.date = DATE_MIN,
    latest: dt.date = DATE_MAX,
    why: str = "",
) -> dt.date:
    """Return ``day`` if it lies within ``earliest``..``latest``, else raise ``date_out_of_range``.

    ``why`` says where the range comes from, for the message ("the contract's term with 10
    years either side").
    """
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise DomainError("invalid_date", "Give a date as YYYY-MM-DD.", field=field)
    if not earliest <= day <= latest:
        label = field.replace("_", " ").capitalize()
        reason = f" ({why})" if why else ""
        raise DomainError(
            "date_out_of_range",
            f"{label} {day.isoformat()} is out of range: give a date from "
            f"{earliest.isoformat()} to {latest.isoformat()}{reason}.",
            field=field,
        )
    return day


def validate_milestone_date(
    day: dt.date | None, *, field: str, start: dt.date, end: dt.date
) -> dt.date | None:
    """Check a milestone's date against its contract's term (``start``..``end``) plus margin."""
    if day is None:
        return None
    earliest, latest = milestone_date_range(start, end)
    return validate_date_in_range(
        day,
        field=field,
        earliest=earliest,
        latest=latest,
        why=f"the contract's term with {MILESTONE_MARGIN_YEARS} years either side",
    )


@lru_cache(maxsize=1)
def all_time_zones() -> frozenset[str]:
    """Return every IANA time zone name this machine knows."""
    return frozenset(available_timezones())


def validate_time_zone(name: str, *, field: str = "time_zone") -> str:
    """Return ``name`` if it is an IANA time zone, else raise ``invalid_time_zone``."""
    if name not in all_time_zones():
        raise DomainError(
            "invalid_time_zone",
            f"'{name}' is not a known time zone, such as Europe/London.",
            field=field,
        )
    return name


def validate_holiday_calendar(
    country: str, region: str = "", *, field: str = "holiday_country"
) -> None:
    """Refuse a holiday country or region that the ``holidays`` package does not know."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise DomainError(
            "invalid_holiday_country",
            f"'{country}' is not a supported holiday calendar country (ISO 3166 code such as GB).",
            field=field,
        )
    if region and region not in supported[country]:
        raise DomainError(
            "invalid_holiday_region",
            f"'{region}' is not a region of {country}; choose one of {', '.join(supported[country])}.",
            field="holiday_region",
        )


@cache
def zone(name: str) -> ZoneInfo:
    """Return the time zone ``name``, built once per process.

    ``ZoneInfo`` itself keeps only a few zones in memory; looking at all of them (as
    ``today_groups`` does on every list) would re-read hundreds of tzdata files per request.
    """
    return ZoneInfo(name)


def local_today(tz_name: str, now: dt.datetime | None = None) -> dt.date:
    """Return today's date in the time zone ``tz_name``."""
    return (now or timezone.now()).astimezone(zone(tz_name)).date()


def today_groups(now: dt.datetime | None = None) -> tuple[dt.date, dict[dt.date, list[str]]]:
    """Group every time zone by its local date now.

    At any instant the world spans at most three local dates. Return the date most zones share
    and, for each other date, the zones on it, so that a query can compare due dates with each
    contract's own today without a per-row conversion. Callers must not change the result.
    """
    now = now or timezone.now()
    # Every zone's UTC offset, and every change of one, falls on a quarter hour, so no zone's
    # date changes inside a quarter hour: the grouping of its start holds for all of it, and a
    # stream of requests groups the ~600 zones once a quarter hour rather than every time.
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return _groups_at(quarter)


@lru_cache(maxsize=8)
def _groups_at(now: dt.datetime) -> tuple[dt.date, dict[dt.date, list[str]]]:
    # A page that passes one ``now`` to all its selectors (the dashboard) groups zones once.
    groups: dict[dt.date, list[str]] = {}
    for name in sorted(all_time_zones()):
        groups.setdefault(local_today(name, now), []).append(name)
    common = max(groups, key=lambda day: len(groups[day]))
    return common, {day: names for day, names in groups.items() if day != common}


def left_out_note(titles: list[str], shown: int = 5) -> str:
    """Say which milestones a page or feed left out because a date is out of range ("" if none)."""
    if not titles:
        return ""
    named = ", ".join(f"'{title}'" for title in titles[:shown])
    more = f" and {len(titles) - shown} more" if len(titles) > shown else ""
    verb = "is" if len(titles) == 1 else "are"
    return (
        f"{named}{more} {verb} left out: a date is out of range (before {DATE_MIN.isoformat()} "
        f"or after {DATE_MAX.isoformat()}). Reschedule or cancel it, or ask an operator to run "
        "`milepost repair_dates`."
    )


def out_of_range_q(*fields: str) -> Q:
    """Rows with any of the date ``fields`` out of ``DATE_MIN``..``DATE_MAX`` (nulls are fine)."""
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__lt": DATE_MIN}) | Q(**{f"{name}__gt": DATE_MAX})
    return condition
