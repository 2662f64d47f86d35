"""Forecast runs: load a contract into the Monte Carlo kernel, store what it finds, read it back.

``montecarlo`` holds the model and does the arithmetic without a database. This module reads a
contract's milestones, links, calendar and its organisations' history in a few queries
(whatever the number of milestones), runs the kernel, and writes one ``ForecastRun`` with a
``ForecastResult`` per open milestone, the milestones' derived forecast fields and leading
signals, and one ``forecast.run`` event.

Leading signals (``Milestone.signals``; any makes health "at risk"), on open milestones only:
- no status update for the contract's ``stale_update_days`` days or more (counting from the
  milestone's creation when it has none);
- a deliverable with a start date whose progress is more than ``PROGRESS_GAP`` points behind
  the share of its start-to-due time gone (other kinds compute their own progress);
- ``MIN_SLIPS`` or more reschedules to a later date (``milestone.rescheduled`` events).
"""

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from milepost.accounts.models import User
from milepost.audit.models import Event
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_calendar, contracts_for_user
from milepost.core.dates import local_today, out_of_range_q, zone
from milepost.core.errors import DomainError, NotFound
from milepost.core.workdays import Calendar

from .choices import OPEN_STATUSES, MilestoneKind, MilestoneStatus
from .events import ScheduleEvent
from .models import Dependency, ForecastResult, ForecastRun, Milestone, StatusUpdate
from .montecarlo import ANCHOR_MET, Forecast, Link, Problem, Task, history_slips, new_seed, simulate
from .selectors import with_health

DEFAULT_RUNS = 10_000
MIN_RUNS, MAX_RUNS = 100, 100_000
MAX_SEED = (1 << 63) - 1
# The most recent closed milestones per organisation and kind that the history draws on.
HISTORY_LIMIT = 200
PROGRESS_GAP = 20
MIN_SLIPS = 2
MET_STATUSES = (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET)
FORECAST_FIELDS = [
    "on_time_probability",
    "forecast_p50",
    "forecast_p80",
    "forecast_date",
    "signals",
]
ROW_FIELDS = (
    "id",
    "kind",
    "responsible_party__organisation_id",
    "status",
    "due_date",
    "baseline_due_date",
    "start_date",
    "met_on",
    "estimate_optimistic",
    "estimate_likely",
    "estimate_pessimistic",
    "anchor_id",
    "anchor_event",
    "anchor_offset",
    "anchor_working_days",
    "progress",
    "created_at",
    *FORECAST_FIELDS,
)


@dataclass(frozen=True)
class Row:
    """The columns of one milestone that a forecast reads or writes."""

    id: int
    kind: str
    organisation_id: int
    status: str
    due_date: dt.date
    baseline_due_date: dt.date
    start_date: dt.date | None
    met_on: dt.date | None
    estimate_optimistic: int | None
    estimate_likely: int | None
    estimate_pessimistic: int | None
    anchor_id: int | None
    anchor_event: str
    anchor_offset: int
    anchor_working_days: bool
    progress: int
    created_at: dt.datetime
    on_time_probability: float | None
    forecast_p50: dt.date | None
    forecast_p80: dt.date | None
    forecast_date: dt.date | None
    signals: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def estimate(self) -> tuple[int, int, int] | None:
        three = (self.estimate_optimistic, self.estimate_likely, self.estimate_pessimistic)
        if three[0] is None or three[1] is None or three[2] is None:
            return None
        return (three[0], three[1], three[2])

    @property
    def history_key(self) -> str:
        return f"{self.organisation_id}:{self.kind}"


# --- Inputs -----------------------------------------------------------------------------


# A milestone with any of these out of range (an old row) is left out of the forecast.
DATE_FIELDS = ("due_date", "baseline_due_date", "start_date", "met_on")


def _rows(contract: Contract) -> list[Row]:
    return [
        Row(*values)
        for values in contract.milestones.exclude(out_of_range_q(*DATE_FIELDS))
        .order_by("id")
        .values_list(*ROW_FIELDS)
    ]


def forecast_left_out(*, contract: Contract) -> list[str]:
    """The titles of the milestones a forecast leaves out because a date is out of range."""
    return list(
        contract.milestones.filter(out_of_range_q(*DATE_FIELDS))
        .order_by("due_date", "id")
        .values_list("title", flat=True)
    )


def _links(contract: Contract) -> list[Link]:
    return [
        Link(*values)
        for values in Dependency.objects.filter(successor__contract=contract)
        .order_by("predecessor_id", "successor_id")
        .values_list("predecessor_id", "successor_id", "type", "lag", "working_days")
    ]


def _history(rows: Sequence[Row], calendar: Calendar) -> dict[str, list[int]]:
    """Return, per organisation and kind, the slips of its most recent closed milestones.

    Only the pairs that an open milestone without an estimate draws on are read, in one query.
    Slips count working days on this contract's calendar.
    """
    wanted = {(r.organisation_id, r.kind) for r in rows if r.is_open and r.estimate is None}
    if not wanted:
        return {}
    group = [F("responsible_party__organisation_id"), F("kind")]
    closed = (
        Milestone.objects.filter(
            status__in=MET_STATUSES,
            met_on__isnull=False,
            responsible_party__organisation_id__in={org for org, _ in wanted},
            kind__in={kind for _, kind in wanted},
        )
        .exclude(out_of_range_q("met_on", "baseline_due_date"))
        .annotate(
            recent=Window(RowNumber(), partition_by=group, order_by=[F("met_on").desc(), "-id"])
        )
        .filter(recent__lte=HISTORY_LIMIT)
        .values_list("responsible_party__organisation_id", "kind", "met_on", "baseline_due_date")
    )
    pairs: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for org, kind, met_on, baseline in closed:
        if met_on is not None and (org, kind) in wanted:
            pairs[f"{org}:{kind}"].append((met_on, baseline))
    return {key: history_slips(calendar, closed) for key, closed in sorted(pairs.items())}


def _problem(contract: Contract, rows: Sequence[Row], today: dt.date) -> Problem:
    tasks = [
        Task(
            id=r.id,
            due=r.due_date,
            status=r.status,
            baseline=r.baseline_due_date,
            start=r.start_date,
            met_on=r.met_on,
            estimate=r.estimate,
            history=r.history_key,
            anchor=r.anchor_id,
            anchor_event=r.anchor_event,
            anchor_offset=r.anchor_offset,
            anchor_working=r.anchor_working_days,
        )
        for r in rows
    ]
    calendar = contract_calendar(contract=contract)
    return Problem(
        tasks=tasks,
        links=_links(contract),
        today=today,
        calendar=calendar,
        end=contract.end_date,
        threshold=contract.at_risk_threshold,
        history=_history(rows, calendar),
    )


def _has_cycle(problem: Problem) -> bool:
    """Whether the links and met-anchors among the problem's milestones close a loop."""
    ids = {task.id for task in problem.tasks}
    edges = [(k.predecessor, k.successor) for k in problem.links]
    edges += [
        (t.anchor, t.id)
        for t in problem.tasks
        if t.anchor is not None and t.anchor_event == ANCHOR_MET
    ]
    after: dict[int, list[int]] = defaultdict(list)
    waiting = dict.fromkeys(ids, 0)
    for before, later in edges:
        if before in ids and later in ids:
            after[before].append(later)
            waiting[later] += 1
    ready = [pk for pk, count in waiting.items() if count == 0]
    placed = 0
    while ready:
        placed += 1
        for later in after[ready.pop()]:
            waiting[later] -= 1
            if waiting[later] == 0:
                ready.append(later)
    return placed < len(ids)


def _signals(contract: Contract, rows: Sequence[Row], today: dt.date) -> dict[int, str]:
    """Return the leading signals of each open milestone ("" when none), in two queries."""
    open_ids = [r.id for r in rows if r.is_open]
    if not open_ids:
        return {}
    updated = dict(
        StatusUpdate.objects.filter(milestone__contract=contract, milestone_id__in=open_ids)
        .values("milestone_id")
        .annotate(last=Max("created_at"))
        .order_by()
        .values_list("milestone_id", "last")
    )
    slips: dict[int | None, int] = defaultdict(int)
    for milestone_id, before, after in Event.objects.filter(
        contract_id=contract.pk,
        action=ScheduleEvent.MILESTONE_RESCHEDULED,
        milestone_id__in=open_ids,
    ).values_list("milestone_id", "before", "after"):
        # ISO dates compare as strings; a record without both dates counts as a slip.
        old, new = (before or {}).get("due_date"), (after or {}).get("due_date")
        if old is None or new is None or new > old:
            slips[milestone_id] += 1
    tz = zone(contract.time_zone)
    found = {}
    for row in rows:
        if not row.is_open:
            continue
        said = []
        last = updated.get(row.id, row.created_at).astimezone(tz).date()
        quiet = (today - last).days
        if quiet >= contract.stale_update_days:
            said.append(f"No status update for {quiet} days")
        gone = _time_gone(row, today)
        if gone is not None and row.progress < gone - PROGRESS_GAP:
            said.append(f"Progress {row.progress}% with {gone}% of the time gone")
        if slips[row.id] >= MIN_SLIPS:
            said.append(f"Rescheduled later {slips[row.id]} times")
        found[row.id] = "; ".join(said)
    return found


def _time_gone(row: Row, today: dt.date) -> int | None:
    """Return the share (%) of a deliverable's start-to-due time gone, or None if not started."""
    if row.kind != MilestoneKind.DELIVERABLE or row.start_date is None or today <= row.start_date:
        return None
    span = (row.due_date - row.start_date).days
    if span <= 0:
        return 100
    return min(100, round(100 * (today - row.start_date).days / span))


# --- Services ----------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@transaction.atomic
def forecast_run(
    *,
    contract: Contract,
    actor: User | None,
    runs: int = DEFAULT_RUNS,
    seed: int | None = None,
    as_of: dt.date | None = None,
) -> ForecastRun:
    """Forecast a contract's open milestones and store the run, its results and their signals.

    Managers and members of a party other than an observer may run one; ``actor=None`` is the
    system (the ``forecast`` command). A contract with nothing open gets a run with no results,
    so that stale forecasts and signals on milestones since closed are cleared.
    """
    if actor is not None:
        contract_access(user=actor, contract=contract).require_contributor()
    if contract.is_closed:
        raise DomainError(
            "contract_closed",
            f"The contract is {contract.status}; its milestones are frozen.",
            field="contract",
        )
    if not _is_int(runs) or not MIN_RUNS <= runs <= MAX_RUNS:
        raise DomainError(
            "invalid_runs",
            f"Runs are a whole number from {MIN_RUNS} to {MAX_RUNS:,}.",
            field="runs",
        )
    if seed is None:
        seed = new_seed()
    elif not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise DomainError(
            "invalid_seed", "A seed is a whole number from 0 to 2^63 - 1.", field="seed"
        )
    today = as_of or local_today(contract.time_zone)
    rows = _rows(contract)
    problem = _problem(contract, rows, today)
    started = time.perf_counter()
    try:
        forecast = simulate(problem, runs=runs, seed=seed)
    except (ValueError, OverflowError) as exc:
        # Only a loop in the links is the contract's schedule_cycle; anything else (a date
        # beyond year 9999, say) is a forecast that could not be computed, and says so.
        if isinstance(exc, ValueError) and _has_cycle(problem):
            raise DomainError("schedule_cycle", str(exc), field="contract") from exc
        raise DomainError(
            "forecast_failed", f"The forecast could not be computed: {exc}", field="contract"
        ) from exc
    elapsed_ms = (time.perf_counter() - started) * 1000
    run = ForecastRun.objects.create(
        contract=contract,
        seed=seed,
        runs=runs,
        threshold=contract.at_risk_threshold,
        inputs_digest=problem.digest(runs),
        as_of=today,
        finish_p50=forecast.finish_p50,
        finish_p80=forecast.finish_p80,
        on_time_probability=forecast.on_time,
        elapsed_ms=elapsed_ms,
        created_by=actor,
    )
    ForecastResult.objects.bulk_create(
        [
            ForecastResult(
                run=run, milestone_id=f.id, p50=f.p50, p80=f.p80, on_time_probability=f.on_time
            )
            for f in forecast.tasks.values()
        ],
        batch_size=1000,
    )
    signals = _signals(contract, rows, today)
    Milestone.objects.bulk_update(
        _changed(rows, forecast, signals), FORECAST_FIELDS, batch_size=500
    )
    event_record(
        actor=actor,
        action=ScheduleEvent.FORECAST_RUN,
        obj=run,
        contract_id=contract.pk,
        after=_summary(run, forecast, signals, problem),
    )
    return run


def _changed(rows: Sequence[Row], forecast: Forecast, signals: dict[int, str]) -> list[Milestone]:
    """Return the milestones whose forecast fields change; closed ones are cleared."""
    changed = []
    for row in rows:
        found = forecast.tasks.get(row.id)
        new: tuple[Any, ...] = (
            found.on_time if found else None,
            found.p50 if found else None,
            found.p80 if found else None,
            found.at_threshold if found else None,
            signals.get(row.id, ""),
        )
        old = tuple(getattr(row, name) for name in FORECAST_FIELDS)
        if old != new:
            changed.append(Milestone(pk=row.id, **dict(zip(FORECAST_FIELDS, new, strict=True))))
    return changed


def _summary(
    run: ForecastRun, forecast: Forecast, signals: dict[int, str], problem: Problem
) -> dict[str, Any]:
    bases: dict[str, int] = defaultdict(int)
    for found in forecast.tasks.values():
        bases[found.basis] += 1
    return {
        "seed": run.seed,
        "runs": run.runs,
        "as_of": run.as_of,
        "threshold": run.threshold,
        "inputs_digest": run.inputs_digest,
        "milestones": len(forecast.tasks),
        "finish_p50": run.finish_p50,
        "finish_p80": run.finish_p80,
        "on_time_probability": run.on_time_probability,
        # Below the threshold, so "at risk" by the forecast itself; signals come on top.
        "at_risk": sum(1 for f in forecast.tasks.values() if f.on_time < problem.threshold / 100),
        "signalled": sum(1 for text in signals.values() if text),
        "bases": dict(sorted(bases.items())),
    }


# --- Selectors ---------------------------------------------------------------------------


def forecast_runs_for_contract(*, user: User, contract: Contract) -> QuerySet[ForecastRun]:
    """Return the contract's forecast runs, newest first; none if the user may not see it."""
    return (
        ForecastRun.objects.filter(contract=contract, contract__in=contracts_for_user(user=user))
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def forecast_run_get_for_user(*, user: User, pk: int) -> ForecastRun:
    """Return one visible forecast run with its results and their milestones, or raise NotFound."""
    results = ForecastResult.objects.select_related("milestone").order_by(
        "milestone__due_date", "milestone_id"
    )
    run = (
        ForecastRun.objects.filter(pk=pk, contract__in=contracts_for_user(user=user))
        .select_related("contract", "created_by")
        .prefetch_related(Prefetch("results", queryset=results))
        .first()
    )
    if run is None:
        raise NotFound("forecast")
    return run


def forecast_latest(*, contract: Contract) -> ForecastRun | None:
    """Return the contract's latest forecast run, or None. The caller has checked access."""
    return (
        ForecastRun.objects.filter(contract=contract)
        .select_related("created_by")
        .order_by("-created_at", "-id")
        .first()
    )


def forecast_milestones(*, contract: Contract) -> QuerySet[Milestone]:
    """Return a contract's open milestones with health, by due date. The caller checked access."""
    return with_health(
        contract.milestones.filter(status__in=OPEN_STATUSES).order_by("due_date", "id")
    )


@dataclass(frozen=True)
class Outlook:
    """The forecast standing on one milestone: its derived fields and the run that set them."""

    milestone_id: int
    run_id: int | None
    as_of: dt.date | None
    threshold: int
    due_date: dt.date
    on_time_probability: float | None
    forecast_p50: dt.date | None
    forecast_p80: dt.date | None
    forecast_date: dt.date | None
    signals: list[str]
    status: str = ""
    met_on: dt.date | None = None

    @property
    def below_threshold(self) -> bool:
        """The forecast date is after the due date: the chance is below the threshold."""
        return self.forecast_date is not None and self.forecast_date > self.due_date


def milestone_outlook(*, milestone: Milestone) -> Outlook:
    """Return a visible milestone's standing forecast. The caller has checked access.

    A closed milestone has none: it says when it was met instead.
    """
    run = forecast_latest(contract=milestone.contract)
    if not milestone.is_open:
        return Outlook(
            milestone_id=milestone.pk,
            run_id=run.pk if run else None,
            as_of=run.as_of if run else None,
            threshold=milestone.contract.at_risk_threshold,
            due_date=milestone.due_date,
            on_time_probability=None,
            forecast_p50=None,
            forecast_p80=None,
            forecast_date=None,
            signals=[],
            status=milestone.status,
            met_on=milestone.met_on,
        )
    return Outlook(
        milestone_id=milestone.pk,
        run_id=run.pk if run else None,
        as_of=run.as_of if run else None,
        threshold=milestone.contract.at_risk_threshold,
        due_date=milestone.due_date,
        on_time_probability=milestone.on_time_probability,
        forecast_p50=milestone.forecast_p50,
        forecast_p80=milestone.forecast_p80,
        forecast_date=milestone.forecast_date,
        signals=[text for text in milestone.signals.split("; ") if text],
        status=milestone.status,
    )


def contracts_to_forecast(*, pk: int | None = None) -> QuerySet[Contract]:
    """Return every active contract, or the one with ``pk`` whatever its status, by reference."""
    contracts = Contract.objects.order_by("reference", "id")
    return (
        contracts.filter(pk=pk)
        if pk is not None
        else contracts.filter(status=ContractStatus.ACTIVE)
    )


# How many contracts one refresh passes over (locked by another worker, or just refreshed) and
# how many that fail it tries, before it gives up until the next look.
REFRESH_PASS_OVER = 5
REFRESH_MAX_FAILURES = 20


def forecasts_stale(*, now: dt.datetime, hours: float) -> QuerySet[Contract]:
    """The active contracts whose latest forecast is ``hours`` old or more, or that have none."""
    return (
        Contract.objects.filter(status=ContractStatus.ACTIVE)
        .annotate(last_run=Max("forecast_runs__created_at"))
        .filter(Q(last_run__isnull=True) | Q(last_run__lt=now - dt.timedelta(hours=hours)))
    )


def forecast_refresh_one(
    *,
    now: dt.datetime,
    hours: float,
    runs: int = DEFAULT_RUNS,
    skip: Collection[int] = (),
    on_error: Callable[[int, Exception], None] | None = None,
) -> ForecastRun | None:
    """Forecast the active contract whose latest run is oldest, if it is ``hours`` old or more.

    The worker calls this; the contract row is locked with SKIP LOCKED on PostgreSQL, so two
    workers never forecast the same contract at once. Contracts in ``skip`` are passed over;
    with ``on_error``, a contract whose forecast raises (a cycle or a date it cannot reach
    included) is rolled back and reported to it, and the next one is tried: up to
    ``REFRESH_PASS_OVER`` locked or just-refreshed contracts and ``REFRESH_MAX_FAILURES`` failed
    ones, so that a few contracts that cannot be forecast never starve the others. Without
    ``on_error``, a ``DomainError`` passes the contract over and anything else is raised.
    """
    cutoff = now - dt.timedelta(hours=hours)
    stale = (
        forecasts_stale(now=now, hours=hours)
        .exclude(pk__in=skip)
        .order_by(F("last_run").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    passed = failed = 0
    for pk in stale[: REFRESH_PASS_OVER + REFRESH_MAX_FAILURES]:
        if passed >= REFRESH_PASS_OVER or failed >= REFRESH_MAX_FAILURES:
            break
        with transaction.atomic():
            contract = Contract.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if contract is None:
                passed += 1
                continue
            last = contract.forecast_runs.aggregate(last=Max("created_at"))["last"]
            if last is not None and last >= cutoff:
                passed += 1
                continue
            try:
                return forecast_run(contract=contract, actor=None, runs=runs)
            except Exception as error:
                if on_error is None:
                    if isinstance(error, DomainError):
                        passed += 1
                        continue
                    raise
                # forecast_run's own savepoint has rolled back. Recorded, the contract is held
                # (``skip``) instead of heading the queue again on the next look.
                on_error(pk, error)
                failed += 1
                continue
    return None
