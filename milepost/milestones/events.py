"""The events update requests record; see ``milepost.audit.events``."""

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, sentence


class UpdateRequestEvent(EventType):
    """What happens when progress is collected from the people who own milestones in the field.

    ``update_request.sent`` is recorded once per recipient, on the request
    (``object_type`` "milestones.updaterequest", ``object_id`` its pk), with the milestone and
    contract set and ``after = {"recipient": user id, "round": round id, "expires_at": ISO}``:
    the alerts worker turns it into the message with the signed link. ``answered`` and
    ``revoked`` close that message; so does the request's ``expires_at`` passing.
    """

    UPDATE_ROUND_REQUESTED = "update_round.requested"
    UPDATE_REQUEST_SENT = "update_request.sent"
    UPDATE_REQUEST_ANSWERED = "update_request.answered"
    UPDATE_REQUEST_REVOKED = "update_request.revoked"
    UPDATE_SCHEDULE_SET = "update_schedule.set"
    UPDATE_SCHEDULE_CLEARED = "update_schedule.cleared"

    # Short names for the same members (aliases: each type is declared and stored once).
    ROUND_REQUESTED = "update_round.requested"
    SENT = "update_request.sent"
    ANSWERED = "update_request.answered"
    REVOKED = "update_request.revoked"
    SCHEDULE_SET = "update_schedule.set"
    SCHEDULE_CLEARED = "update_schedule.cleared"


# How each reads in the history, emails, reports and webhooks (see ``milepost.audit.sentences``).


def _about(e: Told) -> str:
    if e.event.milestone_id:
        return e.milestone
    return f"every open milestone on {e.contract}"


@sentence(
    UpdateRequestEvent.ROUND_REQUESTED,
    example={"after": {"scope": "on_demand", "milestone": None}},
)
def _round_requested(e: Told) -> str:
    if e.after("scope") == "on_demand":
        return f"{e.actor} asked for an update on {_about(e)}."
    return f"Milepost asked for the weekly update on {_about(e)}."


@sentence(
    UpdateRequestEvent.SENT,
    example={"after": {"recipient": 5, "round": 2, "expires_at": "2026-12-13T09:30:00+00:00"}},
)
def _sent(e: Told) -> str:
    return f"{e.actor} asked {e.person(e.after('recipient'))} how {e.milestone} is going."


@sentence(
    UpdateRequestEvent.ANSWERED,
    example={
        "after": {
            "round": 2,
            "status_update": 7,
            "progress": 60,
            "expected_date": "2026-12-20",
            "rescheduled": False,
            "change_request": 3,
            "evidence": [4],
            "answers": 1,
        }
    },
)
def _answered(e: Told) -> str:
    parts = []
    if e.after("progress") is not None:
        parts.append(f"{e.number(e.after('progress'), '0')}% done")
    if e.after("expected_date"):
        parts.append(f"expected on {e.date(e.after('expected_date'))}")
    files = len(e.after("evidence") or [])
    if files:
        parts.append(e.count(files, "file"))
    said = f" ({', '.join(parts)})" if parts else ""
    return f"{e.actor} answered the update request on {e.milestone}{said}."


@sentence(
    UpdateRequestEvent.REVOKED,
    example={"after": {"reason": "withdrawn", "round": 2, "recipient": 5}},
)
def _revoked(e: Told) -> str:
    person = e.person(e.after("recipient"), "its owner")
    if e.after("reason") == "replaced":
        return f"A newer update request to {person} on {e.milestone} replaced the earlier one."
    return f"{e.actor} withdrew the update request to {person} on {e.milestone}."


@sentence(
    UpdateRequestEvent.SCHEDULE_SET,
    example={"before": {"weekday": 0}, "after": {"weekday": 4, "day": "Friday"}},
)
def _schedule_set(e: Told) -> str:
    return f"{e.actor} set updates on {_about(e)} to be asked every {e.after('day')}."


@sentence(
    UpdateRequestEvent.SCHEDULE_CLEARED,
    example={"before": {"weekday": 4, "day": "Friday"}},
)
def _schedule_cleared(e: Told) -> str:
    return f"{e.actor} stopped asking for weekly updates on {_about(e)}."
