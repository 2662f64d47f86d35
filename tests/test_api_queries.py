"""Query-count budgets for every GET route of the REST API.

Each route is measured twice: on a contract with 2 of every child (milestones, parties,
comments, status updates, evidence, dependencies, payments, measurements, gate decisions,
contracts, tokens, and the events they write) and on one with 20 of each. The count must be
the same for both (it may not grow with the page size) and within the route's budget; DESIGN.md
allows at most 8 per list or detail request. The counts include authentication: the token
lookup and the once-a-minute ``last_used_at`` write, so each measurement uses a fresh token.

The route list comes from the API, so a new GET route without a budget fails the suite.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.services import api_token_create, membership_set, organisation_create
from milepost.alerts.choices import Channel, Kind, Status
from milepost.alerts.engine import events_fan_out
from milepost.alerts.feeds import feed_token_get_or_create
from milepost.alerts.inbox import watch_add
from milepost.alerts.models import Notification, WebhookEndpoint
from milepost.alerts.rules import reminder_rule_set
from milepost.approvals.services import gate_decide
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_create, non_working_day_add, party_add
from milepost.milestones.updates import update_round_request
from milepost.payments.services import payment_record_invoice, payment_record_paid
from milepost.performance.services import credit_terms_set, measurement_record
from milepost.reporting.models import IssuedReport
from milepost.reporting.reports.issue import report_issue, report_request
from milepost.reporting.reports.subscriptions import report_subscription_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.baselines import baseline_create
from milepost.schedule.changes import change_request_submit
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.forecasts import forecast_run
from milepost.schedule.models import Baseline, ChangeRequest, EarlyWarning, Evidence, Milestone
from milepost.schedule.records import comment_add, evidence_add, status_update_post
from milepost.schedule.risks.early_warnings import early_warning_raise
from milepost.schedule.risks.recovery import recovery_action_add

from .conftest import World, build_world
from .test_api_matrix import (
    API,
    api_routes,
    contract_template,
    make_gate,
    make_payment,
    make_target,
    ocds_import,
    pdf,
    programme_import,
    sheet_import,
)

SIZES = (2, 20)
DESIGN_LIMIT = 8
# Not a list or a detail but a whole contract read at once (health by stage, key dates, money,
# changes, early warnings, forecast, decisions, timeline), as the contract page is: held to its
# own constant budget above, and timed by `make bench` (bench/report_bench.py).
# A programme import's preview is planned again against the contract as it stands (parties,
# people, milestones by reference, pending changes, links), so that it never shows a stale plan.
COMPOSITE = {"/reports/draw", "/reports/draw.pdf", "/imports/programmes/{import_id}"}


@dataclass
class Dataset:
    """A contract whose every child, and every list the client manager sees, has ``n`` rows."""

    world: World
    deliverable: Milestone
    evidence: Evidence
    payment: Milestone
    performance: Milestone
    gate: Milestone
    webhook: WebhookEndpoint
    change: ChangeRequest
    baseline: Baseline
    warning: EarlyWarning
    late: Milestone
    report: IssuedReport
    imports: dict[str, dict[str, Any]]


def build_dataset(w: World, n: int) -> Dataset:
    """Give the contract ``n`` of each child, all on or around one deliverable."""
    cora, sid, sam = w.client_manager, w.supplier_member, w.supplier_manager
    day = w.today + dt.timedelta(days=30)
    main = w.deliverable("Foundations")
    # Early: its service credits' events must not fill the history's first page either.
    target = _measured_target(w, n)
    # First, so that the contract's latest events (the history's first page) stay the others'.
    damages = _delay_damages(w, n)
    documents = _documents(w, n)
    # Before the reports too: the cycles' events must not fill the history's first page.
    cycles = _payment_cycles(w, n)
    communications = _communications(w, n)
    report = _issue15(w, n)
    imports = _issue16(w)
    imports["cycles"] = cycles
    imports["communications"] = communications
    imports["damages"] = damages
    imports["documents"] = documents
    changes = []
    for i in range(n):
        comment_add(milestone=main, text=f"Comment {i}", actor=cora)
        status_update_post(milestone=main, text=f"Update {i}", progress=i, actor=sid)
        evidence_add(milestone=main, upload=pdf(f"report-{i}.pdf"), actor=sid)
        before = w.deliverable(f"Survey {i}", due_date=day - dt.timedelta(days=1))
        dependency_add(predecessor=before, successor=main, actor=sam)
        changes.append(
            change_request_submit(
                milestone=before, new_due_date=day, reason=f"Change {i}", actor=sam
            )
        )
        dependency_add(predecessor=main, successor=w.deliverable(f"Fit-out {i}"), actor=sam)
        api_token_create(user=cora, name=f"Token {i}")
        contract_create(
            organisation=w.client_org,
            party_role=PartyRole.CLIENT,
            reference=f"HCC-2026-1{i:02d}",
            title=f"Contract {i}",
            value="1000.00",
            currency="GBP",
            start_date=w.today,
            end_date=day,
            actor=cora,
        )
    trigger = deliverable_accept(milestone=w.deliverable("Piling"), actor=cora)
    payments = [
        make_payment(w, trigger=trigger, title=f"Payment {i}", percentage="1") for i in range(n)
    ]
    payment_record_invoice(milestone=payments[0], invoiced_on=w.today, amount="100", actor=sam)
    payment_record_paid(milestone=payments[0], paid_on=w.today, amount="50", actor=cora)
    webhook = _alerts(w, main, n)
    baseline, warning, late = _schedule(w, main, n)
    for seed in range(n):
        forecast_run(contract=w.contract, runs=100, seed=seed, actor=cora)
    events_fan_out(now=timezone.now(), limit=100_000)  # the action requests the changes open
    return Dataset(
        world=w,
        webhook=webhook,
        deliverable=main,
        evidence=main.evidence.order_by("pk")[0],
        payment=payments[0],
        performance=target,
        gate=_decided_gate(w, n),
        change=changes[0],
        baseline=baseline,
        warning=warning,
        late=late,
        report=report,
        imports=imports,
    )


def _communications(w: World, n: int) -> dict[str, Any]:
    """NEC4 ECC, and ``n`` compensation events each linked to a milestone, one answered."""
    from milepost.communications.services import communication_create, contract_form_set

    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    first = None
    for i in range(n):
        event = communication_create(
            contract=w.contract,
            kind="ce_contractor",
            subject=f"Event {i}",
            aware_on=w.today,
            milestones=[w.deliverable(f"Event milestone {i}")],
            actor=w.supplier_manager,
        )
        first = first or event
    assert first is not None
    communication_create(
        contract=w.contract,
        kind="manager_reply",
        subject="Accepted",
        in_reply_to=first,
        outcome="accepted",
        actor=w.client_manager,
        attachments=[pdf(f"reply-{i}.pdf") for i in range(min(n, 10))],
    )
    return {
        "contract_id": w.contract.pk,
        "communication_id": first.pk,
        "attachment": first.answers.get().attachments.values_list("communication_id", "pk")[0],
    }


def _payment_cycles(w: World, n: int) -> dict[str, Any]:
    """Scheme terms and ``n`` monthly-ish interim cycles, each with a notice and a receipt."""
    from milepost.finance.cycles.services import (
        cycle_apply,
        cycle_payment_notice,
        cycle_receipt_record,
        money_terms_set,
    )

    money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
    )
    cycle = None
    for i in range(n):
        day = w.today - dt.timedelta(days=n - i)
        cycle = cycle_apply(
            contract=w.contract,
            actor=w.supplier_manager,
            applied_on=day,
            period_end=day,
            gross_value=str(1000 * (i + 1)),
        )
        cycle_payment_notice(
            cycle=cycle, actor=w.client_manager, given_on=day, notified_sum="100", basis="Value."
        )
        cycle_receipt_record(cycle=cycle, actor=w.client_manager, paid_on=day, amount="50")
    assert cycle is not None
    return {"contract_id": w.contract.pk, "cycle_id": cycle.pk}


def _delay_damages(w: World, n: int) -> dict[str, Any]:
    """``n`` milestones with delay damages; the first extended ``n`` times."""
    from milepost.finance.damages.services import damages_terms_set
    from milepost.schedule.changes import change_request_approve

    first = None
    for i in range(n):
        milestone = w.deliverable(f"Section {i} complete", due_date=w.today + dt.timedelta(days=5))
        damages_terms_set(
            milestone=milestone,
            actor=w.client_manager,
            rate="1000",
            unit="day",
            payer=w.supplier,
            payee=w.client,
            cap_percent="5",
        )
        first = first or milestone
    assert first is not None
    for i in range(n):
        change = change_request_submit(
            milestone=first,
            new_due_date=w.today + dt.timedelta(days=6 + i),
            reason=f"Extension {i}",
            actor=w.supplier_manager,
        )
        change_request_approve(change=change, actor=w.client_manager)
        first.refresh_from_db()
    return {"contract_id": w.contract.pk, "milestone_id": first.pk}


def _documents(w: World, n: int) -> dict[str, Any]:
    """``n`` contract documents, each read into the same six proposals (issue 18)."""
    from milepost.extraction.services import document_upload_and_read
    from milepost.interchange.uploads import Upload

    from .extraction_helpers import AGREEMENT, hand_built

    document = None
    for i in range(n):
        document = document_upload_and_read(
            contract=w.contract,
            upload=Upload(name=f"schedule-{i}.txt", data=AGREEMENT.encode()),
            title=f"Schedule {i}",
            actor=w.client_manager,
            extract=hand_built,
        )
    assert document is not None
    return {"contract_id": w.contract.pk, "document_id": document.pk}


def _issue16(w: World) -> dict[str, dict[str, Any]]:
    """The client manager's saved template and one import of each kind, waiting in preview."""
    scene = SimpleNamespace(world=w, days=lambda n: (w.today + dt.timedelta(days=n)).isoformat())
    return {
        "template": contract_template(scene),  # type: ignore[arg-type]
        "sheet": sheet_import(scene),  # type: ignore[arg-type]
        "programme": programme_import(scene),  # type: ignore[arg-type]
        "ocds": ocds_import(scene),  # type: ignore[arg-type]
    }


def _issue15(w: World, n: int) -> IssuedReport:
    """``n`` update rounds, report subscriptions and issued reports on the contract."""
    cora = w.client_manager
    for i in range(n):
        update_round_request(contract=w.contract, actor=cora)
        report_subscription_create(
            contract=w.contract,
            report_type="contract_status",
            frequency="weekly",
            weekday=i % 7,
            members=[cora.username],
            actor=cora,
        )
    wanted = report_request(user=cora, report_type="contract_status", contract_id=w.contract.pk)
    report = report_issue(request=wanted, actor=cora, reader=cora)
    # Copies of the one snapshot: drawing n PDFs would only slow the suite down.
    IssuedReport.objects.bulk_create(
        [
            IssuedReport(
                **{
                    f.attname: getattr(report, f.attname)
                    for f in IssuedReport._meta.concrete_fields
                    if not f.primary_key
                }
            )
            for _ in range(n - 1)
        ]
    )
    return report


def _schedule(w: World, main: Milestone, n: int) -> tuple[Baseline, EarlyWarning, Milestone]:
    """``n`` baselines, contract days off, early warnings on ``n`` milestones each, and
    recovery actions on one overdue milestone."""
    cora, sid = w.client_manager, w.supplier_member
    late = w.deliverable("Scaffold inspection", due_date=w.today - dt.timedelta(days=1))
    targets = list(Milestone.objects.filter(contract=w.contract)[:n])
    day = w.today + dt.timedelta(days=10)
    for i in range(n):
        baseline_create(contract=w.contract, name=f"Programme v{i}", actor=cora)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        non_working_day_add(contract=w.contract, day=day, reason=f"Shutdown {i}", actor=cora)
        day += dt.timedelta(days=1)
        early_warning_raise(
            contract=w.contract,
            title=f"Risk {i}",
            likelihood=3,
            impact=3,
            milestones=targets,
            owner=sid,
            actor=sid,
        )
        recovery_action_add(
            milestone=late,
            cause=f"Cause {i}",
            plan="Plan",
            owner=sid,
            new_target=w.today + dt.timedelta(days=5),
            actor=sid,
        )
    baseline = Baseline.objects.filter(contract=w.contract).order_by("pk").first()
    warning = EarlyWarning.objects.filter(contract=w.contract).order_by("pk").first()
    assert baseline is not None and warning is not None
    return baseline, warning, late


def _alerts(w: World, main: Milestone, n: int) -> WebhookEndpoint:
    """``n`` in-app notifications, watches, calendar feeds and webhook endpoints for the client
    manager, ``n`` deliveries to one endpoint, and a reminder-rule override at every level."""
    cora = w.client_manager
    now = timezone.now()
    endpoints = [
        WebhookEndpoint.objects.create(
            organisation=w.client_org, url=f"https://93.184.215.14/hook/{i}", secret="whsec_x"
        )
        for i in range(n)
    ]
    feed_token_get_or_create(user=cora, actor=cora)
    for i, contract in enumerate(Contract.objects.filter(owner=w.client_org)[:n]):
        watch_add(user=cora, contract=contract)
        watch_add(user=cora, milestone=w.deliverable(f"Watched {i}"))
        feed_token_get_or_create(user=cora, contract=contract, actor=cora)
    Notification.objects.bulk_create(
        [
            Notification(
                key=f"q:{i}:{channel}",
                kind=Kind.NOTICE,
                channel=channel,
                status=Status.SENT,
                event_type="notice.test",
                user=cora if channel == Channel.INAPP else None,
                endpoint=endpoints[0] if channel == Channel.WEBHOOK else None,
                payload={"type": "notice.test", "summary": f"Notice {i}"},
                send_after=now,
            )
            for i in range(n)
            for channel in (Channel.INAPP, Channel.WEBHOOK)
        ]
    )
    rule = {
        "offsets": [7, 0],
        "working_days": False,
        "overdue_every": 1,
        "escalate_after": None,
        "escalate_critical_to_counterparty": False,
        "channels": ["inapp"],
    }
    for scope in ({"organisation": w.client_org}, {"contract": w.contract}, {"milestone": main}):
        reminder_rule_set(actor=cora, **scope, **rule)  # type: ignore[arg-type]
    return endpoints[0]


def _measured_target(w: World, n: int) -> Milestone:
    """A daily KPI over ``n`` finished days, each measured; every other day misses and earns a
    service credit."""
    target = make_target(w, periods=n, period="day")
    credit_terms_set(
        milestone=target,
        method="fixed",
        amount="100",
        payer=w.supplier,
        payee=w.client,
        actor=w.client_manager,
    )
    for i in range(n):
        day = w.contract.start_date + dt.timedelta(days=i)
        value = "5" if i % 2 else "3"
        measurement_record(milestone=target, period_start=day, value=value, actor=w.supplier_member)
    return target


def _decided_gate(w: World, n: int) -> Milestone:
    """A gate that ``n`` new parties (so ``n`` more parties on the contract) each approve."""
    parties = []
    for i in range(n):
        org = organisation_create(name=f"Reviewer {i}", actor=None)
        membership_set(user=w.client_manager, organisation=org, role=Role.MANAGER, actor=None)
        parties.append(
            party_add(
                contract=w.contract,
                organisation=org,
                role=PartyRole.CONSULTANT,
                actor=w.client_manager,
            )
        )
    gate = make_gate(w, required=parties)
    for party in parties:
        gate_decide(milestone=gate, party=party, decision="approve", actor=w.client_manager)
    return gate


Params = Callable[[Dataset], dict[str, Any]]


@dataclass(frozen=True)
class Budget:
    """The most queries a route may make, and the path parameters to measure it with.

    ``grows`` says the answer is a list (or holds one) that is longer on the larger dataset,
    which shows the measurement really compared a short page with a long one.
    """

    queries: int
    params: Params = lambda d: {}
    grows: bool = True


def contract(d: Dataset) -> dict[str, Any]:
    return {"contract_id": d.world.contract.pk}


def report(d: Dataset) -> dict[str, Any]:
    return {"query": f"?type=contract_status&contract_id={d.world.contract.pk}"}


def organisation(d: Dataset) -> dict[str, Any]:
    return {"slug": d.world.client_org.slug}


def on(attribute: str) -> Params:
    return lambda d: {"milestone_id": getattr(d, attribute).pk}


# Every count includes 2 queries of authentication (the token, and marking it used). Every
# /milestones/{id}/... route loads the milestone in one query (contract, owner and parties
# joined in) and then only what it answers with: 3 queries before its own.
BUDGETS: dict[str, Budget] = {
    "/tokens": Budget(3),
    "/me": Budget(2, grows=False),
    "/contracts": Budget(3),
    "/contracts/{contract_id}": Budget(4, contract),
    # An event history also reads the names its sentences need: up to 4 (people,
    # organisations, contracts, milestones), however many events.
    # All of the history (up to 500), not the first page of 100: the small dataset alone has
    # about 100 events, and two full first pages would not show the answer growing.
    "/contracts/{contract_id}/events": Budget(
        8, lambda d: {"contract_id": d.world.contract.pk, "query": "?limit=500"}
    ),
    "/contracts/{contract_id}/payments": Budget(5, contract),
    # The retention ledger: the terms with both releases, the cycles, the receipts on
    # releases and releases paid without a cycle.
    "/contracts/{contract_id}/retention": Budget(7, contract),
    "/milestones": Budget(3),
    "/milestones/{milestone_id}": Budget(5, on("deliverable")),
    "/milestones/{milestone_id}/events": Budget(8, on("deliverable")),
    "/milestones/{milestone_id}/updates": Budget(4, on("deliverable")),
    "/milestones/{milestone_id}/comments": Budget(4, on("deliverable")),
    "/milestones/{milestone_id}/dependencies": Budget(5, on("deliverable")),
    "/milestones/{milestone_id}/evidence": Budget(4, on("deliverable")),
    "/milestones/{milestone_id}/evidence/{evidence_id}": Budget(
        4,
        lambda d: {"milestone_id": d.deliverable.pk, "evidence_id": d.evidence.pk},
        grows=False,
    ),
    "/milestones/{milestone_id}/payment": Budget(4, on("payment"), grows=False),
    # Finance: the terms in one query; cycles with their receipts summed in one, however many.
    "/contracts/{contract_id}/money-terms": Budget(
        4, lambda d: {"contract_id": d.world.contract.pk}, grows=False
    ),
    "/contracts/{contract_id}/payment-cycles": Budget(4, lambda d: d.imports["cycles"]),
    # The clock: the form's periods in one query; communications with their milestones in two.
    "/contracts/{contract_id}/contract-data": Budget(4, contract, grows=False),
    "/contracts/{contract_id}/communications": Budget(
        6, lambda d: {"contract_id": d.imports["communications"]["contract_id"]}
    ),
    "/communications/{communication_id}": Budget(
        5,
        lambda d: {"communication_id": d.imports["communications"]["communication_id"]},
        grows=False,
    ),
    # One file of a communication: the communication with its milestones and its files.
    "/communications/{communication_id}/attachments/{attachment_id}": Budget(
        5,
        lambda d: dict(
            zip(
                ("communication_id", "attachment_id"),
                d.imports["communications"]["attachment"],
                strict=True,
            )
        ),
        grows=False,
    ),
    # The communication as a notice: the communication, then its milestones and its files.
    "/communications/{communication_id}/notice.pdf": Budget(
        5,
        lambda d: {"communication_id": d.imports["communications"]["communication_id"]},
        grows=False,
    ),
    "/payment-cycles/{cycle_id}": Budget(
        6, lambda d: {"cycle_id": d.imports["cycles"]["cycle_id"]}, grows=False
    ),
    # Delay damages: the terms with their parties, the approved extensions and the deductions,
    # one query each, for one milestone or all of a contract's.
    "/milestones/{milestone_id}/delay-damages": Budget(
        6, lambda d: {"milestone_id": d.imports["damages"]["milestone_id"]}
    ),
    "/contracts/{contract_id}/delay-damages": Budget(
        6, lambda d: {"contract_id": d.imports["damages"]["contract_id"]}
    ),
    "/milestones/{milestone_id}/kpi": Budget(5, on("performance")),
    # Service credits: the terms with their parties in one query; a contract's credits in one.
    "/milestones/{milestone_id}/service-credit-terms": Budget(5, on("performance"), grows=False),
    "/contracts/{contract_id}/service-credits": Budget(4, contract),
    "/milestones/{milestone_id}/gate": Budget(5, on("gate")),
    "/notifications": Budget(4),
    "/notifications/unread-count": Budget(3, grows=False),
    "/me/alert-preferences": Budget(3, grows=False),
    "/me/watches": Budget(3),
    "/me/feeds": Budget(3),
    "/organisations/{slug}/reminder-rule": Budget(4, organisation, grows=False),
    "/organisations/{slug}/reminder-rule/override": Budget(4, organisation, grows=False),
    "/contracts/{contract_id}/reminder-rule": Budget(4, contract, grows=False),
    "/contracts/{contract_id}/reminder-rule/override": Budget(4, contract, grows=False),
    "/milestones/{milestone_id}/reminder-rule": Budget(5, on("deliverable"), grows=False),
    "/milestones/{milestone_id}/reminder-rule/override": Budget(4, on("deliverable"), grows=False),
    "/organisations/{slug}/webhooks": Budget(5, organisation),
    "/webhooks/{webhook_id}": Budget(4, lambda d: {"webhook_id": d.webhook.pk}, grows=False),
    "/webhooks/{webhook_id}/deliveries": Budget(4, lambda d: {"webhook_id": d.webhook.pk}),
    "/contracts/{contract_id}/change-requests": Budget(4, contract),
    "/contracts/{contract_id}/baselines": Budget(4, contract),
    # Its variance has a row per milestone of the contract, which grows with the dataset.
    "/baselines/{baseline_id}": Budget(7, lambda d: {"baseline_id": d.baseline.pk}),
    "/contracts/{contract_id}/non-working-days": Budget(4, contract),
    "/contracts/{contract_id}/calendar": Budget(
        4, lambda d: {"contract_id": d.world.contract.pk, "query": "?from=2026-01-01&to=2028-12-31"}
    ),
    "/contracts/{contract_id}/early-warnings": Budget(5, contract),
    "/early-warnings/{warning_id}": Budget(5, lambda d: {"warning_id": d.warning.pk}),
    "/milestones/{milestone_id}/recovery-actions": Budget(5, on("late")),
    # Access, then the graph: milestones, links, the contract's days off, and the rows shown.
    "/contracts/{contract_id}/critical-path": Budget(7, contract),
    "/contracts/{contract_id}/forecasts": Budget(4, contract),
    # A run's results have a row per open milestone, which grows with the dataset.
    "/forecasts/{run_id}": Budget(
        5, lambda d: {"run_id": d.world.contract.forecast_runs.order_by("pk")[0].pk}
    ),
    "/milestones/{milestone_id}/forecast": Budget(5, on("deliverable"), grows=False),
    # Its impact names every milestone the change moved: the survey's one successor.
    "/change-requests/{change_id}": Budget(3, lambda d: {"change_id": d.change.pk}, grows=False),
    "/me/actions": Budget(3),
    "/me/money-due": Budget(4),
    "/organisations/{slug}/action-rule": Budget(4, organisation, grows=False),
    "/contracts/{contract_id}/update-rounds": Budget(8, contract),
    "/contracts/{contract_id}/report-subscriptions": Budget(6, contract),
    "/reports": Budget(3),
    "/reports/draw": Budget(17, report, grows=False),
    "/reports/draw.pdf": Budget(17, report, grows=False),
    "/reports/{report_id}": Budget(3, lambda d: {"report_id": d.report.pk}, grows=False),
    "/reports/{report_id}/pdf": Budget(3, lambda d: {"report_id": d.report.pk}, grows=False),
    "/search": Budget(5, lambda d: {"query": "?q=Contract"}),
    # Templates: the built-in ones come from code, the saved ones in one query.
    "/contract-templates": Budget(3, grows=False),
    "/contract-templates/{key}": Budget(3, lambda d: d.imports["template"], grows=False),
    # Exports stream their rows a chunk at a time: the queries do not grow with the rows.
    "/exports/milestones": Budget(3, lambda d: {"query": "?format=csv"}),
    "/contracts/{contract_id}/exports/{table}": Budget(
        8, lambda d: {"contract_id": d.world.contract.pk, "table": "history"}
    ),
    "/contracts/{contract_id}/ocds": Budget(6, contract),
    # Cash flow and earned value: payment terms grouped by month (or currency) in one query,
    # receipts in one, what payment cycles still owe in one (curves only), whatever the number
    # of payments; the portfolio does them all.
    "/contracts/{contract_id}/cash-flow": Budget(6, contract, grows=False),
    "/contracts/{contract_id}/earned-value": Budget(5, contract, grows=False),
    "/cash-flow": Budget(6, grows=False),
    "/exports/cash-flow": Budget(5, lambda d: {"query": "?format=csv"}, grows=False),
    # An import's preview is its stored reading, found by its uploader.
    "/imports/sheets/{import_id}": Budget(8, lambda d: d.imports["sheet"], grows=False),
    "/imports/programmes/{import_id}": Budget(10, lambda d: d.imports["programme"], grows=False),
    "/imports/ocds/{import_id}": Budget(4, lambda d: d.imports["ocds"], grows=False),
    # Contract documents: the list counts each one's proposals in the same query; one document
    # is read with its reading, then its proposals in one query.
    "/contracts/{contract_id}/documents": Budget(5, lambda d: d.imports["documents"]),
    "/documents/{document_id}": Budget(5, lambda d: d.imports["documents"], grows=False),
    "/documents/{document_id}/file": Budget(4, lambda d: d.imports["documents"], grows=False),
}


@dataclass(frozen=True)
class Measurement:
    status: int
    queries: int
    size: int


def measure(dataset: Dataset, path: str) -> Measurement:
    """Count the queries of one GET by the client manager, with a fresh token."""
    _, raw = api_token_create(user=dataset.world.client_manager, name="measure")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)
    params = BUDGETS[path].params(dataset)
    url = API + path.format(**params) + params.get("query", "")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = b"".join(response) if response.streaming else response.content
    return Measurement(response.status_code, len(queries), len(body))


@pytest.fixture(scope="module")
def measured(
    django_db_setup: None, django_db_blocker: Any
) -> Iterator[dict[str, list[Measurement]]]:
    """Measure every budgeted route on each dataset size, each size built and rolled back alone."""
    results: dict[str, list[Measurement]] = {path: [] for path in BUDGETS}
    with django_db_blocker.unblock(), transaction.atomic():
        for n in SIZES:
            with transaction.atomic():
                w = build_world()
                dataset = build_dataset(w, n)
                for path in BUDGETS:
                    results[path].append(measure(dataset, path))
                transaction.set_rollback(True)
        yield results
        transaction.set_rollback(True)


def get_routes() -> set[str]:
    return {path for method, path in api_routes() if method == "GET"}


def test_every_get_route_has_a_query_budget() -> None:
    unbudgeted = sorted(get_routes() - BUDGETS.keys())
    stale = sorted(BUDGETS.keys() - get_routes())
    assert not unbudgeted, f"GET routes without a query budget: {unbudgeted}"
    assert not stale, f"Budgets for GET routes the API no longer has: {stale}"


@pytest.mark.parametrize("path", sorted(BUDGETS))
def test_query_count_does_not_grow_with_the_data_and_keeps_its_budget(
    measured: dict[str, list[Measurement]], db: None, path: str
) -> None:
    small, large = measured[path]
    assert (small.status, large.status) == (200, 200)
    if BUDGETS[path].grows:
        assert large.size > small.size, "the larger dataset did not give a longer answer"
    assert small.queries == large.queries, (
        f"{small.queries} queries with {SIZES[0]} of each child, {large.queries} with {SIZES[1]}"
    )
    assert large.queries <= BUDGETS[path].queries


@pytest.mark.parametrize("path", sorted(BUDGETS.keys() - COMPOSITE))
def test_query_count_is_within_the_design_limit(
    measured: dict[str, list[Measurement]], db: None, path: str
) -> None:
    assert max(m.queries for m in measured[path]) <= DESIGN_LIMIT
