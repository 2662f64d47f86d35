"""The events the performance app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence
from milepost.schedule.events import outcome_sentence


class PerformanceEvent(EventType):
    """What happens to a performance milestone's KPI and its measurements."""

    KPI_SET = "kpi.set"
    MEASUREMENT_RECORDED = "measurement.recorded"
    MILESTONE_EVALUATED = "milestone.evaluated"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------

_DIRECTIONS = {"at_least": "at least", "at_most": "at most"}


def _amount(e: Told, value: object, unit: object) -> str:
    unit = str(unit or "")
    return f"{e.number(value)}{unit}" if unit == "%" else f"{e.number(value)} {unit}".strip()


@sentence(PerformanceEvent.KPI_SET)
def _kpi_set(e: Told) -> str:
    direction = _DIRECTIONS.get(str(e.after("direction")), e.words(e.after("direction")))
    return (
        f"{e.actor} set the target of {e.milestone}: {e.after('name') or 'the KPI'} "
        f"{direction} {_amount(e, e.after('target'), e.after('unit'))} each "
        f"{e.words(e.after('period'), 'period')}, measured from {e.date(e.after('measurement_start'))}."
    )


@sentence(PerformanceEvent.MEASUREMENT_RECORDED)
def _measured(e: Told) -> str:
    verdict = "on target" if e.after("passed") else "off target"
    return (
        f"{e.actor} recorded {e.number(e.after('value'))} for {e.milestone} for the period "
        f"from {e.date(e.after('period_start'))}: {verdict}."
    )


@sentence(PerformanceEvent.MILESTONE_EVALUATED)
def _evaluated(e: Told) -> str:
    return outcome_sentence(e)
