"""The events the schedule records; see ``milepost.audit.events``."""

import re
from typing import Any

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, names_source, sentence


class ScheduleEvent(EventType):
    """What happens to milestones, their dates and links, change requests, baselines and risks."""

    # A milestone and what people post on it
    MILESTONE_CREATED = "milestone.created"
    MILESTONE_UPDATED = "milestone.updated"
    MILESTONE_STATUS_CHANGED = "milestone.status_changed"
    MILESTONE_PROGRESSED = "milestone.progressed"
    STATUS_UPDATE_POSTED = "status_update.posted"
    COMMENT_ADDED = "comment.added"
    EVIDENCE_ADDED = "evidence.added"
    # A supplier hands a deliverable over: after = {"note": str, "evidence": [evidence ids]}
    DELIVERABLE_SUBMITTED = "deliverable.submitted"
    DELIVERABLE_ACCEPTED = "deliverable.accepted"
    DELIVERABLE_REJECTED = "deliverable.rejected"
    # Its dates
    MILESTONE_RESCHEDULED = "milestone.rescheduled"
    MILESTONE_PLANNED = "milestone.planned"
    MILESTONE_SCHEDULE_CONFLICT = "milestone.schedule_conflict"
    MILESTONE_ANCHOR_SET = "milestone.anchor_set"
    MILESTONE_ANCHOR_CLEARED = "milestone.anchor_cleared"
    MILESTONE_PINNED = "milestone.pinned"
    MILESTONE_UNPINNED = "milestone.unpinned"
    DATES_REPAIRED = "dates.repaired"
    # Links between milestones
    DEPENDENCY_ADDED = "dependency.added"
    DEPENDENCY_UPDATED = "dependency.updated"
    DEPENDENCY_REMOVED = "dependency.removed"
    # Change requests and baselines
    CHANGE_REQUEST_SUBMITTED = "change_request.submitted"
    CHANGE_REQUEST_APPROVED = "change_request.approved"
    CHANGE_REQUEST_REJECTED = "change_request.rejected"
    CHANGE_REQUEST_WITHDRAWN = "change_request.withdrawn"
    BASELINE_CREATED = "baseline.created"
    BASELINE_DELETED = "baseline.deleted"
    # Forecasts, early warnings and recovery actions
    FORECAST_RUN = "forecast.run"
    EARLY_WARNING_RAISED = "early_warning.raised"
    EARLY_WARNING_UPDATED = "early_warning.updated"
    EARLY_WARNING_CLOSED = "early_warning.closed"
    EARLY_WARNING_REOPENED = "early_warning.reopened"
    RECOVERY_ACTION_ADDED = "recovery_action.added"
    RECOVERY_ACTION_UPDATED = "recovery_action.updated"
    RECOVERY_ACTION_COMPLETED = "recovery_action.completed"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------


@names_source("milestone")
def _milestones(keys: set[Any]) -> dict[Any, str]:
    from .models import Milestone

    ids = {k for k in keys if isinstance(k, int)}
    return dict(Milestone.objects.filter(pk__in=ids).values_list("pk", "title"))


def outcome_sentence(e: Told) -> str:
    """Say how a milestone's status moved, whatever moved it (shared by the kinds' events)."""
    status = e.after("status")
    was = e.before("status")
    why = e.note("reason")
    if status in ("met", "partially_met"):
        return f"{e.actor} marked {e.milestone} {e.status(status)} on {e.date(e.after('met_on'))}{why}."
    if status == "not_met":
        return f"{e.actor} marked {e.milestone} not met{why}."
    if status in ("waived", "cancelled"):
        return f"{e.actor} {e.status(status)} {e.milestone}{why}."
    return f"{e.actor} moved {e.milestone} from {e.status(was)} to {e.status(status)}{why}."


def _milestone_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "title": ("title", e.quoted),
        "description": ("description", e.quoted),
        "owner": ("owner", e.person),
        "criticality": ("criticality", e.words),
        "acceptance_criteria": ("acceptance criteria", e.quoted),
        "responsible_party": ("responsible party", e.organisation),
        "accepting_party": ("receiving party", e.organisation),
    }


def _days(e: Told, offset: Any, working: Any) -> str:
    number = int(offset or 0)
    return e.count(number, "working day" if working else "day")


_LINK_TYPES = {
    "FS": "finish-to-start",
    "SS": "start-to-start",
    "FF": "finish-to-finish",
    "SF": "start-to-finish",
}


def _link(e: Told, snapshot: dict[str, Any]) -> str:
    kind = _LINK_TYPES.get(str(snapshot.get("type")), "finish-to-start")
    lag = int(snapshot.get("lag") or 0)
    gap = f" with a lag of {_days(e, lag, snapshot.get('working_days'))}" if lag else ""
    return f"{kind}{gap}"


@sentence(ScheduleEvent.MILESTONE_CREATED)
def _created(e: Told) -> str:
    kind = e.words(e.after("kind"), "milestone")
    owner = e.person(e.after("owner"))
    return (
        f"{e.actor} added the {kind} {e.quoted(e.after('title') or e.milestone)}, due on "
        f"{e.date(e.after('due_date'))} and owned by {owner}."
    )


@sentence(ScheduleEvent.MILESTONE_UPDATED)
def _updated(e: Told) -> str:
    return f"{e.actor} changed {e.milestone}: {e.changes(_milestone_labels(e))}."


@sentence(ScheduleEvent.MILESTONE_STATUS_CHANGED)
def _status_changed(e: Told) -> str:
    return outcome_sentence(e)


@sentence(ScheduleEvent.MILESTONE_PROGRESSED)
def _progressed(e: Told) -> str:
    return (
        f"{e.actor} moved {e.milestone} from {e.number(e.before('progress'), '0')}% "
        f"to {e.number(e.after('progress'), '0')}% done."
    )


@sentence(ScheduleEvent.STATUS_UPDATE_POSTED)
def _update_posted(e: Told) -> str:
    progress = e.after("progress")
    done = f" ({e.number(progress)}% done)" if progress is not None else ""
    return f"{e.actor} posted an update on {e.milestone}{done}{e.note('text')}."


@sentence(ScheduleEvent.COMMENT_ADDED)
def _comment(e: Told) -> str:
    return f"{e.actor} commented on {e.milestone}{e.note('text')}."


@sentence(ScheduleEvent.EVIDENCE_ADDED)
def _evidence(e: Told) -> str:
    return f"{e.actor} attached {e.quoted(e.after('name'), 'a file')} to {e.milestone}."


@sentence(ScheduleEvent.DELIVERABLE_SUBMITTED)
def _submitted(e: Told) -> str:
    files = e.after("evidence") or []
    attached = f" with {e.count(len(files), 'file')}" if isinstance(files, list) and files else ""
    return f"{e.actor} submitted {e.milestone} for acceptance{attached}{e.note('note')}."


@sentence(ScheduleEvent.DELIVERABLE_ACCEPTED)
def _accepted(e: Told) -> str:
    partly = " as partially met" if e.after("status") == "partially_met" else ""
    return f"{e.actor} accepted {e.milestone}{partly} on {e.date(e.after('met_on'))}{e.note('reason')}."


@sentence(ScheduleEvent.DELIVERABLE_REJECTED)
def _rejected(e: Told) -> str:
    return f"{e.actor} sent {e.milestone} back{e.note('comment')}."


@sentence(ScheduleEvent.MILESTONE_RESCHEDULED)
def _rescheduled(e: Told) -> str:
    moved = (
        f"{e.actor} moved {e.milestone} from {e.date(e.before('due_date'))} "
        f"to {e.date(e.after('due_date'))}"
    )
    if e.after("driven_by"):
        # A knock-on move: say what pushed it, not the internal cause.
        return f"{moved}, following {e.after('driven_by')}."
    reason = _CHANGE_CAUSE.sub("", str(e.after("reason") or "")).strip()
    approved = (
        " as the approved change request asked"
        if _CHANGE_CAUSE.search(str(e.after("cause") or "") + str(e.after("reason") or ""))
        else ""
    )
    return f"{moved}{approved}{': ' + reason.rstrip('.') if reason else ''}."


# How an approved change names itself in a reschedule's reason: "(change request #4 approved)".
_CHANGE_CAUSE = re.compile(r"\(?change request #\d+ approved\)?")


@sentence(ScheduleEvent.MILESTONE_PLANNED)
def _planned(e: Told) -> str:
    after = e.event.after or {}
    if "estimate_likely" in after:
        if after.get("estimate_likely") is None:
            return f"{e.actor} removed the three-point estimate of {e.milestone}."
        return (
            f"{e.actor} estimated {e.milestone} at {e.number(after.get('estimate_optimistic'))}, "
            f"{e.number(after.get('estimate_likely'))} or {e.number(after.get('estimate_pessimistic'))} "
            "working days (best, likely, worst)."
        )
    if "start_date" in after:
        return (
            f"{e.actor} set the start of {e.milestone} to {e.date(after.get('start_date'))} "
            f"(it was {e.date(e.before('start_date'))})."
        )
    return f"{e.actor} changed the plan of {e.milestone}."


@sentence(ScheduleEvent.MILESTONE_SCHEDULE_CONFLICT)
def _conflict(e: Told) -> str:
    return f"{e.milestone} has a date conflict{e.note('conflict')}."


def _anchor(e: Told, snapshot: dict[str, Any]) -> str:
    event = "met" if snapshot.get("event") in ("met", "", None) else e.words(snapshot.get("event"))
    return (
        f"{_days(e, snapshot.get('offset'), snapshot.get('working_days'))} after "
        f"{snapshot.get('anchor') or 'another milestone'} is {event}"
    )


@sentence(ScheduleEvent.MILESTONE_ANCHOR_SET)
def _anchor_set(e: Told) -> str:
    return f"{e.actor} made {e.milestone} due {_anchor(e, e.event.after or {})}."


@sentence(ScheduleEvent.MILESTONE_ANCHOR_CLEARED)
def _anchor_cleared(e: Told) -> str:
    return f"{e.actor} gave {e.milestone} a fixed date again instead of {_anchor(e, e.event.before or {})}."


@sentence(ScheduleEvent.MILESTONE_PINNED)
def _pinned(e: Told) -> str:
    return f"{e.actor} pinned {e.milestone} to {e.date(e.after('due_date'))}: the contract fixes this date."


@sentence(ScheduleEvent.MILESTONE_UNPINNED)
def _unpinned(e: Told) -> str:
    return f"{e.actor} unpinned {e.milestone}: its date may now follow what it depends on."


_DATE_WORDS = {
    "due_date": "due date",
    "baseline_due_date": "baseline date",
    "start_date": "start date",
    "met_on": "date met",
    "end_date": "end date",
    "forecast_date": "forecast date",
}


@sentence(ScheduleEvent.DATES_REPAIRED)
def _repaired(e: Told) -> str:
    labels = {key: (words, e.date) for key, words in _DATE_WORDS.items()}
    what = e.milestone if e.event.object_type == "schedule.milestone" else e.contract
    return f"{e.actor} repaired the dates of {what}, which were out of range: {e.changes(labels)}."


@sentence(ScheduleEvent.DEPENDENCY_ADDED)
def _link_added(e: Told) -> str:
    after = e.event.after or {}
    return (
        f"{e.actor} linked {after.get('successor') or e.milestone} to follow "
        f"{after.get('predecessor') or 'another milestone'} ({_link(e, after)})."
    )


@sentence(ScheduleEvent.DEPENDENCY_UPDATED)
def _link_updated(e: Told) -> str:
    before = {**(e.event.before or {})}
    after = {**before, **(e.event.after or {})}
    return (
        f"{e.actor} changed how {e.milestone} follows its predecessor from "
        f"{_link(e, before)} to {_link(e, after)}."
    )


@sentence(ScheduleEvent.DEPENDENCY_REMOVED)
def _link_removed(e: Told) -> str:
    before = e.event.before or {}
    return (
        f"{e.actor} unlinked {before.get('successor') or e.milestone} from "
        f"{before.get('predecessor') or 'its predecessor'}."
    )


@sentence(ScheduleEvent.CHANGE_REQUEST_SUBMITTED)
def _change_submitted(e: Told) -> str:
    asked = []
    if e.after("new_due_date"):
        asked.append(
            f"to move {e.milestone} from {e.date(e.after('old_due_date'))} to {e.date(e.after('new_due_date'))}"
        )
    if e.after("new_amount") is not None:
        asked.append(
            f"to change its amount from {e.money(e.after('old_amount'))} to {e.money(e.after('new_amount'))}"
        )
    what = " and ".join(asked) or f"a change to {e.milestone}"
    moves = int(e.after("moves") or 0)
    knock_on = f" It would move {e.count(moves, 'milestone')}." if moves > 1 else ""
    return f"{e.actor} asked {what}{e.note('reason')}.{knock_on}"


@sentence(ScheduleEvent.CHANGE_REQUEST_APPROVED)
def _change_approved(e: Told) -> str:
    moved = int(e.after("moved") or 0)
    then = f"; {e.count(moved, 'milestone')} moved" if moved else ""
    return f"{e.actor} approved the change to {e.milestone}{e.note('note')}{then}."


@sentence(ScheduleEvent.CHANGE_REQUEST_REJECTED)
def _change_rejected(e: Told) -> str:
    return f"{e.actor} rejected the change to {e.milestone}{e.note('note')}."


@sentence(ScheduleEvent.CHANGE_REQUEST_WITHDRAWN)
def _change_withdrawn(e: Told) -> str:
    return f"{e.actor} withdrew the change requested to {e.milestone}."


@sentence(ScheduleEvent.BASELINE_CREATED)
def _baseline_created(e: Told) -> str:
    count = int(e.after("milestones") or 0)
    return (
        f"{e.actor} saved the baseline {e.quoted(e.after('name'), 'unnamed')} of {e.contract}, "
        f"freezing the dates of {e.count(count, 'milestone')}."
    )


@sentence(ScheduleEvent.BASELINE_DELETED)
def _baseline_deleted(e: Told) -> str:
    return (
        f"{e.actor} deleted the baseline {e.quoted(e.before('name'), 'unnamed')} of {e.contract}."
    )


@sentence(ScheduleEvent.FORECAST_RUN)
def _forecast(e: Told) -> str:
    chance = e.after("on_time_probability")
    odds = f"; {round(float(chance) * 100)}% likely to finish on time" if chance is not None else ""
    return (
        f"{e.actor} forecast {e.contract} to finish by {e.date(e.after('finish_p50'))} "
        f"(P50) or {e.date(e.after('finish_p80'))} (P80){odds}."
    )


def _warning_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "title": ("title", e.quoted),
        "description": ("description", e.quoted),
        "likelihood": ("likelihood", e.number),
        "impact": ("impact", e.number),
        "owner": ("owner", e.person),
        "mitigation": ("mitigation", e.quoted),
        "milestones": (
            "milestones at risk",
            lambda ids: e.listed([e.milestone_named(i) for i in ids or []]) or "none",
        ),
    }


@sentence(ScheduleEvent.EARLY_WARNING_RAISED)
def _warning_raised(e: Told) -> str:
    ids = e.after("milestones") or []
    at_risk = e.listed([e.milestone_named(i) for i in ids]) if isinstance(ids, list) else ""
    against = f" against {at_risk}" if at_risk else ""
    score = f" (likelihood {e.number(e.after('likelihood'))}, impact {e.number(e.after('impact'))})"
    return f"{e.actor} raised the early warning {e.quoted(e.after('title'), 'untitled')}{against}{score}."


@sentence(ScheduleEvent.EARLY_WARNING_UPDATED)
def _warning_updated(e: Told) -> str:
    return f"{e.actor} changed an early warning on {e.contract}: {e.changes(_warning_labels(e))}."


@sentence(ScheduleEvent.EARLY_WARNING_CLOSED)
def _warning_closed(e: Told) -> str:
    return f"{e.actor} closed an early warning on {e.contract}{e.note('note')}."


@sentence(ScheduleEvent.EARLY_WARNING_REOPENED)
def _warning_reopened(e: Told) -> str:
    return f"{e.actor} reopened an early warning on {e.contract}."


def _recovery_labels(e: Told) -> dict[str, tuple[str, Any]]:
    return {
        "cause": ("cause", e.quoted),
        "plan": ("plan", e.quoted),
        "owner": ("owner", e.person),
        "new_target": ("new target", e.date),
        "status": ("status", e.words),
    }


@sentence(ScheduleEvent.RECOVERY_ACTION_ADDED)
def _recovery_added(e: Told) -> str:
    return (
        f"{e.actor} planned a recovery for {e.milestone}, owned by {e.person(e.after('owner'))} "
        f"with a new target of {e.date(e.after('new_target'))}{e.note('plan')}."
    )


@sentence(ScheduleEvent.RECOVERY_ACTION_UPDATED)
def _recovery_updated(e: Told) -> str:
    return f"{e.actor} changed the recovery for {e.milestone}: {e.changes(_recovery_labels(e))}."


@sentence(ScheduleEvent.RECOVERY_ACTION_COMPLETED)
def _recovery_completed(e: Told) -> str:
    return f"{e.actor} completed the recovery action for {e.milestone}."
