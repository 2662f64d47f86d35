"""The pure dependency graph: propagation, relative dates, pins, cycles and the critical path.

No database. Every expected date is worked out by hand in the comments, on the England and
Wales calendar: Christmas 2026 is Friday 25 December, Boxing Day is observed on Monday 28
December, New Year's Day 2027 is a Friday; Good Friday 2027 is 26 March and Easter Monday 29
March. March 2026 starts on a Sunday: 2, 9, 16, 23 and 30 March 2026 are Mondays.
"""

import datetime as dt
import random

import pytest

from milepost.core.workdays import Calendar
from milepost.schedule.graph import Anchor, Graph, GraphCycle, Link, Node, WorkingDays
from milepost.schedule.graph.critical import CriticalPath, critical_path, workday_index
from milepost.schedule.graph.propagation import describe_anchor, propagate

CAL = Calendar("GB", "ENG")
D = dt.date.fromisoformat


def ordinal(day: str) -> int:
    return D(day).toordinal()


def push(nodes, links, seed, *, due=None, start=None):
    """Move ``seed`` to ``due`` (and ``start``) and propagate; return the Propagation."""
    dues = {seed: D(due)} if due else None
    starts = {seed: D(start)} if start else None
    return propagate(Graph(nodes, links), CAL, [seed], dues=dues, starts=starts)


# Link types and lags, in calendar and working days.

# A runs Mon 2 Mar to Fri 6 Mar 2026 and moves a week later: Mon 9 to Fri 13 Mar.
# B runs Mon 9 to Wed 11 Mar 2026 (two days long) and follows A by each link below.
A = Node(id=1, title="A", start=D("2026-03-02"), due=D("2026-03-06"))
B = Node(id=2, title="B", start=D("2026-03-09"), due=D("2026-03-11"))


@pytest.mark.parametrize(
    ("kind", "lag", "working", "start", "due"),
    [
        # FS: B starts no earlier than A finishes (Fri 13) plus the lag.
        ("FS", 0, False, "2026-03-13", "2026-03-15"),  # 13 + 0 = Fri 13; due 13 + 2 = Sun 15
        ("FS", 2, False, "2026-03-15", "2026-03-17"),  # 13 + 2 = Sun 15; due Tue 17
        ("FS", -3, False, "2026-03-10", "2026-03-12"),  # 13 - 3 = Tue 10; due Thu 12
        ("FS", 0, True, "2026-03-13", "2026-03-15"),  # Fri 13 is worked: Fri 13
        ("FS", 2, True, "2026-03-17", "2026-03-19"),  # Fri 13 + 2 wd = Mon 16, Tue 17
        ("FS", -2, True, "2026-03-11", "2026-03-13"),  # Fri 13 - 2 wd = Thu 12, Wed 11
        # SS: B starts no earlier than A starts (Mon 9) plus the lag.
        ("SS", 0, False, None, None),  # 9 + 0 = Mon 9: B already starts then, no move
        ("SS", 3, False, "2026-03-12", "2026-03-14"),  # 9 + 3 = Thu 12; due Sat 14
        ("SS", 3, True, "2026-03-12", "2026-03-14"),  # Mon 9 + 3 wd = Tue, Wed, Thu 12
        ("SS", -1, True, None, None),  # Mon 9 - 1 wd = Fri 6: B starts later already
        # FF: B finishes no earlier than A finishes (Fri 13) plus the lag.
        ("FF", 0, False, "2026-03-11", "2026-03-13"),  # due Fri 13, start 13 - 2 = Wed 11
        ("FF", 2, True, "2026-03-15", "2026-03-17"),  # Fri 13 + 2 wd = Tue 17; start Sun 15
        ("FF", -1, False, "2026-03-10", "2026-03-12"),  # 13 - 1 = Thu 12; start Tue 10
        # SF: B finishes no earlier than A starts (Mon 9) plus the lag.
        ("SF", 0, False, None, None),  # Mon 9 ≤ Wed 11: no move
        ("SF", 4, False, "2026-03-11", "2026-03-13"),  # 9 + 4 = Fri 13; start Wed 11
        ("SF", 3, True, "2026-03-10", "2026-03-12"),  # Mon 9 + 3 wd = Thu 12; start Tue 10
        ("SF", -2, True, None, None),  # Mon 9 - 2 wd = Thu 5: no move
    ],
)
def test_each_link_type_and_lag_pushes_the_successor_keeping_its_duration(
    kind, lag, working, start, due
):
    result = push(
        [A, B],
        [Link(1, 2, kind, lag, working)],
        1,
        due="2026-03-13",
        start="2026-03-09",
    )
    if due is None:
        assert result.moves == {}
    else:
        move = result.moves[2]
        assert (move.new_start, move.new_due) == (D(start), D(due))
        assert (move.new_due - move.new_start).days == 2  # the duration is kept
        assert (move.old_start, move.old_due, move.cause) == (B.start, B.due, 1)
    assert result.reached == {1, 2}


@pytest.mark.parametrize(
    ("finish", "lag", "expected"),
    [
        # Thu 24 Dec 2026 + 3 wd: Fri 25 and Mon 28 are holidays → Tue 29, Wed 30, Thu 31.
        ("2026-12-24", 3, "2026-12-31"),
        # Thu 31 Dec 2026 + 1 wd: Fri 1 Jan is New Year's Day → Mon 4 Jan 2027.
        ("2026-12-31", 1, "2027-01-04"),
        # Thu 25 Mar 2027 + 1 wd: Good Friday and Easter Monday skipped → Tue 30 Mar.
        ("2027-03-25", 1, "2027-03-30"),
        # Fri 5 Mar 2027 + 1 wd: the weekend skipped → Mon 8 Mar.
        ("2027-03-05", 1, "2027-03-08"),
        # Sat 27 Mar 2027 + 0 wd: not worked, so the next working day, Tue 30 Mar.
        ("2027-03-27", 0, "2027-03-30"),
        # Sat 27 Mar 2027 + 1 wd: counting starts from Thu 25, the working day before → Tue 30.
        ("2027-03-27", 1, "2027-03-30"),
        # Tue 30 Mar 2027 - 1 wd: back over Easter Monday, the weekend, Good Friday → Thu 25.
        ("2027-03-30", -1, "2027-03-25"),
        # Sun 27 Dec 2026 - 1 wd: back to Thu 24 (Christmas Day is not worked).
        ("2026-12-27", -1, "2026-12-24"),
    ],
)
def test_working_day_lags_skip_weekends_and_bank_holidays(finish, lag, expected):
    a = Node(id=1, title="A", due=D("2026-01-05"))
    b = Node(id=2, title="B", due=D("2026-01-05"))
    result = push([a, b], [Link(1, 2, "FS", lag, True)], 1, due=finish)
    assert result.moves[2].new_due == D(expected)


def test_a_push_runs_down_a_chain_each_keeping_its_duration():
    # A (point) Mon 2 Mar → FS → B (Tue 3 to Thu 5) → FS +1 wd → C (Mon 9 to Tue 10).
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="B", start=D("2026-03-03"), due=D("2026-03-05")),
        Node(id=3, title="C", start=D("2026-03-09"), due=D("2026-03-10")),
    ]
    links = [Link(1, 2), Link(2, 3, "FS", 1, True)]
    # A moves to Fri 6: B starts Fri 6, due Sun 8; C starts Sun 8 + 1 wd = Mon 9... but
    # counting from a Sunday starts at Friday, so Mon 9: C does not move.
    result = push(nodes, links, 1, due="2026-03-06")
    assert result.moves[2].new_start == D("2026-03-06")
    assert result.moves[2].new_due == D("2026-03-08")
    assert 3 not in result.moves
    # A moves to Wed 11: B Wed 11 to Fri 13; C starts Fri 13 + 1 wd = Mon 16, due Tue 17.
    result = push(nodes, links, 1, due="2026-03-11")
    assert (result.moves[3].new_start, result.moves[3].new_due) == (
        D("2026-03-16"),
        D("2026-03-17"),
    )
    assert result.moves[3].cause == 2 and result.moves[3].days == 7


def test_links_only_push_a_predecessor_moving_earlier_pulls_nothing():
    a = Node(id=1, title="A", due=D("2026-03-10"))
    b = Node(id=2, title="B", due=D("2026-03-12"))
    result = push([a, b], [Link(1, 2, "FS", 2)], 1, due="2026-03-02")
    assert result.moves == {} and result.reached == {1, 2}


def test_a_successor_already_later_than_needed_stays():
    a = Node(id=1, title="A", due=D("2026-03-10"))
    b = Node(id=2, title="B", due=D("2026-04-30"))
    assert push([a, b], [Link(1, 2, "FS", 5)], 1, due="2026-03-20").moves == {}


def test_the_latest_of_several_predecessors_wins_and_is_named_the_cause():
    # B after A (FS +1) and after C (FF 0); A moves to 10 Mar → 11 Mar; C is due 14 Mar.
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="B", due=D("2026-03-05")),
        Node(id=3, title="C", due=D("2026-03-14")),
    ]
    result = push(nodes, [Link(1, 2, "FS", 1), Link(3, 2, "FF")], 1, due="2026-03-10")
    assert result.moves[2].new_due == D("2026-03-14") and result.moves[2].cause == 3


def test_seeds_not_in_the_graph_and_links_to_missing_milestones_are_ignored():
    a = Node(id=1, title="A", due=D("2026-03-02"))
    graph = Graph([a], [Link(1, 99), Link(98, 1)])
    result = propagate(graph, CAL, [1, 42], dues={1: D("2026-03-09")})
    assert result.moves == {} and result.reached == {1}


# Relative dates


def completion(**fields):
    values = {"id": 1, "title": "Practical Completion", "due": D("2027-03-03")}
    values.update(fields)
    return Node(**values)


def payment(event="met", offset=30, working=True, due="2027-01-01", **fields):
    return Node(
        id=2,
        title="Final payment",
        due=D(due),
        anchor=Anchor(1, event, offset, working),
        **fields,
    )


# From Wed 3 Mar 2027, 30 working days: Thu 4 to Thu 25 Mar is 16 (4, 5, 8-12, 15-19, 22-25),
# Good Friday 26 and Easter Monday 29 skipped, Tue 30 Mar to Fri 16 Apr is 14 more (30, 31,
# 1, 2, 5-9, 12-16): Fri 16 April 2027, with 2 holidays skipped.
PC_30_WD = D("2027-04-16")


def test_a_met_anchor_counts_from_the_day_it_was_met_and_says_how():
    anchor = completion(due=D("2027-02-20"), status="met", met_on=D("2027-03-03"))
    result = push([anchor, payment()], [], 1)
    move = result.moves[2]
    assert move.new_due == PC_30_WD and move.cause == 1
    text = "30 working days after Practical Completion met on 3 March 2027; 2 holidays skipped"
    assert result.bases[2] == move.basis == text


def test_a_met_anchor_not_yet_met_counts_provisionally_from_its_due_date():
    result = push([completion(), payment()], [], 1)
    assert result.moves[2].new_due == PC_30_WD
    assert result.bases[2] == (
        "30 working days after Practical Completion is met (not yet: counted from its due date "
        "3 March 2027); 2 holidays skipped"
    )


def test_a_relative_date_follows_its_anchor_earlier_as_well_as_later():
    # The anchor moves from Wed 3 Mar to Wed 24 Feb 2027: 30 wd on is Fri 9 Apr (Thu 25 Feb
    # to Thu 25 Mar is 21, then Tue 30 Mar to Fri 9 Apr is 9 more, Easter skipped).
    result = push([completion(), payment(due="2027-04-16")], [], 1, due="2027-02-24")
    assert result.moves[2].new_due == D("2027-04-09")
    assert result.moves[2].days == -7
    # And later again: the anchor to Wed 10 Mar → Fri 16 Apr + 5 wd = Fri 23 Apr.
    result = push([completion(), payment(due="2027-04-16")], [], 1, due="2027-03-10")
    assert result.moves[2].new_due == D("2027-04-23")


def test_a_relative_date_already_right_is_not_moved_but_its_basis_is_refreshed():
    result = push([completion(), payment(due="2027-04-16")], [], 1)
    assert result.moves == {}
    assert result.bases[2].startswith("30 working days after Practical Completion is met")


def test_a_due_anchor_counts_from_the_due_date_even_once_met():
    # Due Wed 3 Mar 2027, met late on Wed 10 Mar: 7 days after the due date is Wed 10 Mar.
    anchor = completion(status="met", met_on=D("2027-03-10"))
    result = push([anchor, payment("due", 7, False)], [], 1)
    assert result.moves[2].new_due == D("2027-03-10")
    assert result.bases[2] == "7 days after Practical Completion's due date 3 March 2027"


def test_calendar_days_across_christmas_name_no_holidays():
    # 14 days after Sun 20 Dec 2026 is Sun 3 Jan 2027, holidays or not.
    result = push([completion(), payment("due", 14, False)], [], 1, due="2026-12-20")
    assert result.moves[2].new_due == D("2027-01-03")
    assert result.bases[2] == "14 days after Practical Completion's due date 20 December 2026"


def test_working_days_before_an_anchor_skip_christmas_backwards():
    # 5 wd before Tue 29 Dec 2026: Mon 28 (observed Boxing Day), the weekend and Fri 25
    # (Christmas) are skipped: Thu 24, Wed 23, Tue 22, Mon 21, Fri 18 Dec.
    result = push([completion(), payment("due", -5, True)], [], 1, due="2026-12-29")
    assert result.moves[2].new_due == D("2026-12-18")
    assert result.bases[2] == (
        "5 working days before Practical Completion's due date 29 December 2026; 2 holidays skipped"
    )


def test_counting_back_from_a_holiday_does_not_count_the_holiday():
    # 3 wd before Christmas Day (Fri 25 Dec 2026): Thu 24, Wed 23, Tue 22 — no holiday passed.
    result = push([completion(), payment("due", -3, True)], [], 1, due="2026-12-25")
    assert result.moves[2].new_due == D("2026-12-22")
    assert (
        result.bases[2] == "3 working days before Practical Completion's due date 25 December 2026"
    )
    node, anchor = payment("due", -3, True), completion(due=D("2026-12-25"))
    assert describe_anchor(node, anchor, CAL, D("2026-12-22"), False) == result.bases[2]


def test_zero_working_days_after_a_holiday_is_the_next_working_day():
    # Met on Christmas Day (Fri 25 Dec 2026): the next working day is Tue 29 Dec; the count
    # passed over Christmas Day and the observed Boxing Day.
    anchor = completion(status="met", met_on=D("2026-12-25"))
    result = push([anchor, payment("met", 0, True)], [], 1)
    assert result.moves[2].new_due == D("2026-12-29")
    assert result.bases[2] == (
        "0 working days after Practical Completion met on 25 December 2026; 2 holidays skipped"
    )


def test_one_working_day_and_one_holiday_are_singular():
    # 1 wd after Thu 31 Dec 2026: New Year's Day skipped → Mon 4 Jan 2027.
    result = push([completion(), payment("due", 1, True)], [], 1, due="2026-12-31")
    assert result.moves[2].new_due == D("2027-01-04")
    assert result.bases[2] == (
        "1 working day after Practical Completion's due date 31 December 2026; 1 holiday skipped"
    )


def test_describe_anchor_says_the_same_as_propagation():
    anchor = completion(status="met", met_on=D("2027-03-03"))
    assert describe_anchor(payment(), anchor, CAL, PC_30_WD, False) == (
        "30 working days after Practical Completion met on 3 March 2027; 2 holidays skipped"
    )
    assert describe_anchor(payment(), completion(), CAL, PC_30_WD, True).startswith(
        "30 working days after Practical Completion is met (not yet: counted from its due date"
    )
    before = payment("due", -5, True)
    christmas = completion(due=D("2026-12-29"))
    assert describe_anchor(before, christmas, CAL, D("2026-12-18"), False).endswith(
        "; 2 holidays skipped"
    )
    on_the_day = payment("met", 0, True)
    met = completion(status="met", met_on=D("2026-12-25"))
    assert describe_anchor(on_the_day, met, CAL, D("2026-12-29"), False).endswith(
        "; 2 holidays skipped"
    )
    assert describe_anchor(payment("due", 1, False), completion(), CAL, D("2027-03-04"), False) == (
        "1 day after Practical Completion's due date 3 March 2027"
    )


def test_contract_days_off_count_as_holidays_skipped():
    # A site shutdown on Wed 10 and Thu 11 Mar 2027: 2 wd after Tue 9 Mar is Mon 15 Mar.
    shutdown = Calendar("GB", "ENG", frozenset({D("2027-03-10"), D("2027-03-11")}))
    graph = Graph([completion(due=D("2027-03-09")), payment("due", 2, True)], [])
    result = propagate(graph, shutdown, [1])
    assert result.moves[2].new_due == D("2027-03-15")
    assert result.bases[2].endswith("; 2 holidays skipped")


def test_a_link_can_hold_a_relative_date_later_than_its_anchor_puts_it():
    # The anchor says Fri 16 Apr 2027; a link from C (due Tue 20 Apr, FS +0) says Tue 20 Apr.
    nodes = [completion(), payment(), Node(id=3, title="C", due=D("2027-04-20"))]
    result = push(nodes, [Link(3, 2)], 1)
    assert result.moves[2].new_due == D("2027-04-20") and result.moves[2].cause == 3
    assert result.bases[2].startswith("30 working days after")


# Pinned dates


def test_a_pinned_date_is_kept_the_push_is_a_conflict_and_what_follows_counts_from_it():
    # A → P (pinned Tue 10 Mar 2026) → C, C being "7 days after P's due date" and stale.
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="Handover", due=D("2026-03-10"), pinned=True),
        Node(id=3, title="C", due=D("2026-03-01"), anchor=Anchor(2, "due", 7, False)),
    ]
    # A moves to Tue 17 Mar: P would need Tue 17 Mar (7 days later) but keeps Tue 10.
    result = push(nodes, [Link(1, 2)], 1, due="2026-03-17")
    assert 2 not in result.moves
    assert result.conflicts == {
        2: "Pinned to 10 March 2026, but A would need it on 17 March 2026 (7 days later)."
    }
    # C is worked out from the pinned date as it stands: 10 + 7 = Tue 17 Mar (not 24 Mar).
    assert result.moves[3].new_due == D("2026-03-17") and result.moves[3].cause == 2
    assert result.reached == {1, 2, 3}


def test_a_conflict_of_one_day_is_singular():
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="P", due=D("2026-03-10"), pinned=True),
    ]
    result = push(nodes, [Link(1, 2)], 1, due="2026-03-11")
    assert result.conflicts[2].endswith("(1 day later).")


def test_a_pinned_date_with_room_has_no_conflict():
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="P", due=D("2026-03-10"), pinned=True),
    ]
    result = push(nodes, [Link(1, 2)], 1, due="2026-03-09")
    assert result.conflicts == {} and result.moves == {}


# Met, waived and cancelled


def test_a_met_predecessor_constrains_from_the_day_it_was_met():
    # A was due Tue 10 Mar and met late on Mon 16 Mar 2026: B (FS) moves to Mon 16 Mar.
    for status in ("met", "partially_met"):
        nodes = [
            Node(id=1, title="A", due=D("2026-03-10"), status=status, met_on=D("2026-03-16")),
            Node(id=2, title="B", due=D("2026-03-12")),
        ]
        assert push(nodes, [Link(1, 2)], 1).moves[2].new_due == D("2026-03-16")


@pytest.mark.parametrize("status", ["met", "partially_met", "not_met", "waived", "cancelled"])
def test_only_scheduled_and_in_progress_milestones_move(status):
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="B", due=D("2026-03-03"), status=status),
    ]
    assert push(nodes, [Link(1, 2)], 1, due="2026-03-20").moves == {}
    nodes[1] = Node(id=2, title="B", due=D("2026-03-03"), status="in_progress")
    assert push(nodes, [Link(1, 2)], 1, due="2026-03-20").moves[2].new_due == D("2026-03-20")


@pytest.mark.parametrize("status", ["waived", "cancelled"])
def test_a_waived_or_cancelled_predecessor_constrains_nothing(status):
    nodes = [
        Node(id=1, title="A", due=D("2026-03-20"), status=status),
        Node(id=2, title="B", due=D("2026-03-03")),
        Node(id=3, title="C", due=D("2026-03-01")),
    ]
    # C's move reaches B, which is recomputed: A, gone, does not hold it.
    assert push(nodes, [Link(1, 2), Link(3, 2)], 3, due="2026-03-02").moves == {}


def test_node_finish_and_begin():
    met = Node(id=1, title="A", due=D("2026-03-10"), status="met", met_on=D("2026-03-04"))
    assert met.finish == D("2026-03-04")
    bar = Node(id=2, title="B", due=D("2026-03-10"), start=D("2026-03-02"))
    assert (bar.begin, bar.finish) == (D("2026-03-02"), D("2026-03-10"))
    assert Node(id=3, title="C", due=D("2026-03-10")).begin == D("2026-03-10")


# Cycles


def test_path_finds_a_route_through_links_and_anchors():
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="B", due=D("2026-03-03")),
        Node(id=3, title="C", due=D("2026-03-04"), anchor=Anchor(2, "met", 1, False)),
    ]
    graph = Graph(nodes, [Link(1, 2)])
    assert graph.path(1, 3) == [1, 2, 3]
    assert graph.path(3, 1) is None
    assert graph.after(2) == [3] and graph.anchored == {2: [3]}
    assert graph.descendants([2]) == {2, 3}


def cyclic() -> Graph:
    nodes = [
        Node(id=1, title="Design", due=D("2026-03-02")),
        Node(id=2, title="Build", due=D("2026-03-03")),
        Node(id=3, title="Test", due=D("2026-03-04"), anchor=Anchor(2, "due", 1, False)),
        Node(id=4, title="Launch", due=D("2026-03-05")),
    ]
    # Design → Build → (anchor) Test → Design, and Test → Launch downstream of the loop.
    return Graph(nodes, [Link(1, 2), Link(3, 1), Link(3, 4)])


def test_order_raises_naming_the_cycle():
    with pytest.raises(ValueError, match="The graph has a cycle: Design → Build → Test → Design"):
        cyclic().order()
    with pytest.raises(GraphCycle) as raised:
        cyclic().order({1, 2, 3})
    assert raised.value.cycle == [1, 2, 3, 1]


def test_propagation_and_the_critical_path_refuse_a_cycle():
    with pytest.raises(GraphCycle):
        propagate(cyclic(), CAL, [1], dues={1: D("2026-03-09")})
    with pytest.raises(GraphCycle, match="Design"):
        critical_path(cyclic(), CAL)


def test_a_graph_builds_from_database_rows():
    rows = [
        (1, "A", D("2026-03-02"), None, "scheduled", None, False, None, "", 0, False),
        (2, "B", D("2026-03-09"), D("2026-03-03"), "in_progress", None, True, 1, "due", 5, True),
    ]
    graph = Graph.from_rows(rows, [(1, 2, "SS", -1, True)])
    assert graph.nodes == {
        1: Node(id=1, title="A", due=D("2026-03-02")),
        2: Node(
            id=2,
            title="B",
            due=D("2026-03-09"),
            start=D("2026-03-03"),
            status="in_progress",
            pinned=True,
            anchor=Anchor(1, "due", 5, True),
        ),
    }
    assert graph.links == [Link(1, 2, "SS", -1, True)]


def test_order_puts_each_milestone_after_what_it_depends_on():
    nodes = [Node(id=n, title=str(n), due=D("2026-03-02")) for n in range(1, 6)]
    graph = Graph(nodes, [Link(5, 1), Link(1, 3), Link(4, 3), Link(3, 2)])
    order = graph.order()
    for link in graph.links:
        assert order.index(link.predecessor) < order.index(link.successor)
    assert graph.incoming[3] == [Link(1, 3), Link(4, 3)]
    assert graph.outgoing[3] == [Link(3, 2)]


# The critical path


def diamond() -> list[Node]:
    # S (point, Mon 2 Mar 2026) → B (Mon 2 to Fri 13 Mar) → D (Fri 13 to Fri 20 Mar)
    #                           → C (Mon 2 to Wed 4 Mar)  → D
    return [
        Node(id=1, title="S", due=D("2026-03-02")),
        Node(id=2, title="B", start=D("2026-03-02"), due=D("2026-03-13")),
        Node(id=3, title="C", start=D("2026-03-02"), due=D("2026-03-04")),
        Node(id=4, title="D", start=D("2026-03-13"), due=D("2026-03-20")),
    ]


DIAMOND_LINKS = [Link(1, 2), Link(1, 3), Link(2, 4), Link(3, 4)]


def test_critical_path_of_a_diamond():
    result = critical_path(Graph(diamond(), DIAMOND_LINKS), CAL)
    # D finishes last: float 0. B must finish by D's start, Fri 13: float 0. C may finish as
    # late as Fri 13 too: Thu 5, Fri 6, Mon 9 to Fri 13 is 7 working days. S must finish by
    # the start of B (Mon 2): float 0; C's start (Fri 13 - 2 days = Wed 11) allows more.
    assert result.floats == {1: 0, 2: 0, 3: 7, 4: 0}
    assert result.chain == [1, 2, 4]
    assert result.finish == D("2026-03-20")
    assert result.latest_finish(3) == D("2026-03-13")
    assert result.latest_finish(1) == D("2026-03-02")


def test_a_lag_gives_float_only_in_working_days():
    # P (point, Thu 25 Mar 2027) → FS +1 wd → Q (point, Tue 30 Mar 2027, last).
    # R (point, Thu 18 Mar 2027) → FS 0 wd → Q.
    nodes = [
        Node(id=1, title="P", due=D("2027-03-25")),
        Node(id=2, title="Q", due=D("2027-03-30")),
        Node(id=3, title="R", due=D("2027-03-18")),
    ]
    result = critical_path(
        Graph(nodes, [Link(1, 2, "FS", 1, True), Link(3, 2, "FS", 0, True)]), CAL
    )
    # P could finish as late as Easter Monday: 1 wd after it counts from Thu 25 → Tue 30.
    # That is no working day later than Thu 25: float 0.
    assert result.latest_finish(1) == D("2027-03-29")
    # R could finish on Tue 30 itself: Fri 19, Mon 22 to Thu 25, Tue 30: 6 working days.
    assert result.floats == {1: 0, 2: 0, 3: 6}
    assert result.chain == [1, 2]


def test_a_weekend_finish_and_a_calendar_lag_are_counted_exactly():
    # P (Sat 7 Mar 2026) → FS +2 calendar days → Q (Mon 9 Mar, last): P may not slip at all
    # (Sun 8 would put Q on Tue 10), so float 0, where rounding Saturday up to Monday would
    # have shown none and rounding to Friday one.
    nodes = [Node(id=1, title="P", due=D("2026-03-07")), Node(id=2, title="Q", due=D("2026-03-09"))]
    result = critical_path(Graph(nodes, [Link(1, 2, "FS", 2)]), CAL)
    assert result.floats == {1: 0, 2: 0}
    assert result.latest_finish(1) == D("2026-03-07")


def test_the_finish_is_the_last_date_even_on_a_weekend():
    # Q, last, is due Sun 8 Mar 2026: the finish is that Sunday, not the Monday after.
    nodes = [Node(id=1, title="P", due=D("2026-03-06")), Node(id=2, title="Q", due=D("2026-03-08"))]
    result = critical_path(Graph(nodes, [Link(1, 2, "FS", 2)]), CAL)
    assert result.finish == D("2026-03-08")
    assert result.floats == {1: 0, 2: 0}


# A runs Mon 2 to Fri 6 Mar 2026 (4 days); B runs Mon 9 to Fri 20 Mar (11 days) and is last.
BAR_A = Node(id=1, title="A", start=D("2026-03-02"), due=D("2026-03-06"))
BAR_B = Node(id=2, title="B", start=D("2026-03-09"), due=D("2026-03-20"))


@pytest.mark.parametrize(
    ("kind", "lag", "working", "latest", "slack"),
    [
        # FS 0: A may finish by B's start, Mon 9: one working day.
        ("FS", 0, False, "2026-03-09", 1),
        # FS -2 wd: A's finish less 2 wd must not pass Mon 9, so Wed 11: Mon 9, Tue, Wed.
        ("FS", -2, True, "2026-03-11", 3),
        # SS 0: A may start Mon 9, so finish Fri 13: 5 working days.
        ("SS", 0, False, "2026-03-13", 5),
        # FF 0: A may finish with B, Fri 20: 10 working days.
        ("FF", 0, False, "2026-03-20", 10),
        # FF +3 calendar: Fri 20 - 3 = Tue 17: 7 working days.
        ("FF", 3, False, "2026-03-17", 7),
        # SF +14 calendar: A may start Fri 20 - 14 = Fri 6, so finish Tue 10: 2 working days.
        ("SF", 14, False, "2026-03-10", 2),
        # SF 0: A's start could reach Fri 20, its finish Tue 24 — beyond the last finish, Fri 20.
        ("SF", 0, False, "2026-03-20", 10),
    ],
)
def test_float_across_each_link_type(kind, lag, working, latest, slack):
    result = critical_path(Graph([BAR_A, BAR_B], [Link(1, 2, kind, lag, working)]), CAL)
    assert result.latest_finish(1) == D(latest)
    assert result.floats[1] == slack


def test_a_pinned_date_has_no_float_and_limits_its_predecessors():
    # A (Mon 2 Mar 2026) → P (pinned, Mon 16 Mar) → C (Fri 20 Mar, last).
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02")),
        Node(id=2, title="P", due=D("2026-03-16"), pinned=True),
        Node(id=3, title="C", due=D("2026-03-20")),
    ]
    result = critical_path(Graph(nodes, [Link(1, 2), Link(2, 3)]), CAL)
    # P cannot move (float 0) though C leaves it 4 days; A may reach P's date: Tue 3 to Fri 6,
    # Mon 9 to Fri 13, Mon 16: 10 working days.
    assert result.floats == {1: 10, 2: 0, 3: 0}
    assert result.chain == [2, 3]


def test_a_milestone_already_past_a_pinned_date_has_negative_float():
    # A is due Fri 20 Mar 2026 but P (pinned Mon 16 Mar) follows it: 4 working days behind.
    nodes = [
        Node(id=1, title="A", due=D("2026-03-20")),
        Node(id=2, title="P", due=D("2026-03-16"), pinned=True),
    ]
    result = critical_path(Graph(nodes, [Link(1, 2)]), CAL)
    assert result.floats == {1: -4, 2: 0}
    assert result.chain == [2, 1]  # in date order
    assert result.finish == D("2026-03-20")


def test_an_anchor_holds_the_float_of_what_it_anchors():
    # X (Mon 2 Mar 2026); P is due 10 wd after X's due date: Mon 16 Mar. Y (Fri 20) is last.
    nodes = [
        Node(id=1, title="X", due=D("2026-03-02")),
        Node(id=2, title="P", due=D("2026-03-16"), anchor=Anchor(1, "due", 10, True)),
        Node(id=3, title="Y", due=D("2026-03-20")),
    ]
    result = critical_path(Graph(nodes, []), CAL)
    # P may slip to Fri 20 (4 wd); so may X, which P follows day for day.
    assert result.floats == {1: 4, 2: 4, 3: 0}
    assert result.chain == [3]


def test_met_and_gone_milestones_in_the_critical_path():
    # A met on Mon 2 Mar 2026 → B (Mon 9 Mar); C cancelled (due later than all) → B.
    nodes = [
        Node(id=1, title="A", due=D("2026-03-04"), status="met", met_on=D("2026-03-02")),
        Node(id=2, title="B", due=D("2026-03-09")),
        Node(id=3, title="C", due=D("2026-04-30"), status="cancelled"),
        Node(id=4, title="E", due=D("2026-03-03"), status="not_met"),
    ]
    result = critical_path(Graph(nodes, [Link(1, 2), Link(3, 2)]), CAL)
    # A met and E not met cannot move: no float, and not on the chain; C counts for nothing.
    assert result.floats == {1: 0, 2: 0, 4: 0}
    assert result.chain == [2]
    assert result.finish == D("2026-03-09")


def test_the_critical_path_of_nothing():
    assert critical_path(Graph([], []), CAL) == CriticalPath({}, [], None)
    gone = Node(id=1, title="A", due=D("2026-03-02"), status="waived")
    assert critical_path(Graph([gone], []), CAL).chain == []


def test_workday_index_spans_every_date_with_room_for_lags():
    nodes = [
        Node(id=1, title="A", due=D("2026-03-02"), start=D("2026-02-20")),
        Node(id=2, title="B", due=D("2026-05-01"), status="met", met_on=D("2026-05-04")),
    ]
    index = workday_index(Graph(nodes, [Link(1, 2, "FS", 10)]), CAL, margin=5)
    assert index.first == D("2026-02-20") - dt.timedelta(days=25)
    assert index.last == D("2026-05-04") + dt.timedelta(days=25)


# Working days by table, against the calendar


def reference_add(day: dt.date, days: int) -> dt.date:
    """The rule the module docstring states, day by day through the calendar."""
    if days == 0:
        return day if CAL.is_working(day) else CAL.shift(day, 1, working=True)
    return CAL.shift(day, days, working=True)


def test_working_days_by_table_match_the_calendar_day_by_day():
    # A deliberately small table, so that most questions make it grow.
    table = WorkingDays(CAL, D("2026-12-20"), D("2026-12-31"))
    first = D("2026-12-10")
    for n in range(45):
        day = first + dt.timedelta(days=n)
        for days in (-7, -3, -1, 0, 1, 2, 5, 30):
            expected = reference_add(day, days)
            assert table.add(day.toordinal(), days, True) == expected.toordinal(), (day, days)
        assert table.add(day.toordinal(), 3, False) == (day + dt.timedelta(days=3)).toordinal()


def test_latest_is_the_latest_day_add_does_not_carry_past():
    # A small table over Easter 2027, asked about days around it, so that it grows.
    table = WorkingDays(CAL, D("2027-03-24"), D("2027-03-30"))
    start = D("2027-03-15")
    for n in range(25):
        day = start + dt.timedelta(days=n)
        for days in (-4, -1, 0, 1, 3):
            latest = dt.date.fromordinal(table.latest(day.toordinal(), days, True))
            assert (
                reference_add(latest, days)
                <= day
                < reference_add(latest + dt.timedelta(days=1), days)
            ), (day, days)
            calendar_latest = table.latest(day.toordinal(), days, False)
            assert calendar_latest == (day - dt.timedelta(days=days)).toordinal()


def test_holidays_between_counts_weekday_holidays_strictly_between():
    table = WorkingDays(CAL, D("2027-03-01"), D("2027-03-31"))
    # Between Thu 24 Dec 2026 and Mon 4 Jan 2027: Fri 25, Mon 28 Dec and Fri 1 Jan.
    assert table.holidays_between(ordinal("2026-12-24"), ordinal("2027-01-04")) == 3
    assert table.holidays_between(ordinal("2027-01-04"), ordinal("2026-12-24")) == 3
    # Strictly: from Christmas Day itself to Mon 28, only... nothing in between on a weekday.
    assert table.holidays_between(ordinal("2026-12-25"), ordinal("2026-12-28")) == 0
    assert table.holidays_between(ordinal("2026-12-24"), ordinal("2026-12-25")) == 0


def test_working_days_refuse_to_reach_beyond_the_supported_years():
    table = WorkingDays(CAL, D("2299-12-01"), D("2299-12-31"))
    with pytest.raises(ValueError, match="out of reach"):
        table.add(ordinal("2299-12-30"), 50, True)


# Property: a milestone can slip to its latest finish and no further.


def random_plan(seed: int, size: int = 30) -> tuple[list[Node], list[Link]]:
    """A random consistent plan: links of every type, lags, starts, anchors, pins."""
    rng = random.Random(seed)
    nodes, links, pins = [], [], set()
    base = D("2026-11-02")
    for pk in range(1, size + 1):
        due = base + dt.timedelta(days=rng.randint(0, 120))
        start = due - dt.timedelta(days=rng.randint(1, 15)) if rng.random() < 0.4 else None
        anchor = None
        if pk > 3 and rng.random() < 0.15:
            event = rng.choice(["met", "due"])
            anchor = Anchor(rng.randint(1, pk - 1), event, rng.randint(-5, 20), rng.random() < 0.5)
        elif rng.random() < 0.1:
            pins.add(pk)
        nodes.append(Node(id=pk, title=f"M{pk}", due=due, start=start, anchor=anchor))
        for before in rng.sample(range(1, pk), k=min(pk - 1, rng.choice([0, 1, 1, 2]))):
            kind = rng.choice(["FS", "SS", "FF", "SF"])
            links.append(Link(before, pk, kind, rng.randint(-4, 8), rng.random() < 0.5))
    # Make it consistent, as the services keep it: push from every milestone with nothing
    # before it; then pin some where they landed.
    graph = Graph(nodes, links)
    roots = [pk for pk in graph.nodes if not graph.incoming.get(pk) and not graph.nodes[pk].anchor]
    moved = propagate(graph, CAL, roots).moves
    return [
        Node(
            id=n.id,
            title=n.title,
            due=moved[n.id].new_due if n.id in moved else n.due,
            start=moved[n.id].new_start if n.id in moved else n.start,
            pinned=n.id in pins,
            anchor=n.anchor,
        )
        for n in nodes
    ], links


@pytest.mark.parametrize("seed", range(12))
def test_each_milestone_can_slip_to_its_latest_finish_and_not_a_day_more(seed):
    nodes, links = random_plan(seed)
    graph = Graph(nodes, links)
    assert propagate(graph, CAL, list(graph.nodes)).moves == {}  # consistent
    path = critical_path(graph, CAL)
    assert path.finish is not None
    for node in nodes:
        if node.pinned:
            continue
        latest = path.latest_finish(node.id)

        def slip(to: dt.date, node: Node = node):
            delta = to - node.due
            starts = {node.id: node.start + delta if node.start else None}
            result = propagate(graph, CAL, [node.id], dues={node.id: to}, starts=starts)
            last = max([to, *(move.new_due for move in result.moves.values())])
            return result.conflicts, last

        conflicts, last = slip(latest)
        assert not conflicts and last <= path.finish, node
        conflicts, last = slip(latest + dt.timedelta(days=1))
        assert conflicts or last > path.finish, node
        # The float counts the working days from the finish to the latest finish.
        assert path.floats[node.id] == working_days_between(node.due, latest), node


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days after ``first`` up to ``last`` (negative when ``last`` is earlier)."""
    low, high = min(first, last), max(first, last)
    count = sum(CAL.is_working(low + dt.timedelta(days=n)) for n in range(1, (high - low).days + 1))
    return count if last >= first else -count
