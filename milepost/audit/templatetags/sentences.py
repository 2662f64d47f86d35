"""``{% event_sentences events as lines %}``: a list of events with their sentences, for pages."""

from collections.abc import Iterable

from django import template

from milepost.audit.models import Event
from milepost.audit.sentences import event_sentences as _event_sentences

register = template.Library()


@register.simple_tag
def event_sentences(events: Iterable[Event]) -> list[tuple[Event, str]]:
    """Return each event with its sentence; the names they need cost one query per kind."""
    return _event_sentences(events)
