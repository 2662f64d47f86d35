"""Contract templates: the built-in ones, saving a contract as one, and one-page setup."""

import copy
import datetime as dt
from decimal import Decimal

import pytest

from milepost.accounts.choices import Role
from milepost.accounts.services import organisation_create
from milepost.audit.models import Event
from milepost.contracts.selectors import contract_calendar
from milepost.contracts.services import party_add
from milepost.core.errors import DomainError, Forbidden
from milepost.interchange.events import InterchangeEvent
from milepost.interchange.templating.body import body_read
from milepost.interchange.templating.builtins import BUILT_INS, UK_DESIGN_AND_BUILD
from milepost.interchange.templating.selectors import (
    contract_templates_for_user,
    template_source_for_user,
)
from milepost.interchange.templating.services import (
    Setup,
    contract_from_template,
    contract_template_change,
    contract_template_delete,
    contract_template_save,
    template_setup_check,
)
from milepost.payments.models import PaymentTerms
from milepost.schedule.models import Dependency, Milestone
from tests.conftest import World, make_user
from tests.helpers import refused

pytestmark = pytest.mark.usefixtures("clock")

START = dt.date(2027, 3, 1)


def setup_for(w: World, key: str, **overrides: object) -> Setup:
    """Answer the setup page for ``key`` as the client's manager."""
    body = BUILT_INS[key].body
    orgs = {"client": w.client_org, "supplier": w.supplier_org, "consultant": w.consultant_org}
    fields: dict[str, object] = {
        "title": "Harbour depot",
        "reference": "HCC-2027-004",
        "value": "2000000",
        "currency": "GBP",
        "start_date": START,
        "our_role": "client",
        "parties": {r.key: orgs[r.role] for r in body.roles},
        "owners": {"supplier": w.supplier_member, "consultant": w.consultant_manager},
    }
    fields.update(overrides)
    return Setup(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", sorted(BUILT_INS))
def test_every_built_in_template_is_a_valid_body(key: str) -> None:
    body = BUILT_INS[key].body
    assert len(body.order) == len(body.milestones)


@pytest.mark.parametrize("key", sorted(BUILT_INS))
def test_creates_every_milestone_of_a_built_in_template_on_the_previewed_dates(
    w: World, key: str
) -> None:
    source = template_source_for_user(user=w.client_manager, key=key)
    setup = setup_for(w, key)
    plan = template_setup_check(source=source, setup=setup, actor=w.client_manager)

    contract = contract_from_template(source=source, setup=setup, actor=w.client_manager)

    made = {m.reference: m for m in Milestone.objects.filter(contract=contract)}
    assert {p.spec.key: p.due_date for p in plan.milestones} == {
        k: m.due_date for k, m in made.items()
    }
    assert contract.end_date == START + dt.timedelta(days=source.body.duration_days)
    event = Event.objects.get(action=InterchangeEvent.CONTRACT_TEMPLATE_INSTANTIATED)
    assert event.after["template"] == source.name
    assert event.after["counts"]["milestones_created"] == len(source.body.milestones)


def test_counts_dates_in_working_days_skipping_bank_holidays(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="uk-design-and-build")
    start = dt.date(2027, 4, 20)  # 10 working days later spans the early May bank holiday

    contract = contract_from_template(
        source=source,
        setup=setup_for(w, "uk-design-and-build", start_date=start),
        actor=w.client_manager,
    )

    access = Milestone.objects.get(contract=contract, reference="SA")
    assert access.due_date == dt.date(2027, 5, 5)
    assert contract_calendar(contract=contract).shift(start, 10, working=True) == access.due_date
    foundations = Milestone.objects.get(contract=contract, reference="FD")
    assert foundations.anchor_id == access.pk
    assert foundations.due_date == access.due_date + dt.timedelta(days=60)


def test_makes_payments_as_percentages_of_the_value_with_retention(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="uk-design-and-build")

    contract = contract_from_template(
        source=source, setup=setup_for(w, "uk-design-and-build"), actor=w.client_manager
    )

    terms = PaymentTerms.objects.filter(milestone__contract=contract).order_by(
        "milestone__due_date"
    )
    assert [t.amount for t in terms] == [
        Decimal("600000.00"),
        Decimal("800000.00"),
        Decimal("600000.00"),
    ]
    assert {t.retention_percent for t in terms} == {Decimal("5.00")}
    assert Dependency.objects.filter(successor__contract=contract).count() == 7


def test_preview_writes_nothing(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    before = Event.objects.count()

    plan = template_setup_check(
        source=source, setup=setup_for(w, "short-consulting"), actor=w.client_manager
    )

    assert [p.amount for p in plan.milestones if p.amount] == [
        Decimal("400000.00"),
        Decimal("1600000.00"),
    ]
    assert Event.objects.count() == before


def test_refuses_a_role_without_an_organisation(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(w, "short-consulting", parties={"client": w.client_org, "consultant": None})

    with refused("party_required", "party_consultant"):
        contract_from_template(source=source, setup=setup, actor=w.client_manager)


def test_refuses_one_organisation_in_two_roles(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(
        w, "short-consulting", parties={"client": w.client_org, "consultant": w.client_org}
    )

    with refused("duplicate_party", "party_consultant"):
        contract_from_template(source=source, setup=setup, actor=w.client_manager)


def test_refuses_setting_up_for_an_organisation_you_do_not_manage(w: World) -> None:
    source = template_source_for_user(user=w.client_member, key="short-consulting")

    with refused("not_manager", "party_client"):
        contract_from_template(
            source=source, setup=setup_for(w, "short-consulting"), actor=w.client_member
        )


def test_refuses_an_owner_who_is_not_a_member_of_the_role(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(w, "short-consulting", owners={"consultant": w.supplier_member})

    with refused("owner_not_member", "owner_consultant"):
        contract_from_template(source=source, setup=setup, actor=w.client_manager)


def test_gives_a_role_you_are_not_a_member_of_to_its_manager_when_no_owner_is_chosen(
    w: World,
) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(w, "short-consulting", owners={})

    contract = contract_from_template(source=source, setup=setup, actor=w.client_manager)

    assert {m.owner for m in contract.milestones.filter(kind="deliverable")} == {
        w.consultant_manager
    }


def test_refuses_an_owner_who_is_not_a_member_without_naming_them(w: World) -> None:
    w.supplier_member.first_name = "Secretname"
    w.supplier_member.save()
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(w, "short-consulting", owners={"consultant": w.supplier_member})

    with refused("owner_not_member", "owner_consultant") as caught:
        template_setup_check(source=source, setup=setup, actor=w.client_manager)
    assert "Secretname" not in caught.value.message


def test_leaves_out_payments_when_you_do_not_manage_the_payer(w: World) -> None:
    source = template_source_for_user(user=w.supplier_manager, key="short-consulting")
    setup = setup_for(
        w,
        "short-consulting",
        our_role="consultant",
        parties={"client": w.client_org, "consultant": w.supplier_org},
        owners={"consultant": w.supplier_member},
    )

    contract = contract_from_template(source=source, setup=setup, actor=w.supplier_manager)

    assert sorted(
        Milestone.objects.filter(contract=contract).values_list("reference", flat=True)
    ) == ["FR", "INT", "IR"]


def test_refuses_an_invalid_body_naming_the_part() -> None:
    body = {
        **UK_DESIGN_AND_BUILD,
        "milestones": [{**UK_DESIGN_AND_BUILD["milestones"][1], "due": {"after": "XX"}}],
    }

    with pytest.raises(DomainError) as caught:
        body_read(body)

    assert caught.value.field == "body"
    assert "milestones[0].due.after" in caught.value.message


def test_refuses_a_loop_of_relative_dates() -> None:
    first, second = UK_DESIGN_AND_BUILD["milestones"][1:3]
    body = {
        **UK_DESIGN_AND_BUILD,
        "milestones": [{**first, "due": {"after": "ST", "offset": 1}, "depends_on": []}, second],
    }

    with pytest.raises(DomainError, match="loop"):
        body_read(body)


def test_saves_a_contract_as_a_template_that_makes_the_same_dates(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="uk-design-and-build")
    first = contract_from_template(
        source=source, setup=setup_for(w, "uk-design-and-build"), actor=w.client_manager
    )

    template = contract_template_save(contract=first, name="Depot", actor=w.client_manager)
    again = contract_from_template(
        source=template_source_for_user(user=w.client_member, key=str(template.pk)),
        setup=setup_for(w, "uk-design-and-build", reference="HCC-2027-005"),
        actor=w.client_manager,
    )

    assert list(
        again.milestones.order_by("reference").values_list("reference", "due_date")
    ) == list(first.milestones.order_by("reference").values_list("reference", "due_date"))
    assert template.body["milestones"][1]["due"]["after"] == "SA"
    assert "owner" not in template.body["milestones"][1]


def test_refuses_saving_a_template_under_a_name_taken(w: World) -> None:
    contract_template_save(contract=w.contract, name="Depot", actor=w.client_manager)

    with refused("duplicate_name", "name"):
        contract_template_save(contract=w.contract, name="depot", actor=w.client_manager)


def test_refuses_saving_a_template_of_a_contract_you_do_not_own(w: World) -> None:
    with refused("forbidden", error=Forbidden):
        contract_template_save(contract=w.contract, name="Depot", actor=w.supplier_manager)


def test_members_see_their_organisations_templates_and_only_managers_change_them(w: World) -> None:
    template = contract_template_save(contract=w.contract, name="Depot", actor=w.client_manager)

    assert list(contract_templates_for_user(user=w.client_viewer)) == [template]
    assert list(contract_templates_for_user(user=w.supplier_manager)) == []
    with refused("forbidden", error=Forbidden):
        contract_template_change(template=template, name="Other", actor=w.client_member)
    contract_template_change(template=template, name="Depot v2", actor=w.client_manager)
    assert template.name == "Depot v2"
    contract_template_delete(template=template, actor=w.client_manager)
    assert list(contract_templates_for_user(user=w.client_manager)) == []


def test_refuses_payment_stages_over_the_whole_value() -> None:
    milestones = [*UK_DESIGN_AND_BUILD["milestones"]]
    milestones[-1] = {
        **milestones[-1],
        "payment": {**milestones[-1]["payment"], "percentage": "31"},
    }

    with pytest.raises(DomainError, match="add up to 101%"):
        body_read({**UK_DESIGN_AND_BUILD, "milestones": milestones})


def test_a_refusal_by_the_last_milestone_leaves_nothing(w: World) -> None:
    # given a saved template whose P1 KPI, made after the contract and most milestones,
    # would start measuring after its due date
    template = contract_template_save(contract=w.contract, name="Service", actor=w.client_manager)
    body = BUILT_INS["it-implementation-and-service"].raw
    kpi = {**body["milestones"][6]["kpi"], "measurement_start_offset": 600}
    template.body = {
        **body,
        "milestones": [*body["milestones"][:6], {**body["milestones"][6], "kpi": kpi}],
    }
    template.save(update_fields=["body"])
    source = template_source_for_user(user=w.client_manager, key=str(template.pk))

    # when it is used, then the performance rule refuses it and nothing at all was written
    with refused("measurement_start_after_due", "measurement_start"):
        contract_from_template(
            source=source,
            setup=setup_for(w, "it-implementation-and-service"),
            actor=w.client_manager,
        )


def test_refuses_a_start_date_past_the_dates_milepost_counts(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")
    setup = setup_for(w, "short-consulting", start_date=dt.date(9999, 12, 1))

    with refused("date_out_of_range", "start_date"):
        template_setup_check(source=source, setup=setup, actor=w.client_manager)


@pytest.mark.parametrize("key", sorted(BUILT_INS))
@pytest.mark.parametrize(
    "start",
    [dt.date(2028, 2, 29), dt.date(2027, 12, 24), dt.date(2027, 3, 26), dt.date(2026, 1, 5)],
    ids=["leap-day", "christmas-eve", "good-friday", "past"],
)
def test_the_created_dates_are_the_previewed_dates(w: World, key: str, start: dt.date) -> None:
    source = template_source_for_user(user=w.client_manager, key=key)
    setup = setup_for(w, key, start_date=start)

    plan = template_setup_check(source=source, setup=setup, actor=w.client_manager)
    contract = contract_from_template(source=source, setup=setup, actor=w.client_manager)

    made = dict(contract.milestones.values_list("reference", "due_date"))
    assert made == {p.spec.key: p.due_date for p in plan.created}


def _saved_body(w: World, body: dict[str, object]) -> object:
    template = contract_template_save(contract=w.contract, name="Edited", actor=w.client_manager)
    template.body = body
    template.save(update_fields=["body"])
    return template_source_for_user(user=w.client_manager, key=str(template.pk))


def test_the_preview_follows_links_and_counts_zero_working_days_as_the_schedule_does(
    w: World,
) -> None:
    # given interim findings 5 days from the start but linked after the inception report, and
    # the final report 0 working days after a Saturday anchor
    body = copy.deepcopy(BUILT_INS["short-consulting"].raw)
    body["milestones"][0]["due"] = {"offset": 5}  # IR: Sat 6 Mar 2027 from Mon 1 Mar
    body["milestones"][1]["due"] = {"offset": 1}  # INT: linked FS after IR
    body["milestones"][2]["due"] = {
        "after": "IR",
        "event": "due",
        "offset": 0,
        "working_days": True,
    }
    source = _saved_body(w, body)
    setup = setup_for(w, "short-consulting")

    plan = template_setup_check(source=source, setup=setup, actor=w.client_manager)  # type: ignore[arg-type]
    contract = contract_from_template(source=source, setup=setup, actor=w.client_manager)  # type: ignore[arg-type]

    dates = {p.spec.key: p.due_date for p in plan.created}
    assert dates["INT"] == dt.date(2027, 3, 6)  # pushed by its link, not 2 Mar
    assert dates["FR"] == dt.date(2027, 3, 8)  # the Monday, not the Friday before
    assert dict(contract.milestones.values_list("reference", "due_date")) == dates


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"holiday_country": "ZZ"}, "invalid_holiday_country", "holiday_country"),
        ({"reference": "HCC-2026-001"}, "duplicate_reference", "reference"),
    ],
    ids=["holiday-country", "reference-taken"],
)
def test_the_preview_refuses_what_the_create_would(
    w: World, overrides: dict[str, object], code: str, field: str
) -> None:
    assert w.contract.reference == "HCC-2026-001"
    source = template_source_for_user(user=w.client_manager, key="short-consulting")

    with refused(code, field):
        template_setup_check(
            source=source,
            setup=setup_for(w, "short-consulting", **overrides),
            actor=w.client_manager,
        )


def test_the_preview_refuses_a_kpi_measured_from_after_its_due_date(w: World) -> None:
    body = copy.deepcopy(BUILT_INS["it-implementation-and-service"].raw)
    body["milestones"][6]["kpi"]["measurement_start_offset"] = 600
    source = _saved_body(w, body)

    with refused("measurement_start_after_due", "measurement_start"):
        template_setup_check(
            source=source,  # type: ignore[arg-type]
            setup=setup_for(w, "it-implementation-and-service"),
            actor=w.client_manager,
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ms: ms[1]["due"].update(offset=1001), "due.offset: must be between -1000"),
        (lambda ms: ms[1]["depends_on"][0].update(lag=1500), "lag: must be between -1000"),
        (lambda ms: ms[1].update(depends_on=ms[1]["depends_on"] * 2), "a second time"),
    ],
    ids=["anchor-offset", "lag", "duplicate-link"],
)
def test_refuses_a_body_the_schedule_would_refuse(change: object, message: str) -> None:
    body = copy.deepcopy(BUILT_INS["short-consulting"].raw)
    change(body["milestones"])  # type: ignore[operator]

    with pytest.raises(DomainError, match=message):
        body_read(body)


def test_pays_a_percentage_with_more_than_four_places_as_previewed(w: World) -> None:
    body = copy.deepcopy(BUILT_INS["short-consulting"].raw)
    body["milestones"][3]["payment"]["percentage"] = "19.99999"
    source = _saved_body(w, body)
    setup = setup_for(w, "short-consulting", value="1000000")

    plan = template_setup_check(source=source, setup=setup, actor=w.client_manager)  # type: ignore[arg-type]
    contract = contract_from_template(source=source, setup=setup, actor=w.client_manager)  # type: ignore[arg-type]

    paid = {
        t.milestone.reference: t.amount
        for t in PaymentTerms.objects.filter(milestone__contract=contract)
    }
    assert paid == {p.spec.key: p.amount for p in plan.created if p.amount is not None}
    assert paid[body["milestones"][3]["key"]] == Decimal("200000.00")


def test_refuses_no_value_when_the_template_pays_percentages_of_it(w: World) -> None:
    source = template_source_for_user(user=w.client_manager, key="short-consulting")

    with refused("value_required", "value"):
        template_setup_check(
            source=source, setup=setup_for(w, "short-consulting", value="0"), actor=w.client_manager
        )


def test_saves_a_contract_whose_observer_accepts_a_deliverable_and_uses_it(w: World) -> None:
    # given a contract where an observer accepts a deliverable
    watcher = organisation_create(name="Watcher", actor=None)
    make_user("wally", watcher, Role.MANAGER)
    observer = party_add(
        contract=w.contract, organisation=watcher, role="observer", actor=w.client_manager
    )
    w.deliverable(accepting_party=observer)

    # when it is saved as a template, then the observer is one of its roles
    template = contract_template_save(contract=w.contract, name="Watched", actor=w.client_manager)
    source = template_source_for_user(user=w.client_manager, key=str(template.pk))
    assert "observer" in {r.role for r in source.body.roles}
    assert "observer" not in {r.role for r in source.body.roles if r.key == source.body.lead_role}
