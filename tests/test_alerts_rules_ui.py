"""Reminder rules pages and endpoints: the rule in force, its source, and overrides per level."""

from django.urls import reverse

from milepost.alerts.models import ReminderRule
from milepost.alerts.rules import reminder_rule_set

from .helpers import signed_in

API = "/api/v1"
FORM = {
    "offsets": "10, 3, 0",
    "working_days": "on",
    "overdue_every": "1",
    "escalate_after": "",
    "channels": ["inapp"],
}
RULE = {
    "offsets": [10, 3, 0],
    "working_days": True,
    "overdue_every": 1,
    "escalate_after": None,
    "escalate_critical_to_counterparty": False,
    "channels": ["inapp"],
}


def org_rule(world, **changes):
    return reminder_rule_set(
        actor=world.client_manager, organisation=world.client_org, **{**RULE, **changes}
    )


# Pages


def test_contract_page_shows_the_built_in_default_when_nothing_overrides_it(world):
    response = signed_in(world.supplier_viewer).get(
        reverse("contract-reminder-rule", args=[world.contract.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Milepost&#x27;s built-in default" in body
    assert "14, 7, 1, on the day" in body
    # A supplier viewer reads it but may not change it.
    assert 'name="offsets"' not in body and "Only managers and admins of the organisation" in body


def test_contract_page_shows_the_organisations_default_as_the_source(world):
    org_rule(world)
    body = (
        signed_in(world.client_member)
        .get(reverse("contract-reminder-rule", args=[world.contract.pk]))
        .content.decode()
    )
    assert "the owning organisation&#x27;s default" in body and "10, 3, on the day" in body
    assert f'href="{reverse("org-reminder-rule", args=[world.client_org.slug])}"' in body


def test_owners_manager_saves_and_removes_the_contracts_override_through_the_form(world):
    client = signed_in(world.client_manager)
    url = reverse("contract-reminder-rule", args=[world.contract.pk])
    assert 'value="14, 7, 1, 0"' in client.get(url).content.decode()
    saved = client.post(url, {**FORM, "save": "1"}, follow=True)
    body = saved.content.decode()
    assert "Reminder rule saved." in body and "the contract&#x27;s rule" in body
    row = ReminderRule.objects.get(contract=world.contract)
    assert (row.offsets, row.working_days, row.overdue_every, row.escalate_after) == (
        [10, 3, 0],
        True,
        1,
        None,
    )
    assert row.channels == ["inapp"] and not row.escalate_critical_to_counterparty
    cleared = client.post(url, {"clear": "1"}, follow=True).content.decode()
    assert "Override removed" in cleared and "built-in default" in cleared
    assert not ReminderRule.objects.exists()


def test_form_refuses_words_in_the_offsets_and_keeps_the_input(world):
    url = reverse("contract-reminder-rule", args=[world.contract.pk])
    response = signed_in(world.client_manager).post(url, {**FORM, "offsets": "7, soon"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["offsets"]
    assert 'value="7, soon"' in response.content.decode()
    assert not ReminderRule.objects.exists()


def test_form_shows_the_services_refusal_on_the_field_it_names(world):
    url = reverse("contract-reminder-rule", args=[world.contract.pk])
    client = signed_in(world.client_manager)
    too_far = client.post(url, {**FORM, "offsets": "400"})
    assert too_far.status_code == 422 and list(too_far.context["form"].errors) == ["offsets"]
    no_channel = client.post(url, {**FORM, "channels": []})
    assert no_channel.status_code == 422
    assert list(no_channel.context["form"].errors) == ["channels"]
    assert not ReminderRule.objects.exists()


def test_someone_who_may_not_change_the_contracts_rule_is_refused(world):
    url = reverse("contract-reminder-rule", args=[world.contract.pk])
    client = signed_in(world.supplier_manager)
    assert client.post(url, {**FORM, "save": "1"}).status_code == 403
    assert client.post(url, {"clear": "1"}).status_code == 403
    assert not ReminderRule.objects.exists()


def test_rule_pages_are_404_for_outsiders(world):
    milestone = world.deliverable()
    client = signed_in(world.outsider)
    assert (
        client.get(reverse("contract-reminder-rule", args=[world.contract.pk])).status_code == 404
    )
    assert client.get(reverse("milestone-reminder-rule", args=[milestone.pk])).status_code == 404
    org_url = reverse("org-reminder-rule", args=[world.client_org.slug])
    assert client.get(org_url).status_code == 404
    assert client.post(org_url, FORM).status_code == 404


def test_milestone_page_sets_its_own_rule_for_a_party_manager(world):
    milestone = world.deliverable()
    url = reverse("milestone-reminder-rule", args=[milestone.pk])
    client = signed_in(world.supplier_manager)
    assert "Set a rule for this milestone" in client.get(url).content.decode()
    body = client.post(url, FORM, follow=True).content.decode()
    assert "this milestone&#x27;s own rule" in body
    assert ReminderRule.objects.get(milestone=milestone).offsets == [10, 3, 0]


def test_milestone_page_is_read_only_for_a_member(world):
    milestone = world.deliverable()
    url = reverse("milestone-reminder-rule", args=[milestone.pk])
    client = signed_in(world.supplier_member)
    assert 'name="offsets"' not in client.get(url).content.decode()
    assert client.post(url, FORM).status_code == 403


def test_organisation_page_lets_its_managers_set_the_default(world):
    url = reverse("org-reminder-rule", args=[world.client_org.slug])
    member = signed_in(world.client_member)
    assert member.get(url).status_code == 200
    assert member.post(url, FORM).status_code == 403
    body = signed_in(world.client_manager).post(url, FORM, follow=True).content.decode()
    assert "the owning organisation&#x27;s default" in body
    assert ReminderRule.objects.get(organisation=world.client_org).channels == ["inapp"]


# API


def test_api_reads_the_rule_in_force_with_its_source(world):
    milestone = world.deliverable()
    client = signed_in(world.supplier_viewer)
    default = client.get(f"{API}/milestones/{milestone.pk}/reminder-rule").json()
    assert default["source"] == "default" and default["offsets"] == [14, 7, 1, 0]
    org_rule(world)
    inherited = client.get(f"{API}/contracts/{world.contract.pk}/reminder-rule").json()
    assert inherited == {**RULE, "source": "organisation"}


def test_api_rule_reads_are_404_for_outsiders(world):
    milestone = world.deliverable()
    client = signed_in(world.outsider)
    assert client.get(f"{API}/milestones/{milestone.pk}/reminder-rule").status_code == 404
    assert client.get(f"{API}/contracts/{world.contract.pk}/reminder-rule").status_code == 404
    assert (
        client.get(f"{API}/organisations/{world.client_org.slug}/reminder-rule").status_code == 404
    )


def test_api_organisation_rule_get_put_delete(world):
    url = f"{API}/organisations/{world.client_org.slug}/reminder-rule"
    client = signed_in(world.client_manager)
    assert client.get(url).json()["source"] == "default"
    assert client.get(f"{url}/override").status_code == 404
    put = client.put(f"{url}/override", RULE, content_type="application/json")
    assert put.status_code == 200 and put.json() == {**RULE, "source": "organisation"}
    assert client.get(f"{url}/override").json() == {**RULE, "source": "organisation"}
    assert client.delete(f"{url}/override").status_code == 204
    assert client.get(f"{url}/override").status_code == 404
    assert client.get(url).json()["source"] == "default"


def test_api_organisation_rule_is_refused_to_its_members(world):
    url = f"{API}/organisations/{world.client_org.slug}/reminder-rule/override"
    client = signed_in(world.client_member)
    assert client.put(url, RULE, content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    assert (
        signed_in(world.outsider).put(url, RULE, content_type="application/json").status_code == 404
    )


def test_api_contract_rule_put_and_delete(world):
    url = f"{API}/contracts/{world.contract.pk}/reminder-rule"
    client = signed_in(world.client_manager)
    put = client.put(f"{url}/override", RULE, content_type="application/json")
    assert put.json()["source"] == "contract"
    assert client.get(url).json()["source"] == "contract"
    assert client.delete(f"{url}/override").status_code == 204
    assert client.get(url).json()["source"] == "default"
    assert not ReminderRule.objects.exists()


def test_api_contract_rule_is_refused_to_the_counterparty_and_hidden_from_outsiders(world):
    url = f"{API}/contracts/{world.contract.pk}/reminder-rule/override"
    put = signed_in(world.supplier_manager).put(url, RULE, content_type="application/json")
    assert put.status_code == 403
    assert signed_in(world.outsider).delete(url).status_code == 404
    assert not ReminderRule.objects.exists()


def test_api_contract_rule_names_the_field_it_refuses(world):
    url = f"{API}/contracts/{world.contract.pk}/reminder-rule/override"
    response = signed_in(world.client_manager).put(
        url, {**RULE, "overdue_every": 99}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "overdue_every"


def test_api_milestone_rule_put_and_delete(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/reminder-rule"
    client = signed_in(world.supplier_manager)
    put = client.put(f"{url}/override", RULE, content_type="application/json")
    assert put.json()["source"] == "milestone"
    assert client.delete(f"{url}/override").status_code == 204
    assert client.get(url).json()["source"] == "default"


def test_api_milestone_rule_is_refused_to_a_member_and_hidden_from_outsiders(world):
    milestone = world.deliverable()
    url = f"{API}/milestones/{milestone.pk}/reminder-rule/override"
    member = signed_in(world.supplier_member)
    assert member.put(url, RULE, content_type="application/json").status_code == 403
    assert (
        signed_in(world.outsider).put(url, RULE, content_type="application/json").status_code == 404
    )
    assert not ReminderRule.objects.exists()
