"""The kernel's delay damages: rates, blanks, shares per days of delay, caps, start."""

import re
from decimal import Decimal

from milepost.extraction.kernel.damages import find_damages
from milepost.extraction.kernel.model import Clause, Context, Span


def _clause(text: str, start: int = 0, end: int | None = None) -> Clause:
    end = len(text) if end is None else end
    body = text[start:end]
    sentences = []
    at = start
    for stop in [start + m.start() for m in re.finditer(r"(?<=\.)\s+(?=[\"A-Z(])", body)] + [end]:
        sentences.append(Span(at, stop, text[at:stop]))
        at = stop + 1
    return Clause("8.1", "", start, end, body, tuple(sentences))


def _read(text: str, currency: str | None = "GBP"):
    return find_damages(_clause(text), Context(text=text, currency=currency))


FAR_11 = (
    "(a) If the Contractor fails to deliver the supplies or perform the services within the time "
    "specified in this contract, the Contractor shall, in place of actual damages, pay to the "
    "Government liquidated damages of $__________ per calendar day of delay [Contracting Officer "
    "insert amount]. (b) If the Government terminates this contract in whole or in part under the "
    "Default-Fixed-Price Supply and Service clause, the Contractor is liable for liquidated damages "
    "accruing until the Government reasonably obtains delivery or performance of similar supplies "
    "or services. (c) The Contractor will not be charged with liquidated damages when the delay in "
    "delivery or performance is beyond the control and without the fault or negligence of the "
    "Contractor."
)
FAR_12 = (
    "(a) If the Contractor fails to complete the work within the time specified in the contract, "
    "the Contractor shall pay liquidated damages to the Government in the amount of ____________ "
    "[Contracting Officer insert amount] for each calendar day of delay until the work is "
    "completed or accepted."
)


def test_far_blank_rates_are_blank_and_never_a_number():
    # given the two FAR templates; when read; then one blank per-day entry each, no rate invented
    for text in (FAR_11, FAR_12):
        [entry] = _read(text, currency=None)
        assert entry.blank is True
        assert (entry.rate, entry.cap, entry.cap_percent, entry.rate_percent) == (
            None,
            None,
            None,
            None,
        )
        assert entry.per == "day"
    assert _read(FAR_11, currency=None)[0].currency == "USD"


def test_a_weekly_rate_from_the_date_for_completion_capped_in_the_next_clause():
    text = (
        "8.1 If the Contractor fails to complete the Works by the Date for Completion, he shall pay "
        "the Employer liquidated damages at the rate of £2,500 per week from the Date for Completion "
        "until the date of Practical Completion.\n8.2 The total liability for liquidated damages "
        "shall not exceed 10% of the Contract Sum."
    )
    [entry] = find_damages(_clause(text, 4, text.index("\n")), Context(text=text, currency="GBP"))
    assert (entry.rate, entry.currency, entry.per) == (Decimal(2500), "GBP", "week")
    assert entry.runs_from == "the Date for Completion"
    assert entry.cap_percent == Decimal(10) and entry.cap is None
    assert entry.blank is False


def test_a_us_daily_rate_with_an_amount_cap():
    [entry] = _read(
        "If Seller fails to deliver any shipment by its Delivery Date, Seller shall pay Buyer, as "
        "liquidated damages, $500 per day of delay, not to exceed $25,000 in the aggregate.",
        currency="USD",
    )
    assert (entry.rate, entry.currency, entry.per, entry.cap) == (
        Decimal(500),
        "USD",
        "day",
        Decimal(25000),
    )


def test_a_share_of_value_for_every_nine_days_of_delay():
    # given the Accord late delivery clause
    [entry] = _read(
        'In case of delayed delivery "Dan" (the Seller) shall pay to "Steve" (the Buyer) for every 9 '
        "days of delay penalty amounting to 7% of the total value of the Equipment whose delivery has "
        "been delayed. Any fractional part of a days is to be considered a full days. The total "
        "amount of penalty shall not however, exceed 2% of the total value of the Equipment involved "
        "in late delivery."
    )
    assert (entry.rate_percent, entry.per_days, entry.per) == (Decimal(7), 9, None)
    assert entry.cap_percent == Decimal(2)
    assert entry.rate is None


def test_a_share_for_each_week_of_delay_without_the_words_liquidated_damages():
    [entry] = _read(
        "If the Supplier delivers late, it shall pay the Buyer 0.5% of the price of the late Goods "
        "for each week of delay, up to a maximum of 5% of that price."
    )
    assert (entry.rate_percent, entry.per, entry.per_days, entry.cap_percent) == (
        Decimal("0.5"),
        "week",
        None,
        Decimal(5),
    )


def test_a_redacted_lump_sum_is_blank():
    [entry] = _read(
        "ADMA agrees that Sanofi Pasteur shall be entitled to obtain from ADMA as liquidated "
        "damages, and not a penalty, amounting to $[***] ([***]) USD.",
        currency="USD",
    )
    assert entry.blank and entry.rate is None and entry.per is None


def test_sentences_about_damages_without_a_rate_give_nothing():
    assert (
        _read(
            "The Contractor will not be charged with liquidated damages when the delay is beyond its "
            "control. Neither party is liable for taxes, assessments and penalties of the other."
        )
        == []
    )


def test_the_conformance_far_templates(conformance):
    for path in sorted((conformance / "contracts/far").glob("FAR_*.txt")):
        text = path.read_text()
        start = text.index("(a)")
        [entry] = find_damages(_clause(text, start), Context(text=text, currency=None))
        assert entry.blank and entry.rate is None, path.name


def test_two_sectional_rates_share_one_cap():
    found = _read(
        "Liquidated damages for Section 1 are £6,000 per week and for Section 2 are £4,500 per "
        "week, in each case up to a maximum of 7.5% of the Contract Sum."
    )
    assert [(d.rate, d.per, d.cap_percent) for d in found] == [
        (Decimal(6000), "week", Decimal("7.5")),
        (Decimal(4500), "week", Decimal("7.5")),
    ]


def test_a_daily_sum_after_a_missed_date_is_delay_damages():
    [entry] = _read(
        "Provider shall achieve System Acceptance no later than September 30, 2027, and shall pay "
        "Customer $2,000 for each day thereafter until System Acceptance occurs, up to a maximum "
        "of $60,000.",
        currency="USD",
    )
    assert (entry.rate, entry.per, entry.cap) == (Decimal(2000), "day", Decimal(60000))


def test_delay_payments_are_delay_damages():
    [entry] = _read(
        "If Go-Live is delayed beyond the Planned Go-Live Date, the Supplier shall pay Delay "
        "Payments at £1,000 per day."
    )
    assert (entry.rate, entry.per) == (Decimal(1000), "day")
