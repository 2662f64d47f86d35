"""Every event type reads as a sentence; the history, emails and webhooks show the same one.

Each declared event type must have a sentence (``@sentence`` in its app's ``events.py``) and an
example of what its service records: in ``SAMPLES`` below, or ``example=`` on the declaration.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from milepost.accounts.choices import Role
from milepost.accounts.services import api_token_create, user_update_profile
from milepost.alerts.choices import Channel
from milepost.alerts.engine import tick
from milepost.alerts.inbox import watch_add
from milepost.alerts.models import Notification
from milepost.alerts.webhooks import webhook_endpoint_create
from milepost.approvals.choices import Decision
from milepost.approvals.events import gate_name
from milepost.approvals.services import gate_create, gate_decide
from milepost.audit.events import declared_event_types
from milepost.audit.models import Event
from milepost.audit.sentences import (
    ContractName,
    Names,
    event_sentence,
    event_sentences,
    sentence_example,
    types_without_sentence,
)
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.services import milestone_reschedule, milestone_set_status

from .conftest import World, make_user
from .peers import Inbox

# A Monday in winter: London is on UTC, so the contract's today is 1 February 2027.
START = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

# What each service records (from the demo's trail and the services' event_record calls).
SAMPLES: dict[str, dict] = {
    "baseline.created": {
        "object_type": "schedule.baseline",
        "after": {"name": "Accepted programme v1", "milestones": 9},
    },
    "change_request.approved": {
        "object_type": "schedule.changerequest",
        "before": {"status": "pending"},
        "after": {
            "status": "approved",
            "note": "Agreed at the progress meeting.",
            "moved": 1,
            "conflicts": 0,
        },
    },
    "change_request.submitted": {
        "object_type": "schedule.changerequest",
        "after": {
            "reason": "Steel delivery moved by the fabricator.",
            "old_due_date": "2026-12-09",
            "new_due_date": "2026-12-16",
            "old_amount": None,
            "new_amount": None,
            "moves": 1,
            "conflicts": 0,
            "payments_delayed": 1,
        },
    },
    "comment.added": {
        "object_type": "schedule.comment",
        "after": {"text": "Awaiting M&E inspection before we can approve."},
    },
    "contract.created": {
        "object_type": "contracts.contract",
        "after": {
            "reference": "HCC-2026-014",
            "title": "Harbour Library extension (JCT design and build)",
            "description": "Two-storey extension to the Harbour Library with a new reading room and archive store.",
            "start_date": "2026-07-09",
            "end_date": "2027-08-03",
            "time_zone": "Europe/London",
            "holiday_country": "GB",
            "holiday_region": "ENG",
            "at_risk_threshold": 70,
            "self_reschedule": True,
            "stale_update_days": 14,
            "value": "4800000.00",
            "currency": "GBP",
        },
    },
    "contract.status_changed": {
        "object_type": "contracts.contract",
        "before": {"status": "draft"},
        "after": {"status": "active"},
    },
    "deliverable.accepted": {
        "object_type": "schedule.milestone",
        "before": {"status": "scheduled", "met_on": None, "progress": 0},
        "after": {
            "status": "met",
            "met_on": "2026-10-27",
            "progress": 100,
            "reason": "Engineer's certificate FC-07 received.",
        },
    },
    "dependency.added": {
        "object_type": "schedule.dependency",
        "after": {
            "predecessor": "Site access approved",
            "successor": "Foundations complete",
            "type": "FS",
            "lag": 0,
            "working_days": False,
        },
    },
    "dependency.updated": {
        "object_type": "schedule.dependency",
        "before": {"type": "FS", "lag": 0, "working_days": False},
        "after": {"type": "FS", "lag": 5, "working_days": True},
    },
    "early_warning.raised": {
        "object_type": "schedule.earlywarning",
        "after": {
            "title": "Steel fabricator capacity",
            "description": "The fabricator is running two weeks behind on another job.",
            "likelihood": 3,
            "impact": 4,
            "owner": "sam",
            "mitigation": "Second fabricator on standby; weekly capacity call.",
            "milestones": [3, 6],
            "score": 12,
            "raised_by_party_id": 2,
        },
    },
    "forecast.run": {
        "object_type": "schedule.forecastrun",
        "after": {
            "seed": 1,
            "runs": 10000,
            "as_of": "2026-12-06",
            "threshold": 70,
            "inputs_digest": "9c523ad5917277e1018c93211d95dbf87eec622f914f7c9c20c48a3f4af75b26",
            "milestones": 6,
            "finish_p50": "2027-07-08",
            "finish_p80": "2027-07-26",
            "on_time_probability": 0.8647,
            "at_risk": 6,
            "signalled": 0,
            "bases": {"estimate": 1, "prior": 5},
        },
    },
    "gate.approver_required": {
        "object_type": "approvals.gaterequirement",
        "after": {"party": "Harbour City Council"},
    },
    "gate.decided": {
        "object_type": "approvals.gatedecision",
        "after": {
            "party": "Harbour City Council",
            "decision": "approve",
            "comment": "Traffic plan agreed with highways.",
            "decided_on": "2026-08-04",
        },
    },
    "gate.passed": {
        "object_type": "schedule.milestone",
        "before": {"status": "in_progress", "met_on": None, "progress": 100},
        "after": {"status": "met", "met_on": "2026-08-06", "progress": 100},
    },
    "kpi.set": {
        "object_type": "performance.kpi",
        "after": {
            "name": "Availability",
            "unit": "%",
            "target": "99.5000",
            "direction": "at_least",
            "period": "month",
            "measurement_start": "2026-09-01",
        },
    },
    "measurement.recorded": {
        "object_type": "performance.measurement",
        "after": {"period_start": "2026-09-01", "value": "99.8200", "passed": True},
    },
    "membership.set": {
        "object_type": "accounts.membership",
        "after": {"user": "cora", "organisation": "harbour-city-council", "role": "manager"},
    },
    "milestone.anchor_set": {
        "object_type": "schedule.milestone",
        "before": {"anchor": None, "event": "", "offset": 0, "working_days": False},
        "after": {
            "anchor": "Practical completion",
            "event": "met",
            "offset": 14,
            "working_days": False,
        },
    },
    "milestone.created": {
        "object_type": "schedule.milestone",
        "after": {
            "kind": "gate",
            "title": "Site access approved",
            "description": "",
            "owner": "cora",
            "criticality": "critical",
            "acceptance_criteria": "Hoarding, traffic management plan and CDM notice in place.",
            "responsible_party": "Harbour City Council",
            "accepting_party": None,
            "due_date": "2026-08-08",
        },
    },
    "milestone.evaluated": {
        "object_type": "schedule.milestone",
        "before": {"status": "scheduled", "met_on": None, "progress": 17},
        "after": {
            "status": "in_progress",
            "met_on": None,
            "progress": 17,
            "reason": "1 of 1 periods on target",
        },
    },
    "milestone.pinned": {
        "object_type": "schedule.milestone",
        "before": {"pinned": False},
        "after": {"pinned": True, "due_date": "2027-06-24"},
    },
    "milestone.planned": {
        "object_type": "schedule.milestone",
        "before": {
            "estimate_optimistic": None,
            "estimate_likely": None,
            "estimate_pessimistic": None,
        },
        "after": {"estimate_optimistic": 4, "estimate_likely": 8, "estimate_pessimistic": 15},
    },
    "milestone.progressed": {
        "object_type": "schedule.milestone",
        "before": {"progress": 0},
        "after": {"progress": 40},
    },
    "milestone.rescheduled": {
        "object_type": "schedule.milestone",
        "before": {"due_date": "2027-07-24", "start_date": None},
        "after": {
            "due_date": "2027-07-08",
            "start_date": None,
            "baseline_due_date": "2027-07-24",
            "reason": "Follows 'Practical completion': due date made relative",
            "cause": "due date made relative",
            "driven_by": "Practical completion",
            "basis": "14 days after Practical completion is met (not yet: counted from its due date 24 June 2027)",
        },
    },
    "milestone.status_changed": {
        "object_type": "schedule.milestone",
        "before": {"status": "scheduled", "met_on": None, "progress": 50},
        "after": {"status": "in_progress", "met_on": None, "progress": 50},
    },
    "organisation.created": {
        "object_type": "accounts.organisation",
        "after": {"name": "Harbour City Council", "slug": "harbour-city-council"},
    },
    "party.added": {
        "object_type": "contracts.party",
        "after": {"organisation": "Harbour City Council", "role": "client"},
    },
    "payment.invoiced": {
        "object_type": "payments.paymentterms",
        "after": {
            "invoiced_on": "2026-10-29",
            "invoiced_amount": "1440000.00",
            "retention": "72000.00",
        },
    },
    "payment.paid": {
        "object_type": "payments.paymentterms",
        "before": {"paid_on": None, "paid_amount": "0.00"},
        "after": {"paid_on": "2026-11-24", "paid_amount": "1368000.00", "received": "1368000.00"},
    },
    "payment.terms_set": {
        "object_type": "payments.paymentterms",
        "after": {
            "basis": "percentage",
            "amount": "1440000.00",
            "percentage": "30.0000",
            "currency": "GBP",
            "payer": "Harbour City Council",
            "payee": "Northgate Construction Ltd",
            "trigger": "Foundations complete",
            "retention_percent": "5",
        },
    },
    "recovery_action.added": {
        "object_type": "schedule.recoveryaction",
        "after": {
            "cause": "CCTV footage review backlog at the survey firm.",
            "plan": "Review the footage in-house and issue the report with the firm's sign-off.",
            "owner": "sid",
            "new_target": "2026-12-13",
        },
    },
    "reminder_rule.set": {
        "object_type": "alerts.reminderrule",
        "after": {
            "organisation": 1,
            "contract": None,
            "milestone": None,
            "offsets": [14, 7, 3, 1, 0],
            "working_days": True,
            "overdue_every": 2,
            "escalate_after": 3,
            "escalate_critical_to_counterparty": True,
            "channels": ["email", "inapp"],
        },
    },
    "status_update.posted": {
        "object_type": "schedule.statusupdate",
        "after": {"text": "Level 2 slab poured; roof steel arrives next week.", "progress": 40},
    },
    "user.created": {
        "object_type": "accounts.user",
        "after": {"username": "cora", "email": "cora@demo.milepost.invalid", "operator": False},
    },
    "watch.added": {"object_type": "accounts.user", "after": {"contract": 1}},
    "alert_preference.changed": {
        "object_type": "alerts.alertpreference",
        "before": {"digest": "none", "hour": 8},
        "after": {"digest": "daily", "hour": 17},
    },
    "alert_preference.unsubscribed": {
        "object_type": "alerts.watch",
        "before": {"watch": "c1"},
        "after": {"watch": None},
    },
    "api_token.created": {
        "object_type": "accounts.apitoken",
        "after": {
            "name": "Finance sync",
            "prefix": "mp_ab12",
            "read_only": True,
            "expires_at": "2027-03-01T00:00:00Z",
        },
    },
    "api_token.revoked": {"object_type": "accounts.apitoken", "after": {"prefix": "mp_ab12"}},
    "api_token.throttled": {
        "object_type": "accounts.apitokenfailure",
        "after": {"ip_address": "127.0.0.1", "failures": 20, "minutes": 15},
    },
    "backup.taken": {
        "object_type": "backups.backup",
        "after": {
            "path": "/srv/b.tar",
            "taken_at": "2026-12-06T10:00:00Z",
            "vendor": "sqlite",
            "audit_events": 149,
            "audit_head": "ab",
            "evidence_files": 3,
            "evidence_problems": 0,
        },
    },
    "backup.restored": {
        "object_type": "backups.backup",
        "after": {
            "path": "/srv/b.tar",
            "taken_at": "2026-12-06T10:00:00Z",
            "vendor": "sqlite",
            "audit_events": 1,
            "audit_head": "ab",
            "evidence_files": 0,
            "evidence_problems": 0,
        },
    },
    "baseline.deleted": {
        "object_type": "schedule.baseline",
        "before": {"name": "Accepted programme v1"},
    },
    "change_request.rejected": {
        "object_type": "schedule.changerequest",
        "before": {"status": "pending"},
        "after": {"status": "rejected", "note": "No float left."},
    },
    "change_request.withdrawn": {
        "object_type": "schedule.changerequest",
        "before": {"status": "pending"},
        "after": {"status": "withdrawn"},
    },
    "contract.revalued": {
        "object_type": "contracts.contract",
        "before": {"value": "4800000.00"},
        "after": {"value": "5000000.00"},
    },
    "contract.updated": {
        "object_type": "contracts.contract",
        "before": {"end_date": "2027-08-03", "self_reschedule": True},
        "after": {"end_date": "2027-08-17", "self_reschedule": False},
    },
    "dates.repaired": {
        "object_type": "schedule.milestone",
        "before": {"due_date": "0201-01-01"},
        "after": {"due_date": "2027-01-04"},
    },
    "deliverable.rejected": {
        "object_type": "schedule.milestone",
        "after": {"comment": "Drawings missing.", "status": "in_progress"},
    },
    "deliverable.submitted": {
        "object_type": "schedule.milestone",
        "after": {"note": "All modules delivered.", "evidence": [4, 5]},
    },
    "dependency.removed": {
        "object_type": "schedule.dependency",
        "before": {
            "predecessor": "Foundations complete",
            "successor": "Structure topped out",
            "type": "FS",
            "lag": 0,
            "working_days": False,
        },
    },
    "early_warning.closed": {
        "object_type": "schedule.earlywarning",
        "before": {"status": "open"},
        "after": {"status": "closed", "note": "Second fabricator booked."},
    },
    "early_warning.reopened": {
        "object_type": "schedule.earlywarning",
        "before": {"status": "closed"},
        "after": {"status": "open"},
    },
    "early_warning.updated": {
        "object_type": "schedule.earlywarning",
        "before": {"likelihood": 3, "owner": "sam", "milestones": [2]},
        "after": {"likelihood": 4, "owner": "cora", "milestones": [2, 3]},
    },
    "evidence.added": {
        "object_type": "schedule.evidence",
        "after": {"name": "certificate.pdf", "size": 2048, "sha256": "ab"},
    },
    "feed_token.created": {
        "object_type": "alerts.feedtoken",
        "after": {"user": "cora", "contract_id": 1},
    },
    "feed_token.rotated": {
        "object_type": "alerts.feedtoken",
        "after": {"user": "cora", "contract_id": None},
    },
    "feed_token.revoked": {
        "object_type": "alerts.feedtoken",
        "before": {"user": "cora", "contract_id": 1},
    },
    "gate.rejected": {
        "object_type": "schedule.milestone",
        "before": {"status": "in_progress", "met_on": None, "progress": 50},
        "after": {
            "status": "not_met",
            "met_on": None,
            "progress": 50,
            "reason": "Rejected by Harbour City Council: Programme not accepted.",
        },
    },
    "gate.reopened": {
        "object_type": "schedule.milestone",
        "before": {"status": "not_met", "met_on": None, "progress": 0},
        "after": {
            "status": "in_progress",
            "met_on": None,
            "progress": 0,
            "reason": "Revised programme issued.",
        },
    },
    "login.locked_out": {
        "object_type": "axes.accessattempt",
        "after": {
            "username": "cora",
            "ip_address": "127.0.0.1",
            "path": "/login/",
            "failures": 5,
            "minutes": 15,
        },
    },
    "login.unlocked": {
        "object_type": "axes.accessattempt",
        "after": {"username": "cora", "ip_address": "", "failures": 5},
    },
    "membership.created_by_operator": {
        "object_type": "accounts.membership",
        "after": {"fields": ["role"]},
    },
    "membership.changed_by_operator": {
        "object_type": "accounts.membership",
        "after": {"fields": ["role"]},
    },
    "membership.deleted_by_operator": {"object_type": "accounts.membership"},
    "organisation.created_by_operator": {
        "object_type": "accounts.organisation",
        "after": {"fields": ["name", "slug"]},
    },
    "organisation.changed_by_operator": {
        "object_type": "accounts.organisation",
        "after": {"fields": ["name"]},
    },
    "organisation.deleted_by_operator": {"object_type": "accounts.organisation"},
    "user.created_by_operator": {"object_type": "accounts.user", "after": {"fields": ["username"]}},
    "user.changed_by_operator": {
        "object_type": "accounts.user",
        "after": {"fields": ["email", "first_name"]},
    },
    "user.deleted_by_operator": {"object_type": "accounts.user"},
    "user.profile_changed": {
        "object_type": "accounts.user",
        "before": {"time_zone": "Europe/London"},
        "after": {"time_zone": "Europe/Paris"},
    },
    "milestone.anchor_cleared": {
        "object_type": "schedule.milestone",
        "before": {
            "anchor": "Practical completion",
            "event": "met",
            "offset": 14,
            "working_days": False,
        },
        "after": {"anchor": None, "event": "", "offset": 0, "working_days": False},
    },
    "milestone.schedule_conflict": {
        "object_type": "schedule.milestone",
        "after": {
            "conflict": "Pinned to 24 Jun 2027, but what it follows ends on 8 Jul 2027.",
            "cause": "change request #2 approved",
        },
    },
    "milestone.unpinned": {
        "object_type": "schedule.milestone",
        "before": {"pinned": True},
        "after": {"pinned": False, "due_date": "2027-06-24"},
    },
    "milestone.updated": {
        "object_type": "schedule.milestone",
        "before": {"owner": "sid", "criticality": "standard"},
        "after": {"owner": "sam", "criticality": "critical"},
    },
    "non_working_day.added": {
        "object_type": "contracts.nonworkingday",
        "after": {"day": "2026-12-29", "reason": "Site shutdown."},
    },
    "non_working_day.removed": {
        "object_type": "contracts.nonworkingday",
        "before": {"day": "2026-12-29", "reason": "Site shutdown."},
    },
    "party.removed": {
        "object_type": "contracts.party",
        "before": {"organisation": "Arden Project Management", "role": "consultant"},
    },
    "payment.rescaled": {
        "object_type": "payments.paymentterms",
        "before": {"amount": "1440000.00"},
        "after": {"amount": "1500000.00"},
    },
    "payment.terms_changed": {
        "object_type": "payments.paymentterms",
        "before": {"basis": "percentage", "amount": "1440000.00", "percentage": "30.0000"},
        "after": {"basis": "amount", "amount": "1500000.00", "percentage": "31.2500"},
    },
    "recovery_action.completed": {
        "object_type": "schedule.recoveryaction",
        "before": {"status": "open"},
        "after": {"status": "done"},
    },
    "recovery_action.updated": {
        "object_type": "schedule.recoveryaction",
        "before": {"new_target": "2026-12-13"},
        "after": {"new_target": "2026-12-20"},
    },
    "reminder_rule.cleared": {
        "object_type": "alerts.reminderrule",
        "before": {
            "organisation": None,
            "contract": 1,
            "milestone": None,
            "offsets": [7, 1],
            "working_days": True,
            "overdue_every": 2,
            "escalate_after": 3,
            "escalate_critical_to_counterparty": True,
            "channels": ["email"],
        },
    },
    "watch.removed": {"object_type": "accounts.user", "before": {"milestone": 2}},
    "webhook_endpoint.created": {
        "object_type": "alerts.webhookendpoint",
        "after": {
            "organisation": "harbour-city-council",
            "url": "https://hooks.example.test/in",
            "description": "ERP",
            "event_types": ["milestone.met"],
        },
    },
    "webhook_endpoint.updated": {
        "object_type": "alerts.webhookendpoint",
        "before": {"event_types": ["milestone.met"]},
        "after": {"event_types": ["milestone.met", "payment.recorded"]},
    },
    "webhook_endpoint.deleted": {
        "object_type": "alerts.webhookendpoint",
        "before": {
            "organisation": "harbour-city-council",
            "url": "https://hooks.example.test/in",
            "description": "",
            "event_types": [],
        },
    },
    "webhook_endpoint.secret_rotated": {"object_type": "alerts.webhookendpoint"},
    "webhook_endpoint.enabled": {
        "object_type": "alerts.webhookendpoint",
        "before": {"disabled_at": "2026-12-01T10:00:00Z", "disabled_reason": "Failing for 3 days."},
    },
    "webhook_endpoint.disabled": {
        "object_type": "alerts.webhookendpoint",
        "after": {
            "disabled_reason": "Failing for 3 days.",
            "failing_since": "2026-11-28T10:00:00Z",
        },
    },
    "webhook_endpoint.test_sent": {
        "object_type": "alerts.webhookendpoint",
        "after": {"notification": 12},
    },
    "workerfailure.deleted_by_operator": {
        "object_type": "alerts.workerfailure",
        "before": {
            "unit": "event",
            "object_id": 40,
            "state": "failed",
            "attempts": 3,
            "last_error": "boom",
        },
    },
}

# The names a page would load for these samples.
NAMES = Names(
    people={
        1: "Cora Blake",
        "cora": "Cora Blake",
        "sam": "Sam Okafor",
        "sid": "Sid Patel",
        2: "Sam Okafor",
    },
    organisations={1: "Harbour City Council", "harbour-city-council": "Harbour City Council"},
    contracts={1: ContractName(reference="HCC-2026-014", title="Harbour Library", currency="GBP")},
    milestones={2: "Fit-out stage", 3: "Structure topped out", 6: "Practical completion"},
)


def sample_event(action: str) -> Event:
    sample = sentence_example(action) or SAMPLES.get(action)
    assert sample is not None, (
        f"Give {action} an example of what its service records: "
        "@sentence(..., example={'before': ..., 'after': ...}) in its events.py"
    )
    return Event(
        pk=1,
        actor_id=1,
        actor_name="cora",
        action=action,
        object_type=sample.get("object_type", "schedule.milestone"),
        object_id=sample.get("object_id", 2),
        contract_id=1,
        milestone_id=2,
        before=sample.get("before"),
        after=sample.get("after"),
    )


def test_every_declared_event_type_has_a_sentence() -> None:
    assert types_without_sentence() == [], (
        "Declare how these read with @sentence in their app's events.py (docs/events.md)"
    )


@pytest.mark.parametrize("action", sorted(declared_event_types()))
def test_every_declared_event_type_reads_as_a_sentence_without_codes(action: str) -> None:
    text = event_sentence(sample_event(action), NAMES)
    assert text.endswith(".") and text[0].isupper()
    for forbidden in ("None", "_", "{", "[", "#"):
        assert forbidden not in text, f"{action}: {text}"


# --- the same sentence on the page, in the email and in the webhook ---------------------------


def named(w: World) -> World:
    """Give the people their full names, as the demo's have."""
    for user, first, last in (
        (w.client_manager, "Cora", "Blake"),
        (w.supplier_manager, "Sam", "Okafor"),
        (w.supplier_member, "Sid", "Patel"),
    ):
        user_update_profile(user=user, actor=user, first_name=first, last_name=last)
    return w


def fit_out_gate(w: World):
    return gate_create(
        contract=w.contract,
        title="Fit-out stage gate",  # as the demo names it: the sentence names it once
        owner=w.client_manager,
        responsible_party=w.client,
        due_date=w.today + 40 * DAY,
        required_parties=[w.client, w.consultant],
        acceptance_criteria="Programme accepted.",
        actor=w.client_manager,
    )


def history_of(client, milestone) -> str:
    response = client.get(reverse("milestones:milestone-detail", args=[milestone.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_gate_is_named_once_whether_or_not_its_title_says_gate() -> None:
    assert gate_name("Fit-out stage gate") == "Fit-out stage gate"
    assert gate_name("Design") == "Design gate"
    assert gate_name("Gate 2: funding") == "Gate 2: funding"
    assert gate_name("Investigate drainage") == "Investigate drainage gate"


GATE_SENTENCE = (
    "Cora Blake approved the Fit-out stage gate for Harbour City Council: Programme accepted."
)


def test_history_says_who_decided_a_gate_for_whom_and_why(w: World, login) -> None:
    gate = fit_out_gate(named(w))

    gate_decide(
        milestone=gate,
        party=w.client,
        decision=Decision.APPROVE,
        comment="Programme accepted.",
        actor=w.client_manager,
    )

    page = history_of(login(w.client_manager), gate)
    assert GATE_SENTENCE in page
    assert "gate.decided" not in page and "decision:" not in page


def test_history_says_a_reschedule_moved_the_milestone_between_two_dates(w: World, login) -> None:
    milestone = w.deliverable("Drainage survey", due_date=dt.date(2027, 3, 3))

    milestone_reschedule(
        milestone=milestone,
        due_date=dt.date(2027, 3, 17),
        reason="CCTV review backlog.",
        actor=named(w).supplier_manager,
    )

    assert (
        "Sam Okafor moved Drainage survey from 3 Mar 2027 to 17 Mar 2027: CCTV review backlog."
        in history_of(login(w.client_manager), milestone)
    )


def test_history_says_a_payment_was_recorded_with_its_amount_and_day(w: World, login) -> None:
    named(w)
    trigger = w.deliverable("Foundation complete", due_date=w.today - 5 * DAY)
    deliverable_accept(milestone=trigger, actor=w.client_manager)
    pay = payment_milestone_create(
        contract=w.contract,
        title="Foundation payment",
        owner=w.client_manager,
        due_date=w.today + 20 * DAY,
        payer=w.client,
        payee=w.supplier,
        trigger=trigger,
        amount=Decimal("300000.00"),
        actor=w.client_manager,
    )
    payment_record_invoice(
        milestone=pay, invoiced_on=w.today, amount="300000.00", actor=w.supplier_manager
    )

    payment_record_paid(milestone=pay, paid_on=w.today, amount="300000.00", actor=w.client_manager)

    page = history_of(login(w.client_manager), pay)
    assert (
        "Cora Blake recorded a payment of £300,000.00 for Foundation payment received on 1 Feb 2027."
        in page
    )
    assert "Sam Okafor invoiced £300,000.00 for Foundation payment on 1 Feb 2027." in page


def test_history_says_a_status_change_in_words(w: World, login) -> None:
    milestone = w.deliverable()

    milestone_set_status(
        milestone=milestone, status=MilestoneStatus.IN_PROGRESS, actor=named(w).supplier_member
    )

    page = history_of(login(w.client_manager), milestone)
    assert "Sid Patel moved Foundation complete from scheduled to in progress." in page
    assert "in_progress" not in page and "met_on" not in page


def test_history_panel_reads_names_in_the_same_queries_however_many_events(
    w: World, django_assert_max_num_queries
) -> None:
    named(w)
    for n in range(3):
        w.deliverable(f"Deliverable {n}")
    few = list(Event.objects.order_by("-id")[:5])
    for n in range(3, 40):
        w.deliverable(f"Deliverable {n}", owner=w.supplier_manager)
    many = list(Event.objects.order_by("-id")[:60])

    # people, organisations, contracts, milestones: one query each, whatever the count
    with django_assert_max_num_queries(4):
        event_sentences(few)
    with django_assert_max_num_queries(4):
        lines = event_sentences(many)
    assert len(lines) == 60


def test_the_email_to_a_watcher_carries_the_sentence_of_the_history(w: World, inbox: Inbox) -> None:
    gate = fit_out_gate(named(w))
    watch_add(user=w.supplier_manager, milestone=gate)

    gate_decide(
        milestone=gate,
        party=w.client,
        decision=Decision.APPROVE,
        comment="Programme accepted.",
        actor=w.client_manager,
    )
    while tick(now=START).busy:
        pass

    to_sam = [m for m in inbox.messages if "sam@example.test" in str(m["To"])]
    bodies = [
        (m.get_body(preferencelist=("plain",)), m.get_body(preferencelist=("html",)))
        for m in to_sam
    ]
    assert any(
        GATE_SENTENCE in text.get_content() and GATE_SENTENCE in html.get_content()
        for text, html in bodies
        if text is not None and html is not None
    )
    decided = Event.objects.get(action="gate.decided")
    assert event_sentence(decided) == GATE_SENTENCE


def test_the_webhook_message_summary_is_the_sentence_of_the_history(w: World) -> None:
    gate = fit_out_gate(named(w))
    admin = make_user("ada", w.client_org, Role.ADMIN)
    webhook_endpoint_create(
        organisation=w.client_org,
        url="https://93.184.215.14/hooks/milepost",
        event_types=["gate.decided"],
        actor=admin,
    )

    gate_decide(
        milestone=gate,
        party=w.client,
        decision=Decision.APPROVE,
        comment="Programme accepted.",
        actor=w.client_manager,
    )
    while tick(now=START).busy:
        pass

    message = Notification.objects.get(channel=Channel.WEBHOOK, event_type="gate.decided")
    assert message.payload["summary"] == GATE_SENTENCE
    assert message.payload["event"]["text"] == GATE_SENTENCE


def bearer(user) -> Client:
    _, raw = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_history_gives_each_event_its_sentence(w: World) -> None:
    gate = fit_out_gate(named(w))
    gate_decide(
        milestone=gate,
        party=w.client,
        decision=Decision.APPROVE,
        comment="Programme accepted.",
        actor=w.client_manager,
    )

    history = bearer(w.supplier_manager).get(f"/api/v1/milestones/{gate.pk}/events").json()
    contract = bearer(w.supplier_manager).get(f"/api/v1/contracts/{w.contract.pk}/events").json()

    decided = next(e for e in history if e["action"] == "gate.decided")
    assert decided["sentence"] == GATE_SENTENCE
    assert GATE_SENTENCE in [e["sentence"] for e in contract]


def test_the_api_history_of_a_contract_one_cannot_see_answers_404(w: World) -> None:
    gate = fit_out_gate(w)

    response = bearer(w.outsider).get(f"/api/v1/milestones/{gate.pk}/events")

    assert response.status_code == 404
