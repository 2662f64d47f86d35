"""Small charts drawn on the server as SVG geometry for a template; the tables stay the source."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from milepost.performance.models import KPI, Measurement

HEIGHT = 160  # the plot area; labels go below it
BAR = 18
GAP = 10
LEFT = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    passed: bool
    measurement: Measurement


@dataclass(frozen=True)
class MeasurementChart:
    width: float
    target_y: float
    bars: list[Bar]
    passed: int


def measurement_chart(kpi: KPI, measurements: Sequence[Measurement]) -> MeasurementChart | None:
    """One bar per measured period against a line at the target, on a scale from zero.

    Negative values are drawn at zero height (the table gives the number); None when there is
    nothing measured yet.
    """
    if not measurements:
        return None
    top = max([kpi.target, *(m.value for m in measurements)])
    scale = Decimal(HEIGHT) / (top * Decimal("1.1")) if top > 0 else Decimal(0)

    def y(value: Decimal) -> float:
        return float(HEIGHT - max(value, Decimal(0)) * scale)

    bars = [
        Bar(
            x=LEFT + i * (BAR + GAP),
            y=y(m.value),
            height=HEIGHT - y(m.value),
            passed=m.passed,
            measurement=m,
        )
        for i, m in enumerate(measurements)
    ]
    return MeasurementChart(
        width=max(LEFT * 2 + len(bars) * (BAR + GAP), 240),
        target_y=y(kpi.target),
        bars=bars,
        passed=sum(bar.passed for bar in bars),
    )
