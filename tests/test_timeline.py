"""The contract timeline: shapes, baselines, arrows, the critical path, pins, today line, health,
zoom, access, queries."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from milepost.approvals.services import gate_create
from milepost.core.workdays import Calendar
from milepost.payments.services import payment_milestone_create
from milepost.reporting.timeline import timeline_context
from milepost.reporting.timeline.rows import (
    DEFAULT_ZOOM,
    BaselineShadow,
    TimelineRow,
    timeline_critical,
    timeline_rows,
    zoom_or_default,
)
from milepost.reporting.timeline.svg import HEADER, LABEL_WIDTH, LANE, LEAD_DAYS, timeline_svg
from milepost.schedule.baselines import baseline_create
from milepost.schedule.dependencies import dependency_add
from milepost.schedule.graph.critical import CriticalPath
from milepost.schedule.planning import milestone_pin, milestone_plan_set
from milepost.schedule.services import milestone_reschedule

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
        "start_date": None,
        "met_on": None,
        "pinned": False,
        "anchor_id": None,
        "anchor_event": "",
        "anchor_offset": 0,
        "anchor_working_days": False,
    }
    values.update(fields)
    return values  # type: ignore[return-value]


def fs(before: int, after: int, kind: str = "FS", lag: int = 0, working: bool = False):
    return (before, after, kind, lag, working)


def draw(rows, links=(), zoom="quarter", today=TODAY, **options) -> str:
    return str(
        timeline_svg(
            list(rows),
            list(links),
            today=today,
            zoom=zoom,
            label="Timeline of X-1",
            href=HREF,
            **options,
        )
    )


def x_at(day: dt.date, origin: dt.date = dt.date(2026, 3, 1), px: int = 6) -> int:
    """The x of a day on the month zoom (6 px a day) from ``origin``."""
    return LABEL_WIDTH + (day - origin).days * px


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
        links=[fs(1, 2)],
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
    svg = draw(rows, links=[fs(1, 2), fs(2, 3)], zoom="month")
    assert svg.count('class="dep fs"') == 2
    assert "marker-end:url(#tl-arrow)" in svg and '<marker id="tl-arrow"' in svg
    origin = dt.date(2026, 3, 1)
    a_end = LABEL_WIDTH + (rows[0]["due_date"] - origin).days * 6
    assert f'<path class="dep fs" d="M{a_end},{HEADER + LANE // 2}H{a_end + 6}' in svg


def test_arrows_to_milestones_outside_the_chart_are_skipped():
    svg = draw([row(1, "A"), row(2, "B")], links=[fs(1, 99)])
    assert 'class="dep ' not in svg


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


def test_timeline_rows_returns_milestones_with_health_and_dependencies(world):
    first = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    second = world.deliverable("Structure", due_date=world.today + dt.timedelta(days=50))
    dependency_add(predecessor=first, successor=second, actor=world.client_manager)
    rows, links = timeline_rows(contract=world.contract)
    assert [r["title"] for r in rows] == ["Foundations", "Structure"]
    assert rows[0]["health"] == "on_track"
    assert links == [(first.pk, second.pk, "FS", 0, False)]


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
        actor=world.supplier_manager,
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
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="timeline">Timeline</h2>' in body
    assert '<title id="tl-title">Timeline of HCC-2026-001</title>' in body
    for milestone in (foundation, payment, gate):
        url = reverse("milestones:milestone-detail", args=[milestone.pk])
        assert f'<a href="{url}" class="m {milestone.kind} ' in body
    # The payment follows its trigger, and the gate follows the payment.
    assert body.count('class="dep fs"') == 2
    assert '<path class="base"' in body
    assert '<a href="?zoom=quarter#timeline" aria-current="true">' in body


def test_contract_page_zoom_parameter_and_fallback(login, world):
    world.deliverable("Foundations")
    client = login(world.client_manager)
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    month = client.get(url, {"zoom": "month"}).content.decode()
    assert 'data-zoom="month"' in month
    assert '<a href="?zoom=month#timeline" aria-current="true">' in month
    bad = client.get(url, {"zoom": "<decade>"})
    assert bad.status_code == 200
    assert 'data-zoom="quarter"' in bad.content.decode()


def test_contract_page_without_milestones_says_so(login, world):
    body = (
        login(world.client_manager)
        .get(reverse("reporting:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    # No timeline is drawn (the navigation's icons are SVG too, so look for the chart's class)
    assert 'class="tl"' not in body and "No milestones yet." in body


def test_contract_page_timeline_is_404_for_an_outsider(login, world):
    world.deliverable("Foundations")
    response = login(world.outsider).get(
        reverse("reporting:contract-detail", args=[world.contract.pk]), {"zoom": "month"}
    )
    assert response.status_code == 404


# A page of lanes at a time


def test_lane_page_reads_the_query_and_falls_back_to_a_valid_page():
    from milepost.reporting.timeline.rows import lane_page

    assert lane_page(None, 600).number == 1
    assert (lane_page("2", 600).start, lane_page("2", 600).stop) == (250, 500)
    assert lane_page("3", 600).stop == 600 and lane_page("3", 600).next is None
    assert lane_page("99", 600).number == 3  # past the end: the last page
    for bad in ("0", "-1", "two", "1.5", "", "9" * 40):
        assert lane_page(bad, 600).number == 1, bad
    assert lane_page("1", 0).count == 1


def draw_lanes(rows, links, number, size=2):
    from milepost.reporting.timeline.rows import lane_page

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
    links = [fs(1, 2), fs(2, 3), fs(3, 4)]
    first = draw_lanes(rows, links, 1)

    assert first.count('class="dep fs"') == 1  # 1 → 2; 2 → 3 leaves the page
    assert (
        "with the 1 dependencies between them (1 more link them to milestones on other pages)"
        in first
    )


def test_a_bar_still_starts_at_a_predecessor_on_another_page():
    rows = [
        row(1, "Design", due_date=dt.date(2026, 4, 1)),
        row(2, "Build", due_date=dt.date(2026, 6, 1)),
    ]
    second = draw_lanes(rows, [fs(1, 2)], 2, size=1)
    start_x = LABEL_WIDTH + (dt.date(2026, 4, 1) - dt.date(2026, 3, 1)).days * 6
    assert f'<rect class="s on_track" x="{start_x}" y="{HEADER + 5}"' in second
    assert 'class="dep ' not in second


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
    from milepost.reporting.timeline import rows

    monkeypatch.setattr(rows, "LANES_PER_PAGE", 3)
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
    url = reverse("reporting:contract-detail", args=[long_contract.contract.pk])

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
    assert 'class="dep ' not in last and "1 more link them" in last


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1e3", "%00", "99999999999999999999"])
def test_contract_page_with_a_bad_lanes_value_shows_the_first_page(login, long_contract, value):
    client = login(long_contract.client_manager)
    url = reverse("reporting:contract-detail", args=[long_contract.contract.pk])
    response = client.get(url, {"lanes": value})
    assert response.status_code == 200
    assert "Lanes 1\N{EN DASH}3 of 7" in response.content.decode()


def test_contract_page_past_the_last_lanes_shows_the_last_page(login, long_contract):
    client = login(long_contract.client_manager)
    url = reverse("reporting:contract-detail", args=[long_contract.contract.pk])
    assert "Lanes 7\N{EN DASH}7 of 7" in client.get(url, {"lanes": "12"}).content.decode()


def test_a_short_contract_has_no_lane_navigation(login, world):
    world.deliverable("Only one")
    body = (
        login(world.client_manager)
        .get(reverse("reporting:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    assert 'aria-label="Timeline lanes"' not in body


# Start dates and the four link types

D = dt.date
# On the month zoom from 1 Mar 2026: A runs 20 Mar to 10 Apr (x 374 to 500) in lane 0, B runs
# 20 Apr to 10 May (x 560 to 680) in lane 1; the lanes' middles are HEADER + 11 and + 33.
BAR_A = row(1, "A", start_date=D(2026, 3, 20), due_date=D(2026, 4, 10))
BAR_B = row(2, "B", start_date=D(2026, 4, 20), due_date=D(2026, 5, 10))
A_Y, B_Y = HEADER + LANE // 2, HEADER + LANE + LANE // 2


def test_a_bar_runs_from_its_start_date_to_its_due_date():
    svg = draw([BAR_A], zoom="month")
    assert x_at(D(2026, 3, 20)) == 374 and x_at(D(2026, 4, 10)) == 500
    assert f'<rect class="s on_track" x="374" y="{HEADER + 5}" width="126"' in svg


@pytest.mark.parametrize(
    ("link", "path"),
    [
        # Finish to start: out of A's end (500), into B's start (560) from the left.
        (fs(1, 2, "FS"), f"M500,{A_Y}H506V{B_Y}H560"),
        # Start to start: out of A's start (374) leftwards, into B's start.
        (fs(1, 2, "SS"), f"M374,{A_Y}H368V{B_Y}H560"),
        # Finish to finish: out of A's end, round to reach B's end (680) from the right.
        (fs(1, 2, "FF"), f"M500,{A_Y}H506V{B_Y - LANE // 2}H688V{B_Y}H680"),
        # Start to finish: out of A's start, round to B's end.
        (fs(1, 2, "SF"), f"M374,{A_Y}H368V{B_Y - LANE // 2}H688V{B_Y}H680"),
        # Finish to finish upwards: from B's end (680) straight to A's end (500) from the right.
        (fs(2, 1, "FF"), f"M680,{B_Y}H686V{A_Y}H500"),
    ],
)
def test_each_link_type_is_drawn_from_and_to_the_ends_it_links(link, path):
    svg = draw([BAR_A, BAR_B], [link], zoom="month")
    assert f'<path class="dep {link[2].lower()}" d="{path}"/>' in svg
    assert svg.count('class="dep ') == 1


def test_only_a_finish_to_start_predecessor_starts_a_bar_without_a_start_date():
    rows = [row(1, "A", due_date=D(2026, 4, 1)), row(2, "B", due_date=D(2026, 6, 1))]
    svg = draw(rows, [fs(1, 2, "SS")], zoom="month")
    # The lead-in: 14 days before 1 Jun is 18 May.
    assert f'<rect class="s on_track" x="{x_at(D(2026, 5, 18))}" y="{HEADER + LANE + 5}"' in svg


# The critical path and pins


def test_the_critical_path_is_outlined_and_said_in_words():
    rows = [
        BAR_A,
        row(2, "Pay", "payment", due_date=D(2026, 4, 20)),
        row(3, "C", due_date=D(2026, 5, 1)),
        row(4, "D", due_date=D(2026, 5, 2)),
        row(5, "Done", due_date=D(2026, 5, 3), status="met", met_on=D(2026, 5, 3)),
    ]
    path = CriticalPath({1: 0, 2: -2, 3: 3, 4: 1, 5: 0}, [2, 1], D(2026, 5, 3))
    svg = draw(rows, zoom="month", critical=path)
    # A's bar (374 to 500) with a ring 2 px wider each side; the payment's diamond, larger.
    assert f'<rect class="crit" x="372" y="{HEADER + 3}" width="130" height="14"/>' in svg
    pay_x, pay_mid = x_at(D(2026, 4, 20)), HEADER + LANE + LANE // 2
    assert f'<path class="crit" d="M{pay_x},{pay_mid - 10}l10,10-10,10-10-10z"/>' in svg
    assert svg.count('class="crit"') == 2 + 1  # and the legend's sample
    lanes = svg.split('<g class="lanes">')[1]
    assert lanes.index('class="crit"') < lanes.index('class="s ')  # behind the shape
    assert "; on the critical path (no float)</title>" in milestone_element(svg, 1)
    assert "; on the critical path, 2 working days behind a pinned date</title>" in (
        milestone_element(svg, 2)
    )
    assert "; total float 3 working days</title>" in milestone_element(svg, 3)
    assert "; total float 1 working day</title>" in milestone_element(svg, 4)
    assert "float" not in milestone_element(svg, 5) and "critical" not in milestone_element(svg, 5)
    assert ">Critical path (no float)</text>" in svg
    assert "2 on the critical path, outlined" in svg


def test_a_pinned_date_carries_a_marker_and_says_so():
    due_x = x_at(D(2026, 4, 10))
    svg = draw(
        [row(1, "Handover", due_date=D(2026, 4, 10), pinned=True), row(2, "B")], zoom="month"
    )
    assert f'<path class="pin" d="M{due_x - 4},{HEADER}h8l-4,5z"/>' in svg
    assert "; health: On track; pinned date</title>" in milestone_element(svg, 1)
    assert "pinned" not in milestone_element(svg, 2)
    assert ">Pinned date</text>" in svg


def test_timeline_critical_reads_links_and_anchors_from_the_rows():
    rows = [
        row(1, "A", due_date=D(2026, 3, 10)),
        row(2, "B", due_date=D(2026, 3, 20)),
        row(3, "C", due_date=D(2026, 3, 20), anchor_id=1, anchor_event="due", anchor_offset=10),
        row(4, "E", due_date=D(2026, 3, 12)),
    ]
    path = timeline_critical(rows, [fs(1, 2)], Calendar("GB", "ENG"))
    # C follows A by 10 days exactly and finishes last with B: A has no float; E has 6 working
    # days (Fri 13 to Fri 20 Mar).
    assert path.chain[0] == 1 and set(path.chain) == {1, 2, 3}
    assert path.floats[4] == 6


# A named baseline's shadows

V3 = "Accepted programme v3"


def shadowed(baseline_dates, *rows_):
    return draw(list(rows_), zoom="month", baseline=BaselineShadow(V3, baseline_dates))


def test_a_named_baselines_dates_are_drawn_as_shadows_with_the_slip_in_words():
    svg = shadowed(
        {
            1: (D(2026, 4, 3), D(2026, 3, 13)),
            2: (D(2026, 4, 13), None),
            4: (D(2026, 4, 24), None),
            5: (D(2026, 5, 20), None),
        },
        BAR_A,
        row(2, "Pay", "payment", due_date=D(2026, 4, 20)),
        row(3, "New", due_date=D(2026, 4, 25)),
        row(4, "Bar", due_date=D(2026, 5, 1), baseline_due_date=D(2026, 3, 1)),
        row(5, "Steady", due_date=D(2026, 5, 20)),
    )
    # A's baseline bar: 13 Mar (x 332) to 3 Apr (x 458).
    assert f'<rect class="shadow" x="332" y="{HEADER + 3}" width="126" height="14"/>' in svg
    assert f"due 10 Apr 2026; baseline “{V3}”: due 3 Apr 2026 (+7 d);" in milestone_element(svg, 1)
    # The payment's baseline diamond at 13 Apr.
    mid = HEADER + LANE + LANE // 2
    assert f'<path class="shadow" d="M{x_at(D(2026, 4, 13))},{mid - 9}l9,9-9,9-9-9z"/>' in svg
    assert f"baseline “{V3}”: due 13 Apr 2026 (+7 d)" in milestone_element(svg, 2)
    assert f"; not in baseline “{V3}”" in milestone_element(svg, 3)
    # No baseline start: the shadow keeps the bar's length (14 days of lead-in), a week earlier.
    left = x_at(D(2026, 4, 24)) - LEAD_DAYS * 6
    assert f'<rect class="shadow" x="{left}" y="{HEADER + 3 * LANE + 3}" width="84"' in svg
    assert "(unchanged)" in milestone_element(svg, 5)
    # The named baseline replaces the agreed-date marker, in the chart and the legend.
    assert '<path class="base"' not in svg and "(baseline 1 Mar" not in svg
    assert f">Baseline “{V3}”</text>" in svg and ">Baseline</text>" not in svg
    assert f"grey shadows show baseline “{V3}”" in svg
    lanes = svg.split('<g class="lanes">')[1]
    assert lanes.index('class="shadow"') < lanes.index('class="s ')  # behind the shape


def test_baseline_dates_widen_the_scale_and_names_are_escaped_and_shortened():
    name = "<b>Tender & award</b> programme, revision twelve"
    svg = str(
        timeline_svg(
            [BAR_A],
            [],
            today=TODAY,
            zoom="month",
            label="T",
            href=HREF,
            baseline=BaselineShadow(name, {1: (D(2026, 1, 20), None)}),
        )
    )
    assert ">Jan 2026</text>" in svg  # the scale reaches back to the baseline date
    assert (
        "<b>" not in svg
        and "&lt;b&gt;Tender &amp; award&lt;/b&gt; programme, revision twelve" in svg
    )
    assert "Baseline “&lt;b&gt;Tender &amp; award&lt;/b&gt; program…”" in svg


# On the contract page


def test_contract_page_compares_with_a_chosen_baseline(login, world):
    foundation = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    baseline = baseline_create(contract=world.contract, name="Tender", actor=world.client_manager)
    baseline_create(contract=world.contract, name="Award", actor=world.client_manager)
    milestone_reschedule(
        milestone=foundation,
        due_date=world.today + dt.timedelta(days=27),
        reason="Late steel",
        actor=world.supplier_manager,
    )
    client = login(world.client_viewer)
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    body = client.get(url, {"zoom": "month", "page": "1", "baseline": baseline.pk}).content.decode()
    form = body[body.index('<form method="get" action="#timeline"') :]
    form = form[: form.index("</form>")]
    assert '<label for="timeline-baseline">Compare with a baseline</label>' in form
    assert f'<option value="{baseline.pk}" selected>Tender</option>' in form
    assert ">Award</option>" in form and form.index("Award") < form.index("Tender")  # newest first
    assert '<input type="hidden" name="zoom" value="month">' in form
    assert '<input type="hidden" name="page" value="1">' in form
    assert 'name="baseline" value' not in form.split("<select")[0]
    assert "Grey shadows show “Tender”" in body
    assert '<rect class="shadow"' in body
    assert "baseline “Tender”: due" in body and "(+7 d)" in body
    # The zoom links keep the baseline.
    assert f'href="?zoom=year&amp;page=1&amp;baseline={baseline.pk}#timeline"' in body


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1", "9" * 30])
def test_contract_page_ignores_a_baseline_that_is_not_the_contracts(login, world, value):
    world.deliverable("Foundations")
    baseline_create(contract=world.contract, name="Tender", actor=world.client_manager)
    body = (
        login(world.client_manager)
        .get(reverse("reporting:contract-detail", args=[world.contract.pk]), {"baseline": value})
        .content.decode()
    )
    assert "selected>" not in body.split('id="timeline-baseline"')[1].split("</select>")[0]
    assert '<rect class="shadow"' not in body and "Grey shadows show" not in body


def test_contract_page_without_baselines_offers_no_baseline_choice(login, world):
    world.deliverable("Foundations")
    body = (
        login(world.client_manager)
        .get(reverse("reporting:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    assert "Compare with a baseline" not in body


def test_contract_page_marks_the_critical_path_and_links_to_it(login, world):
    first = world.deliverable("Foundations", due_date=world.today + dt.timedelta(days=20))
    second = world.deliverable("Structure", due_date=world.today + dt.timedelta(days=50))
    world.deliverable("Signage", due_date=world.today + dt.timedelta(days=25))
    dependency_add(predecessor=first, successor=second, actor=world.client_manager)
    milestone_plan_set(
        milestone=second,
        start_date=world.today + dt.timedelta(days=20),
        actor=world.supplier_manager,
    )
    milestone_pin(milestone=second, pinned=True, actor=world.supplier_manager)
    body = (
        login(world.supplier_member)
        .get(reverse("reporting:contract-detail", args=[world.contract.pk]))
        .content.decode()
    )
    # Foundations runs straight into Structure, which finishes last: both critical; Signage
    # has float.
    assert "2 milestones on the critical path, outlined in the chart." in body
    critical_url = reverse("contract-critical-path", args=[world.contract.pk])
    link = f'<a href="{critical_url}">The critical path and each milestone\'s float</a>'
    assert link in body
    assert body.count('<rect class="crit" x=') == 2 + 1  # and the legend's sample
    assert '<path class="pin"' in body
    signage = body[body.index(">Signage (Deliverable)") :]
    assert "; total float" in signage[: signage.index("</title>")]


def test_timeline_queries_do_not_grow_with_milestones(world, django_assert_num_queries):
    baseline = baseline_create(contract=world.contract, name="Tender", actor=world.client_manager)
    query = {"baseline": str(baseline.pk)}
    for n in range(3):
        world.deliverable(f"Deliverable {n}")
    # Milestones, links, baselines, the calendar's days off, the chosen baseline's dates, and the
    # communications waiting for an answer.
    with django_assert_num_queries(6):
        timeline_context(contract=world.contract, query=query, today=world.today)
    for n in range(27):
        world.deliverable(f"More {n}")
    with django_assert_num_queries(6):
        context = timeline_context(contract=world.contract, query=query, today=world.today)
    assert str(context["timeline"]).count('class="m deliverable') == 30
