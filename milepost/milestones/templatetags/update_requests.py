"""What the milestone and contract pages' update-request panels show, for the person viewing."""

from typing import Any

from django import template
from django.utils import timezone

from milepost.contracts.models import Contract
from milepost.contracts.selectors import ContractAccess
from milepost.schedule.models import Milestone

from ..models import Weekday
from ..updates import (
    request_state,
    update_requests_for_milestone,
    update_rounds_for_contract,
    update_schedule_for,
)

register = template.Library()


@register.simple_tag
def milestone_update_requests(milestone: Milestone, access: ContractAccess) -> dict[str, Any]:
    """The milestone's latest requests (for managers), its own schedule and the contract's."""
    now = timezone.now()
    manage = access.can_manage
    requests = list(update_requests_for_milestone(milestone=milestone, limit=5)) if manage else []
    return {
        "manage": manage,
        "open": milestone.is_open and not milestone.contract.is_closed,
        "requests": [(r, request_state(r, now)) for r in requests],
        "schedule": update_schedule_for(contract=milestone.contract, milestone=milestone),
        "contract_schedule": update_schedule_for(contract=milestone.contract),
        "weekdays": Weekday.choices,
    }


@register.simple_tag
def contract_update_rounds(contract: Contract, access: ContractAccess) -> dict[str, Any]:
    """The contract's latest rounds and its schedule; rounds only for its managers."""
    manage = access.can_manage
    return {
        "manage": manage,
        "rounds": update_rounds_for_contract(contract=contract, limit=5) if manage else [],
        "schedule": update_schedule_for(contract=contract),
    }
