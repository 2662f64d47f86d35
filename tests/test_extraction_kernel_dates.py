"""The kernel reads absolute, relative and recurring dates as contracts write them."""

import datetime as dt

import pytest

from milepost.extraction.kernel.dates import (
    decide_order,
    find_dates,
    find_recurrence,
    find_relatives,
)
from milepost.extraction.kernel.model import Relative


def _one(text, order="dmy"):
    hits = find_dates(text, order)
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize(
    "text",
    [
        "31 March 2027",
        "31st March, 2027",
        "March 31, 2027",
        "Mar. 31, 2027",
        "2027-03-31",
        "no later than 31/03/2027",
        "the 31st day of March 2027",
    ],
)
def test_absolute_dates_in_every_form(text):
    hit = _one(text)

    assert hit.value == dt.date(2027, 3, 31)
    assert not hit.ambiguous


def test_offsets_point_at_the_date_words():
    text = "Milestone #1 - January 1st, 2019"

    hit = _one(text)

    assert text[hit.start : hit.end] == "January 1st, 2019"
    assert hit.value == dt.date(2019, 1, 1)


def test_ordinal_day_in_words():
    assert _one("the third day of December, 2018").value == dt.date(2018, 12, 3)


def test_uk_order_reads_day_first_and_flags_the_doubt():
    hit = _one("04/02/2018", "dmy")

    assert hit.value == dt.date(2018, 2, 4)
    assert hit.ambiguous


def test_us_order_reads_month_first_and_flags_the_doubt():
    hit = _one("04/02/2018", "mdy")

    assert hit.value == dt.date(2018, 4, 2)
    assert hit.ambiguous


def test_a_day_over_twelve_settles_the_order_whatever_the_document():
    assert _one("13/04/2027", "mdy").value == dt.date(2027, 4, 13)
    assert not _one("04/13/2027", "dmy").ambiguous


def test_leap_day_in_a_leap_year_is_a_date():
    assert _one("29 February 2028").value == dt.date(2028, 2, 29)


def test_leap_day_in_a_common_year_is_not_a_date():
    assert find_dates("29 February 2027", "dmy") == []


def test_year_end_date():
    assert _one("31 December 2026").value == dt.date(2026, 12, 31)
    assert _one("12/31/2026", "mdy").value == dt.date(2026, 12, 31)


def test_years_outside_1900_to_2200_are_not_dates():
    assert find_dates("5 May 1850 and 5 May 2300", "dmy") == []


def test_clause_numbers_are_not_dates():
    assert find_dates("see clause 1.2.18 and 3.4", "dmy") == []


def test_order_from_an_unambiguous_numeric_date():
    assert decide_order("signed 13/04/2027; paid 04/05/2027") == "dmy"
    assert decide_order("signed 04/13/2027; paid 04/05/2027") == "mdy"


def test_order_from_the_way_dates_are_written_in_words():
    assert decide_order("dated March 31, 2027") == "mdy"
    assert decide_order("dated 31 March 2027") == "dmy"


def test_order_from_the_locale():
    assert decide_order("Acme Inc., a Delaware corporation, shall pay $5,000") == "mdy"
    assert decide_order("Acme Ltd shall pay £5,000 within 5 Working Days") == "dmy"


def _relatives(text):
    return [hit.relative for hit in find_relatives(text)]


def test_days_of_a_defined_date():
    assert _relatives("within 14 days of the Contract Date") == [
        Relative("the Contract Date", 14, "calendar")
    ]


def test_weeks_after_an_event():
    assert _relatives("two weeks after acceptance of the programme") == [
        Relative("acceptance of the programme", 2, "weeks")
    ]


def test_anchor_stops_at_the_end_of_the_phrase():
    text = "14 days after the Engineer certifies completion of the foundations, the Employer pays"

    assert _relatives(text) == [
        Relative("the Engineer certifies completion of the foundations", 14, "calendar")
    ]


def test_words_with_bracketed_digits():
    assert _relatives("within thirty (30) days of receipt of a valid invoice.") == [
        Relative("receipt of a valid invoice", 30, "calendar")
    ]


def test_business_days_without_an_anchor_are_working_days():
    assert _relatives("10 Business Days") == [Relative("", 10, "working")]


def test_months_without_an_anchor():
    assert _relatives("on or before 24 months") == [Relative("", 24, "months")]


def test_before_counts_back():
    assert _relatives("7 days before the Completion Date") == [
        Relative("the Completion Date", -7, "calendar")
    ]


def test_fifth_working_day_of_each_month_recurs_monthly():
    text = "no later than the fifth Working Day of each month"

    assert _relatives(text) == [Relative("each month", 5, "working")]
    assert find_recurrence(text) == "monthly"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a monthly progress report", "monthly"),
        ("within 10 days of the end of each calendar quarter", "quarterly"),
        ("every week", "weekly"),
        ("reviewed annually", "yearly"),
        ("the Completion Date", None),
    ],
)
def test_recurrence(text, expected):
    assert find_recurrence(text) == expected


def test_order_from_any_us_state():
    assert decide_order("Acme of Columbus, Ohio shall deliver on 03/04/2027") == "mdy"
    assert decide_order("Beta of Portland, Oregon") == "mdy"


def test_an_anchor_may_wrap_onto_the_next_line_but_not_into_the_next_item():
    wrapped = "within 12 months from the date of Practical\nCompletion of the Works."
    rows = "Milestone 1   12 months after Effective Date\nMilestone 2   30 months after Effective Date\n"

    assert _relatives(wrapped) == [
        Relative("the date of Practical Completion of the Works", 12, "months")
    ]
    assert [r.anchor for r in _relatives(rows)] == ["Effective Date", "Effective Date"]


def test_a_month_and_a_fortnight():
    assert _relatives("within a month of the Contract Date") == [
        Relative("the Contract Date", 1, "months")
    ]
    assert _relatives("within one fortnight after delivery") == [Relative("delivery", 2, "weeks")]
    assert _relatives("£500 a month subscription") == []


@pytest.mark.parametrize(
    "text", ["on the 15th of June 2027", "15-Jun-2027", "June 15th 2027", "15 June, 2027"]
)
def test_more_ways_of_writing_a_day(text):
    assert _one(text).value == dt.date(2027, 6, 15)
