"""Service credits: what a performance target's missed periods earn, capped per period and year.

The clock stands at 1 Jun 2027 (London). The contract starts on 1 Mar 2026 and availability is
measured monthly from 1 Apr 2026 to 31 May 2027, so the first service year runs from 1 Apr 2026
to 31 Mar 2027 and the second from 1 Apr 2027. The target is at least 99.5%.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_set_status
from milepost.core.errors import Forbidden
from milepost.performance import services
from milepost.performance.choices import CreditMethod, Direction, Period
from milepost.performance.models import KPI, CreditTerms, ServiceCredit
from milepost.performance.selectors import credit_total, credits_for_contract
from milepost.performance.services import (
    band_percent,
    credit_terms_set,
    measurement_correct,
    measurement_record,
    performance_milestone_create,
    service_year_start,
)
from milepost.schedule.models import Milestone
from milepost.schedule.services import milestone_create
from tests.helpers import refused

START = dt.datetime(2027, 6, 1, 12, tzinfo=ZoneInfo("Europe/London"))
pytestmark = pytest.mark.usefixtures("clock")

APR_26 = dt.date(2026, 4, 1)
MAY_26 = dt.date(2026, 5, 1)
JUN_26 = dt.date(2026, 6, 1)
JUL_26 = dt.date(2026, 7, 1)
MAR_27 = dt.date(2027, 3, 1)
APR_27 = dt.date(2027, 4, 1)

BANDS = [
    {"shortfall": "1.5", "percent": "20"},
    {"shortfall": "0", "percent": "5"},
    {"shortfall": "0.5", "percent": "10"},
]


def availability(w, **overrides) -> Milestone:
    """Availability at least 99.5% each month from April 2026 to May 2027, the supplier's."""
    Contract.objects.filter(pk=w.contract.pk).update(start_date=dt.date(2026, 3, 1))
    w.contract.refresh_from_db()
    fields = {
        "contract": w.contract,
        "title": "Library systems availability",
        "owner": w.supplier_member,
        "responsible_party": w.supplier,
        "due_date": dt.date(2027, 5, 31),
        "kpi_name": "Availability",
        "unit": "%",
        "target": "99.5",
        "direction": Direction.AT_LEAST,
        "period": Period.MONTH,
        "measurement_start": APR_26,
        "actor": w.supplier_manager,
    }
    return performance_milestone_create(**{**fields, **overrides})


def terms(w, milestone, actor=None, **fields):
    """Set the milestone's credit terms: the supplier credits the client."""
    values = {"method": CreditMethod.FIXED, "amount": "1000", **fields}
    return credit_terms_set(
        milestone=milestone,
        payer=values.pop("payer", w.supplier),
        payee=values.pop("payee", w.client),
        actor=actor or w.client_manager,
        **values,
    )


def record(w, milestone, period_start, value):
    return measurement_record(
        milestone=milestone, period_start=period_start, value=value, actor=w.supplier_member
    )


def credits(milestone) -> list[tuple[dt.date, Decimal, Decimal]]:
    return [
        (c.period_start, c.amount, c.uncapped)
        for c in ServiceCredit.objects.filter(kpi__milestone=milestone).order_by("period_start")
    ]


# How a missed period's credit is worked out


def test_a_missed_period_earns_the_fixed_credit_and_a_met_one_earns_none(w):
    milestone = availability(w)
    terms(w, milestone)

    record(w, milestone, APR_26, "99.7")
    missed = record(w, milestone, MAY_26, "99.31")

    credit = missed.service_credit
    assert (credit.amount, credit.uncapped, credit.shortfall) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("0.1900"),
    )
    assert (credit.payer, credit.payee) == (w.supplier, w.client)
    assert credits(milestone) == [(MAY_26, Decimal("1000.00"), Decimal("1000.00"))]
    assert (
        Event.objects.filter(action="service_credit.earned", milestone_id=milestone.pk).count() == 1
    )


def test_a_percentage_of_the_period_charge_is_taken_from_that_charge(w):
    milestone = availability(w)
    terms(w, milestone, method=CreditMethod.PERCENT_OF_CHARGE, percent="7.5", period_charge="20000")

    record(w, milestone, APR_26, "98")

    # 7.5% of £20,000 = £1,500, whatever the shortfall.
    assert credits(milestone) == [(APR_26, Decimal("1500.00"), Decimal("1500.00"))]


def test_bands_give_the_percentage_for_how_far_the_period_missed(w):
    milestone = availability(w)
    terms(w, milestone, method=CreditMethod.BANDS, bands=BANDS, period_charge="20000")

    record(w, milestone, APR_26, "99.31")  # missed by 0.19: 5% = £1,000
    record(w, milestone, MAY_26, "99.0")  # missed by 0.5 exactly: 10% = £2,000
    record(w, milestone, JUN_26, "97.9")  # missed by 1.6: 20% = £4,000

    assert credits(milestone) == [
        (APR_26, Decimal("1000.00"), Decimal("1000.00")),
        (MAY_26, Decimal("2000.00"), Decimal("2000.00")),
        (JUN_26, Decimal("4000.00"), Decimal("4000.00")),
    ]


def test_bands_are_stored_sorted_by_shortfall(w):
    milestone = availability(w)

    saved = terms(w, milestone, method=CreditMethod.BANDS, bands=BANDS, period_charge="20000")

    assert saved.bands == [
        {"shortfall": "0", "percent": "5"},
        {"shortfall": "0.5", "percent": "10"},
        {"shortfall": "1.5", "percent": "20"},
    ]


def test_a_miss_smaller_than_the_first_band_earns_nothing():
    bands = [{"shortfall": "0.2", "percent": "5"}]

    assert band_percent(bands, Decimal("0.1")) == 0
    assert band_percent(bands, Decimal("0.2")) == 5


def test_an_at_most_target_misses_by_how_far_it_went_over(w):
    milestone = availability(
        w, kpi_name="P1 response", unit="hours", target="4", direction=Direction.AT_MOST
    )
    terms(w, milestone, method=CreditMethod.BANDS, bands=BANDS, period_charge="10000")

    record(w, milestone, APR_26, "4.6")  # 0.6 hours over: 10% of £10,000

    assert credits(milestone) == [(APR_26, Decimal("1000.00"), Decimal("1000.00"))]


# Caps


def test_the_cap_per_period_limits_one_periods_credit(w):
    milestone = availability(w)
    terms(
        w,
        milestone,
        method=CreditMethod.BANDS,
        bands=BANDS,
        period_charge="20000",
        cap_period="3000",
    )

    record(w, milestone, APR_26, "97")  # 20% = £4,000, capped at £3,000
    record(w, milestone, MAY_26, "99.4")  # 5% = £1,000, under the cap

    assert credits(milestone) == [
        (APR_26, Decimal("3000.00"), Decimal("4000.00")),
        (MAY_26, Decimal("1000.00"), Decimal("1000.00")),
    ]
    total = credit_total(kpi=KPI.objects.get(milestone=milestone))
    assert (total.amount, total.capped_off) == (Decimal("4000.00"), Decimal("1000.00"))


def test_the_cap_per_year_goes_to_the_earliest_periods_and_starts_again_next_year(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000", cap_year="2500")

    # Recorded out of order: July first, then April, May and June, then the next year's April.
    record(w, milestone, JUL_26, "99")
    record(w, milestone, APR_26, "99")
    record(w, milestone, MAY_26, "99")
    record(w, milestone, JUN_26, "99")
    record(w, milestone, APR_27, "99")

    # £2,500 a year: April and May £1,000 each, June the £500 left, July nothing; April 2027
    # opens the second service year.
    assert credits(milestone) == [
        (APR_26, Decimal("1000.00"), Decimal("1000.00")),
        (MAY_26, Decimal("1000.00"), Decimal("1000.00")),
        (JUN_26, Decimal("500.00"), Decimal("1000.00")),
        (JUL_26, Decimal("0.00"), Decimal("1000.00")),
        (APR_27, Decimal("1000.00"), Decimal("1000.00")),
    ]


def test_bands_with_both_caps_reconcile_by_hand(w):
    milestone = availability(w)
    terms(
        w,
        milestone,
        method=CreditMethod.BANDS,
        bands=BANDS,
        period_charge="20000",
        cap_period="3000",
        cap_year="5000",
    )

    record(w, milestone, APR_26, "97")  # 20% £4,000 → £3,000 (period cap)
    record(w, milestone, MAY_26, "99.2")  # 5% £1,000
    record(w, milestone, JUN_26, "99")  # 10% £2,000 → £1,000 left of the year's £5,000
    record(w, milestone, MAR_27, "98.5")  # 10% £2,000 → nothing left this service year

    assert credits(milestone) == [
        (APR_26, Decimal("3000.00"), Decimal("4000.00")),
        (MAY_26, Decimal("1000.00"), Decimal("1000.00")),
        (JUN_26, Decimal("1000.00"), Decimal("2000.00")),
        (MAR_27, Decimal("0.00"), Decimal("2000.00")),
    ]


def test_the_service_year_counts_from_the_measurement_start_and_its_anniversaries():
    kpi = KPI(measurement_start=dt.date(2024, 2, 29))

    assert service_year_start(kpi, dt.date(2025, 2, 27)) == dt.date(2024, 2, 29)
    assert service_year_start(kpi, dt.date(2025, 2, 28)) == dt.date(2025, 2, 28)
    assert service_year_start(kpi, dt.date(2028, 3, 1)) == dt.date(2028, 2, 29)


# Corrections and changed terms


def test_correcting_a_miss_to_a_pass_withdraws_its_credit(w):
    milestone = availability(w)
    terms(w, milestone)
    missed = record(w, milestone, APR_26, "99.31")

    measurement_correct(
        measurement=missed, value="99.6", note="Outage was planned", actor=w.supplier_manager
    )

    assert credits(milestone) == []
    assert Event.objects.filter(action="service_credit.withdrawn").count() == 1
    assert Event.objects.filter(action="measurement.corrected").count() == 1


def test_correcting_a_miss_deeper_changes_its_credit_and_frees_the_year_cap(w):
    milestone = availability(w)
    terms(
        w, milestone, method=CreditMethod.BANDS, bands=BANDS, period_charge="20000", cap_year="3000"
    )
    april = record(w, milestone, APR_26, "99")  # 10% £2,000
    record(w, milestone, MAY_26, "99")  # 10% £2,000 → £1,000 left

    measurement_correct(measurement=april, value="99.4", actor=w.supplier_manager)  # 5% £1,000

    assert credits(milestone) == [
        (APR_26, Decimal("1000.00"), Decimal("1000.00")),
        (MAY_26, Decimal("2000.00"), Decimal("2000.00")),
    ]
    assert Event.objects.filter(action="service_credit.changed").count() == 2


def test_terms_set_after_a_miss_give_the_credit_for_it(w):
    milestone = availability(w)
    record(w, milestone, APR_26, "99.31")

    terms(w, milestone, amount="750")

    assert credits(milestone) == [(APR_26, Decimal("750.00"), Decimal("750.00"))]


def test_changing_the_terms_works_every_credit_out_again(w):
    milestone = availability(w)
    terms(w, milestone, amount="750")
    record(w, milestone, APR_26, "99.31")

    terms(w, milestone, amount="900", actor=w.client_manager)

    assert credits(milestone) == [(APR_26, Decimal("900.00"), Decimal("900.00"))]
    changed = Event.objects.get(action="service_credit.terms_changed")
    assert changed.before == {"amount": "750.00"} and changed.after == {"amount": "900.00"}


def test_credits_for_contract_lists_each_credit_with_its_parties(w, django_assert_max_num_queries):
    milestone = availability(w)
    terms(w, milestone)
    record(w, milestone, APR_26, "99")
    record(w, milestone, MAY_26, "99")

    with django_assert_max_num_queries(1):
        rows = [
            (c.period_start, c.amount, c.payer.organisation.name, c.kpi.milestone.title)
            for c in credits_for_contract(contract=w.contract)
        ]

    assert rows == [
        (APR_26, Decimal("1000.00"), "Northgate Construction", "Library systems availability"),
        (MAY_26, Decimal("1000.00"), "Northgate Construction", "Library systems availability"),
    ]


# Refusals


def test_refuses_terms_from_a_manager_of_neither_party_named(w):
    milestone = availability(w)
    Contract.objects.filter(pk=w.contract.pk).update(status=ContractStatus.DRAFT)

    with refused("forbidden", error=Forbidden):
        terms(w, milestone, actor=w.consultant_manager)


def test_refuses_terms_from_a_member_who_is_not_a_manager(w):
    milestone = availability(w)

    with refused("forbidden", error=Forbidden):
        terms(w, milestone, actor=w.client_member)


def test_refuses_terms_on_a_milestone_that_is_not_a_target(w):
    milestone = milestone_create(
        contract=w.contract,
        kind="deliverable",
        title="Handover",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=dt.date(2027, 9, 1),
        acceptance_criteria="Keys handed over.",
        accepting_party=w.client,
        actor=w.client_manager,
    )

    with refused("not_performance", "kind"):
        terms(w, milestone)


def test_refuses_the_same_party_as_supplier_and_client(w):
    milestone = availability(w)

    with refused("same_party", "payee"):
        terms(w, milestone, payee=w.supplier)


def test_refuses_an_unknown_method(w):
    milestone = availability(w)

    with refused("invalid_method", "method"):
        terms(w, milestone, method="generous")


def test_refuses_a_fixed_credit_without_an_amount(w):
    milestone = availability(w)

    with refused("required", "amount"):
        terms(w, milestone, amount=None)


def test_refuses_a_percentage_above_100(w):
    milestone = availability(w)

    with refused("invalid_percent", "percent"):
        terms(w, milestone, method=CreditMethod.PERCENT_OF_CHARGE, percent="120", period_charge="1")


def test_refuses_a_percentage_without_the_period_charge(w):
    milestone = availability(w)

    with refused("required", "period_charge"):
        terms(w, milestone, method=CreditMethod.PERCENT_OF_CHARGE, percent="5")


def test_refuses_bands_that_start_twice_at_the_same_shortfall(w):
    milestone = availability(w)
    bands = [{"shortfall": "0.5", "percent": "5"}, {"shortfall": "0.50", "percent": "10"}]

    with refused("duplicate_band", "bands"):
        terms(w, milestone, method=CreditMethod.BANDS, bands=bands, period_charge="100")


def test_refuses_bands_method_without_bands(w):
    milestone = availability(w)

    with refused("required", "bands"):
        terms(w, milestone, method=CreditMethod.BANDS, bands=[], period_charge="100")


def test_refuses_a_negative_band_shortfall(w):
    milestone = availability(w)

    with refused("invalid_band", "bands"):
        terms(
            w,
            milestone,
            method=CreditMethod.BANDS,
            bands=[{"shortfall": "-1", "percent": "5"}],
            period_charge="100",
        )


def test_refuses_a_yearly_cap_below_the_cap_per_period(w):
    milestone = availability(w)

    with refused("cap_year_below_period", "cap_year"):
        terms(w, milestone, cap_period="3000", cap_year="2000")


def test_refuses_a_cap_of_nothing(w):
    milestone = availability(w)

    with refused("invalid_amount", "cap_period"):
        terms(w, milestone, cap_period="0")


def test_refuses_terms_unchanged(w):
    milestone = availability(w)
    terms(w, milestone)

    with refused("unchanged", "method"):
        terms(w, milestone)


def test_refuses_a_change_from_a_party_outside_the_old_terms(w):
    milestone = availability(w)
    terms(w, milestone)

    with refused("forbidden", error=Forbidden):
        terms(w, milestone, payer=w.consultant, payee=w.client, actor=w.consultant_manager)


def test_refuses_a_correction_that_changes_nothing(w):
    milestone = availability(w)
    april = record(w, milestone, APR_26, "99.31")

    with refused("unchanged", "value"):
        measurement_correct(measurement=april, value="99.31", actor=w.supplier_member)


def test_refuses_a_correction_from_a_viewer(w):
    milestone = availability(w)
    april = record(w, milestone, APR_26, "99.31")

    with refused("forbidden", error=Forbidden):
        measurement_correct(measurement=april, value="99.6", actor=w.client_viewer)


def test_refuses_terms_on_a_completed_contract(w):
    milestone = availability(w)
    contract_set_status(
        contract=w.contract, status=ContractStatus.COMPLETED, actor=w.client_manager
    )
    milestone.refresh_from_db()

    with refused("contract_closed", "contract"):
        terms(w, milestone)


def test_refuses_the_supplier_cutting_its_own_credits_once_the_contract_is_signed(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000")

    with refused("credits_agreed", error=Forbidden):
        terms(w, milestone, amount="1000", cap_year="0.01", actor=w.supplier_manager)


def test_refuses_the_supplier_setting_credits_on_a_signed_contract(w):
    milestone = availability(w)

    with refused("credits_agreed", error=Forbidden):
        terms(w, milestone, actor=w.supplier_manager)


def test_the_supplier_may_set_credits_while_the_contract_is_a_draft(w):
    milestone = availability(w)
    Contract.objects.filter(pk=w.contract.pk).update(status=ContractStatus.DRAFT)
    milestone.contract.refresh_from_db()

    set_terms = terms(w, milestone, amount="800", actor=w.supplier_manager)

    assert set_terms.amount == Decimal("800.00")


def test_refuses_more_than_twenty_bands(w):
    milestone = availability(w)
    bands = [{"shortfall": str(step), "percent": "1"} for step in range(21)]

    with refused("too_many_bands", "bands"):
        terms(w, milestone, method=CreditMethod.BANDS, period_charge="5000", bands=bands)


def test_setting_terms_locks_the_milestone_before_it_reads_or_writes_anything(w, monkeypatch):
    # A measurement recorded at the same moment takes the same lock, so the two cannot both
    # create the period's credit (SQLite has no row locks, so the order of the calls is checked).
    milestone = availability(w)
    record(w, milestone, APR_26, "99.31")
    seen: list[int] = []
    real_lock = services._milestone_lock

    def spy(locked: Milestone) -> None:
        seen.append(CreditTerms.objects.filter(kpi__milestone=milestone).count())
        real_lock(locked)

    monkeypatch.setattr(services, "_milestone_lock", spy)

    terms(w, milestone)

    assert seen == [0]
