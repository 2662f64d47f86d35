"""Preview an OCDS file's contracts, or with --apply create one of them."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from milepost.accounts.selectors import user_get_by_username
from milepost.contracts.selectors import organisations_known_to
from milepost.core.errors import DomainError
from milepost.interchange.ocds.reader import ocds_read
from milepost.interchange.ocds.services import ocds_import_apply, ocds_preview
from milepost.interchange.uploads import Upload, import_max_bytes


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date such as 2026-12-06.") from exc


class Command(BaseCommand):
    help = (
        "Show the contracts, parties and milestones of an OCDS release or record package; "
        "with --apply, create one (--contract KEY, default the first) for --organisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="who imports (a manager to apply)")
        parser.add_argument("--apply", action="store_true", help="create the contract")
        parser.add_argument("--contract", default="", help="which contract: its key as listed")
        parser.add_argument("--organisation", default="", help="your organisation's slug")
        parser.add_argument("--role", default="client", help="its role: client, supplier, ...")
        parser.add_argument("--counterparty", default="", help="the other party's slug")
        parser.add_argument(
            "--party",
            action="append",
            default=[],
            help="map a party of the file: OCDS_PARTY_ID=ORGANISATION_SLUG (repeatable)",
        )
        parser.add_argument("--reference", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--value", default="")
        parser.add_argument("--currency", default="")
        parser.add_argument("--start", type=_day)
        parser.add_argument("--end", type=_day)

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_get_by_username(username=options["user"])
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        path: Path = options["file"]
        if path.stat().st_size > import_max_bytes():
            raise CommandError(f"{path} is larger than an import takes.")
        upload = Upload(name=path.name, data=path.read_bytes())
        try:
            contracts = ocds_read(upload.data)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for c in contracts:
            self.stdout.write(f"{c.key}: {c.title or 'untitled'}")
            self.stdout.write(
                f"  value: {c.value if c.value is not None else 'not given'} {c.currency}"
            )
            for p in c.parties:
                self.stdout.write(f"  party {p.id}: {p.name or 'unnamed'} ({', '.join(p.roles)})")
            for m in c.milestones:
                due = m.due.isoformat() if m.due else "no due date (left out)"
                self.stdout.write(f"  milestone {m.id}: {m.title or m.id}, due {due}")
            for gap in c.missing:
                self.stdout.write(f"  missing: {gap}")
        if not options["apply"]:
            return
        known = {o.slug: o for o in organisations_known_to(user=user)}

        def org(slug: str) -> Any:
            if slug not in known:
                raise CommandError(f"{user.username} works with no organisation '{slug}'.")
            return known[slug]

        party_map = {}
        for pair in options["party"]:
            party_id, _, slug = pair.partition("=")
            party_map[party_id] = org(slug).pk
        try:
            with transaction.atomic():
                batch = ocds_preview(upload=upload, actor=user)
                contract = ocds_import_apply(
                    batch=batch,
                    actor=user,
                    contract_key=options["contract"] or contracts[0].key,
                    organisation=org(options["organisation"]),
                    party_role=options["role"],
                    party_map=party_map,
                    counterparty=org(options["counterparty"]) if options["counterparty"] else None,
                    reference=options["reference"],
                    title=options["title"],
                    value=options["value"] or None,
                    currency=options["currency"],
                    start_date=options["start"],
                    end_date=options["end"],
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created contract {contract.reference} (id {contract.pk}) as a draft.")
