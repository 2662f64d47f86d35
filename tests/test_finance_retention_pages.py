"""Endpoint and page tests for retention: one allowed and one forbidden request each."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from milepost.finance.cycles.services import cycle_apply, money_terms_set
from milepost.payments.models import PaymentTerms
from tests.helpers import signed_in

# A Monday: the contract's today is 1 June 2026.
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
pytestmark = pytest.mark.usefixtures("clock")
TODAY = dt.date(2026, 6, 1)
API = "/api/v1"


def held(w):
    """5% retention on a £1,000,000 contract; one application of £200,000 held £10,000."""
    terms = money_terms_set(
        contract=w.contract,
        actor=w.client_manager,
        regime="scheme_ew",
        basis="interim",
        payer=w.client,
        payee=w.supplier,
        retention_percent="5",
        completion=w.deliverable("Practical completion", due_date=TODAY + dt.timedelta(days=60)),
    )
    cycle_apply(
        contract=w.contract,
        actor=w.supplier_manager,
        applied_on=TODAY - dt.timedelta(days=7),
        period_end=TODAY - dt.timedelta(days=8),
        gross_value="200000",
    )
    terms.refresh_from_db()
    return terms


# --- API ------------------------------------------------------------------------------------------


def test_api_reads_the_contracts_retention_ledger(w):
    held(w)

    response = signed_in(w.client_viewer).get(f"{API}/contracts/{w.contract.pk}/retention")

    assert response.status_code == 200
    data = response.json()
    assert (Decimal(data["held"]), Decimal(data["released"]), Decimal(data["balance"])) == (
        Decimal("10000.00"),
        Decimal("0.00"),
        Decimal("10000.00"),
    )
    assert [r["release"] for r in data["releases"]] == ["first", "second"]
    assert Decimal(data["releases"][0]["amount_now"]) == Decimal("5000.00")
    assert data["rows"][0]["text"] == (
        "Application 1, for the valuation to 24 May 2026 of £200,000.00, held back £10,000.00."
    )


def test_api_hides_a_contracts_retention_from_an_outsider(w):
    held(w)

    response = signed_in(w.outsider).get(f"{API}/contracts/{w.contract.pk}/retention")

    assert response.status_code == 404


def test_api_fixes_a_release_to_the_retention_held(w):
    first = held(w).first_release

    response = signed_in(w.supplier_manager).post(
        f"{API}/milestones/{first.pk}/retention-release/fix"
    )

    assert response.status_code == 200
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("5000.00")


def test_api_refuses_a_member_fixing_a_release(w):
    first = held(w).first_release

    response = signed_in(w.supplier_member).post(
        f"{API}/milestones/{first.pk}/retention-release/fix"
    )

    assert response.status_code == 403
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("25000.00")


# --- pages ----------------------------------------------------------------------------------------


def test_the_retention_page_shows_the_ledger_and_the_releases(w):
    held(w)

    response = signed_in(w.client_manager).get(reverse("finance:retention", args=[w.contract.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Retention · HCC-2026-001" in page
    assert "5% of each interim valuation is held back" in page
    assert "Retention release at completion" in page
    assert "Due 31 Jul 2026" not in page  # the first release falls due when completion is met
    assert "Due when &#x27;Practical completion&#x27; is met, planned for 31 Jul 2026." in page
    assert "Make it pay £5,000.00, the retention held" in page
    assert "Cora planned Retention release at completion" in page  # the changes, as sentences


def test_the_retention_page_shows_why_a_member_cannot_fix_a_release(w):
    held(w)

    response = signed_in(w.client_member).get(reverse("finance:retention", args=[w.contract.pk]))

    page = response.content.decode()
    assert "Make it pay" not in page
    assert "may fix what a release of retention pays" in page


def test_the_retention_page_is_not_found_for_an_outsider(w):
    held(w)

    response = signed_in(w.outsider).get(reverse("finance:retention", args=[w.contract.pk]))

    assert response.status_code == 404


def test_fixing_a_release_from_the_page_goes_back_to_the_ledger(w):
    first = held(w).first_release

    response = signed_in(w.client_manager).post(
        reverse("finance:retention-release-fix", args=[first.pk]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("finance:retention", args=[w.contract.pk])
    assert "now pays the retention held for it" in response.content.decode()
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("5000.00")


def test_fixing_a_release_from_the_page_is_refused_for_a_member(w):
    first = held(w).first_release

    response = signed_in(w.client_member).post(
        reverse("finance:retention-release-fix", args=[first.pk]), follow=True
    )

    assert "may fix what a release of retention pays" in response.content.decode()
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("25000.00")
