"""What each contract form brings: its communication types, with their clauses, and its periods.

Pure data. A period here is the form's default; a contract changes it in its contract data
(``ContractPeriod``). A type names who sends it (a *side*), whether it starts a thread or
answers another communication, and which periods run on it:

- ``reply``: the period within which its recipient answers (none: no answer is owed);
- ``time_bar``: the period after the sender became aware within which it must be sent;
- ``deemed``: once the sender has notified a failure to answer, the further period after which
  silence is treated as acceptance.

Sides are resolved to the contract's parties by ``rules.parties_on_side``: the *contractor* is
the supplier (the NEC Contractor or Consultant, the JCT Contractor), the *manager* the party
named Project Manager (or the client when none is named, as under NEC4 PSC, where the Client
answers), the *supervisor* the party named Supervisor (or the manager), the *client* the
client (the JCT Employer), and *either* any party that acts on the contract.
"""

from dataclasses import dataclass

from milepost.contracts.choices import ContractForm

from .choices import Outcome, PeriodUnit

CONTRACTOR, MANAGER, SUPERVISOR, CLIENT, EITHER = (
    "contractor",
    "manager",
    "supervisor",
    "client",
    "either",
)
SIDE_NAMES = {
    CONTRACTOR: "the contractor",
    MANAGER: "the project manager",
    SUPERVISOR: "the supervisor",
    CLIENT: "the client",
    EITHER: "either party",
}

# What a thread is about, for the registers.
COMPENSATION_EVENT, PROGRAMME, DELAY, PAYMENT, GENERAL, EARLY_WARNING, DEFECT, COMPLETION = (
    "compensation_event",
    "programme",
    "delay",
    "payment",
    "general",
    "early_warning",
    "defect",
    "completion",
)


@dataclass(frozen=True)
class PeriodDef:
    """A period the contract runs, with the clause that sets it and its default length."""

    key: str
    label: str
    clause: str
    length: int
    unit: str


@dataclass(frozen=True)
class TypeDef:
    """A kind of communication the form provides for."""

    key: str
    label: str
    clause: str
    senders: tuple[str, ...]
    family: str
    # The types this one answers; empty: it starts a thread of its own.
    answers: tuple[str, ...] = ()
    reply: str | None = None
    time_bar: str | None = None
    deemed: str | None = None
    # The decisions a reply of this type may give (empty: it decides nothing).
    outcomes: tuple[str, ...] = ()
    # It carries a quotation's change to the Prices and to a date.
    quotation: bool = False
    # It records when the sender became aware of what it notifies.
    awareness: bool = False
    # It notifies a failure to reply (only after the reply is overdue).
    failure: bool = False
    # It extends the period for the reply its parent is waiting for.
    extension: bool = False
    # The sender sets the reply period in days (a generic notice).
    reply_days: bool = False
    # The reply it waits for must be one of these types (empty: any type that answers it).
    awaits: tuple[str, ...] = ()
    # It follows up the sender's own communication, which waits for nothing (JCT particulars).
    follows: bool = False
    # The project manager's own assessment of an event, in place of a quotation (NEC4 cl. 64).
    assessment: bool = False

    @property
    def starts_thread(self) -> bool:
        return not self.answers


@dataclass(frozen=True)
class FormDef:
    key: str
    types: tuple[TypeDef, ...]
    periods: tuple[PeriodDef, ...]
    # Whether the form has a project manager who answers for the client (NEC4 ECC); without
    # one (JCT, a plain contract) the contractor's communications go to the client.
    has_manager: bool = True

    def type(self, key: str) -> TypeDef | None:
        return next((t for t in self.types if t.key == key), None)

    def period(self, key: str) -> PeriodDef | None:
        return next((p for p in self.periods if p.key == key), None)


W, D, WD, DLH = (
    PeriodUnit.WEEKS,
    PeriodUnit.DAYS,
    PeriodUnit.WORKING_DAYS,
    PeriodUnit.DAYS_LESS_HOLIDAYS,
)


def _nec4_periods(manager: str) -> tuple[PeriodDef, ...]:
    return (
        PeriodDef("reply", "The period for reply", "13.3", 2, W),
        PeriodDef("ce_notify", "The Contractor notifies a compensation event", "61.3", 8, W),
        PeriodDef("ce_reply", f"{manager} replies to a notified compensation event", "61.4", 1, W),
        PeriodDef(
            "ce_deemed", "A compensation event is accepted after a notified failure", "61.4", 2, W
        ),
        PeriodDef("quotation_submit", "The Contractor submits quotations", "62.3", 3, W),
        PeriodDef("quotation_reply", f"{manager} replies to a quotation", "62.3", 2, W),
        PeriodDef(
            "quotation_deemed", "A quotation is accepted after a notified failure", "62.6", 2, W
        ),
        PeriodDef("programme_reply", f"{manager} accepts a programme or not", "31.3", 2, W),
        PeriodDef(
            "programme_deemed", "A programme is accepted after a notified failure", "31.3", 1, W
        ),
    )


def _general(reply_clause: str) -> tuple[TypeDef, ...]:
    return (
        TypeDef(
            "notice",
            "Notice requiring a reply",
            reply_clause,
            (EITHER,),
            GENERAL,
            reply="reply",
            reply_days=True,
        ),
        TypeDef("reply", "Reply", reply_clause, (EITHER,), GENERAL, answers=("notice",)),
    )


def _nec4_types(contractor_role: str) -> tuple[TypeDef, ...]:
    """NEC4 ECC's communications; PSC uses the same clauses with the Client answering."""
    deemed_answerable = ("ce_contractor", "quotation", "programme")
    return (
        TypeDef(
            "early_warning", "Early warning notice", "15.1", (CONTRACTOR, MANAGER), EARLY_WARNING
        ),
        TypeDef(
            "ce_contractor",
            f"Compensation event notified by the {contractor_role}",
            "61.3",
            (CONTRACTOR,),
            COMPENSATION_EVENT,
            reply="ce_reply",
            time_bar="ce_notify",
            deemed="ce_deemed",
            awareness=True,
            awaits=("manager_reply",),
        ),
        TypeDef(
            "ce_manager",
            "Compensation event notified, with an instruction to submit quotations",
            "61.1",
            (MANAGER,),
            COMPENSATION_EVENT,
            reply="quotation_submit",
            awaits=("quotation",),
        ),
        TypeDef(
            "quotation_instruction",
            "Instruction to submit quotations",
            "61.2",
            (MANAGER,),
            COMPENSATION_EVENT,
            reply="quotation_submit",
            awaits=("quotation",),
        ),
        TypeDef(
            "quotation",
            "Quotation for a compensation event",
            "62.3",
            (CONTRACTOR,),
            COMPENSATION_EVENT,
            answers=("ce_contractor", "ce_manager", "quotation_instruction", "manager_reply"),
            reply="quotation_reply",
            deemed="quotation_deemed",
            quotation=True,
            awaits=("manager_reply",),
        ),
        TypeDef(
            "programme",
            "Programme submitted for acceptance",
            "31.3",
            (CONTRACTOR,),
            PROGRAMME,
            reply="programme_reply",
            deemed="programme_deemed",
            awaits=("manager_reply",),
        ),
        TypeDef(
            "manager_reply",
            "Reply",
            "13.3",
            (MANAGER,),
            GENERAL,
            answers=deemed_answerable,
            outcomes=(
                Outcome.ACCEPTED,
                Outcome.NOT_ACCEPTED,
                Outcome.REVISE,
                Outcome.OWN_ASSESSMENT,
            ),
        ),
        TypeDef(
            "assessment",
            f"The {'Project Manager' if contractor_role == 'Contractor' else 'Client'}'s assessment",
            "64.1",
            (MANAGER,),
            COMPENSATION_EVENT,
            answers=("ce_contractor", "ce_manager", "quotation_instruction", "manager_reply"),
            quotation=True,
            assessment=True,
        ),
        TypeDef(
            "failure_notice",
            "Notification of a failure to reply",
            "61.4",
            (CONTRACTOR,),
            GENERAL,
            answers=deemed_answerable,
            failure=True,
        ),
        TypeDef(
            "extension",
            "Agreement to extend the period for reply",
            "13.5",
            (MANAGER,),
            GENERAL,
            answers=(
                "ce_contractor",
                "ce_manager",
                "quotation_instruction",
                "quotation",
                "programme",
                "manager_reply",
                "notice",
            ),
            extension=True,
        ),
        TypeDef("defect", "Defect notification", "43.2", (SUPERVISOR, CONTRACTOR), DEFECT),
        TypeDef("payment_application", "Application for payment", "50.2", (CONTRACTOR,), PAYMENT),
        *_general("13.3"),
    )


NEC4_ECC = FormDef(
    ContractForm.NEC4_ECC, _nec4_types("Contractor"), _nec4_periods("The Project Manager")
)
NEC4_PSC = FormDef(ContractForm.NEC4_PSC, _nec4_types("Consultant"), _nec4_periods("The Client"))
JCT_DB_2016 = FormDef(
    ContractForm.JCT_DB_2016,
    (
        TypeDef("notice_of_delay", "Notice of delay", "2.24.1", (CONTRACTOR,), DELAY),
        TypeDef(
            "delay_particulars",
            "Particulars of a delay and its expected effects",
            "2.24.2",
            (CONTRACTOR,),
            DELAY,
            answers=("notice_of_delay",),
            follows=True,
            reply="eot_decision",
            awaits=("eot_decision",),
        ),
        TypeDef(
            "eot_decision",
            "The Employer's extension of time decision",
            "2.25",
            (CLIENT,),
            DELAY,
            answers=("delay_particulars",),
            outcomes=(Outcome.EXTENSION_GRANTED, Outcome.NO_EXTENSION),
        ),
        TypeDef("non_completion", "Non-Completion Notice", "2.27", (CLIENT,), COMPLETION),
        TypeDef(
            "interim_application", "Interim application for payment", "4.8", (CONTRACTOR,), PAYMENT
        ),
        TypeDef("payment_notice", "Payment notice", "4.9", (CLIENT,), PAYMENT),
        TypeDef("pay_less_notice", "Pay less notice", "4.9", (CLIENT,), PAYMENT),
        *_general("1.7"),
    ),
    (
        PeriodDef("reply", "The period for reply to a notice", "", 14, DLH),
        PeriodDef(
            "eot_decision",
            "The Employer decides an extension of time after the particulars",
            "2.25.2",
            12,
            W,
        ),
    ),
    has_manager=False,
)
PLAIN = FormDef(
    ContractForm.PLAIN,
    _general(""),
    (PeriodDef("reply", "The period for reply to a notice", "", 10, WD),),
    has_manager=False,
)
FORMS: dict[str, FormDef] = {f.key: f for f in (NEC4_ECC, NEC4_PSC, JCT_DB_2016, PLAIN)}


def form_def(form: str) -> FormDef:
    return FORMS.get(form, PLAIN)
