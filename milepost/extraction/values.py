"""What a reviewer settles on for each proposal: its fields, their defaults, their checks.

A proposal's ``values`` start from what the extractor read and the contract it was read for
(its parties, its dates, the reviewer), and a reviewer edits them field by field. Every field
is checked here, naming the field, before it is stored; what needs the whole accepted set
(a link to a proposal that is not accepted, a payment over the contract value) is checked when
the set is applied.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from milepost.accounts.models import User
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import Contract, Party
from milepost.contracts.selectors import (
    contract_calendar,
    parties_for_contract,
    people_for_contract,
)
from milepost.core.dates import validate_milestone_date
from milepost.core.errors import DomainError
from milepost.core.text import TEXT_MAX, TITLE_MAX
from milepost.finance.choices import DamagesUnit
from milepost.finance.retention.services import add_months
from milepost.performance.choices import Direction, Period
from milepost.performance.services import KPI_NAME_MAX, KPI_UNIT_MAX
from milepost.schedule.choices import Criticality
from milepost.schedule.models import Milestone

from .choices import ProposalKind

COMMON = ("title", "due_date", "depends_on", "owner", "responsible_party", "criticality")
PROPOSAL_FIELDS: dict[str, tuple[str, ...]] = {
    ProposalKind.DELIVERABLE: (*COMMON, "accepting_party", "acceptance_criteria"),
    ProposalKind.PAYMENT: (
        "title",
        "due_date",
        "payer",
        "payee",
        "amount",
        "percentage",
        "trigger",
        "depends_on",
        "owner",
        "criticality",
        "acceptance_criteria",
    ),
    ProposalKind.PERFORMANCE: (
        *COMMON,
        "kpi_name",
        "unit",
        "target",
        "direction",
        "period",
        "measurement_start",
        "acceptance_criteria",
    ),
    ProposalKind.GATE: (*COMMON, "required_parties", "acceptance_criteria"),
    ProposalKind.DAMAGES: (
        "milestone",
        "rate",
        "per",
        "cap_amount",
        "cap_percent",
        "payer",
        "payee",
    ),
}
# How each field is called on a page and in an error.
FIELD_LABELS = {
    "title": "Title",
    "due_date": "Due date",
    "depends_on": "Depends on",
    "owner": "Owner",
    "responsible_party": "Responsible party",
    "accepting_party": "Accepting party",
    "criticality": "Criticality",
    "acceptance_criteria": "Acceptance criteria",
    "payer": "Payer",
    "payee": "Payee",
    "amount": "Amount",
    "percentage": "Percentage of the contract value",
    "trigger": "Paid when this is met",
    "kpi_name": "Measure",
    "unit": "Unit",
    "target": "Target",
    "direction": "Direction",
    "period": "Measured each",
    "measurement_start": "Measurement starts",
    "required_parties": "Approved by",
    "milestone": "Damages run on",
    "rate": "Rate",
    "per": "Per",
    "cap_amount": "Cap (amount)",
    "cap_percent": "Cap (% of the contract value)",
}
PARTY_FIELDS = ("responsible_party", "accepting_party", "payer", "payee")
DECIMAL_FIELDS = ("amount", "percentage", "target", "rate", "cap_amount", "cap_percent")
PERCENT_FIELDS = ("percentage", "cap_percent")
# The milestone's money columns hold 18 digits, two after the point.
DECIMAL_MAX = Decimal("9999999999999999.99")
TARGET_MAX = Decimal(10) ** 14
QUOTE_MAX = 2000
# The words for the contract's own start, which a relative date may count from.
CONTRACT_START = re.compile(
    r"contract date|commencement|effective date|start date|starting date|date of (?:this|the) "
    r"(?:agreement|contract)|this agreement|the agreement|execution|signature|signing|award",
    re.IGNORECASE,
)
CLIENT_WORDS = re.compile(
    r"\b(?:employer|client|customer|buyer|purchaser|authority|owner|council|principal|"
    r"company|government|agency|licensee)\b",
    re.IGNORECASE,
)
SUPPLIER_WORDS = re.compile(
    r"\b(?:contractor|supplier|vendor|provider|seller|developer|licensor|builder|"
    r"subcontractor|manufacturer)\b",
    re.IGNORECASE,
)
CONSULTANT_WORDS = re.compile(
    r"\b(?:consultant|engineer|architect|project manager|contract administrator|"
    r"quantity surveyor|employer's agent)\b",
    re.IGNORECASE,
)
COMPLETION = re.compile(r"\bcomplet", re.IGNORECASE)


@dataclass
class Setting:
    """What defaults and checks read about the contract, each loaded once."""

    contract: Contract
    parties: list[Party]
    people: dict[int, User]
    actor: User | None
    # user id -> organisation ids where the user is a member or above
    member_of: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, contract: Contract, actor: User | None) -> "Setting":
        people = {u.pk: u for u in people_for_contract(contract=contract)}
        from milepost.accounts.models import Membership

        member_of: dict[int, set[int]] = {}
        for user_id, org_id in Membership.objects.filter(
            user_id__in=list(people), role__in=["member", "manager", "admin"]
        ).values_list("user_id", "organisation_id"):
            member_of.setdefault(user_id, set()).add(org_id)
        return cls(
            contract=contract,
            parties=list(parties_for_contract(contract=contract)),
            people=people,
            actor=actor,
            member_of=member_of,
        )

    def party(self, pk: Any) -> Party | None:
        return next((p for p in self.parties if p.pk == pk), None)

    def of_role(self, *roles: str) -> Party | None:
        return next((p for p in self.parties if p.role in roles), None)

    @property
    def client(self) -> Party | None:
        return self.of_role(PartyRole.CLIENT) or (self.parties[0] if self.parties else None)

    @property
    def supplier(self) -> Party | None:
        return self.of_role(PartyRole.SUPPLIER, PartyRole.SUBCONTRACTOR) or next(
            (p for p in self.parties if p != self.client and p.role != PartyRole.OBSERVER), None
        )

    def named(self, words: str) -> Party | None:
        """The party that ``words`` (a name or a role, as the contract writes it) stands for."""
        lowered = words.strip().lower()
        for p in self.parties:
            name = str(p.organisation.name).lower()
            if lowered and (lowered in name or name in lowered):
                return p
        if CONSULTANT_WORDS.search(words):
            return self.of_role(PartyRole.CONSULTANT)
        if SUPPLIER_WORDS.search(words):
            return self.supplier
        if CLIENT_WORDS.search(words):
            return self.client
        return None

    def owner_for(self, party: Party | None) -> int | None:
        """The reviewer, when they may own a milestone of ``party``."""
        actor = self.actor
        if actor is None or party is None:
            return None
        return actor.pk if party.organisation_id in self.member_of.get(actor.pk, set()) else None


# -- defaults -----------------------------------------------------------------------------------


def _first_of_month_from(day: dt.date) -> dt.date:
    return day if day.day == 1 else add_months(day.replace(day=1), 1)


def _shift(setting: Setting, day: dt.date, offset: int, unit: str) -> dt.date:
    if unit == "working":
        return contract_calendar(contract=setting.contract).shift(day, offset, working=True)
    if unit == "weeks":
        return day + dt.timedelta(weeks=offset)
    if unit == "months":
        return add_months(day, offset)
    return day + dt.timedelta(days=offset)


def due_dates(setting: Setting, proposed: list[dict[str, Any]]) -> dict[str, dt.date]:
    """Each proposal's due date by key: stated, or counted from the contract's start or from
    the proposal its anchor names (in as many passes as the chain is long)."""
    dates: dict[str, dt.date] = {}
    for p in proposed:
        if p.get("due"):
            dates[p["key"]] = dt.date.fromisoformat(p["due"])
    for _ in range(len(proposed)):
        progressed = False
        for p in proposed:
            key, relative = p.get("key", ""), p.get("relative")
            if key in dates or not relative or p.get("recurring"):
                continue
            base: dt.date | None = None
            if p.get("depends_on") in dates:
                base = dates[p["depends_on"]]
            elif CONTRACT_START.search(relative.get("anchor") or ""):
                base = setting.contract.start_date
            if base is not None:
                dates[key] = _shift(setting, base, int(relative["offset"]), relative["unit"])
                progressed = True
        if not progressed:
            break
    return dates


def lag_of(proposed: dict[str, Any]) -> int:
    """The lag in days of a proposal's link to the one its anchor names (calendar days or
    weeks; a count of working days or months is kept as its date, without a lag)."""
    relative = proposed.get("relative") or {}
    if relative.get("unit") == "calendar":
        return int(relative.get("offset") or 0)
    if relative.get("unit") == "weeks":
        return int(relative.get("offset") or 0) * 7
    return 0


def defaults(
    setting: Setting,
    proposed: dict[str, Any],
    kind: str,
    dates: dict[str, dt.date],
    others: list[dict[str, Any]],
) -> dict[str, Any]:
    """The values a proposal starts with, from what was read and the contract."""
    contract = setting.contract
    client, supplier = setting.client, setting.supplier
    quote = str((proposed.get("citation") or {}).get("quote") or "")
    criteria = quote if len(quote) <= QUOTE_MAX else quote[: QUOTE_MAX - 1].rstrip() + "…"
    if kind == ProposalKind.DAMAGES:
        deliverables = [o for o in others if o.get("kind") == ProposalKind.DELIVERABLE]
        completion = [o for o in deliverables if COMPLETION.search(o.get("title") or "")]
        target = (completion or deliverables or [{}])[-1].get("key", "")
        per = proposed.get("per")
        return {
            "milestone": target,
            "rate": proposed.get("rate"),
            "per": per if per in DamagesUnit.values else "",
            "cap_amount": proposed.get("cap"),
            "cap_percent": _decimal_text(proposed.get("cap_percent")),
            "payer": supplier.pk if supplier else None,
            "payee": client.pk if client else None,
        }
    key = proposed.get("key", "")
    named = [setting.named(words) for words in proposed.get("parties") or []]
    named_parties = [p for p in named if p is not None]
    due = dates.get(key)
    values: dict[str, Any] = {
        "title": str(proposed.get("title") or "")[:TITLE_MAX],
        "due_date": due.isoformat() if due else None,
        "recurring": proposed.get("recurring"),
        # A link the document has no proposal for (never stated, de-duplicated away) is left
        # for the reviewer to choose.
        "depends_on": (
            proposed.get("depends_on")
            if proposed.get("depends_on") in {o.get("key") for o in others}
            else ""
        ),
        "criticality": (
            Criticality.CRITICAL
            if kind in (ProposalKind.PAYMENT, ProposalKind.GATE)
            or COMPLETION.search(proposed.get("title") or "")
            else Criticality.STANDARD
        ),
        "acceptance_criteria": criteria,
    }
    if kind == ProposalKind.PAYMENT:
        payer, payee = client, supplier
        values.update(
            payer=payer.pk if payer else None,
            payee=payee.pk if payee else None,
            owner=setting.owner_for(payer),
            amount=None,
            percentage=None,
            trigger="",
        )
        if proposed.get("percent") is not None:
            values["percentage"] = _decimal_text(proposed["percent"])
        elif proposed.get("amount") is not None:
            values["amount"] = proposed["amount"]
        by_key = {o.get("key"): o for o in others}
        depends = proposed.get("depends_on")
        if depends and by_key.get(depends, {}).get("kind") not in (None, ProposalKind.PAYMENT):
            values["trigger"] = depends
        else:
            before = [
                o
                for o in others
                if o.get("kind") in (ProposalKind.DELIVERABLE, ProposalKind.GATE)
                and (o.get("citation") or {}).get("start", 0)
                < (proposed.get("citation") or {}).get("start", 0)
            ]
            values["trigger"] = before[-1]["key"] if before else ""
        # A payment follows its trigger already.
        if values["depends_on"] == values["trigger"]:
            values["depends_on"] = ""
        return values
    if kind == ProposalKind.GATE:
        responsible = client
        values["required_parties"] = sorted(
            {p.pk for p in named_parties} or ([client.pk] if client else [])
        )
    else:
        responsible = named_parties[0] if named_parties and named_parties[0] != client else supplier
    values["responsible_party"] = responsible.pk if responsible else None
    values["owner"] = setting.owner_for(responsible)
    if kind == ProposalKind.DELIVERABLE:
        accepting = client if responsible != client else supplier
        values["accepting_party"] = accepting.pk if accepting else None
    if kind == ProposalKind.PERFORMANCE:
        period = proposed.get("period") or {
            "daily": "day",
            "weekly": "week",
            "monthly": "month",
            "quarterly": "quarter",
        }.get(proposed.get("recurring") or "", "month")
        period = period if period in Period.values else Period.MONTH
        start = contract.start_date
        if period in (Period.MONTH, Period.QUARTER):
            start = _first_of_month_from(start)
        values.update(
            kpi_name=str(proposed.get("title") or "")[:KPI_NAME_MAX],
            unit=str(proposed.get("unit") or "")[:KPI_UNIT_MAX],
            target=_decimal_text(proposed.get("target")),
            direction=proposed.get("direction") or Direction.AT_LEAST,
            period=period,
            measurement_start=start.isoformat(),
            recurring=None,
        )
        if not values["due_date"]:
            values["due_date"] = contract.end_date.isoformat()
    return values


def _decimal_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return format(Decimal(str(value)).normalize(), "f")


# -- checks -------------------------------------------------------------------------------------


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError("invalid_text", f"{FIELD_LABELS[name]} is text.", field=name)
    value = value.strip()
    if required and not value:
        raise DomainError("required", f"Give the {FIELD_LABELS[name].lower()}.", field=name)
    if len(value) > limit:
        raise DomainError(
            "too_long", f"{FIELD_LABELS[name]} has at most {limit:,} characters.", field=name
        )
    return value


def _date(value: Any, name: str, contract: Contract) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise DomainError(
                "invalid_date", f"{value} is not a date: give it as YYYY-MM-DD.", field=name
            ) from exc
    validate_milestone_date(day, field=name, start=contract.start_date, end=contract.end_date)
    return day.isoformat()


def _number(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DomainError("invalid_number", f"{FIELD_LABELS[name]} is a number.", field=name)
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise DomainError("invalid_number", f"{value} is not a number.", field=name) from exc
    if not number.is_finite() or number < 0 or number > DECIMAL_MAX:
        raise DomainError(
            "number_out_of_range",
            f"{FIELD_LABELS[name]} is a number from 0 to {DECIMAL_MAX:,}.",
            field=name,
        )
    if name == "target":
        # The KPI's target: DecimalField(max_digits=18, decimal_places=4).
        if number >= TARGET_MAX:
            raise DomainError(
                "number_out_of_range",
                f"{FIELD_LABELS[name]} is a number below {TARGET_MAX:,}.",
                field=name,
            )
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise DomainError(
                "too_many_decimals", f"{FIELD_LABELS[name]} has at most four decimals.", field=name
            )
    elif number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise DomainError(
            "too_many_decimals", f"{FIELD_LABELS[name]} has at most two decimals.", field=name
        )
    if name in PERCENT_FIELDS and number > 100:
        raise DomainError(
            "invalid_percentage", f"{FIELD_LABELS[name]} is from 0 to 100.", field=name
        )
    return format(number.normalize(), "f")


def _party(setting: Setting, value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        pk = None
    if pk is None or setting.party(pk) is None:
        raise DomainError("not_a_party", "Choose one of the parties to this contract.", field=name)
    return pk


def _reference(setting: Setting, value: Any, name: str, keys: dict[str, str], own_key: str) -> str:
    """A link to another proposal of the document (its key) or a milestone of the contract
    (its id): given as "" (none), "p3" or "42"."""
    value = "" if value is None else str(value).strip()
    if not value:
        return ""
    if value == own_key:
        raise DomainError("self_link", "A proposal cannot depend on itself.", field=name)
    if value in keys:
        if keys[value] == ProposalKind.DAMAGES:
            raise DomainError(
                "invalid_link", "Delay damages are not a milestone to link to.", field=name
            )
        return value
    if (
        value.isdigit()
        and Milestone.objects.filter(contract=setting.contract, pk=int(value)).exists()
    ):
        return value
    raise DomainError(
        "unknown_link",
        "Choose another proposal of this document or a milestone of this contract.",
        field=name,
    )


def check(
    setting: Setting,
    kind: str,
    values: dict[str, Any],
    *,
    keys: dict[str, str],
    own_key: str,
) -> dict[str, Any]:
    """Return ``values`` checked and in their stored form; raise naming the first bad field."""
    allowed = set(PROPOSAL_FIELDS[kind]) | {"recurring"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise DomainError(
            "unknown_field",
            f"A {ProposalKind(kind).label.lower()} has no {unknown[0].replace('_', ' ')}.",
            field=unknown[0],
        )
    contract = setting.contract
    out: dict[str, Any] = dict(values)
    for name, value in values.items():
        if name == "title":
            out[name] = _text(value, name, TITLE_MAX, required=True)
        elif name == "acceptance_criteria":
            out[name] = _text(value, name, TEXT_MAX)
        elif name == "kpi_name":
            out[name] = _text(value, name, KPI_NAME_MAX)
        elif name == "unit":
            out[name] = _text(value, name, KPI_UNIT_MAX)
        elif name in ("due_date", "measurement_start"):
            out[name] = _date(value, name, contract)
        elif name in DECIMAL_FIELDS:
            out[name] = _number(value, name)
        elif name in PARTY_FIELDS:
            out[name] = _party(setting, value, name)
        elif name == "owner":
            if value in (None, ""):
                out[name] = None
            else:
                try:
                    pk = int(value)
                except (TypeError, ValueError):
                    pk = 0
                if pk not in setting.people:
                    raise DomainError(
                        "owner_not_member",
                        "The owner is a member of a party to this contract.",
                        field=name,
                    )
                out[name] = pk
        elif name == "criticality":
            if value not in Criticality.values:
                raise DomainError("invalid_criticality", "Choose critical or standard.", field=name)
        elif name == "direction":
            if value not in Direction.values:
                raise DomainError("invalid_direction", "Choose at least or at most.", field=name)
        elif name == "period":
            if value not in Period.values:
                raise DomainError(
                    "invalid_period", "Choose a day, week, month or quarter.", field=name
                )
        elif name == "per":
            if value not in ("", None, *DamagesUnit.values):
                raise DomainError("invalid_unit", "Damages run per day or per week.", field=name)
            out[name] = value or ""
        elif name in ("depends_on", "trigger", "milestone"):
            out[name] = _reference(setting, value, name, keys, own_key)
        elif name == "required_parties":
            if not isinstance(value, list):
                raise DomainError(
                    "invalid_parties", "Choose the parties whose approval it needs.", field=name
                )
            parties = [_party(setting, v, name) for v in value]
            chosen = [p for p in parties if p is not None]
            if len(set(chosen)) != len(chosen):
                raise DomainError(
                    "duplicate_approver", "Name each required party once.", field=name
                )
            out[name] = chosen
        elif name == "recurring":
            if value not in (None, "", "daily", "weekly", "monthly", "quarterly", "yearly"):
                raise DomainError(
                    "invalid_recurrence",
                    "It recurs daily, weekly, monthly, quarterly or yearly.",
                    field=name,
                )
            out[name] = value or None
    if out.get("amount") is not None and out.get("percentage") is not None:
        raise DomainError(
            "amount_or_percentage",
            "Give either an amount or a percentage of the contract value, not both.",
            field="amount",
        )
    return out
