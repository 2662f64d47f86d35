"""Date helpers: due dates are dates in a contract's time zone, instants are UTC."""

import datetime as dt
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

import holidays
from django.utils import timezone

from .errors import DomainError


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
    return _groups_at(now or timezone.now())


@lru_cache(maxsize=8)
def _groups_at(now: dt.datetime) -> tuple[dt.date, dict[dt.date, list[str]]]:
    # A page that passes one ``now`` to all its selectors (the dashboard) groups zones once.
    groups: dict[dt.date, list[str]] = {}
    for name in sorted(all_time_zones()):
        groups.setdefault(local_today(name, now), []).append(name)
    common = max(groups, key=lambda day: len(groups[day]))
    return common, {day: names for day, names in groups.items() if day != common}
