"""Helpers the test modules share: a signed-in client and the refusal check."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from milepost.accounts.models import User
from milepost.core.errors import DomainError


def signed_in(user: User, **options: Any) -> Client:
    """Return a new test client signed in as ``user`` (``options`` go to ``Client``)."""
    client = Client(**options)
    client.force_login(user)
    return client


def stored_rows() -> dict[str, list[str]]:
    """Return every row of every Milepost model as text, so a comparison shows any write.

    Each model's rows are sorted, so the comparison does not depend on the order the database
    returns them in. All the tables are read in one statement: a refused call reads the whole
    database twice, and a query per model (about 75) cost 20 ms a reading on SQLite and 40 ms
    on PostgreSQL, where each is a round trip.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    labels, sql = _rows_statement(connection.vendor)
    rows: dict[str, list[str]] = {label: [] for label in labels}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for index, text in cursor.fetchall():
            rows[labels[index]].append(text)
    for texts in rows.values():
        texts.sort()
    return rows


@functools.cache
def _rows_statement(vendor: str) -> tuple[list[str], str]:
    """Return the models' labels and one ``UNION ALL`` that reads each row as (index, text)."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    labels: list[str] = []
    parts: list[str] = []
    for model in apps.get_models():
        if not model._meta.app_config.name.startswith("milepost.") or model._meta.proxy:
            continue
        table = quote(model._meta.db_table)
        if vendor == "postgresql":
            text = "t::text"
        else:
            columns = [quote(field.column) for field in model._meta.concrete_fields]
            text = " || ',' || ".join(f"quote(t.{column})" for column in columns)
        parts.append(f"SELECT {len(labels)}, {text} FROM {table} AS t")
        labels.append(model._meta.label)
    return labels, " UNION ALL ".join(parts)


@contextmanager
def refused(
    code: str, field: str | None = None, *, error: type[DomainError] = DomainError
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect ``error`` with ``code`` and ``field`` from the block, and that nothing was written.

    Use as ``with refused("contract_closed", "contract") as caught:``; ``caught.value`` is the
    error. ``field`` is compared as given: leaving it out asserts the error names no field.
    """
    before = stored_rows()
    with pytest.raises(error) as caught:
        yield caught
    assert caught.value.code == code
    assert caught.value.field == field
    after = stored_rows()
    assert [label for label in before if after[label] != before[label]] == [], "written to"
