"""Forecast every active contract (or one), printing one line per contract."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError

from milepost.core.errors import DomainError
from milepost.schedule.forecasts import DEFAULT_RUNS, contracts_to_forecast, forecast_run


class Command(BaseCommand):
    help = (
        "Run the Monte Carlo forecast of every active contract (or of --contract), updating its "
        "milestones' forecast dates, chances and leading signals. Schedule it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contract", type=int, help="only this contract (its id)")
        parser.add_argument(
            "--runs", type=int, default=DEFAULT_RUNS, help=f"runs (default {DEFAULT_RUNS:,})"
        )
        parser.add_argument("--seed", type=int, help="seed (default: a random one per contract)")

    def handle(
        self, *args: Any, contract: int | None, runs: int, seed: int | None, **options: Any
    ) -> None:
        contracts = list(contracts_to_forecast(pk=contract))
        if contract is not None and not contracts:
            raise CommandError(f"No contract {contract}.")
        failed = 0
        for item in contracts:
            try:
                run = forecast_run(contract=item, actor=None, runs=runs, seed=seed)
            except DomainError as exc:
                failed += 1
                self.stderr.write(f"{item.reference}: not forecast: {exc.message}")
                continue
            except (OperationalError, InterfaceError):
                raise  # the database went away: nothing else can be forecast either
            except Exception as exc:
                # One contract's bad row does not stop the others; it is named, with its error.
                failed += 1
                self.stderr.write(
                    f"{item.reference}: not forecast: {exc.__class__.__name__}: {exc}"
                )
                continue
            results = run.results.count()
            chance = (
                f"{run.on_time_probability:.0%} by {item.end_date:%d %b %Y}"
                if run.on_time_probability is not None
                else "no end-date chance"
            )
            self.stdout.write(
                f"{item.reference}: {results} open milestone{'s' if results != 1 else ''}, "
                f"finish P50 {_day(run.finish_p50)}, P80 {_day(run.finish_p80)}, {chance}; "
                f"seed {run.seed}, {run.elapsed_ms:.0f} ms"
            )
        if failed:
            raise CommandError(f"{failed} contract{'s' if failed != 1 else ''} not forecast.")


def _day(day: object) -> str:
    return f"{day:%d %b %Y}" if day else "-"
