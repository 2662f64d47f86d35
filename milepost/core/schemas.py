"""Input types for the API that accept exactly what its OpenAPI document says."""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

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


def _iso_date_time(value: Any) -> Any:
    if isinstance(value, dt.datetime) or (isinstance(value, str) and _DATE_TIME.fullmatch(value)):
        return value
    raise ValueError("Give a date and time with its offset, as 2026-05-01T09:00:00+01:00.")


def _decimal(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(DECIMAL_PATTERN, value):
        raise ValueError("Give a number, such as 1250.00.")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
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
