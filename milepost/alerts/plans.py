"""Which reminder rule applies to a milestone, and the plan row that says when it next fires.

A plan row exists for every open milestone and is kept current by the worker, which syncs the
milestones named by new events (created, rescheduled, closed...) and by rule changes. The scan
then reads only plans whose ``next_at`` has come, through a partial index.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from milepost.contracts.models import Contract
from milepost.core.dates import local_today
from milepost.schedule.choices import OPEN_STATUSES
from milepost.schedule.models import Milestone

from .choices import WorkUnit
from .failures import connection_lost, failure_record, failures_clear
from .models import ReminderPlan, ReminderRule
from .timing import DEFAULT_RULE, Calendar, Rule, day_starts_somewhere, next_trigger_day


def rule_from_row(row: ReminderRule) -> Rule:
    return Rule(
        offsets=tuple(row.offsets),
        working_days=row.working_days,
        overdue_every=row.overdue_every,
        escalate_after=row.escalate_after,
        escalate_critical_to_counterparty=row.escalate_critical_to_counterparty,
        channels=tuple(row.channels),
    )


def rules_for(milestones: Iterable[Milestone]) -> dict[int, Rule]:
    """The rule in force for each milestone (milestone, else contract, else owner organisation).

    Three queries at most, however many milestones. Each milestone's ``contract`` must be
    loaded (``select_related``).
    """
    milestones = list(milestones)
    if not milestones:
        return {}
    contract_ids = {m.contract_id for m in milestones}
    org_ids = {m.contract.owner_id for m in milestones}
    rows = ReminderRule.objects.filter(
        Q(milestone__in=[m.pk for m in milestones])
        | Q(contract__in=contract_ids)
        | Q(organisation__in=org_ids)
    )
    by_milestone: dict[int, Rule] = {}
    by_contract: dict[int, Rule] = {}
    by_org: dict[int, Rule] = {}
    for row in rows:
        rule = rule_from_row(row)
        if row.milestone_id:
            by_milestone[row.milestone_id] = rule
        elif row.contract_id:
            by_contract[row.contract_id] = rule
        elif row.organisation_id:
            by_org[row.organisation_id] = rule
    return {
        m.pk: by_milestone.get(m.pk)
        or by_contract.get(m.contract_id)
        or by_org.get(m.contract.owner_id)
        or DEFAULT_RULE
        for m in milestones
    }


def calendar_for(contract: Contract) -> Calendar:
    """The contract's working-day calendar."""
    return Calendar(contract.holiday_country, contract.holiday_region)


def plan_values(
    milestone: Milestone, rule: Rule, done_through: dt.date
) -> tuple[dt.date | None, dt.datetime | None]:
    """The next trigger day after ``done_through`` and the instant the scan should see it."""
    next_on = next_trigger_day(
        milestone.due_date, rule, calendar_for(milestone.contract), done_through
    )
    return next_on, day_starts_somewhere(next_on) if next_on else None


@transaction.atomic
def plans_sync(*, milestone_ids: Iterable[int], now: dt.datetime) -> int:
    """Bring the plans of these milestones up to date with their due date, status and rule.

    A closed milestone loses its plan. Every synced plan re-opens today in the contract's time
    zone, so what its rule says for today goes out today, even when the rule or the due date
    changed after the scan had passed today (notification keys stop anything already queued
    from going twice). A new plan counts from yesterday, so nothing older is sent for a
    milestone that did not exist then, except for one already overdue: it starts from its due
    date, so the scan sends the latest overdue reminder and any escalation once, as a late
    worker's catch-up does, instead of never escalating a milestone first seen past that day.

    Each milestone is planned on its own: one whose plan cannot be computed (an old row with a
    date out of range) is recorded as a ``PLAN`` failure and its plan parked until the failure's
    next attempt, when the scan tries it again; every other milestone still gets its plan. The
    failures of the milestones planned (or closed) here are cleared. Returns how many plans
    were made (parked ones not counted).
    """
    ids = sorted(set(milestone_ids))
    if not ids:
        return 0
    milestones = list(Milestone.objects.filter(pk__in=ids).select_related("contract"))
    open_ms = [m for m in milestones if m.status in OPEN_STATUSES]
    closed = [m.pk for m in milestones if m.status not in OPEN_STATUSES]
    if closed:
        ReminderPlan.objects.filter(milestone__in=closed).delete()
    plans = ReminderPlan.objects.in_bulk([m.pk for m in open_ms])
    rules = rules_for(open_ms)
    new, changed, planned = [], [], []
    for m in open_ms:
        yesterday = local_today(m.contract.time_zone, now) - dt.timedelta(days=1)
        plan = plans.get(m.pk)
        if plan is None:
            plan = ReminderPlan(
                milestone=m, due_date=m.due_date, done_through=min(yesterday, m.due_date)
            )
            new.append(plan)
        else:
            plan.due_date = m.due_date
            plan.done_through = min(plan.done_through, yesterday)
            changed.append(plan)
        try:
            plan.next_on, plan.next_at = plan_values(m, rules[m.pk], plan.done_through)
        except Exception as error:
            if connection_lost(error):
                raise
            # Nothing was written for it yet: parking its plan is all the rollback it needs.
            failure = failure_record(WorkUnit.PLAN, m.pk, error, now=now)
            plan.next_on, plan.next_at = None, failure.retry_after
            continue
        planned.append(m.pk)
    plans_write([*new, *changed])
    failures_clear(WorkUnit.PLAN, [*planned, *closed])
    return len(planned)


def plans_write(plans: list[ReminderPlan]) -> None:
    """Write plan rows, new or changed, in the caller's transaction.

    One ``INSERT … ON CONFLICT DO UPDATE``: far cheaper than Django's ``bulk_update``, whose
    CASE expressions cost milliseconds a row.
    """
    if plans:
        # An upsert: a concurrent writer of the same plan (the scan and the fan-out in two
        # workers) cannot make this fail; the later write wins, and both computed it from the
        # milestone as it is now.
        ReminderPlan.objects.bulk_create(
            plans,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["milestone"],
            update_fields=["due_date", "done_through", "next_on", "next_at"],
        )


def plans_sync_missing(*, now: dt.datetime, batch: int = 5000) -> int:
    """Create plans for open milestones that have none (after an upgrade, or a bulk import).

    A milestone whose plan cannot be made (an old row with a date out of range) is recorded as
    a worker failure and gets a parked plan (``plans_sync``), which the scan retries after 5 and
    30 minutes: the worker still starts, and every other plan is made. A milestone that raises
    anything else is recorded and passed over, to be tried again at the next start.
    """
    total, after = 0, 0
    while True:
        ids = list(
            Milestone.objects.filter(
                status__in=OPEN_STATUSES, reminder_plan__isnull=True, pk__gt=after
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        after = ids[-1]
        try:
            with transaction.atomic():
                total += plans_sync(milestone_ids=ids, now=now)
            continue
        except Exception as error:
            if connection_lost(error):
                raise
        for pk in ids:  # one by one, each in its own savepoint
            try:
                with transaction.atomic():
                    total += plans_sync(milestone_ids=[pk], now=now)
            except Exception as error:
                if connection_lost(error):
                    raise
                with transaction.atomic():
                    failure_record(WorkUnit.PLAN, pk, error, now=now)
