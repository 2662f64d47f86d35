import os

from django.db import connection

from milepost.audit.selectors import chain_verify


def test_world_fixture_builds_an_active_contract_with_an_intact_audit_chain(world):
    assert world.contract.status == "active"
    assert world.contract.parties.count() == 3
    assert chain_verify().intact


def test_the_postgres_run_really_runs_on_postgres(db):
    expected = "postgresql" if os.environ.get("MILEPOST_TEST_POSTGRES") == "1" else "sqlite"
    assert connection.vendor == expected


def test_no_template_comment_spans_lines():
    # Django's {# … #} ends on its own line; one that goes on is printed on the page as text.
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "milepost"
    spanning = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert spanning == []
