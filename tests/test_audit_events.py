"""Event types are declared once per app, and nothing records or matches an undeclared one."""

import ast
import re
from pathlib import Path

import pytest

from milepost.accounts.events import AccountEvent
from milepost.accounts.services import organisation_create
from milepost.alerts.events import PublishedEvent
from milepost.audit.events import declared_event_types, event_type, event_type_classes
from milepost.audit.models import Event
from milepost.audit.services import event_record

MILEPOST = Path(__file__).resolve().parent.parent / "milepost"


def test_recording_an_undeclared_event_type_raises_and_writes_nothing(db):
    organisation = organisation_create(name="Harbour City Council", actor=None)
    events = Event.objects.count()

    with pytest.raises(ValueError, match=r"made\.up"):
        event_record(actor=None, action="made.up", obj=organisation)

    assert Event.objects.count() == events


def test_a_declared_type_is_stored_as_its_plain_value(db):
    organisation = organisation_create(name="Harbour City Council", actor=None)

    event = event_record(
        actor=None, action=AccountEvent.ORGANISATION_CHANGED_BY_OPERATOR, obj=organisation
    )

    stored = Event.objects.get(pk=event.pk)
    assert stored.action == "organisation.changed_by_operator"
    assert type(event.action) is str


def test_every_event_type_is_declared_once_across_apps():
    values = [member.value for cls in event_type_classes() for member in cls]

    assert len(values) == len(set(values)), sorted(v for v in set(values) if values.count(v) > 1)
    assert len(declared_event_types()) == len(values)


def test_each_app_declares_its_event_types_in_its_own_events_module():
    modules = [cls.__module__ for cls in event_type_classes()]

    assert all(re.fullmatch(r"milepost\.[a-z_]+\.events", module) for module in modules), modules
    assert len(modules) == len(set(modules)), "one EventType subclass per app"


def test_every_event_type_reads_noun_dot_verb_and_its_name_says_its_value():
    members = [*declared_event_types().values(), *PublishedEvent]

    for member in members:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", member.value), member
        assert member.name == member.value.replace(".", "_").upper(), member


def test_event_type_names_the_undeclared_value():
    assert event_type("contract.created") is declared_event_types()["contract.created"]
    with pytest.raises(ValueError, match=r"“made\.up” is not a declared event type"):
        event_type("made.up")


def _bare_strings(values: set[str]) -> list[str]:
    found = []
    for path in sorted(MILEPOST.rglob("*.py")):
        if path.name == "events.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value in values:
                found.append(f"{path.relative_to(MILEPOST.parent)}:{node.lineno} {node.value!r}")
    return found


def test_no_event_type_is_written_as_a_bare_string_outside_the_events_modules():
    values = set(declared_event_types()) | {member.value for member in PublishedEvent}

    assert _bare_strings(values) == []


def test_every_event_record_call_names_its_type_through_a_declared_constant():
    calls = []
    for path in sorted(MILEPOST.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            calls += [
                f"{path.relative_to(MILEPOST.parent)}:{node.lineno}"
                for keyword in node.keywords
                if name == "event_record"
                and keyword.arg == "action"
                and isinstance(keyword.value, ast.Constant | ast.JoinedStr)
            ]

    assert calls == []
