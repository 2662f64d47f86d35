"""Schemathesis against the live API: its OpenAPI document, every default check, every phase.

The server is pytest-django's ``live_server`` (real HTTP on loopback, real database) and the
schema is read from it over HTTP. Schemathesis runs as ``st run`` runs, but in this process
(``schemathesis.pytest.from_fixture`` does not work on pytest 9.2, whose node ids changed), so
that the auth provider below can mint tokens straight into the test database.

Run it alone with ``.venv/bin/python -m pytest tests/test_schemathesis.py``; on a failure the
assertion shows Schemathesis's report, with a curl command and an ``st replay`` id per case.
"""

import datetime as dt
import json
import re
import threading

import pytest
import schemathesis
from click.testing import CliRunner
from django.db import connections
from schemathesis.cli import schemathesis as st

from milepost.accounts.services import api_token_create
from milepost.approvals.services import gate_create
from milepost.payments.services import payment_milestone_create
from milepost.performance.choices import Direction, Period
from milepost.performance.services import performance_milestone_create
from milepost.schedule.dependencies import dependency_add

DAY = dt.timedelta(days=1)
# Bounds: about a minute and a half on a 2-core machine. Fuzzing draws MAX_EXAMPLES cases per
# operation; the coverage phase adds its boundary and negative cases for every parameter.
MAX_EXAMPLES = 10
MAX_STEPS = 20
# How often a generated identifier or reference is one that exists (else it is random).
KNOWN = 0.75
# The stateful phase must walk at least this many links between operations (it walks ~60).
MIN_LINKS_COVERED = 20

CONFIG = """
seed = 20260611
workers = 1
# Django's test server answers a kept-alive connection ~40 ms late (Nagle's algorithm meets
# delayed ACKs); a fresh connection per request is four times faster on loopback.
headers = {{ Connection = "close" }}
suppress-health-check = ["too_slow", "filter_too_much"]

[generation]
max-examples = {max_examples}
deterministic = true
database = "none"

[phases.stateful]
max-steps = {max_steps}

# This API answers 422 when a business rule refuses well-formed input (a transition the status
# table forbids, a username that is no member, a party of another contract): the schema cannot
# say which rows exist or what state they are in. A 400 for schema-valid input still fails.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[warnings]
fail-on = ["missing_auth"]

# No crash files under .schemathesis/: a run does not depend on the one before.
[cache]
enabled = false

[reports.json]
enabled = true
path = "{report}"
{dictionaries}
"""


@pytest.fixture
def seeded(world):
    """The world's contract with a milestone of each kind; return what the run may refer to."""
    foundation = world.deliverable("Foundation complete")
    structure = world.deliverable("Structure complete", due_date=world.today + 120 * DAY)
    dependency = dependency_add(
        predecessor=foundation, successor=structure, actor=world.client_manager
    )
    payment = payment_milestone_create(
        contract=world.contract,
        title="Foundation payment",
        owner=world.client_member,
        due_date=world.today + 60 * DAY,
        payer=world.client,
        payee=world.supplier,
        trigger=foundation,
        percentage="30",
        actor=world.client_manager,
    )
    kpi = performance_milestone_create(
        contract=world.contract,
        title="Site availability",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + 90 * DAY,
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction=Direction.AT_LEAST,
        period=Period.DAY,
        measurement_start=world.contract.start_date,
        actor=world.supplier_manager,
    )
    gate = gate_create(
        contract=world.contract,
        title="Design freeze",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + 45 * DAY,
        required_parties=[world.client, world.consultant],
        acceptance_criteria="Client and engineer sign the stage 4 design report.",
        actor=world.supplier_manager,
    )
    milestones = [m.pk for m in (foundation, structure, payment, kpi, gate)]
    parties = [p.pk for p in (world.client, world.supplier, world.consultant)]
    organisations = [
        o.slug
        for o in (world.client_org, world.supplier_org, world.consultant_org, world.outsider_org)
    ]
    usernames = [u.username for u in (world.client_member, world.supplier_member)]
    return {
        "contracts": ([world.contract.pk], ["path.contract_id", "query.contract"]),
        "milestones": (
            milestones,
            ["path.milestone_id", "body.trigger_id", "body.predecessor_id"],
        ),
        "parties": (
            parties,
            [
                "path.party_id",
                "query.responsible_party",
                "body.responsible_party",
                "body.accepting_party",
                "body.payer",
                "body.payee",
                "body.party_id",
            ],
        ),
        "dependencies": ([dependency.pk], ["path.dependency_id"]),
        "organisations": (organisations, ["body.organisation"]),
        "usernames": (usernames, ["body.owner", "query.owner"]),
        # Values a new contract needs, so that POST /contracts succeeds and its links are walked.
        "currencies": (["GBP", "EUR"], ["body.currency"]),
        "amounts": (["250000.00", "1000"], ["body.value", "body.amount"]),
        "time_zones": (["Europe/London", "Europe/Dublin"], ["body.time_zone"]),
        "countries": (["GB", "IE"], ["body.holiday_country"]),
        "starts": ([str(world.today)], ["body.start_date"]),
        "ends": ([str(world.today + 300 * DAY)], ["body.end_date"]),
    }


def dictionaries_toml(seeded):
    """Bind each parameter to the identifiers that exist, drawn ``KNOWN`` of the time."""
    lines = []
    bindings = []
    for name, (values, parameters) in seeded.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
        bindings += [
            f'"{parameter}" = {{ dictionary = "{name}", probability = {KNOWN} }}'
            for parameter in parameters
        ]
    return "\n".join([*lines, "[parameters]", *bindings])


@pytest.fixture
def token_auth(world):
    """Send a bearer token of the client's manager, minting a new one after any 401.

    The run revokes tokens (``POST /tokens/{token_id}/revoke`` is under test too), its own among
    them; Schemathesis then asks for a fresh token and replays the request.
    """

    @schemathesis.auth(refresh_interval=3600)
    class ManagerToken:
        def get(self, case, context):
            _, raw = api_token_create(user=world.client_manager, name="schemathesis")
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()  # Schemathesis calls this from its worker thread
            return raw

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    yield
    schemathesis.auths.unregister()


def test_live_api_passes_every_schemathesis_check(live_server, seeded, token_auth, tmp_path):
    report = tmp_path / "report.json"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            max_examples=MAX_EXAMPLES,
            max_steps=MAX_STEPS,
            report=report,
            dictionaries=dictionaries_toml(seeded),
        )
    )
    url = f"{live_server.url}/api/v1/openapi.json"
    result = CliRunner().invoke(
        st, ["--config-file", str(config), "--no-color", "run", url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    outcome = json.loads(report.read_text())
    assert outcome["complete"] and outcome["operations"]["tested"] == outcome["operations"]["total"]
    # The stateful phase chained calls along the document's links (inferred by Schemathesis
    # from the schemas, e.g. POST /contracts -> GET /contracts/{contract_id}).
    covered = re.search(r"API Links:\s+(\d+) covered", result.output)
    assert covered and int(covered[1]) >= MIN_LINKS_COVERED, result.output
