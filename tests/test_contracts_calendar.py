"""A contract's working-day calendar (its own days off) and its schedule settings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.accounts.models import User
from milepost.audit.models import Event
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, NonWorkingDay
from milepost.contracts.selectors import contract_calendar
from milepost.contracts.services import (
    contract_create,
    contract_set_status,
    contract_update,
    non_working_day_add,
    non_working_day_remove,
)
from milepost.core.errors import Forbidden
from milepost.schedule.views.calendar import calendar_in_words, calendar_overview

from .conftest import World
from .helpers import refused, signed_in

API = "/api/v1"
# A Monday; the world's contract then runs from Thu 3 September 2026 to Sun 29 August 2027.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
# The contract works to the England and Wales calendar.
HOLIDAY_REGION = "ENG"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def add(w: World, day: str, reason: str = "Site shutdown", actor: User | None = None):
    return non_working_day_add(
        contract=w.contract, day=d(day), reason=reason, actor=actor or w.client_manager
    )


# non_working_day_add


def test_owners_manager_adds_a_day_off_that_the_calendar_then_skips(w):
    day_off = add(w, "2026-12-29", " Site shutdown ")

    assert (day_off.day, day_off.reason) == (d("2026-12-29"), "Site shutdown")
    calendar = contract_calendar(contract=w.contract)
    assert not calendar.is_working(d("2026-12-29"))
    # Thu 24 Dec + 1 working day: Christmas, the weekend, Boxing Day observed and now Tue 29.
    assert calendar.shift(d("2026-12-24"), 1, working=True) == d("2026-12-30")
    event = Event.objects.latest("id")
    assert event.action == "non_working_day.added"
    assert (event.object_id, event.contract_id) == (day_off.pk, w.contract.pk)
    assert event.after == {"day": "2026-12-29", "reason": "Site shutdown"}


@pytest.mark.parametrize("who", ["supplier_manager", "client_member", "consultant_manager"])
def test_rejects_day_off_from_anyone_but_the_owners_managers(w, who):
    with refused("forbidden", error=Forbidden):
        add(w, "2026-12-29", actor=getattr(w, who))
    assert not NonWorkingDay.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejects_day_off_without_a_reason(w, reason):
    with refused("required", "reason"):
        add(w, "2026-12-29", reason)


def test_rejects_day_off_reason_over_200_characters(w):
    with refused("too_long", "reason"):
        add(w, "2026-12-29", "x" * 201)


@pytest.mark.parametrize("day", ["2026-12-05", "2026-12-06"])
def test_rejects_a_weekend_day_off(w, day):
    with refused("not_a_weekday", "day") as caught:
        add(w, day)
    error = caught.value
    assert "never worked anyway" in error.message


@pytest.mark.parametrize("day", ["2026-09-02", "2027-08-30"])
def test_rejects_a_day_off_outside_the_contract(w, day):
    with refused("outside_contract", "day"):
        add(w, day)


def test_accepts_day_off_on_the_contracts_first_and_last_weekdays(w):
    add(w, "2026-09-03")
    add(w, "2027-08-27")
    assert NonWorkingDay.objects.count() == 2


def test_rejects_a_duplicate_day_off(w):
    add(w, "2026-12-29")
    with refused("duplicate_non_working_day", "day"):
        add(w, "2026-12-29", "Again")


def test_rejects_day_off_on_a_closed_contract(w):
    contract_set_status(
        contract=w.contract, status=ContractStatus.COMPLETED, actor=w.client_manager
    )
    with refused("contract_closed", "contract"):
        add(w, "2026-12-29")


# non_working_day_remove


def test_owners_manager_removes_a_day_off(w):
    day_off = add(w, "2026-12-29")
    day_id = day_off.pk

    non_working_day_remove(day_off=day_off, actor=w.client_manager)

    assert not NonWorkingDay.objects.exists()
    assert contract_calendar(contract=w.contract).is_working(d("2026-12-29"))
    event = Event.objects.latest("id")
    assert event.action == "non_working_day.removed"
    assert (event.object_id, event.contract_id) == (day_id, w.contract.pk)
    assert event.before == {"day": "2026-12-29", "reason": "Site shutdown"}


def test_rejects_day_off_removal_by_another_partys_manager(w):
    day_off = add(w, "2026-12-29")
    with refused("forbidden", error=Forbidden):
        non_working_day_remove(day_off=day_off, actor=w.supplier_manager)
    assert NonWorkingDay.objects.exists()


def test_rejects_day_off_removal_on_a_closed_contract(w):
    day_off = add(w, "2026-12-29")
    contract_set_status(
        contract=w.contract, status=ContractStatus.TERMINATED, actor=w.client_manager
    )
    with refused("contract_closed", "contract"):
        non_working_day_remove(day_off=day_off, actor=w.client_manager)


# Schedule settings


def test_new_contract_has_the_default_schedule_settings(w):
    contract = w.contract
    assert (contract.at_risk_threshold, contract.self_reschedule, contract.stale_update_days) == (
        70,
        True,
        14,
    )


def new_contract(w: World, **settings: object) -> Contract:
    return contract_create(
        organisation=w.client_org,
        party_role=PartyRole.CLIENT,
        reference="HCC-2026-050",
        title="Depot",
        value=Decimal("100.00"),
        currency="GBP",
        start_date=d("2026-11-02"),
        end_date=d("2027-11-02"),
        actor=w.client_manager,
        **settings,  # type: ignore[arg-type]
    )


def test_contract_is_created_with_its_own_schedule_settings(w):
    contract = new_contract(w, at_risk_threshold=80, self_reschedule=False, stale_update_days=7)

    contract.refresh_from_db()
    assert (contract.at_risk_threshold, contract.self_reschedule, contract.stale_update_days) == (
        80,
        False,
        7,
    )
    created = Event.objects.filter(action="contract.created").latest("id")
    assert created.after["at_risk_threshold"] == 80 and created.after["self_reschedule"] is False


def test_owners_manager_changes_the_schedule_settings(w):
    contract_update(
        contract=w.contract,
        at_risk_threshold=99,
        self_reschedule=False,
        stale_update_days=365,
        actor=w.client_manager,
    )

    w.contract.refresh_from_db()
    assert (w.contract.at_risk_threshold, w.contract.stale_update_days) == (99, 365)
    assert w.contract.self_reschedule is False
    event = Event.objects.latest("id")
    assert event.action == "contract.updated"
    assert event.before == {
        "at_risk_threshold": 70,
        "self_reschedule": True,
        "stale_update_days": 14,
    }


@pytest.mark.parametrize("value", [0, 100, -5, "50", 50.5, True])
def test_rejects_an_at_risk_threshold_outside_1_to_99(w, value):
    with refused("invalid_threshold", "at_risk_threshold"):
        contract_update(contract=w.contract, at_risk_threshold=value, actor=w.client_manager)


def test_rejects_an_at_risk_threshold_on_create(w):
    with refused("invalid_threshold", "at_risk_threshold"):
        new_contract(w, at_risk_threshold=100)


@pytest.mark.parametrize("value", [0, 366, "14"])
def test_rejects_stale_update_days_outside_1_to_365(w, value):
    with refused("invalid_stale_update_days", "stale_update_days"):
        contract_update(contract=w.contract, stale_update_days=value, actor=w.client_manager)


def test_rejects_self_reschedule_that_is_not_true_or_false(w):
    with refused("invalid_flag", "self_reschedule"):
        contract_update(contract=w.contract, self_reschedule="yes", actor=w.client_manager)


def test_rejects_schedule_settings_from_another_partys_manager(w):
    with refused("forbidden", error=Forbidden):
        contract_update(contract=w.contract, at_risk_threshold=50, actor=w.supplier_manager)


# API: schedule settings


def test_api_creates_a_contract_with_default_and_given_settings(w):
    client = signed_in(w.client_manager)
    body = {
        "organisation": w.client_org.slug,
        "party_role": "client",
        "reference": "HCC-2026-060",
        "title": "Depot",
        "value": "100.00",
        "currency": "GBP",
        "start_date": "2026-11-02",
        "end_date": "2027-11-02",
    }

    default = client.post(f"{API}/contracts", body, content_type="application/json")
    given = client.post(
        f"{API}/contracts",
        {**body, "reference": "HCC-2026-061", "at_risk_threshold": 60, "self_reschedule": False},
        content_type="application/json",
    )
    refused_ = client.post(
        f"{API}/contracts",
        {**body, "reference": "HCC-2026-062", "stale_update_days": 0},
        content_type="application/json",
    )

    assert default.status_code == 201
    assert {k: default.json()[k] for k in ("at_risk_threshold", "self_reschedule")} == {
        "at_risk_threshold": 70,
        "self_reschedule": True,
    }
    assert default.json()["stale_update_days"] == 14
    assert given.status_code == 201
    assert (given.json()["at_risk_threshold"], given.json()["self_reschedule"]) == (60, False)
    assert refused_.status_code == 422
    assert refused_.json()["error"]["code"] == "invalid_stale_update_days"


def test_api_patches_the_settings_for_the_owners_manager_only(w):
    url = f"{API}/contracts/{w.contract.pk}"
    change = {"at_risk_threshold": 55, "stale_update_days": 30, "self_reschedule": False}

    forbidden = signed_in(w.supplier_manager).patch(url, change, content_type="application/json")
    bad = signed_in(w.client_manager).patch(
        url, {"at_risk_threshold": 0}, content_type="application/json"
    )
    done = signed_in(w.client_manager).patch(url, change, content_type="application/json")

    assert forbidden.status_code == 403
    assert bad.status_code == 422 and bad.json()["error"] == {
        "code": "invalid_threshold",
        "message": "The at-risk threshold is a whole percentage from 1 to 99.",
        "field": "at_risk_threshold",
    }
    assert done.status_code == 200
    assert {k: done.json()[k] for k in change} == change
    assert signed_in(w.client_viewer).get(url).json()["stale_update_days"] == 30


# API: non-working days


def test_api_lists_the_contracts_days_off_to_anyone_on_it(w):
    add(w, "2027-01-04", "Shutdown")
    url = f"{API}/contracts/{w.contract.pk}/non-working-days"

    listed = signed_in(w.supplier_viewer).get(url)

    assert listed.status_code == 200
    assert [(r["day"], r["reason"]) for r in listed.json()] == [("2027-01-04", "Shutdown")]
    assert signed_in(w.outsider).get(url).status_code == 404


def test_api_adds_a_day_off_for_the_owners_manager_only(w):
    url = f"{API}/contracts/{w.contract.pk}/non-working-days"
    body = {"day": "2027-01-04", "reason": "Shutdown"}

    forbidden = signed_in(w.supplier_manager).post(url, body, content_type="application/json")
    created = signed_in(w.client_manager).post(url, body, content_type="application/json")
    again = signed_in(w.client_manager).post(url, body, content_type="application/json")
    weekend = signed_in(w.client_manager).post(
        url, {"day": "2027-01-02", "reason": "Saturday"}, content_type="application/json"
    )

    assert forbidden.status_code == 403
    assert created.status_code == 201
    assert created.json() == {"id": NonWorkingDay.objects.get().pk, **body}
    assert again.status_code == 422 and again.json()["error"]["field"] == "day"
    assert again.json()["error"]["code"] == "duplicate_non_working_day"
    assert weekend.json()["error"]["code"] == "not_a_weekday"


def test_api_removes_a_day_off_for_the_owners_manager_only(w):
    day_off = add(w, "2027-01-04")
    url = f"{API}/contracts/{w.contract.pk}/non-working-days/{day_off.pk}"

    assert signed_in(w.supplier_manager).delete(url).status_code == 403
    assert signed_in(w.outsider).delete(url).status_code == 404
    assert signed_in(w.client_manager).delete(url).status_code == 204
    assert signed_in(w.client_manager).delete(url).status_code == 404
    assert not NonWorkingDay.objects.exists()


def test_api_will_not_remove_another_contracts_day_off_through_this_one(w):
    other = new_contract(w)
    day_off = non_working_day_add(
        contract=other, day=d("2027-01-04"), reason="Shutdown", actor=w.client_manager
    )
    url = f"{API}/contracts/{w.contract.pk}/non-working-days/{day_off.pk}"

    assert signed_in(w.client_manager).delete(url).status_code == 404
    assert NonWorkingDay.objects.filter(pk=day_off.pk).exists()


# API: the calendar


def test_api_calendar_names_each_weekday_off_in_the_range(w):
    add(w, "2027-01-04", "Shutdown")
    # A day off on a bank holiday reads as the bank holiday.
    add(w, "2026-12-25", "Office party")
    url = f"{API}/contracts/{w.contract.pk}/calendar?from=2026-12-01&to=2027-01-10"

    response = signed_in(w.client_viewer).get(url)

    assert response.status_code == 200
    assert response.json() == [
        {"day": "2026-12-25", "reason": "Christmas Day", "source": "holiday"},
        {"day": "2026-12-28", "reason": "Boxing Day (observed)", "source": "holiday"},
        {"day": "2027-01-01", "reason": "New Year's Day", "source": "holiday"},
        {"day": "2027-01-04", "reason": "Shutdown", "source": "contract"},
    ]
    assert signed_in(w.outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2027-01-10&to=2027-01-09", "invalid_range"),
        ("from=2026-01-01&to=2029-01-02", "range_too_long"),
        ("from=2024-02-29&to=2027-03-01", "range_too_long"),
        # The latest dates Milepost holds are fine; a day past them no contract can hold.
        ("from=2197-01-01&to=2199-12-31", None),
        ("from=2199-01-01&to=2200-01-01", "date_out_of_range"),
    ],
)
def test_api_calendar_refuses_a_backward_or_longer_than_three_year_range(w, query, code):
    response = signed_in(w.client_viewer).get(f"{API}/contracts/{w.contract.pk}/calendar?{query}")

    if code is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 422
        assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, "to")


def test_api_calendar_accepts_exactly_three_years_and_needs_both_ends(w):
    url = f"{API}/contracts/{w.contract.pk}/calendar"
    client = signed_in(w.client_viewer)

    assert client.get(f"{url}?from=2026-01-01&to=2029-01-01").status_code == 200
    assert client.get(f"{url}?from=2024-02-29&to=2027-02-28").status_code == 200
    assert client.get(f"{url}?from=2026-01-01").status_code == 400


# The calendar page


def test_calendar_in_words_names_country_and_region():
    assert calendar_in_words("GB", "ENG") == "United Kingdom, England"
    assert calendar_in_words("GB", "") == "United Kingdom"
    assert calendar_in_words("GB", "XYZ") == "United Kingdom, XYZ"
    assert calendar_in_words("QQ", "X") == "QQ, X"


def test_calendar_overview_counts_working_days_per_month(w):
    add(w, "2026-12-29")

    overview = calendar_overview(contract=w.contract)

    months = {m.month: (m.days, m.working_days) for m in overview.months}
    # September from Thu 3rd: 20 weekdays, no holidays.
    assert months[d("2026-09-01")] == (28, 20)
    # December: 23 weekdays less Christmas, Boxing Day observed and the contract's 29th.
    assert months[d("2026-12-01")] == (31, 20)
    # August 2027 to Sun 29th: 20 weekdays less the Late Summer Bank Holiday on the 30th (not in).
    assert months[d("2027-08-01")] == (29, 20)
    assert (d("2026-12-25"), "Christmas Day") in overview.bank_holidays
    assert all(day.weekday() < 5 for day, _ in overview.bank_holidays)
    assert [o.day for o in overview.days_off] == [d("2026-12-29")]
    assert overview.working_days == sum(m.working_days for m in overview.months)


def test_calendar_page_shows_holidays_and_days_off_to_a_viewer(w):
    add(w, "2027-01-04", "Shutdown")
    url = reverse("contract-calendar", args=[w.contract.pk])

    response = signed_in(w.supplier_viewer).get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert "United Kingdom, England" in body
    assert "Christmas Day" in body and "Boxing Day (observed)" in body and "Shutdown" in body
    assert "<td>December 2026</td>" in body
    assert reverse("reporting:contract-detail", args=[w.contract.pk]) in body
    assert 'name="reason"' not in body and "Remove" not in body
    assert signed_in(w.outsider).get(url).status_code == 404


def test_owners_manager_adds_and_removes_a_day_off_on_the_page(w):
    client = signed_in(w.client_manager)
    url = reverse("contract-calendar", args=[w.contract.pk])

    added = client.post(url, {"day": "2027-01-04", "reason": "Shutdown"}, follow=True)
    day_off = NonWorkingDay.objects.get()
    removed = client.post(
        reverse("contract-calendar-remove", args=[w.contract.pk, day_off.pk]), follow=True
    )

    assert "04 Jan 2027 is now a non-working day." in added.content.decode()
    assert "04 Jan 2027 is a working day again." in removed.content.decode()
    assert not NonWorkingDay.objects.exists()


def test_calendar_page_shows_a_refused_day_on_the_form(w):
    url = reverse("contract-calendar", args=[w.contract.pk])

    response = signed_in(w.client_manager).post(url, {"day": "2027-01-02", "reason": "Saturday"})

    assert response.status_code == 422
    assert "never worked anyway" in response.content.decode()


def test_calendar_page_refuses_another_partys_manager(w):
    day_off = add(w, "2027-01-04")
    client = signed_in(w.supplier_manager)

    added = client.post(
        reverse("contract-calendar", args=[w.contract.pk]), {"day": "2027-01-05", "reason": "x"}
    )
    removed = client.post(reverse("contract-calendar-remove", args=[w.contract.pk, day_off.pk]))

    assert (added.status_code, removed.status_code) == (403, 403)
    assert NonWorkingDay.objects.count() == 1


def test_calendar_page_reports_a_refused_removal_and_404s_an_unknown_day(w):
    day_off = add(w, "2027-01-04")
    contract_set_status(
        contract=w.contract, status=ContractStatus.COMPLETED, actor=w.client_manager
    )
    client = signed_in(w.client_manager)

    refused_ = client.post(
        reverse("contract-calendar-remove", args=[w.contract.pk, day_off.pk]), follow=True
    )
    unknown = client.post(reverse("contract-calendar-remove", args=[w.contract.pk, 999999]))

    assert "it no longer changes" in refused_.content.decode()
    assert unknown.status_code == 404
