"""``milepost extract FILE [--json]``: what Milepost reads from a contract document, offline.

It touches no database: the file is read (PDF text layer, DOCX, text or Markdown) and the
extractor's proposals are printed, readable or as the JSON object documented in the README
(``milepost/extraction/schema/extraction.schema.json``). An unreadable or unsupported file
exits with status 2 and says why.
"""

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.core.errors import DomainError
from milepost.extraction.documents import FORMAT_NAMES, read_document

KINDS = {
    "deliverable": "Deliverable",
    "payment": "Payment",
    "performance": "Target",
    "gate": "Gate",
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UNITS = {"calendar": "days", "working": "working days", "weeks": "weeks", "months": "months"}


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def _money(amount: str | None, currency: str | None) -> str:
    if amount is None:
        return "blank"
    whole = f"{Decimal(amount):,.2f}"
    return f"{currency} {whole}" if currency else whole


def _when(p: dict[str, Any]) -> str:
    parts = []
    if p["due"]:
        parts.append(f"due {_date(p['due'])}")
    relative = p["relative"]
    if relative and p["recurring"]:
        unit = UNITS.get(relative["unit"], relative["unit"])
        parts.append(f"{p['recurring']}, by {relative['offset']} {unit} into each period")
    elif relative:
        unit = UNITS.get(relative["unit"], relative["unit"])
        offset = relative["offset"]
        if offset:
            parts.append(
                f"{abs(offset)} {unit} {'after' if offset > 0 else 'before'} {relative['anchor']}"
            )
        else:
            parts.append(f"on {relative['anchor']}")
    elif p["recurring"]:
        parts.append(p["recurring"])
    if p["depends_on"]:
        parts.append(f"after {p['depends_on']}")
    return ", ".join(parts) or "no date stated"


def _what(p: dict[str, Any]) -> str:
    bits = []
    if p["percent"] is not None:
        bits.append(f"{p['percent']}%")
    if p["amount"] is not None:
        bits.append(_money(p["amount"], p["currency"]))
    if p["target"] is not None:
        direction = {"at_least": "at least", "at_most": "at most"}.get(p["direction"] or "", "")
        bits.append(" ".join(b for b in (direction, f"{p['target']}", p["unit"] or "") if b))
    if p["parties"]:
        bits.append(" and ".join(p["parties"]))
    return "; ".join(bits)


def _where(citation: dict[str, Any]) -> str:
    bits = []
    if citation.get("clause"):
        bits.append(f"clause {citation['clause']}")
    if citation.get("page"):
        bits.append(f"page {citation['page']}")
    return ", ".join(bits) or f"characters {citation['start']} to {citation['end']}"


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def readable(name: str, pages: int, chars: int, fmt: str, result: dict[str, Any]) -> str:
    """The extraction as a person reads it: facts, proposals with their words, damages."""
    order = "day/month/year" if result["date_order"] == "dmy" else "month/day/year"
    page_words = f"{pages} page{'s' if pages != 1 else ''}, " if pages else ""
    lines = [
        f"{name} ({FORMAT_NAMES.get(fmt, fmt)}): {page_words}{chars:,} characters; "
        f"dates read as {order}."
    ]
    if result["parties"]:
        lines.append("Parties:")
        for party in result["parties"]:
            role = f" ({party['role']})" if party["role"] else ""
            lines.append(f"  {party['name']}{role}")
    if result["facts"]:
        lines.append("What it says about the contract:")
        for fact, found in result["facts"].items():
            value = found["value"]
            if isinstance(value, dict):
                value = value.get("text") or json.dumps(value)
            elif isinstance(value, str) and ISO_DATE.fullmatch(value):
                value = _date(value)
            lines.append(
                f"  {fact.replace('_', ' ').capitalize()}: {value} [{_where(found['citation'])}]"
            )
    proposals = result["proposals"]
    lines.append(f"Proposals ({len(proposals)}):" if proposals else "No milestones proposed.")
    for p in proposals:
        what = _what(p)
        lines.append(
            f"  {p['key']:<4} {KINDS.get(p['kind'], p['kind']):<11} {p['title']}"
            f"{f' ({what})' if what else ''}: {_when(p)}"
        )
        doubt = f"; unsure of {', '.join(p['ambiguous'])}" if p["ambiguous"] else ""
        lines.append(
            f"       [{_where(p['citation'])}; confidence {p['confidence']:.2f}{doubt}] "
            f"“{_quote(p['citation']['quote'])}”"
        )
    if result["damages"]:
        lines.append("Delay damages:")
    for d in result["damages"]:
        if d["blank"]:
            rate = "the rate is left blank"
        elif d["rate"] is not None:
            rate = f"{_money(d['rate'], d['currency'])} per {d['per'] or 'period'}"
        elif d["rate_percent"] is not None:
            rate = f"{d['rate_percent']}% per {d['per_days'] or d['per'] or 'period'} days"
        else:
            rate = "no rate stated"
        cap = ""
        if d["cap"] is not None:
            cap = f", capped at {_money(d['cap'], d['currency'])}"
        elif d["cap_percent"] is not None:
            cap = f", capped at {d['cap_percent']}%"
        lines.append(f"  {rate}{cap} [{_where(d['citation'])}] “{_quote(d['citation']['quote'])}”")
    for warning in result["warnings"]:
        lines.append(f"Note: {warning}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Read a contract document (PDF with a text layer, DOCX, TXT or MD) and print the "
        "milestones, payments, targets, gates and delay damages it states, each with the words "
        "it came from. Nothing is stored. With --json, print the JSON object the README "
        "documents. Exit status 2 if the file cannot be read."
    )
    # It reads a file, not the database: no checks that would open a connection.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the contract document: .pdf, .docx, .txt or .md")
        parser.add_argument(
            "--json", action="store_true", help="print the extraction as one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from milepost.extraction.kernel import extract

        path = Path(options["file"])
        try:
            if not path.is_file():
                raise CommandError(f"No file {path}.", returncode=2)
            size = path.stat().st_size
            if size > int(settings.MILEPOST_EXTRACTION_MAX_BYTES):
                raise CommandError(
                    f"{path.name} is {size:,} bytes; Milepost reads contract documents of up "
                    f"to {int(settings.MILEPOST_EXTRACTION_MAX_BYTES):,} bytes.",
                    returncode=2,
                )
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path} cannot be read: {exc.strerror}.", returncode=2) from exc
        try:
            document = read_document(data, path.name)
        except DomainError as exc:
            raise CommandError(f"{path.name}: {exc.message}", returncode=2) from exc
        result = extract(document.text, pages=document.pages or None).to_json()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            readable(path.name, len(document.pages), len(document.text), document.format, result)
        )
