"""Input types for the API that accept exactly what its OpenAPI document says."""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .dates import DATE_MAX, DATE_MIN
from .text import NOTE_MAX, TEXT_MAX, TITLE_MAX

# pydantic on its own is lax: it
# takes 0 for a date (1970-01-01), a naive or numeric datetime, and " 1_000" for a decimal.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# Plain notation only: "1E+999999999" is a valid decimal to pydantic, and no amount at all.
DECIMAL_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) or (isinstance(value, str) and _DATE.fullmatch(value)):
        return value
    raise ValueError("Give a date as YYYY-MM-DD.")


DATE_OUT_OF_RANGE = "date_out_of_range"


def _date_in_range(value: dt.date) -> dt.date:
    # Services check each date against its own, narrower range (a milestone's contract term);
    # this refuses what no contract can hold, filters and calendar ranges included.
    if not DATE_MIN <= value <= DATE_MAX:
        # Well formed but refused: the API answers 422 with this code (config/api.py).
        raise PydanticCustomError(
            DATE_OUT_OF_RANGE,
            "{day} is out of range: give a date from {first} to {last}.",
            {"day": value.isoformat(), "first": DATE_MIN.isoformat(), "last": DATE_MAX.isoformat()},
        )
    return value


def _iso_date_time(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _DATE_TIME.fullmatch(value)):
        return value
    raise ValueError("Give a date and time with its offset, as 2026-05-01T09:00:00+01:00.")


def _decimal(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(DECIMAL_PATTERN, value):
        raise ValueError("Give a number, such as 1250.00.")
    return value


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"A date from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}.",
        },
        mode="validation",
    ),
]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_date_time)]
Amount = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": DECIMAL_PATTERN}]},
        mode="validation",
    ),
]

# A row id as the database stores it (a signed 64-bit integer): a larger one names no row.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class InputSchema(Schema):
    """A request body: exactly the fields its OpenAPI document lists.

    Any other field is refused (400 naming it): a misspelt or stale field would otherwise be
    dropped without a word, and the request would do something other than its sender meant.
    """

    model_config = ConfigDict(extra="forbid")


# Free text, limited as ``milepost.core.text`` says; the OpenAPI document shows each limit.
Title = Annotated[str, Field(max_length=TITLE_MAX)]
Note = Annotated[str, Field(max_length=NOTE_MAX)]
LongText = Annotated[str, Field(max_length=TEXT_MAX)]
# A person named by username (the column's width).
Username = Annotated[str, Field(max_length=150)]
# A short code from a fixed list, such as a channel or an event type; the service names the list.
Code = Annotated[str, Field(max_length=64)]
