"""Benchmark the cash-flow S-curves and earned value of a 100,000-milestone portfolio.

Run (part of ``make bench``), or smaller for a quick check:

    DJANGO_SETTINGS_MODULE=config.settings.local .venv/bin/python bench/money_bench.py \
        --milestones 20000 --contracts 400

Loads the portfolio of ``api_bench`` into a throwaway SQLite database, lets the benchmark user
see every contract, then makes about a third of the milestones payments (the dataset's own
payment milestones, about one in ten, plus a payment on completion of about a quarter of the
deliverables), gives them terms (5% retention, triggered by the milestone before them), pays
the met ones (a third through a stage payment cycle with two part receipts, the rest
directly), makes every tenth contract one paid by interim valuations instead (interim money
terms, six monthly cycles, the latest half paid and still owed; no stage terms, as the lead
rule says a contract is paid one way), and gives half of the open milestones forecast P50/P80
dates. It times the portfolio's curves and earned value together (the figures the portfolio
page shows; DESIGN.md gives them 200 ms), and the contract with the most paid payments (so
its planned value and actual cost are not nothing), printing the median and the slowest of the
runs, and the earned value of every currency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from api_bench import console, migrate, setup_django
from export_bench import see_everything
from milestone_data import analyze, load_dataset
from rich.table import Table

TARGET_MS = 200.0  # DESIGN.md: cash flow and earned value, 100k milestones, <= 200 ms


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=100_000, help="rows to load")
    parser.add_argument("--contracts", type=int, default=2_000, help="contracts to spread them on")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per figure")
    parser.add_argument("--seed", type=int, default=17)
    return parser.parse_args(argv)


def add_money(seed: int) -> dict[str, int]:
    """Give the loaded payment milestones terms, payments, cycles and forecasts, in bulk."""
    from django.db import transaction

    from milepost.accounts.models import User
    from milepost.contracts.models import Party
    from milepost.core.dates import local_today
    from milepost.finance.models import MoneyTerms, PaymentCycle, Receipt
    from milepost.payments.models import PaymentTerms
    from milepost.schedule.models import Milestone

    rng = random.Random(seed)
    made = {"payment terms": 0, "payment cycles": 0, "receipts": 0, "forecasts": 0}
    with transaction.atomic():
        roles: dict[int, dict[str, int]] = {}
        for pk, contract, role in Party.objects.values_list("pk", "contract_id", "role"):
            roles.setdefault(contract, {})[role] = pk
        recorder = User.objects.get(username="bench")
        # A payment on completion of about a quarter of the deliverables: with the dataset's
        # own payment milestones, about a third of all milestones are payments.
        paying = [
            pk
            for pk in Milestone.objects.filter(kind="deliverable").values_list("id", flat=True)
            if rng.random() < 0.28
        ]
        for start in range(0, len(paying), 5000):
            Milestone.objects.filter(id__in=paying[start : start + 5000]).update(kind="payment")
        interim = set(list(roles)[::10])  # paid by interim valuations, not by stages
        rows = Milestone.objects.order_by("contract_id", "due_date", "id").values_list(
            "id", "contract_id", "kind", "status", "due_date", "met_on"
        )
        terms: list[PaymentTerms] = []
        stage: list[tuple[int, int, dt.date, Decimal]] = []
        previous: tuple[int, int] | None = None
        for pk, contract, kind, status, due, met_on in rows.iterator(chunk_size=5000):
            if (
                kind == "payment"
                and contract not in interim
                and previous is not None
                and previous[1] == contract
            ):
                amount = Decimal(rng.randint(5, 500) * 1000)
                net = amount - amount * Decimal("0.05")
                paid = status in ("met", "partially_met")
                paid_on = (met_on or due) if paid else None
                through_cycle = paid and rng.random() < 0.35
                terms.append(
                    PaymentTerms(
                        milestone_id=pk,
                        basis="amount",
                        amount=amount,
                        percentage=Decimal(0),
                        payer_id=roles[contract]["client"],
                        payee_id=roles[contract]["supplier"],
                        trigger_id=previous[0],
                        retention_percent=Decimal(5),
                        paid_on=paid_on,
                        paid_amount=net if paid else Decimal(0),
                    )
                )
                if through_cycle and paid_on is not None:
                    stage.append((pk, contract, paid_on, net))
            previous = (pk, contract)
        PaymentTerms.objects.bulk_create(terms, batch_size=2000)
        made["payment terms"] = len(terms)

        numbers: dict[int, int] = {}
        cycles: list[PaymentCycle] = []
        paid_in: list[tuple[dt.date, Decimal]] = []

        def cycle(
            contract: int,
            milestone: int | None,
            day: dt.date,
            amount: Decimal,
            final: dt.date | None = None,
        ) -> None:
            numbers[contract] = numbers.get(contract, 0) + 1
            cycles.append(
                PaymentCycle(
                    contract_id=contract,
                    number=numbers[contract],
                    payer_id=roles[contract]["client"],
                    payee_id=roles[contract]["supplier"],
                    milestone_id=milestone,
                    period_end=day,
                    applied_on=day,
                    applied_by=recorder,
                    gross_value=amount,
                    applied_sum=amount,
                    due_date=day,
                    final_date=final or day,
                    payment_notice_by=day,
                    pay_less_by=day,
                )
            )
            paid_in.append((day, amount))

        staged: dict[int, int] = {}
        for milestone, contract, day, net in stage:
            cycle(contract, milestone, day, net)
            staged[milestone] = numbers[contract]
        # As cycle_apply does: a stage applied for through a cycle carries the cycle's number.
        for number in set(staged.values()):
            PaymentTerms.objects.filter(
                milestone_id__in=[m for m, n in staged.items() if n == number]
            ).update(cycle_number=number)
        today = local_today("Europe/London")
        MoneyTerms.objects.bulk_create(
            [
                MoneyTerms(
                    contract_id=contract,
                    regime="scheme_ew",
                    basis="interim",
                    due_days=7,
                    final_days=17,
                    payment_notice_days=5,
                    pay_less_days=7,
                    payer_id=roles[contract]["client"],
                    payee_id=roles[contract]["supplier"],
                    retention_percent=Decimal(5),
                    updated_by=recorder,
                )
                for contract in interim
            ],
            batch_size=2000,
        )
        latest: set[int] = set()  # the cycles half paid, the rest still owed
        for contract in interim:
            for months in range(1, 7):
                day = today - dt.timedelta(days=30 * months)
                if months == 1:
                    latest.add(len(cycles))
                cycle(contract, None, day, Decimal(25_000), day + dt.timedelta(days=40))
        PaymentCycle.objects.bulk_create(cycles, batch_size=2000)
        receipts: list[Receipt] = []
        for n, (saved, (day, amount)) in enumerate(zip(cycles, paid_in, strict=True)):
            half = (amount / 2).quantize(Decimal("0.01"))
            receipts.append(Receipt(cycle=saved, paid_on=day, amount=half, recorded_by=recorder))
            if n not in latest:
                receipts.append(
                    Receipt(
                        cycle=saved,
                        paid_on=day + dt.timedelta(days=7),
                        amount=amount - half,
                        recorded_by=recorder,
                    )
                )
        Receipt.objects.bulk_create(receipts, batch_size=2000)
        made["payment cycles"], made["receipts"] = len(cycles), len(receipts)

        forecast: list[Milestone] = []
        for pk, due in Milestone.objects.filter(
            status__in=("scheduled", "in_progress")
        ).values_list("id", "due_date"):
            if rng.random() < 0.5:
                p50 = due + dt.timedelta(days=rng.randint(-5, 40))
                forecast.append(
                    Milestone(
                        id=pk,
                        forecast_p50=p50,
                        forecast_p80=p50 + dt.timedelta(days=rng.randint(0, 30)),
                    )
                )
        Milestone.objects.bulk_update(forecast, ["forecast_p50", "forecast_p80"], batch_size=2000)
        made["forecasts"] = len(forecast)
    return made


def timed(work: Callable[[], Any], runs: int, warmup: int) -> tuple[float, float, Any]:
    """Return the median and slowest milliseconds of ``runs`` calls of ``work``, and its result."""
    result = None
    for _ in range(warmup):
        result = work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times), result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="milepost-moneybench-"))
    try:
        setup_django(data_dir)
        migrate()
        started = time.perf_counter()
        user, _ = load_dataset(milestones=args.milestones, contracts=args.contracts, seed=args.seed)
        see_everything(user)
        made = add_money(args.seed)
        analyze()
        console.print(
            f"Loaded {args.milestones:,} milestones over {args.contracts:,} contracts, "
            + ", ".join(f"{n:,} {what}" for what, n in made.items())
            + f" ({time.perf_counter() - started:.1f} s)"
        )

        from django.db.models import Count, Q

        from milepost.contracts.models import Contract
        from milepost.core.dates import local_today
        from milepost.finance.outlook.selectors import money_outlook

        today = local_today(user.time_zone)
        # The contract with the most payments paid by today (planned value and actual cost > 0).
        largest = (
            Contract.objects.annotate(
                paid=Count(
                    "milestones",
                    filter=Q(
                        milestones__payment__paid_amount__gt=0,
                        milestones__payment__paid_on__lte=today,
                    ),
                ),
                n=Count("milestones", distinct=True),
            )
            .order_by("-paid")
            .first()
        )
        assert largest is not None

        # What the portfolio page reads: the curves and earned value in one pair of queries.
        def portfolio() -> Any:
            outlook = money_outlook(user=user, today=today)
            return outlook.curves, outlook.values

        def one_contract() -> Any:
            outlook = money_outlook(user=user, today=today, contract=largest)
            return outlook.curves, outlook.values

        table = Table(
            title=f"Cash flow and earned value ({args.runs} runs each, after {args.warmup})"
        )
        for column in ("figures", "median ms", "slowest ms", "target", "months", "earned value"):
            table.add_column(column, justify="left" if column == "figures" else "right")
        failed = False
        # Each scenario returns (curves, earned values).
        scenarios: list[tuple[str, Callable[[], Any], bool]] = [
            ("Portfolio: curves + earned value", portfolio, True),
            (f"One contract ({largest.n:,} milestones, {largest.paid:,} paid)", one_contract, False),  # type: ignore[attr-defined]
        ]  # fmt: skip
        for name, work, measured in scenarios:
            median, slowest, (curves, values) = timed(work, args.runs, args.warmup)
            months = sum(len(curve.points) for curve in curves)
            evs = values if isinstance(values, list) else [values]
            ok = median <= TARGET_MS or not measured
            failed |= not ok
            table.add_row(
                name,
                f"[{'green' if ok else 'red'}]{median:.1f}[/]" if measured else f"{median:.1f}",
                f"{slowest:.1f}",
                f"≤ {TARGET_MS:.0f}" if measured else "",
                f"{months:,}" if months else "",
                "\n".join(
                    f"{ev.currency}: PV {ev.planned_value:,}, EV {ev.earned_value:,}, "
                    f"AC {ev.actual_cost:,}; SPI {ev.spi}, CPI {ev.cpi}"
                    for ev in evs
                ),
            )
        console.print(table)
        return 1 if failed else 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
