"""Named baselines: who saves and deletes them, what they freeze, and the variance against them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.audit.models import Event
from milepost.contracts.choices import PartyRole
from milepost.contracts.models import NonWorkingDay
from milepost.contracts.services import contract_create, party_add
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.baselines import (
    baseline_create,
    baseline_delete,
    baseline_get_for_user,
    baseline_variance,
    baselines_for_contract,
)
from milepost.schedule.choices import MilestoneStatus
from milepost.schedule.models import Baseline, BaselineEntry, Milestone

from .helpers import refused, signed_in

API = "/api/v1"
# A Monday; the world's contract then runs from 3 September 2026 to 29 August 2027.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
# The contract works to the England and Wales calendar.
HOLIDAY_REGION = "ENG"


def move(milestone: Milestone, due: dt.date, **fields: object) -> None:
    """Give a milestone a new current date, as a reschedule or change would."""
    Milestone.objects.filter(pk=milestone.pk).update(due_date=due, **fields)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# baseline_create


def test_manager_of_any_acting_party_saves_a_baseline_of_every_milestone(w):
    first = w.deliverable("Foundation", due_date=d("2026-12-01"))
    Milestone.objects.filter(pk=first.pk).update(start_date=d("2026-11-16"))
    cancelled = w.deliverable("Canopy", due_date=d("2026-12-10"))
    move(cancelled, d("2026-12-10"), status=MilestoneStatus.CANCELLED)

    baseline = baseline_create(contract=w.contract, name="Programme v1", actor=w.supplier_manager)
    by_consultant = baseline_create(contract=w.contract, name="v2", actor=w.consultant_manager)

    entries = {e.milestone_id: e for e in BaselineEntry.objects.filter(baseline=baseline)}
    assert set(entries) == {first.pk, cancelled.pk}
    assert (entries[first.pk].due_date, entries[first.pk].start_date) == (
        d("2026-12-01"),
        d("2026-11-16"),
    )
    assert (entries[cancelled.pk].due_date, entries[cancelled.pk].start_date) == (
        d("2026-12-10"),
        None,
    )
    assert baseline.created_by == w.supplier_manager
    assert by_consultant.entries.count() == 2


def test_records_baseline_created_with_name_and_milestone_count(w):
    w.deliverable("Foundation")
    w.deliverable("Roof")

    baseline = baseline_create(contract=w.contract, name="  Accepted v3 ", actor=w.client_manager)

    event = Event.objects.latest("id")
    assert baseline.name == "Accepted v3"
    assert event.action == "baseline.created"
    assert (event.object_type, event.object_id) == ("schedule.baseline", baseline.pk)
    assert event.contract_id == w.contract.pk
    assert event.after == {"name": "Accepted v3", "milestones": 2}


@pytest.mark.parametrize("who", ["supplier_member", "client_viewer"])
def test_rejects_baseline_from_a_member_or_viewer(w, who):
    with refused("forbidden", error=Forbidden):
        baseline_create(contract=w.contract, name="v1", actor=getattr(w, who))
    assert not Baseline.objects.exists()


def test_rejects_baseline_from_an_observers_admin(w):
    party_add(
        contract=w.contract,
        organisation=w.outsider_org,
        role=PartyRole.OBSERVER,
        actor=w.client_manager,
    )
    with refused("forbidden", error=Forbidden):
        baseline_create(contract=w.contract, name="v1", actor=w.outsider)


@pytest.mark.parametrize("name", ["", "   "])
def test_rejects_baseline_without_a_name(w, name):
    with refused("required", "name"):
        baseline_create(contract=w.contract, name=name, actor=w.client_manager)


def test_rejects_baseline_name_over_120_characters(w):
    baseline_create(contract=w.contract, name="x" * 120, actor=w.client_manager)
    with refused("too_long", "name"):
        baseline_create(contract=w.contract, name="y" * 121, actor=w.client_manager)


def test_rejects_duplicate_baseline_name_on_the_same_contract(w):
    baseline_create(contract=w.contract, name="Programme v1", actor=w.client_manager)
    with refused("duplicate_baseline", "name"):
        baseline_create(contract=w.contract, name=" Programme v1", actor=w.supplier_manager)


def test_accepts_the_same_baseline_name_on_another_contract(w):
    baseline_create(contract=w.contract, name="Programme v1", actor=w.client_manager)
    other = contract_create(
        organisation=w.client_org,
        party_role=PartyRole.CLIENT,
        reference="HCC-2026-009",
        title="Depot",
        value=Decimal("10.00"),
        currency="GBP",
        start_date=d("2026-11-02"),
        end_date=d("2027-11-02"),
        actor=w.client_manager,
    )
    assert baseline_create(contract=other, name="Programme v1", actor=w.client_manager).pk


# baseline_delete


def test_owners_manager_deletes_a_baseline_and_its_entries(w):
    w.deliverable("Foundation")
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.supplier_manager)
    baseline_id = baseline.pk

    baseline_delete(baseline=baseline, actor=w.client_manager)

    assert not Baseline.objects.exists() and not BaselineEntry.objects.exists()
    event = Event.objects.latest("id")
    assert event.action == "baseline.deleted"
    assert (event.object_id, event.contract_id) == (baseline_id, w.contract.pk)
    assert event.before == {"name": "v1"}


def test_rejects_baseline_delete_by_a_manager_of_another_party(w):
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.supplier_manager)
    with refused("forbidden", error=Forbidden):
        baseline_delete(baseline=baseline, actor=w.supplier_manager)
    assert Baseline.objects.filter(pk=baseline.pk).exists()


# Selectors


def test_lists_baselines_newest_first_with_entry_counts(w):
    w.deliverable("Foundation")
    older = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    w.deliverable("Roof")
    newer = baseline_create(contract=w.contract, name="v2", actor=w.client_manager)

    listed = list(baselines_for_contract(user=w.supplier_viewer, contract=w.contract))

    assert [(b.pk, b.entry_count) for b in listed] == [(newer.pk, 2), (older.pk, 1)]
    assert baselines_for_contract(user=w.outsider, contract=w.contract).count() == 0


def test_hides_a_baseline_from_an_outsider(w):
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    assert baseline_get_for_user(user=w.client_viewer, pk=baseline.pk) == baseline
    with refused("not_found", error=NotFound):
        baseline_get_for_user(user=w.outsider, pk=baseline.pk)
    with refused("not_found", error=NotFound):
        baseline_variance(user=w.outsider, baseline=baseline)


@pytest.fixture
def planned(w):
    """Six milestones baselined, then moved across Christmas, a weekend and a contract day off."""
    ms = {
        "A": w.deliverable("A across Christmas", due_date=d("2026-12-24")),
        "B": w.deliverable("B brought forward", due_date=d("2026-12-18")),
        "C": w.deliverable("C unchanged", due_date=d("2026-11-20")),
        "E": w.deliverable("E cancelled", due_date=d("2026-12-01")),
        "F": w.deliverable("F over a weekend", due_date=d("2026-11-27")),
        "G": w.deliverable("G over New Year", due_date=d("2026-12-31")),
    }
    baseline = baseline_create(contract=w.contract, name="Accepted v1", actor=w.client_manager)
    move(ms["A"], d("2026-12-29"))
    move(ms["B"], d("2026-12-14"))
    move(ms["E"], d("2027-03-01"), status=MilestoneStatus.CANCELLED)
    move(ms["F"], d("2026-11-30"))
    move(ms["G"], d("2027-01-06"))
    NonWorkingDay.objects.create(contract=w.contract, day=d("2027-01-04"), reason="Shutdown")
    ms["D"] = w.deliverable("D added later", due_date=d("2027-01-05"))
    return baseline_get_for_user(user=w.client_viewer, pk=baseline.pk), ms


def test_variance_counts_slip_in_calendar_and_working_days(w, planned):
    baseline, ms = planned

    variance = baseline_variance(user=w.supplier_viewer, baseline=baseline)

    by_title = {row.title[0]: row for row in variance.rows}
    # Row order follows the current due dates.
    assert [row.title[0] for row in variance.rows] == ["C", "F", "B", "A", "D", "G", "E"]
    # Thu 24 Dec -> Tue 29 Dec: Fri 25 (Christmas), the weekend and Mon 28 (Boxing Day
    # observed) are not worked, so only Thu 24 is a working day lost.
    assert (by_title["A"].slip_days, by_title["A"].slip_working_days) == (5, 1)
    # Fri 18 Dec -> Mon 14 Dec: four working days earlier (Mon to Thu).
    assert (by_title["B"].slip_days, by_title["B"].slip_working_days) == (-4, -4)
    assert (by_title["C"].slip_days, by_title["C"].slip_working_days) == (0, 0)
    # Fri 27 Nov -> Mon 30 Nov: three days, but only the Friday is a working day.
    assert (by_title["F"].slip_days, by_title["F"].slip_working_days) == (3, 1)
    # Thu 31 Dec -> Wed 6 Jan: New Year's Day, the weekend and the contract's own day off on
    # Mon 4 Jan are skipped: Thu 31 Dec and Tue 5 Jan are lost.
    assert (by_title["G"].slip_days, by_title["G"].slip_working_days) == (6, 2)
    new = by_title["D"]
    assert new.is_new and (new.baseline_due, new.slip_days, new.slip_working_days) == (
        None,
        None,
        None,
    )
    cancelled = by_title["E"]
    assert cancelled.status == MilestoneStatus.CANCELLED and cancelled.status_label == "Cancelled"
    assert (cancelled.baseline_due, cancelled.current_due) == (d("2026-12-01"), d("2027-03-01"))
    assert by_title["A"].kind_label == "Deliverable" and by_title["A"].id == ms["A"].pk


def test_variance_summary_leaves_cancelled_milestones_out(w, planned):
    baseline, ms = planned

    summary = baseline_variance(user=w.client_manager, baseline=baseline).summary

    assert (summary.later, summary.earlier, summary.unchanged, summary.new) == (3, 1, 1, 1)
    assert (
        summary.largest_slip_days,
        summary.largest_slip_working_days,
        summary.largest_slip_milestone_id,
    ) == (6, 2, ms["G"].pk)
    # The cancelled milestone's 1 March is not the finish; G's 6 January is.
    assert (summary.baseline_finish, summary.current_finish) == (
        d("2026-12-31"),
        d("2027-01-06"),
    )
    assert (summary.finish_slip_days, summary.finish_slip_working_days) == (6, 2)


def test_variance_keeps_the_frozen_start_dates(w):
    milestone = w.deliverable("Frame", due_date=d("2026-12-01"))
    move(milestone, d("2026-12-01"), start_date=d("2026-11-20"))
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    move(milestone, d("2026-12-08"), start_date=d("2026-11-27"))

    row = baseline_variance(user=w.client_manager, baseline=baseline).rows[0]

    assert (row.baseline_start, row.current_start) == (d("2026-11-20"), d("2026-11-27"))


def test_variance_of_a_contract_without_milestones_is_empty(w):
    baseline = baseline_create(contract=w.contract, name="Empty", actor=w.client_manager)

    variance = baseline_variance(user=w.client_manager, baseline=baseline)

    assert variance.rows == []
    assert variance.summary.finish_slip_days is None and variance.summary.largest_slip_days is None


def test_variance_has_no_largest_slip_when_nothing_is_later(w):
    milestone = w.deliverable("Frame", due_date=d("2026-12-08"))
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    move(milestone, d("2026-12-01"))

    summary = baseline_variance(user=w.client_manager, baseline=baseline).summary

    assert summary.largest_slip_milestone_id is None and summary.earlier == 1
    assert (summary.finish_slip_days, summary.finish_slip_working_days) == (-7, -5)


@pytest.mark.parametrize("count", [3, 30])
def test_variance_reads_a_constant_number_of_queries(w, count, django_assert_num_queries):
    for number in range(count):
        w.deliverable(f"Milestone {number}", due_date=d("2026-11-16") + dt.timedelta(days=number))
    saved = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    w.deliverable("Added later", due_date=d("2027-01-05"))
    baseline = baseline_get_for_user(user=w.client_manager, pk=saved.pk)

    with django_assert_num_queries(4):
        variance = baseline_variance(user=w.client_manager, baseline=baseline)

    assert len(variance.rows) == count + 1


# API


def test_api_lists_and_creates_baselines(w):
    w.deliverable("Foundation")
    client = signed_in(w.supplier_manager)
    url = f"{API}/contracts/{w.contract.pk}/baselines"

    created = client.post(url, {"name": "Programme v1"}, content_type="application/json")
    listed = client.get(url)

    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["created_by"], body["milestone_count"]) == ("Programme v1", "sam", 1)
    assert body["contract_id"] == w.contract.pk
    assert listed.status_code == 200 and [b["id"] for b in listed.json()] == [body["id"]]


def test_api_refuses_baselines_to_members_and_hides_them_from_outsiders(w):
    url = f"{API}/contracts/{w.contract.pk}/baselines"
    member = signed_in(w.supplier_member).post(url, {"name": "v1"}, content_type="application/json")
    duplicate_free = signed_in(w.client_manager).post(
        url, {"name": "v1"}, content_type="application/json"
    )
    duplicate = signed_in(w.client_manager).post(
        url, {"name": "v1"}, content_type="application/json"
    )

    assert member.status_code == 403
    assert duplicate_free.status_code == 201
    assert (
        duplicate.status_code == 422 and duplicate.json()["error"]["code"] == "duplicate_baseline"
    )
    assert signed_in(w.outsider).get(url).status_code == 404


def test_api_reads_one_baseline_with_its_variance(w, planned):
    baseline, ms = planned

    response = signed_in(w.client_viewer).get(f"{API}/baselines/{baseline.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Accepted v1" and body["milestone_count"] == 6
    row = next(r for r in body["rows"] if r["id"] == ms["A"].pk)
    assert (row["baseline_due"], row["current_due"]) == ("2026-12-24", "2026-12-29")
    assert (row["slip_days"], row["slip_working_days"], row["is_new"]) == (5, 1, False)
    assert next(r for r in body["rows"] if r["id"] == ms["D"].pk)["is_new"] is True
    assert body["summary"]["finish_slip_working_days"] == 2
    assert signed_in(w.outsider).get(f"{API}/baselines/{baseline.pk}").status_code == 404


def test_api_deletes_a_baseline_for_the_owners_manager_only(w):
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.supplier_manager)
    url = f"{API}/baselines/{baseline.pk}"

    assert signed_in(w.supplier_manager).delete(url).status_code == 403
    assert signed_in(w.outsider).delete(url).status_code == 404
    assert signed_in(w.client_manager).delete(url).status_code == 204
    assert not Baseline.objects.exists()


# Pages


def test_baselines_page_lists_them_and_offers_the_form_to_managers(w):
    baseline_create(contract=w.contract, name="Programme v1", actor=w.client_manager)
    url = reverse("contract-baselines", args=[w.contract.pk])

    manager = signed_in(w.supplier_manager).get(url).content.decode()
    viewer = signed_in(w.supplier_viewer).get(url).content.decode()

    assert "Programme v1" in manager and 'name="name"' in manager
    assert reverse("reporting:contract-detail", args=[w.contract.pk]) in manager
    assert "Programme v1" in viewer and 'name="name"' not in viewer
    assert signed_in(w.outsider).get(url).status_code == 404


def test_manager_saves_a_baseline_from_the_page(w):
    w.deliverable("Foundation")
    client = signed_in(w.consultant_manager)
    url = reverse("contract-baselines", args=[w.contract.pk])

    response = client.post(url, {"name": "Programme v2"}, follow=True)

    baseline = Baseline.objects.get()
    assert response.redirect_chain[-1][0] == reverse("baseline-detail", args=[baseline.pk])
    assert "Baseline “Programme v2” saved." in response.content.decode()


def test_page_shows_a_refused_baseline_name_on_the_form(w):
    baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    url = reverse("contract-baselines", args=[w.contract.pk])

    response = signed_in(w.client_manager).post(url, {"name": "v1"})

    assert response.status_code == 422
    assert "already has a baseline called" in response.content.decode()


def test_page_refuses_a_baseline_from_a_member(w):
    url = reverse("contract-baselines", args=[w.contract.pk])
    assert signed_in(w.supplier_member).post(url, {"name": "v1"}).status_code == 403


def test_baseline_page_shows_slip_per_milestone_and_the_summary(w, planned):
    baseline, ms = planned
    url = reverse("baseline-detail", args=[baseline.pk])

    owner = signed_in(w.client_manager).get(url).content.decode()
    supplier = signed_in(w.supplier_manager).get(url)

    assert reverse("milestones:milestone-detail", args=[ms["A"].pk]) in owner
    assert "24 Dec 2026" in owner and "29 Dec 2026" in owner
    assert '<td class="num">+5</td>' in owner and '<td class="num">+1</td>' in owner
    assert ">new<" in owner and ">cancelled<" in owner
    assert "6 Jan 2027, was 31 Dec 2026: +6 days (+2 working)" in owner
    assert reverse("baseline-delete", args=[baseline.pk]) in owner
    assert supplier.status_code == 200
    assert reverse("baseline-delete", args=[baseline.pk]) not in supplier.content.decode()
    assert signed_in(w.outsider).get(url).status_code == 404


def test_owners_manager_deletes_a_baseline_from_its_page(w):
    baseline = baseline_create(contract=w.contract, name="v1", actor=w.client_manager)
    url = reverse("baseline-delete", args=[baseline.pk])

    assert signed_in(w.supplier_manager).post(url).status_code == 403
    response = signed_in(w.client_manager).post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("contract-baselines", args=[w.contract.pk])
    assert not Baseline.objects.exists()
