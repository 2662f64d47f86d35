"""Check the audit trail's hash chain from the first event to the last."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from milepost.audit.selectors import chain_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and report the first tampered event, if any."

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify()
        if not report.intact:
            raise CommandError(
                f"The audit trail is broken at event {report.first_broken_id} "
                f"(after {report.checked} intact events)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"The audit trail is intact: {report.checked} events checked.")
        )
