"""Who reviews the proposals read from a document, and what each decision's event keeps."""

from typing import Any

from milepost.accounts.models import User
from milepost.contracts.models import ContractDocument
from milepost.contracts.selectors import contract_access
from milepost.core.errors import DomainError, Forbidden

from .choices import ProposalKind
from .models import Proposal


def proposal_review_refusal(*, document: ContractDocument, user: User) -> DomainError | None:
    """Return why ``user`` may not review (accept, edit, reject, reopen, apply) the proposals
    read from ``document``, or ``None``: a manager of a party to the open contract reviews."""
    contract = document.contract
    access = contract_access(user=user, contract=contract)
    if not access.can_manage:
        return Forbidden(
            "Only a manager or admin of a party to this contract may review what was read "
            "from its documents."
        )
    if contract.is_closed:
        return DomainError(
            "contract_closed",
            f"The contract is {contract.status}; its milestones no longer change.",
            field="contract",
        )
    return None


def snapshot(proposal: Proposal) -> dict[str, Any]:
    """What a decision's event keeps: the proposal as titled now, and the words it cites."""
    citation = proposal.proposed.get("citation") or {}
    title = proposal.values.get("title") or proposal.proposed.get("title") or ""
    extra: dict[str, Any] = {}
    if proposal.kind == ProposalKind.DAMAGES:
        values = proposal.values or {}
        title = damages_title(values)
        extra = {
            "rate": values.get("rate"),
            "per": values.get("per"),
            "currency": proposal.proposed.get("currency"),
        }
    return {
        **extra,
        "kind": proposal.kind,
        "title": title,
        "document": proposal.document.title,
        "clause": citation.get("clause") or "",
        "quote": citation.get("quote") or "",
        "page": citation.get("page"),
    }


def damages_title(values: dict[str, Any]) -> str:
    per = values.get("per")
    return f"Delay damages per {per}" if per else "Delay damages"
