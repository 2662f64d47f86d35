"""Contract statuses with their transition table, and the roles a party can play."""

from django.db import models


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    TERMINATED = "terminated", "Terminated"


CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.ACTIVE, ContractStatus.TERMINATED}),
    ContractStatus.ACTIVE: frozenset(
        {ContractStatus.SUSPENDED, ContractStatus.COMPLETED, ContractStatus.TERMINATED}
    ),
    ContractStatus.SUSPENDED: frozenset({ContractStatus.ACTIVE, ContractStatus.TERMINATED}),
    ContractStatus.COMPLETED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
}

# Milestones of a contract in these statuses are frozen.
CLOSED_CONTRACT_STATUSES = frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED})


class PartyRole(models.TextChoices):
    CLIENT = "client", "Client"
    SUPPLIER = "supplier", "Supplier"
    SUBCONTRACTOR = "subcontractor", "Subcontractor"
    CONSULTANT = "consultant", "Consultant"
    OBSERVER = "observer", "Observer"
