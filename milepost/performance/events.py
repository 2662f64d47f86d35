"""The events the performance app records; see ``milepost.audit.events``."""

from collections.abc import Callable

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence
from milepost.schedule.events import outcome_sentence


class PerformanceEvent(EventType):
    """What happens to a performance milestone's KPI and its measurements."""

    KPI_SET = "kpi.set"
    MEASUREMENT_RECORDED = "measurement.recorded"
    MILESTONE_EVALUATED = "milestone.evaluated"
    MEASUREMENT_CORRECTED = "measurement.corrected"
    SERVICE_CREDIT_TERMS_SET = "service_credit.terms_set"
    SERVICE_CREDIT_TERMS_CHANGED = "service_credit.terms_changed"
    SERVICE_CREDIT_EARNED = "service_credit.earned"
    SERVICE_CREDIT_CHANGED = "service_credit.changed"
    SERVICE_CREDIT_WITHDRAWN = "service_credit.withdrawn"


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


@sentence(
    PerformanceEvent.MEASUREMENT_CORRECTED,
    example={
        "before": {"value": "99.1000", "passed": False, "note": ""},
        "after": {"period_start": "2026-11-01", "value": "99.6000", "passed": True, "note": ""},
    },
)
def _corrected(e: Told) -> str:
    verdict = "on target" if e.after("passed") else "off target"
    return (
        f"{e.actor} corrected the measurement of {e.milestone} for the period from "
        f"{e.date(e.after('period_start'))} from {e.number(e.before('value'))} to "
        f"{e.number(e.after('value'))}: {verdict}{e.note('note')}."
    )


_METHODS = {
    "fixed": "a fixed amount",
    "percent_of_charge": "a percentage of the period's charge",
    "bands": "a percentage of the period's charge by how far it missed",
}


def _bands(e: Told, bands: object) -> str:
    if not isinstance(bands, list) or not bands:
        return "no bands"
    rows = [
        f"{e.number(band.get('percent'))}% "
        + (
            f"if it missed by {e.number(band.get('shortfall'))} or more"
            if str(band.get("shortfall")) not in ("0", "0.0", "")
            else "for any miss"
        )
        for band in bands
        if isinstance(band, dict)
    ]
    return "; ".join(rows) or "no bands"


def _credit_rule(e: Told) -> str:
    method = e.after("method")
    if method == "fixed":
        rule = f"{e.money(e.after('amount'))} for each missed period"
    elif method == "percent_of_charge":
        rule = (
            f"{e.number(e.after('percent'))}% of the period's charge of "
            f"{e.money(e.after('period_charge'))} for each missed period"
        )
    else:
        rule = (
            f"a share of the period's charge of {e.money(e.after('period_charge'))} for each "
            f"missed period ({_bands(e, e.after('bands'))})"
        )
    caps = []
    if e.after("cap_period") is not None:
        caps.append(f"at most {e.money(e.after('cap_period'))} a period")
    if e.after("cap_year") is not None:
        caps.append(f"at most {e.money(e.after('cap_year'))} a year")
    return rule + (f", {e.listed(caps)}" if caps else "")


@sentence(
    PerformanceEvent.SERVICE_CREDIT_TERMS_SET,
    example={
        "after": {
            "method": "bands",
            "amount": None,
            "percent": None,
            "period_charge": "20000.00",
            "bands": [{"shortfall": "0", "percent": "5"}, {"shortfall": "0.5", "percent": "10"}],
            "cap_period": "3000.00",
            "cap_year": "12000.00",
            "payer": "Northwind Systems",
            "payee": "Harbour City Council",
            "currency": "GBP",
        }
    },
)
def _terms_set(e: Told) -> str:
    return (
        f"{e.actor} set the service credits of {e.milestone}: "
        f"{e.organisation(e.after('payer'), 'the supplier')} credits "
        f"{e.organisation(e.after('payee'), 'the client')} {_credit_rule(e)}."
    )


@sentence(
    PerformanceEvent.SERVICE_CREDIT_TERMS_CHANGED,
    example={
        "before": {"cap_year": "12000.00"},
        "after": {"cap_year": "15000.00"},
    },
)
def _terms_changed(e: Told) -> str:
    labels: dict[str, tuple[str, Callable[..., str]]] = {
        "method": ("way the credit is worked out", lambda v: _METHODS.get(str(v), e.words(v))),
        "amount": ("credit per missed period", e.money),
        "percent": ("percentage of the charge", lambda v: f"{e.number(v)}%"),
        "period_charge": ("charge for a period", e.money),
        "bands": ("bands", lambda v: _bands(e, v)),
        "cap_period": ("cap per period", lambda v: e.money(v) if v is not None else "none"),
        "cap_year": ("cap per year", lambda v: e.money(v) if v is not None else "none"),
        "payer": ("supplier", e.organisation),
        "payee": ("client", e.organisation),
    }
    return f"{e.actor} changed the service credits of {e.milestone}: {e.changes(labels)}."


def _capped(e: Told) -> str:
    amount, uncapped = e.after("amount"), e.after("uncapped")
    if amount is None or uncapped is None or str(amount) == str(uncapped):
        return ""
    return f" (capped from {e.money(uncapped)})"


@sentence(
    PerformanceEvent.SERVICE_CREDIT_EARNED,
    example={
        "after": {
            "period_start": "2026-11-01",
            "shortfall": "0.1900",
            "amount": "1000.00",
            "uncapped": "1000.00",
            "payer": "Northwind Systems",
            "payee": "Harbour City Council",
            "cap_period": None,
            "cap_year": None,
        }
    },
)
def _earned(e: Told) -> str:
    return (
        f"{e.milestone} missed its target by {e.number(e.after('shortfall'))} in the period from "
        f"{e.date(e.after('period_start'))}, so {e.organisation(e.after('payer'), 'the supplier')} "
        f"owes {e.organisation(e.after('payee'), 'the client')} a service credit of "
        f"{e.money(e.after('amount'))}{_capped(e)}."
    )


@sentence(
    PerformanceEvent.SERVICE_CREDIT_CHANGED,
    example={
        "before": {"amount": "1000.00", "uncapped": "1000.00", "shortfall": "0.1900"},
        "after": {
            "period_start": "2026-11-01",
            "shortfall": "0.6000",
            "amount": "2000.00",
            "uncapped": "2000.00",
        },
    },
)
def _credit_changed(e: Told) -> str:
    return (
        f"The service credit of {e.milestone} for the period from "
        f"{e.date(e.after('period_start'))} is now {e.money(e.after('amount'))}{_capped(e)}, "
        f"was {e.money(e.before('amount'))}, after {e.actor}'s change."
    )


@sentence(
    PerformanceEvent.SERVICE_CREDIT_WITHDRAWN,
    example={
        "before": {
            "period_start": "2026-11-01",
            "amount": "1000.00",
            "payer": "Northwind Systems",
            "payee": "Harbour City Council",
        }
    },
)
def _withdrawn(e: Told) -> str:
    return (
        f"The service credit of {e.money(e.before('amount'))} for {e.milestone} for the period "
        f"from {e.date(e.before('period_start'))} no longer stands, after {e.actor}'s change."
    )
