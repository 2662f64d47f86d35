"""The demo's building blocks: an active contract with its parties, a deliverable, a month."""

import datetime as dt

from milepost.accounts.models import Organisation, User
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract, Party
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.schedule.choices import Criticality, MilestoneKind
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_create


def first_of_month(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def active_contract(
    owner: Organisation, actor: User, parties: list[tuple[Organisation, str]], **fields: object
) -> tuple[Contract, list[Party]]:
    contract = contract_create(organisation=owner, party_role=parties[0][1], actor=actor, **fields)  # type: ignore[arg-type]
    made = [contract.parties.get()]
    made += [
        party_add(contract=contract, organisation=org, role=role, actor=actor)
        for org, role in parties[1:]
    ]
    contract_set_status(contract=contract, status=ContractStatus.ACTIVE, actor=actor)
    return contract, made


def deliverable(
    contract: Contract,
    actor: User,
    owner: User,
    by: Party,
    to: Party,
    title: str,
    due: dt.date,
    criteria: str,
    critical: bool = False,
) -> Milestone:
    return milestone_create(
        contract=contract,
        kind=MilestoneKind.DELIVERABLE,
        title=title,
        owner=owner,
        responsible_party=by,
        accepting_party=to,
        due_date=due,
        acceptance_criteria=criteria,
        actor=actor,
        criticality=Criticality.CRITICAL if critical else Criticality.STANDARD,
    )
