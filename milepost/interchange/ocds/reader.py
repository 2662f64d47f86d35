"""Reading a published OCDS file into the contracts, parties and milestones it holds.

Accepts a release package, a record package, a single record or a single release. Releases of
the same ocid are merged in date order (objects merged field by field, arrays of objects with an
``id`` merged by id, anything else replaced), as the standard's merge routine does; a record's
``compiledRelease`` is used as published when it has one.

The file is checked against Milepost's own schema of the fields it reads (``SUBSET_SCHEMA``,
written here from the standard, not copied from it): a file that breaks any of them is refused
with every message, naming where in the file it is. Missing optional fields are reported in the
preview and never guessed.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft7Validator

from milepost.core.errors import DomainError

# Closed codelists of OCDS 1.1.5 for the fields read here, and the open milestone type codelist.
MILESTONE_STATUSES = ["scheduled", "met", "notMet", "partiallyMet"]
CONTRACT_STATUSES = ["pending", "active", "cancelled", "terminated"]
MESSAGES_SHOWN = 50
# How the codelists' codes read on screen (their titles in the standard); others show as given.
ROLE_WORDS = {
    "buyer": "buyer",
    "procuringEntity": "procuring entity",
    "supplier": "supplier",
    "tenderer": "tenderer",
    "funder": "funder",
    "enquirer": "enquirer",
    "payer": "payer",
    "payee": "payee",
    "reviewBody": "review body",
    "interestedParty": "interested party",
}
TYPE_WORDS = {
    "preProcurement": "Pre-procurement",
    "approval": "Approval",
    "engagement": "Engagement",
    "assessment": "Assessment",
    "delivery": "Delivery",
    "reporting": "Reporting",
    "financing": "Financing",
    "payment": "Payment",
}


def roles_in_words(roles: list[str]) -> str:
    """A party's OCDS roles as a person reads them: "buyer, procuring entity"."""
    return ", ".join(ROLE_WORDS.get(r, r) for r in roles)


_TEXT = {"type": ["string", "null"]}
_DATE = {"type": ["string", "null"], "format": "date-time"}
_ID = {"type": ["string", "integer"], "minLength": 1}
_VALUE = {
    "type": ["object", "null"],
    "properties": {
        "amount": {"type": ["number", "string", "null"]},
        "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
    },
}
_PERIOD = {"type": ["object", "null"], "properties": {"startDate": _DATE, "endDate": _DATE}}
_DOCUMENTS = {"type": "array", "items": {"type": "object"}}
_MILESTONE = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": _ID,
        "title": _TEXT,
        "type": _TEXT,
        "description": _TEXT,
        "dueDate": _DATE,
        "dateMet": _DATE,
        "dateModified": _DATE,
        "status": {"enum": [*MILESTONE_STATUSES, None]},
        "documents": _DOCUMENTS,
    },
}
_MILESTONES = {"type": "array", "items": _MILESTONE}
_RELEASE = {
    "type": "object",
    "required": ["ocid", "id", "date"],
    "properties": {
        "ocid": {"type": "string", "minLength": 1},
        "id": _ID,
        "date": _DATE,
        "parties": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _ID,
                    "name": _TEXT,
                    "roles": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "planning": {"type": "object", "properties": {"milestones": _MILESTONES}},
        "tender": {
            "type": "object",
            "properties": {
                "title": _TEXT,
                "value": _VALUE,
                "contractPeriod": _PERIOD,
                "milestones": _MILESTONES,
                "documents": _DOCUMENTS,
            },
        },
        "awards": {"type": "array", "items": {"type": "object", "required": ["id"]}},
        "contracts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": _ID,
                    "title": _TEXT,
                    "description": _TEXT,
                    "status": {"enum": [*CONTRACT_STATUSES, None]},
                    "value": _VALUE,
                    "period": _PERIOD,
                    "milestones": _MILESTONES,
                    "documents": _DOCUMENTS,
                    "implementation": {
                        "type": "object",
                        "properties": {"milestones": _MILESTONES, "documents": _DOCUMENTS},
                    },
                },
            },
        },
    },
}
SUBSET_SCHEMA: dict[str, Any] = {"$schema": "http://json-schema.org/draft-07/schema#", **_RELEASE}


@dataclass
class OcdsParty:
    """An organisation the file names, with its roles there."""

    id: str
    name: str
    roles: list[str]


@dataclass
class OcdsMilestone:
    """A milestone as published; ``due`` is None when the file gives no due date."""

    id: str
    title: str
    type: str
    status: str
    due: dt.date | None
    met: dt.date | None
    description: str = ""


@dataclass
class OcdsContract:
    """One contract (or, without any, the tender) of one contracting process in the file."""

    key: str
    ocid: str
    id: str
    title: str
    description: str
    status: str
    value: Decimal | None
    currency: str
    start: dt.date | None
    end: dt.date | None
    parties: list[OcdsParty]
    milestones: list[OcdsMilestone]
    missing: list[str] = field(default_factory=list)
    from_tender: bool = False


class OcdsInvalid(DomainError):
    """The file breaks the fields Milepost reads; ``messages`` says where and how."""

    def __init__(self, messages: list[str]) -> None:
        shown = messages[:MESSAGES_SHOWN]
        more = len(messages) - len(shown)
        text = " ".join(shown) + (f" ({more} more.)" if more else "")
        super().__init__("invalid_ocds", f"The OCDS file is not valid: {text}", field="file")
        self.messages = messages


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/".join(parts) if parts else "the top level"


def validate_release(release: dict[str, Any], prefix: str) -> list[str]:
    """Every way ``release`` breaks ``SUBSET_SCHEMA``, each naming the place in the file."""
    validator = Draft7Validator(SUBSET_SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
    messages = []
    for error in sorted(validator.iter_errors(release), key=lambda e: list(map(str, e.path))):
        where = _where([*prefix.split("/"), *error.path] if prefix else error.path)
        messages.append(f"{where}: {error.message}.")
    return messages


def _releases(data: Any) -> list[tuple[str, Any]]:
    """The releases to read, each with the place it sits in the file."""
    if not isinstance(data, dict):
        raise OcdsInvalid(["the top level: an OCDS file holds a JSON object."])
    if isinstance(data.get("releases"), list) and "records" not in data:
        if isinstance(data.get("compiledRelease"), dict):  # a single record
            return [("compiledRelease", data["compiledRelease"])]
        if not data["releases"]:
            raise OcdsInvalid(["releases: the package holds no releases."])
        return [(f"releases/{i}", r) for i, r in enumerate(data["releases"])]
    if isinstance(data.get("records"), list):
        out: list[tuple[str, Any]] = []
        for i, record in enumerate(data["records"]):
            if not isinstance(record, dict):
                raise OcdsInvalid([f"records/{i}: a record is a JSON object."])
            if isinstance(record.get("compiledRelease"), dict):
                out.append((f"records/{i}/compiledRelease", record["compiledRelease"]))
                continue
            releases = record.get("releases") or []
            if not isinstance(releases, list):
                raise OcdsInvalid([f"records/{i}/releases: a record's releases are a JSON list."])
            full = [
                (f"records/{i}/releases/{j}", r)
                for j, r in enumerate(releases)
                if isinstance(r, dict) and "ocid" in r
            ]
            if not full:
                raise OcdsInvalid(
                    [
                        f"records/{i}: the record links to its releases without including them "
                        "and has no compiled release; download the releases and import those."
                    ]
                )
            out.extend(full)
        if not out:
            raise OcdsInvalid(["records: the package holds no records."])
        return out
    if "ocid" in data:
        return [("", data)]
    raise OcdsInvalid(
        ["the top level: this is not an OCDS release, record, release package or record package."]
    )


def merge(earlier: Any, later: Any) -> Any:
    """Merge a later release into an earlier one, as OCDS compiles a record."""
    if isinstance(earlier, dict) and isinstance(later, dict):
        out = dict(earlier)
        for key, value in later.items():
            out[key] = merge(earlier[key], value) if key in earlier else value
        return out
    if (
        isinstance(earlier, list)
        and isinstance(later, list)
        and all(isinstance(x, dict) and "id" in x for x in [*earlier, *later])
    ):
        by_id = {str(x["id"]): x for x in earlier}
        for item in later:
            key = str(item["id"])
            by_id[key] = merge(by_id[key], item) if key in by_id else item
        return list(by_id.values())
    return later


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _milestones(rows: Any) -> list[OcdsMilestone]:
    return [
        OcdsMilestone(
            id=str(m["id"]),
            title=_text(m.get("title")),
            type=_text(m.get("type")),
            status=_text(m.get("status")),
            due=_date(m.get("dueDate")),
            met=_date(m.get("dateMet")),
            description=_text(m.get("description")),
        )
        for m in rows or []
        if isinstance(m, dict)
    ]


def _amount(value: Any) -> tuple[Decimal | None, str]:
    if not isinstance(value, dict):
        return None, ""
    currency = _text(value.get("currency"))
    try:
        amount = Decimal(str(value["amount"])) if value.get("amount") is not None else None
    except InvalidOperation:
        amount = None
    return amount, currency


def _contracts(ocid: str, release: dict[str, Any]) -> list[OcdsContract]:
    parties = [
        OcdsParty(
            id=str(p.get("id", "")), name=_text(p.get("name")), roles=list(p.get("roles") or [])
        )
        for p in release.get("parties") or []
    ]
    tender = release.get("tender") or {}
    found: list[OcdsContract] = []
    for c in release.get("contracts") or []:
        amount, currency = _amount(c.get("value"))
        period = c.get("period") or {}
        found.append(
            OcdsContract(
                key=f"{ocid}/{c['id']}",
                ocid=ocid,
                id=str(c["id"]),
                title=_text(c.get("title")) or _text(tender.get("title")),
                description=_text(c.get("description")),
                status=_text(c.get("status")),
                value=amount,
                currency=currency,
                start=_date(period.get("startDate")),
                end=_date(period.get("endDate")),
                parties=parties,
                milestones=_milestones(c.get("milestones"))
                + _milestones((c.get("implementation") or {}).get("milestones")),
            )
        )
    if not found and tender:
        amount, currency = _amount(tender.get("value"))
        period = tender.get("contractPeriod") or {}
        found.append(
            OcdsContract(
                key=f"{ocid}/tender",
                ocid=ocid,
                id=str(tender.get("id") or ocid),
                title=_text(tender.get("title")),
                description=_text(tender.get("description")),
                status="",
                value=amount,
                currency=currency,
                start=_date(period.get("startDate")),
                end=_date(period.get("endDate")),
                parties=parties,
                milestones=_milestones(tender.get("milestones")),
                from_tender=True,
            )
        )
    for contract in found:
        contract.missing = _missing(contract)
    return found


def _missing(c: OcdsContract) -> list[str]:
    gaps = []
    if c.from_tender:
        gaps.append("The process has no contract yet; this is read from its tender.")
    for label, value in (
        ("title", c.title),
        ("value", c.value),
        ("currency", c.currency),
        ("start date", c.start),
        ("end date", c.end),
    ):
        if value in (None, ""):
            gaps.append(f"The file gives no {label}.")
    if not c.parties:
        gaps.append("The file names no parties.")
    for m in c.milestones:
        name = m.title or m.id
        if m.due is None:
            gaps.append(f"Milestone '{name}' has no due date and will not be imported.")
        elif c.start is not None and m.due < c.start:
            gaps.append(
                f"Milestone '{name}' is due before the contract starts and will not be imported."
            )
        if not m.title:
            gaps.append(f"Milestone {m.id} has no title; its id is used instead.")
    return gaps


def ocds_read(data: bytes) -> list[OcdsContract]:
    """Read an OCDS file into its contracts, or raise ``OcdsInvalid`` with every message."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OcdsInvalid([f"the file is not JSON ({exc})."]) from exc
    except RecursionError as exc:  # a hostile file nests arrays thousands deep
        raise OcdsInvalid(["the file nests its data too deeply to be OCDS."]) from exc
    releases = _releases(parsed)
    messages: list[str] = []
    for where, release in releases:
        messages.extend(validate_release(release, where))
    if messages:
        raise OcdsInvalid(messages)
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for _, release in releases:
        by_ocid.setdefault(release["ocid"], []).append(release)
    contracts: list[OcdsContract] = []
    for ocid, group in by_ocid.items():
        compiled: dict[str, Any] = {}
        for release in sorted(group, key=lambda r: str(r.get("date") or "")):
            compiled = merge(compiled, release)
        contracts.extend(_contracts(ocid, compiled))
    if not contracts:
        raise DomainError(
            "nothing_to_import",
            "The file holds no contract or tender to import.",
            field="file",
        )
    return contracts
