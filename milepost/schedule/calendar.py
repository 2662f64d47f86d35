"""A contract's non-working days as the schedule sees them: each change moves working-day dates."""

import datetime as dt

from django.db import transaction

from milepost.accounts.models import User
from milepost.contracts.models import Contract, NonWorkingDay
from milepost.contracts.services import non_working_day_add, non_working_day_remove

from .planning import recompute_all


@transaction.atomic
def calendar_day_off_add(
    *, contract: Contract, day: dt.date, reason: str, actor: User
) -> NonWorkingDay:
    """Add a contract day off and move the dates counted in working days across it."""
    day_off = non_working_day_add(contract=contract, day=day, reason=reason, actor=actor)
    recompute_all(contract=contract, cause=f"{day} made a non-working day ({reason})", actor=actor)
    return day_off


@transaction.atomic
def calendar_day_off_remove(*, day_off: NonWorkingDay, actor: User) -> None:
    """Make a contract day off a working day again and recompute relative dates."""
    contract, day = day_off.contract, day_off.day
    non_working_day_remove(day_off=day_off, actor=actor)
    recompute_all(contract=contract, cause=f"{day} made a working day again", actor=actor)
