"""The events the contracts app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class ContractEvent(EventType):
    """What happens to contracts, their parties and their non-working days."""

    CONTRACT_CREATED = "contract.created"
    CONTRACT_UPDATED = "contract.updated"
    CONTRACT_REVALUED = "contract.revalued"
    CONTRACT_STATUS_CHANGED = "contract.status_changed"
    PARTY_ADDED = "party.added"
    PARTY_REMOVED = "party.removed"
    NON_WORKING_DAY_ADDED = "non_working_day.added"
    NON_WORKING_DAY_REMOVED = "non_working_day.removed"
