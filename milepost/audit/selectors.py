"""Reads of the event log."""

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Event
from .services import GENESIS, event_hash, hashed_fields


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the hash chain."""

    checked: int
    first_broken_id: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Recompute every event's hash in order and report the first row that does not match."""
    prev_hash = GENESIS
    checked = 0
    for event in Event.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != prev_hash or event.hash != event_hash(
            prev_hash, hashed_fields(event)
        ):
            return ChainReport(checked=checked, first_broken_id=event.id)
        prev_hash = event.hash
        checked += 1
    return ChainReport(checked=checked, first_broken_id=None)


def events_for_milestone(*, milestone_id: int) -> QuerySet[Event]:
    """Return a milestone's history, newest first. The caller has checked access."""
    return Event.objects.filter(milestone_id=milestone_id).order_by("-id")


def events_for_contract(*, contract_id: int) -> QuerySet[Event]:
    """Return a contract's history, newest first. The caller has checked access."""
    return Event.objects.filter(contract_id=contract_id).order_by("-id")
