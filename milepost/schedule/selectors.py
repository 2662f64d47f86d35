"""Reads of milestones, scoped to the user, with health derived in the query."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from milepost.accounts.models import User
from milepost.audit.models import Event
from milepost.audit.selectors import events_for_milestone
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.dates import today_groups
from milepost.core.errors import NotFound

from .choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Criticality,
    Health,
    MilestoneStatus,
)
from .models import NOT_DONE, Comment, Dependency, Evidence, Milestone, StatusUpdate


def _per_contract_date(days_ahead: int, groups: tuple[dt.date, dict[dt.date, list[str]]]) -> Case:
    """Each contract's local today plus ``days_ahead``, as a constant per time-zone group."""
    common, others = groups
    ahead = dt.timedelta(days=days_ahead)
    return Case(
        *[
            When(contract__time_zone__in=zones, then=Value(day + ahead))
            for day, zones in others.items()
        ],
        default=Value(common + ahead),
        output_field=DateField(),
    )


def with_health(qs: QuerySet[Milestone], *, now: dt.datetime | None = None) -> QuerySet[Milestone]:
    """Annotate ``local_today`` and ``health``.

    - done: met, partially met, waived or cancelled;
    - overdue: not met, or open past its due date in the contract's time zone;
    - at risk: forecast later than the due date (the latest forecast gives less than the
      contract's threshold chance of meeting it), a risk noted by the kind's rules (such as a
      missed KPI period), a leading signal from the forecast (no update, progress behind
      time, repeated slips), or due within the risk window with progress
      below the threshold (``MILEPOST_AT_RISK_WINDOW_DAYS``, ``MILEPOST_AT_RISK_PROGRESS``);
    - on track: the rest.
    """
    groups = today_groups(now)
    return qs.annotate(
        local_today=_per_contract_date(0, groups),
        risk_horizon=_per_contract_date(settings.MILEPOST_AT_RISK_WINDOW_DAYS, groups),
    ).annotate(
        health=Case(
            When(status__in=DONE_STATUSES, then=Value(Health.DONE)),
            When(status=MilestoneStatus.NOT_MET, then=Value(Health.OVERDUE)),
            When(due_date__lt=F("local_today"), then=Value(Health.OVERDUE)),
            When(forecast_date__gt=F("due_date"), then=Value(Health.AT_RISK)),
            When(~Q(risk_note=""), then=Value(Health.AT_RISK)),
            When(~Q(signals=""), then=Value(Health.AT_RISK)),
            When(
                due_date__lte=F("risk_horizon"),
                progress__lt=settings.MILEPOST_AT_RISK_PROGRESS,
                then=Value(Health.AT_RISK),
            ),
            default=Value(Health.ON_TRACK),
            output_field=CharField(),
        )
    )


def milestones_for_user(*, user: User, now: dt.datetime | None = None) -> QuerySet[Milestone]:
    """Return every milestone the user can see, with health and what list pages show."""
    return with_health(
        Milestone.objects.filter(contract__in=contracts_for_user(user=user)).select_related(
            "contract", "owner", "responsible_party__organisation", "accepting_party__organisation"
        ),
        now=now,
    )


class _NotAnIndexKey(Func):
    """The column as a value SQLite will not drive a loop with (unary plus), kept as a filter.

    A list in due-date order reads the due-date index and checks visibility row by row until it
    has its page; left to itself SQLite (without statistics) starts from the visible contracts'
    milestones instead and sorts all of them. PostgreSQL plans it from its statistics.
    """

    template = "%(expressions)s"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def milestones_listed(*, user: User, now: dt.datetime | None = None) -> QuerySet[Milestone]:
    """Return the milestones the user can see, for a list read a page at a time in an index order.

    The same rows and annotations as ``milestones_for_user``; the visibility test is a filter on
    each row the list's index yields rather than where the plan starts (see
    ``tests/test_query_plans.py``).
    """
    return with_health(
        Milestone.objects.alias(visible_contract=_NotAnIndexKey("contract_id"))
        .filter(visible_contract__in=contracts_for_user(user=user).values("id"))
        .select_related(
            "contract", "owner", "responsible_party__organisation", "accepting_party__organisation"
        ),
        now=now,
    )


def overdue_q() -> Q:
    """Whether a milestone is overdue (as ``with_health`` says), written so that an index serves it.

    Overdue is not done (open or not met) and either not met or past its contract's local today.
    The "not done" term is the condition of the partial index ``milestone_unfinished_due_idx``
    word for word (``models.NOT_DONE``), so that the overdue list reads that index in due-date
    order and stops at its page.
    """
    return NOT_DONE & (Q(status=MilestoneStatus.NOT_MET) | Q(due_date__lt=F("local_today")))


def milestone_filter(
    *,
    user: User,
    contract: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    health: str | None = None,
    owner: str | None = None,
    responsible_party: int | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    overdue: bool | None = None,
    critical: bool | None = None,
    q: str | None = None,
) -> Q:
    """Return the condition of the milestone list filters the API and the list page share.

    ``owner`` is a username or ``me``; ``q`` searches titles; None (or empty) means any.
    """
    conditions = Q()
    if contract is not None:
        conditions &= Q(contract_id=contract)
    if kind:
        conditions &= Q(kind=kind)
    if status:
        conditions &= Q(status=status)
    if health == Health.OVERDUE:
        conditions &= overdue_q()
    elif health:
        conditions &= Q(health=health)
    if owner:
        conditions &= Q(owner=user) if owner == "me" else Q(owner__username=owner)
    if responsible_party is not None:
        conditions &= Q(responsible_party_id=responsible_party)
    if due_from is not None:
        conditions &= Q(due_date__gte=due_from)
    if due_to is not None:
        conditions &= Q(due_date__lte=due_to)
    if overdue is not None:
        conditions &= overdue_q() if overdue else ~overdue_q()
    if critical is not None:
        is_critical = Q(criticality=Criticality.CRITICAL)
        conditions &= is_critical if critical else ~is_critical
    if q:
        conditions &= Q(title__icontains=q)
    return conditions


def milestones_for_contract(
    *, contract: Contract, now: dt.datetime | None = None
) -> QuerySet[Milestone]:
    """Return a contract's milestones in due-date order, with health. The caller checked access."""
    return with_health(
        contract.milestones.select_related(
            "owner", "responsible_party__organisation", "accepting_party__organisation"
        ).order_by("due_date", "id"),
        now=now,
    )


# What a caller may ask ``milestone_get_for_user`` to load with the milestone, authors and
# linked milestones joined in rather than fetched one by one.
RELATED = {
    "status_updates": Prefetch(
        "status_updates", queryset=StatusUpdate.objects.select_related("author")
    ),
    "comments": Prefetch("comments", queryset=Comment.objects.select_related("author")),
    "evidence": Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
    "predecessor_links": Prefetch(
        "predecessor_links", queryset=Dependency.objects.select_related("predecessor")
    ),
    "successor_links": Prefetch(
        "successor_links", queryset=Dependency.objects.select_related("successor")
    ),
}
LINKS = ("predecessor_links", "successor_links")


def milestone_get_for_user(*, user: User, pk: int, related: Iterable[str] = ()) -> Milestone:
    """Return one visible milestone, with the ``related`` rows the caller shows, or raise NotFound.

    Each name in ``related`` (a key of ``RELATED``) costs one query; load only what is used.
    """
    milestone = (
        milestones_for_user(user=user)
        .select_related("contract__owner")
        .prefetch_related(*(RELATED[name] for name in related))
        .filter(pk=pk)
        .first()
    )
    if milestone is None:
        raise NotFound("milestone")
    return milestone


def milestone_history(*, milestone: Milestone) -> QuerySet[Event]:
    """Return the events of a milestone and everything posted on it, newest first."""
    return events_for_milestone(milestone_id=milestone.pk)


@dataclass(frozen=True)
class ContractCounts:
    """How many of a contract's milestones are in each state that needs attention."""

    total: int = 0
    overdue: int = 0
    at_risk: int = 0
    due_soon: int = 0
    done: int = 0


@dataclass(frozen=True)
class ContractProgress:
    """Where one contract's milestones stand; cancelled ones do not count."""

    total: int
    done: int  # met, met in part, or waived
    not_met: int
    overdue: int
    at_risk: int
    mean_progress: int  # the mean of the milestones' own progress, in percent

    @property
    def done_percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def contract_progress(*, contract: Contract, now: dt.datetime | None = None) -> ContractProgress:
    """Count a contract's milestones by where they stand, in one query."""
    counted = milestones_for_contract(contract=contract, now=now).exclude(
        status=MilestoneStatus.CANCELLED
    )
    row = counted.order_by().aggregate(
        total=Count("id"),
        done=Count(
            "id",
            filter=Q(
                status__in=[
                    MilestoneStatus.MET,
                    MilestoneStatus.PARTIALLY_MET,
                    MilestoneStatus.WAIVED,
                ]
            ),
        ),
        not_met=Count("id", filter=Q(status=MilestoneStatus.NOT_MET)),
        overdue=Count("id", filter=Q(health=Health.OVERDUE)),
        at_risk=Count("id", filter=Q(health=Health.AT_RISK)),
        mean_progress=Avg("progress"),
    )
    return ContractProgress(
        total=row["total"],
        done=row["done"],
        not_met=row["not_met"],
        overdue=row["overdue"],
        at_risk=row["at_risk"],
        mean_progress=round(row["mean_progress"] or 0),
    )


def contract_counts_for_user(
    *, user: User, due_within_days: int = 14, now: dt.datetime | None = None
) -> dict[int, ContractCounts]:
    """Count each visible contract's milestones by health and due window, in one query."""
    rows = (
        milestones_for_user(user=user, now=now)
        .annotate(soon=_per_contract_date(due_within_days, today_groups(now)))
        .values("contract_id")
        .annotate(
            total=Count("id"),
            overdue=Count("id", filter=Q(health=Health.OVERDUE)),
            at_risk=Count("id", filter=Q(health=Health.AT_RISK)),
            done=Count("id", filter=Q(health=Health.DONE)),
            due_soon=Count(
                "id",
                filter=Q(
                    status__in=OPEN_STATUSES,
                    due_date__gte=F("local_today"),
                    due_date__lte=F("soon"),
                ),
            ),
        )
        .order_by()
    )
    return {
        row["contract_id"]: ContractCounts(
            total=row["total"],
            overdue=row["overdue"],
            at_risk=row["at_risk"],
            due_soon=row["due_soon"],
            done=row["done"],
        )
        for row in rows
    }


def milestones_needing_attention(
    *, user: User, within_days: int = 14, now: dt.datetime | None = None
) -> list[Milestone]:
    """Return the user's overdue, at-risk and due-soon open milestones, by contract and due date."""
    return list(
        milestones_for_user(user=user, now=now)
        .annotate(soon=_per_contract_date(within_days, today_groups(now)))
        .filter(
            Q(health__in=[Health.OVERDUE, Health.AT_RISK])
            | Q(status__in=OPEN_STATUSES, due_date__lte=F("soon"))
        )
        .order_by("contract__reference", "due_date", "id")
    )
