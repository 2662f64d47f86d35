"""The reminder scan builds its rows in SQL: the same rows, plans and deliveries as the Python
row builder it replaced (``tests/alerts_scan_reference.py``), on a varied world, at moments
that cover due-soon days, overdue repeats, escalations, a late worker's catch-up, a
daylight-saving change, digests, watchers, webhooks and bad rows."""

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from milepost.accounts.choices import Role
from milepost.accounts.models import User
from milepost.alerts.choices import Digest
from milepost.alerts.engine import events_fan_out, reminders_scan
from milepost.alerts.engine.delivery import deliver_due
from milepost.alerts.models import (
    AlertPreference,
    Notification,
    ReminderPlan,
    Watch,
    WebhookEndpoint,
    WorkerFailure,
)
from milepost.alerts.rules import reminder_rule_set
from milepost.alerts.webhooks import webhook_endpoint_create
from milepost.approvals.services import gate_create
from milepost.contracts.models import Party
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.performance.services import performance_milestone_create
from milepost.schedule.choices import Criticality, MilestoneStatus
from milepost.schedule.models import Milestone

from .alerts_scan_reference import reminders_scan_reference
from .conftest import World, make_user
from .peers import Receiver, webhook_receiver

# A Monday in winter; New York moves its clocks forward on Sunday 8 March 2026.
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
# The moments the worker scans at: today, the next days (New York's 02:00 on 8 March does not
# exist), then after two weeks down, and later still.
MOMENTS = [
    START,
    dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 5, 23, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 24, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 4, 20, 6, 0, tzinfo=dt.UTC),
]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.MILEPOST_WEBHOOK_ALLOW_PRIVATE = True
    with webhook_receiver() as found:
        yield found


def varied(w: World, receiver: Receiver) -> dict[str, Milestone]:
    """Three contracts, every kind of milestone, every level of rule, people in three time
    zones with every preference, watchers, webhook endpoints, and three inconsistent rows."""
    today = w.today
    new_york = w.other_contract(
        active=True,
        reference="NY-2026-7",
        title='Hudson "Pier 7" refit',
        time_zone="America/New_York",
        holiday_country="US",
    )
    ny_supplier = Party.objects.get(contract=new_york, organisation=w.supplier_org)
    ny_client = Party.objects.get(contract=new_york, organisation=w.client_org)
    consultant = make_user("cal", w.consultant_org, Role.ADMIN)
    User.objects.filter(pk=w.supplier_manager.pk).update(time_zone="America/New_York")
    User.objects.filter(pk=w.client_member.pk).update(time_zone="Pacific/Kiritimati")
    User.objects.filter(pk=consultant.pk).update(time_zone="Australia/Sydney")
    AlertPreference.objects.create(user=w.supplier_manager, hour=2, digest=Digest.DAILY)
    AlertPreference.objects.create(
        user=w.client_member, hour=23, digest=Digest.WEEKLY, digest_weekday=2
    )
    AlertPreference.objects.create(user=w.client_manager, email=False, hour=6)
    AlertPreference.objects.create(user=consultant, inapp=False, hour=0)
    made = {
        "soon": w.deliverable("Site survey", due_date=today + 7 * DAY),
        "critical": w.deliverable(
            "Façade “mock-up” signed off",
            due_date=today + 6 * DAY,
            criticality=Criticality.CRITICAL,
            acceptance_criteria="Élan's O'Brien & Søn sign it; " * 20,
        ),
        "gate": gate_create(
            contract=w.contract,
            title="Stage 2 gate",
            owner=w.supplier_manager,
            responsible_party=w.supplier,
            due_date=today - 5 * DAY,
            required_parties=[w.client, w.supplier],
            acceptance_criteria="Both parties approve.",
            actor=w.client_manager,
        ),
        "long_overdue": w.deliverable("As-built drawings", due_date=today - 40 * DAY),
        "kpi": performance_milestone_create(
            contract=w.contract,
            title="Help desk answers",
            owner=w.supplier_member,
            responsible_party=w.supplier,
            due_date=today + 14 * DAY,
            kpi_name="First response",
            unit="minutes",
            target=Decimal("15.50"),
            direction="at_most",
            period="month",
            measurement_start=dt.date(2026, 3, 1),
            actor=w.client_manager,
        ),
        "ny": w.deliverable(
            "Crane permit",
            contract=new_york,
            responsible_party=ny_supplier,
            accepting_party=ny_client,
            due_date=today + 6 * DAY,
            criticality=Criticality.CRITICAL,
            actor=w.client_manager,
        ),
        "ny_late": w.deliverable(
            "Cofferdam pumped dry",
            contract=new_york,
            responsible_party=ny_supplier,
            accepting_party=ny_client,
            due_date=today - 2 * DAY,
            criticality=Criticality.CRITICAL,
            actor=w.client_manager,
        ),
        "closed": w.deliverable("Hoarding up", due_date=today + 7 * DAY),
        "moved": w.deliverable("Scaffold inspected", due_date=today + 20 * DAY),
        "broken": w.deliverable("Old imported row", due_date=today + 7 * DAY),
    }
    made["paid"] = payment_milestone_create(
        contract=w.contract,
        title="Stage 1 payment",
        owner=w.client_member,
        due_date=today + DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=made["soon"],
        amount=Decimal("234567.891"),
        criticality=Criticality.CRITICAL,
        actor=w.client_manager,
    )
    made["no_terms"] = payment_milestone_create(
        contract=w.contract,
        title="Stage 2 payment",
        owner=w.client_member,
        due_date=today + 7 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=made["soon"],
        amount=Decimal("1000"),
        actor=w.client_manager,
    )
    # Rules at every level: the client's default, the New York contract's, one milestone's.
    reminder_rule_set(
        actor=w.client_manager,
        organisation=w.client_org,
        offsets=[10, 7, 2, 0],
        working_days=False,
        overdue_every=3,
        escalate_after=2,
        escalate_critical_to_counterparty=True,
        channels=["email", "inapp"],
    )
    reminder_rule_set(
        actor=w.client_manager,
        contract=new_york,
        offsets=[5, 1, 0],
        working_days=True,
        overdue_every=1,
        escalate_after=1,
        escalate_critical_to_counterparty=False,
        channels=["email", "inapp"],
    )
    reminder_rule_set(
        actor=w.client_manager,
        milestone=made["kpi"],
        offsets=[14, 3],
        working_days=False,
        overdue_every=0,
        escalate_after=None,
        escalate_critical_to_counterparty=False,
        channels=["inapp"],
    )
    for user, milestone in [
        (w.client_member, made["soon"]),
        (w.client_viewer, made["soon"]),
        (consultant, made["critical"]),
        (w.supplier_member, made["critical"]),  # the owner watching too: still one row
        (w.client_manager, made["ny"]),
    ]:
        Watch.objects.create(user=user, milestone=milestone)
    User.objects.filter(pk=w.client_viewer.pk).update(is_active=False)
    # Webhooks: every type; overdue and escalations only; one disabled; one of an outsider.
    admin = make_user("ada", w.client_org, Role.ADMIN)
    everything = webhook_endpoint_create(organisation=w.client_org, url=receiver.url, actor=admin)
    receiver.secret = everything.secret
    for org, types, disabled in [
        (w.supplier_org, ["milestone.overdue", "milestone.escalated"], None),
        (w.consultant_org, [], START),
        (w.outsider_org, [], None),
    ]:
        WebhookEndpoint.objects.create(
            organisation=org,
            url=receiver.url,
            secret=everything.secret,
            event_types=types,
            disabled_at=disabled,
        )
    events_fan_out(now=START)
    # Rows no service would write: terms gone, a milestone closed and one moved behind the
    # worker's back, and a date no arithmetic handles.
    PaymentTerms.objects.filter(milestone=made["no_terms"]).delete()
    Milestone.objects.filter(pk=made["closed"].pk).update(status=MilestoneStatus.MET)
    Milestone.objects.filter(pk=made["moved"].pk).update(due_date=today + 2 * DAY)
    Milestone.objects.filter(pk=made["broken"].pk).update(due_date=dt.date(9999, 12, 30))
    ReminderPlan.objects.filter(milestone__in=[made["moved"], made["closed"]]).update(
        next_at=START - DAY
    )
    return made


def notifications() -> dict[str, dict[str, Any]]:
    return {
        row["key"]: row
        for row in Notification.objects.values(
            *(
                f.attname
                for f in Notification._meta.concrete_fields
                if f.name not in ("id", "created_at")
            )
        )
    }


def state() -> dict[str, Any]:
    return {
        "notifications": notifications(),
        "plans": {
            p["milestone_id"]: p
            for p in ReminderPlan.objects.values(
                "milestone_id", "due_date", "done_through", "next_on", "next_at"
            )
        },
        "failures": sorted(
            WorkerFailure.objects.values_list(
                "unit", "object_id", "state", "attempts", "retry_after"
            )
        ),
    }


def drained(scan: Callable[..., int], now: dt.datetime) -> None:
    """Scan until nothing is due, a few plans a batch so that batches meet."""
    while scan(now=now, limit=4):
        pass


def delivered(now: dt.datetime, receiver: Receiver) -> dict[str, Any]:
    """What the queued rows become when delivered: emails and webhook bodies."""
    mail.outbox.clear()
    receiver.received.clear()
    while deliver_due(now=now, limit=100):
        pass

    def plain(text: str) -> str:  # message ids are row ids, which differ between two runs
        return " ".join(w for w in text.split() if "msg_" not in w)

    emails = sorted(
        (tuple(m.to), m.subject, plain(m.body), m.extra_headers.get("X-Milepost-Catch-Up", ""))
        for m in mail.outbox
    )
    hooks = sorted(
        json.dumps({k: v for k, v in json.loads(r.body).items() if k != "id"}, sort_keys=True)
        for r in receiver.received
    )
    return {"emails": emails, "webhooks": hooks, "refused": receiver.refused}


def both(now: dt.datetime, receiver: Receiver) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the Python builder and the SQL scan from the same state; keep the SQL one's."""
    with time_machine.travel(now, tick=False):
        with transaction.atomic():
            drained(reminders_scan_reference, now)
            python = state()
            python["delivered"] = delivered(now, receiver)
            transaction.set_rollback(True)
        drained(reminders_scan, now)
        sql = state()
        with transaction.atomic():
            sql["delivered"] = delivered(now, receiver)
            transaction.set_rollback(True)
    return python, sql


def test_the_sql_scan_queues_what_the_python_builder_did(w: World, receiver: Receiver) -> None:
    made = varied(w, receiver)
    seen: set[str] = set()
    for now in MOMENTS:
        python, sql = both(now, receiver)
        assert sql["notifications"].keys() == python["notifications"].keys(), now
        for key, row in python["notifications"].items():
            assert sql["notifications"][key] == row, (now, key)
        assert sql["plans"] == python["plans"], now
        assert sql["failures"] == python["failures"], now
        assert sql["delivered"] == python["delivered"], now
        assert not sql["delivered"]["refused"]
        seen |= {
            f"{row['channel']}:{row['kind']}:{row['catch_up']}"
            for row in sql["notifications"].values()
        }
    # The world did reach every path it was built for.
    assert {
        "inapp:reminder:False",
        "email:reminder:False",
        "digest:reminder:False",
        "webhook:reminder:False",
        "email:overdue:True",
        "webhook:escalation:False",
        "inapp:escalation:False",
    } <= seen
    queued = Notification.objects.filter(milestone=made["no_terms"]).first()
    assert queued is not None and queued.payload["milestone"]["consequence"] == ""
    assert not Notification.objects.filter(milestone=made["closed"], fire_on__isnull=False).exists()
    assert WorkerFailure.objects.filter(object_id=made["broken"].pk).exists()
    assert not Notification.objects.filter(user=w.client_viewer).exists()


def test_the_scan_sends_the_words_of_each_kind(w: World, receiver: Receiver, clock) -> None:
    made = varied(w, receiver)
    reminders_scan(now=START)
    clock.move_to(START + 4 * DAY)
    reminders_scan(now=START + 4 * DAY)

    def said(key: str) -> dict[str, Any]:
        found = Notification.objects.filter(milestone=made[key], fire_on__isnull=False)
        row = found.order_by("fire_on", "pk").first()
        assert row is not None
        return row.payload

    # Today has begun in Kiribati, where it is already 3 March: the payment's day.
    paid = said("paid")
    assert paid["summary"] == "[HCC-2026-001] Stage 1 payment is due today (03 Mar 2026)"
    assert paid["milestone"]["consequence"] == (
        "Critical: missing it puts the contract itself at risk. A payment of 234,567.89 GBP "
        "from Harbour City Council to Northgate Construction waits on it."
    )
    critical = said("critical")
    assert critical["summary"] == (
        "[HCC-2026-001] Façade “mock-up” signed off is due in 2 days (08 Mar 2026)"
    )
    opening = "Critical: missing it puts the contract itself at risk. Acceptance: "
    assert (
        critical["milestone"]["consequence"]
        == opening + ("Élan's O'Brien & Søn sign it; " * 20)[:300]
    )
    assert critical["milestone"]["owner"] == str(w.supplier_member)
    assert critical["milestone"]["url"].endswith(f"/{made['critical'].pk}/")
    assert said("kpi")["milestone"]["consequence"] == (
        "Performance target: First response at most 15.5 minutes."
    )
    assert said("gate")["milestone"]["consequence"] == (
        "Critical: missing it puts the contract itself at risk. "
        "A gate: work does not move on until every required party approves."
    )


def test_a_scan_costs_the_same_few_queries_for_many_plans(w: World, receiver: Receiver) -> None:
    varied(w, receiver)
    with time_machine.travel(START, tick=False), CaptureQueriesContext(connection) as few:
        reminders_scan(now=START, limit=1)
    with time_machine.travel(START, tick=False), CaptureQueriesContext(connection) as many:
        reminders_scan(now=START)
    # Not one query per plan or per row: a fixed set, plus one UPDATE per group of plans that
    # share their dates and rule.
    assert len(many) <= len(few) + 12


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner settings are PostgreSQL's"
)
def test_a_scan_inside_a_callers_transaction_puts_its_planner_settings_back(
    w: World, receiver: Receiver
) -> None:
    varied(w, receiver)

    def settings() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('random_page_cost'), current_setting('enable_mergejoin')"
            )
            return cursor.fetchone()

    with transaction.atomic():
        before = settings()
        with time_machine.travel(START, tick=False):
            assert reminders_scan(now=START) > 0  # the batch is a savepoint of this transaction
        # what the batch set for its own queries does not outlive it
        assert settings() == before == ("4", "on")
