"""REST API v1 authorization matrix: every route and method, against every kind of caller.

The route list comes from the NinjaAPI itself, so a new route without an entry in MATRIX fails
``test_every_api_route_has_a_matrix_entry``.

Callers are named relative to the party that "owns" the request (``Case.owner``):
``owner_admin``, ``owner_manager``, ``owner_member`` and ``owner_viewer`` belong to that party's
organisation, ``counter_manager`` and ``counter_member`` to the other side (client and supplier
are each other's counterparty), ``observer`` is the admin of an organisation on the contract as
an observer (observers read, like viewers), and ``outsider`` is the admin of an organisation
that is not party to the contract: for anything tied to the contract it gets 404, never 403, so
that existence does not leak.

Which party owns a request:
- contract-level routes: the client, whose organisation created the contract;
- a deliverable: the supplier (its responsible party, whose member ``sid`` owns it), except
  acceptance and giving it up, which belong to the client as the accepting party;
- a payment: the client as payer (terms, paid, new payments), the supplier as payee (invoice,
  release);
- a performance target: the supplier, its responsible party;
- a communication: its sending party (the supplier, for the Contractor's notification of a
  compensation event); a draft is its own organisation's alone (anyone else: 404);
- a gate: the client, its one required party (the supplier is responsible for it);
- tokens: the client manager ``cora`` owns the token being revoked; everyone lists and creates
  their own;
- an organisation's reminder rule and webhooks: the client's organisation, so ``owner_*`` are
  its members and every other caller is a stranger to it (404); admins change its webhooks,
  managers only read them, and its members and viewers may not even read them (403 on the
  organisation's list, 404 on one endpoint);
- a notification and a calendar feed: ``cora`` again; everyone else gets 404. Your own
  notifications, alert preferences, watches and feeds are listed by everyone.

A successful write must leave an audit event, except a few by design (``Case.writes_event``):
marking notifications read is the reader's bookkeeping, and a write that finds nothing to do
(clearing a rule that is not set, unwatching what one does not watch, asking for a feed one
already has) changes nothing; those must leave no event.
"""

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from config.api import api
from milepost.accounts.choices import Role
from milepost.accounts.models import ApiToken, Organisation, User
from milepost.accounts.services import api_token_create, organisation_create
from milepost.alerts.choices import Channel, Kind, Status
from milepost.alerts.feeds import feed_token_get_or_create
from milepost.alerts.inbox import watch_add
from milepost.alerts.models import FeedToken, Notification, ReminderRule, WebhookEndpoint
from milepost.alerts.rules import reminder_rule_set
from milepost.alerts.webhooks import webhook_endpoint_create
from milepost.approvals.services import gate_create, gate_decide
from milepost.audit.models import Event
from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, NonWorkingDay, Party
from milepost.contracts.services import non_working_day_add, party_add, party_name_role
from milepost.milestones.links import update_request_path
from milepost.milestones.updates import update_round_request, update_schedule_set
from milepost.payments.services import payment_milestone_create, payment_record_invoice
from milepost.performance.models import Measurement
from milepost.performance.services import (
    credit_terms_set,
    measurement_record,
    performance_milestone_create,
)
from milepost.reporting.models import IssuedReport, ReportSubscription
from milepost.reporting.reports.issue import report_issue, report_request
from milepost.reporting.reports.subscriptions import report_subscription_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.baselines import baseline_create
from milepost.schedule.changes import change_request_submit
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.models import (
    Baseline,
    ChangeRequest,
    Dependency,
    EarlyWarning,
    Evidence,
    ForecastRun,
    Milestone,
    RecoveryAction,
)
from milepost.schedule.records import evidence_add
from milepost.schedule.risks.early_warnings import early_warning_close, early_warning_raise
from milepost.schedule.risks.recovery import recovery_action_add

from .conftest import World, build_world, make_user

API = "/api/v1"
CALLERS = (
    "owner_admin",
    "owner_manager",
    "owner_member",
    "owner_viewer",
    "counter_manager",
    "counter_member",
    "observer",
    "outsider",
)
OWNER_MANAGERS = frozenset({"owner_admin", "owner_manager"})
ANY_MANAGER = OWNER_MANAGERS | {"counter_manager"}
CONTRIBUTORS = ANY_MANAGER | {"owner_member", "counter_member"}
PARTY_USERS = CONTRIBUTORS | {"owner_viewer", "observer"}
EVERYONE = frozenset(CALLERS)
OWNER_ORGANISATION = frozenset({"owner_admin", "owner_manager", "owner_member", "owner_viewer"})
COUNTERPARTY = {"client": "supplier", "supplier": "client"}


def api_routes() -> set[tuple[str, str]]:
    """Return every (METHOD, path template) the API serves, read from its routers."""
    api.urls  # noqa: B018 - building the URLs binds nested routers into api._routers
    return {
        (method, "/" + f"{prefix}/{path}".strip("/").replace("//", "/"))
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }


def expect(ok: int, allowed: frozenset[str], *, outsider: int = 404) -> dict[str, int]:
    """Answer ``ok`` to ``allowed``, 404 to the outsider and 403 to every other party user."""
    return {
        caller: ok if caller in allowed else outsider if caller == "outsider" else 403
        for caller in CALLERS
    }


def in_organisation(ok: int, allowed: frozenset[str]) -> dict[str, int]:
    """Answer ``ok`` to ``allowed``, 403 to the owner organisation's other people, 404 to the rest.

    For routes on an organisation itself: only its own people know it is there.
    """
    return {
        caller: ok if caller in allowed else 403 if caller in OWNER_ORGANISATION else 404
        for caller in CALLERS
    }


def on_webhook(ok: int, allowed: frozenset[str]) -> dict[str, int]:
    """Answer ``ok`` to ``allowed``; the owner's manager, who may read it, 403; the rest 404."""
    return {
        caller: ok if caller in allowed else 403 if caller == "owner_manager" else 404
        for caller in CALLERS
    }


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 inspection report", "application/pdf")


def make_payment(w: World, *, trigger: Milestone, **overrides: Any) -> Milestone:
    """Create a payment the client owes the supplier once ``trigger`` is met."""
    fields: dict[str, Any] = {
        "contract": w.contract,
        "title": "Foundation payment (30%)",
        "owner": w.client_manager,
        "due_date": w.today + dt.timedelta(days=30),
        "payer": w.client,
        "payee": w.supplier,
        "trigger": trigger,
        "percentage": "30",
        "actor": w.client_manager,
    }
    return payment_milestone_create(**{**fields, **overrides})


def make_target(w: World, *, periods: int, period: str = "week", **overrides: Any) -> Milestone:
    """Create a performance target of the supplier over its first ``periods`` periods."""
    start = w.contract.start_date
    length = {"day": 1, "week": 7}[period]
    fields: dict[str, Any] = {
        "contract": w.contract,
        "title": "P1 response",
        "owner": w.supplier_member,
        "responsible_party": w.supplier,
        "due_date": start + dt.timedelta(days=periods * length - 1),
        "kpi_name": "P1 response time",
        "unit": "hours",
        "target": "4",
        "direction": "at_most",
        "period": period,
        "measurement_start": start,
        "actor": w.supplier_manager,
    }
    return performance_milestone_create(**{**fields, **overrides})


def make_gate(w: World, *, required: list[Party]) -> Milestone:
    """Create a gate the supplier is responsible for and ``required`` parties decide."""
    return gate_create(
        contract=w.contract,
        title="Fit-out gate",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=w.today + dt.timedelta(days=20),
        required_parties=required,
        acceptance_criteria="Envelope weathertight.",
        actor=w.client_manager,
    )


@dataclass(frozen=True)
class Cast:
    """The contract every test starts from, a user for each caller, and a token for each user."""

    world: World
    users: dict[str, dict[str, User]]
    tokens: dict[int, str]


def build_cast() -> Cast:
    w = build_world()
    users = {
        "client": {
            "admin": make_user("cara", w.client_org, Role.ADMIN),
            "manager": w.client_manager,
            "member": w.client_member,
            "viewer": w.client_viewer,
        },
        "supplier": {
            "admin": make_user("sasha", w.supplier_org, Role.ADMIN),
            "manager": w.supplier_manager,
            "member": w.supplier_member,
            "viewer": w.supplier_viewer,
        },
    }
    observers = organisation_create(name="Harbour Ratepayers Panel", actor=None)
    observer = make_user("olive", observers, Role.ADMIN)
    party_add(
        contract=w.contract, organisation=observers, role=PartyRole.OBSERVER, actor=w.client_manager
    )
    users["observer"] = {"admin": observer}
    users["outsider"] = {"admin": w.outsider}
    people = [user for roles in users.values() for user in roles.values()]
    tokens = {user.pk: api_token_create(user=user, name="matrix")[1] for user in people}
    return Cast(world=w, users=users, tokens=tokens)


class Scene:
    """One test's view of the cast; each object a route needs is made on first use, by services."""

    def __init__(self, cast: Cast) -> None:
        # A fresh copy of the contract, so that no test sees another's changes to the instance.
        self.world = replace(cast.world, contract=Contract.objects.get(pk=cast.world.contract.pk))
        self.cast = cast

    def caller(self, owner: str, caller: str) -> User:
        """Return the user behind ``caller`` when ``owner`` ("client" or "supplier") owns it."""
        side, _, role = caller.partition("_")
        party = {"owner": owner, "counter": COUNTERPARTY[owner]}.get(side, side)
        return self.cast.users[party][role or "admin"]

    def client(self, user: User) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.cast.tokens[user.pk]}")

    @property
    def contract_id(self) -> int:
        return self.world.contract.pk

    def days(self, n: int) -> str:
        return (self.world.today + dt.timedelta(days=n)).isoformat()

    @cached_property
    def deliverable(self) -> Milestone:
        return self.world.deliverable()

    @cached_property
    def prior(self) -> Milestone:
        return self.world.deliverable("Site survey")

    @cached_property
    def link(self) -> Dependency:
        later = self.world.deliverable("Roof complete")
        return dependency_add(
            predecessor=self.deliverable, successor=later, actor=self.world.supplier_manager
        )

    @cached_property
    def change(self) -> ChangeRequest:
        """A change request the supplier's manager made on its deliverable."""
        return change_request_submit(
            milestone=self.deliverable,
            new_due_date=self.world.today + dt.timedelta(days=50),
            reason="Crane breakdown",
            actor=self.world.supplier_manager,
        )

    @cached_property
    def forecast(self) -> ForecastRun:
        self.deliverable  # noqa: B018 - something open to forecast
        return forecast_run(
            contract=self.world.contract, runs=200, seed=1, actor=self.world.client_manager
        )

    @cached_property
    def baseline(self) -> Baseline:
        return baseline_create(
            contract=self.world.contract, name="Accepted programme", actor=self.world.client_manager
        )

    def weekday(self, n: int) -> dt.date:
        """The first weekday ``n`` or more days from today."""
        day = self.world.today + dt.timedelta(days=n)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    @cached_property
    def day_off(self) -> NonWorkingDay:
        return non_working_day_add(
            contract=self.world.contract,
            day=self.weekday(20),
            reason="Site shutdown",
            actor=self.world.client_manager,
        )

    @cached_property
    def warning(self) -> EarlyWarning:
        """An early warning on the supplier's deliverable, raised and owned by ``sid``."""
        return early_warning_raise(
            contract=self.world.contract,
            title="Crane availability",
            likelihood=3,
            impact=4,
            milestones=[self.deliverable],
            owner=self.world.supplier_member,
            actor=self.world.supplier_member,
        )

    @cached_property
    def closed_warning(self) -> EarlyWarning:
        return early_warning_close(
            warning=self.warning, note="Crane booked", actor=self.world.supplier_member
        )

    @cached_property
    def late(self) -> Milestone:
        """A supplier deliverable due yesterday: overdue, so it takes recovery actions."""
        return self.world.deliverable(
            "Scaffold inspection", due_date=self.world.today - dt.timedelta(days=1)
        )

    @cached_property
    def recovery(self) -> RecoveryAction:
        return recovery_action_add(
            milestone=self.late,
            cause="Inspector ill",
            plan="Second inspector booked",
            owner=self.world.supplier_member,
            new_target=self.world.today + dt.timedelta(days=3),
            actor=self.world.supplier_member,
        )

    @cached_property
    def evidence(self) -> Evidence:
        return evidence_add(
            milestone=self.deliverable, upload=pdf(), actor=self.world.supplier_member
        )

    @cached_property
    def accepted(self) -> Milestone:
        trigger = self.world.deliverable("Foundations accepted")
        return deliverable_accept(milestone=trigger, actor=self.world.client_manager)

    @cached_property
    def payment(self) -> Milestone:
        return make_payment(self.world, trigger=self.accepted, retention_percent="5")

    @cached_property
    def invoiced_payment(self) -> Milestone:
        payment_record_invoice(
            milestone=self.payment,
            invoiced_on=self.world.today,
            amount="300000",
            actor=self.world.supplier_manager,
        )
        return self.payment

    @cached_property
    def retention_release(self) -> Milestone:
        """The first release of 5% retention, planned from the value; one application held some."""
        from milepost.finance.cycles.services import cycle_apply, money_terms_set

        w = self.world
        terms = money_terms_set(
            contract=w.contract,
            actor=w.client_manager,
            regime="scheme_ew",
            basis="interim",
            payer=w.client,
            payee=w.supplier,
            retention_percent="5",
            completion=w.deliverable("Practical completion"),
        )
        cycle_apply(
            contract=w.contract,
            actor=w.supplier_manager,
            applied_on=w.today,
            period_end=w.today,
            gross_value="100000",
        )
        terms.refresh_from_db()
        assert terms.first_release is not None
        return terms.first_release

    @cached_property
    def damaged(self) -> Milestone:
        """The supplier's deliverable with delay damages owed to the client, set by its manager."""
        from milepost.finance.damages.services import damages_terms_set

        w = self.world
        milestone = w.deliverable("Practical completion")
        damages_terms_set(
            milestone=milestone,
            actor=w.client_manager,
            rate="1000",
            unit="day",
            payer=w.supplier,
            payee=w.client,
        )
        return milestone

    @cached_property
    def performance(self) -> Milestone:
        return make_target(self.world, periods=1)

    @cached_property
    def credited_target(self) -> Milestone:
        """The performance target with service credits the client set."""
        credit_terms_set(
            milestone=self.performance,
            method="fixed",
            amount="500",
            payer=self.world.supplier,
            payee=self.world.client,
            actor=self.world.client_manager,
        )
        return self.performance

    @cached_property
    def measurement(self) -> Measurement:
        """The first of two weeks' measurements of a target, recorded by its owner."""
        target = make_target(self.world, periods=2, title="P2 response")
        return measurement_record(
            milestone=target,
            period_start=self.world.contract.start_date,
            value="3",
            actor=self.world.supplier_member,
        )

    @cached_property
    def gate(self) -> Milestone:
        return make_gate(self.world, required=[self.world.client])

    @cached_property
    def rejected_gate(self) -> Milestone:
        gate_decide(
            milestone=self.gate,
            party=self.world.client,
            decision="reject",
            comment="Roof still leaks.",
            actor=self.world.client_manager,
        )
        return self.gate

    @cached_property
    def spare_org_slug(self) -> str:
        return organisation_create(name="Quay Surveyors", actor=None).slug

    @cached_property
    def spare_party(self) -> Party:
        org = organisation_create(name="Harbour Heritage Trust", actor=None)
        return party_add(
            contract=self.world.contract,
            organisation=org,
            role=PartyRole.OBSERVER,
            actor=self.world.client_manager,
        )

    @cached_property
    def issued_report(self) -> IssuedReport:
        """A payment report of the contract that cora issued."""
        cora = self.world.client_manager
        wanted = report_request(user=cora, report_type="payment", contract_id=self.contract_id)
        return report_issue(request=wanted, actor=cora, reader=cora)

    @cached_property
    def report_subscription(self) -> ReportSubscription:
        """cora's weekly payment report, sent to her every Friday."""
        return report_subscription_create(
            contract=self.world.contract,
            report_type="payment",
            frequency="weekly",
            weekday=4,
            members=["cora"],
            actor=self.world.client_manager,
        )

    @cached_property
    def cora_token(self) -> ApiToken:
        return api_token_create(user=self.world.client_manager, name="Finance export")[0]

    @property
    def party_users(self) -> list[User]:
        """Everyone in the cast who can see the contract (all but the outsider)."""
        return [
            user
            for side, roles in self.cast.users.items()
            if side != "outsider"
            for user in roles.values()
        ]

    @cached_property
    def watched_contract(self) -> Contract:
        """The contract, watched by everyone who can see it."""
        for user in self.party_users:
            watch_add(user=user, contract=self.world.contract)
        return self.world.contract

    @cached_property
    def watched_deliverable(self) -> Milestone:
        """The deliverable, watched by everyone who can see it."""
        for user in self.party_users:
            watch_add(user=user, milestone=self.deliverable)
        return self.deliverable

    @cached_property
    def ruled_organisation(self) -> Organisation:
        """The client's organisation, with a default reminder rule of its own."""
        organisation = self.world.client_org
        reminder_rule_set(organisation=organisation, actor=self.world.client_manager, **RULE_FIELDS)
        return organisation

    @cached_property
    def contract_rule(self) -> ReminderRule:
        return reminder_rule_set(
            contract=self.world.contract, actor=self.world.client_manager, **RULE_FIELDS
        )

    @cached_property
    def milestone_rule(self) -> ReminderRule:
        return reminder_rule_set(
            milestone=self.deliverable, actor=self.world.supplier_manager, **RULE_FIELDS
        )

    @cached_property
    def webhook(self) -> WebhookEndpoint:
        """An endpoint of the client's organisation, registered by its admin ``cara``."""
        return webhook_endpoint_create(
            organisation=self.world.client_org,
            url=WEBHOOK_URL,
            actor=self.cast.users["client"]["admin"],
        )

    @cached_property
    def disabled_webhook(self) -> WebhookEndpoint:
        """The endpoint, disabled the way the worker leaves one that kept failing."""
        WebhookEndpoint.objects.filter(pk=self.webhook.pk).update(
            disabled_at=timezone.now(), disabled_reason="Failing for 48 hours."
        )
        return self.webhook

    @cached_property
    def cora_notification(self) -> Notification:
        """An unread in-app notification delivered to ``cora``, as the worker leaves one."""
        now = timezone.now()
        return Notification.objects.create(
            key="matrix:cora",
            kind=Kind.NOTICE,
            channel=Channel.INAPP,
            status=Status.SENT,
            event_type="notice.test",
            user=self.world.client_manager,
            payload={"type": "notice.test", "summary": "A notice for cora"},
            send_after=now,
            sent_at=now,
        )

    @cached_property
    def cora_feed(self) -> FeedToken:
        user = self.world.client_manager
        return feed_token_get_or_create(user=user, actor=user)

    @cached_property
    def personal_feeds(self) -> list[FeedToken]:
        """A personal calendar feed for everyone in the cast."""
        users = [user for roles in self.cast.users.values() for user in roles.values()]
        return [feed_token_get_or_create(user=user, actor=user) for user in users]

    # Finance: the client pays the supplier under the Scheme; cycles applied some days ago.
    @cached_property
    def money_terms(self) -> Any:
        from milepost.finance.cycles.services import money_terms_set

        w = self.world
        return money_terms_set(
            contract=w.contract,
            actor=w.client_manager,
            regime="scheme_ew",
            basis="interim",
            payer=w.client,
            payee=w.supplier,
            retention_percent="5",
        )

    def applied_cycle(self, days_ago: int) -> Any:
        from milepost.finance.cycles.services import cycle_apply

        assert self.money_terms
        day = self.world.today - dt.timedelta(days=days_ago)
        return cycle_apply(
            contract=self.world.contract,
            actor=self.world.supplier_manager,
            applied_on=day,
            period_end=day,
            gross_value="100000",
        )

    @cached_property
    def cycle(self) -> Any:
        return self.applied_cycle(0)

    @cached_property
    def late_cycle(self) -> Any:
        """A cycle whose payment notice deadline has passed without a notice."""
        return self.applied_cycle(20)

    @cached_property
    def overdue_cycle(self) -> Any:
        """A cycle unpaid after its final date."""
        return self.applied_cycle(40)

    # Communications: the contract on NEC4 ECC with the consultant as Project Manager; the
    # supplier is the Contractor, which notifies compensation events.
    @cached_property
    def nec4(self) -> Contract:
        w = self.world
        contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
        # A fresh row: the cast's party object is shared by every test of the module.
        consultant = Party.objects.get(pk=w.consultant.pk)
        party_name_role(party=consultant, named_role="project_manager", actor=w.client_manager)
        return w.contract

    def notified_event(self, *, send: bool) -> Communication:
        """A compensation event the supplier's manager notifies (or drafts) three days after."""
        return communication_create(
            contract=self.nec4,
            kind="ce_contractor",
            subject="Late access to the east site",
            aware_on=self.world.today - dt.timedelta(days=3),
            actor=self.world.supplier_manager,
            send=send,
        )

    @cached_property
    def compensation_event(self) -> Communication:
        return self.notified_event(send=True)

    @cached_property
    def draft_event(self) -> Communication:
        """The supplier's notification kept as a draft: no one outside the supplier sees it."""
        return self.notified_event(send=False)

    @cached_property
    def event_with_file(self) -> Any:
        """A sent notification with the survey attached: its file, read like the notification."""
        event = communication_create(
            contract=self.nec4,
            kind="ce_contractor",
            subject="Culvert under the east wing",
            aware_on=self.world.today - dt.timedelta(days=3),
            actor=self.world.supplier_manager,
            attachments=[pdf("survey.pdf")],
        )
        return event.attachments.get()


Params = Callable[[Scene], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """How to send one request, and what each caller should get back."""

    expected: dict[str, int]
    params: Params = lambda s: {}
    body: dict[str, Any] | Params | None = None
    owner: str = "client"
    upload: bool = False
    label: str = ""
    # Whether a successful answer leaves an audit event; when False, it must leave none.
    writes_event: bool = True
    query: str = ""

    def json(self, scene: Scene) -> dict[str, Any] | None:
        return self.body(scene) if callable(self.body) else self.body


def contract(s: Scene) -> dict[str, int]:
    return {"contract_id": s.contract_id}


def on(attribute: str) -> Params:
    """Path parameters for the milestone the scene makes under ``attribute``."""
    return lambda s: {"milestone_id": getattr(s, attribute).pk}


def on_contract(expected: dict[str, int], body: Any = None, **options: Any) -> Case:
    return Case(expected, params=contract, body=body, **options)


def on_deliverable(expected: dict[str, int], body: Any = None, **options: Any) -> Case:
    """A request on the supplier's deliverable; the supplier owns it unless ``owner`` says."""
    return Case(expected, params=on("deliverable"), body=body, **{"owner": "supplier", **options})


def new_milestone(s: Scene, **fields: Any) -> dict[str, Any]:
    return {"title": "As-built drawings", "owner": "sid", "due_date": s.days(40), **fields}


def new_contract(s: Scene) -> dict[str, Any]:
    return {
        "organisation": s.world.client_org.slug,
        "party_role": "client",
        "reference": "HCC-2026-002",
        "title": "Pier repairs",
        "value": "250000.00",
        "currency": "GBP",
        "start_date": s.days(0),
        "end_date": s.days(200),
    }


def organisation(s: Scene) -> dict[str, str]:
    return {"slug": s.world.client_org.slug}


def webhook(attribute: str = "webhook") -> Params:
    return lambda s: {"webhook_id": getattr(s, attribute).pk}


def with_notification(s: Scene) -> dict[str, Any]:
    """No path parameters; ``cora`` has an unread notification to mark read."""
    s.cora_notification  # noqa: B018 - made on first use
    return {}


def with_personal_feeds(s: Scene) -> dict[str, Any]:
    """No path parameters; everyone already has their personal feed."""
    s.personal_feeds  # noqa: B018 - made on first use
    return {}


def with_open_milestone(s: Scene) -> dict[str, Any]:
    """The contract, with the supplier's deliverable open to ask about."""
    return {"contract_id": s.deliverable.contract_id}


def with_update_schedule(s: Scene) -> dict[str, Any]:
    """The contract, asked for updates every Friday."""
    update_schedule_set(contract=s.world.contract, weekday=4, actor=s.world.client_manager)
    return contract(s)


def update_token(s: Scene) -> dict[str, Any]:
    """The signed token of sid's update request on the deliverable."""
    round_ = update_round_request(
        contract=s.world.contract, milestone=s.deliverable, actor=s.world.client_manager
    )
    path = update_request_path(round_.requests.get().pk)
    return {"token": path.rstrip("/").rsplit("/", 1)[1]}


def update_request(s: Scene) -> dict[str, Any]:
    """sid's open update request on the deliverable, to withdraw."""
    round_ = update_round_request(
        contract=s.world.contract, milestone=s.deliverable, actor=s.world.client_manager
    )
    return {"request_id": round_.requests.get().pk}


READ = expect(200, PARTY_USERS)  # everyone on the contract reads; the outsider sees nothing
WAIVE = {"status": "waived", "reason": "No longer needed"}
RULE = {"offsets": [10, 3, 0], "channels": ["inapp"]}
# A rule the scene sets before a request clears it, every field given.
RULE_FIELDS: dict[str, Any] = {
    "offsets": [5, 1],
    "working_days": False,
    "overdue_every": 2,
    "escalate_after": 3,
    "escalate_critical_to_counterparty": True,
    "channels": ["email"],
}
# A public literal address: it resolves to itself, with no DNS query.
WEBHOOK_URL = "https://93.184.215.14/hook"


def ocds_import(s: Scene) -> dict[str, int]:
    """Path parameters for an OCDS import that the client's manager ``cora`` uploaded."""
    from milepost.interchange.ocds.services import ocds_preview
    from milepost.interchange.uploads import Upload

    release = {
        "ocid": "ocds-x-1",
        "id": "1",
        "date": "2026-01-01T00:00:00Z",
        "contracts": [
            {
                "id": "C-1",
                "title": "Ferry terminal",
                "value": {"amount": 1000, "currency": "GBP"},
                "period": {
                    "startDate": f"{s.days(1)}T00:00:00Z",
                    "endDate": f"{s.days(90)}T00:00:00Z",
                },
            }
        ],
    }
    data = json.dumps({"releases": [release]}).encode()
    user = s.world.client_manager
    return {"import_id": ocds_preview(upload=Upload(name="x.json", data=data), actor=user).pk}


def ocds_apply(s: Scene) -> dict[str, Any]:
    return {
        "contract": "ocds-x-1/C-1",
        "organisation": s.world.client_org.slug,
        "party_role": "client",
    }


def contract_template(s: Scene) -> dict[str, str]:
    """Path parameters for a template the client's organisation saved from its contract."""
    from milepost.interchange.templating.services import contract_template_save

    saved = contract_template_save(
        contract=s.world.contract, name="Library", actor=s.world.client_manager
    )
    return {"key": str(saved.pk)}


def template_setup(s: Scene) -> dict[str, Any]:
    """The one setup page's answers: the client with the supplier as consultant."""
    return {
        "title": "Governance review",
        "reference": "HCC-2027-REV",
        "value": "60000",
        "currency": "GBP",
        "start_date": s.days(30),
        "parties": {"client": s.world.client_org.slug, "consultant": s.world.supplier_org.slug},
        "owners": {"consultant": s.world.supplier_member.username},
    }


OWNER_MANAGERS_OR_422 = {c: 200 if c in OWNER_MANAGERS else 422 for c in CALLERS}


def programme_import(s: Scene) -> dict[str, int]:
    """Path parameters for a programme import that the client's manager ``cora`` uploaded."""
    from milepost.interchange.programmes.services import programme_preview
    from milepost.interchange.uploads import Upload
    from milepost.operations.demo.programme import mspdi

    data = mspdi(s.world.today + dt.timedelta(days=7))
    user = s.world.client_manager
    upload = Upload(name="programme.xml", data=data)
    return {"import_id": programme_preview(contract=s.world.contract, upload=upload, actor=user).pk}


def programme_choices(s: Scene) -> dict[str, Any]:
    return {
        "tasks": ["1", "3"],
        "responsible_party": s.world.client.pk,
        "accepting_party": s.world.supplier.pk,
        "owner": s.world.client_manager.pk,
    }


def sheet_import(s: Scene) -> dict[str, int]:
    """Path parameters for a milestone sheet that the client's manager ``cora`` uploaded."""
    from milepost.interchange.sheets.milestones import milestone_sheet_preview
    from milepost.interchange.uploads import Upload

    data = (
        "reference,kind,title,owner,responsible_party,accepting_party,due_date,"
        "acceptance_criteria\n"
        f"SH-1,deliverable,Survey,sid,{s.world.supplier_org.name},{s.world.client_org.name},"
        f"{s.days(20)},Report received\n"
    ).encode()
    user = s.world.client_manager
    upload = Upload(name="plan.csv", data=data)
    batch = milestone_sheet_preview(contract=s.world.contract, upload=upload, actor=user)
    return {"import_id": batch.pk}


def contract_document(s: Scene) -> Any:
    """The signed agreement, uploaded and read (by hand-built readings) by ``cora``."""
    from milepost.extraction.services import document_upload_and_read
    from milepost.interchange.uploads import Upload

    from .extraction_helpers import AGREEMENT, hand_built

    return document_upload_and_read(
        contract=s.world.contract,
        upload=Upload(name="agreement.txt", data=AGREEMENT.encode()),
        title="Signed agreement",
        actor=s.world.client_manager,
        extract=hand_built,
    )


def on_document(s: Scene) -> dict[str, int]:
    return {"document_id": contract_document(s).pk}


def on_proposal(decision: str = "", status: str = "pending") -> Params:
    """Path parameters for the Stage 1 report's proposal, rejected first if ``status`` says."""

    def params(s: Scene) -> dict[str, Any]:
        from milepost.extraction.services import proposal_decide

        proposal = contract_document(s).proposals.get(position=1)
        if status == "rejected":
            proposal_decide(proposal=proposal, decision="reject", actor=s.world.client_manager)
        return {"proposal_id": proposal.pk, **({"decision": decision} if decision else {})}

    return params


def accepted_document(s: Scene) -> dict[str, int]:
    """Path parameters for the agreement with the Stage 1 report accepted, due in 30 days."""
    from milepost.extraction.services import proposal_decide

    document = contract_document(s)
    proposal_decide(
        proposal=document.proposals.get(position=1),
        decision="accept",
        actor=s.world.client_manager,
        values={"owner": s.world.supplier_member.pk, "due_date": s.days(30)},
    )
    return {"document_id": document.pk}


MATRIX: dict[tuple[str, str], Case | tuple[Case, ...]] = {
    # Tokens are personal: everyone lists and creates their own; cora's token is hers alone.
    ("GET", "/tokens"): Case(expect(200, EVERYONE)),
    ("POST", "/tokens"): Case(expect(201, EVERYONE), body={"name": "Reporting"}),
    ("POST", "/tokens/{token_id}/revoke"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200},
        params=lambda s: {"token_id": s.cora_token.pk},
    ),
    # Everyone reads and changes their own profile, and only their own.
    ("GET", "/me"): Case(expect(200, EVERYONE)),
    ("PATCH", "/me"): Case(expect(200, EVERYONE), body={"time_zone": "Europe/Paris"}),
    # Contracts: the client created it; only its managers change the contract itself.
    ("GET", "/contracts"): Case(expect(200, EVERYONE)),
    # Only the organisation's managers create its contracts. Organisations are named by slug
    # to add them as parties, so a 403 to others (the outsider too) leaks nothing.
    ("POST", "/contracts"): Case(expect(201, OWNER_MANAGERS, outsider=403), body=new_contract),
    ("GET", "/contracts/{contract_id}"): on_contract(READ),
    # The contract's terms, status and parties belong to the organisation that owns it.
    ("PATCH", "/contracts/{contract_id}"): on_contract(
        expect(200, OWNER_MANAGERS), {"title": "Renamed"}
    ),
    ("POST", "/contracts/{contract_id}/status"): on_contract(
        expect(200, OWNER_MANAGERS), {"status": "suspended"}
    ),
    ("POST", "/contracts/{contract_id}/parties"): on_contract(
        expect(201, OWNER_MANAGERS),
        lambda s: {"organisation": s.spare_org_slug, "role": "observer"},
    ),
    ("DELETE", "/contracts/{contract_id}/parties/{party_id}"): (
        Case(
            expect(204, OWNER_MANAGERS),
            params=lambda s: {**contract(s), "party_id": s.spare_party.pk},
        ),
        Case(
            # The organisation that owns the contract stays on it (422 owner_party for its own
            # managers); nobody else may put it off.
            {**expect(403, frozenset()), "owner_admin": 422, "owner_manager": 422},
            label="the contract owner's party",
            params=lambda s: {**contract(s), "party_id": s.world.client.pk},
        ),
    ),
    ("GET", "/contracts/{contract_id}/events"): on_contract(READ),
    # Milestones: a deliverable belongs to the supplier, which delivers it; its member sid owns it.
    ("GET", "/milestones"): Case(expect(200, EVERYONE)),
    # The global search reads only what each caller can see (tests/test_search.py checks which).
    ("GET", "/search"): Case(expect(200, EVERYONE), query="?q=harbour"),
    ("GET", "/milestones/{milestone_id}"): on_deliverable(READ),
    ("PATCH", "/milestones/{milestone_id}"): (
        on_deliverable(expect(200, ANY_MANAGER), {"title": "Foundations and slab"}),
        # Only a manager of the responsible party hands its work to another of its people.
        on_deliverable(expect(200, OWNER_MANAGERS), {"owner": "sam"}, label="new owner"),
    ),
    ("GET", "/milestones/{milestone_id}/events"): on_deliverable(READ),
    ("POST", "/contracts/{contract_id}/deliverables"): on_contract(
        expect(201, ANY_MANAGER),
        lambda s: new_milestone(
            s,
            responsible_party=s.world.supplier.pk,
            accepting_party=s.world.client.pk,
            acceptance_criteria="Drawings issued in PDF and DWG.",
        ),
        owner="supplier",
    ),
    ("GET", "/milestones/{milestone_id}/updates"): on_deliverable(READ),
    # Its owner (sid) or a manager posts where it stands.
    ("POST", "/milestones/{milestone_id}/updates"): on_deliverable(
        expect(201, ANY_MANAGER | {"owner_member"}), {"text": "Piling started", "progress": 20}
    ),
    ("GET", "/milestones/{milestone_id}/comments"): on_deliverable(READ),
    ("POST", "/milestones/{milestone_id}/comments"): on_deliverable(
        expect(201, CONTRIBUTORS), {"text": "Please share the test report"}
    ),
    ("POST", "/milestones/{milestone_id}/status"): (
        on_deliverable(
            expect(200, ANY_MANAGER | {"owner_member"}), {"status": "in_progress"}, label="start"
        ),
        # Only the party it is owed to gives it up: a manager of the accepting client.
        on_deliverable(expect(200, OWNER_MANAGERS), WAIVE, owner="client", label="waive"),
    ),
    # The supplier hands it over: its owner (sid) or a member or manager of the supplier.
    ("POST", "/milestones/{milestone_id}/submission"): on_deliverable(
        expect(200, OWNER_MANAGERS | {"owner_member"}), {"note": "Drawings issued"}
    ),
    ("POST", "/milestones/{milestone_id}/acceptance"): on_deliverable(
        expect(200, OWNER_MANAGERS), {"outcome": "accept", "comment": "Seen"}, owner="client"
    ),
    # A party moves its own standard milestone; anyone else proposes a change request.
    ("POST", "/milestones/{milestone_id}/reschedule"): on_deliverable(
        expect(200, OWNER_MANAGERS),
        lambda s: {"due_date": s.days(45), "reason": "Crane breakdown"},
    ),
    ("PATCH", "/milestones/{milestone_id}/dependencies/{dependency_id}"): Case(
        expect(200, ANY_MANAGER),
        body={"type": "SS", "lag": 2},
        owner="supplier",
        params=lambda s: {"milestone_id": s.link.predecessor_id, "dependency_id": s.link.pk},
    ),
    ("PUT", "/milestones/{milestone_id}/anchor"): on_deliverable(
        expect(200, ANY_MANAGER),
        lambda s: {"anchor_id": s.prior.pk, "event": "due", "offset": 5},
    ),
    ("PUT", "/milestones/{milestone_id}/pin"): on_deliverable(
        expect(200, ANY_MANAGER), {"pinned": True}
    ),
    # Its owner (sid) or a manager plans it.
    ("PATCH", "/milestones/{milestone_id}/plan"): on_deliverable(
        expect(200, ANY_MANAGER | {"owner_member"}), {"estimate": [3, 5, 9]}
    ),
    # Anyone who acts for a party may see what a change would do; it saves nothing.
    ("POST", "/milestones/{milestone_id}/change-requests/preview"): on_deliverable(
        expect(200, CONTRIBUTORS), lambda s: {"new_due_date": s.days(45)}, writes_event=False
    ),
    ("POST", "/milestones/{milestone_id}/change-requests"): on_deliverable(
        expect(201, ANY_MANAGER), lambda s: {"new_due_date": s.days(45), "reason": "Crane"}
    ),
    ("GET", "/contracts/{contract_id}/change-requests"): on_contract(READ),
    ("GET", "/contracts/{contract_id}/critical-path"): on_contract(READ),
    # A forecast changes only derived figures: anyone acting for a party may run one.
    ("GET", "/contracts/{contract_id}/forecasts"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/forecasts"): on_contract(
        expect(201, CONTRIBUTORS), {"runs": 200, "seed": 7}
    ),
    ("GET", "/forecasts/{run_id}"): Case(READ, params=lambda s: {"run_id": s.forecast.pk}),
    ("GET", "/milestones/{milestone_id}/forecast"): on_deliverable(READ),
    # Baselines: any party's manager freezes one; only the owning organisation deletes one.
    ("GET", "/contracts/{contract_id}/baselines"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/baselines"): on_contract(
        expect(201, ANY_MANAGER), {"name": "Programme v2"}
    ),
    ("GET", "/baselines/{baseline_id}"): Case(
        READ, params=lambda s: {"baseline_id": s.baseline.pk}
    ),
    ("DELETE", "/baselines/{baseline_id}"): Case(
        expect(204, OWNER_MANAGERS), params=lambda s: {"baseline_id": s.baseline.pk}
    ),
    # The contract's own days off belong to the organisation that owns it.
    ("GET", "/contracts/{contract_id}/non-working-days"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/non-working-days"): on_contract(
        expect(201, OWNER_MANAGERS),
        lambda s: {"day": s.weekday(21).isoformat(), "reason": "Council election"},
    ),
    ("DELETE", "/contracts/{contract_id}/non-working-days/{day_id}"): Case(
        expect(204, OWNER_MANAGERS),
        params=lambda s: {"contract_id": s.contract_id, "day_id": s.day_off.pk},
    ),
    ("GET", "/contracts/{contract_id}/calendar"): Case(
        READ,
        params=contract,
        query="?from=2026-12-01&to=2027-01-31",
    ),
    # Early warnings: any contributor raises one; the owner, the raiser (sid here) or any
    # party's manager changes, closes or reopens it.
    ("GET", "/contracts/{contract_id}/early-warnings"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/early-warnings"): Case(
        expect(201, CONTRIBUTORS),
        params=contract,
        owner="supplier",
        body=lambda s: {
            "title": "Ground conditions",
            "likelihood": 2,
            "impact": 5,
            "milestones": [s.deliverable.pk],
            "owner": "sid",
        },
    ),
    ("GET", "/early-warnings/{warning_id}"): Case(
        READ, params=lambda s: {"warning_id": s.warning.pk}
    ),
    ("PATCH", "/early-warnings/{warning_id}"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        params=lambda s: {"warning_id": s.warning.pk},
        owner="supplier",
        body={"impact": 5},
    ),
    ("POST", "/early-warnings/{warning_id}/close"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        params=lambda s: {"warning_id": s.warning.pk},
        owner="supplier",
        body={"note": "Crane booked"},
    ),
    ("POST", "/early-warnings/{warning_id}/reopen"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        params=lambda s: {"warning_id": s.closed_warning.pk},
        owner="supplier",
    ),
    # Recovery: the responsible party's people, the milestone's owner, or any party's manager.
    ("GET", "/milestones/{milestone_id}/recovery-actions"): Case(READ, params=on("late")),
    ("POST", "/milestones/{milestone_id}/recovery-actions"): Case(
        expect(201, ANY_MANAGER | {"owner_member"}),
        params=on("late"),
        owner="supplier",
        body=lambda s: {
            "cause": "Inspector ill",
            "plan": "Book another",
            "owner": "sid",
            "new_target": s.days(3),
        },
    ),
    ("PATCH", "/recovery-actions/{action_id}"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        params=lambda s: {"action_id": s.recovery.pk},
        owner="supplier",
        body={"plan": "Book two inspectors"},
    ),
    ("POST", "/recovery-actions/{action_id}/complete"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        params=lambda s: {"action_id": s.recovery.pk},
        owner="supplier",
    ),
    ("GET", "/change-requests/{change_id}"): Case(
        READ, params=lambda s: {"change_id": s.change.pk}
    ),
    # The supplier asked: the client, its counterparty, decides; the supplier may withdraw.
    ("POST", "/change-requests/{change_id}/approve"): Case(
        expect(200, OWNER_MANAGERS),
        body={"note": "Agreed"},
        params=lambda s: {"change_id": s.change.pk},
    ),
    ("POST", "/change-requests/{change_id}/reject"): Case(
        expect(200, OWNER_MANAGERS),
        body={"note": "No"},
        params=lambda s: {"change_id": s.change.pk},
    ),
    ("POST", "/change-requests/{change_id}/withdraw"): Case(
        expect(200, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"change_id": s.change.pk},
    ),
    ("GET", "/milestones/{milestone_id}/dependencies"): Case(
        READ, params=lambda s: {"milestone_id": s.link.predecessor_id}
    ),
    ("POST", "/milestones/{milestone_id}/dependencies"): on_deliverable(
        expect(201, ANY_MANAGER), lambda s: {"predecessor_id": s.prior.pk}
    ),
    ("DELETE", "/milestones/{milestone_id}/dependencies/{dependency_id}"): Case(
        expect(204, ANY_MANAGER),
        owner="supplier",
        params=lambda s: {"milestone_id": s.link.predecessor_id, "dependency_id": s.link.pk},
    ),
    ("GET", "/milestones/{milestone_id}/evidence"): on_deliverable(READ),
    # Its owner, a member of either party to it, or a manager.
    ("POST", "/milestones/{milestone_id}/evidence"): on_deliverable(
        expect(201, CONTRIBUTORS), upload=True
    ),
    ("GET", "/milestones/{milestone_id}/evidence/{evidence_id}"): Case(
        READ,
        params=lambda s: {"milestone_id": s.evidence.milestone_id, "evidence_id": s.evidence.pk},
    ),
    # Payments: the client pays (terms, paying, new payments); the supplier is paid (invoice,
    # release). A manager of either records the invoice and the money.
    ("GET", "/milestones/{milestone_id}/payment"): Case(READ, params=on("payment")),
    ("PATCH", "/milestones/{milestone_id}/payment"): Case(
        expect(200, OWNER_MANAGERS), params=on("payment"), body={"retention_percent": "10"}
    ),
    ("POST", "/milestones/{milestone_id}/payment/invoice"): Case(
        expect(200, ANY_MANAGER),
        owner="supplier",
        params=on("payment"),
        body=lambda s: {"invoiced_on": s.days(0), "amount": "300000"},
    ),
    ("POST", "/milestones/{milestone_id}/payment/paid"): Case(
        expect(200, ANY_MANAGER),
        params=on("invoiced_payment"),
        body=lambda s: {"paid_on": s.days(0), "amount": "1000"},
    ),
    ("POST", "/milestones/{milestone_id}/payment/release"): Case(
        expect(200, OWNER_MANAGERS), owner="supplier", params=on("payment"), body=WAIVE
    ),
    ("GET", "/contracts/{contract_id}/payments"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/payments"): on_contract(
        expect(201, OWNER_MANAGERS),
        lambda s: new_milestone(
            s,
            title="Retention release",
            owner="cora",
            payer=s.world.client.pk,
            payee=s.world.supplier.pk,
            trigger_id=s.deliverable.pk,
            percentage="10",
        ),
    ),
    ("POST", "/contracts/{contract_id}/value"): on_contract(
        expect(200, OWNER_MANAGERS), {"value": "1200000.00"}
    ),
    # Retention: everyone on the contract reads the ledger; a manager of the payer or the
    # payee sets a release to pay what is held.
    ("GET", "/contracts/{contract_id}/retention"): on_contract(READ),
    ("POST", "/milestones/{milestone_id}/retention-release/fix"): Case(
        expect(200, ANY_MANAGER), params=on("retention_release")
    ),
    # Delay damages: everyone on the contract reads them; on a signed contract they are agreed
    # terms, so only the owning organisation's managers (the client, owed them) change them.
    ("GET", "/milestones/{milestone_id}/delay-damages"): Case(READ, params=on("damaged")),
    ("PUT", "/milestones/{milestone_id}/delay-damages"): Case(
        expect(200, OWNER_MANAGERS),
        params=on("deliverable"),
        body=lambda s: {
            "rate": "2500",
            "unit": "week",
            "payer": s.world.supplier.pk,
            "payee": s.world.client.pk,
            "cap_percent": "10",
        },
    ),
    ("DELETE", "/milestones/{milestone_id}/delay-damages"): Case(
        expect(204, OWNER_MANAGERS), params=on("damaged")
    ),
    ("GET", "/contracts/{contract_id}/delay-damages"): on_contract(READ),
    # Performance: the supplier is measured; its owner (sid), its members or a manager record.
    ("GET", "/milestones/{milestone_id}/kpi"): Case(READ, params=on("performance")),
    ("POST", "/milestones/{milestone_id}/measurements"): Case(
        expect(201, ANY_MANAGER | {"owner_member"}),
        owner="supplier",
        params=on("performance"),
        body=lambda s: {"period_start": s.world.contract.start_date.isoformat(), "value": "3"},
    ),
    # Service credits: on a signed contract only the client they are owed to (here also the
    # owning organisation) sets them, never the supplier who gives them; a measurement is
    # corrected by whoever may record it.
    ("GET", "/milestones/{milestone_id}/service-credit-terms"): Case(
        READ, params=on("credited_target")
    ),
    ("PUT", "/milestones/{milestone_id}/service-credit-terms"): Case(
        expect(200, OWNER_MANAGERS),
        owner="client",
        params=on("performance"),
        body=lambda s: {
            "method": "bands",
            "payer": s.world.supplier.pk,
            "payee": s.world.client.pk,
            "period_charge": "20000",
            "bands": [{"shortfall": "0", "percent": "5"}, {"shortfall": "1", "percent": "10"}],
            "cap_year": "10000",
        },
    ),
    ("GET", "/contracts/{contract_id}/service-credits"): on_contract(READ),
    ("PATCH", "/measurements/{measurement_id}"): Case(
        expect(200, ANY_MANAGER | {"owner_member"}),
        owner="supplier",
        params=lambda s: {"measurement_id": s.measurement.pk},
        body={"value": "5", "note": "The clock was wrong"},
    ),
    ("POST", "/contracts/{contract_id}/performance"): on_contract(
        expect(201, ANY_MANAGER),
        lambda s: new_milestone(
            s,
            title="Site safety",
            responsible_party=s.world.supplier.pk,
            kpi_name="Lost-time incidents",
            unit="count",
            target="0",
            direction="at_most",
            period="week",
            measurement_start=s.world.contract.start_date.isoformat(),
        ),
        owner="supplier",
    ),
    # Gates: the client is the one required party; any manager re-opens a rejected gate.
    ("GET", "/milestones/{milestone_id}/gate"): Case(READ, params=on("gate")),
    ("POST", "/milestones/{milestone_id}/gate/decisions"): Case(
        expect(200, OWNER_MANAGERS),
        params=on("gate"),
        body=lambda s: {"party_id": s.world.client.pk, "decision": "approve"},
    ),
    ("POST", "/milestones/{milestone_id}/gate/reopen"): Case(
        expect(200, ANY_MANAGER), params=on("rejected_gate"), body={"reason": "Roof repaired"}
    ),
    ("POST", "/milestones/{milestone_id}/gate/release"): Case(
        expect(200, OWNER_MANAGERS), params=on("gate"), body=WAIVE
    ),
    ("POST", "/contracts/{contract_id}/gates"): on_contract(
        expect(201, ANY_MANAGER),
        lambda s: new_milestone(
            s,
            title="Handover gate",
            responsible_party=s.world.supplier.pk,
            required_parties=[s.world.client.pk],
            acceptance_criteria="Snagging list closed.",
        ),
    ),
    # Notifications are personal: everyone reads their own; cora's notification is hers alone.
    # Marking read is the reader's bookkeeping and writes no event.
    ("GET", "/notifications"): Case(expect(200, EVERYONE)),
    ("GET", "/notifications/unread-count"): Case(expect(200, EVERYONE)),
    ("POST", "/notifications/read-all"): Case(
        expect(200, EVERYONE), params=with_notification, writes_event=False
    ),
    ("POST", "/notifications/{notification_id}/read"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200},
        params=lambda s: {"notification_id": s.cora_notification.pk},
        writes_event=False,
    ),
    # Everyone reads and changes their own alert preferences and lists their own watches.
    ("GET", "/me/alert-preferences"): Case(expect(200, EVERYONE)),
    ("PATCH", "/me/alert-preferences"): Case(expect(200, EVERYONE), body={"hour": 9}),
    ("GET", "/me/watches"): Case(expect(200, EVERYONE)),
    # Whoever can see a contract or milestone watches it, and stops; the outsider sees nothing.
    ("POST", "/contracts/{contract_id}/watch"): on_contract(READ),
    ("DELETE", "/contracts/{contract_id}/watch"): (
        Case(expect(204, PARTY_USERS), params=lambda s: {"contract_id": s.watched_contract.pk}),
        on_contract(expect(204, PARTY_USERS), label="not watching", writes_event=False),
    ),
    ("POST", "/milestones/{milestone_id}/watch"): on_deliverable(READ),
    ("DELETE", "/milestones/{milestone_id}/watch"): Case(
        expect(204, PARTY_USERS),
        owner="supplier",
        params=lambda s: {"milestone_id": s.watched_deliverable.pk},
    ),
    # Reminder rules. An organisation's default: its people read it, its managers change it.
    ("GET", "/organisations/{slug}/reminder-rule"): Case(
        in_organisation(200, OWNER_ORGANISATION), params=organisation
    ),
    ("GET", "/organisations/{slug}/reminder-rule/override"): Case(
        in_organisation(200, OWNER_ORGANISATION),
        params=lambda s: {"slug": s.ruled_organisation.slug},
    ),
    ("PUT", "/organisations/{slug}/reminder-rule/override"): Case(
        in_organisation(200, OWNER_MANAGERS), params=organisation, body=RULE
    ),
    ("DELETE", "/organisations/{slug}/reminder-rule/override"): Case(
        in_organisation(204, OWNER_MANAGERS),
        params=lambda s: {"slug": s.ruled_organisation.slug},
    ),
    # What waits for you is your own; how long an organisation's requests wait: its people
    # read it, its managers change it.
    ("GET", "/me/actions"): Case(expect(200, EVERYONE)),
    # Only the cycles of contracts the caller can see (tests/test_finance_actions.py checks which).
    ("GET", "/me/money-due"): Case(expect(200, EVERYONE)),
    ("GET", "/organisations/{slug}/action-rule"): Case(
        in_organisation(200, OWNER_ORGANISATION), params=organisation
    ),
    ("PUT", "/organisations/{slug}/action-rule"): Case(
        in_organisation(200, OWNER_MANAGERS),
        params=organisation,
        body={"remind_after": 3, "escalate_after": 6},
    ),
    # A contract's rule: the owner's managers, like its terms.
    ("GET", "/contracts/{contract_id}/reminder-rule"): on_contract(READ),
    ("GET", "/contracts/{contract_id}/reminder-rule/override"): Case(
        READ, params=lambda s: {"contract_id": s.contract_rule.contract_id}
    ),
    ("PUT", "/contracts/{contract_id}/reminder-rule/override"): on_contract(
        expect(200, OWNER_MANAGERS), RULE
    ),
    ("DELETE", "/contracts/{contract_id}/reminder-rule/override"): (
        Case(
            expect(204, OWNER_MANAGERS),
            params=lambda s: {"contract_id": s.contract_rule.contract_id},
        ),
        on_contract(expect(204, OWNER_MANAGERS), label="no rule set", writes_event=False),
    ),
    # A milestone's rule: a manager of any acting party.
    ("GET", "/milestones/{milestone_id}/reminder-rule"): on_deliverable(READ),
    ("GET", "/milestones/{milestone_id}/reminder-rule/override"): Case(
        READ, owner="supplier", params=lambda s: {"milestone_id": s.milestone_rule.milestone_id}
    ),
    ("PUT", "/milestones/{milestone_id}/reminder-rule/override"): on_deliverable(
        expect(200, ANY_MANAGER), RULE
    ),
    ("DELETE", "/milestones/{milestone_id}/reminder-rule/override"): Case(
        expect(204, ANY_MANAGER),
        owner="supplier",
        params=lambda s: {"milestone_id": s.milestone_rule.milestone_id},
    ),
    # Webhooks belong to the client's organisation: its admins change them, its managers read.
    ("GET", "/organisations/{slug}/webhooks"): Case(
        in_organisation(200, OWNER_MANAGERS), params=organisation
    ),
    ("POST", "/organisations/{slug}/webhooks"): Case(
        in_organisation(201, frozenset({"owner_admin"})),
        params=organisation,
        body={"url": WEBHOOK_URL},
    ),
    ("GET", "/webhooks/{webhook_id}"): Case(on_webhook(200, OWNER_MANAGERS), params=webhook()),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Case(
        on_webhook(200, OWNER_MANAGERS), params=webhook()
    ),
    ("PATCH", "/webhooks/{webhook_id}"): Case(
        on_webhook(200, frozenset({"owner_admin"})),
        params=webhook(),
        body={"description": "Finance system"},
    ),
    ("DELETE", "/webhooks/{webhook_id}"): Case(
        on_webhook(204, frozenset({"owner_admin"})), params=webhook()
    ),
    ("POST", "/webhooks/{webhook_id}/rotate-secret"): Case(
        on_webhook(200, frozenset({"owner_admin"})), params=webhook()
    ),
    ("POST", "/webhooks/{webhook_id}/test"): Case(
        on_webhook(202, frozenset({"owner_admin"})), params=webhook()
    ),
    ("POST", "/webhooks/{webhook_id}/enable"): Case(
        on_webhook(200, frozenset({"owner_admin"})), params=webhook("disabled_webhook")
    ),
    # Calendar feeds are personal: everyone lists and asks for their own (a contract's only if
    # they can see it); cora's feed is hers alone.
    ("GET", "/me/feeds"): Case(expect(200, EVERYONE)),
    ("POST", "/me/feeds"): (
        Case(expect(201, EVERYONE), body={}, label="personal"),
        Case(
            expect(201, PARTY_USERS),
            body=lambda s: {"contract_id": s.contract_id},
            label="contract",
        ),
        Case(
            expect(200, EVERYONE),
            params=with_personal_feeds,
            body={},
            label="existing",
            writes_event=False,
        ),
    ),
    ("POST", "/feeds/{feed_id}/rotate"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200},
        params=lambda s: {"feed_id": s.cora_feed.pk},
    ),
    ("DELETE", "/feeds/{feed_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 204},
        params=lambda s: {"feed_id": s.cora_feed.pk},
    ),
    # Reports: everyone draws their own portfolio; whoever sees a contract reads its issued
    # reports; members and managers of an acting party issue them. Subscriptions: members
    # subscribe themselves only, so a list naming cora is for managers; its owner or any
    # manager of a party changes or stops it.
    ("GET", "/reports/draw"): Case(expect(200, EVERYONE), query="?type=portfolio"),
    ("GET", "/reports/draw.pdf"): Case(expect(200, EVERYONE), query="?type=portfolio"),
    ("POST", "/reports"): Case(
        expect(201, CONTRIBUTORS), body=lambda s: {"type": "payment", "contract_id": s.contract_id}
    ),
    ("GET", "/reports"): Case(expect(200, EVERYONE)),
    ("GET", "/reports/{report_id}"): Case(READ, params=lambda s: {"report_id": s.issued_report.pk}),
    ("GET", "/reports/{report_id}/pdf"): Case(
        READ, params=lambda s: {"report_id": s.issued_report.pk}
    ),
    ("GET", "/contracts/{contract_id}/report-subscriptions"): on_contract(READ),
    ("POST", "/contracts/{contract_id}/report-subscriptions"): on_contract(
        expect(201, ANY_MANAGER),
        {"type": "payment", "frequency": "weekly", "weekday": 4, "members": ["cora"]},
    ),
    ("PATCH", "/report-subscriptions/{subscription_id}"): Case(
        expect(200, ANY_MANAGER),
        params=lambda s: {"subscription_id": s.report_subscription.pk},
        body={"audience": "Harbour City Council finance"},
    ),
    ("DELETE", "/report-subscriptions/{subscription_id}"): Case(
        expect(204, ANY_MANAGER), params=lambda s: {"subscription_id": s.report_subscription.pk}
    ),
    # Update requests: a manager of any acting party asks and reads who answered; a signed
    # link's token is the key to answering as its person, whoever sends it.
    ("POST", "/contracts/{contract_id}/update-rounds"): Case(
        expect(201, ANY_MANAGER), params=with_open_milestone, body={}
    ),
    ("GET", "/contracts/{contract_id}/update-rounds"): on_contract(expect(200, ANY_MANAGER)),
    ("PUT", "/contracts/{contract_id}/update-schedule"): on_contract(
        expect(200, ANY_MANAGER), {"weekday": 4}
    ),
    ("DELETE", "/contracts/{contract_id}/update-schedule"): Case(
        expect(204, ANY_MANAGER), params=with_update_schedule
    ),
    ("POST", "/update-requests/{request_id}/withdraw"): Case(
        expect(200, ANY_MANAGER), params=update_request
    ),
    ("POST", "/updates/{token}"): Case(
        expect(200, EVERYONE), params=update_token, body={"note": "Piling started"}
    ),
    # OCDS: any party reads a contract's package; an import is its uploader's (cora's) alone, and a
    # PDF is not OCDS.
    ("GET", "/contracts/{contract_id}/ocds"): on_contract(READ),
    # Cash flow and earned value are reads: a contract's like the contract; the portfolio holds
    # only what the caller sees (the outsider's is empty).
    ("GET", "/contracts/{contract_id}/cash-flow"): on_contract(READ),
    ("GET", "/contracts/{contract_id}/earned-value"): on_contract(READ),
    ("GET", "/cash-flow"): Case(expect(200, EVERYONE)),
    ("GET", "/exports/cash-flow"): Case(expect(200, EVERYONE)),
    ("POST", "/imports/ocds"): Case(expect(422, EVERYONE), upload=True),
    ("GET", "/imports/ocds/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200}, params=ocds_import
    ),
    ("POST", "/imports/ocds/{import_id}/apply"): Case(
        {**expect(404, EVERYONE), "owner_manager": 201}, params=ocds_import, body=ocds_apply
    ),
    ("DELETE", "/imports/ocds/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 204}, params=ocds_import, writes_event=False
    ),
    # Programmes: managers of a party import into the contract (a PDF is refused as no programme);
    # an import is its uploader's (cora's) alone.
    ("POST", "/contracts/{contract_id}/imports/programme"): on_contract(
        expect(422, ANY_MANAGER), upload=True
    ),
    ("GET", "/imports/programmes/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200}, params=programme_import
    ),
    ("POST", "/imports/programmes/{import_id}/preview"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200},
        params=programme_import,
        body=programme_choices,
        writes_event=False,
    ),
    ("POST", "/imports/programmes/{import_id}/apply"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200},
        params=programme_import,
        body=programme_choices,
    ),
    ("DELETE", "/imports/programmes/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 204}, params=programme_import, writes_event=False
    ),
    # Spreadsheets: managers of a party import milestones, an organisation's managers import its
    # contracts (a PDF is no spreadsheet); an import is its uploader's (cora's) alone.
    ("POST", "/contracts/{contract_id}/imports/milestones"): on_contract(
        expect(422, ANY_MANAGER), upload=True
    ),
    ("POST", "/organisations/{slug}/imports/contracts"): Case(
        in_organisation(422, OWNER_MANAGERS), params=organisation, upload=True
    ),
    ("GET", "/imports/sheets/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200}, params=sheet_import
    ),
    ("POST", "/imports/sheets/{import_id}/apply"): Case(
        {**expect(404, EVERYONE), "owner_manager": 200}, params=sheet_import
    ),
    ("DELETE", "/imports/sheets/{import_id}"): Case(
        {**expect(404, EVERYONE), "owner_manager": 204}, params=sheet_import, writes_event=False
    ),
    # Contract documents are evidence of the contract: everyone on it reads them and what was
    # read from them; managers of a party upload (a PDF without text is refused), review and
    # create the accepted proposals.
    ("POST", "/contracts/{contract_id}/documents"): on_contract(
        expect(422, ANY_MANAGER), upload=True
    ),
    ("GET", "/contracts/{contract_id}/documents"): on_contract(READ),
    ("GET", "/documents/{document_id}"): Case(READ, params=on_document),
    ("GET", "/documents/{document_id}/file"): Case(READ, params=on_document),
    ("POST", "/proposals/{proposal_id}/{decision}"): (
        Case(expect(200, ANY_MANAGER), params=on_proposal("accept"), label="accept"),
        Case(expect(200, ANY_MANAGER), params=on_proposal("reject"), label="reject"),
        Case(
            expect(200, ANY_MANAGER),
            params=on_proposal("reopen", status="rejected"),
            label="reopen",
        ),
    ),
    ("PATCH", "/proposals/{proposal_id}"): Case(
        expect(200, ANY_MANAGER),
        params=on_proposal(),
        body={"title": "Deliver the final Stage 1 report"},
    ),
    ("POST", "/documents/{document_id}/apply"): Case(
        expect(200, ANY_MANAGER), params=accepted_document
    ),
    # Exports are reads: the milestone list holds only what the caller sees (the outsider's is
    # empty), and a contract's lists read like the contract.
    ("GET", "/exports/milestones"): Case(expect(200, EVERYONE)),
    ("GET", "/contracts/{contract_id}/exports/{table}"): Case(
        READ, params=lambda s: {"contract_id": s.contract_id, "table": "history"}
    ),
    # Contract templates: built-in ones are everyone's; a saved one is its organisation's (members
    # read, managers change, anyone else 404). Setting up from one needs a manager of the
    # organisation in your role (anyone else is told so on the field, 422); a preview writes nothing.
    ("GET", "/contract-templates"): Case(expect(200, EVERYONE)),
    ("GET", "/contract-templates/{key}"): Case(
        {**expect(404, EVERYONE), **dict.fromkeys(OWNER_ORGANISATION, 200)},
        params=contract_template,
    ),
    ("PATCH", "/contract-templates/{key}"): Case(
        {
            **expect(404, EVERYONE),
            **dict.fromkeys(OWNER_ORGANISATION, 403),
            **dict.fromkeys(OWNER_MANAGERS, 200),
        },
        params=contract_template,
        body={"name": "Library v2"},
    ),
    ("DELETE", "/contract-templates/{key}"): Case(
        {
            **expect(404, EVERYONE),
            **dict.fromkeys(OWNER_ORGANISATION, 403),
            **dict.fromkeys(OWNER_MANAGERS, 204),
        },
        params=contract_template,
    ),
    ("POST", "/contract-templates/{key}/preview"): Case(
        OWNER_MANAGERS_OR_422,
        params=lambda s: {"key": "short-consulting"},
        body=template_setup,
        writes_event=False,
    ),
    ("POST", "/contract-templates/{key}/contracts"): Case(
        {**OWNER_MANAGERS_OR_422, **dict.fromkeys(OWNER_MANAGERS, 201)},
        params=lambda s: {"key": "short-consulting"},
        body=template_setup,
    ),
    ("POST", "/contracts/{contract_id}/template"): on_contract(
        expect(201, OWNER_MANAGERS), {"name": "Library"}
    ),
    # Finance (payment cycles): the owner (the client, the payer) sets the terms once active
    # and gives payment and pay less notices; the supplier (the payee) applies and gives default
    # and suspension notices; a manager of either records money received.
    ("GET", "/contracts/{contract_id}/money-terms"): Case(
        READ, params=lambda s: {"contract_id": s.money_terms.contract_id}
    ),
    ("PUT", "/contracts/{contract_id}/money-terms"): on_contract(
        expect(200, OWNER_MANAGERS),
        lambda s: {
            "regime": "scheme_ew",
            "basis": "interim",
            "payer": s.world.client.pk,
            "payee": s.world.supplier.pk,
            "retention_percent": "3",
        },
    ),
    ("GET", "/contracts/{contract_id}/payment-cycles"): Case(
        READ, params=lambda s: {"contract_id": s.cycle.contract_id}
    ),
    ("POST", "/contracts/{contract_id}/payment-cycles"): Case(
        expect(201, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"contract_id": s.money_terms.contract_id},
        body=lambda s: {"applied_on": s.days(0), "period_end": s.days(0), "gross_value": "1000"},
    ),
    ("GET", "/payment-cycles/{cycle_id}"): Case(READ, params=lambda s: {"cycle_id": s.cycle.pk}),
    ("POST", "/payment-cycles/{cycle_id}/payment-notice"): Case(
        expect(200, OWNER_MANAGERS),
        params=lambda s: {"cycle_id": s.cycle.pk},
        body=lambda s: {"given_on": s.days(0), "notified_sum": "90000", "basis": "Valuation."},
    ),
    ("POST", "/payment-cycles/{cycle_id}/default-notice"): Case(
        expect(200, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"cycle_id": s.late_cycle.pk},
        body=lambda s: {"given_on": s.days(0)},
    ),
    ("POST", "/payment-cycles/{cycle_id}/pay-less"): Case(
        expect(200, OWNER_MANAGERS),
        params=lambda s: {"cycle_id": s.cycle.pk},
        body=lambda s: {
            "given_on": s.days(0),
            "grounds": "Defective screed.",
            "deductions": [{"kind": "other", "amount": "500", "description": "Screed"}],
        },
    ),
    ("POST", "/payment-cycles/{cycle_id}/receipts"): Case(
        expect(201, ANY_MANAGER),
        params=lambda s: {"cycle_id": s.cycle.pk},
        body=lambda s: {"paid_on": s.days(0), "amount": "1000", "reference": "BACS 1"},
    ),
    ("POST", "/payment-cycles/{cycle_id}/suspension-notice"): Case(
        expect(200, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"cycle_id": s.overdue_cycle.pk},
        body=lambda s: {"given_on": s.days(0)},
    ),
    # Communications (NEC4 ECC): the contract data (its form, periods and the roles it names)
    # belongs to the owner; everyone on the contract reads it and the sent communications. A
    # communication belongs to its sending party (the supplier notifies a compensation event):
    # a manager of it sends, drafts and withdraws; a draft is seen only by the sender's own
    # people (everyone else: 404, as if it were not there).
    ("GET", "/contracts/{contract_id}/contract-data"): Case(
        READ, params=lambda s: {"contract_id": s.nec4.pk}
    ),
    ("PUT", "/contracts/{contract_id}/form"): (
        on_contract(expect(200, OWNER_MANAGERS), {"form": "nec4_ecc"}),
        Case(
            # Once a communication is made under the form, it no longer changes (422 form_in_use).
            {**expect(403, frozenset()), "owner_admin": 422, "owner_manager": 422},
            label="communications made",
            params=lambda s: {"contract_id": s.compensation_event.contract_id},
            body={"form": "jct_db_2016"},
        ),
    ),
    ("PUT", "/contracts/{contract_id}/periods/{key}"): Case(
        expect(200, OWNER_MANAGERS),
        params=lambda s: {"contract_id": s.nec4.pk, "key": "ce_reply"},
        body={"length": 2, "unit": "weeks"},
    ),
    ("PUT", "/contracts/{contract_id}/parties/{party_id}/named-role"): Case(
        expect(200, OWNER_MANAGERS),
        params=lambda s: {**contract(s), "party_id": s.world.consultant.pk},
        body={"named_role": "project_manager"},
    ),
    ("GET", "/contracts/{contract_id}/communications"): Case(
        READ, params=lambda s: {"contract_id": s.compensation_event.contract_id}
    ),
    ("POST", "/contracts/{contract_id}/communications"): Case(
        expect(201, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"contract_id": s.nec4.pk},
        body=lambda s: {
            "kind": "ce_contractor",
            "subject": "Unforeseen ground conditions",
            "aware_on": s.days(-3),
        },
    ),
    ("GET", "/communications/{communication_id}"): (
        Case(READ, params=lambda s: {"communication_id": s.compensation_event.pk}),
        Case(
            in_organisation(200, OWNER_ORGANISATION),
            owner="supplier",
            label="draft",
            params=lambda s: {"communication_id": s.draft_event.pk},
        ),
    ),
    # A communication as a formal notice (PDF): read exactly as the communication itself.
    ("GET", "/communications/{communication_id}/notice.pdf"): (
        Case(READ, params=lambda s: {"communication_id": s.compensation_event.pk}),
        Case(
            in_organisation(200, OWNER_ORGANISATION),
            owner="supplier",
            label="draft",
            params=lambda s: {"communication_id": s.draft_event.pk},
        ),
    ),
    # A draft's files: only its sending party's managers attach; sent ones never change.
    ("POST", "/communications/{communication_id}/attachments"): Case(
        in_organisation(201, OWNER_MANAGERS),
        owner="supplier",
        upload=True,
        params=lambda s: {"communication_id": s.draft_event.pk},
    ),
    ("GET", "/communications/{communication_id}/attachments/{attachment_id}"): Case(
        READ,
        params=lambda s: {
            "communication_id": s.event_with_file.communication_id,
            "attachment_id": s.event_with_file.pk,
        },
    ),
    ("POST", "/communications/{communication_id}/send"): Case(
        in_organisation(200, OWNER_MANAGERS),
        owner="supplier",
        params=lambda s: {"communication_id": s.draft_event.pk},
    ),
    ("POST", "/communications/{communication_id}/withdraw"): (
        Case(
            in_organisation(200, OWNER_MANAGERS),
            owner="supplier",
            label="draft",
            params=lambda s: {"communication_id": s.draft_event.pk},
        ),
        Case(
            expect(200, OWNER_MANAGERS),
            owner="supplier",
            label="sent",
            params=lambda s: {"communication_id": s.compensation_event.pk},
        ),
    ),
}


def cases() -> list[Any]:
    """Return one pytest.param per (route, case, caller)."""
    params = []
    for (method, template), entry in MATRIX.items():
        for case in entry if isinstance(entry, tuple) else (entry,):
            label = f" [{case.label}]" if case.label else ""
            for caller in CALLERS:
                name = f"{method} {template}{label} :: {caller}"
                params.append(pytest.param(method, template, case, caller, id=name))
    return params


def db_state(models: list[Any] | None = None) -> dict[str, Any]:
    """Every row of Milepost's tables (or of ``models``), to compare before/after."""
    state: dict[str, Any] = {}
    for model in models if models is not None else apps.get_models():
        if not model.__module__.startswith("milepost."):
            continue
        if model is Event:  # append-only and the largest table: its length says enough
            state["events"] = Event.objects.count()
            continue
        rows = list(model._default_manager.order_by("pk").values())
        if model is ApiToken:  # authenticating marks when a token was last used
            rows = [{k: v for k, v in row.items() if k != "last_used_at"} for row in rows]
        state[model._meta.label] = rows
    return state


def evidence_files() -> list[str]:
    return sorted(str(p) for p in settings.EVIDENCE_ROOT.rglob("*") if p.is_file())


# A statement that writes rows, and the table it writes (Django quotes every table name).
WRITE = re.compile(
    r'^\s*(?:WITH\b.*?\)\s*)?(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)',
    re.I | re.S,
)


class Writes:
    """The tables the statements run inside ``with connection.execute_wrapper(...)`` wrote to."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if written := WRITE.match(sql):
            self.tables.add(written[1])
        return execute(sql, params, many, context)


def changed_rows(writes: Writes, savepoint: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The database after and before the request, over what the request may have changed.

    A request that wrote nothing changed nothing. One that only marked its token as used is
    compared on the tokens alone; any other write compares every table (database triggers keep
    derived tables from the written ones). "Before" is read after rolling back to ``savepoint``.
    """
    if not writes.tables:
        return {}, {}
    token_only = writes.tables == {ApiToken._meta.db_table}
    models = [ApiToken] if token_only else None
    after = db_state(models)
    transaction.savepoint_rollback(savepoint)
    return after, db_state(models)


def send(client: Client, method: str, url: str, body: dict[str, Any] | None, upload: bool) -> Any:
    if upload:
        return client.post(url, {"file": pdf()})
    data = "" if body is None else json.dumps(body)
    return client.generic(method, url, data, content_type="application/json")


@pytest.fixture(scope="module")
def cast(django_db_setup: None, django_db_blocker: Any) -> Iterator[Cast]:
    """Build the contract once for the module; each test's own changes roll back after it.

    Each test runs in a savepoint inside this transaction (pytest-django's ``db``), the way
    Django's ``TestCase.setUpTestData`` works; the whole transaction rolls back at the end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_cast()
        transaction.set_rollback(True)


@pytest.fixture
def scene(cast: Cast, db: None) -> Scene:
    return Scene(cast)


def test_every_api_route_has_a_matrix_entry() -> None:
    routes = api_routes()
    unlisted = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not unlisted, f"Routes without an authorization matrix entry: {unlisted}"
    assert not stale, f"Matrix entries for routes the API no longer has: {stale}"


@pytest.mark.parametrize(("method", "template", "case", "caller"), cases())
def test_route_answers_each_caller_as_its_role_allows(
    scene: Scene, method: str, template: str, case: Case, caller: str
) -> None:
    url = API + template.format(**case.params(scene)) + case.query
    body = case.json(scene)
    client = scene.client(scene.caller(case.owner, caller))
    events, files = Event.objects.count(), evidence_files()
    savepoint, writes = transaction.savepoint(), Writes()

    with connection.execute_wrapper(writes):
        response = send(client, method, url, body, case.upload)

    content = response.getvalue()  # a download streams: reading it to the end closes the file
    assert response.status_code == case.expected[caller], content[:500]
    if response.status_code >= 400 or method == "GET":
        assert evidence_files() == files, "a refused request or a read stored a file"
        after, before = changed_rows(writes, savepoint)
        assert after == before, "a refused request or a read changed the database"
    elif case.writes_event:
        assert Event.objects.count() > events, "a change was made without an audit event"
    else:
        assert Event.objects.count() == events, "a write meant to leave no event left one"
    if caller == "outsider":
        assert scene.world.contract.reference.encode() not in content
