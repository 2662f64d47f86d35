"""Import milestones into a contract, or contracts into an organisation, from CSV or XLSX."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.models import Organisation, User
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import DomainError
from milepost.interchange.sheets.contracts import contract_sheet_apply, contract_sheet_preview
from milepost.interchange.sheets.milestones import milestone_sheet_apply, milestone_sheet_preview
from milepost.interchange.uploads import Upload, import_max_bytes, upload_name


class Command(BaseCommand):
    help = (
        "Read a milestone sheet into a contract (--contract) or a contract sheet into an "
        "organisation (--organisation), as USER, and print the preview: what would be created, "
        "updated or left unchanged and every row's error. With --apply, write it all in one "
        "transaction, or nothing if any row has an error (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--as", dest="username", required=True, help="who imports")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--contract", help="import milestones: the contract's reference or number"
        )
        target.add_argument("--organisation", help="import contracts: the organisation's slug")
        parser.add_argument("--apply", action="store_true", help="write it, not just preview")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > import_max_bytes():
            raise CommandError(f"{path.name} is larger than an import takes.")
        upload = Upload(name=upload_name(path.name), data=path.read_bytes())
        try:
            if options["contract"]:
                contract = self._contract(user, options["contract"])
                batch = milestone_sheet_preview(contract=contract, upload=upload, actor=user)
            else:
                organisation = Organisation.objects.filter(
                    slug=options["organisation"], memberships__user=user
                ).first()
                if organisation is None:
                    raise CommandError(f"{user.username} is not in {options['organisation']}.")
                batch = contract_sheet_preview(organisation=organisation, upload=upload, actor=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        counts = ", ".join(
            f"{k.replace('_', ' ')}: {v}" for k, v in batch.preview["counts"].items()
        )
        self.stdout.write(f"{upload.name} ({upload.sha256[:12]}): {counts}")
        for error in batch.preview["errors"]:
            self.stdout.write(f"  {error}")
        if batch.error_count:
            raise CommandError(f"{batch.error_count} error(s): nothing was imported.")
        if not options["apply"]:
            self.stdout.write("Preview only: run again with --apply to import it.")
            return
        try:
            if options["contract"]:
                batch = milestone_sheet_apply(batch=batch, actor=user)
            else:
                batch = contract_sheet_apply(batch=batch, actor=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {upload.name} (import {batch.pk})."))

    def _contract(self, user: User, wanted: str) -> Any:
        visible = contracts_for_user(user=user)
        found = visible.filter(reference=wanted).order_by("id").first()
        if found is None and wanted.isdigit():
            found = visible.filter(pk=int(wanted)).first()
        if found is None:
            raise CommandError(f"{user.username} can see no contract {wanted}.")
        return found
