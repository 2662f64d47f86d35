"""Event types: the base each app's ``events.py`` extends, and the look-up of every declared type.

An app names the events it records once, as members of its own ``EventType`` subclass
(``ContractEvent.CONTRACT_CREATED = "contract.created"``); services record them and consumers
(alerts, reports, selectors) react to them through those names, never through bare strings.
The audit app imports every app's ``events`` module when Django starts, and ``event_record``
refuses a type that no app declares.
"""

from enum import StrEnum


class EventType(StrEnum):
    """What happened, as the audit trail stores it: ``<noun>.<verb>``.

    The value is stored and hashed in the trail and shown to webhooks and exports, so a
    member's value never changes once released; rename the member, never the value.
    """


def event_type_classes() -> list[type[EventType]]:
    """Return every app's ``EventType`` subclass, lowest first (in the order they were declared)."""
    found: list[type[EventType]] = []
    pending = list(EventType.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def declared_event_types() -> dict[str, EventType]:
    """Return every declared event type by its stored value."""
    return {member.value: member for cls in event_type_classes() for member in cls}


def event_type(value: str) -> EventType:
    """Return the declared event type stored as ``value``; raise ``ValueError`` if none is."""
    declared = declared_event_types().get(str(value))
    if declared is None:
        raise ValueError(
            f"“{value}” is not a declared event type; declare it in its app's events.py."
        )
    return declared
