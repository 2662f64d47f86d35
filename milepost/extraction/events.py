"""The events the extraction app records; see ``milepost.audit.events``.

Uploading a document is the contracts app's ``document.added``; reading it writes nothing but
its proposals. A person's decisions on each proposal are recorded here, each with the words of
the contract it cites; creating the accepted set is one import (``import.applied``) plus the
usual events of what it made and one ``proposal.applied`` per proposal.
"""

from milepost.audit.events import EventType


class ExtractionEvent(EventType):
    """Proposals read from a contract document: accepted, edited, rejected, applied."""

    PROPOSAL_ACCEPTED = "proposal.accepted"
    PROPOSAL_EDITED = "proposal.edited"
    PROPOSAL_REJECTED = "proposal.rejected"
    PROPOSAL_REOPENED = "proposal.reopened"
    PROPOSAL_APPLIED = "proposal.applied"
