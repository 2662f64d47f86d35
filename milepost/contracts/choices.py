"""Contract statuses with their transition table, the roles a party can play, and the forms."""

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


class NamedRole(models.TextChoices):
    """A role a standard form names, which one party to the contract holds.

    Under NEC4 the Project Manager (ECC), the Supervisor (ECC) and the Service Manager (TSC)
    administer the contract for the client: a consultant usually, sometimes the client itself.
    Who may send a communication under a clause comes from these and the parties' roles.
    """

    NONE = "", "No named role"
    PROJECT_MANAGER = "project_manager", "Project Manager"
    SUPERVISOR = "supervisor", "Supervisor"
    SERVICE_MANAGER = "service_manager", "Service Manager"


class ContractForm(models.TextChoices):
    """The standard form a contract is written on: it brings its communications and periods."""

    PLAIN = "plain", "Plain contract (no standard form)"
    NEC4_ECC = "nec4_ecc", "NEC4 Engineering and Construction Contract"
    NEC4_PSC = "nec4_psc", "NEC4 Professional Service Contract"
    JCT_DB_2016 = "jct_db_2016", "JCT Design and Build Contract 2016"
