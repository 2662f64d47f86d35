"""Write a contract as an OCDS 1.1.5 release package."""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from milepost.accounts.selectors import user_get_by_username
from milepost.contracts.selectors import contracts_for_user
from milepost.interchange.ocds.export import contract_release_package


class Command(BaseCommand):
    help = "Write a contract (its id or reference) as an OCDS release package, as USER sees it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contract", help="the contract's id or reference")
        parser.add_argument("--user", required=True, help="whose view of the data")
        parser.add_argument("--output", type=Path, help="write here (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_get_by_username(username=options["user"])
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        visible = contracts_for_user(user=user)
        wanted = options["contract"]
        contract = visible.filter(reference=wanted).first()
        if contract is None and wanted.isdigit():
            contract = visible.filter(pk=int(wanted)).first()
        if contract is None:
            raise CommandError(f"No contract {wanted} that {user.username} can see.")
        uri = f"{settings.MILEPOST_BASE_URL}/api/v1/contracts/{contract.pk}/ocds"
        text = json.dumps(
            contract_release_package(contract=contract, uri=uri),
            indent=2,
            ensure_ascii=False,
            cls=DjangoJSONEncoder,
        )
        if options["output"]:
            options["output"].write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote {options['output']}.")
        else:
            self.stdout.write(text)
