"""Events as sentences a contract manager would write: one renderer per event type.

"Cora Blake approved the Fit-out stage gate for Harbour City Council: Programme accepted."
The same sentence serves the history panels, the stakeholder emails and in-app notices, the
reports and the webhooks' human summary, so each event type reads the same everywhere.

How it fits the layers. The audit app sits below every domain app, so it knows neither the
event types' meaning nor the models that name things (people, organisations, contracts,
milestones). Both are plugged in from above, when Django starts (the audit app imports every
app's ``events.py``):

- **Sentences.** Each app declares, in its own ``events.py`` next to its ``EventType`` members,
  how an event of each type reads, with the ``@sentence(...)`` decorator::

      @sentence(ApprovalEvent.GATE_DECIDED)
      def _gate_decided(e: Told) -> str:
          return f"{e.actor} approved the {e.milestone} gate for {e.after('party')}{e.note('comment')}."

  The renderer gets a ``Told``: the event's facts in words (actor, milestone, contract,
  before/after values) and the formatters (``date``, ``money``, ``status``, ``person``,
  ``count``). ``tests/test_sentences.py`` fails for any declared type without a sentence.
- **Names.** Snapshots hold ids and usernames, not the names people know. The app that owns
  a model registers a *name source* with ``@names_source(kind)`` (accounts: ``person``,
  ``organisation``; contracts: ``contract``; schedule: ``milestone``): a function from a set of
  keys to their names in one query. ``event_names(events)`` collects every key a list of
  events refers to (the actor, ``contract_id``, ``milestone_id``, and the snapshot values
  under the keys listed in ``_REFERENCES``) and asks each source once, so a page of any
  length costs at most one query per kind. Without names (a source not registered, a row
  since deleted) a sentence falls back to what the snapshot holds: the username, the title
  in the snapshot, "the milestone".

Call ``event_sentence(event, names=...)`` for one event, or ``event_sentences(events)`` for a
list (it loads the names itself). Neither ever shows a field name, an id, ``None`` or a repr:
a missing value reads "not set".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from milepost.core.money import format_money

from .events import EventType, declared_event_types

if TYPE_CHECKING:
    from .models import Event

logger = logging.getLogger(__name__)

Render = Callable[["Told"], str]
NameSource = Callable[[set[Any]], dict[Any, Any]]

_SENTENCES: dict[str, Render] = {}
_SOURCES: dict[str, NameSource] = {}
_EXAMPLES: dict[str, dict[str, Any]] = {}

# Snapshot keys that refer to a named thing, by the kind of name they hold (an id, a username
# or a slug; a value that is already a name is simply not found and shown as it is).
_REFERENCES: dict[str, tuple[str, ...]] = {
    "person": ("owner", "user", "username", "recipient"),
    "organisation": ("organisation",),
    "contract": ("contract", "contract_id"),
    "milestone": ("milestone", "milestones"),
}

# An event about a person or an organisation itself names it by the event's object id.
_OWN_KIND = {"accounts.user": "person", "accounts.organisation": "organisation"}


def sentence(
    *types: EventType, example: dict[str, Any] | None = None
) -> Callable[[Render], Render]:
    """Declare how events of ``types`` read as a sentence (in the app's ``events.py``).

    ``example`` is what the type's service records, for the test that renders every declared
    type: ``{"before": {...}, "after": {...}}``, optionally with ``object_type``.
    """

    def register(render: Render) -> Render:
        for declared in types:
            _SENTENCES[str(declared)] = render
            if example is not None:
                _EXAMPLES[str(declared)] = example
        return render

    return register


def sentence_example(value: str) -> dict[str, Any] | None:
    """Return the example snapshot declared with the sentence of ``value``, if any."""
    return _EXAMPLES.get(value)


def names_source(kind: str) -> Callable[[NameSource], NameSource]:
    """Declare where names of ``kind`` come from: a function of a set of keys, one query."""
    if kind not in _REFERENCES:
        raise ValueError(f"“{kind}” is not a kind of name; use one of {sorted(_REFERENCES)}.")

    def register(source: NameSource) -> NameSource:
        _SOURCES[kind] = source
        return source

    return register


def types_without_sentence() -> list[str]:
    """Return the declared event types that no app has given a sentence, sorted."""
    return sorted(value for value in declared_event_types() if value not in _SENTENCES)


@dataclass(frozen=True)
class ContractName:
    """How a contract is named in a sentence, and the currency its amounts are in."""

    reference: str
    title: str = ""
    currency: str = ""


@dataclass
class Names:
    """The names a list of events refers to, keyed as the events refer to them."""

    people: dict[Any, str] = field(default_factory=dict)  # user id and username → full name
    organisations: dict[Any, str] = field(default_factory=dict)  # id and slug → name
    contracts: dict[Any, ContractName] = field(default_factory=dict)  # id → name
    milestones: dict[Any, str] = field(default_factory=dict)  # id → title


def _keys(value: Any) -> list[Any]:
    """Return the ids, usernames or slugs a snapshot value holds (a list holds several)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int | str) and not isinstance(v, bool)]
    if isinstance(value, int | str) and not isinstance(value, bool) and value != "":
        return [value]
    return []


def event_names(events: Iterable[Event]) -> Names:
    """Load every name ``events`` refer to, in one query per kind of name."""
    wanted: dict[str, set[Any]] = {kind: set() for kind in _REFERENCES}
    for event in events:
        if event.actor_id:
            wanted["person"].add(event.actor_id)
        if event.contract_id:
            wanted["contract"].add(event.contract_id)
        if event.milestone_id:
            wanted["milestone"].add(event.milestone_id)
        own = _OWN_KIND.get(event.object_type)
        if own:
            wanted[own].add(event.object_id)
        for snapshot in (event.before, event.after):
            if not isinstance(snapshot, dict):
                continue
            for kind, keys in _REFERENCES.items():
                for key in keys:
                    value = snapshot.get(key)
                    # "milestones" is a list of ids on a warning, but a count elsewhere.
                    if key == "milestones" and not isinstance(value, list):
                        continue
                    wanted[kind].update(_keys(value))
    loaded = {
        kind: _SOURCES[kind](keys) if keys and kind in _SOURCES else {}
        for kind, keys in wanted.items()
    }
    return Names(
        people=loaded["person"],
        organisations=loaded["organisation"],
        contracts=loaded["contract"],
        milestones=loaded["milestone"],
    )


# --- formatting values as words ------------------------------------------------------------

NOT_SET = "not set"


def as_date(value: Any, missing: str = NOT_SET) -> str:
    """Write a date (or a stored ISO date or datetime) as "6 Dec 2026"."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value or missing
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    return missing


def as_money(value: Any, currency: str, missing: str = NOT_SET) -> str:
    """Write an amount with its currency symbol and grouping: "£1,440,000.00"."""
    if value is None or value == "":
        return missing
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not currency:
        return f"{amount:,.2f}"
    return format_money(amount, currency)


def as_number(value: Any, missing: str = NOT_SET) -> str:
    """Write a stored decimal without trailing zeros: "99.5", "4"."""
    if value is None or value == "":
        return missing
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)


def as_words(value: Any, missing: str = NOT_SET) -> str:
    """Write a stored code such as ``in_progress`` as words: "in progress"."""
    if value is None or value == "":
        return missing
    return str(value).replace("_", " ")


def count(number: int, noun: str, plural: str = "") -> str:
    """Say "1 milestone", "3 milestones"."""
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"


def listed(items: Sequence[str]) -> str:
    """Join names as a person would: "A", "A and B", "A, B and C"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


class Told:
    """One event's facts in words, for the renderer its type declared."""

    def __init__(self, event: Event, names: Names) -> None:
        self.event = event
        self.names = names

    # Who, what, where
    @property
    def actor(self) -> str:
        """The person who acted, by name; "Milepost" when the system did it."""
        event = self.event
        if event.actor_id and event.actor_id in self.names.people:
            return self.names.people[event.actor_id]
        if event.actor_name:
            return self.names.people.get(event.actor_name, event.actor_name)
        return "Milepost"

    @property
    def milestone(self) -> str:
        """The milestone's title, or the one in the snapshot, or "the milestone"."""
        found = self.names.milestones.get(self.event.milestone_id)
        if found:
            return found
        if self.event.object_type == "schedule.milestone":
            title = self.after("title") or self.before("title")
            if title:
                return str(title)
        return "the milestone"

    @property
    def contract(self) -> str:
        """The contract's reference, or "the contract"."""
        found = self.names.contracts.get(self.event.contract_id)
        return found.reference if found else "the contract"

    @property
    def currency(self) -> str:
        """The contract's currency, or the one in the snapshot."""
        found = self.names.contracts.get(self.event.contract_id)
        return str(self.after("currency") or (found.currency if found else ""))

    def after(self, key: str) -> Any:
        """The value after the change (None if the snapshot has none)."""
        return (self.event.after or {}).get(key) if isinstance(self.event.after, dict) else None

    def before(self, key: str) -> Any:
        """The value before the change (None if the snapshot has none)."""
        return (self.event.before or {}).get(key) if isinstance(self.event.before, dict) else None

    def value(self, key: str) -> Any:
        """The value after the change, else before it (for removals)."""
        found = self.after(key)
        return self.before(key) if found is None else found

    # Formatters
    date = staticmethod(as_date)
    number = staticmethod(as_number)
    words = staticmethod(as_words)
    count = staticmethod(count)
    listed = staticmethod(listed)

    def money(self, value: Any, currency: str = "") -> str:
        return as_money(value, currency or self.currency)

    def status(self, value: Any, missing: str = NOT_SET) -> str:
        """A status in words: "met", "in progress"."""
        return as_words(value, missing)

    def person(self, value: Any, missing: str = "nobody") -> str:
        """A person by name, from a user id or username."""
        if value is None or value == "" or isinstance(value, bool):
            return missing
        return self.names.people.get(value, missing if isinstance(value, int) else str(value))

    def organisation(self, value: Any, missing: str = "no organisation") -> str:
        """An organisation by name, from an id, a slug or its name."""
        if value is None or value == "" or isinstance(value, bool):
            return missing
        return self.names.organisations.get(
            value, missing if isinstance(value, int) else str(value)
        )

    def milestone_named(self, value: Any) -> str:
        """Another milestone by title, from its id or the title the snapshot holds."""
        if value is None or value == "":
            return "no milestone"
        return self.names.milestones.get(
            value, str(value) if isinstance(value, str) else "a milestone"
        )

    def contract_named(self, value: Any) -> str:
        """A contract by reference, from its id."""
        found = self.names.contracts.get(value)
        return found.reference if found else "a contract"

    def quoted(self, value: Any, missing: str = "nothing") -> str:
        """A person's text in quotes: “Programme accepted”."""
        text = str(value).strip() if value is not None else ""
        return f"“{text}”" if text else missing

    def on_off(self, value: Any) -> str:
        """A setting that is on or off."""
        return "on" if value else "off"

    def changes(self, labels: Mapping[str, tuple[str, Callable[..., str]]]) -> str:
        """Say what changed, key by key: "the end date from 3 Aug 2027 to 17 Aug 2027".

        ``labels`` maps each snapshot key to its name in words and its formatter; keys it
        does not name read as "other details".
        """
        after = self.event.after if isinstance(self.event.after, dict) else {}
        before = self.event.before if isinstance(self.event.before, dict) else {}
        parts: list[str] = []
        other = False
        for key, new in after.items():
            if key not in labels:
                other = True
                continue
            label, shown = labels[key]
            if key in before:
                parts.append(f"the {label} from {shown(before[key])} to {shown(new)}")
            else:
                parts.append(f"the {label} to {shown(new)}")
        if other:
            parts.append("other details")
        return listed(parts) or "nothing"

    def note(self, key: str, *, before: bool = False) -> str:
        """ ": <text>" when the snapshot holds text under ``key``, else nothing."""
        text = self.before(key) if before else self.after(key)
        text = str(text).strip() if text else ""
        return f": {text.rstrip('.')}" if text else ""


def _fallback(told: Told) -> str:
    noun, _, verb = told.event.action.partition(".")
    return f"{told.actor}: {noun.replace('_', ' ')} {verb.replace('_', ' ')}".strip()


def event_sentence(event: Event, names: Names | None = None) -> str:
    """Return what ``event`` says, as one sentence ending in a full stop."""
    told = Told(event, names if names is not None else event_names([event]))
    render = _SENTENCES.get(event.action)
    text = ""
    if render is not None:
        try:
            text = render(told)
        except Exception:  # an old snapshot of another shape must not break a page or an email
            logger.exception("The sentence for event %s (%s) failed", event.pk, event.action)
    text = " ".join((text or _fallback(told)).split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def event_sentences(events: Iterable[Event]) -> list[tuple[Event, str]]:
    """Return each event with its sentence, loading the names they need in a few queries."""
    listed_events = list(events)
    names = event_names(listed_events)
    return [(event, event_sentence(event, names)) for event in listed_events]


def events_with_sentences(events: Iterable[Event]) -> list[Event]:
    """Return the events, each with its ``sentence`` attribute set (for API schemas)."""
    pairs = event_sentences(events)
    for event, text in pairs:
        event.sentence = text  # type: ignore[attr-defined]
    return [event for event, _ in pairs]
