"""The critical path of a contract: each milestone's total float, the chain with none, the finish.

``graph.critical`` does the arithmetic on the graph ``planning.contract_graph`` loads; this
module adds what people read beside the numbers (kind, how a relative date was worked out, a
pinned date's conflict) and puts the rows in due-date order. Reads only.
"""

import datetime as dt
from dataclasses import dataclass

from milepost.contracts.models import Contract
from milepost.core.dates import left_out_note

from .choices import MilestoneKind, MilestoneStatus
from .graph import MOVABLE
from .graph.critical import critical_path
from .models import Milestone
from .planning import contract_graph

KIND_LABELS = dict(MilestoneKind.choices)
STATUS_LABELS = dict(MilestoneStatus.choices)


@dataclass(frozen=True)
class CriticalRow:
    """One milestone as the critical path sees it.

    ``total_float`` is in working days, None for a milestone no longer open (met, not met,
    waived or cancelled), which has no float: it is done. ``critical`` marks an open milestone
    with none.
    """

    id: int
    title: str
    kind: str
    status: str
    start: dt.date | None
    due: dt.date
    latest_finish: dt.date | None
    total_float: int | None
    critical: bool
    pinned: bool
    basis: str
    conflict: str

    @property
    def done(self) -> bool:
        return self.status not in MOVABLE

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ContractCriticalPath:
    """A contract's milestones with their float, the critical chain in order, and the finish."""

    rows: list[CriticalRow]
    chain: list[CriticalRow]
    finish: dt.date | None
    # Why some milestones are missing: a date out of range ("" when none is).
    note: str = ""

    @property
    def critical_count(self) -> int:
        return len(self.chain)


def contract_critical_path(*, contract: Contract) -> ContractCriticalPath:
    """Return every milestone's total float, the critical chain and the finish, in four queries.

    The caller checked access. Rows are in due-date order; the chain in the order it runs.
    """
    loaded = contract_graph(contract=contract)
    graph = loaded.graph
    path = critical_path(graph, loaded.calendar)
    shown = {
        pk: (kind, basis, conflict)
        for pk, kind, basis, conflict in Milestone.objects.filter(contract=contract).values_list(
            "id", "kind", "date_basis", "schedule_conflict"
        )
    }
    chained = set(path.chain)
    rows = {}
    for node in sorted(graph.nodes.values(), key=lambda node: (node.due, node.id)):
        kind, basis, conflict = shown.get(node.id, ("", "", ""))
        total_float = path.floats.get(node.id) if node.status in MOVABLE else None
        rows[node.id] = CriticalRow(
            id=node.id,
            title=node.title,
            kind=kind,
            status=node.status,
            start=node.start,
            due=node.due,
            latest_finish=path.latest_finish(node.id) if total_float is not None else None,
            total_float=total_float,
            critical=node.id in chained,
            pinned=node.pinned,
            basis=basis,
            conflict=conflict,
        )
    return ContractCriticalPath(
        rows=list(rows.values()),
        chain=[rows[pk] for pk in path.chain],
        finish=path.finish,
        note=left_out_note([node.title for node in graph.left_out]),
    )
