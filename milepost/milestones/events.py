"""The events update requests record; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


class UpdateRequestEvent(EventType):
    """What happens when progress is collected from the people who own milestones in the field.

    ``update_request.sent`` is recorded once per recipient, on the request
    (``object_type`` "milestones.updaterequest", ``object_id`` its pk), with the milestone and
    contract set and ``after = {"recipient": user id, "round": round id, "expires_at": ISO}``:
    the alerts worker turns it into the message with the signed link. ``answered`` and
    ``revoked`` close that message; so does the request's ``expires_at`` passing.
    """

    ROUND_REQUESTED = "update_round.requested"
    SENT = "update_request.sent"
    ANSWERED = "update_request.answered"
    REVOKED = "update_request.revoked"
    SCHEDULE_SET = "update_schedule.set"
    SCHEDULE_CLEARED = "update_schedule.cleared"
