"""The demo's contract clock: the library extension on NEC4 ECC, with its compensation events.

One event notified and awaiting the Project Manager's reply, one treated as accepted after a
notified failure to reply (now waiting for its quotation), one notified too late, one
implemented with its quotation accepted (which opened the change of the fit-out's date), and a programme awaiting acceptance. The past ones
are recorded as sent on their days, so every period counts as it would have.
"""

import datetime as dt

from django.utils import timezone

from milepost.accounts.models import User
from milepost.communications.choices import Outcome
from milepost.communications.services import (
    communication_create,
    communications_deem_due,
    contract_form_set,
)
from milepost.contracts.choices import NamedRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.services import party_name_role
from milepost.schedule.models import Milestone


def seed(
    contract: Contract, pm: Party, p: dict[str, User], today: dt.date, fitout: Milestone
) -> None:
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    contract_form_set(contract=contract, form="nec4_ecc", actor=p["cora"])
    party_name_role(party=pm, named_role=NamedRole.PROJECT_MANAGER, actor=p["cora"])
    sam, pat = p["sam"], p["pat"]

    def send(actor: User, kind: str, subject: str, **fields: object) -> object:
        return communication_create(
            contract=contract,
            kind=kind,
            subject=subject,
            actor=actor,
            **fields,  # type: ignore[arg-type]
        )

    # Implemented: the Project Manager's own change, quoted and accepted.
    glazing = send(
        pat,
        "ce_manager",
        "Reading room glazing changed to triple glazing",
        text="Instruction PMI-017 changes the Scope: triple glazing to the reading room. "
        "Submit a quotation for the change.",
        milestones=[fitout],
        sent_on=d(-60),
    )
    quote = send(
        sam,
        "quotation",
        "Quotation for triple glazing",
        text="Defined Cost plus fee for the triple glazing, and the effect on Completion.",
        in_reply_to=glazing,
        quoted_amount="18400.00",
        quoted_delay_days=5,
        sent_on=d(-45),
    )
    send(
        pat,
        "manager_reply",
        "Quotation accepted",
        in_reply_to=quote,
        outcome=Outcome.ACCEPTED,
        sent_on=d(-38),
    )
    # Deemed: no reply to the notification, the failure notified, two more weeks of silence.
    culvert = send(
        sam,
        "ce_contractor",
        "Access to the archive store given late",
        text="Access to the archive store area was given 12 days after the access date.",
        aware_on=d(-45),
        sent_on=d(-40),
    )
    send(
        sam,
        "failure_notice",
        "No reply to the archive store access event",
        in_reply_to=culvert,
        # Well after the reply was due, whatever weekends and holidays moved it by.
        sent_on=d(-25),
    )
    # Time-barred: notified more than eight weeks after the contractor knew.
    send(
        sam,
        "ce_contractor",
        "Additional piling under the stair core",
        text="Two extra piles were needed under the stair core.",
        aware_on=d(-90),
        sent_on=d(-20),
    )
    # Notified this week, waiting for the Project Manager's reply.
    send(
        sam,
        "ce_contractor",
        "Unforeseen Victorian culvert under the east wing",
        text="Excavation found a brick culvert not shown on the site information.",
        aware_on=d(-6),
        sent_on=d(-2),
    )
    # A programme submitted for acceptance, waiting for the reply.
    send(
        sam,
        "programme",
        "Programme revision 4 for acceptance",
        text="Revised for the culvert and the glazing change.",
        sent_on=d(-3),
    )
    # What the worker would have done by now: silence after the notified failure is acceptance.
    communications_deem_due(now=timezone.now())
