"""Create and edit contracts, parties and milestones through web forms.

Each form: the right people may use it, others get 403 (or 404 from another organisation), a
valid post saves and leaves an audit event, and an invalid post shows the error on the field it
names with status 422 and changes nothing.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.approvals.models import GateRequirement
from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.contracts.services import contract_create
from milepost.payments.models import PaymentTerms
from milepost.payments.services import payment_milestone_create
from milepost.performance.models import KPI
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.models import Milestone
from tests.helpers import stored_rows


def field_errors(response, name: str) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(name, [])]


def contract_post(world, **overrides):
    data = {
        "organisation": world.client_org.pk,
        "party_role": "client",
        "reference": "HCC-2026-077",
        "title": "Harbour wall repairs",
        "currency": "gbp",
        "value": "250000.00",
        "start_date": world.today.isoformat(),
        "end_date": (world.today + dt.timedelta(days=180)).isoformat(),
        "time_zone": "Europe/London",
        "holiday_country": "gb",
        "holiday_region": "",
        "description": "",
    }
    data.update(overrides)
    return data


# Contracts


def test_a_manager_creates_a_draft_contract_and_the_event_is_recorded(login, world):
    client = login(world.client_manager)
    form = client.get(reverse("contracts:contract-new"))
    assert form.status_code == 200
    # Only organisations the person manages are offered.
    offered = list(form.context["form"].fields["organisation"].queryset)
    assert offered == [world.client_org]

    response = client.post(reverse("contracts:contract-new"), contract_post(world))
    contract = Contract.objects.get(reference="HCC-2026-077")
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:contract-detail", args=[contract.pk])
    assert (contract.status, contract.currency, contract.value) == (
        "draft",
        "GBP",
        Decimal("250000.00"),
    )
    assert contract.parties.get().organisation == world.client_org
    assert Event.objects.filter(action="contract.created", object_id=contract.pk).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Contract HCC-2026-077 created as a draft." in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end_date": "2020-01-01"}, "end_date", "before the start date"),
        ({"reference": "HCC-2026-001"}, "reference", "already has a contract"),
        ({"currency": "XYZ"}, "currency", "not a supported ISO 4217"),
        ({"value": "-5"}, "value", "greater than or equal to 0"),
        ({"title": ""}, "title", "required"),
        ({"holiday_country": "ZZ"}, "holiday_country", ""),
        ({"party_role": "observer"}, "party_role", "valid choice"),
        ({"start_date": "next week"}, "start_date", "valid date"),
    ],
)
def test_an_invalid_contract_is_refused_on_its_field_and_nothing_is_saved(
    login, world, overrides, field, message
):
    client = login(world.client_manager)
    before = stored_rows()
    response = client.post(reverse("contracts:contract-new"), contract_post(world, **overrides))
    assert response.status_code == 422
    errors = field_errors(response, field)
    assert errors and message in " ".join(errors)
    assert stored_rows() == before
    body = response.content.decode()
    assert "Nothing was saved" in body and f'href="#id_{field}"' in body


def test_a_contract_cannot_be_made_for_an_organisation_one_does_not_manage(login, world):
    client = login(world.client_manager)
    before = stored_rows()
    response = client.post(
        reverse("contracts:contract-new"), contract_post(world, organisation=world.supplier_org.pk)
    )
    assert response.status_code == 422
    assert field_errors(response, "organisation")
    assert stored_rows() == before


def test_members_and_viewers_cannot_open_the_new_contract_form(login, world):
    assert login(world.client_member).get(reverse("contracts:contract-new")).status_code == 403
    assert login(world.client_viewer).get(reverse("contracts:contract-new")).status_code == 403
    list_page = login(world.client_viewer).get(reverse("reporting:contract-list")).content.decode()
    assert reverse("contracts:contract-new") not in list_page
    list_page = login(world.client_manager).get(reverse("reporting:contract-list")).content.decode()
    assert reverse("contracts:contract-new") in list_page


def edit_post(contract, **overrides):
    data = {
        "reference": contract.reference,
        "title": contract.title,
        "description": contract.description,
        "value": str(contract.value),
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "time_zone": contract.time_zone,
        "holiday_country": contract.holiday_country,
        "holiday_region": contract.holiday_region,
    }
    data.update(overrides)
    return data


def test_the_owner_edits_terms_and_value_together(login, world):
    client = login(world.client_manager)
    url = reverse("milestones:contract-edit", args=[world.contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["title"] == "Harbour library extension"
    response = client.post(
        url, edit_post(world.contract, title="Harbour library extension, phase 1", value="1200000")
    )
    assert response.status_code == 302
    world.contract.refresh_from_db()
    assert world.contract.title == "Harbour library extension, phase 1"
    assert world.contract.value == Decimal("1200000.00")
    actions = set(
        Event.objects.filter(object_id=world.contract.pk).values_list("action", flat=True)
    )
    assert {"contract.updated", "contract.revalued"} <= actions


def test_a_refused_revalue_takes_back_the_other_changes_in_the_same_form(login, world):
    payment_milestone_create(
        contract=world.contract,
        title="Stage payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=40),
        payer=world.client,
        payee=world.supplier,
        trigger=world.deliverable(),
        amount="600000",
        actor=world.client_manager,
    )
    client = login(world.client_manager)
    before = stored_rows()
    response = client.post(
        reverse("milestones:contract-edit", args=[world.contract.pk]),
        edit_post(world.contract, title="Renamed", value="500000"),
    )
    assert response.status_code == 422
    assert "may not exceed 100%" in " ".join(field_errors(response, "value"))
    world.contract.refresh_from_db()
    assert (world.contract.title, world.contract.value) == (
        "Harbour library extension",
        Decimal("1000000.00"),
    )
    assert stored_rows() == before


def test_only_the_owning_organisations_managers_edit_a_contract(login, world):
    url = reverse("milestones:contract-edit", args=[world.contract.pk])
    assert login(world.supplier_manager).get(url).status_code == 403
    assert login(world.client_member).post(url, edit_post(world.contract)).status_code == 403
    assert login(world.outsider).get(url).status_code == 404
    detail = reverse("reporting:contract-detail", args=[world.contract.pk])
    assert url not in login(world.supplier_manager).get(detail).content.decode()
    assert url in login(world.client_manager).get(detail).content.decode()


def test_the_owner_changes_the_contract_status_and_a_wrong_one_is_refused(login, world):
    client = login(world.client_manager)
    url = reverse("contracts:contract-status", args=[world.contract.pk])
    refused = client.post(url, {"status": "draft"}, follow=True)
    assert "Select a valid choice" in refused.content.decode()
    world.contract.refresh_from_db()
    assert world.contract.status == "active"

    done = client.post(url, {"status": "suspended"}, follow=True)
    assert "Contract is now suspended." in done.content.decode()
    world.contract.refresh_from_db()
    assert world.contract.status == "suspended"
    assert Event.objects.filter(action="contract.status_changed").exists()
    assert login(world.supplier_manager).post(url, {"status": "active"}).status_code == 403


def test_the_owner_adds_and_removes_parties(login, world):
    client = login(world.client_manager)
    add = reverse("contracts:party-new", args=[world.contract.pk])
    # An organisation it has never worked with is named by its identifier (it is not listed).
    response = client.post(add, {"identifier": world.outsider_org.slug, "role": "observer"})
    assert response.status_code == 302
    party = world.contract.parties.get(organisation=world.outsider_org)
    assert party.role == "observer"
    assert Event.objects.filter(action="party.added", object_id=party.pk).exists()

    # An organisation already on the contract is not offered, and posting it is refused.
    again = client.post(
        add, {"organisation": world.supplier_org.pk, "role": "observer"}, follow=True
    )
    assert "Select a valid choice" in again.content.decode()

    remove = reverse("contracts:party-remove", args=[world.contract.pk, party.pk])
    assert login(world.supplier_manager).post(remove).status_code == 403
    client = login(world.client_manager)
    client.post(remove)
    assert not world.contract.parties.filter(pk=party.pk).exists()
    assert Event.objects.filter(action="party.removed").exists()

    owner = reverse("contracts:party-remove", args=[world.contract.pk, world.client.pk])
    page = client.post(owner, follow=True).content.decode()
    assert "owns this contract and stays a party" in page
    assert world.contract.parties.filter(pk=world.client.pk).exists()


def test_a_party_of_another_contract_answers_404(login, world):
    other = contract_create(
        organisation=world.outsider_org,
        party_role="client",
        reference="UH-1",
        title="Elsewhere",
        value="10",
        currency="GBP",
        start_date=world.today,
        end_date=world.today,
        actor=world.outsider,
    )
    theirs = other.parties.get()
    client = login(world.client_manager)
    assert (
        client.post(
            reverse("contracts:party-remove", args=[world.contract.pk, theirs.pk])
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("contracts:party-remove", args=[other.pk, theirs.pk])).status_code
        == 404
    )
    assert client.get(reverse("milestones:contract-edit", args=[other.pk])).status_code == 404
    assert other.parties.filter(pk=theirs.pk).exists()


# Milestones


def milestone_post(world, **overrides):
    data = {
        "title": "Roof weathertight",
        "owner": world.supplier_member.pk,
        "due_date": (world.today + dt.timedelta(days=45)).isoformat(),
        "criticality": "standard",
        "acceptance_criteria": "Roofer's completion certificate.",
        "description": "",
        "responsible_party": world.supplier.pk,
        "accepting_party": world.client.pk,
    }
    data.update(overrides)
    return data


def new_url(world, kind):
    return reverse("milestones:milestone-new", args=[world.contract.pk, kind])


def test_a_manager_adds_a_deliverable(login, world):
    client = login(world.supplier_manager)
    page = client.get(new_url(world, "deliverable"))
    assert page.status_code == 200
    owners = {u.username for u in page.context["form"].fields["owner"].queryset}
    assert {"sid", "sam", "cora", "colin"} <= owners and "cleo" not in owners  # viewers own nothing
    response = client.post(new_url(world, "deliverable"), milestone_post(world))
    milestone = Milestone.objects.get(title="Roof weathertight")
    assert response["Location"] == reverse("milestones:milestone-detail", args=[milestone.pk])
    assert (milestone.kind, milestone.baseline_due_date) == ("deliverable", milestone.due_date)
    assert Event.objects.filter(action="milestone.created", object_id=milestone.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"accepting_party": "SUPPLIER"}, "accepting_party", "another party than"),
        ({"owner": "CLIENT_MEMBER"}, "owner", "must be a member of Northgate"),
        ({"due_date": "2000-01-01"}, "due_date", "before the contract starts"),
        ({"acceptance_criteria": "  "}, "acceptance_criteria", "required"),
        ({"responsible_party": "999999"}, "responsible_party", "valid choice"),
        ({"criticality": "extreme"}, "criticality", "valid choice"),
    ],
)
def test_an_invalid_deliverable_is_refused_on_its_field(login, world, overrides, field, message):
    names = {"SUPPLIER": world.supplier.pk, "CLIENT_MEMBER": world.client_member.pk}
    overrides = {k: names.get(v, v) for k, v in overrides.items()}
    client = login(world.supplier_manager)
    before = stored_rows()
    response = client.post(new_url(world, "deliverable"), milestone_post(world, **overrides))
    assert response.status_code == 422
    assert message in " ".join(field_errors(response, field))
    assert stored_rows() == before


def payment_post(world, trigger, **overrides):
    data = milestone_post(world, title="Stage 1 payment", owner=world.client_manager.pk)
    data.update(
        payer=world.client.pk,
        payee=world.supplier.pk,
        trigger=trigger.pk,
        amount="300000",
        percentage="",
        retention_percent="5",
        acceptance_criteria="",
    )
    data.update(overrides)
    return data


def test_the_payer_adds_a_payment_by_amount_or_share(login, world):
    trigger = world.deliverable()
    client = login(world.client_manager)
    client.post(new_url(world, "payment"), payment_post(world, trigger))
    terms = PaymentTerms.objects.get(milestone__title="Stage 1 payment")
    assert (terms.amount, terms.percentage, terms.retention_percent) == (
        Decimal("300000.00"),
        Decimal("30.0000"),
        Decimal("5.0000"),
    )
    assert "Paid in full once" in terms.milestone.acceptance_criteria
    client.post(
        new_url(world, "payment"),
        payment_post(world, trigger, title="Stage 2 payment", amount="", percentage="40"),
    )
    assert PaymentTerms.objects.get(milestone__title="Stage 2 payment").amount == Decimal(
        "400000.00"
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"percentage": "10"}, "percentage", "not both"),
        ({"amount": ""}, "amount", "Give an amount or a percentage"),
        ({"amount": "1000001"}, "amount", "may not exceed 100%"),
        ({"payee": "CLIENT"}, "payee", "must be different"),
        ({"retention_percent": "101"}, "retention_percent", "less than or equal to 100"),
    ],
)
def test_an_invalid_payment_is_refused_on_its_field(login, world, overrides, field, message):
    trigger = world.deliverable()
    overrides = {k: world.client.pk if v == "CLIENT" else v for k, v in overrides.items()}
    client = login(world.client_manager)
    before = stored_rows()
    response = client.post(new_url(world, "payment"), payment_post(world, trigger, **overrides))
    assert response.status_code == 422
    assert message in " ".join(field_errors(response, field))
    assert stored_rows() == before


def test_only_the_payers_managers_commit_it_to_paying(login, world):
    trigger = world.deliverable()
    client = login(world.supplier_manager)
    before = stored_rows()
    response = client.post(
        new_url(world, "payment"), payment_post(world, trigger, owner=world.supplier_member.pk)
    )
    assert response.status_code == 403
    assert stored_rows() == before


def test_a_manager_adds_a_performance_target(login, world):
    client = login(world.supplier_manager)
    data = milestone_post(
        world,
        title="Building availability",
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="month",
        measurement_start=world.today.replace(day=1).isoformat(),
    )
    del data["accepting_party"]
    response = client.post(new_url(world, "performance"), data)
    assert response.status_code == 302, response.context["form"].errors
    kpi = KPI.objects.get(milestone__title="Building availability")
    assert (kpi.name, kpi.target, kpi.direction) == ("Availability", Decimal("99.5"), "at_least")

    data["direction"] = "sideways"
    refused = client.post(new_url(world, "performance"), {**data, "title": "Another"})
    assert refused.status_code == 422 and field_errors(refused, "direction")
    assert not Milestone.objects.filter(title="Another").exists()


def test_a_manager_adds_a_gate_that_names_its_approvers(login, world):
    client = login(world.client_manager)
    page = client.get(new_url(world, "gate")).content.decode()
    assert "<fieldset" in page and "Approved by" in page  # the checkboxes are grouped and named
    data = milestone_post(
        world,
        title="Design freeze",
        owner=world.client_member.pk,
        responsible_party=world.client.pk,
        required_parties=[world.client.pk, world.consultant.pk],
    )
    response = client.post(new_url(world, "gate"), data)
    assert response.status_code == 302
    gate = Milestone.objects.get(title="Design freeze")
    assert gate.kind == MilestoneKind.GATE and gate.criticality == "standard"
    assert set(GateRequirement.objects.filter(milestone=gate).values_list("party", flat=True)) == {
        world.client.pk,
        world.consultant.pk,
    }
    data.pop("required_parties")
    refused = client.post(new_url(world, "gate"), {**data, "title": "No approvers"})
    assert refused.status_code == 422 and field_errors(refused, "required_parties")


def test_milestone_forms_are_for_managers_of_a_party(login, world):
    for kind in ("deliverable", "payment", "performance", "gate"):
        assert login(world.supplier_member).get(new_url(world, kind)).status_code == 403
        assert login(world.outsider).get(new_url(world, kind)).status_code == 404
    assert login(world.supplier_manager).get(new_url(world, "meeting")).status_code == 404
    member = login(world.supplier_member)
    before = stored_rows()
    assert member.post(new_url(world, "deliverable"), milestone_post(world)).status_code == 403
    assert stored_rows() == before


def test_a_manager_edits_a_milestone_and_a_bad_owner_changes_nothing(login, world):
    milestone = world.deliverable()
    url = reverse("milestones:milestone-edit", args=[milestone.pk])
    client = login(world.supplier_manager)
    assert client.get(url).context["form"].initial["title"] == "Foundation complete"
    data = {
        "title": "Foundations complete",
        "owner": world.supplier_manager.pk,
        "criticality": "critical",
        "acceptance_criteria": milestone.acceptance_criteria,
        "description": "Piles and ground beams.",
    }
    assert client.post(url, data).status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.owner, milestone.criticality) == (
        "Foundations complete",
        world.supplier_manager,
        "critical",
    )
    assert Event.objects.filter(action="milestone.updated", object_id=milestone.pk).exists()

    before = stored_rows()
    refused = client.post(url, {**data, "title": "Renamed", "owner": world.client_member.pk})
    assert refused.status_code == 422
    assert "must be a member of Northgate" in " ".join(field_errors(refused, "owner"))
    milestone.refresh_from_db()
    assert milestone.title == "Foundations complete"
    assert stored_rows() == before

    assert login(world.supplier_viewer).get(url).status_code == 403
    assert login(world.outsider).get(url).status_code == 404


def test_a_payments_terms_are_edited_with_it_until_invoiced(login, world):
    payment = payment_milestone_create(
        contract=world.contract,
        title="Stage payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=40),
        payer=world.client,
        payee=world.supplier,
        trigger=world.deliverable(),
        percentage="30",
        actor=world.client_manager,
    )
    url = reverse("milestones:milestone-edit", args=[payment.pk])
    client = login(world.client_manager)
    initial = client.get(url).context["form"].initial
    assert initial["percentage"] == Decimal("30.0000") and "amount" not in initial
    data = {
        "title": "Stage payment",
        "owner": world.client_manager.pk,
        "criticality": "standard",
        "acceptance_criteria": payment.acceptance_criteria,
        "description": "",
        "amount": "",
        "percentage": "35",
        "retention_percent": "0",
    }
    assert client.post(url, data).status_code == 302
    assert PaymentTerms.objects.get(milestone=payment).amount == Decimal("350000.00")
    assert Event.objects.filter(action="payment.terms_changed").count() == 1

    refused = client.post(url, {**data, "title": "Renamed", "percentage": "120"})
    assert refused.status_code == 422 and field_errors(refused, "percentage")
    payment.refresh_from_db()
    assert payment.title == "Stage payment"


# Dependencies


def test_a_manager_links_milestones_and_a_cycle_is_refused_by_name(login, world):
    design = world.deliverable("Design")
    build = world.deliverable("Build", due_date=world.today + dt.timedelta(days=60))
    client = login(world.supplier_manager)
    url = reverse("milestone-dependencies", args=[build.pk])
    offered = list(client.get(url).context["form"].fields["predecessor"].queryset)
    assert offered == [design]  # not itself
    assert client.post(url, {"predecessor": design.pk}).status_code == 302
    assert list(build.predecessor_links.values_list("predecessor", flat=True)) == [design.pk]
    assert Event.objects.filter(action="dependency.added", milestone_id=build.pk).exists()
    detail = client.get(reverse("milestones:milestone-detail", args=[build.pk])).content.decode()
    assert "After <a" in detail and "Design" in detail

    before = stored_rows()
    back = reverse("milestone-dependencies", args=[design.pk])
    refused = client.post(back, {"predecessor": build.pk})
    assert refused.status_code == 422
    assert "would close a cycle: Design → Build → Design" in " ".join(
        field_errors(refused, "predecessor")
    )
    assert stored_rows() == before
    # Already linked: not offered again, and posting it is refused.
    assert not client.get(url).context["form"].fields["predecessor"].queryset.exists()
    assert client.post(url, {"predecessor": design.pk}).status_code == 422


def test_dependencies_are_removed_by_managers_only_and_hidden_from_outsiders(login, world):
    design = world.deliverable("Design")
    build = world.deliverable("Build", due_date=world.today + dt.timedelta(days=60))
    login(world.supplier_manager).post(
        reverse("milestone-dependencies", args=[build.pk]), {"predecessor": design.pk}
    )
    link = build.predecessor_links.get()
    remove = reverse("dependency-remove", args=[build.pk, link.pk])
    page = reverse("milestone-dependencies", args=[build.pk])

    viewer = login(world.client_viewer)
    assert viewer.get(page).status_code == 200
    assert remove not in viewer.get(page).content.decode()
    assert viewer.post(page, {"predecessor": design.pk}).status_code == 403
    assert viewer.post(remove).status_code == 403
    assert login(world.outsider).get(page).status_code == 404
    assert login(world.outsider).post(remove).status_code == 404
    # The link seen from the other milestone's page is the same link.
    other = reverse("dependency-remove", args=[design.pk, link.pk])
    assert login(world.supplier_manager).post(other).status_code == 302
    assert not build.predecessor_links.exists()
    assert Event.objects.filter(action="dependency.removed").exists()
    assert login(world.supplier_manager).post(remove).status_code == 404
