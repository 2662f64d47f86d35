"""Reads behind the dashboard and the milestone list page, always scoped to the user."""

from milepost.approvals.selectors import gates_awaiting_decision

from .board import (
    CHART_HEIGHT,
    CashFlow,
    CashMonth,
    Dashboard,
    DashboardCounts,
    MoneyDue,
    PaymentLine,
    PortfolioRow,
    cash_flow,
    dashboard,
    dashboard_counts,
    money_due_this_week,
    notices_due_this_week,
    own_open_milestones,
    payments_due_this_month,
    portfolio,
)
from .milestones import SORTS, WINDOWS, MilestoneFilters, milestones_filtered

__all__ = [
    "CHART_HEIGHT",
    "SORTS",
    "WINDOWS",
    "CashFlow",
    "CashMonth",
    "Dashboard",
    "DashboardCounts",
    "MilestoneFilters",
    "MoneyDue",
    "PaymentLine",
    "PortfolioRow",
    "cash_flow",
    "dashboard",
    "dashboard_counts",
    "gates_awaiting_decision",
    "milestones_filtered",
    "money_due_this_week",
    "notices_due_this_week",
    "own_open_milestones",
    "payments_due_this_month",
    "portfolio",
]
