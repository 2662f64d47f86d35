"""The reminder scan as it was before its rows were built in SQL: the oracle for the SQL path.

``reminders_scan_reference`` builds every notification in Python, one milestone at a time,
exactly as the worker did until issue 19 (commit b79c582). ``tests/test_alerts_scan_sql.py``
runs it and the worker's set-based ``reminders_scan`` on the same world and requires the same
rows, plans and failures.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction

from milepost.accounts.models import User
from milepost.alerts.choices import WorkUnit
from milepost.alerts.engine.compose import (
    MILESTONE_RELATED,
    REMINDER_KINDS,
    REMINDER_TYPES,
    Audience,
    Row,
    _endpoints_by_contract,
    _managers_by_org,
    _now,
    _reminder_summary,
    _webhook_rows,
    milestone_payload,
    notifications_insert,
)
from milepost.alerts.failures import connection_lost, failure_record, failures_clear
from milepost.alerts.models import (
    ReminderPlan,
    Watch,
)
from milepost.alerts.plans import calendar_for, plan_values, plans_write, rules_for
from milepost.alerts.timing import Rule, Trigger, coalesce, latest_day_now, triggers_between
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Party
from milepost.core.dates import local_today
from milepost.schedule.choices import OPEN_STATUSES, Criticality
from milepost.schedule.models import Milestone


def reminders_scan_reference(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Turn up to ``limit`` due plans into notifications; return how many plans were due."""
    now = _now(now)
    through = latest_day_now(now)
    # Yesterday or later somewhere on Earth is still someone's today: not yet history.
    fresh_from = through - dt.timedelta(days=1)
    if not ReminderPlan.objects.filter(next_at__lte=now).exists():
        return 0  # the idle case: one indexed read, no transaction
    with transaction.atomic():
        plans = list(
            ReminderPlan.objects.filter(next_at__lte=now)
            .order_by("next_at")
            .select_for_update(skip_locked=True)[:limit]
        )
        if not plans:
            return 0
        milestones = Milestone.objects.select_related(*MILESTONE_RELATED).in_bulk(
            [p.milestone_id for p in plans]
        )
        live = [m for m in milestones.values() if m.status in OPEN_STATUSES]
        rules = rules_for(live)
        batch = _ScanBatch(live, now)
        rows: list[Row] = []
        gone, moved, parked = [], [], []
        for plan in plans:
            m = milestones.get(plan.milestone_id)
            if m is None or m.status not in OPEN_STATUSES:
                gone.append(plan.pk)
                continue
            # One milestone whose dates no arithmetic can handle (an old bad row) is recorded
            # and parked until its next attempt; every other plan's reminders still go out.
            # Nothing below writes, so skipping its rows is all the rollback it needs.
            try:
                rows += _plan_rows(plan, m, rules[m.pk], batch, now, through, fresh_from)
            except Exception as error:
                if connection_lost(error):
                    raise
                failure = failure_record(WorkUnit.PLAN, m.pk, error, now=now)
                plan.next_at = failure.retry_after
                plan.next_on = None
                parked.append(plan)
                continue
            moved.append(plan)
        ReminderPlan.objects.filter(pk__in=gone).delete()
        plans_write(moved)
        if parked:
            ReminderPlan.objects.bulk_update(parked, ["next_on", "next_at"])
        failures_clear(WorkUnit.PLAN, [p.milestone_id for p in moved])
        notifications_insert(rows)
    return len(plans)


def _plan_rows(
    plan: ReminderPlan,
    m: Milestone,
    rule: Rule,
    batch: "_ScanBatch",
    now: dt.datetime,
    through: dt.date,
    fresh_from: dt.date,
) -> list[Row]:
    """One plan's notifications for the days that have come; move the plan past them."""
    if plan.due_date != m.due_date:
        # Rescheduled since the plan was written and the event not yet seen: re-open
        # today, as plans_sync does, so the new date's reminders for today still come.
        plan.due_date = m.due_date
        yesterday = local_today(m.contract.time_zone, now) - dt.timedelta(days=1)
        plan.done_through = min(plan.done_through, yesterday)
    cal = calendar_for(m.contract)
    found = triggers_between(m.due_date, rule, cal, plan.done_through, through)
    rows: list[Row] = []
    for trigger in coalesce(found, fresh_from):
        rows += batch.reminder_rows(m, rule, trigger)
    done_through = max(plan.done_through, through)
    plan.next_on, plan.next_at = plan_values(m, rule, done_through)
    plan.done_through = done_through
    return rows


class _ScanBatch:
    """Recipients for one scan's milestones, loaded in a handful of queries."""

    def __init__(self, milestones: list[Milestone], now: dt.datetime) -> None:
        self.now = now
        contract_ids = {m.contract_id for m in milestones}
        self.watchers: dict[int, list[User]] = defaultdict(list)
        for w in Watch.objects.filter(milestone__in=milestones).select_related("user"):
            self.watchers[w.milestone_id].append(w.user)  # type: ignore[index]
        self.parties: dict[int, list[Party]] = defaultdict(list)
        # Due before the latest date anywhere: an escalation may fall in this scan.
        escalating = [m for m in milestones if m.due_date < latest_day_now(now)]
        if escalating:
            for p in Party.objects.filter(contract__in={m.contract_id for m in escalating}):
                self.parties[p.contract_id].append(p)
        org_ids = {p.organisation_id for ps in self.parties.values() for p in ps}
        self.managers = _managers_by_org(org_ids) if org_ids else {}
        self.endpoints = _endpoints_by_contract(contract_ids)
        self.audience = Audience()
        self.audience.load(
            [m.owner for m in milestones]
            + [u for us in self.watchers.values() for u in us]
            + [u for us in self.managers.values() for u in us]
        )

    def recipients(self, m: Milestone, rule: Rule, kind: str) -> list[User]:
        if kind != "escalation":
            people = [m.owner, *self.watchers[m.pk]]
        else:
            parties = self.parties[m.contract_id]
            orgs = [p.organisation_id for p in parties if p.pk == m.responsible_party_id]
            if m.criticality == Criticality.CRITICAL and rule.escalate_critical_to_counterparty:
                orgs += [
                    p.organisation_id
                    for p in parties
                    if p.pk != m.responsible_party_id and p.role != PartyRole.OBSERVER
                ]
            people = [u for org in orgs for u in self.managers.get(org, [])]
        unique: dict[int, User] = {}
        for user in people:
            unique.setdefault(user.pk, user)
        return list(unique.values())

    def reminder_rows(self, m: Milestone, rule: Rule, trigger: Trigger) -> list[Row]:
        event_type = REMINDER_TYPES[trigger.kind]
        days = (m.due_date - trigger.on).days
        payload = milestone_payload(
            m, event_type, days=days, summary=_reminder_summary(m, trigger, days)
        )
        payload["trigger"] = {
            "kind": trigger.kind,
            "offset": trigger.offset,
            "on": trigger.on.isoformat(),
        }
        key = f"r:{m.pk}:{m.due_date.isoformat()}:{trigger.kind}:{trigger.offset}"
        common = {
            "kind": REMINDER_KINDS[trigger.kind],
            "event_type": event_type,
            "contract": m.contract,
            "milestone": m,
            "fire_on": trigger.on,
            "payload": payload,
        }
        rows: list[Row] = []
        for user in self.recipients(m, rule, trigger.kind):
            rows += self.audience.rows(
                user,
                key=key,
                at=None,
                day=trigger.on,
                now=self.now,
                channels=rule.channels,
                **common,
            )
        rows += _webhook_rows(self.endpoints[m.contract_id], key=key, now=self.now, **common)
        return rows
