"""Preview a programme file against a contract, or with --apply import it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.selectors import user_get_by_username
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contracts_for_user
from milepost.core.errors import DomainError
from milepost.interchange.programmes.services import (
    programme_apply,
    programme_plan,
    programme_preview,
)
from milepost.interchange.uploads import Upload, import_max_bytes


class Command(BaseCommand):
    help = (
        "Show what importing a programme (MS Project .mpp/.xml, P6 .xer/.pmxml, Planner, "
        "Phoenix, GanttProject) into a contract would do; with --apply, import it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--contract", required=True, help="the contract's reference or id")
        parser.add_argument("--user", required=True, help="who imports (a manager of a party)")
        parser.add_argument("--apply", action="store_true", help="write the import")
        parser.add_argument(
            "--task", action="append", default=[], help="a task id to import (repeatable)"
        )
        parser.add_argument("--all", action="store_true", help="import every task")
        parser.add_argument("--party", default="", help="responsible party's organisation slug")
        parser.add_argument("--accepting", default="", help="accepting party's organisation slug")
        parser.add_argument("--owner", default="", help="the owner's username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_get_by_username(username=options["user"])
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        contract = self._contract(user, options["contract"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > import_max_bytes():
            raise CommandError(f"{path} is larger than an import takes.")
        try:
            batch = programme_preview(
                contract=contract, upload=Upload(name=path.name, data=path.read_bytes()), actor=user
            )
            chosen = self._options(batch, contract, options)
            plan = programme_plan(batch=batch, actor=user, options=chosen)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summary = batch.preview["summary"]
        self.stdout.write(
            f"{summary['format']}: {summary['tasks']} tasks ({summary['summary_tasks']} summary), "
            f"{summary['milestones']} milestones, {summary['links']} links; calendar "
            f"{summary['calendar'] or 'not named'}."
        )
        for row in plan["rows"]:
            if row["chosen"]:
                what = row["problem"] or row["status"]
                self.stdout.write(f"  {row['uid']}: {row['name']}, due {row['due_text']}: {what}")
        for link in plan["links"]:
            self.stdout.write(
                f"  link {link['predecessor']} → {link['successor']} {link['type']} "
                f"lag {link['lag']}{'' if link['exact'] else ' (approximate)'}"
            )
        for problem in plan["errors"]:
            self.stderr.write(problem)
        if not options["apply"]:
            self.stdout.write(f"Preview only (import {batch.pk}); add --apply to import.")
            return
        try:
            applied = programme_apply(batch=batch, actor=user, options=chosen)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            "Imported: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in applied.counts.items())
        )

    def _contract(self, user: Any, key: str) -> Contract:
        contracts = contracts_for_user(user=user)
        found = contracts.filter(reference=key).first()
        if found is None and key.isdigit():
            found = contracts.filter(pk=int(key)).first()
        if found is None:
            raise CommandError(f"No contract {key} that {user} can see.")
        return found

    def _options(self, batch: Any, contract: Contract, options: dict[str, Any]) -> dict[str, Any]:
        chosen = dict(batch.options)
        if options["all"]:
            chosen["tasks"] = [task["uid"] for task in batch.preview["programme"]["tasks"]]
        elif options["task"]:
            chosen["tasks"] = options["task"]
        parties = {
            p.organisation.slug: p.pk for p in contract.parties.select_related("organisation")
        }
        for flag, key in (("party", "responsible_party"), ("accepting", "accepting_party")):
            if options[flag]:
                if options[flag] not in parties:
                    raise CommandError(f"{options[flag]} is not a party to {contract.reference}.")
                chosen[key] = parties[options[flag]]
        if options["owner"]:
            owner = user_get_by_username(username=options["owner"])
            if owner is None:
                raise CommandError(f"No user {options['owner']}.")
            chosen["owner"] = owner.pk
        return chosen
