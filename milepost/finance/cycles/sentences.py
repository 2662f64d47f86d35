"""How the payment terms and payment cycle events read (see ``milepost.audit.sentences``)."""

from typing import Any

from milepost.audit.sentences import Told, sentence

from ..choices import CycleBasis, PaymentRegime
from ..events import FinanceEvent


def _regime(value: Any) -> str:
    return PaymentRegime(value).label if value in PaymentRegime.values else "its own terms"


def _basis(value: Any) -> str:
    return CycleBasis(value).label.lower() if value in CycleBasis.values else "its own basis"


def _days(e: Told) -> Any:
    return lambda v: e.count(int(v), "day") if v is not None else "not set"


def _labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "regime": ("regime", _regime),
        "basis": ("basis", _basis),
        "payer": ("payer", e.organisation),
        "payee": ("payee", e.organisation),
        "due_days": ("days to the due date", _days(e)),
        "final_days": ("days from the due date to the final date", _days(e)),
        "payment_notice_days": ("days to give a payment notice", _days(e)),
        "pay_less_days": ("days before the final date for a pay less notice", _days(e)),
        "working_days": ("counting in working days", lambda v: "yes" if v else "no"),
        "period_end_day": (
            "day the period ends",
            lambda v: "the month's last day" if not v else f"day {v} of the month",
        ),
        "suspension_notice_days": ("notice of suspension", _days(e)),
        "retention_percent": ("retention", lambda v: f"{e.number(v, '0')}%"),
        "retention_bond": ("retention bond", lambda v: "yes" if v else "no"),
        "retention_first_release_percent": (
            "share released at completion",
            lambda v: f"{e.number(v, '0')}%",
        ),
        "completion": ("completion milestone", lambda v: e.quoted(v, "none")),
        "defects_months": ("defects period", lambda v: e.count(int(v), "month")),
        "currency": ("currency", e.words),
    }


@sentence(
    FinanceEvent.MONEY_TERMS_SET,
    example={
        "after": {
            "regime": "scheme_ew",
            "basis": "interim",
            "payer": "Harbour City Council",
            "payee": "Northgate Construction",
            "retention_percent": "3.00",
            "currency": "GBP",
        }
    },
)
def _terms_set(e: Told) -> str:
    retention = e.after("retention_percent")
    held = (
        f", holding {e.number(retention)}% retention"
        if retention is not None and float(retention)
        else ""
    )
    return (
        f"{e.actor} set the payment terms of {e.contract}: {_basis(e.after('basis'))} under the "
        f"{_regime(e.after('regime'))}, paid by {e.organisation(e.after('payer'), 'the payer')} "
        f"to {e.organisation(e.after('payee'), 'the payee')}{held}."
    )


@sentence(
    FinanceEvent.MONEY_TERMS_CHANGED,
    example={"before": {"retention_percent": "3.00"}, "after": {"retention_percent": "5.00"}},
)
def _terms_changed(e: Told) -> str:
    return f"{e.actor} changed the payment terms of {e.contract}: {e.changes(_labels(e))}."


def _cycle(e: Told) -> str:
    number = e.value("number")
    stage = e.value("stage")
    name = f"payment cycle {number}" if number is not None else "a payment cycle"
    return f"{name} ({stage})" if stage else name


@sentence(
    FinanceEvent.PAYMENT_CYCLE_APPLIED,
    example={
        "after": {
            "number": 1,
            "gross_value": "120000.00",
            "retention": "3600.00",
            "previous": "0.00",
            "applied_sum": "116400.00",
            "applied_on": "2026-11-30",
            "period_end": "2026-11-30",
            "due_date": "2026-12-07",
            "final_date": "2026-12-24",
            "payment_notice_by": "2026-12-12",
            "pay_less_by": "2026-12-17",
            "currency": "GBP",
        }
    },
)
def _applied(e: Told) -> str:
    less = []
    if e.after("retention") is not None and float(e.after("retention")):
        less.append(f"{e.money(e.after('retention'))} retention")
    if e.after("previous") is not None and float(e.after("previous")):
        less.append(f"{e.money(e.after('previous'))} notified before")
    lessened = f" less {e.listed(less)}" if less else ""
    notices = (
        f"; the payment notice is due by {e.date(e.after('payment_notice_by'))}"
        if e.after("notices") is not False
        else ""
    )
    return (
        f"{e.actor} applied for {e.money(e.after('applied_sum'))} in {_cycle(e)} of "
        f"{e.contract} ({e.money(e.after('gross_value'))} gross{lessened}), due on "
        f"{e.date(e.after('due_date'))} and to be paid by {e.date(e.after('final_date'))}"
        f"{notices}."
    )


@sentence(
    FinanceEvent.PAYMENT_CYCLE_NOTIFIED,
    example={
        "after": {
            "number": 1,
            "notified_sum": "110000.00",
            "given_on": "2026-12-10",
            "basis": "Valuation of work done to 30 November.",
            "late": False,
            "applied_sum": "116400.00",
            "deadline": "2026-12-12",
            "currency": "GBP",
        }
    },
)
def _notified(e: Told) -> str:
    late = (
        f" It came after the deadline of {e.date(e.after('deadline'))}, so the application "
        f"of {e.money(e.after('applied_sum'))} stands."
        if e.after("late")
        else ""
    )
    return (
        f"{e.actor} gave the payment notice for {_cycle(e)} of {e.contract} on "
        f"{e.date(e.after('given_on'))}: {e.money(e.after('notified_sum'))} is considered "
        f"due{e.note('basis')}.{late}"
    )


@sentence(
    FinanceEvent.PAYMENT_CYCLE_DEFAULTED,
    example={
        "before": {"final_date": "2026-12-24"},
        "after": {
            "number": 2,
            "given_on": "2026-12-15",
            "applied_sum": "95000.00",
            "final_date": "2026-12-27",
            "currency": "GBP",
        },
    },
)
def _defaulted(e: Told) -> str:
    moved = (
        f"; the final date moves from {e.date(e.before('final_date'))} to "
        f"{e.date(e.after('final_date'))}"
        if e.before("final_date") and e.before("final_date") != e.after("final_date")
        else ""
    )
    return (
        f"{e.actor} gave a default notice for {_cycle(e)} of {e.contract} on "
        f"{e.date(e.after('given_on'))}, as no payment notice came in time: the application of "
        f"{e.money(e.after('applied_sum'))} stands as the sum due{moved}."
    )


@sentence(
    FinanceEvent.PAYMENT_CYCLE_PAY_LESS,
    example={
        "after": {
            "number": 3,
            "pay_less_sum": "90000.00",
            "given_on": "2026-12-15",
            "grounds": "Delay damages for the late completion of the roof.",
            "late": False,
            "deducted": "10000.00",
            "deadline": "2026-12-17",
            "items": ["Delay damages: 10000.00"],
            "currency": "GBP",
        }
    },
)
def _pay_less(e: Told) -> str:
    if e.after("late"):
        return (
            f"{e.actor} gave a pay less notice for {_cycle(e)} of {e.contract} on "
            f"{e.date(e.after('given_on'))}, after the deadline of "
            f"{e.date(e.after('deadline'))}, so it does not lower the sum due"
            f"{e.note('grounds')}."
        )
    return (
        f"{e.actor} gave a pay less notice for {_cycle(e)} of {e.contract} on "
        f"{e.date(e.after('given_on'))}: {e.money(e.after('pay_less_sum'))} will be paid, "
        f"{e.money(e.after('deducted'))} less{e.note('grounds')}."
    )


@sentence(
    FinanceEvent.PAYMENT_CYCLE_PAID,
    example={
        "after": {
            "number": 1,
            "received": "50000.00",
            "paid_on": "2026-12-20",
            "paid": "50000.00",
            "payable": "110000.00",
            "reference": "BACS 4471",
            "currency": "GBP",
        }
    },
)
def _paid(e: Told) -> str:
    paid, payable = e.after("paid"), e.after("payable")
    if paid is not None and payable is not None and str(paid) == str(payable):
        so_far = f"; {e.money(payable)} is now paid in full"
    elif paid is not None and payable is not None:
        so_far = f"; {e.money(paid)} of {e.money(payable)} paid so far"
    else:
        so_far = ""
    return (
        f"{e.actor} recorded {e.money(e.after('received'))} received on "
        f"{e.date(e.after('paid_on'))} for {_cycle(e)} of {e.contract}{so_far}."
    )


@sentence(
    FinanceEvent.PAYMENT_CYCLE_SUSPENSION_NOTICED,
    example={
        "after": {
            "number": 1,
            "given_on": "2026-12-28",
            "suspension_from": "2027-01-04",
            "outstanding": "60000.00",
            "currency": "GBP",
        }
    },
)
def _suspension(e: Told) -> str:
    return (
        f"{e.actor} gave notice on {e.date(e.after('given_on'))} of the intention to suspend "
        f"work on {e.contract} from {e.date(e.after('suspension_from'))}, as "
        f"{e.money(e.after('outstanding'))} of {_cycle(e)} was not paid by the final date."
    )
