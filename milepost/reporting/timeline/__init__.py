"""The contract page's timeline: what it draws (``rows``), the drawing (``svg``), and the page.

``timeline_context`` reads the page's query (zoom, page of lanes, baseline) and returns what the
``reporting/partials/timeline.html`` partial needs, the SVG included.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_calendar
from milepost.schedule.models import Baseline

from .rows import (
    ZOOMS,
    baseline_shadow,
    drawable_rows,
    lane_page,
    timeline_critical,
    timeline_deadlines,
    timeline_rows,
    zoom_or_default,
)
from .svg import timeline_svg


def _chosen_baseline(value: str | None, baselines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the contract's baseline ``value`` names (an id), or None."""
    if not value or not value.isdigit() or len(value) > 18:
        return None
    return next((b for b in baselines if b["id"] == int(value)), None)


def _other_parameters(query: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return the query's parameters other than ``baseline``, for the baseline form to keep."""
    lists = getattr(query, "lists", None)
    pairs = lists() if lists else ((key, [value]) for key, value in query.items())
    return [(key, value) for key, values in pairs if key != "baseline" for value in values]


def timeline_context(
    *, contract: Contract, query: Mapping[str, str], today: dt.date
) -> dict[str, Any]:
    """Return what the contract page's timeline partial needs, read from the page's query.

    ``zoom``, ``lanes`` and ``baseline`` come from the query; a value that is not valid is the
    default (no baseline). The answers owed under the contract (its open reply deadlines) head
    the chart. At most six queries, whatever the size of the contract.
    """
    zoom = zoom_or_default(query.get("zoom"))
    rows, links = timeline_rows(contract=contract)
    rows, note = drawable_rows(rows)
    deadlines = timeline_deadlines(contract=contract, today=today)
    lanes = lane_page(query.get("lanes"), len(rows))
    baselines: list[dict[str, Any]] = [
        {"id": pk, "name": name}
        for pk, name in Baseline.objects.filter(contract=contract)
        .order_by("-created_at", "-id")
        .values_list("id", "name")
    ]
    chosen = _chosen_baseline(query.get("baseline"), baselines)
    # The page whose lanes reach today (lanes are in due-date order), for a link to it.
    upcoming = next((i for i, row in enumerate(rows) if row["due_date"] >= today), len(rows) - 1)
    path = timeline_critical(rows, links, contract_calendar(contract=contract)) if rows else None
    return {
        "zoom": zoom,
        "zooms": ZOOMS.values(),
        "lanes": lanes,
        "lanes_today": max(upcoming, 0) // lanes.size + 1,
        "baselines": baselines,
        "baseline": chosen,
        "baseline_keep": _other_parameters(query),
        "critical_count": len(path.chain) if path else 0,
        "timeline_note": note,
        "deadline_count": len(deadlines),
        "timeline": timeline_svg(
            rows,
            links,
            today=today,
            zoom=zoom,
            label=f"Timeline of {contract.reference}",
            lanes=lanes,
            critical=path,
            baseline=baseline_shadow(baseline_id=chosen["id"], name=chosen["name"])
            if chosen
            else None,
            deadlines=deadlines,
        )
        if rows or deadlines
        else "",
    }
