"""Non-working day endpoints: a contract's days off, which move the dates counted in working days."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from milepost.accounts.api import actor
from milepost.contracts.api import NonWorkingDayIn, NonWorkingDayOut
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.errors import NotFound
from milepost.core.schemas import RowId

from ..calendar import calendar_day_off_add, calendar_day_off_remove

# Listed under the planning tag in the API document, as they always were.
router = Router(tags=["planning and change requests"])


# The contract's own days off live here, not in contracts: adding or removing one recomputes
# every date counted in working days, which only the schedule knows how to do.
@router.get("/contracts/{contract_id}/non-working-days", response=list[NonWorkingDayOut])
def list_non_working_days(request: HttpRequest, contract_id: RowId) -> Any:
    """List the contract's own days off (bank holidays are in ``/calendar``), in date order."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return contract.non_working_days.all()


@router.post("/contracts/{contract_id}/non-working-days", response={201: NonWorkingDayOut})
def add_non_working_day(request: HttpRequest, contract_id: RowId, payload: NonWorkingDayIn) -> Any:
    """Add a day the contract does not work (managers and admins of the owning organisation)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    day_off = calendar_day_off_add(
        contract=contract, day=payload.day, reason=payload.reason, actor=actor(request)
    )
    return Status(201, day_off)


@router.delete("/contracts/{contract_id}/non-working-days/{day_id}", response={204: None})
def remove_non_working_day(request: HttpRequest, contract_id: RowId, day_id: RowId) -> Any:
    """Make one of the contract's own days off a working day again (the owner's managers)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    day_off = contract.non_working_days.select_related("contract").filter(pk=day_id).first()
    if day_off is None:
        raise NotFound("non-working day")
    calendar_day_off_remove(day_off=day_off, actor=actor(request))
    return Status(204, None)
