"""The contract timeline: shapes, baseline, arrows, today line, health, zoom, access, queries."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.approvals.services import gate_create
from milepost.payments.services import payment_milestone_create
from milepost.reporting.timeline import (
    DEFAULT_ZOOM,
    HEADER,
    LABEL_WIDTH,
    LANE,
    LEAD_DAYS,
    TimelineRow,
    timeline_rows,
    timeline_svg,
    zoom_or_default,
)
from milepost.schedule.services import dependency_add, milestone_reschedule

from .conftest import PASSWORD

TODAY = dt.date(2026, 3, 10)
HREF = "/milestones/{pk}/"


def row(pk: int, title: str, kind: str = "deliverable", **fields: object) -> TimelineRow:
    due = fields.pop("due_date", TODAY + dt.timedelta(days=10 * pk))
    values = {
        "id": pk,
        "title": title,
        "kind": kind,
        "status": "scheduled",
        "progress": 0,
        "baseline_due_date": due,
        "due_date": due,
        "forecast_date": None,
        "health": "on_track",
    }
    values.update(fields)
    return values  # type: ignore[return-value]


def draw(rows, links=(), zoom="quarter", today=TODAY) -> str:
    return str(
        timeline_svg(
            list(rows), list(links), today=today, zoom=zoom, label="Timeline of X-1", href=HREF
        )
    )


def shapes(svg: str) -> list[tuple[str, str]]:
    """Return each milestone's shape, in lane order, as (element, health)."""
    return re.findall(r'<(rect|path) class="s (\w+)"', svg.split('<g class="lanes">')[1])


def milestone_element(svg: str, pk: int) -> str:
    match = re.search(rf'<a href="/milestones/{pk}/"[^>]*>.*?</a>', svg)
    assert match, f"no element for milestone {pk}"
    return match.group(0)


def test_draws_one_linked_element_with_a_tooltip_per_milestone():
    svg = draw([row(1, "Foundations"), row(2, "Structure"), row(3, "Handover")])
    assert svg.count("<a href=") == 3
    element = milestone_element(svg, 2)
    assert "<title>Structure (Deliverable): due 30 Mar 2026" in element
    assert "Scheduled, 0%; health: On track</title>" in element


def test_svg_is_an_image_named_after_the_contract():
    svg = draw([row(1, "Foundations")])
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="tl" role="group"')
    assert '<title id="tl-title">Timeline of X-1</title>' in svg
    # The drawing is the image; the links lie outside it (links inside an image are hidden).
    drawing = svg.split('<g role="img" aria-labelledby="tl-title tl-desc">')[1]
    drawing = drawing.split('<g class="links">')[0]
    assert "Gantt chart of 1 milestones and 0 dependencies" in drawing
    assert "<a " not in drawing


def test_payments_and_gates_are_diamonds_and_deliverables_and_kpis_are_bars():
    svg = draw(
        [
            row(1, "Module", "deliverable"),
            row(2, "Uptime", "performance"),
            row(3, "First payment", "payment"),
            row(4, "Design review", "gate"),
        ]
    )
    assert [element for element, _ in shapes(svg)] == ["rect", "rect", "path", "path"]
    assert re.search(r'<path class="s on_track" d="M\d+,\d+l7,7-7,7-7-7z"/>', svg)


def test_a_bar_without_predecessor_starts_the_lead_in_before_its_due_date():
    due = dt.date(2026, 5, 1)
    svg = draw([row(1, "Module", due_date=due, baseline_due_date=due)], zoom="month")
    origin = dt.date(2026, 3, 1)  # the month holding the earliest date drawn (today)
    start_x = LABEL_WIDTH + ((due - origin).days - LEAD_DAYS) * 6
    assert f'<rect class="s on_track" x="{start_x}" y="{HEADER + 5}" width="{LEAD_DAYS * 6}"' in svg


def test_a_bar_with_a_predecessor_starts_when_the_predecessor_is_due():
    svg = draw(
        [
            row(1, "Design", due_date=dt.date(2026, 4, 1)),
            row(2, "Build", due_date=dt.date(2026, 6, 1)),
        ],
        links=[(1, 2)],
        zoom="month",
    )
    origin = dt.date(2026, 3, 1)
    start_x = LABEL_WIDTH + (dt.date(2026, 4, 1) - origin).days * 6
    assert f'<rect class="s on_track" x="{start_x}" y="{HEADER + LANE + 5}"' in svg


def test_baseline_marker_only_when_the_due_date_moved():
    slipped = row(1, "Slipped", due_date=dt.date(2026, 5, 1), baseline_due_date=dt.date(2026, 4, 1))
    svg = draw([slipped, row(2, "Steady")], zoom="month")
    origin = dt.date(2026, 3, 1)
    base_x = LABEL_WIDTH + (dt.date(2026, 4, 1) - origin).days * 6
    assert f'<path class="base" d="M{base_x},{HEADER + 16}h{30 * 6}v3' in svg
    assert f"M{base_x - 1},{HEADER + 3}h2v16h-2z" in svg
    assert svg.count('<path class="base"') == 1
    assert "baseline" not in milestone_element(svg, 2)
    assert "due 1 May 2026 (baseline 1 Apr 2026, +30 d)" in milestone_element(svg, 1)
    # Drawn behind: the baseline comes before the milestone's own shape.
    lanes = svg.split('<g class="lanes">')[1]
    assert lanes.index('class="base"') < lanes.index('class="s ')


def test_one_arrow_per_dependency_from_predecessor_end_to_successor_start():
    rows = [row(1, "A"), row(2, "B"), row(3, "Pay", "payment")]
    svg = draw(rows, links=[(1, 2), (2, 3)], zoom="month")
    assert svg.count('class="dep"') == 2
    assert "marker-end:url(#tl-arrow)" in svg and '<marker id="tl-arrow"' in svg
    origin = dt.date(2026, 3, 1)
    a_end = LABEL_WIDTH + (rows[0]["due_date"] - origin).days * 6
    assert f'<path class="dep" d="M{a_end},{HEADER + LANE // 2}H{a_end + 6}' in svg


def test_arrows_to_milestones_outside_the_chart_are_skipped():
    svg = draw([row(1, "A"), row(2, "B")], links=[(1, 99)])
    assert 'class="dep"' not in svg


def test_today_line_sits_at_todays_date_on_the_scale():
    svg = draw(
        [row(1, "A", due_date=dt.date(2026, 8, 20))], today=dt.date(2026, 5, 17), zoom="month"
    )
    # The scale starts on 1 May, the month of the earliest date drawn (today); 16 days in.
    x = LABEL_WIDTH + 16 * 6
    assert f'<path class="today" d="M{x},{HEADER - 18}V' in svg


@pytest.mark.parametrize("health", ["on_track", "at_risk", "overdue", "done"])
def test_each_milestone_carries_its_health_as_class_and_in_words(health):
    svg = draw([row(1, "A", health=health)])
    element = milestone_element(svg, 1)
    assert f'class="m deliverable {health}"' in element
    assert shapes(svg) == [("rect", health)]
    assert f"health: {health.replace('_', ' ').capitalize()}" in element


def test_legend_names_every_health_and_health_has_a_fill_beyond_colour():
    svg = draw([row(1, "A")])
    for label in ("On track", "At risk", "Overdue", "Done", "Baseline", "Today"):
        assert f">{label}</text>" in svg
    assert '<pattern id="tl-at_risk"' in svg and '<pattern id="tl-overdue"' in svg
    assert ".tl .s.done{fill:#fff" in svg


def test_titles_are_escaped_in_label_and_tooltip():
    svg = draw([row(1, "<script>alert(1)</script>")])
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_long_titles_are_truncated_in_the_label_but_whole_in_the_tooltip():
    title = "A very long milestone title that goes on and on past the label column"
    element = milestone_element(draw([row(1, title)]), 1)
    assert f"<title>{title} (" in element
    assert f">{title[:35]}…</text>" in element


def test_zoom_changes_the_width_of_a_day():
    rows = [row(1, "A", due_date=dt.date(2027, 3, 10))]
    widths = {}
    for zoom in ("month", "quarter", "year"):
        svg = draw(rows, zoom=zoom)
        widths[zoom] = float(re.search(r'data-px-per-day="([\d.]+)"', svg).group(1))
        assert f'data-zoom="{zoom}"' in svg
    assert widths == {"month": 6, "quarter": 2, "year": 0.5}
    assert ">Apr 2026</text>" in draw(rows, zoom="month")
    assert ">Q2 2026</text>" in draw(rows, zoom="quarter")
    assert ">2027</text>" in draw(rows, zoom="year")


def test_an_unknown_zoom_falls_back_to_the_default():
    assert zoom_or_default("decade") == DEFAULT_ZOOM == "quarter"
    assert zoom_or_default(None) == "quarter"
    assert 'data-zoom="quarter"' in draw([row(1, "A")], zoom="decade")


# Against the database: the selector and the contract page.


@pytest.fixture
def login(client):
    def as_user(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return as_user


def test_timeline_rows_returns_milestones_with_health_and_dependencies(world):
    first = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    second = world.deliverable("Structure", due_date=world.today + dt.timedelta(days=50))
    dependency_add(predecessor=first, successor=second, actor=world.client_manager)
    rows, links = timeline_rows(contract=world.contract)
    assert [r["title"] for r in rows] == ["Foundations", "Structure"]
    assert rows[0]["health"] == "on_track"
    assert links == [(first.pk, second.pk)]


def test_timeline_rows_query_count_does_not_grow_with_milestones(world, django_assert_num_queries):
    for n in range(3):
        world.deliverable(f"Deliverable {n}")
    with django_assert_num_queries(2):
        rows, links = timeline_rows(contract=world.contract)
        timeline_svg(rows, links, today=world.today, label="T")
    for n in range(27):
        world.deliverable(f"More {n}")
    with django_assert_num_queries(2):
        rows, links = timeline_rows(contract=world.contract)
        timeline_svg(rows, links, today=world.today, label="T")
    assert len(rows) == 30


def test_contract_page_shows_the_timeline_to_a_party_user(login, world):
    foundation = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    milestone_reschedule(
        milestone=foundation,
        due_date=world.today + dt.timedelta(days=40),
        reason="Late steel",
        actor=world.client_manager,
    )
    payment = payment_milestone_create(
        contract=world.contract,
        title="Foundation payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=60),
        payer=world.client,
        payee=world.supplier,
        trigger=foundation,
        percentage=Decimal(30),
        actor=world.client_manager,
    )
    gate = gate_create(
        contract=world.contract,
        title="Design review",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=70),
        required_parties=[world.client],
        acceptance_criteria="Signed off.",
        actor=world.client_manager,
    )
    dependency_add(predecessor=payment, successor=gate, actor=world.client_manager)
    response = login(world.supplier_viewer).get(
        reverse("web:contract-detail", args=[world.contract.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="timeline">Timeline</h2>' in body
    assert '<title id="tl-title">Timeline of HCC-2026-001</title>' in body
    for milestone in (foundation, payment, gate):
        url = reverse("web:milestone-detail", args=[milestone.pk])
        assert f'<a href="{url}" class="m {milestone.kind} ' in body
    assert body.count('class="dep"') >= 1
    assert '<path class="base"' in body
    assert '<a href="?zoom=quarter#timeline" aria-current="true">' in body


def test_contract_page_zoom_parameter_and_fallback(login, world):
    world.deliverable("Foundations")
    client = login(world.client_manager)
    url = reverse("web:contract-detail", args=[world.contract.pk])
    month = client.get(url, {"zoom": "month"}).content.decode()
    assert 'data-zoom="month"' in month
    assert '<a href="?zoom=month#timeline" aria-current="true">' in month
    bad = client.get(url, {"zoom": "<decade>"})
    assert bad.status_code == 200
    assert 'data-zoom="quarter"' in bad.content.decode()


def test_contract_page_without_milestones_says_so(login, world):
    body = (
        login(world.client_manager)
        .get(reverse("web:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    assert "<svg" not in body and "No milestones yet." in body


def test_contract_page_timeline_is_404_for_an_outsider(login, world):
    world.deliverable("Foundations")
    response = login(world.outsider).get(
        reverse("web:contract-detail", args=[world.contract.pk]), {"zoom": "month"}
    )
    assert response.status_code == 404


# A page of lanes at a time


def test_lane_page_reads_the_query_and_falls_back_to_a_valid_page():
    from milepost.reporting.timeline import lane_page

    assert lane_page(None, 600).number == 1
    assert (lane_page("2", 600).start, lane_page("2", 600).stop) == (250, 500)
    assert lane_page("3", 600).stop == 600 and lane_page("3", 600).next is None
    assert lane_page("99", 600).number == 3  # past the end: the last page
    for bad in ("0", "-1", "two", "1.5", "", "9" * 40):
        assert lane_page(bad, 600).number == 1, bad
    assert lane_page("1", 0).count == 1


def draw_lanes(rows, links, number, size=2):
    from milepost.reporting.timeline import lane_page

    lanes = lane_page(str(number), len(rows), size=size)
    return str(
        timeline_svg(
            rows, links, today=TODAY, zoom="month", label="Timeline", href=HREF, lanes=lanes
        )
    )


def test_a_page_draws_only_its_lanes_on_the_whole_contracts_scale():
    rows = [row(n, f"M{n}") for n in range(1, 6)]
    whole = draw([*rows], zoom="month")
    second = draw_lanes(rows, [], 2)

    assert re.findall(r'<a href="/milestones/(\d+)/"', second) == ["3", "4"]
    # The same width and today line as the whole chart, so that pages line up.
    assert re.search(r'width="(\d+)"', second).group(1) == re.search(r'width="(\d+)"', whole).group(
        1
    )
    assert re.search(r'class="today" d="M(\d+)', second).group(1) == re.search(
        r'class="today" d="M(\d+)', whole
    ).group(1)
    # Its first lane is drawn at the top.
    assert f'<rect class="hit" y="{HEADER}"/>' in milestone_element(second, 3)
    assert "milestones 3 to 4 of 5" in second


def test_arrows_only_between_drawn_lanes_and_the_rest_are_counted():
    rows = [row(n, f"M{n}") for n in range(1, 5)]
    links = [(1, 2), (2, 3), (3, 4)]
    first = draw_lanes(rows, links, 1)

    assert first.count('class="dep"') == 1  # 1 → 2; 2 → 3 leaves the page
    assert (
        "with the 1 dependencies between them (1 more link them to milestones on other pages)"
        in first
    )


def test_a_bar_still_starts_at_a_predecessor_on_another_page():
    rows = [
        row(1, "Design", due_date=dt.date(2026, 4, 1)),
        row(2, "Build", due_date=dt.date(2026, 6, 1)),
    ]
    second = draw_lanes(rows, [(1, 2)], 2, size=1)
    start_x = LABEL_WIDTH + (dt.date(2026, 4, 1) - dt.date(2026, 3, 1)).days * 6
    assert f'<rect class="s on_track" x="{start_x}" y="{HEADER + 5}"' in second
    assert 'class="dep"' not in second


def test_the_lane_rectangles_take_their_size_from_css():
    svg = draw([row(1, "A"), row(2, "B")])
    assert ".tl .hit{fill:transparent;width:100%;height:22px}" in svg
    assert re.findall(r'<rect class="hit"[^>]*>', svg) == [
        f'<rect class="hit" y="{HEADER}"/>',
        f'<rect class="hit" y="{HEADER + LANE}"/>',
    ]


@pytest.fixture
def long_contract(world, monkeypatch):
    """Seven milestones drawn three lanes to a page, the last two linked."""
    from milepost.reporting import timeline

    monkeypatch.setattr(timeline, "LANES_PER_PAGE", 3)
    made = [
        world.deliverable(f"Step {n}", due_date=world.today + dt.timedelta(days=10 * n - 35))
        for n in range(1, 8)
    ]
    dependency_add(predecessor=made[5], successor=made[6], actor=world.client_manager)
    return world


def lane_links(body: str) -> dict[str, str]:
    nav = body[body.index('aria-label="Timeline lanes"') :]
    nav = nav[: nav.index("</nav>")]
    return {
        text: html.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    }


def test_contract_page_pages_through_lanes_keeping_the_zoom(login, long_contract):
    client = login(long_contract.client_manager)
    url = reverse("web:contract-detail", args=[long_contract.contract.pk])

    first = client.get(url, {"zoom": "month"}).content.decode()
    assert "Lanes 1\N{EN DASH}3 of 7" in first
    assert first.count('class="m deliverable') == 3
    links = lane_links(first)
    assert links["Next lanes"] == "?zoom=month&lanes=2#timeline"
    assert "Previous lanes" not in links
    # Today falls among the lanes of page 2 (the first three are past).
    assert links["Lanes due from today"] == "?zoom=month&lanes=2#timeline"

    last = client.get(url, {"zoom": "month", "lanes": "3"}).content.decode()
    assert "Lanes 7\N{EN DASH}7 of 7" in last and 'data-zoom="month"' in last
    assert lane_links(last)["Previous lanes"] == "?zoom=month&lanes=2#timeline"
    assert "Next lanes" not in lane_links(last)
    # The zoom links keep the page of lanes.
    assert '<a href="?zoom=year&amp;lanes=3#timeline">' in last
    # Step 6 → Step 7 crosses pages 2 and 3: no arrow, but the description says so.
    assert 'class="dep"' not in last and "1 more link them" in last


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1e3", "%00", "99999999999999999999"])
def test_contract_page_with_a_bad_lanes_value_shows_the_first_page(login, long_contract, value):
    client = login(long_contract.client_manager)
    url = reverse("web:contract-detail", args=[long_contract.contract.pk])
    response = client.get(url, {"lanes": value})
    assert response.status_code == 200
    assert "Lanes 1\N{EN DASH}3 of 7" in response.content.decode()


def test_contract_page_past_the_last_lanes_shows_the_last_page(login, long_contract):
    client = login(long_contract.client_manager)
    url = reverse("web:contract-detail", args=[long_contract.contract.pk])
    assert "Lanes 7\N{EN DASH}7 of 7" in client.get(url, {"lanes": "12"}).content.decode()


def test_a_short_contract_has_no_lane_navigation(login, world):
    world.deliverable("Only one")
    body = (
        login(world.client_manager)
        .get(reverse("web:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    assert 'aria-label="Timeline lanes"' not in body
