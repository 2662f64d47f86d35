"""Load the demo contracts once and print the logins."""

from typing import Any

from django.core.management.base import BaseCommand

from milepost.operations.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = (
        "Load realistic demo contracts dated relative to today (safe to run again: it loads once)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data loaded: {result.contracts} contracts across "
                    f"{result.organisations} organisations."
                )
            )
        else:
            self.stdout.write("Demo data is already loaded; nothing changed.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<6} {role}")
