"""The API's routes and OpenAPI operation ids are a contract with integrators.

Clients generated from the API document are named after the operation ids, so moving an endpoint
between modules must not rename it. `tests/data/api_operations.txt` lists every operation as
published (method, path, operation id); a new endpoint is added to the list on purpose.
"""

from pathlib import Path

from config.api import api

PUBLISHED = Path(__file__).parent / "data" / "api_operations.txt"


def _operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path} {operation['operationId']}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def test_every_published_operation_keeps_its_route_and_operation_id() -> None:
    published = set(PUBLISHED.read_text().splitlines())
    missing = sorted(published - _operations())
    assert not missing, "operations renamed or gone:\n" + "\n".join(missing)


def test_a_new_operation_is_published_on_purpose() -> None:
    published = set(PUBLISHED.read_text().splitlines())
    added = sorted(_operations() - published)
    assert not added, f"add to {PUBLISHED.name} if these are meant to be new:\n" + "\n".join(added)


def test_operation_ids_are_unique() -> None:
    ids = [line.rsplit(" ", 1)[1] for line in _operations()]
    assert len(ids) == len(set(ids))
