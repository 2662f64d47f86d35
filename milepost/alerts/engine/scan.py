"""Job 2: turn the reminder plans whose day has come into notifications, in set-based SQL.

A scan claims up to ``limit`` due plans and works out, in Python, only what needs Python: the
trigger days of each distinct (due date, days done, rule, calendar), computed once per group
and not once per plan (a day's due plans share a handful of due dates); the instant each
(day, time zone, hour, digest) falls on; and the sentence of a payment's or a KPI's
consequence. Those few rows go into session-local tables, and one ``INSERT … SELECT … ON
CONFLICT (key) DO NOTHING`` joins them with the milestones, their owners and watchers, the
escalation managers, everyone's preferences and the webhook endpoints to build every row and
its payload in the database. The plans move on with one ``UPDATE`` per group.

The same statements run on PostgreSQL and SQLite (only the JSON function's name differs), in
one transaction with the claim, under the same unique keys as before, so a repeated or
concurrent scan still queues nothing twice and a killed one leaves nothing half done.
``tests/test_alerts_scan_sql.py`` checks it against the Python row builder it replaced.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Exists
from django.utils import timezone

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, Party
from milepost.core.dates import local_today
from milepost.core.workdays import Calendar
from milepost.schedule.choices import OPEN_STATUSES, Criticality, MilestoneKind
from milepost.schedule.models import Milestone

from ..choices import Channel, Digest, WorkUnit
from ..failures import connection_lost, failure_record
from ..models import (
    AlertPreference,
    Notification,
    ReminderPlan,
    ReminderRule,
    Watch,
    WebhookEndpoint,
    WorkerFailure,
)
from ..plans import rule_from_row
from ..timing import (
    DEFAULT_RULE,
    Rule,
    Trigger,
    coalesce,
    day_starts_somewhere,
    latest_day_now,
    next_trigger_day,
    triggers_between,
)
from .compose import (
    ACCEPTANCE_CHARS,
    ACCEPTANCE_PREFIX,
    CRITICAL_SENTENCE,
    GATE_SENTENCE,
    MILESTONE_RELATED,
    REMINDER_KINDS,
    REMINDER_TYPES,
    _now,
    _row_defaults,
    _url_pattern,
    consequence,
    moments,
    summary_parts,
)
from .due import is_due

# What a claimed plan brings with it: the plan, its milestone and the rules that may apply.
_CLAIMED = (
    "milestone_id",
    "due_date",
    "done_through",
    "milestone__due_date",
    "milestone__status",
    "milestone__kind",
    "milestone__contract__time_zone",
    "milestone__contract__holiday_country",
    "milestone__contract__holiday_region",
    "milestone__reminder_rule__id",
    "milestone__contract__reminder_rule__id",
    "milestone__contract__owner__reminder_rule__id",
)


# Plans a scan claims at once. Each batch costs a few fixed round trips; on PostgreSQL other
# writers never wait for it, so it takes more. On SQLite a batch holds the one write lock, so
# it stays short (about half a second for 2,000 on a shared 2-core machine).
BATCH = {"postgresql": 5000, "sqlite": 2000}


def reminders_due(now: dt.datetime) -> Exists:
    """The idle check (the tick asks it with the other jobs'): any plan whose moment has come?"""
    return Exists(ReminderPlan.objects.filter(next_at__lte=now))


def reminders_scan(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Turn up to ``limit`` due plans into notifications; return how many plans were due."""
    now = _now(now)
    limit = limit or BATCH.get(connection.vendor, 2000)
    if not is_due(reminders_due(now)):
        return 0  # the idle case: one indexed read, no transaction
    pg = connection.vendor == "postgresql"
    # Inside a caller's transaction the batch is a savepoint, and settings made in it would
    # outlive it: they are put back when the batch is done.
    restore = _planner_settings() if pg and connection.in_atomic_block else None
    with transaction.atomic():
        if pg:
            # A batch reaches a few thousand rows scattered over large tables that are in
            # memory: index probes are cheap, and a merge join would walk a whole primary key
            # to meet them. Both settings last until the batch commits.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL random_page_cost = 1.1; SET LOCAL enable_mergejoin = off")
        claimed = _claim(now, limit)
        if claimed:
            _Scan(now).run(claimed)
    if restore is not None:
        _planner_settings(restore)
    return len(claimed)


def _claim(now: dt.datetime, limit: int) -> list[tuple[Any, ...]]:
    """Lock up to ``limit`` due plans that no other worker holds, earliest first."""
    return list(
        ReminderPlan.objects.filter(next_at__lte=now)
        .order_by("next_at")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list(*_CLAIMED)[:limit]
    )


_PLANNER = ("random_page_cost", "enable_mergejoin")


def _planner_settings(values: Sequence[str] | None = None) -> list[str]:
    """Read the transaction's planner settings that the scan changes, or put ``values`` back."""
    with connection.cursor() as cursor:
        if values is None:
            cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in _PLANNER))
        else:
            cursor.execute(
                "SELECT " + ", ".join(f"set_config('{n}', %s, true)" for n in _PLANNER), values
            )
        return list(cursor.fetchone())


@dataclass(frozen=True)
class _Group:
    """Plans that share every input of the trigger arithmetic, so share its outcome."""

    plan_due: dt.date
    done_through: dt.date
    due: dt.date
    time_zone: str
    country: str
    region: str
    rule_id: int | None


@dataclass
class _Outcome:
    triggers: list[Trigger]
    due: dt.date
    done_through: dt.date
    next_on: dt.date | None
    next_at: dt.datetime | None


class _Scan:
    """One batch of claimed plans, turned into notifications and moved on."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.through = latest_day_now(now)
        # Yesterday or later somewhere on Earth is still someone's today: not yet history.
        self.fresh_from = self.through - dt.timedelta(days=1)
        self.pg = connection.vendor == "postgresql"

    def run(self, claimed: list[tuple[Any, ...]]) -> None:
        gone: list[int] = []
        members: dict[_Group, list[int]] = {}
        kinds: dict[int, str] = {}
        for pk, plan_due, done, due, status, kind, tz, country, region, *rule_ids in claimed:
            if status not in OPEN_STATUSES:
                gone.append(pk)
                continue
            rule_id = next((r for r in rule_ids if r is not None), None)
            group = _Group(plan_due, done, due, tz, country, region, rule_id)
            members.setdefault(group, []).append(pk)
            kinds[pk] = kind
        rules = _rules(g.rule_id for g in members)
        outcomes: dict[_Group, _Outcome] = {}
        parked: list[int] = []
        for group, pks in members.items():
            # A group whose dates no arithmetic can handle (an old bad row) is recorded and
            # parked until its next attempt; every other plan's reminders still go out.
            try:
                outcomes[group] = self.outcome(group, rules[group.rule_id])
            except Exception as error:
                if connection_lost(error):
                    raise
                self.park(pks, error)
                parked += pks
        if gone:
            ReminderPlan.objects.filter(pk__in=gone).delete()
        if outcomes:
            self.move_isolated(outcomes, members, rules, kinds)

    def park(self, pks: list[int], error: Exception) -> None:
        """Record why these plans failed and leave them until their next attempt."""
        for pk in pks:
            failure = failure_record(WorkUnit.PLAN, pk, error, now=self.now)
            ReminderPlan.objects.filter(pk=pk).update(next_on=None, next_at=failure.retry_after)

    def move_isolated(
        self,
        outcomes: dict[_Group, _Outcome],
        members: dict[_Group, list[int]],
        rules: dict[int | None, Rule],
        kinds: dict[int, str],
    ) -> None:
        """Move the batch in one go; if the database refuses it, group by group, then plan by
        plan inside a refused group, so that only the plans it refuses are parked."""

        def refused(outs: dict[_Group, _Outcome], mems: dict[_Group, list[int]]) -> Any:
            """Move these plans in a savepoint; return the database's refusal, if any."""
            try:
                with transaction.atomic():
                    self.move(outs, mems, rules, kinds)
            except DatabaseError as error:
                if connection_lost(error):
                    raise
                return error
            return None

        if refused(outcomes, members) is None:
            return
        for group, outcome in outcomes.items():
            pks = members[group]
            error = refused({group: outcome}, {group: pks})
            if error is not None and len(pks) == 1:
                self.park(pks, error)
            elif error is not None:
                for pk in pks:
                    if (alone := refused({group: outcome}, {group: [pk]})) is not None:
                        self.park([pk], alone)

    def outcome(self, group: _Group, rule: Rule) -> _Outcome:
        """The group's triggers for the days that have come, and where its plans go next."""
        done = group.done_through
        if group.plan_due != group.due:
            # Rescheduled since the plan was written and the event not yet seen: re-open
            # today, as plans_sync does, so the new date's reminders for today still come.
            yesterday = local_today(group.time_zone, self.now) - dt.timedelta(days=1)
            done = min(done, yesterday)
        cal = Calendar(group.country, group.region)
        found = triggers_between(group.due, rule, cal, done, self.through)
        done = max(done, self.through)
        next_on = next_trigger_day(group.due, rule, cal, done)
        return _Outcome(
            triggers=coalesce(found, self.fresh_from),
            due=group.due,
            done_through=done,
            next_on=next_on,
            next_at=day_starts_somewhere(next_on) if next_on else None,
        )

    # --- the rows, built by the database -----------------------------------------------------

    def move(
        self,
        outcomes: dict[_Group, _Outcome],
        members: dict[_Group, list[int]],
        rules: dict[int | None, Rule],
        kinds: dict[int, str],
    ) -> None:
        """Queue every notification of these plans and move them on, in a few statements."""
        ops = connection.ops
        plans: list[tuple[int, int]] = []
        groups: list[tuple[Any, ...]] = []
        triggers: list[tuple[Any, ...]] = []
        firing: list[int] = []
        for grp, (group, outcome) in enumerate(outcomes.items()):
            plans += [(pk, grp) for pk in members[group]]
            groups.append(
                (
                    grp,
                    ops.adapt_datefield_value(outcome.due),
                    ops.adapt_datefield_value(outcome.done_through),
                    ops.adapt_datefield_value(outcome.next_on),
                    ops.adapt_datetimefield_value(outcome.next_at),
                )
            )
            rule = rules[group.rule_id]
            for trigger in outcome.triggers:
                triggers.append(self.trigger_row(len(triggers), grp, group.due, rule, trigger))
            if outcome.triggers:
                firing += members[group]
        params = self.params()
        with connection.cursor() as cursor:
            _tables_ready(cursor, self.pg)
            _insert(cursor, "scan_plan", ("milestone_id", "grp"), plans, self.pg)
            _insert(cursor, "scan_group", _GROUP_COLUMNS, groups, self.pg)
            cursor.execute(_statement("move", self.pg), params)
            cursor.execute(_statement("cleared", self.pg), params)
            if not triggers:
                return
            _insert(cursor, "scan_trigger", _TRIGGER_COLUMNS, triggers, self.pg)
            texts = _consequences(pk for pk in firing if kinds[pk] in _TERMS_KINDS)
            _insert(cursor, "scan_text", ("milestone_id", "consequence"), texts, self.pg)
            if self.pg:  # the planner's row counts, so that it reaches milestones by index
                cursor.execute("ANALYZE scan_plan, scan_trigger")
            cursor.execute(_statement("recipients", self.pg), params)
            _insert(
                cursor, "scan_instant", _INSTANT_COLUMNS, self.instants(cursor, params), self.pg
            )
            _insert(cursor, "scan_hook", ("endpoint_id", "event_type"), _hooks(), self.pg)
            if self.pg:
                cursor.execute("ANALYZE scan_recipient")
            cursor.execute(_statement("notifications", self.pg), params)

    def trigger_row(
        self, trig: int, grp: int, due: dt.date, rule: Rule, trigger: Trigger
    ) -> tuple[Any, ...]:
        days = (due - trigger.on).days
        head, tail = summary_parts(trigger.kind, days, due)
        ops = connection.ops
        return (
            trig,
            grp,
            trigger.kind,
            REMINDER_KINDS[trigger.kind],
            REMINDER_TYPES[trigger.kind],
            trigger.offset,
            ops.adapt_datefield_value(trigger.on),
            days,
            f"{due.isoformat()}:{trigger.kind}:{trigger.offset}",
            head,
            tail,
            due.isoformat(),
            trigger.on.isoformat(),
            Channel.INAPP in rule.channels,
            Channel.EMAIL in rule.channels,
            rule.escalate_critical_to_counterparty,
        )

    def instants(self, cursor: CursorWrapper, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """When each (day, time zone, hour, digest) the recipients share falls, in Python."""
        cursor.execute(_statement("instants", self.pg), params)
        ops = connection.ops
        out = []
        for on, tz, hour, digest, weekday in cursor.fetchall():
            day = on if isinstance(on, dt.date) else dt.date.fromisoformat(on)
            pref = AlertPreference(hour=hour, digest=digest, digest_weekday=weekday)
            m = moments(pref, tz, day=day, at=None, now=self.now)
            out.append(
                (
                    ops.adapt_datefield_value(day),
                    tz,
                    hour,
                    digest,
                    weekday,
                    ops.adapt_datetimefield_value(m.send_after),
                    m.catch_up,
                    m.mail_channel,
                    ops.adapt_datetimefield_value(m.mail_after),
                    m.mail_catch_up,
                )
            )
        return out

    def params(self) -> dict[str, Any]:
        ops = connection.ops
        defaults = _row_defaults()
        contract_url = _url_pattern("reporting:contract-detail").split("{pk}")
        milestone_url = _url_pattern("milestones:milestone-detail").split("{pk}")
        base = settings.MILEPOST_BASE_URL
        pref = {f.name: f.get_default() for f in AlertPreference._meta.concrete_fields}
        return {
            "now": ops.adapt_datetimefield_value(self.now),
            # The row's own creation time, from the real clock, as every other row's.
            "created": ops.adapt_datetimefield_value(timezone.now()),
            "critical": Criticality.CRITICAL,
            "observer": PartyRole.OBSERVER,
            "manager": Role.MANAGER,
            "admin": Role.ADMIN,
            "escalation": "escalation",
            "inapp": Channel.INAPP,
            "webhook": Channel.WEBHOOK,
            "deliverable": MilestoneKind.DELIVERABLE,
            "gate": MilestoneKind.GATE,
            "critical_sentence": CRITICAL_SENTENCE,
            "gate_sentence": GATE_SENTENCE,
            "acceptance": ACCEPTANCE_PREFIX,
            "acceptance_chars": ACCEPTANCE_CHARS,
            "contract_url": base + contract_url[0],
            "contract_url_end": contract_url[1],
            "milestone_url": base + milestone_url[0],
            "milestone_url_end": milestone_url[1],
            "pref_inapp": pref["inapp"],
            "pref_email": pref["email"],
            "pref_hour": pref["hour"],
            "pref_digest": pref["digest"] or Digest.OFF,
            "pref_weekday": pref["digest_weekday"],
            "plan_unit": WorkUnit.PLAN,
            **{f"d_{name}": value for name, value in defaults.items()},
        }


def _rules(rule_ids: Iterable[int | None]) -> dict[int | None, Rule]:
    """The rules in force, by id (``None``: the default rule), in one query."""
    ids = {r for r in rule_ids if r is not None}
    found: dict[int | None, Rule] = {None: DEFAULT_RULE}
    for row in ReminderRule.objects.filter(pk__in=ids):
        found[row.pk] = rule_from_row(row)
    return found


# Kinds whose consequence quotes their terms: money and targets are written in Python.
_TERMS_KINDS = set(MilestoneKind.values) - {MilestoneKind.DELIVERABLE, MilestoneKind.GATE}


def _consequences(pks: Iterable[int]) -> list[tuple[int, str]]:
    """The consequence of each milestone whose kind quotes its terms (payments, KPIs)."""
    ids = list(pks)
    out: list[tuple[int, str]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for m in Milestone.objects.filter(pk__in=chunk).select_related(*MILESTONE_RELATED):
            out.append((m.pk, consequence(m)))
    return out


def _hooks() -> list[tuple[int, str]]:
    """Each active endpoint with each reminder event type it takes (none listed: every type)."""
    out = []
    for pk, types in WebhookEndpoint.objects.filter(disabled_at__isnull=True).values_list(
        "pk", "event_types"
    ):
        out += [(pk, str(t)) for t in REMINDER_TYPES.values() if not types or t in types]
    return out


# --- session-local tables and the statements over them ---------------------------------------

_TRIGGER_COLUMNS = (
    "trig",
    "grp",
    "kind",
    "nkind",
    "event_type",
    "step",
    "fire_on",
    "days",
    "key_tail",
    "head",
    "tail",
    "due_iso",
    "on_iso",
    "inapp",
    "email",
    "escalate_cp",
)
_INSTANT_COLUMNS = (
    "fire_on",
    "tz",
    "hour",
    "digest",
    "weekday",
    "send_after",
    "catch_up",
    "mail_channel",
    "mail_after",
    "mail_catch_up",
)
_GROUP_COLUMNS = ("grp", "due_date", "done_through", "next_on", "next_at")
_TABLES = {
    "scan_plan": "milestone_id {big} PRIMARY KEY, grp integer NOT NULL",
    "scan_group": (
        "grp integer PRIMARY KEY, due_date date NOT NULL, done_through date NOT NULL, "
        "next_on date, next_at {ts}"
    ),
    "scan_trigger": (
        "trig integer PRIMARY KEY, grp integer NOT NULL, kind varchar(16) NOT NULL, "
        "nkind varchar(16) NOT NULL, event_type varchar(64) NOT NULL, step integer NOT NULL, "
        "fire_on date NOT NULL, days integer NOT NULL, key_tail varchar(64) NOT NULL, "
        "head text NOT NULL, tail text NOT NULL, due_iso varchar(10) NOT NULL, "
        "on_iso varchar(10) NOT NULL, inapp boolean NOT NULL, email boolean NOT NULL, "
        "escalate_cp boolean NOT NULL"
    ),
    "scan_text": "milestone_id {big} PRIMARY KEY, consequence text NOT NULL",
    "scan_recipient": "trig integer NOT NULL, milestone_id {big} NOT NULL, user_id {big} NOT NULL",
    "scan_instant": (
        "fire_on date NOT NULL, tz varchar(64) NOT NULL, hour integer NOT NULL, "
        "digest varchar(8) NOT NULL, weekday integer NOT NULL, send_after {ts} NOT NULL, "
        "catch_up boolean NOT NULL, mail_channel varchar(16) NOT NULL, mail_after {ts} NOT NULL, "
        "mail_catch_up boolean NOT NULL"
    ),
    "scan_hook": "endpoint_id {big} NOT NULL, event_type varchar(64) NOT NULL",
}
_CHUNK = 500  # rows per multi-row VALUES; well under either database's parameter limit


def _tables_ready(cursor: CursorWrapper, pg: bool) -> None:
    """Make this session's scan tables if it has none yet, and empty them."""
    types = {"big": "bigint", "ts": "timestamptz"} if pg else {"big": "integer", "ts": "datetime"}
    made = [
        f"CREATE TEMP TABLE IF NOT EXISTS {n} ({c.format(**types)})" for n, c in _TABLES.items()
    ]
    if pg:  # one round trip
        cursor.execute("; ".join([*made, f"TRUNCATE {', '.join(_TABLES)}"]))
        return
    for statement in made:
        cursor.execute(statement)
    for name in _TABLES:
        cursor.execute(f"DELETE FROM {name}")  # noqa: S608 (our own table names)


def _insert(
    cursor: CursorWrapper,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    pg: bool,
) -> None:
    """Fill a scan table: COPY on PostgreSQL, one prepared INSERT on SQLite."""
    if not rows:
        return
    if pg:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})",
        rows,
    )


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


_T = {
    "milestone": Milestone,
    "contract": Contract,
    "user": User,
    "watch": Watch,
    "party": Party,
    "membership": Membership,
    "pref": AlertPreference,
    "endpoint": WebhookEndpoint,
    "notification": Notification,
    "plan": ReminderPlan,
    "failure": WorkerFailure,
}


def _names() -> dict[str, str]:
    return {name: _table(model) for name, model in _T.items()}


# Each plan takes its group's new dates.
_MOVE_SQL = """
UPDATE {plan} SET due_date = sg.due_date, done_through = sg.done_through,
       next_on = sg.next_on, next_at = sg.next_at
  FROM scan_plan sp JOIN scan_group sg ON sg.grp = sp.grp
 WHERE {plan}.milestone_id = sp.milestone_id
"""

# A plan that went through forgets its failures (there are seldom any).
_CLEARED_SQL = """
DELETE FROM {failure}
 WHERE unit = %(plan_unit)s AND object_id IN (SELECT milestone_id FROM scan_plan)
"""

# Who hears each trigger: the owner and the milestone's watchers, or for an escalation the
# managers and admins of the responsible party (and of every other party but observers when
# a critical milestone's rule says so). Only active people; each once per trigger.
_RECIPIENTS_SQL = """
WITH pairs AS {materialized} (
    SELECT g.trig, g.kind, g.escalate_cp, sp.milestone_id
      FROM scan_trigger g
      JOIN scan_plan sp ON sp.grp = g.grp
)
INSERT INTO scan_recipient (trig, milestone_id, user_id)
SELECT trig, milestone_id, user_id FROM (
    SELECT pr.trig, pr.milestone_id, m.owner_id AS user_id
      FROM pairs pr
      JOIN {milestone} m ON m.id = pr.milestone_id
     WHERE pr.kind <> %(escalation)s
    UNION
    SELECT pr.trig, pr.milestone_id, w.user_id
      FROM pairs pr
      JOIN {watch} w ON w.milestone_id = pr.milestone_id
     WHERE pr.kind <> %(escalation)s
    UNION
    SELECT pr.trig, pr.milestone_id, ms.user_id
      FROM pairs pr
      JOIN {milestone} m ON m.id = pr.milestone_id
      JOIN {party} pa ON pa.contract_id = m.contract_id
      JOIN {membership} ms ON ms.organisation_id = pa.organisation_id
     WHERE pr.kind = %(escalation)s
       AND ms.role IN (%(manager)s, %(admin)s)
       AND (pa.id = m.responsible_party_id
            OR (m.criticality = %(critical)s AND pr.escalate_cp AND pa.role <> %(observer)s))
) AS heard
WHERE EXISTS (SELECT 1 FROM {user} u WHERE u.id = heard.user_id AND u.is_active)
"""

# The (day, time zone, hour, digest) combinations the recipients share: a handful.
_INSTANT_KEYS_SQL = """
SELECT DISTINCT g.fire_on, u.time_zone,
       COALESCE(p.hour, %(pref_hour)s), COALESCE(p.digest, %(pref_digest)s),
       COALESCE(p.digest_weekday, %(pref_weekday)s)
  FROM scan_recipient r
  JOIN scan_trigger g ON g.trig = r.trig
  JOIN {user} u ON u.id = r.user_id
  LEFT JOIN {pref} p ON p.user_id = r.user_id
"""


@lru_cache(maxsize=8)
def _statement(name: str, pg: bool) -> str:
    """A statement with the models' table names in it, made once per process."""
    if name == "notifications":
        return _notifications_sql(pg)
    # The batch's (trigger, plan) pairs are read first and once, so that a planner never walks
    # the milestone table to meet them (PostgreSQL; SQLite plans it so by itself, and older
    # SQLite has no MATERIALIZED).
    materialized = "MATERIALIZED" if pg else ""
    return {
        "recipients": _RECIPIENTS_SQL,
        "instants": _INSTANT_KEYS_SQL,
        "move": _MOVE_SQL,
        "cleared": _CLEARED_SQL,
    }[name].format(materialized=materialized, **_names())


def _notifications_sql(pg: bool) -> str:
    """The one statement that writes every row of the batch, with its payload."""
    obj = "jsonb_build_object" if pg else "json_object"
    names = _names()
    owner = "COALESCE(NULLIF(TRIM(o.first_name || ' ' || o.last_name), ''), o.username)"
    kind_part = (
        "CASE m.kind WHEN %(deliverable)s THEN %(acceptance)s || "
        "SUBSTR(m.acceptance_criteria, 1, %(acceptance_chars)s) "
        "WHEN %(gate)s THEN %(gate_sentence)s END"
    )
    said = (
        f"COALESCE(x.consequence, CASE WHEN m.criticality = %(critical)s THEN "
        f"%(critical_sentence)s || COALESCE(' ' || {kind_part}, '') "
        f"ELSE COALESCE({kind_part}, '') END)"
    )
    payload = f"""{obj}(
        'type', g.event_type,
        'summary', g.head || '[' || c.reference || '] ' || m.title || g.tail,
        'days', g.days,
        'contract', {obj}(
            'id', c.id, 'reference', c.reference, 'title', c.title,
            'url', %(contract_url)s || CAST(c.id AS TEXT) || %(contract_url_end)s),
        'milestone', {obj}(
            'id', m.id, 'title', m.title, 'kind', m.kind, 'criticality', m.criticality,
            'due_date', g.due_iso, 'status', m.status, 'owner', {owner},
            'url', %(milestone_url)s || CAST(m.id AS TEXT) || %(milestone_url_end)s,
            'consequence', {said}),
        'trigger', {obj}('kind', g.kind, 'offset', g.step, 'on', g.on_iso)
    )"""
    key = "'r:' || CAST(m.id AS TEXT) || ':' || g.key_tail"
    # Every column of the outbox, in order: computed ones here, the rest the model's defaults.
    computed = {
        "key": None,
        "kind": "g.nkind",
        "channel": None,
        "event_type": "g.event_type",
        "user_id": None,
        "endpoint_id": None,
        "contract_id": "m.contract_id",
        "milestone_id": "m.id",
        "fire_on": "g.fire_on",
        "catch_up": None,
        "payload": "s.payload",
        "send_after": None,
        "created_at": "%(created)s",
    }
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    # PostgreSQL reads a bare NULL in a UNION as text: each default says its column's type.
    defaults = {
        f.column: f"CAST(%(d_{f.attname})s AS {f.db_type(connection)})"
        if pg
        else f"%(d_{f.attname})s"
        for f in fields
        if f.attname not in computed
    }

    def part(values: dict[str, str]) -> str:
        return ", ".join(values.get(c) or computed.get(c) or defaults[c] for c in columns)

    people = f"""
        FROM scan_recipient r
        JOIN scan_trigger g ON g.trig = r.trig
        JOIN {names["milestone"]} m ON m.id = r.milestone_id
        JOIN {names["user"]} u ON u.id = r.user_id
        LEFT JOIN {names["pref"]} p ON p.user_id = r.user_id
        JOIN scan_instant i ON i.fire_on = g.fire_on AND i.tz = u.time_zone
             AND i.hour = COALESCE(p.hour, %(pref_hour)s)
             AND i.digest = COALESCE(p.digest, %(pref_digest)s)
             AND i.weekday = COALESCE(p.digest_weekday, %(pref_weekday)s)"""
    inapp = part(
        {
            "key": f"{key} || ':u' || CAST(r.user_id AS TEXT) || ':inapp'",
            "channel": "%(inapp)s",
            "user_id": "r.user_id",
            "endpoint_id": "CAST(NULL AS bigint)",
            "catch_up": "i.catch_up",
            "send_after": "i.send_after",
        }
    )
    mail = part(
        {
            "key": f"{key} || ':u' || CAST(r.user_id AS TEXT) || ':mail'",
            "channel": "i.mail_channel",
            "user_id": "r.user_id",
            "endpoint_id": "CAST(NULL AS bigint)",
            "catch_up": "i.mail_catch_up",
            "send_after": "i.mail_after",
        }
    )
    hook = part(
        {
            "key": f"{key} || ':e' || CAST(e.id AS TEXT)",
            "channel": "%(webhook)s",
            "user_id": "CAST(NULL AS bigint)",
            "endpoint_id": "e.id",
            "catch_up": "%(d_catch_up)s",
            "send_after": "%(now)s",
        }
    )
    # The payload is built once per (milestone, trigger) and shared by its rows. Only the
    # models' table and column names go into the text; every value is a parameter.
    return f"""
WITH said AS (
    SELECT g.trig, m.id AS milestone_id, {payload} AS payload
      FROM scan_plan sp
      JOIN scan_trigger g ON g.grp = sp.grp
      JOIN {names["milestone"]} m ON m.id = sp.milestone_id
      JOIN {names["contract"]} c ON c.id = m.contract_id
      JOIN {names["user"]} o ON o.id = m.owner_id
      LEFT JOIN scan_text x ON x.milestone_id = m.id
)
INSERT INTO {names["notification"]} ({", ".join(connection.ops.quote_name(c) for c in columns)})
SELECT * FROM (
    SELECT {inapp} {people}
      JOIN said s ON s.trig = r.trig AND s.milestone_id = r.milestone_id
     WHERE g.inapp AND COALESCE(p.inapp, %(pref_inapp)s)
    UNION ALL
    SELECT {mail} {people}
      JOIN said s ON s.trig = r.trig AND s.milestone_id = r.milestone_id
     WHERE g.email AND COALESCE(p.email, %(pref_email)s)
    UNION ALL
    SELECT {hook}
      FROM scan_plan sp
      JOIN scan_trigger g ON g.grp = sp.grp
      JOIN {names["milestone"]} m ON m.id = sp.milestone_id
      JOIN said s ON s.trig = g.trig AND s.milestone_id = m.id
      JOIN scan_hook h ON h.event_type = g.event_type
      JOIN {names["endpoint"]} e ON e.id = h.endpoint_id
     WHERE EXISTS (SELECT 1 FROM {names["party"]} pa
                    WHERE pa.contract_id = m.contract_id
                      AND pa.organisation_id = e.organisation_id)
) AS queued
WHERE true
ON CONFLICT ({connection.ops.quote_name("key")}) DO NOTHING
"""  # noqa: S608
