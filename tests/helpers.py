"""Helpers the test modules share: a signed-in client and the refusal check."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from milepost.accounts.models import User
from milepost.core.errors import DomainError


def signed_in(user: User, **options: Any) -> Client:
    """Return a new test client signed in as ``user`` (``options`` go to ``Client``)."""
    client = Client(**options)
    client.force_login(user)
    return client


def stored_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every Milepost model, so a comparison shows any write."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_config.name.startswith("milepost.")
    }


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
