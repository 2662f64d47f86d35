"""The dashboard's money this week over the API: the payment cycles' money and notices due."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from milepost.accounts.api import actor
from milepost.core.dates import local_today

from ..selectors.board import WEEK_DAYS, money_due_this_week, notices_due_this_week

router = Router(tags=["reporting"])


class MoneyDueOut(Schema):
    cycle_id: int
    number: int
    contract_id: int
    contract_reference: str
    currency: str
    payer: str
    payee: str
    final_date: dt.date = Field(description="The final date for payment.")
    outstanding: Decimal = Field(description="What is payable less what has been paid.")
    overdue: bool
    state: str


class NoticeDueOut(Schema):
    cycle_id: int
    number: int
    contract_id: int
    contract_reference: str
    notice: str = Field(description='"payment notice" or "pay less notice, if any".')
    organisation: str = Field(description="The party whose notice it is.")
    deadline: dt.date


class MoneyWeekOut(Schema):
    """The next seven days of the caller's calendar, from today."""

    first: dt.date
    last: dt.date
    money: list[MoneyDueOut]
    notices: list[NoticeDueOut]


@router.get("/me/money-due", response=MoneyWeekOut)
def money_due(request: HttpRequest) -> Any:
    """List the payment cycles with money due this week or overdue, and the notices due this
    week, on the contracts you can see."""
    user = actor(request)
    today = local_today(user.time_zone)
    money = [
        {
            "cycle_id": line.cycle.pk,
            "number": line.cycle.number,
            "contract_id": line.cycle.contract_id,
            "contract_reference": line.cycle.contract.reference,
            "currency": line.cycle.contract.currency,
            "payer": str(line.cycle.payer.organisation),
            "payee": str(line.cycle.payee.organisation),
            "final_date": line.cycle.final_date,
            "outstanding": line.outstanding,
            "overdue": line.overdue,
            "state": line.figures.state,
        }
        for line in money_due_this_week(user=user)
    ]
    notices = [
        {
            "cycle_id": n.cycle.pk,
            "number": n.cycle.number,
            "contract_id": n.cycle.contract_id,
            "contract_reference": n.cycle.contract.reference,
            "notice": n.what,
            "organisation": n.organisation,
            "deadline": n.deadline,
        }
        for n in notices_due_this_week(user=user)
    ]
    last = today + dt.timedelta(days=WEEK_DAYS - 1)
    return {"first": today, "last": last, "money": money, "notices": notices}
