"""List the contract templates, preview a contract from one, or with --apply create it."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.models import Organisation, User
from milepost.accounts.selectors import organisation_find, user_get_by_username
from milepost.core.errors import DomainError
from milepost.interchange.templating.builtins import BUILT_INS
from milepost.interchange.templating.plan import day_text
from milepost.interchange.templating.selectors import (
    contract_templates_for_user,
    template_source_for_user,
)
from milepost.interchange.templating.services import (
    Setup,
    contract_from_template,
    template_setup_check,
)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date such as 2027-03-01.") from exc


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise CommandError(
                f"Give {what} as ROLE=VALUE, such as supplier=northgate-construction."
            )
        pairs[key.strip()] = value.strip()
    return pairs


class Command(BaseCommand):
    help = (
        "Without a template, list the templates USER may use. With one (a built-in slug or a "
        "saved template's id), preview every milestone with its date and amount; with --apply, "
        "create the contract in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("template", nargs="?", default="", help="slug or id; empty lists them")
        parser.add_argument("--user", required=True, help="who sets the contract up (a manager)")
        parser.add_argument("--apply", action="store_true", help="create the contract")
        parser.add_argument("--title", default="")
        parser.add_argument("--reference", default="")
        parser.add_argument("--value", help="The contract's value (required to set one up).")
        parser.add_argument("--currency", default="GBP")
        parser.add_argument("--start", type=_day, help="the start date, such as 2027-03-01")
        parser.add_argument(
            "--role",
            default="",
            help="your organisation's role key (default: the template's lead role)",
        )
        parser.add_argument(
            "--party",
            action="append",
            default=[],
            help="ROLE=ORGANISATION (slug or name) for each of the template's roles; repeatable",
        )
        parser.add_argument(
            "--owner",
            action="append",
            default=[],
            help="ROLE=USERNAME who owns that role's milestones (default: you); repeatable",
        )
        parser.add_argument("--holiday-country", default="GB")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_get_by_username(username=options["user"])
        if user is None:
            raise CommandError(f"No user {options['user']}.")
        if not options["template"]:
            for built_in in BUILT_INS.values():
                self.stdout.write(f"{built_in.slug}: {built_in.name} (built in)")
            for saved in contract_templates_for_user(user=user):
                self.stdout.write(f"{saved.pk}: {saved.name} ({saved.organisation})")
            return
        try:
            source = template_source_for_user(user=user, key=options["template"])
            setup = self._setup(options, source.body.lead_role)
            plan = template_setup_check(source=source, setup=setup, actor=user)
            for m in plan.milestones:
                amount = f", {m.amount_text}" if m.amount_text else ""
                left = f" — {m.left_out}" if m.left_out else ""
                self.stdout.write(
                    f"{m.spec.key}: {m.spec.title} ({m.kind_label.lower()}, {m.responsible}) "
                    f"due {day_text(m.due_date)}: {m.basis}{amount}{left}"
                )
            for note in plan.notes:
                self.stdout.write(note)
            if not options["apply"]:
                self.stdout.write("Preview only: add --apply to create the contract.")
                return
            contract = contract_from_template(source=source, setup=setup, actor=user)
        except DomainError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise CommandError(f"{where}{exc.message}") from exc
        self.stdout.write(
            f"Created contract {contract.reference} (id {contract.pk}) as a draft with "
            f"{contract.milestones.count()} milestones."
        )

    def _setup(self, options: dict[str, Any], lead: str) -> Setup:
        if not options["value"]:
            raise CommandError(
                "Give --value, the contract's value: payment stages are shares of it."
            )
        parties: dict[str, Organisation | None] = {}
        for key, name in _pairs(options["party"], "--party").items():
            parties[key] = organisation_find(name_or_slug=name)
            if parties[key] is None:
                raise CommandError(f"No organisation {name}.")
        owners: dict[str, User | None] = {}
        for key, username in _pairs(options["owner"], "--owner").items():
            owners[key] = user_get_by_username(username=username)
            if owners[key] is None:
                raise CommandError(f"No user {username}.")
        return Setup(
            title=options["title"],
            reference=options["reference"],
            value=options["value"],
            currency=options["currency"],
            start_date=options["start"],
            our_role=options["role"] or lead,
            parties=parties,
            owners=owners,
            holiday_country=options["holiday_country"],
        )
