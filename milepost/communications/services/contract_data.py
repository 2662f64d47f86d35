"""The contract data: the form a contract is on, and the periods it changes from the form's."""

from django.db import transaction

from milepost.accounts.models import User
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractForm
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access
from milepost.contracts.services import contract_require_open
from milepost.core.errors import DomainError

from ..choices import (
    PeriodUnit,
)
from ..events import CommunicationEvent
from ..models import ContractPeriod
from ..selectors import contract_period


@transaction.atomic
def contract_form_set(*, contract: Contract, form: str, actor: User) -> Contract:
    """Put the contract on a standard form, which brings its communications and periods."""
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    if form not in ContractForm.values:
        raise DomainError("invalid_form", f"'{form}' is not a form Milepost knows.", field="form")
    if form == contract.form:
        return contract
    if contract.communications.exists():
        raise DomainError(
            "form_in_use",
            "Communications have been made under the contract's form; it no longer changes.",
            field="form",
        )
    before = {"form": contract.form}
    contract.form = form
    contract.save(update_fields=["form", "updated_at"])
    # The periods changed for the old form do not apply to the new one.
    ContractPeriod.objects.filter(contract=contract).delete()
    event_record(
        actor=actor,
        action=CommunicationEvent.CONTRACT_FORM_SET,
        obj=contract,
        before=before,
        after={"form": form},
        contract_id=contract.pk,
    )
    return contract


@transaction.atomic
def contract_period_set(
    *, contract: Contract, key: str, length: int, unit: str, actor: User
) -> ContractPeriod | None:
    """Change one of the contract's periods (its contract data); the form's default removes the row."""
    contract_access(user=actor, contract=contract).require_administrator()
    contract_require_open(contract)
    period = contract_period(contract=contract, key=key)
    if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= 520:
        raise DomainError(
            "out_of_range", "A period is a whole number from 0 to 520.", field="length"
        )
    if unit not in PeriodUnit.values:
        raise DomainError("invalid_unit", f"'{unit}' is not a unit of time.", field="unit")
    if (length, unit) == (period.length, period.unit):
        return None
    before = {"length": period.length, "unit": period.unit}
    row: ContractPeriod | None = None
    if (length, unit) == (period.definition.length, period.definition.unit):
        ContractPeriod.objects.filter(contract=contract, key=key).delete()
    else:
        row, _ = ContractPeriod.objects.update_or_create(
            contract=contract, key=key, defaults={"length": length, "unit": unit}
        )
    described = {"key": key, "label": period.definition.label, "clause": period.clause}
    event_record(
        actor=actor,
        action=CommunicationEvent.CONTRACT_PERIOD_CHANGED,
        obj=contract,
        before={**described, **before},
        after={**described, "length": length, "unit": unit},
        contract_id=contract.pk,
    )
    return row
