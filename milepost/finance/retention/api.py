"""REST endpoints for retention: a contract's ledger, and fixing what a release pays."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from milepost.accounts.api import actor
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.dates import local_today
from milepost.core.schemas import RowId
from milepost.schedule.selectors import milestone_get_for_user

from .selectors import Ledger, retention_ledger
from .services import retention_release_fix

router = Router(tags=["finance"])


class RetentionRowOut(Schema):
    day: dt.date
    kind: str
    amount: Decimal
    balance: Decimal
    text: str
    cycle_id: int | None
    milestone_id: int | None


class RetentionReleaseOut(Schema):
    milestone_id: int
    title: str
    release: str
    share: Decimal
    due_date: dt.date
    status: str
    amount_planned: Decimal
    amount_now: Decimal
    paid: Decimal
    due: Decimal
    state: str


class RetentionLedgerOut(Schema):
    contract_id: int
    currency: str
    retention_percent: Decimal
    retention_bond: bool
    held: Decimal
    released: Decimal
    balance: Decimal
    due: Decimal
    terms: str
    releases: list[RetentionReleaseOut]
    rows: list[RetentionRowOut]


def _ledger_out(ledger: Ledger) -> dict[str, Any]:
    terms = ledger.terms
    return {
        "contract_id": ledger.contract.pk,
        "currency": ledger.currency,
        "retention_percent": terms.retention_percent if terms else Decimal(0),
        "retention_bond": ledger.bond,
        "held": ledger.held,
        "released": ledger.released,
        "balance": ledger.balance,
        "due": ledger.due,
        "terms": ledger.note,
        "releases": [
            {
                "milestone_id": r.milestone.pk,
                "title": r.title,
                "release": r.slot,
                "share": r.share,
                "due_date": r.due_date,
                "status": r.milestone.status,
                "amount_planned": r.milestone.payment.amount,
                "amount_now": r.amount_now,
                "paid": r.paid,
                "due": r.due,
                "state": r.words,
            }
            for r in ledger.releases
        ],
        "rows": [vars(row) for row in ledger.rows],
    }


def _ledger(contract: Contract) -> dict[str, Any]:
    today = local_today(contract.time_zone)
    return _ledger_out(retention_ledger(contract=contract, today=today))


@router.get("/contracts/{contract_id}/retention", response=RetentionLedgerOut)
def get_retention(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the contract's retention: held, released, the balance, the releases and each line."""
    return _ledger(contract_get_for_user(user=actor(request), pk=contract_id))


@router.post("/milestones/{milestone_id}/retention-release/fix", response=RetentionLedgerOut)
def fix_retention_release(request: HttpRequest, milestone_id: RowId) -> Any:
    """Set what a release of retention pays to what is held for it now (payer or payee manager)."""
    user = actor(request)
    milestone = milestone_get_for_user(user=user, pk=milestone_id)
    retention_release_fix(milestone=milestone, actor=user)
    return _ledger(contract_get_for_user(user=user, pk=milestone.contract_id))
