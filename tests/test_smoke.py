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
