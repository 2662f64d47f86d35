"""The construction demo's signed agreement, attached to its contract and already reviewed.

The library extension's milestones were set up by hand before anyone uploaded the agreement;
Cora then uploads it, and each proposal that names a milestone already on the contract is
linked to it (its citation shows on the milestone's page), not created again. The Funder's
approval of the foundation inspection report and the monthly progress reports are left
waiting for her review, so the review page shows the flow; what else it read (retention
releases, payment terms, notice periods) the council tracks elsewhere and she rejects.
"""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from milepost.accounts.models import User
from milepost.contracts.models import Contract, ContractDocument
from milepost.extraction.choices import ProposalKind
from milepost.extraction.models import Proposal
from milepost.extraction.services import (
    document_upload_and_read,
    proposal_decide,
    proposal_match,
)
from milepost.schedule.models import Milestone

from .agreement import agreement_text, demo_terms

TITLE = "Signed agreement: design and build contract"
FILE_NAME = "harbour-library-agreement-signed.txt"

# (kind, words of the clause it quotes) -> the title of the demo's milestone it names.
MATCHES: list[tuple[str, str, str]] = [
    (ProposalKind.GATE, "traffic management plan", "Site access approved"),
    (ProposalKind.DELIVERABLE, "complete the foundations", "Foundations complete"),
    (ProposalKind.DELIVERABLE, "CCTV survey", "Drainage survey report"),
    (ProposalKind.DELIVERABLE, "complete the structure", "Structure topped out"),
    (ProposalKind.GATE, "fit-out programme", "Fit-out stage gate"),
    (ProposalKind.DELIVERABLE, "achieve Practical Completion", "Practical completion"),
    (ProposalKind.PAYMENT, "completion of the foundations", "Foundation payment (30%)"),
    (ProposalKind.PAYMENT, "completion of the structure", "Structure payment (40%)"),
    (ProposalKind.PAYMENT, "certifying Practical Completion", "Completion payment (30%)"),
    (ProposalKind.DAMAGES, "liquidated damages", "Practical completion"),
]
# Left for the reviewer: the Funder's gate and the monthly progress reports.
LEFT_PENDING = ("foundation inspection report", "monthly progress report")


def seed(contract: Contract, cora: User, today: dt.date) -> ContractDocument:
    """Upload the agreement as Cora and review what it proposes against the milestones."""
    terms = demo_terms(today, contract_sum=contract.value, currency=contract.currency)
    document = document_upload_and_read(
        contract=contract,
        upload=SimpleUploadedFile(
            FILE_NAME, agreement_text(terms).encode("utf-8"), content_type="text/plain"
        ),
        title=TITLE,
        actor=cora,
    )
    milestones = {m.title: m for m in Milestone.objects.filter(contract=contract)}
    linked: set[str] = set()
    for proposal in Proposal.objects.filter(document=document).order_by("position"):
        quote = (proposal.proposed.get("citation") or {}).get("quote") or ""
        target = _match(proposal, quote, linked)
        if target is not None:
            proposal_match(proposal=proposal, milestone=milestones[target], actor=cora)
            linked.add(f"{proposal.kind}:{target}")
        elif not any(words in quote for words in LEFT_PENDING):
            proposal_decide(proposal=proposal, decision="reject", actor=cora)
    return document


def _match(proposal: Proposal, quote: str, linked: set[str]) -> str | None:
    """The demo milestone this proposal names, unless one of its kind is linked to it already."""
    for kind, words, title in MATCHES:
        if proposal.kind == kind and words in quote and f"{kind}:{title}" not in linked:
            return title
    return None
