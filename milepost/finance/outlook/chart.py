"""The S-curve chart's geometry, computed on the server so the page needs no script."""

import math
from dataclasses import dataclass
from decimal import Decimal

from .selectors import Curve

WIDTH, HEIGHT = 720.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 8.0, 8.0, 12.0, 28.0
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
# At most this many month labels along the bottom; the table lists every month.
LABELS = 12


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    # The first label starts at the left edge, the others are centred on their month.
    anchor: str = "middle"


@dataclass(frozen=True)
class Level:
    y: float
    amount: Decimal

    @property
    def label_y(self) -> float:
        return self.y - 3


@dataclass(frozen=True)
class Chart:
    """Polylines (SVG ``points``) for each curve, month ticks, levels and the current month."""

    width: float
    height: float
    baseline: float
    planned: str
    actual: str
    p50: str
    p80: str
    ticks: list[Tick]
    levels: list[Level]
    today_x: float | None


def _points(xs: list[float], ys: list[float | None]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True) if y is not None)


def s_curve_chart(curve: Curve) -> Chart:
    """Lay out ``curve`` in a WIDTH by HEIGHT box: x by month, y by the largest amount."""
    points = curve.points
    top = max(
        [p.planned for p in points] + [p.p50 for p in points] + [p.p80 for p in points],
        default=Decimal(0),
    )
    top = max(top, max((p.actual or Decimal(0) for p in points), default=Decimal(0)))
    scale = float(top) or 1.0
    step = PLOT_W / max(len(points) - 1, 1)
    xs = [LEFT + i * step for i in range(len(points))]

    def y(amount: Decimal | None) -> float | None:
        return None if amount is None else TOP + PLOT_H - float(amount) / scale * PLOT_H

    now = curve.current_index
    # The forecasts start from the current month: before it they are the actual.
    start = now if now is not None else 0
    every = max(1, math.ceil(len(points) / LABELS))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        baseline=TOP + PLOT_H,
        planned=_points(xs, [y(p.planned) for p in points]),
        actual=_points(xs, [y(p.actual) for p in points]),
        p50=_points(xs[start:], [y(p.p50) for p in points[start:]]),
        p80=_points(xs[start:], [y(p.p80) for p in points[start:]]),
        ticks=[
            Tick(
                x=xs[i],
                label=p.month.strftime("%b %Y" if p.month.month == 1 or i == 0 else "%b"),
                anchor="start" if i == 0 else "middle",
            )
            for i, p in enumerate(points)
            if i % every == 0
        ],
        levels=[
            Level(y=TOP + PLOT_H - share * PLOT_H, amount=top * Decimal(str(share)))
            for share in (0.5, 1.0)
        ]
        if top
        else [],
        today_x=xs[now] if now is not None else None,
    )
