"""Service credits through the API and on the milestone's page: one allowed and one refused each.

The clock stands at 1 Jun 2027 (London); availability is measured monthly from 1 Apr 2026
(see tests/test_performance_credits.py for the figures).
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from milepost.performance.choices import CreditMethod
from milepost.performance.models import CreditTerms, Measurement, ServiceCredit
from milepost.performance.services import credit_mark_deducted
from tests.helpers import signed_in
from tests.test_api import API, bearer
from tests.test_performance_credits import APR_26, MAY_26, availability, record, terms

START = dt.datetime(2027, 6, 1, 12, tzinfo=ZoneInfo("Europe/London"))
pytestmark = pytest.mark.usefixtures("clock")

BAND_BODY = {
    "method": "bands",
    "period_charge": "20000",
    "bands": [{"shortfall": "0.5", "percent": "10"}, {"shortfall": "0", "percent": "5"}],
    "cap_period": "3000",
    "cap_year": "10000",
}


def put(client, url, data):
    return client.put(url, data, content_type="application/json")


def test_api_client_manager_sets_banded_terms_and_a_consultant_may_not(w):
    milestone = availability(w)
    url = f"{API}/milestones/{milestone.pk}/service-credit-terms"
    body = {**BAND_BODY, "payer": w.supplier.pk, "payee": w.client.pk}

    refused = put(bearer(w.consultant_manager), url, body)
    done = put(bearer(w.client_manager), url, body)

    assert refused.status_code == 403
    assert done.status_code == 200, done.content
    assert done.json()["bands"] == [
        {"shortfall": "0", "percent": "5"},
        {"shortfall": "0.5", "percent": "10"},
    ]
    assert (done.json()["payer"], done.json()["currency"]) == ("Northgate Construction", "GBP")
    assert CreditTerms.objects.filter(kpi__milestone=milestone).count() == 1


def test_api_reads_the_terms_and_an_outsider_gets_404(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000")
    url = f"{API}/milestones/{milestone.pk}/service-credit-terms"

    hidden = bearer(w.outsider).get(url)
    shown = bearer(w.supplier_viewer).get(url)

    assert hidden.status_code == 404
    assert shown.status_code == 200
    assert (shown.json()["method"], Decimal(shown.json()["amount"])) == ("fixed", Decimal(1000))


def test_api_lists_the_contracts_credits_and_an_outsider_gets_404(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000")
    record(w, milestone, APR_26, "99.31")
    url = f"{API}/contracts/{w.contract.pk}/service-credits"

    hidden = bearer(w.outsider).get(url)
    shown = bearer(w.client_viewer).get(url)

    assert hidden.status_code == 404
    assert shown.status_code == 200
    [credit] = shown.json()
    assert (credit["period_start"], Decimal(credit["amount"]), credit["payee"]) == (
        "2026-04-01",
        Decimal(1000),
        "Harbour City Council",
    )


def test_api_owner_corrects_a_measurement_and_a_viewer_may_not(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000")
    measurement = record(w, milestone, APR_26, "99.31")
    url = f"{API}/measurements/{measurement.pk}"

    refused = bearer(w.client_viewer).patch(url, {"value": "99.6"}, content_type="application/json")
    done = bearer(w.supplier_member).patch(
        url, {"value": "99.6", "note": "Planned outage"}, content_type="application/json"
    )

    assert refused.status_code == 403
    assert done.status_code == 200, done.content
    assert done.json()["passed"] is True
    assert not ServiceCredit.objects.filter(measurement=measurement).exists()


def test_page_shows_the_terms_in_words_and_each_credit_with_its_cap(w):
    milestone = availability(w)
    terms(
        w,
        milestone,
        method=CreditMethod.BANDS,
        bands=BAND_BODY["bands"],
        period_charge="20000",
        cap_period="1500",
    )
    record(w, milestone, APR_26, "99")  # 10% of £20,000 = £2,000, capped at £1,500

    page = signed_in(w.supplier_viewer).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert (
        "Northgate Construction credits Harbour City Council a share of the period&#x27;s charge "
        "of £20,000.00 for each missed period: 5% for any miss; 10% if it missed by 0.5 or more, at most £1,500.00 "
        "for one period." in text
    )
    assert "Capped from £2,000.00" in text


def test_page_offers_the_terms_form_to_a_manager_and_keeps_what_was_typed_when_refused(w):
    milestone = availability(w)
    page = reverse("milestones:milestone-detail", args=[milestone.pk])
    url = reverse("performance:credit-terms", args=[milestone.pk])
    form = {
        "method": "percent_of_charge",
        "payer": w.supplier.pk,
        "payee": w.client.pk,
        "percent": "150",
        "period_charge": "20000",
    }

    offered = signed_in(w.client_manager).get(page).content.decode()
    refused = signed_in(w.client_manager).post(url, form)
    done = signed_in(w.client_manager).post(url, {**form, "percent": "5"}, follow=True)

    assert "Save the service credits" in offered
    assert refused.status_code == 422
    assert "A percentage is more than 0 and at most 100." in refused.content.decode()
    assert 'name="percent" inputmode="decimal" value="150"' in refused.content.decode()
    assert done.status_code == 200
    assert CreditTerms.objects.get(kpi__milestone=milestone).percent == Decimal(5)


def test_page_says_why_a_consultant_may_not_set_the_terms(w):
    milestone = availability(w)
    terms(w, milestone)

    text = (
        signed_in(w.consultant_manager)
        .get(reverse("milestones:milestone-detail", args=[milestone.pk]))
        .content.decode()
    )

    assert "Save the service credits" not in text
    assert "Only a manager of the supplier or the client these credits are between" in text


def test_page_corrects_a_measurement_and_its_credit_follows(w):
    milestone = availability(w)
    terms(w, milestone, amount="1000")
    measurement = record(w, milestone, APR_26, "99.31")
    url = reverse("performance:correction", args=[milestone.pk])

    done = signed_in(w.supplier_member).post(
        url, {"measurement": measurement.pk, "value": "98", "note": "Re-read the log"}, follow=True
    )

    assert done.status_code == 200
    assert Measurement.objects.get(pk=measurement.pk).value == Decimal("98.0000")
    assert ServiceCredit.objects.get(measurement=measurement).shortfall == Decimal("1.5000")


def test_page_says_a_deducted_credit_is_settled_and_promises_no_deduction_it_cannot_make(w):
    # The contract has no payment cycles, so nothing can deduct the open credit: the page must
    # not say the client "deducts these from its next payment".
    milestone = availability(w)
    terms(w, milestone)
    april = record(w, milestone, APR_26, "99.31").service_credit
    record(w, milestone, MAY_26, "99.31")
    credit_mark_deducted(credit=april)

    page = signed_in(w.supplier_viewer).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )

    text = page.content.decode()
    assert "deducts these from its next payment" not in text
    assert "where the contract's payments run through payment cycles" in text
    assert text.count("Taken off a payment; it no longer changes") == 1
    assert text.count("<td>Not yet</td>") == 1


def test_api_lists_whether_each_credit_was_deducted(w):
    milestone = availability(w)
    terms(w, milestone)
    april = record(w, milestone, APR_26, "99.31").service_credit
    record(w, milestone, MAY_26, "99.31")
    credit_mark_deducted(credit=april)

    answer = bearer(w.client_viewer).get(f"{API}/contracts/{w.contract.pk}/service-credits")

    assert answer.status_code == 200
    assert [row["deducted"] for row in answer.json()] == [True, False]


def test_page_tells_the_supplier_why_it_may_not_set_credits_on_a_signed_contract(w):
    milestone = availability(w)

    text = (
        signed_in(w.supplier_manager)
        .get(reverse("milestones:milestone-detail", args=[milestone.pk]))
        .content.decode()
    )

    assert "Save the service credits" not in text
    assert "The contract is signed, so its service credits are agreed terms" in text
