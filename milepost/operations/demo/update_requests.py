"""The demo's update requests: a weekly schedule on the construction contract, and a round
Cora sent this week that Sid answered from his phone and another owner has not."""

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.milestones.models import Weekday
from milepost.milestones.updates import (
    update_request_answer,
    update_round_request,
    update_schedule_set,
)
from milepost.schedule.choices import MilestoneKind

CONTRACT = "HCC-2026-014"


def seed(p: dict[str, User]) -> None:
    """Ask every owner on the construction contract for an update; Sid answers his first."""
    contract = Contract.objects.get(reference=CONTRACT)
    update_schedule_set(contract=contract, weekday=Weekday.FRIDAY, actor=p["cora"])
    round_ = update_round_request(contract=contract, actor=p["cora"])
    requests = list(round_.requests.select_related("milestone").order_by("milestone__due_date"))
    sids = [r for r in requests if r.owner_id == p["sid"].pk]
    if not sids:
        return
    asked = next((r for r in sids if r.milestone.kind == MilestoneKind.DELIVERABLE), sids[0])
    progress = (
        min(100, asked.milestone.progress + 15)
        if asked.milestone.kind == MilestoneKind.DELIVERABLE
        else None
    )
    update_request_answer(
        request=asked,
        actor=p["sid"],
        note="Formwork struck on the east bay; the concrete cubes passed at 28 days.",
        progress=progress,
    )
