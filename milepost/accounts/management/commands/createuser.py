"""Create a user and give them a role in an organisation."""

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from milepost.accounts.choices import Role
from milepost.accounts.selectors import organisation_find
from milepost.accounts.services import membership_set, organisation_create, user_create
from milepost.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a user who can sign in, as a member of an organisation (created if new)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--organisation", required=True, help="organisation slug, or a new organisation's name"
        )
        parser.add_argument("--role", choices=Role.values, default=Role.MEMBER)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--time-zone", default="Europe/London")
        parser.add_argument(
            "--operator", action="store_true", help="may also sign in to the Django admin"
        )
        parser.add_argument(
            "--password",
            default=None,
            help="else MILEPOST_PASSWORD, else asked for on the terminal",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        password = opts["password"] or os.environ.get("MILEPOST_PASSWORD")
        if not password:
            if not sys.stdin.isatty():
                raise CommandError("Give --password or MILEPOST_PASSWORD when not at a terminal.")
            password = getpass.getpass("Password: ")
        try:
            with transaction.atomic():
                given = opts["organisation"].strip()
                org = organisation_find(name_or_slug=given) or organisation_create(
                    name=given, actor=None
                )
                user = user_create(
                    username=opts["username"],
                    password=password,
                    email=opts["email"],
                    first_name=opts["first_name"],
                    last_name=opts["last_name"],
                    time_zone=opts["time_zone"],
                    operator=opts["operator"],
                    actor=None,
                )
                membership_set(user=user, organisation=org, role=opts["role"], actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.username}, {opts['role']} at {org.name}.")
        )
