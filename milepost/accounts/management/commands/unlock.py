"""Unlock a username or a client address locked out by too many failed sign-ins or tokens."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milepost.accounts.throttle import login_unlock
from milepost.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Clear the failed sign-ins of a username (on every address), of a client address "
        "(--ip, which also clears its failed API tokens), or of both together."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="", help="The username to unlock.")
        parser.add_argument("--ip", default="", help="The client address to unlock.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cleared = login_unlock(username=options["username"], ip_address=options["ip"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        who = " at ".join(part for part in (options["username"], options["ip"]) if part)
        self.stdout.write(self.style.SUCCESS(f"Unlocked {who}: {cleared} failed attempts cleared."))
