"""Form fields for choosing from long lists: a time zone, a holiday country and its regions.

A time zone is typed into a text box that suggests the names as one types (a native
``<datalist>``: no script, every browser), and checked on the server against the zone list. A
holiday country is a list of the countries the ``holidays`` package knows, by name; its region a
list of that country's subdivisions, redrawn when the country changes (htmx asks
``holiday_region_url`` for it; without JavaScript the next submission redraws it).
"""

import re
from functools import cache
from typing import Any

import holidays
from django import forms
from holidays.registry import COUNTRIES

from milepost.core.dates import all_time_zones

NO_REGION = ("", "None: the whole country's public holidays")


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in all_time_zones()}


@cache
def time_zone_names() -> tuple[str, ...]:
    """Return every time zone name, in alphabetical order."""
    return tuple(sorted(all_time_zones()))


class TimeZoneInput(forms.TextInput):
    """A text box that suggests time zone names as one types."""

    template_name = "web/widgets/time_zone.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"autocapitalize": "none", "spellcheck": "false", "class": "time-zone"}
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}-list"
        context["widget"]["attrs"]["list"] = list_id
        context["list_id"] = list_id
        context["zones"] = time_zone_names()
        return context


class TimeZoneField(forms.CharField):
    """A time zone by its IANA name, typed with suggestions; any case is accepted."""

    widget = TimeZoneInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        name = str(super().clean(value)).strip()
        if not name and not self.required:
            return ""
        found = _zones_by_lower_name().get(name.lower())
        if found is None:
            raise forms.ValidationError(
                f"'{name}' is not a time zone: choose one from the list as you type, "
                "such as Europe/London.",
                code="invalid_time_zone",
            )
        return found


def _words(class_name: str) -> str:
    # "UnitedKingdom" -> "United Kingdom"; the package names each country's class so.
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


@cache
def holiday_countries() -> frozenset[str]:
    """Return every country code (alpha-2 and alpha-3) with a holiday calendar."""
    return frozenset(holidays.list_supported_countries())


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    """Return (code, "Name") for every country with a holiday calendar, by name."""
    supported = holidays.list_supported_countries()
    named = {entry[1]: _words(entry[0]) for entry in COUNTRIES.values() if entry[1] in supported}
    return tuple(sorted(named.items(), key=lambda item: item[1]))


def region_choices(country: str) -> tuple[tuple[str, str], ...]:
    """Return (code, "Name (code)") for each region of ``country``; none for an unknown one."""
    code = country.strip().upper()
    # Only a known country reaches the cache, so typed input cannot grow it.
    return _regions(code) if code in holiday_countries() else ()


@cache
def _regions(country: str) -> tuple[tuple[str, str], ...]:
    codes = holidays.list_supported_countries()[country]
    aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {})
    names: dict[str, str] = {}
    for alias, code in aliases.items():
        # Some aliases are other codes ("GP" for 971); a name has a lower-case letter.
        if code not in names and alias != alias.upper():
            names[code] = alias
    return tuple((code, f"{names[code]} ({code})" if code in names else code) for code in codes)


def country_field_choices(current: str) -> list[tuple[str, str]]:
    """The country list, keeping a code stored before (an alpha-3 code, say) that it lacks."""
    choices = list(country_choices())
    if current and current not in dict(choices):
        choices.insert(0, (current, current))
    return choices


def region_field_choices(country: str) -> list[tuple[str, str]]:
    """The region list of ``country``, led by "none"."""
    return [NO_REGION, *region_choices(country)]
