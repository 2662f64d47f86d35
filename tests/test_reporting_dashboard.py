"""The dashboard at "/" and the milestone list behind each of its counts."""

import datetime as dt
import html
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milepost.accounts.services import organisation_create
from milepost.approvals.choices import Decision
from milepost.approvals.services import gate_create, gate_decide
from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.services import contract_create, contract_set_status, party_add
from milepost.payments.services import (
    payment_milestone_create,
    payment_record_invoice,
    payment_record_paid,
)
from milepost.reporting import selectors
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import Criticality, Health, MilestoneKind
from milepost.schedule.services import milestone_create

DAY = dt.timedelta(days=1)
TILE = re.compile(
    r'<a href="([^"]+)"><span class="tile-n">(\d+)</span> <span class="tile-l">([^<]+)</span>'
)
ROW = re.compile(r'<th scope="row"><a href="/milestones/\d+/">([^<]+)</a>')


@pytest.fixture
def frozen(world):
    """Hold the clock at noon in London on the world's today."""
    with time_machine.travel(
        dt.datetime.combine(world.today, dt.time(12), tzinfo=ZoneInfo("Europe/London")),
        tick=False,
    ):
        yield world


def tiles(response) -> dict[str, tuple[int, str]]:
    """Return each dashboard count by its label, with the link behind it."""
    text = response.content.decode()
    return {label: (int(n), html.unescape(href)) for href, n, label in TILE.findall(text)}


def titles(response) -> set[str]:
    return {html.unescape(t) for t in ROW.findall(response.content.decode())}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + 4 * DAY).replace(day=1)


def payment(world, trigger, title, due, amount, **overrides):
    return payment_milestone_create(
        contract=world.contract,
        title=title,
        owner=world.client_member,
        due_date=due,
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        amount=amount,
        actor=world.client_manager,
        **overrides,
    )


@pytest.fixture
def schedule(frozen):
    """Milestones spread around today: overdue, due in 3, 10, 20 and 60 days, and one done."""
    w = frozen
    w.deliverable("Late survey", due_date=w.today - 3 * DAY)
    w.deliverable("Site handover", due_date=w.today + 3 * DAY, criticality=Criticality.CRITICAL)
    w.deliverable("Drainage design", due_date=w.today + 10 * DAY)
    w.deliverable("Steel order", due_date=w.today + 20 * DAY)
    w.deliverable("Roof plan", due_date=w.today + 60 * DAY, owner=w.supplier_manager)
    done = w.deliverable("Ground report", due_date=w.today + 5 * DAY)
    deliverable_accept(milestone=done, actor=w.client_manager)
    return w


# The dashboard's counts and the list behind each


def test_dashboard_counts_overdue_due_soon_at_risk_and_own(schedule, login):
    response = login(schedule.supplier_member).get(reverse("reporting:dashboard"))

    assert response.status_code == 200
    counts = {label: n for label, (n, _) in tiles(response).items()}
    assert counts == {
        "overdue": 1,
        "due in the next 7 days": 1,
        "due in the next 30 days": 3,
        # Due within the 14-day risk window with no progress.
        "at risk": 2,
        "gates awaiting your decision": 0,
        "open milestones you own": 4,
    }


def test_each_count_links_to_a_list_of_exactly_those_milestones(schedule, login):
    client = login(schedule.supplier_member)
    expected = {
        "overdue": {"Late survey"},
        "due in the next 7 days": {"Site handover"},
        "due in the next 30 days": {"Site handover", "Drainage design", "Steel order"},
        "at risk": {"Site handover", "Drainage design"},
        "gates awaiting your decision": set(),
        "open milestones you own": {
            "Late survey",
            "Site handover",
            "Drainage design",
            "Steel order",
        },
    }

    for label, (count, href) in tiles(client.get("/")).items():
        listed = client.get(href)
        assert listed.status_code == 200, label
        assert titles(listed) == expected[label], label
        assert len(expected[label]) == count, label


def test_dashboard_is_the_landing_page_and_needs_a_signed_in_user(client, world):
    assert reverse("reporting:dashboard") == "/"
    for name in ("reporting:dashboard", "reporting:milestone-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# Gates awaiting a decision


def test_gate_awaits_only_managers_of_required_parties_that_have_not_decided(frozen, login):
    w = frozen
    gate = gate_create(
        contract=w.contract,
        title="Design freeze",
        owner=w.supplier_member,
        responsible_party=w.supplier,
        due_date=w.today + 45 * DAY,
        required_parties=[w.client, w.consultant],
        acceptance_criteria="Client and engineer sign the design report.",
        actor=w.supplier_manager,
    )
    gate_decide(milestone=gate, party=w.client, decision=Decision.APPROVE, actor=w.client_manager)

    awaiting = {
        user.username: [g.title for g in selectors.gates_awaiting_decision(user=user)]
        for user in (w.client_manager, w.consultant_manager, w.supplier_manager, w.client_member)
    }
    assert awaiting == {"cora": [], "connor": ["Design freeze"], "sam": [], "colin": []}
    page = login(w.consultant_manager).get("/")
    assert tiles(page)["gates awaiting your decision"][0] == 1
    assert "for Arden Project Management" in page.content.decode()
    listed = login(w.consultant_manager).get(tiles(page)["gates awaiting your decision"][1])
    assert titles(listed) == {"Design freeze"}
    assert titles(login(w.client_manager).get("/milestones/?kind=gate&awaiting=me")) == set()


# Payments this month and the cash-flow chart


@pytest.fixture
def payments(frozen):
    """A payment paid in full this month, one planned later this month and one next month."""
    w = frozen
    foundation = w.deliverable("Foundation complete", due_date=w.today + 30 * DAY)
    structure = w.deliverable("Structure complete", due_date=w.today + 90 * DAY)
    paid = payment(w, foundation, "Foundation payment", month_start(w.today), "300000")
    payment(w, structure, "Structure payment", next_month(w.today) - DAY, "100000.50")
    payment(w, structure, "Retention release", next_month(w.today), "50000")
    deliverable_accept(milestone=foundation, actor=w.client_manager)
    payment_record_invoice(
        milestone=paid, invoiced_on=w.today, amount="300000", actor=w.supplier_manager
    )
    payment_record_paid(milestone=paid, paid_on=w.today, amount="300000", actor=w.client_manager)
    return w


def test_payments_due_this_month_show_amount_parties_and_state(payments):
    lines = selectors.payments_due_this_month(user=payments.supplier_manager)

    assert [(line.milestone.title, line.terms.amount, line.state) for line in lines] == [
        ("Foundation payment", Decimal("300000.00"), "paid"),
        ("Structure payment", Decimal("100000.50"), "planned"),
    ]
    assert str(lines[0].terms.payer.organisation) == "Harbour City Council"


def test_payments_this_month_link_lists_them(payments, login):
    client = login(payments.client_manager)
    page = client.get("/").content.decode()
    assert "£100,000.50" in page

    listed = client.get("/milestones/?kind=payment&window=this_month")
    assert titles(listed) == {"Foundation payment", "Structure payment"}


def test_cash_flow_sums_planned_by_due_month_and_paid_by_paid_month(payments):
    (flow,) = selectors.cash_flow(user=payments.client_manager)

    by_month = {m.month: (m.planned, m.paid) for m in flow.months}
    this, following = month_start(payments.today), next_month(payments.today)
    assert flow.currency == "GBP"
    assert len(flow.months) == 13
    assert by_month[this] == (Decimal("400000.50"), Decimal("300000.00"))
    assert by_month[following] == (Decimal("50000.00"), Decimal(0))
    assert (flow.planned_total, flow.paid_total) == (Decimal("450000.50"), Decimal("300000.00"))
    tallest = max(flow.months, key=lambda m: m.planned_height)
    assert tallest.month == this and tallest.planned_height == selectors.CHART_HEIGHT


def test_cash_flow_chart_is_inline_svg_with_a_title_and_a_table(payments, login):
    page = login(payments.client_manager).get("/").content.decode()

    assert '<svg class="chart"' in page and 'role="img"' in page
    assert "GBP payments by month, planned against paid: £450,000.50 planned" in page
    assert "Cash flow as a table" in page and "£300,000.00" in page


def test_cash_flow_keeps_each_currency_apart(payments, world):
    usd = second_contract(world, "USD-1", currency="USD")
    trigger = milestone_create(
        contract=usd,
        kind=MilestoneKind.DELIVERABLE,
        title="Kick-off",
        owner=world.supplier_member,
        responsible_party=usd.parties.get(organisation=world.supplier_org),
        accepting_party=usd.parties.get(organisation=world.client_org),
        due_date=world.today + 10 * DAY,
        acceptance_criteria="Held.",
        actor=world.client_manager,
    )
    payment_milestone_create(
        contract=usd,
        title="Mobilisation",
        owner=world.client_member,
        due_date=world.today,
        payer=usd.parties.get(organisation=world.client_org),
        payee=usd.parties.get(organisation=world.supplier_org),
        trigger=trigger,
        amount="1000",
        actor=world.client_manager,
    )

    flows = {f.currency: f for f in selectors.cash_flow(user=world.client_manager)}
    assert flows["USD"].planned_total == Decimal("1000.00")
    assert flows["GBP"].planned_total == Decimal("450000.50")


# The portfolio


def second_contract(world, reference, currency="GBP"):
    return world.other_contract(
        reference=reference,
        title=f"Contract {reference}",
        value=Decimal("500000.00"),
        currency=currency,
        start_date=world.today - 10 * DAY,
        end_date=world.today + 200 * DAY,
        active=True,
    )


def test_portfolio_row_has_next_critical_date_money_at_risk_and_worst_health(schedule):
    w = schedule
    trigger = w.deliverable("Piling complete", due_date=w.today + 2 * DAY)
    payment(w, trigger, "Piling payment", w.today + 5 * DAY, "200000")  # at risk, open
    payment(w, trigger, "Later payment", w.today + 80 * DAY, "100000")  # on track
    quiet = second_contract(w, "HCC-2026-002")

    rows = {r.contract.reference: r for r in selectors.portfolio(user=w.client_manager)}

    row = rows["HCC-2026-001"]
    assert row.next_critical == w.today + 3 * DAY
    assert row.money_at_risk == Decimal("200000.00")
    assert row.health == Health.OVERDUE
    assert (row.total, row.open, row.overdue, row.at_risk) == (9, 8, 1, 4)
    empty = rows[quiet.reference]
    assert (empty.next_critical, empty.money_at_risk, empty.health, empty.total) == (
        None,
        Decimal("0.00"),
        "",
        0,
    )
    # Contracts with a critical date come first.
    assert [r.contract.reference for r in selectors.portfolio(user=w.client_manager)] == [
        "HCC-2026-001",
        "HCC-2026-002",
    ]


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx)


def _add_contracts(world, first, count):
    for n in range(first, first + count):
        contract = second_contract(world, f"BULK-{n:03}")
        supplier = contract.parties.get(organisation=world.supplier_org)
        client_party = contract.parties.get(organisation=world.client_org)
        trigger = milestone_create(
            contract=contract,
            kind=MilestoneKind.DELIVERABLE,
            title=f"Bulk {n}",
            owner=world.supplier_member,
            responsible_party=supplier,
            accepting_party=client_party,
            due_date=world.today + (n % 5 - 2) * DAY,
            criticality=Criticality.CRITICAL,
            acceptance_criteria="Done.",
            actor=world.client_manager,
        )
        payment_milestone_create(
            contract=contract,
            title=f"Bulk pay {n}",
            owner=world.client_manager,
            due_date=world.today + n * DAY,
            payer=client_party,
            payee=supplier,
            trigger=trigger,
            amount="1000",
            actor=world.client_manager,
        )


def test_dashboard_takes_the_same_queries_for_2_or_20_contracts(
    frozen, login, django_assert_max_num_queries
):
    client = login(frozen.client_manager)
    _add_contracts(frozen, 0, 1)
    few = _dashboard_queries(client)
    _add_contracts(frozen, 1, 19)
    many = _dashboard_queries(client)

    assert few == many
    # One more than before for the "Waiting for you" panel (the navigation's two counts are one),
    # two for the payment cycles (the money due this week and the notices due this week) and
    # three for the tiles: the milestones due near today, the contracts' tallies and your own,
    # and one for the contract's clock (answers due this week and those the other side let lapse).
    with django_assert_max_num_queries(17):
        client.get("/")


# Scoping


def test_outsider_sees_none_of_it(payments, login):
    client = login(payments.outsider)
    response = client.get("/")

    page = response.content.decode()
    assert {n for n, _ in tiles(response).values()} == {0}
    assert "HCC-2026-001" not in page and "Foundation payment" not in page
    assert "No payment is planned or paid" in page
    listed = client.get(f"/milestones/?contract={payments.contract.pk}")
    assert listed.status_code == 200 and titles(listed) == set()


def test_other_organisations_milestones_stay_out_of_counts_and_lists(schedule, login):
    w = schedule
    theirs = contract_create(
        organisation=w.outsider_org,
        party_role=PartyRole.CLIENT,
        reference="UH-1",
        title="Unrelated",
        value=Decimal("1000.00"),
        currency="EUR",
        start_date=w.today - 30 * DAY,
        end_date=w.today + 30 * DAY,
        actor=w.outsider,
    )
    their_supplier = party_add(
        contract=theirs,
        organisation=organisation_create(name="Unrelated Builders", actor=None),
        role=PartyRole.SUPPLIER,
        actor=w.outsider,
    )
    milestone_create(
        contract=theirs,
        kind=MilestoneKind.DELIVERABLE,
        title="Their late thing",
        owner=w.outsider,
        responsible_party=theirs.parties.get(organisation=w.outsider_org),
        accepting_party=their_supplier,
        due_date=w.today - DAY,
        acceptance_criteria="Done.",
        actor=w.outsider,
    )

    assert selectors.dashboard_counts(user=w.supplier_member).overdue == 1
    assert selectors.dashboard_counts(user=w.outsider).overdue == 1
    assert [r.contract.reference for r in selectors.portfolio(user=w.outsider)] == ["UH-1"]
    listed = login(w.supplier_member).get("/milestones/?q=their")
    assert titles(listed) == set()


# The milestone list page


def test_milestone_list_filters_by_kind_health_search_and_due_dates(schedule, login):
    client = login(schedule.supplier_member)
    today = schedule.today

    assert titles(client.get("/milestones/?q=DESIGN")) == {"Drainage design"}
    assert titles(client.get("/milestones/?health=done")) == {"Ground report"}
    assert titles(client.get("/milestones/?critical=true")) == {"Site handover"}
    window = f"/milestones/?due_from={today + 9 * DAY}&due_to={today + 30 * DAY}"
    assert titles(client.get(window)) == {"Drainage design", "Steel order"}
    assert titles(client.get("/milestones/?owner=sam")) == {"Roof plan"}
    assert titles(client.get("/milestones/?kind=gate")) == set()
    assert titles(client.get("/milestones/?status=met")) == {"Ground report"}
    assert titles(client.get("/milestones/?overdue=true")) == {"Late survey"}
    assert len(titles(client.get("/milestones/?overdue=false&open=false"))) == 1
    by_client = f"/milestones/?responsible_party={schedule.client.pk}"
    assert titles(client.get(by_client)) == set()
    newest = client.get("/milestones/?order=-due_date").content.decode()
    assert ROW.findall(newest)[0] == "Roof plan"


def test_milestone_list_sorts_by_due_date(schedule, login):
    page = login(schedule.supplier_member).get("/milestones/").content.decode()

    assert [html.unescape(t) for t in ROW.findall(page)] == [
        "Late survey",
        "Site handover",
        "Ground report",
        "Drainage design",
        "Steel order",
        "Roof plan",
    ]


def test_milestone_list_refuses_a_bad_filter_with_the_field_named(world, login):
    response = login(world.client_manager).get("/milestones/?kind=bogus&due_from=soon")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "Enter a valid date" in page


def test_milestone_list_pages_fifty_at_a_time_keeping_the_filters(frozen, login):
    w = frozen
    for n in range(53):
        w.deliverable(f"Item {n:02}", due_date=w.today + (n + 1) * DAY)
    client = login(w.supplier_member)

    first = client.get("/milestones/?q=item")
    second = client.get("/milestones/?q=item&page=2")

    assert len(titles(first)) == 50
    assert titles(second) == {"Item 50", "Item 51", "Item 52"}
    assert "?q=item&amp;page=2" in first.content.decode()
    assert client.get("/milestones/?q=item&page=99").status_code == 200


def test_milestone_list_page_uses_a_constant_number_of_queries(
    frozen, login, django_assert_max_num_queries
):
    for n in range(30):
        frozen.deliverable(f"Item {n:02}")
    client = login(frozen.supplier_member)

    with django_assert_max_num_queries(5):
        assert client.get("/milestones/").status_code == 200


def test_counts_use_each_contracts_own_today(world):
    """At 23:30 in London it is already tomorrow afternoon on Kiritimati (UTC+14)."""
    far = contract_create(
        organisation=world.client_org,
        party_role=PartyRole.CLIENT,
        reference="KIR-1",
        title="Island jetty",
        value=Decimal("1000.00"),
        currency="GBP",
        start_date=world.today - 10 * DAY,
        end_date=world.today + 100 * DAY,
        time_zone="Pacific/Kiritimati",
        actor=world.client_manager,
    )
    supplier = party_add(
        contract=far,
        organisation=world.supplier_org,
        role=PartyRole.SUPPLIER,
        actor=world.client_manager,
    )
    for contract, responsible, accepting in (
        (world.contract, world.supplier, world.client),
        (far, supplier, far.parties.get(organisation=world.client_org)),
    ):
        milestone_create(
            contract=contract,
            kind=MilestoneKind.DELIVERABLE,
            title=f"Due today in London on {contract.reference}",
            owner=world.supplier_member,
            responsible_party=responsible,
            accepting_party=accepting,
            due_date=world.today,
            acceptance_criteria="Done.",
            actor=world.client_manager,
        )
    late_evening = dt.datetime.combine(
        world.today, dt.time(23, 30), tzinfo=ZoneInfo("Europe/London")
    )

    with time_machine.travel(late_evening, tick=False):
        counts = selectors.dashboard_counts(user=world.supplier_member)
        due_7 = [
            m.contract.reference
            for m in selectors.milestones_filtered(
                user=world.supplier_member, filters=selectors.MilestoneFilters(window="next7")
            )
        ]

    assert (counts.overdue, counts.due_7) == (1, 1)
    assert due_7 == ["HCC-2026-001"]


def test_dashboard_portfolio_shows_the_soonest_critical_contracts_and_links_to_all(
    world, login, monkeypatch
):
    from milepost.reporting import views

    monkeypatch.setattr(views, "PORTFOLIO_SIZE", 1)
    later = second_contract(world, "HCC-2026-002")
    world.deliverable("Soon", criticality=Criticality.CRITICAL, due_date=world.today + 5 * DAY)
    milestone_create(
        contract=later,
        kind=MilestoneKind.DELIVERABLE,
        title="Later",
        owner=world.supplier_member,
        responsible_party=later.parties.get(role=PartyRole.SUPPLIER),
        accepting_party=later.parties.get(role=PartyRole.CLIENT),
        due_date=world.today + 50 * DAY,
        criticality=Criticality.CRITICAL,
        acceptance_criteria="Signed.",
        actor=world.client_manager,
    )
    page = login(world.client_manager).get(reverse("reporting:dashboard")).content.decode()
    portfolio = page[page.index('id="port-h"') :]
    assert "HCC-2026-001" in portfolio and "HCC-2026-002" not in portfolio
    assert "of 2." in portfolio and "All 2 contracts" in portfolio


def test_milestone_list_answers_htmx_with_the_results_alone(world, login):
    world.deliverable("Piling report")
    world.deliverable("Roof inspection")
    client = login(world.client_manager)
    url = reverse("reporting:milestone-list")
    partial = client.get(url, {"q": "roof"}, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="results">') and "<html" not in partial
    assert "Roof inspection" in partial and "Piling report" not in partial
    full = client.get(url, {"q": "roof"}).content.decode()
    assert "<html" in full and 'hx-get="/milestones/"' in full


def test_milestone_list_redraws_the_page_for_htmx_when_a_filter_is_invalid(world, login):
    client = login(world.client_manager)
    url = reverse("reporting:milestone-list")
    response = client.get(url, {"due_from": "not a date"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Retarget"] == "body" and "<html" in response.content.decode()
    assert client.get(url, {"due_from": "not a date"}).status_code == 400


# Bounded lists


def test_payments_due_this_month_shows_the_first_few_and_links_to_all(payments, login, monkeypatch):
    from milepost.reporting import views

    monkeypatch.setattr(views, "PAYMENTS_SIZE", 1)
    page = login(payments.client_manager).get("/").content.decode()
    section = page[page.index('id="pay-h"') : page.index('id="cash-h"')]

    assert "Foundation payment" in section and "Structure payment" not in section
    assert "The first 1 by due date, of 2." in section
    link = re.search(r'<a href="([^"]+)">All 2 payments due this month</a>', section)
    assert link, section
    listed = login(payments.client_manager).get(html.unescape(link.group(1)))
    assert titles(listed) == {"Foundation payment", "Structure payment"}


def test_payments_due_this_month_has_no_all_link_when_every_one_is_shown(payments, login):
    page = login(payments.client_manager).get("/").content.decode()
    section = page[page.index('id="pay-h"') : page.index('id="cash-h"')]

    assert "Foundation payment" in section and "Structure payment" in section
    assert "payments due this month</a>" not in section and "The first" not in section


# The tiles count exactly what health says, in every time zone


def _health_counts(user):
    """Count the tiles the slow, obvious way: from each milestone's derived health."""
    from milepost.schedule.selectors import milestones_for_user

    rows = list(milestones_for_user(user=user))
    open_ = [m for m in rows if m.is_open]

    def within(m, days):
        return m.local_today <= m.due_date <= m.local_today + dt.timedelta(days=days)

    return selectors.DashboardCounts(
        overdue=sum(m.health == Health.OVERDUE for m in rows),
        due_7=sum(within(m, 7) for m in open_),
        due_30=sum(within(m, 30) for m in open_),
        at_risk=sum(m.health == Health.AT_RISK for m in rows),
        awaiting=0,
        mine=sum(m.owner_id == user.pk for m in open_),
    )


def _portfolio_health(user):
    return {
        row.contract.reference: (row.health, row.total, row.open, row.overdue, row.at_risk)
        for row in selectors.portfolio(user=user)
    }


def _portfolio_health_slowly(user):
    """Each contract's worst health and counts, from each milestone's derived health."""
    from milepost.schedule.selectors import milestones_for_user

    rank = [Health.DONE, Health.ON_TRACK, Health.AT_RISK, Health.OVERDUE]
    found = {}
    for m in milestones_for_user(user=user):
        health, total, open_, overdue, at_risk = found.get(m.contract.reference, ("", 0, 0, 0, 0))
        if not health or rank.index(m.health) > rank.index(health):
            health = m.health
        found[m.contract.reference] = (
            health,
            total + 1,
            open_ + m.is_open,
            overdue + (m.health == Health.OVERDUE),
            at_risk + (m.health == Health.AT_RISK),
        )
    return found


@pytest.mark.parametrize("hour", [1, 12, 23])
def test_tile_counts_match_each_milestones_health_across_time_zones(world, hour):
    """Contracts in London, Kiritimati (UTC+14) and Pago Pago (UTC-11), at three hours."""
    from milepost.schedule.selectors import milestones_for_user
    from milepost.schedule.services import milestone_set_status

    contracts = [world.contract]
    for reference, zone in (("KIR-1", "Pacific/Kiritimati"), ("PPG-1", "Pacific/Pago_Pago")):
        contract = contract_create(
            organisation=world.client_org,
            party_role=PartyRole.CLIENT,
            reference=reference,
            title=reference,
            value=Decimal("1000.00"),
            currency="GBP",
            start_date=world.today - 60 * DAY,
            end_date=world.today + 100 * DAY,
            time_zone=zone,
            actor=world.client_manager,
        )
        party_add(
            contract=contract,
            organisation=world.supplier_org,
            role=PartyRole.SUPPLIER,
            actor=world.client_manager,
        )
        contract_set_status(
            contract=contract, status=ContractStatus.ACTIVE, actor=world.client_manager
        )
        contracts.append(contract)
    offsets = [-40, -2, -1, 0, 1, 6, 7, 8, 9, 13, 14, 15, 29, 30, 31, 32, 60]
    for contract in contracts:
        supplier = contract.parties.get(role=PartyRole.SUPPLIER)
        client_party = contract.parties.get(role=PartyRole.CLIENT)
        for n, offset in enumerate(offsets):
            milestone = milestone_create(
                contract=contract,
                kind=MilestoneKind.DELIVERABLE,
                title=f"{contract.reference} {offset:+d}",
                owner=world.supplier_member if n % 3 else world.supplier_manager,
                responsible_party=supplier,
                accepting_party=client_party,
                due_date=world.today + offset * DAY,
                acceptance_criteria="Done.",
                actor=world.client_manager,
            )
            if n % 7 == 6:
                # Data set up directly: releasing a milestone needs the counterparty's reason.
                type(milestone).objects.filter(pk=milestone.pk).update(status="not_met")
            elif n % 5 == 1:
                milestone_set_status(
                    milestone=milestone, status="in_progress", actor=world.client_manager
                )
            elif n % 5 == 2:
                deliverable_accept(milestone=milestone, actor=world.client_manager)
            elif n % 5 == 3 and offset > 20:
                type(milestone).objects.filter(pk=milestone.pk).update(risk_note="Late steel")
            elif n % 5 == 4 and offset > 20:
                type(milestone).objects.filter(pk=milestone.pk).update(
                    forecast_date=milestone.due_date + 5 * DAY, progress=60
                )
    instant = dt.datetime.combine(world.today, dt.time(hour), tzinfo=ZoneInfo("Europe/London"))

    with time_machine.travel(instant, tick=False):
        for user in (world.supplier_member, world.client_manager):
            assert selectors.dashboard_counts(user=user) == _health_counts(user), user
            for window, field in (("next7", "due_7"), ("next30", "due_30")):
                listed = selectors.milestones_filtered(
                    user=user, filters=selectors.MilestoneFilters(window=window)
                )
                assert listed.count() == getattr(_health_counts(user), field), window
            assert _portfolio_health(user) == _portfolio_health_slowly(user)
            own = selectors.own_open_milestones(user=user, limit=1000)
            assert {m.pk: m.health for m in own} == {
                m.pk: m.health
                for m in milestones_for_user(user=user)
                if m.owner_id == user.pk and m.is_open
            }


def test_dashboard_lists_and_counts_agree_with_the_full_selectors(schedule):
    board = selectors.dashboard(user=schedule.client_manager, contracts=1, payments=1)

    assert board.counts == selectors.dashboard_counts(user=schedule.client_manager)
    assert board.portfolio == selectors.portfolio(user=schedule.client_manager)[:1]
    assert board.portfolio_total == len(selectors.portfolio(user=schedule.client_manager))


# One inconsistent row does not take the dashboard down


def test_dashboard_shows_a_payment_whose_terms_are_missing_and_says_so(payments, login):
    from milepost.payments.models import PaymentTerms

    # Data set up directly: a damaged database, where a payment milestone lost its terms row.
    PaymentTerms.objects.filter(milestone__title="Structure payment").delete()

    response = login(payments.client_manager).get("/")

    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index('id="pay-h"') : page.index('id="money-h"')]
    assert "Foundation payment" in section and "Structure payment" in section
    assert "Its payment terms are missing: no amount, payer or payee is recorded." in section
    lines = selectors.payments_due_this_month(user=payments.client_manager)
    assert [(line.milestone.title, line.terms is None, line.state) for line in lines] == [
        ("Foundation payment", False, "paid"),
        ("Structure payment", True, ""),
    ]
