"""The demo's action requests: what the worker would ask once it reads the demo's history.

The demo's contracts already hold the events that ask people to act (Ben's change request
to Meridian, gates whose predecessors are met, invoices). The worker turns events into
requests; the demo does the same now, through the worker's own step, so that Cora, Maya and
Pat each find something waiting when they sign in. The worker reading the same events later
opens nothing twice (each request's key names its event).
"""

from django.utils import timezone

from milepost.accounts.models import User
from milepost.alerts.engine.actions import actions_from_events
from milepost.alerts.engine.compose import notifications_insert
from milepost.alerts.models import ActionRequest
from milepost.audit.models import Event
from milepost.schedule.acceptance import deliverable_may_submit, deliverable_submit
from milepost.schedule.choices import OPEN_STATUSES, MilestoneKind
from milepost.schedule.models import Milestone

# Who must find something waiting, and the deliverable submitted for them to accept if the
# history asks nothing of them.
EXPECTED = ("cora", "maya", "pat")


def seed(p: dict[str, User]) -> None:
    """Open the requests the demo's history calls for; make sure Cora, Maya and Pat have one."""
    _from_history()
    for username in EXPECTED:
        if not ActionRequest.objects.filter(recipient=p[username], closed_at__isnull=True):
            _ask_to_accept(p[username])
    _from_history()


def _from_history() -> None:
    events = list(Event.objects.select_related("actor").order_by("pk"))
    notifications_insert(actions_from_events(events, timezone.now()))


def _ask_to_accept(person: User) -> None:
    """Have an owner hand over a deliverable the person's organisation receives."""
    candidates = Milestone.objects.filter(
        kind=MilestoneKind.DELIVERABLE,
        status__in=OPEN_STATUSES,
        accepting_party__organisation__memberships__user=person,
    ).select_related("owner", "contract")
    for milestone in candidates.order_by("due_date", "pk"):
        if deliverable_may_submit(milestone=milestone, user=milestone.owner) is None:
            deliverable_submit(
                milestone=milestone,
                note="Handed over with the test records and the signed checklist.",
                actor=milestone.owner,
            )
            return
