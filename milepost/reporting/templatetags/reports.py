"""The contract page's reports panel: issued reports and subscriptions, read for the page."""

from typing import Any

from django import template

from milepost.contracts.selectors import ContractAccess

from ..reports.issue import issued_reports_for_contract
from ..reports.subscriptions import subscriptions_for_contract

register = template.Library()
SHOWN = 10


@register.inclusion_tag("reporting/partials/contract_reports_panel.html", takes_context=True)
def contract_reports(context: Any, contract: Any, access: ContractAccess) -> dict[str, Any]:
    """Draw the panel; the page has checked that the reader sees the contract."""
    user = context["request"].user
    reports = list(issued_reports_for_contract(contract=contract)[: SHOWN + 1])
    return {
        "contract": contract,
        "access": access,
        "reports": reports[:SHOWN],
        "more": len(reports) > SHOWN,
        "subscriptions": [
            (s, s.created_by_id == user.pk or access.can_manage)
            for s in subscriptions_for_contract(contract=contract)
        ],
        "csrf_token": context.get("csrf_token"),
    }
