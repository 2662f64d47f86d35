"""The kernel's service levels: targets, response and resolution times, tables, credits."""

import re
from decimal import Decimal

from milepost.extraction.kernel.model import Clause, Context, Span
from milepost.extraction.kernel.performance import find_performance


def _read(text: str, currency: str | None = "GBP"):
    sentences = []
    start = 0
    for end in [m.start() for m in re.finditer(r"(?<=\.)\s+(?=[\"A-Z0-9£$€|])", text)] + [
        len(text)
    ]:
        sentences.append(Span(start, end, text[start:end]))
        start = end + 1
    clause = Clause("7.1", "", 0, len(text), text, tuple(sentences))
    return find_performance(clause, Context(text=text, currency=currency))


def test_availability_target_with_direction_and_period():
    # given an availability service level; when read; then target, unit, direction and period
    [level] = _read(
        "The Service shall be Available at least 99.9% of the time in each calendar month."
    )
    assert (level.target, level.unit, level.direction, level.period) == (
        Decimal("99.9"),
        "%",
        "at_least",
        "month",
    )
    assert level.title == "Availability at least 99.9% each month"


def test_response_and_resolution_times_by_priority():
    found = _read(
        "The Supplier shall respond to each Priority 1 Incident within 30 minutes and resolve it "
        "within four (4) hours."
    )
    assert [(p.title, p.target, p.unit, p.direction) for p in found] == [
        (
            "Respond to each Priority 1 Incident within 30 minutes",
            Decimal(30),
            "minutes",
            "at_most",
        ),
        ("Resolve Priority 1 Incident within four (4) hours", Decimal(4), "hours", "at_most"),
    ]


def test_resolution_in_business_hours_keeps_the_priority():
    [level] = _read("Priority 2 Incidents shall be resolved within 8 Business Hours.")
    assert level.title == "Priority 2 Incidents resolved within 8 Business Hours"
    assert (level.target, level.unit) == (Decimal(8), "business hours")


def test_a_service_credit_as_a_share_of_the_charges_goes_with_its_target():
    found = _read(
        "The Service shall be Available at least 99.9% of the time in each calendar month. If "
        "Availability falls below the target, the Customer shall receive a Service Credit of 5% of "
        "the monthly charges."
    )
    assert len(found) == 1
    assert found[0].percent == Decimal(5) and found[0].amount is None


def test_falls_below_is_a_floor_and_the_credit_an_amount():
    [level] = _read(
        "If Availability in any month falls below 99.5%, the Supplier shall credit the Customer "
        "£5,000 against the next invoice."
    )
    assert (level.target, level.direction, level.period) == (Decimal("99.5"), "at_least", "month")
    assert (level.amount, level.currency) == (Decimal(5000), "GBP")


def test_a_share_of_calls_answered_in_time():
    [level] = _read(
        "The Service Desk shall answer at least 90% of calls within 60 seconds, measured each month."
    )
    assert level.title == "Answer at least 90% of calls within 60 seconds each month"
    assert (level.target, level.unit, level.direction) == (Decimal(90), "%", "at_least")


def test_the_accord_service_level_table_with_credits():
    # given the Accord SLA annex: a target and a service credit per row
    found = _read(
        "| Service Level Description     | Target service level      | Service credit \n"
        "| Priority 1                    | 99.8%                      |     2.0 GBP\n"
        "| Priority 1                    | 98.0%                       |     3.0 GBP"
    )
    assert [(p.target, p.unit, p.direction, p.amount, p.currency) for p in found] == [
        (Decimal("99.8"), "%", "at_least", Decimal("2.0"), "GBP"),
        (Decimal("98.0"), "%", "at_least", Decimal("3.0"), "GBP"),
    ]
    assert found[0].title.startswith("Priority 1 service level at least 99.8%")
    assert (
        found[0].citation.quote.startswith("| Priority 1") and "2.0 GBP" in found[0].citation.quote
    )


def test_a_table_of_response_and_resolution_times():
    found = _read(
        "| Priority | Response time | Resolution time |\n| P1 | 15 minutes | 4 hours |\n"
        "| P2 | 1 hour | 2 business days |"
    )
    assert [(p.title, p.target, p.unit) for p in found] == [
        ("P1 response time within 15 minutes", Decimal(15), "minutes"),
        ("P1 resolution time within 4 hours", Decimal(4), "hours"),
        ("P2 response time within 1 hour", Decimal(1), "hours"),
        ("P2 resolution time within 2 business days", Decimal(2), "business days"),
    ]


def test_caps_on_credits_and_payment_terms_are_not_service_levels():
    for text in (
        "The amount of Service Credits credited to the Customer with respect to all Service Level "
        "defaults occurring in a single month shall not exceed: 10%.",
        "Service Credits shall be paid to the Customer within 30 days.",
        "The Customer shall pay each invoice within 30 days of receipt.",
    ):
        assert _read(text) == [], text


def test_the_conformance_sla_sample(conformance):
    text = (conformance / "contracts/accord/servicelevelagreement/text/sample.md").read_text()
    clause = Clause("", "", 0, len(text), text, ())
    found = find_performance(clause, Context(text=text, currency=None))
    assert [(p.target, p.amount) for p in found] == [
        (Decimal("99.8"), Decimal("2.0")),
        (Decimal("98.0"), Decimal("3.0")),
    ]


def test_a_measure_that_shall_not_exceed_a_time():
    [level] = _read("The mean time to repair shall not exceed 4 hours.")
    assert level.title == "Mean time to repair at most 4 hours"
    assert (level.target, level.unit, level.direction) == (Decimal(4), "hours", "at_most")


def test_a_named_availability_without_a_direction_word():
    [level] = _read("The Supplier shall achieve a Service Availability of 99.5% measured monthly.")
    assert (level.target, level.direction, level.period) == (Decimal("99.5"), "at_least", "month")
    assert level.confidence < 0.9


def test_a_table_with_written_targets_and_credits_in_pounds():
    found = _read(
        "The Supplier shall meet the following Service Levels in each Service Period (a calendar "
        "month):\n| Service Level | Target | Service Credit |\n"
        "| Availability of the Hosted Service | at least 99.7% | £1,500 |\n"
        "| Priority 1 incident resolution | within 4 hours | £750 |"
    )
    assert [(p.title, p.target, p.unit, p.direction, p.amount) for p in found] == [
        (
            "Availability of the Hosted Service at least 99.7% (credit £1,500)",
            Decimal("99.7"),
            "%",
            "at_least",
            Decimal(1500),
        ),
        (
            "Priority 1 incident resolution within 4 hours (credit £750)",
            Decimal(4),
            "hours",
            "at_most",
            Decimal(750),
        ),
    ]
    assert found[0].period == "month"


def test_a_response_time_in_seconds():
    [level] = _read(
        "The Supplier shall ensure that the Portal has an average page response time of no more "
        "than 2 seconds, measured monthly."
    )
    assert (level.target, level.unit, level.direction) == (Decimal(2), "seconds", "at_most")


def test_an_ordinary_time_to_answer_is_not_a_service_level():
    assert (
        _read("The Contractor shall respond to the Employer's queries within 5 Working Days.") == []
    )


def test_the_words_nearest_the_number_decide_the_direction():
    cases = {
        "The Supplier shall achieve an Availability of not less than 85% in each month.": "at_least",
        "Uptime shall not be below 99.5% in any quarter.": "at_least",
        "Availability shall be no more than 2% below the target.": "at_most",
    }
    for text, direction in cases.items():
        [level] = _read(text)
        assert level.direction == direction, text


def test_a_recovery_time_objective():
    [level] = _read(
        "The Supplier shall restore the Critical Services within a Recovery Time Objective of 8 hours."
    )
    assert (
        level.title == "Restore the Critical Services within a Recovery Time Objective of 8 hours"
    )
    assert (level.target, level.unit, level.direction) == (Decimal(8), "hours", "at_most")


def test_a_docx_table_of_service_levels_with_a_credit_share():
    found = _read(
        "The Supplier shall meet these Service Levels each month:\nService Level | Target | Service "
        "Credit\nAvailability | at least 99.9% | 5% of the monthly Charges\n"
        "Priority 1 resolution | within 4 hours | £500"
    )
    assert [(p.title, p.target, p.percent, p.amount) for p in found] == [
        ("Availability at least 99.9% (credit 5%)", Decimal("99.9"), Decimal(5), None),
        ("Priority 1 resolution within 4 hours (credit £500)", Decimal(4), None, Decimal(500)),
    ]


def test_a_payment_schedule_table_is_not_service_levels():
    assert (
        _read("Payment schedule\n| Stage | Percentage | Payable on |\n| 1 | 30% | Completion |")
        == []
    )


def test_a_severity_label_names_every_time_in_its_sentence():
    found = _read(
        "Severity 1 Defects: response within 15 minutes, workaround within 4 hours, fix within 5 "
        "Business Days."
    )
    assert [(p.title, p.unit) for p in found] == [
        ("Severity 1 Defects: response within 15 minutes", "minutes"),
        ("Severity 1 Defects: workaround within 4 hours", "hours"),
        ("Severity 1 Defects: fix within 5 Business Days", "business days"),
    ]


def test_credit_steps_are_not_targets():
    [level] = _read(
        "Service Credits: 2% of the Monthly Service Charge for each 0.1% below the Availability "
        "target of 99.9%."
    )
    assert (level.target, level.direction, level.percent) == (
        Decimal("99.9"),
        "at_least",
        Decimal(2),
    )


def test_a_share_of_calls_measured_each_month():
    [level] = _read(
        "The Supplier shall answer 95% of telephone calls to the Service Desk within 20 seconds in "
        "each month."
    )
    assert (
        level.title
        == "Answer 95% of telephone calls to the Service Desk within 20 seconds each month"
    )
    assert (level.target, level.direction, level.period) == (Decimal(95), "at_least", "month")
