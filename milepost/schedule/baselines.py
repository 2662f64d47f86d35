"""Named baselines: freeze a contract's plan, and compare the current plan with it.

``baseline_create`` and ``baseline_delete`` are the writes; ``baselines_for_contract``,
``baseline_get_for_user`` and ``baseline_variance`` the reads. Variance counts slip in calendar
days and in the contract's working days, where a date that is not worked counts as the next
working day (as the schedule's graph passes count it).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_calendar, contracts_for_user
from milepost.core.errors import DomainError, NotFound

from .choices import MilestoneKind, MilestoneStatus
from .events import ScheduleEvent
from .models import Baseline, BaselineEntry, Milestone

NAME_MAX = Baseline._meta.get_field("name").max_length or 120


# Writes


@transaction.atomic
def baseline_create(*, contract: Contract, name: str, actor: User) -> Baseline:
    """Freeze every milestone's start and due dates under a name unique to the contract."""
    contract_access(user=actor, contract=contract).require_manager()
    name = name.strip()
    if not name:
        raise DomainError("required", "A baseline needs a name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError("too_long", f"Name has at most {NAME_MAX} characters.", field="name")
    if Baseline.objects.filter(contract=contract, name=name).exists():
        raise DomainError(
            "duplicate_baseline",
            f"This contract already has a baseline called '{name}'.",
            field="name",
        )
    baseline = Baseline.objects.create(contract=contract, name=name, created_by=actor)
    # Cancelled milestones are frozen too: the variance shows them, marked by their status.
    dates = Milestone.objects.filter(contract=contract).values_list("id", "due_date", "start_date")
    entries = BaselineEntry.objects.bulk_create(
        BaselineEntry(baseline=baseline, milestone_id=pk, due_date=due, start_date=start)
        for pk, due, start in dates
    )
    event_record(
        actor=actor,
        action=ScheduleEvent.BASELINE_CREATED,
        obj=baseline,
        after={"name": name, "milestones": len(entries)},
    )
    return baseline


@transaction.atomic
def baseline_delete(*, baseline: Baseline, actor: User) -> None:
    """Delete a baseline and its frozen dates (managers of the organisation owning the contract)."""
    contract_access(user=actor, contract=baseline.contract).require_administrator()
    snapshot = {"name": baseline.name}
    baseline_id = baseline.pk
    baseline.delete()
    # The event names the row that was deleted.
    baseline.pk = baseline_id
    event_record(
        actor=actor,
        action=ScheduleEvent.BASELINE_DELETED,
        obj=baseline,
        before=snapshot,
        contract_id=baseline.contract_id,
    )


# Reads


def _visible(user: User) -> QuerySet[Baseline]:
    return (
        Baseline.objects.filter(contract__in=contracts_for_user(user=user))
        .select_related("contract__owner", "created_by")
        .annotate(entry_count=Count("entries"))
    )


def baselines_for_contract(*, user: User, contract: Contract) -> QuerySet[Baseline]:
    """Return the contract's baselines, newest first, each with ``entry_count``."""
    return _visible(user).filter(contract=contract).order_by("-created_at", "-id")


def baseline_get_for_user(*, user: User, pk: int) -> Baseline:
    """Return one baseline of a contract the user sees, with ``entry_count``, or raise NotFound."""
    baseline = _visible(user).filter(pk=pk).first()
    if baseline is None:
        raise NotFound("baseline")
    return baseline


@dataclass(frozen=True)
class VarianceRow:
    """One current milestone against the baseline; ``baseline_due`` is None for a new one."""

    id: int
    title: str
    kind: str
    status: str
    baseline_due: dt.date | None
    baseline_start: dt.date | None
    current_due: dt.date
    current_start: dt.date | None
    slip_days: int | None
    slip_working_days: int | None

    @property
    def is_new(self) -> bool:
        return self.baseline_due is None

    @property
    def kind_label(self) -> str:
        return str(MilestoneKind(self.kind).label)

    @property
    def status_label(self) -> str:
        return str(MilestoneStatus(self.status).label)

    @property
    def counts(self) -> bool:
        """Cancelled milestones are listed but left out of the summary."""
        return self.status != MilestoneStatus.CANCELLED


@dataclass(frozen=True)
class VarianceSummary:
    """How the plan as a whole moved since the baseline."""

    later: int
    earlier: int
    unchanged: int
    new: int
    # The milestone that moved latest, or None when none is later.
    largest_slip_days: int | None
    largest_slip_working_days: int | None
    largest_slip_milestone_id: int | None
    # The latest due date now against the latest in the baseline (cancelled ones left out).
    baseline_finish: dt.date | None
    current_finish: dt.date | None
    finish_slip_days: int | None
    finish_slip_working_days: int | None


@dataclass(frozen=True)
class Variance:
    """A baseline compared with the current plan: one row per current milestone, and totals."""

    rows: list[VarianceRow]
    summary: VarianceSummary


def baseline_variance(*, user: User, baseline: Baseline) -> Variance:
    """Compare the current plan with ``baseline`` in four queries, however many milestones."""
    contract = baseline.contract
    if not contract_access(user=user, contract=contract).can_view:
        raise NotFound("baseline")
    frozen = {
        pk: (due, start)
        for pk, due, start in baseline.entries.values_list("milestone_id", "due_date", "start_date")
    }
    current = list(
        Milestone.objects.filter(contract=contract)
        .order_by("due_date", "id")
        .values_list("id", "title", "kind", "status", "due_date", "start_date")
    )
    dates = [row[4] for row in current] + [due for due, _ in frozen.values()]
    working = None
    if dates:
        working = contract_calendar(contract=contract).index(min(dates), max(dates))

    def slips(before: dt.date | None, after: dt.date | None) -> tuple[int | None, int | None]:
        if before is None or after is None or working is None:
            return None, None
        return (after - before).days, working.number(after) - working.number(before)

    rows = []
    for pk, title, kind, status, due, start in current:
        baseline_due, baseline_start = frozen.get(pk, (None, None))
        slip, slip_working = slips(baseline_due, due)
        rows.append(
            VarianceRow(
                id=pk,
                title=title,
                kind=kind,
                status=status,
                baseline_due=baseline_due,
                baseline_start=baseline_start,
                current_due=due,
                current_start=start,
                slip_days=slip,
                slip_working_days=slip_working,
            )
        )
    counted = [row for row in rows if row.counts]
    compared = [row for row in counted if row.slip_days is not None]
    later = [row for row in compared if row.slip_days is not None and row.slip_days > 0]
    latest = max(later, key=lambda row: (row.slip_days or 0, -row.id), default=None)
    baseline_finish = max((r.baseline_due for r in counted if r.baseline_due), default=None)
    current_finish = max((r.current_due for r in counted), default=None)
    finish_slip, finish_slip_working = slips(baseline_finish, current_finish)
    summary = VarianceSummary(
        later=len(later),
        earlier=sum(1 for row in compared if (row.slip_days or 0) < 0),
        unchanged=sum(1 for row in compared if row.slip_days == 0),
        new=sum(1 for row in counted if row.is_new),
        largest_slip_days=latest.slip_days if latest else None,
        largest_slip_working_days=latest.slip_working_days if latest else None,
        largest_slip_milestone_id=latest.id if latest else None,
        baseline_finish=baseline_finish,
        current_finish=current_finish,
        finish_slip_days=finish_slip,
        finish_slip_working_days=finish_slip_working,
    )
    return Variance(rows=rows, summary=summary)
