"""Reads of contract documents and the proposals read from them, scoped to who may see them.

A contract's documents are evidence of the contract: every member of a party's organisation
reads them and their proposals; anyone else gets "not found", whether or not they exist.
"""

from django.db.models import Count, QuerySet

from milepost.accounts.models import User
from milepost.contracts.models import Contract, ContractDocument
from milepost.contracts.selectors import contract_get_for_user, contracts_for_user
from milepost.core.errors import NotFound

from .choices import ProposalStatus
from .models import Proposal


def documents_for_user_contract(*, user: User, contract_pk: int) -> QuerySet[ContractDocument]:
    """Return the documents of a contract the user sees (NotFound otherwise), newest first,
    each with ``proposal_count`` and ``pending_count``."""
    from milepost.contracts.selectors import documents_for_contract

    contract = contract_get_for_user(user=user, pk=contract_pk)
    return documents_with_counts(documents_for_contract(contract=contract))


def documents_with_counts(documents: QuerySet[ContractDocument]) -> QuerySet[ContractDocument]:
    """``documents`` with how many proposals each has, and how many wait for review (one
    query)."""
    from django.db.models import Q

    return documents.annotate(
        proposal_count=Count("proposals"),
        pending_count=Count("proposals", filter=Q(proposals__status=ProposalStatus.PENDING)),
        accepted_count=Count("proposals", filter=Q(proposals__status=ProposalStatus.ACCEPTED)),
    )


def document_get_for_user(*, user: User, pk: int) -> ContractDocument:
    """Return one document of a contract the user sees, with its contract and reading, or
    raise NotFound whether it is missing or hidden."""
    document = (
        ContractDocument.objects.filter(
            pk=pk, contract__in=contracts_for_user(user=user).values("pk")
        )
        .select_related("contract", "contract__owner", "uploaded_by", "reading")
        .first()
    )
    if document is None:
        raise NotFound("document")
    return document


def proposals_for_document(*, document: ContractDocument) -> list[Proposal]:
    """Return the document's proposals in document order, with who decided and what was
    created from each."""
    proposals = list(
        Proposal.objects.filter(document=document)
        .select_related("decided_by", "milestone")
        .order_by("position")
    )
    for proposal in proposals:
        proposal.document = document
    return proposals


def proposal_get_for_user(*, user: User, pk: int) -> Proposal:
    """Return one proposal of a document the user sees, or raise NotFound."""
    proposal = (
        Proposal.objects.filter(
            pk=pk, document__contract__in=contracts_for_user(user=user).values("pk")
        )
        .select_related("document__contract", "decided_by", "milestone")
        .first()
    )
    if proposal is None:
        raise NotFound("proposal")
    return proposal


def proposal_counts(*, document: ContractDocument) -> dict[str, int]:
    """How many of the document's proposals are in each status."""
    counts = dict.fromkeys(ProposalStatus.values, 0)
    for status, n in (
        Proposal.objects.filter(document=document)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    ):
        counts[status] = n
    return counts


def contract_for_documents(*, user: User, pk: int) -> Contract:
    """The contract whose documents a page lists (NotFound when hidden)."""
    return contract_get_for_user(user=user, pk=pk)
