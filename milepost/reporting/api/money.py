"""The dashboard's money this week over the API: the payment cycles' money and notices due."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

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
    money: list[MoneyDueOut] = Field(description="The first `limit`, oldest final date first.")
    money_total: int = Field(description="How many cycles have money due, listed or not.")
    notices: list[NoticeDueOut] = Field(description="The first `limit`, earliest deadline first.")
    notices_total: int = Field(description="How many notices are due, listed or not.")


@router.get("/me/money-due", response=MoneyWeekOut)
def money_due(request: HttpRequest, limit: int = Query(50, ge=1, le=200)) -> Any:
    """List the payment cycles with money due this week or overdue, and the notices due this
    week, on the contracts you can see: the first ``limit`` of each, with how many there are."""
    user = actor(request)
    today = local_today(user.time_zone)
    lines, money_total = money_due_this_week(user=user, limit=limit)
    due_notices = notices_due_this_week(user=user)
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
        for line in lines
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
        for n in due_notices[:limit]
    ]
    last = today + dt.timedelta(days=WEEK_DAYS - 1)
    return {
        "first": today,
        "last": last,
        "money": money,
        "money_total": money_total,
        "notices": notices,
        "notices_total": len(due_notices),
    }
