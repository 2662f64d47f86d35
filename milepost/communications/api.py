"""REST endpoints for the contract's clock: its form and periods, and its communications."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status, UploadedFile

from milepost.accounts.api import actor
from milepost.contracts.choices import ContractForm
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_get_for_user, party_get_for_contract
from milepost.core.errors import DomainError
from milepost.core.schemas import Amount, InputSchema, IsoDate, LongText, RowId, Title
from milepost.finance.models import PaymentCycle
from milepost.schedule.models import EarlyWarning
from milepost.schedule.risks.early_warnings import milestones_by_ids

from . import catalogue
from .choices import CommunicationState, Outcome, PeriodUnit
from .models import Attachment, Communication
from .selectors import (
    Period,
    attachment_of,
    attachment_response,
    communication_get_for_user,
    communications_for_contract,
    contract_periods,
)
from .services import (
    communication_attach,
    communication_create,
    communication_send,
    communication_withdraw,
    contract_form_set,
    contract_period_set,
)

router = Router(tags=["communications"])


class PeriodOut(Schema):
    key: str
    label: str
    clause: str
    length: int
    unit: str
    default_length: int
    default_unit: str
    changed: bool

    @staticmethod
    def resolve_label(obj: Period) -> str:
        return obj.definition.label

    @staticmethod
    def resolve_default_length(obj: Period) -> int:
        return obj.definition.length

    @staticmethod
    def resolve_default_unit(obj: Period) -> str:
        return obj.definition.unit


class TypeOut(Schema):
    key: str
    label: str
    clause: str
    senders: list[str] = Field(description="The sides that send it: contractor, manager, ...")
    answers: list[str] = Field(description="The types it answers; empty: it starts a thread.")
    reply_period: str | None = Field(description="The period its recipient answers within.")
    time_bar: str | None
    deemed_after_failure: str | None


class ContractDataOut(Schema):
    contract_id: int
    form: str
    form_label: str
    periods: list[PeriodOut]
    types: list[TypeOut]


class FormIn(InputSchema):
    form: ContractForm


class PeriodIn(InputSchema):
    length: int = Field(ge=0, le=520)
    unit: PeriodUnit


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_name(obj: Attachment) -> str:
        return obj.original_name

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return reverse(
            "api:download_attachment",
            kwargs={"communication_id": obj.communication_id, "attachment_id": obj.pk},
        )


class CommunicationOut(Schema):
    id: int
    contract_id: int
    reference: str
    number: int
    kind: str
    label: str
    clause: str
    state: str
    sender_id: int
    sender: str
    recipient_id: int
    recipient: str
    subject: str
    text: str
    in_reply_to_id: int | None
    thread_id: int | None
    outcome: str
    milestone_ids: list[int]
    early_warning_id: int | None
    payment_cycle_id: int | None
    aware_on: dt.date | None
    from_manager_instruction: bool
    quoted_amount: Decimal | None
    quoted_delay_days: int | None
    reply_days: int | None
    extends_to: dt.date | None
    sent_on: dt.date | None
    sent_at: dt.datetime | None
    time_bar_date: dt.date | None = Field(description="The last day it could be notified.")
    awaiting: bool = Field(description="Whether an answer to it is owed.")
    reply_due: dt.date | None = Field(description="The last day for the answer owed.")
    owed_by_id: int | None
    owed_by: str | None
    deems_on: dt.date | None = Field(
        description="After a notified failure to reply: silence after this day is acceptance."
    )
    deemed_on: dt.date | None
    attachments: list[AttachmentOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_label(obj: Communication) -> str:
        found = catalogue.form_def(obj.contract.form).type(obj.kind)
        return found.label if found else obj.kind

    @staticmethod
    def resolve_sender(obj: Communication) -> str:
        return obj.sender.organisation.name

    @staticmethod
    def resolve_recipient(obj: Communication) -> str:
        return obj.recipient.organisation.name

    @staticmethod
    def resolve_owed_by(obj: Communication) -> str | None:
        return obj.owed_by.organisation.name if obj.owed_by else None

    @staticmethod
    def resolve_milestone_ids(obj: Communication) -> list[int]:
        return sorted(m.pk for m in obj.milestones.all())

    @staticmethod
    def resolve_attachments(obj: Communication) -> list[Attachment]:
        return list(obj.attachments.all())


class CommunicationIn(InputSchema):
    kind: str = Field(max_length=32, description="A type of the contract's form (contract-data).")
    subject: Title = Field(min_length=1)
    text: LongText = ""
    in_reply_to: RowId | None = Field(None, description="The communication this answers.")
    outcome: Outcome = Field(Outcome.NONE, description="A reply's decision, where it gives one.")
    milestones: list[RowId] = Field(default_factory=list, max_length=50)
    early_warning: RowId | None = None
    payment_cycle: RowId | None = None
    aware_on: IsoDate | None = Field(None, description="When the sender became aware of it.")
    from_manager_instruction: bool = False
    quoted_amount: Amount | None = None
    quoted_delay_days: int | None = Field(None, ge=-3650, le=3650)
    reply_days: int | None = Field(None, ge=1, le=365)
    extends_to: IsoDate | None = None
    sender: RowId | None = Field(
        None, description="The party it is sent for, if you act for several."
    )
    recipient: RowId | None = Field(None, description="For a notice to either party: who gets it.")
    send: bool = Field(True, description="False keeps it as a draft.")
    sent_on: IsoDate | None = Field(
        None,
        description="Record one already sent outside Milepost (by letter or email) on this "
        "day, today or earlier: its periods count from it.",
    )


def _data(contract: Contract) -> dict[str, Any]:
    form = catalogue.form_def(contract.form)
    return {
        "contract_id": contract.pk,
        "form": contract.form,
        "form_label": ContractForm(contract.form).label,
        "periods": contract_periods(contract=contract),
        "types": [
            {
                "key": t.key,
                "label": t.label,
                "clause": t.clause,
                "senders": list(t.senders),
                "answers": list(t.answers),
                "reply_period": t.reply,
                "time_bar": t.time_bar,
                "deemed_after_failure": t.deemed,
            }
            for t in form.types
        ],
    }


@router.get("/contracts/{contract_id}/contract-data", response=ContractDataOut)
def get_contract_data(request: HttpRequest, contract_id: RowId) -> Any:
    """Read the contract's form, its communication types and its periods with their clauses."""
    return _data(contract_get_for_user(user=actor(request), pk=contract_id))


@router.put("/contracts/{contract_id}/form", response=ContractDataOut)
def set_form(request: HttpRequest, contract_id: RowId, payload: FormIn) -> Any:
    """Put the contract on a standard form (its owner's managers; before any communication)."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    return _data(contract_form_set(contract=contract, form=payload.form, actor=actor(request)))


@router.put("/contracts/{contract_id}/periods/{key}", response=PeriodOut)
def set_period(request: HttpRequest, contract_id: RowId, key: str, payload: PeriodIn) -> Any:
    """Change one of the contract's periods; the form's default length removes the change."""
    contract = contract_get_for_user(user=actor(request), pk=contract_id)
    contract_period_set(
        contract=contract,
        key=key[:32],
        length=payload.length,
        unit=payload.unit,
        actor=actor(request),
    )
    return next(p for p in contract_periods(contract=contract) if p.key == key)


@router.get("/contracts/{contract_id}/communications", response=list[CommunicationOut])
def list_communications(
    request: HttpRequest,
    contract_id: RowId,
    state: CommunicationState | None = None,
    family: str = "",
    awaiting: bool | None = None,
) -> Any:
    """Read the contract's communications, newest first (drafts only your own party's)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    return communications_for_contract(
        user=user, contract=contract, state=state or "", family=family, awaiting=awaiting
    )


def _linked(contract: Contract, model: Any, pk: int | None, field: str, what: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(contract=contract, pk=pk).first()
    if found is None:
        raise DomainError(
            f"{field}_not_in_contract", f"That {what} is not in this contract.", field=field
        )
    return found


def _answered(user: Any, contract: Contract, pk: int) -> Communication:
    """The communication answered: one the user can see, in this contract, and sent."""
    found = communications_for_contract(user=user, contract=contract).filter(pk=pk).first()
    if found is None:
        raise DomainError(
            "in_reply_to_not_in_contract",
            "That communication is not in this contract.",
            field="in_reply_to",
        )
    if not found.is_sent:
        raise DomainError("cannot_answer", "A draft cannot be answered.", field="in_reply_to")
    return found


@router.post("/contracts/{contract_id}/communications", response={201: CommunicationOut})
def create_communication(request: HttpRequest, contract_id: RowId, payload: CommunicationIn) -> Any:
    """Send a communication under the contract's form (or keep it as a draft)."""
    user = actor(request)
    contract = contract_get_for_user(user=user, pk=contract_id)
    fields = payload.dict()
    parent = fields.pop("in_reply_to")
    fields["in_reply_to"] = _answered(user, contract, parent) if parent else None
    fields["milestones"] = milestones_by_ids(
        contract=contract, ids=payload.milestones, field="milestones"
    )
    fields["early_warning"] = _linked(
        contract, EarlyWarning, payload.early_warning, "early_warning", "early warning"
    )
    fields["payment_cycle"] = _linked(
        contract, PaymentCycle, payload.payment_cycle, "payment_cycle", "payment cycle"
    )
    for name in ("sender", "recipient"):
        pk = fields.pop(name)
        fields[name] = party_get_for_contract(contract=contract, pk=pk, field=name) if pk else None
    c = communication_create(contract=contract, actor=user, **fields)
    return Status(201, communication_get_for_user(user=user, pk=c.pk))


@router.get("/communications/{communication_id}", response=CommunicationOut)
def get_communication(request: HttpRequest, communication_id: RowId) -> Any:
    """Read one communication."""
    return communication_get_for_user(user=actor(request), pk=communication_id)


@router.post("/communications/{communication_id}/send", response=CommunicationOut)
def send_communication(request: HttpRequest, communication_id: RowId) -> Any:
    """Send a draft (a manager of its sending party); its clock starts today."""
    user = actor(request)
    c = communication_send(
        communication=communication_get_for_user(user=user, pk=communication_id), actor=user
    )
    return communication_get_for_user(user=user, pk=c.pk)


@router.post("/communications/{communication_id}/withdraw", response=CommunicationOut)
def withdraw_communication(request: HttpRequest, communication_id: RowId) -> Any:
    """Withdraw a draft, or a sent communication that starts a thread."""
    user = actor(request)
    c = communication_withdraw(
        communication=communication_get_for_user(user=user, pk=communication_id), actor=user
    )
    return communication_get_for_user(user=user, pk=c.pk)


@router.post("/communications/{communication_id}/attachments", response={201: AttachmentOut})
def attach_file(request: HttpRequest, communication_id: RowId, file: File[UploadedFile]) -> Any:
    """Attach a file to a draft (multipart field ``file``); a sent communication never changes."""
    user = actor(request)
    c = communication_get_for_user(user=user, pk=communication_id)
    return Status(201, communication_attach(communication=c, upload=file, actor=user))


@router.get(
    "/communications/{communication_id}/attachments/{attachment_id}",
    response={200: None},
    url_name="download_attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, as an attachment.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def download_attachment(request: HttpRequest, communication_id: RowId, attachment_id: RowId) -> Any:
    """Download a communication's file; the SHA-256 in its listing checks it arrived whole."""
    c = communication_get_for_user(user=actor(request), pk=communication_id)
    return attachment_response(attachment_of(c, attachment_id))
