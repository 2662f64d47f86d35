"""The contract timeline (Gantt) drawn as server-side SVG.

Why SVG built on the server, as one string: at 5,000 milestones a template loop costs hundreds
of milliseconds and a charting library means shipping and maintaining JavaScript that must
lay out the same 5,000 rows in the browser. A joined list of short strings takes tens of
milliseconds, the browser paints static SVG without running any script, and each milestone
stays a real link with a native tooltip.

Drawing rules:

- one lane per milestone, in due-date order, with its title (truncated) in a label column;
- deliverables and performance targets are bars that end at the due date and start at their
  start date, else when their latest finish-to-start predecessor is due, else ``LEAD_DAYS``
  before the due date; payments and gates are diamonds at the due date;
- when the due date has moved, a thin grey bar runs behind from the agreed baseline date to the
  due date, with a tick at the baseline; with ``?baseline=<id>`` (a named baseline of the
  contract) a grey shadow of each milestone's shape sits behind it at its baseline dates
  instead, its slip in the tooltip;
- an arrow runs from the linked end of each predecessor to the linked end of its successor:
  finish to start, start to start, finish to finish, start to finish;
- the critical path (open milestones with no total float) is outlined, a pinned date carries a
  marker, and the tooltip says both in words, with the float;
- health picks both a colour and a fill (solid, striped, cross-hatched, hollow), so it does not
  rest on colour alone; the legend names each;
- the answers owed under the contract (its open reply deadlines) come first, a lane each: a
  dotted line from the day the communication was sent to a flag on the answer's last day,
  filled as health is by the share of the period left (solid, striped, cross-hatched when
  overdue), and a hollow flag on the last day before silence is acceptance once a failure to
  answer was notified. Each lane links to its communication and, being few, is in the tab
  order.

A long contract is drawn a page of lanes at a time (``rows.lane_page``); the deadlines' lanes
head every page. Every page keeps the whole contract's time scale, so that the pages line up and
the today line stays put; bars still start at predecessors on other pages, and only the arrows
between two drawn lanes are drawn (the description counts the others).
"""

import datetime as dt
import html
from collections.abc import Callable, Sequence

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from milepost.schedule.choices import DependencyType, Health, MilestoneKind, MilestoneStatus
from milepost.schedule.graph import MOVABLE
from milepost.schedule.graph.critical import CriticalPath

from .rows import (
    DEFAULT_ZOOM,
    ZOOMS,
    BaselineShadow,
    DeadlineMark,
    LanePage,
    TimelineLink,
    TimelineRow,
    Zoom,
    zoom_or_default,
)

# A bar with no predecessor has no recorded start; draw this much lead-in before its due date.
LEAD_DAYS = 14
LABEL_WIDTH = 260
LABEL_CHARS = 36
LANE = 22
HEADER = 70  # two rows of legend, then the period ticks
MIN_WIDTH = 900  # room for the legend
DIAMOND_KINDS = frozenset({MilestoneKind.PAYMENT.value, MilestoneKind.GATE.value})
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_LABELS = dict(MilestoneStatus.choices)
KIND_LABELS = dict(MilestoneKind.choices)
HEALTH_LABELS = dict(Health.choices)
FS = DependencyType.FINISH_TO_START.value
# Which end of the predecessor a link leaves from, and which end of the successor it reaches.
FROM_START = frozenset({DependencyType.START_TO_START.value, DependencyType.START_TO_FINISH.value})
TO_FINISH = frozenset({DependencyType.FINISH_TO_FINISH.value, DependencyType.START_TO_FINISH.value})
# A baseline's name in the legend is cut to this, so the legend fits ``MIN_WIDTH``.
BASELINE_NAME_CHARS = 30

# Styles live inside the SVG so that the chart is self-contained (and the site stylesheet stays
# untouched); the colours are the site's health colours.
STYLE = (
    "<style>"
    ".tl text{font:12px system-ui,sans-serif;fill:#1b1f24}"
    ".tl .tick{fill:#4a5560;font-weight:600}"
    ".tl .grid{stroke:#d5dbe1}"
    ".tl .base{fill:#8c96a0}"
    ".tl .today{stroke:#0b4f8a;stroke-width:2;stroke-dasharray:5 3}"
    ".tl .dep{fill:none;stroke:#6b7580;marker-end:url(#tl-arrow)}"
    ".tl .crit{fill:none;stroke:#5b1f8a;stroke-width:2.5}"
    ".tl .pin{fill:#1b1f24;stroke:#fff;stroke-width:.8}"
    ".tl .shadow{fill:#b8c0c8;fill-opacity:.75}"
    ".tl .s.on_track{fill:#17692e;stroke:#17692e}"
    ".tl .s.at_risk{fill:url(#tl-at_risk);stroke:#8a5300;stroke-width:1.5}"
    ".tl .s.overdue{fill:url(#tl-overdue);stroke:#a3161a;stroke-width:1.5}"
    ".tl .s.done{fill:#fff;stroke:#335;stroke-width:2}"
    f".tl .hit{{fill:transparent;width:100%;height:{LANE}px}}"
    ".tl .m:hover .hit{fill:#0b4f8a;fill-opacity:.08}"
    ".tl .m:focus .hit{stroke:#ffbf47;stroke-width:3}"
    ".tl .m:hover text{text-decoration:underline}"
    "</style>"
)
# Only a chart with deadlines carries their styles, so every other chart is as it was.
DEADLINE_STYLE = (
    "<style>"
    ".tl .pole{stroke:#1b1f24;stroke-width:1.5}"
    ".tl .period{fill:none;stroke:#6b7580;stroke-width:1.5;stroke-dasharray:2 3}"
    ".tl .flag.more{fill:#17692e;stroke:#17692e}"
    ".tl .flag.less{fill:url(#tl-at_risk);stroke:#8a5300;stroke-width:1.2}"
    ".tl .flag.overdue{fill:url(#tl-overdue);stroke:#a3161a;stroke-width:1.2}"
    ".tl .flag.deemed{fill:#fff;stroke:#a3161a;stroke-width:1.5}"
    ".tl .dl:hover .hit{fill:#0b4f8a;fill-opacity:.08}"
    ".tl .dl:focus .hit{stroke:#ffbf47;stroke-width:3}"
    ".tl .dl:hover text{text-decoration:underline}"
    "</style>"
)
DEFS = (
    "<defs>"
    f'<pattern id="tl-lanes" y="{HEADER}" width="8" height="{2 * LANE}"'
    ' patternUnits="userSpaceOnUse">'
    f'<rect width="8" height="{LANE}" fill="#f3f5f7"/></pattern>'
    '<pattern id="tl-at_risk" width="6" height="6" patternUnits="userSpaceOnUse"'
    ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
    '<rect width="3" height="6" fill="#8a5300"/></pattern>'
    '<pattern id="tl-overdue" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#a3161a"/>'
    '<path d="M0,0L6,6M6,0L0,6" stroke="#fff" stroke-width="1.2"/></pattern>'
    '<marker id="tl-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7"'
    ' orient="auto"><path d="M0,0L8,4L0,8z" fill="#6b7580"/></marker>'
    "</defs>"
)


def _escape(text: str) -> str:
    """Escape text for SVG as ``django.utils.html.escape`` does, without its lazy-string wrapper.

    The output is identical (both call ``html.escape``); the wrapper alone cost about a third of
    the drawing time at 5,000 milestones.
    """
    return html.escape(text)


def milestone_href() -> str:
    """Return the milestone page address with ``{pk}`` for the id, resolved once per chart."""
    sentinel = 2_147_483_647
    return reverse("milestones:milestone-detail", args=[sentinel]).replace(str(sentinel), "{pk}")


def communication_href() -> str:
    """Return the communication page address with ``{pk}`` for the id, resolved once per chart."""
    sentinel = 2_147_483_647
    return reverse("communications:detail", args=[sentinel]).replace(str(sentinel), "{pk}")


def _flag(x: int, top: int, css: str) -> str:
    """A pole on the day ``x`` with a pennant to its right."""
    return (
        f'<path class="pole" d="M{x},{top + 2}v18"/>'
        f'<path class="flag {css}" d="M{x},{top + 2}h11l-3,4.5 3,4.5h-11z"/>'
    )


def _period_start(day: dt.date, months: int) -> dt.date:
    return dt.date(day.year, (day.month - 1) // months * months + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _tick_label(day: dt.date, zoom: Zoom) -> str:
    if zoom.months_per_tick == 12:
        return str(day.year)
    if zoom.months_per_tick == 3:
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return f"{MONTHS[day.month - 1]} {day.year}"


def _bar_starts(rows: list[TimelineRow], links: list[TimelineLink]) -> dict[int, dt.date]:
    """Start each bar at its start date, else when a finish-to-start predecessor is due."""
    due = {row["id"]: row["due_date"] for row in rows}
    latest: dict[int, dt.date] = {}
    for before, after, kind, _, _ in links:
        if kind != FS or before not in due:
            continue
        if after not in latest or due[before] > latest[after]:
            latest[after] = due[before]
    lead = dt.timedelta(days=LEAD_DAYS)
    starts = {}
    for row in rows:
        end = row["due_date"]
        # Else ``LEAD_DAYS`` before the due date.
        start = row["start_date"] or latest.get(row["id"], end - lead)
        # A predecessor due on or after this date gives no room; keep a one-day bar.
        starts[row["id"]] = start if start < end else end - dt.timedelta(days=1)
    return starts


def _legend(y: int, baseline: str | None, deadlines: bool = False) -> list[str]:
    """Two rows: health and shapes (and the deadlines' flags, if any); then the baseline,
    today, the critical path and pins."""
    parts = [f'<g class="legend" transform="translate(8,{y})">']
    x = 0
    for health in Health:
        parts.append(
            f'<rect class="s {health.value}" x="{x}" y="-9" width="22" height="10"/>'
            f'<text x="{x + 28}" y="0">{health.label}</text>'
        )
        x += 40 + 7 * len(health.label)
    parts.append(
        f'<rect x="{x}" y="-9" width="22" height="10" fill="#8c96a0"/>'
        f'<text x="{x + 28}" y="0">Deliverable or performance</text>'
    )
    x += 205
    parts.append(
        f'<path d="M{x + 6},-10l6,6-6,6-6-6z" fill="#8c96a0"/>'
        f'<text x="{x + 18}" y="0">Payment or gate</text>'
    )
    if deadlines:
        x += 140
        parts.append(
            f'{_flag(x, -12, "more")}<text x="{x + 16}" y="0">Answer due</text>'
            f'{_flag(x + 100, -12, "deemed")}<text x="{x + 116}" y="0">Accepted if silent</text>'
        )
    x, row = 0, 18
    if baseline is None:
        parts.append(
            f'<rect class="base" x="{x}" y="{row - 4}" width="22" height="3"/>'
            f'<text x="{x + 28}" y="{row}">Baseline</text>'
        )
        x += 90
    else:
        short = (
            baseline
            if len(baseline) <= BASELINE_NAME_CHARS
            else baseline[: BASELINE_NAME_CHARS - 1] + "…"
        )
        label = f"Baseline “{_escape(short)}”"
        parts.append(
            f'<rect class="shadow" x="{x}" y="{row - 9}" width="22" height="10"/>'
            f'<text x="{x + 28}" y="{row}">{label}</text>'
        )
        x += 50 + 7 * len(short) + 60
    parts.append(
        f'<path class="today" d="M{x + 6},{row - 11}v13"/><text x="{x + 14}" y="{row}">Today</text>'
    )
    x += 70
    parts.append(
        f'<rect class="crit" x="{x}" y="{row - 10}" width="22" height="12"/>'
        f'<text x="{x + 28}" y="{row}">Critical path (no float)</text>'
    )
    x += 200
    parts.append(
        f'<path class="pin" d="M{x + 7},{row - 10}h8l-4,5z"/>'
        f'<text x="{x + 22}" y="{row}">Pinned date</text>'
    )
    x += 110
    parts.append(
        f'<path class="dep" d="M{x},{row - 4}h26"/>'
        f'<text x="{x + 34}" y="{row}">Dependency</text></g>'
    )
    return parts


def _float_text(row: TimelineRow, floats: dict[int, int], critical: set[int]) -> str:
    """Say in words whether an open milestone is critical, and its total float."""
    if row["status"] not in MOVABLE or row["id"] not in floats:
        return ""
    days = floats[row["id"]]
    unit = "working day" if abs(days) == 1 else "working days"
    if row["id"] in critical:
        if days < 0:
            return f"; on the critical path, {-days} {unit} behind a pinned date"
        return "; on the critical path (no float)"
    return f"; total float {days} {unit}"


def _dependency(
    kind: str, start: tuple[int, int, int], end: tuple[int, int, int], from_y: int, to_y: int
) -> str:
    """Route one arrow from the linked end of a predecessor to the linked end of its successor.

    ``start`` and ``end`` are the two shapes' (lane, left x, right x). The arrow leaves its end
    outwards (rightwards from a finish, leftwards from a start) and reaches a start from the
    left, a finish from the right; when the two ends leave no room, it steps round.
    """
    if kind in FROM_START:
        from_x, out = start[1], start[1] - 6
    else:
        from_x, out = start[2], start[2] + 6
    if kind in TO_FINISH:
        to_x, approach, room = end[2], end[2] + 8, out - end[2]
    else:
        to_x, approach, room = end[1], end[1] - 8, end[1] - out
    css = f"dep {kind.lower()}"
    if room >= 6:
        return f'<path class="{css}" d="M{from_x},{from_y}H{out}V{to_y}H{to_x}"/>'
    turn_y = to_y - LANE // 2 if to_y > from_y else to_y + LANE // 2
    return f'<path class="{css}" d="M{from_x},{from_y}H{out}V{turn_y}H{approach}V{to_y}H{to_x}"/>'


def _deadline_lanes(
    deadlines: Sequence[DeadlineMark],
    x_of: Callable[[dt.date], int],
    hits: list[str],
) -> list[str]:
    """Draw the deadlines' lanes from the top of the chart; add each one's link to ``hits``."""
    link_start, link_end = html.escape(communication_href()).split("{pk}")
    out = []
    for index, mark in enumerate(deadlines):
        top = HEADER + index * LANE
        mid = top + LANE // 2
        due_x = x_of(mark.due)
        out.append(f'<path class="period" d="M{x_of(mark.sent_on)},{mid + 1}H{due_x}"/>')
        if mark.deems_on is not None:
            deems_x = x_of(mark.deems_on)
            out.append(f'<path class="period" d="M{due_x},{mid + 1}H{deems_x}"/>')
            out.append(_flag(deems_x, top, "deemed"))
        # The band is one of three codes (``share_left``), safe in an attribute as it is.
        out.append(_flag(due_x, top, mark.band))
        short = (
            mark.label if len(mark.label) <= LABEL_CHARS else mark.label[: LABEL_CHARS - 1] + "…"
        )
        hits.append(
            f'<a href="{link_start}{mark.pk}{link_end}" class="dl {mark.band}">'
            f"<title>{_escape(mark.detail)}</title>"
            f'<text x="6" y="{mid + 4}">{_escape(short)}</text>'
            f'<rect class="hit" y="{top}"/></a>'
        )
    return out


def timeline_svg(
    rows: list[TimelineRow],
    links: list[TimelineLink],
    *,
    today: dt.date,
    zoom: str = DEFAULT_ZOOM,
    label: str,
    href: str | None = None,
    lanes: LanePage | None = None,
    critical: CriticalPath | None = None,
    baseline: BaselineShadow | None = None,
    deadlines: Sequence[DeadlineMark] = (),
) -> SafeString:
    """Draw the milestones ``rows`` (in due-date order) and their ``links`` as one SVG element.

    ``label`` names the chart for assistive technology; ``href`` is a milestone address with
    ``{pk}`` for the id (the milestone page by default). ``lanes`` picks the rows drawn (all
    by default); the time scale always spans every row, so that each page lines up.
    ``critical`` outlines the critical path and gives each milestone's float in its tooltip;
    ``baseline`` draws a named baseline's dates behind the current ones. ``deadlines`` are
    drawn first, on every page, each lane a link to its communication.
    """
    scale = ZOOMS[zoom_or_default(zoom)]
    href = href or milestone_href()
    starts = _bar_starts(rows, links)
    floats = critical.floats if critical else {}
    chain = set(critical.chain) if critical else set()
    shadows = baseline.dates if baseline else {}
    days = [today, *starts.values()]
    for row in rows:
        days += (row["due_date"], row["baseline_due_date"])
    for shadow_due, shadow_start in shadows.values():
        days.append(shadow_start or shadow_due)
        days.append(shadow_due)
    for mark in deadlines:
        days += (mark.sent_on, mark.due, mark.deems_on or mark.due)
    total = len(rows)
    if lanes is not None:
        rows = rows[lanes.start : lanes.stop]
    drawn = {row["id"] for row in rows}
    # Only the links with both ends drawn get an arrow; the description counts the rest.
    shown = [link for link in links if link[0] in drawn and link[1] in drawn]
    if len(rows) < total:
        first_lane = lanes.start + 1 if lanes else 1
        away = sum(1 for link in links if (link[0] in drawn) != (link[1] in drawn))
        summary = (
            f"Gantt chart of milestones {first_lane:,} to {first_lane + len(rows) - 1:,} of"
            f" {total:,} in due-date order, with the {len(shown):,} dependencies between them"
            f" ({away:,} more link them to milestones on other pages)"
        )
    else:
        summary = f"Gantt chart of {total} milestones and {len(shown)} dependencies"
    if critical is not None:
        summary += f"; {len(chain):,} on the critical path, outlined"
    if baseline is not None:
        summary += f"; grey shadows show baseline “{_escape(baseline.name)}”"
    if deadlines:
        count = len(deadlines)
        summary += (
            f"; first, {count} answer{'s' if count != 1 else ''} owed under the contract,"
            " each flagged on its last day"
        )
    first = _period_start(min(days), scale.months_per_tick)
    last = _add_months(_period_start(max(days), scale.months_per_tick), scale.months_per_tick)
    origin = first.toordinal()
    ppd = scale.px_per_day

    # Thousands of rows share far fewer dates: position and name each date once.
    xs: dict[dt.date, int] = {}
    names: dict[dt.date, str] = {}

    def x_of(day: dt.date) -> int:
        x = xs.get(day)
        if x is None:
            x = xs[day] = LABEL_WIDTH + round((day.toordinal() - origin) * ppd)
        return x

    def name(day: dt.date) -> str:
        text = names.get(day)
        if text is None:
            text = names[day] = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        return text

    # The deadlines' legend runs past ``MIN_WIDTH`` by about this much.
    width = max(x_of(last) + 20, MIN_WIDTH + (40 if deadlines else 0))
    # The milestones' lanes begin under the deadlines'.
    body = HEADER + LANE * len(deadlines)
    lanes_drawn = len(deadlines) + len(rows)
    height = HEADER + LANE * lanes_drawn + 8
    # The drawing is an image; the links sit in their own layer on top, since links inside an
    # image are hidden from assistive technology (axe: nested-interactive).
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tl" role="group"'
        f' aria-labelledby="tl-title" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" data-zoom="{scale.name}"'
        f' data-px-per-day="{ppd}">'
        f'<title id="tl-title">{escape(label)}</title>',
        STYLE,
        DEADLINE_STYLE if deadlines else "",
        DEFS,
        '<g role="img" aria-labelledby="tl-title tl-desc">'
        f'<desc id="tl-desc">{summary}; the milestone table lists the same data.</desc>',
        f'<rect x="0" y="{HEADER}" width="{width}" height="{LANE * lanes_drawn}"'
        ' fill="url(#tl-lanes)"/>',
        *_legend(16, baseline.name if baseline else None, bool(deadlines)),
        '<g class="ticks">',
    ]
    tick = first
    while tick < last:
        x = x_of(tick)
        out.append(
            f'<path class="grid" d="M{x},{HEADER - 18}V{height}"/>'
            f'<text class="tick" x="{x + 4}" y="{HEADER - 6}">{_tick_label(tick, scale)}</text>'
        )
        tick = _add_months(tick, scale.months_per_tick)
    out.append("</g>")

    # Where each milestone's shape begins and ends, for the arrows drawn after the lanes.
    spans: dict[int, tuple[int, int, int]] = {}
    hits: list[str] = ['<g class="links">']
    link_start, link_end = html.escape(href).split("{pk}")
    out.append('<g class="lanes">')
    if deadlines:
        out += _deadline_lanes(deadlines, x_of, hits)
        if rows:
            out.append(f'<path class="grid" d="M0,{body}H{width}"/>')
    for index, row in enumerate(rows):
        pk = row["id"]
        kind = row["kind"]
        health = row["health"]
        due = row["due_date"]
        base = row["baseline_due_date"]
        top = body + index * LANE
        mid = top + LANE // 2
        due_x = x_of(due)
        diamond = kind in DIAMOND_KINDS
        start_x = due_x - 7 if diamond else x_of(starts[pk])
        moved = ""
        if baseline is not None:
            frozen = shadows.get(pk)
            if frozen is None:
                moved = f"; not in baseline “{_escape(baseline.name)}”"
            else:
                # The baseline's shape behind the current one; a bar keeps its length if the
                # baseline froze no start.
                shadow_x = x_of(frozen[0])
                if diamond:
                    out.append(f'<path class="shadow" d="M{shadow_x},{mid - 9}l9,9-9,9-9-9z"/>')
                else:
                    left = x_of(frozen[1]) if frozen[1] else shadow_x - (due_x - start_x)
                    out.append(
                        f'<rect class="shadow" x="{left}" y="{top + 3}"'
                        f' width="{max(shadow_x - left, 2)}" height="14"/>'
                    )
                slip = (due - frozen[0]).days
                moved = (
                    f"; baseline “{_escape(baseline.name)}”: due {name(frozen[0])}"
                    f" ({f'{slip:+d} d' if slip else 'unchanged'})"
                )
        elif base != due:
            # One path: a thin bar from the baseline to the due date, and a tick at the baseline.
            base_x = x_of(base)
            out.append(
                f'<path class="base" d="M{min(base_x, due_x)},{top + 16}h{abs(due_x - base_x)}v3'
                f'H{min(base_x, due_x)}zM{base_x - 1},{top + 3}h2v16h-2z"/>'
            )
            moved = f" (baseline {name(base)}, {(due - base).days:+d} d)"
        # Kind and health are codes the database constrains, safe in an attribute as they are.
        if diamond:
            if pk in chain:
                out.append(f'<path class="crit" d="M{due_x},{mid - 10}l10,10-10,10-10-10z"/>')
            out.append(f'<path class="s {health}" d="M{due_x},{mid - 7}l7,7-7,7-7-7z"/>')
            spans[pk] = (index, due_x - 7, due_x + 7)
        else:
            if pk in chain:
                out.append(
                    f'<rect class="crit" x="{start_x - 2}" y="{top + 3}"'
                    f' width="{due_x - start_x + 4}" height="14"/>'
                )
            out.append(
                f'<rect class="s {health}" x="{start_x}" y="{top + 5}" width="{due_x - start_x}"'
                ' height="10"/>'
            )
            spans[pk] = (index, start_x, due_x)
        pinned = ""
        if row["pinned"]:
            out.append(f'<path class="pin" d="M{due_x - 4},{top}h8l-4,5z"/>')
            pinned = "; pinned date"
        text = row["title"]
        short = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
        # A milestone no longer open has nothing left to forecast.
        forecast = (
            f", forecast {name(row['forecast_date'])}"
            if row["forecast_date"] and row["status"] in MOVABLE
            else ""
        )
        # The whole lane is the link. tabindex -1: the milestone table holds the same links, so
        # tabbing need not pass thousands of chart links first.
        hits.append(
            f'<a href="{link_start}{pk}{link_end}" class="m {kind} {health}" tabindex="-1">'
            f"<title>{_escape(text)} ({KIND_LABELS.get(kind, kind)}): due {name(due)}"
            f"{moved}{forecast}"
            f"; {STATUS_LABELS.get(row['status'], row['status'])}, {row['progress']}%"
            f"; health: {HEALTH_LABELS.get(health, health)}"
            f"{_float_text(row, floats, chain)}{pinned}</title>"
            f'<text x="6" y="{mid + 4}">{_escape(short)}</text>'
            f'<rect class="hit" y="{top}"/></a>'
        )
    out.append('</g><g class="deps">')
    for link in shown:
        start, end = spans[link[0]], spans[link[1]]
        from_y = body + start[0] * LANE + LANE // 2
        to_y = body + end[0] * LANE + LANE // 2
        out.append(_dependency(link[2], start, end, from_y, to_y))
    today_x = x_of(today)
    out.append(f'</g><path class="today" d="M{today_x},{HEADER - 18}V{height}"/></g>')
    out += hits
    out.append("</g></svg>")
    return mark_safe("".join(out))  # noqa: S308 (every text above went through escape)
