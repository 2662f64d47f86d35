"""Writes of the contract's clock: its form and periods, and sending, answering and withdrawing
communications; the worker's one job here is to deem what silence has accepted.

Who may do what:

- put the contract on a form, change a period: a manager or admin of the organisation that owns
  the contract (its administrator), before any communication is sent for the form change;
- draft, send or withdraw a communication: a manager or admin of the party that sends it, on
  the side the clause names (the contractor notifies, the project manager replies);
- an answer comes only from the party that owes it; a failure to reply is notified only by
  the party owed the reply, and only once the reply is overdue; an extension only by the
  manager, before the reply is due.

A closed contract's communications are frozen. Every write leaves an event in the same
transaction, carrying the day each period counted from, its length, unit and clause.
"""

from .attachments import communication_attach
from .contract_data import contract_form_set, contract_period_set
from .deeming import communication_deem_one, communications_deem_due, communications_deem_pending
from .rules import day_ends_at
from .sending import (
    communication_create,
    communication_send,
    communication_withdraw,
)

__all__ = [
    "communication_attach",
    "communication_create",
    "communication_deem_one",
    "communication_send",
    "communication_withdraw",
    "communications_deem_due",
    "communications_deem_pending",
    "contract_form_set",
    "contract_period_set",
    "day_ends_at",
]
