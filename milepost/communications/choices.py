"""Communication states with their transition table, the outcomes of a reply, and period units."""

from django.db import models


class CommunicationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    DEEMED = "deemed", "Deemed accepted"
    TIME_BARRED = "time_barred", "Time-barred"
    WITHDRAWN = "withdrawn", "Withdrawn"
    IMPLEMENTED = "implemented", "Implemented"


S = CommunicationState
COMMUNICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENT, S.TIME_BARRED, S.WITHDRAWN}),
    S.SENT: frozenset({S.REPLIED, S.DEEMED, S.WITHDRAWN, S.IMPLEMENTED}),
    S.REPLIED: frozenset({S.IMPLEMENTED}),
    S.DEEMED: frozenset({S.IMPLEMENTED}),
    S.TIME_BARRED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.IMPLEMENTED: frozenset(),
}
# What has been sent and so never changes again (besides the clock's own fields).
SENT_STATES = frozenset(COMMUNICATION_TRANSITIONS) - {S.DRAFT}


class Outcome(models.TextChoices):
    """What a reply decides about what it answers."""

    NONE = "", "No decision"
    ACCEPTED = "accepted", "Accepted"
    NOT_ACCEPTED = "not_accepted", "Not accepted"
    REVISE = "revise", "Revised quotation instructed"
    OWN_ASSESSMENT = "own_assessment", "Project Manager's own assessment"
    EXTENSION_GRANTED = "extension_granted", "Extension of time granted"
    NO_EXTENSION = "no_extension", "No extension of time"


class PeriodUnit(models.TextChoices):
    """How a period counts, on the contract's calendar.

    A period begins the day after the day it counts from. Weeks and days are calendar days,
    and a deadline that falls on a day the contract does not work (a weekend, a bank holiday,
    its own days off such as a Christmas shutdown) moves to the next working day. Working
    days skip all of those as they count. Days less public holidays count as JCT 2016 cl. 1.5
    does: every day except Christmas Day, Good Friday and the bank holidays.
    """

    WEEKS = "weeks", "weeks"
    DAYS = "days", "days"
    WORKING_DAYS = "working_days", "working days"
    DAYS_LESS_HOLIDAYS = "days_less_holidays", "days less public holidays"
