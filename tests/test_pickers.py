"""Choosing a time zone and a holiday calendar: suggested zone names, the country's own regions."""

from django.test import Client
from django.urls import reverse

from milepost.contracts.models import Contract
from milepost.web.pickers import region_choices

from .helpers import signed_in, stored_rows
from .test_web_forms import contract_post, field_errors

NEW = reverse("contracts:contract-new")
REGIONS = reverse("contracts:holiday-regions")


def test_region_list_names_each_region_of_the_country():
    assert region_choices("gb") == (
        ("ENG", "England (ENG)"),
        ("NIR", "Northern Ireland (NIR)"),
        ("SCT", "Scotland (SCT)"),
        ("WLS", "Wales (WLS)"),
    )
    assert region_choices("XX") == ()


def test_new_contract_form_lists_countries_by_name_and_the_regions_of_its_country(world):
    body = signed_in(world.client_manager).get(NEW).content.decode()

    assert '<option value="GB" selected>United Kingdom</option>' in body
    assert '<option value="SCT">Scotland (SCT)</option>' in body
    assert "Bayern" not in body  # Germany's regions are not Britain's
    assert 'list="id_time_zone-list"' in body and '<option value="Asia/Tokyo"></option>' in body


def test_edit_form_selects_the_contracts_region(world, login):
    Contract.objects.filter(pk=world.contract.pk).update(holiday_region="SCT")
    page = login(world.client_manager).get(
        reverse("milestones:contract-edit", args=[world.contract.pk])
    )

    assert '<option value="SCT" selected>Scotland (SCT)</option>' in page.content.decode()


def test_choosing_another_country_redraws_the_region_list(world):
    response = signed_in(world.client_manager).get(
        REGIONS, {"holiday_country": "DE", "holiday_region": "SCT"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<select name="holiday_region"') and 'id="id_holiday_region"' in body
    assert '<option value="BY">Bayern (BY)</option>' in body and "SCT" not in body


def test_region_list_needs_a_signed_in_person(world):
    assert Client().get(REGIONS, {"holiday_country": "GB"}).status_code == 302


def test_a_region_the_country_lacks_is_refused_naming_the_field(world, login):
    client = login(world.client_manager)
    before = stored_rows()

    response = client.post(NEW, contract_post(world, holiday_region="BY"))

    assert response.status_code == 422
    assert field_errors(response, "holiday_region") == [
        "'BY' is not a region of United Kingdom: choose one from the list, or none."
    ]
    assert stored_rows() == before


def test_without_javascript_a_changed_country_redraws_its_regions_on_submit(world, login):
    client = login(world.client_manager)

    response = client.post(NEW, contract_post(world, holiday_country="DE", holiday_region="SCT"))

    body = response.content.decode()
    assert field_errors(response, "holiday_region") == [
        "'SCT' is not a region of Germany: choose one from the list, or none."
    ]
    assert '<option value="DE" selected>Germany</option>' in body
    assert '<option value="BY">Bayern (BY)</option>' in body


def test_an_unknown_country_is_refused_naming_the_field(world, login):
    response = login(world.client_manager).post(NEW, contract_post(world, holiday_country="XX"))

    assert field_errors(response, "holiday_country") == [
        "'XX' is not a country with a public holiday calendar: choose one from the list."
    ]


def test_a_region_of_the_country_is_saved(world, login):
    login(world.client_manager).post(NEW, contract_post(world, holiday_region="sct"))

    contract = Contract.objects.get(reference="HCC-2026-077")
    assert (contract.holiday_country, contract.holiday_region) == ("GB", "SCT")


def test_a_time_zone_typed_in_any_case_is_saved_by_its_name(world, login):
    login(world.client_manager).post(NEW, contract_post(world, time_zone="europe/paris"))

    assert Contract.objects.get(reference="HCC-2026-077").time_zone == "Europe/Paris"


def test_an_unknown_time_zone_is_refused_naming_the_field(world, login):
    response = login(world.client_manager).post(NEW, contract_post(world, time_zone="Mars/Base"))

    assert response.status_code == 422
    assert field_errors(response, "time_zone") == [
        "'Mars/Base' is not a time zone: choose one from the list as you type, such as "
        "Europe/London."
    ]
    assert "Time zone: &#x27;Mars/Base&#x27; is not a time zone" in response.content.decode()
