"""The kernel's payment stages and money facts, read from contract sentences."""

import datetime as dt
import re
from decimal import Decimal

from milepost.extraction.kernel.model import Clause, Context, Span
from milepost.extraction.kernel.money_facts import find_money_facts
from milepost.extraction.kernel.payments import find_payments


def _clause(text: str, number: str = "4.1") -> tuple[Clause, Context]:
    """One clause of ``text`` (the whole text), its sentences split after full stops."""
    sentences = []
    start = 0
    for end in [m.start() for m in re.finditer(r"(?<=\.)\s+(?=[\"A-Z0-9£$€])", text)] + [len(text)]:
        sentences.append(Span(start, end, text[start:end]))
        start = end + 1
    return Clause(number, "", 0, len(text), text, tuple(sentences)), Context(
        text=text, currency="GBP"
    )


def _payments(text: str):
    clause, ctx = _clause(text)
    return find_payments(clause, ctx)


def test_construction_stages_30_40_30_by_percentage_with_their_triggers():
    # given the three stages of a UK building contract in one clause
    text = (
        "The Employer shall pay the Contractor thirty per cent (30%) of the Contract Sum within 14 "
        "days of the Engineer certifying completion of the foundations. A further forty per cent "
        "(40%) of the Contract Sum shall be paid within 14 days of the Engineer certifying "
        "completion of the structure. The balance of thirty per cent (30%) of the Contract Sum shall "
        "be paid within 14 days of the issue of the Certificate of Practical Completion."
    )
    # when read
    found = _payments(text)
    # then three stages, each with its share, trigger and relative time
    assert [p.percent for p in found] == [Decimal(30), Decimal(40), Decimal(30)]
    assert [p.title for p in found] == [
        "Payment: 30% on completion of the foundations",
        "Payment: 40% on completion of the structure",
        "Payment: 30% on practical completion",
    ]
    first = found[0]
    assert first.relative is not None
    assert (first.relative.offset, first.relative.unit) == (14, "calendar")
    assert first.relative.anchor == "the Engineer certifying completion of the foundations"
    assert first.trigger == first.relative.anchor
    assert first.parties == ["Employer", "Contractor"]
    assert all(p.amount is None and p.currency is None for p in found)
    assert text[first.citation.start : first.citation.end] == first.citation.quote


def test_stages_in_one_sentence_and_the_balance():
    found = _payments(
        "The Client shall pay 30% on signature, 40% on delivery of the Stage 1 Report and the "
        "balance on completion of the Services."
    )
    assert [p.title for p in found] == [
        "Payment: 30% on signature",
        "Payment: 40% on delivery of the Stage 1 Report",
        "Payment: the balance on completion of the Services",
    ]
    assert found[2].percent is None and found[2].amount is None
    # each stage cites its own words, not the others'
    assert found[1].citation.quote.startswith("40%") and "balance" not in found[1].citation.quote


def test_us_stages_by_percentage_and_amount():
    text = (
        "Client shall pay Developer: 20% Deposit ($55,800.00) to be paid at the start of the "
        "project. 20% ($55,800.00) to be paid upon completion of Milestone #1."
    )
    found = _payments(text)
    assert [(p.percent, p.amount, p.currency) for p in found] == [
        (Decimal(20), Decimal("55800.00"), "USD"),
        (Decimal(20), Decimal("55800.00"), "USD"),
    ]
    assert found[0].title == "Payment: 20% deposit at the start of the project"
    assert found[1].title == "Payment: 20% on completion of Milestone #1"
    assert found[1].parties == ["Client", "Developer"]


def test_instalments_at_closing_and_monthly_but_not_the_total_or_interest():
    text = (
        '"Dan" agrees to pay to "Ned" the total sum 10,000.00 EUR, in the manner following: '
        "500.00 EUR is to be paid at closing, and the remaining balance of 9,500.00 EUR shall be "
        "paid as follows: 500.00 EUR or more per month on the first day of each and every month. "
        "Monthly payments include interest at the rate of 1.5%."
    )
    found = _payments(text)
    assert [(p.amount, p.currency, p.recurring, p.trigger) for p in found] == [
        (Decimal("500.00"), "EUR", None, "closing"),
        (Decimal("500.00"), "EUR", "monthly", "the first day of each and every month"),
    ]
    assert found[0].title == "Payment: €500 at closing"
    assert found[0].parties == ["Dan", "Ned"]


def test_a_stage_on_29_february_has_that_date():
    found = _payments("The Buyer shall pay £10,000 on 29 February 2028.")
    assert len(found) == 1
    assert found[0].due == dt.date(2028, 2, 29)
    assert found[0].title == "Payment: £10,000 on 29 February 2028"


def test_a_fee_for_a_report_payable_after_acceptance():
    found = _payments(
        "The fee of £45,000 for the Stage 1 Report shall be payable within 30 days of the "
        "Client's acceptance of that report."
    )
    assert len(found) == 1
    assert (found[0].amount, found[0].currency) == (Decimal(45000), "GBP")
    assert found[0].title.startswith("Payment: £45,000 for the stage 1 report within 30 days")
    assert found[0].relative is not None and found[0].relative.offset == 30


def test_retention_released_in_halves():
    found = _payments(
        "The Employer may retain five per cent (5%) of the value of work certified. One half of "
        "the retention shall be released on the issue of the Certificate of Practical Completion "
        "and the other half on the issue of the Certificate of Making Good Defects."
    )
    assert [p.title for p in found] == [
        "Payment: half the retention on practical completion",
        "Payment: the balance of the retention on the issue of the Certificate of Making Good Defects",
    ]
    assert all(p.percent is None for p in found)


def test_a_blank_amount_is_never_a_number():
    found = _payments("Sanofi shall pay ADMA [***] USD upon execution of this Amendment.")
    assert len(found) == 1
    assert found[0].amount is None and found[0].currency == "USD"


def test_no_stage_in_totals_limits_or_damages():
    for text in (
        "The Contract Sum is £1,250,000.00 exclusive of VAT.",
        "The Consultant's total liability shall not exceed the total fees paid.",
        "The Contractor shall pay liquidated damages of £2,500 per week.",
        "Late payments bear interest at 8% above the base rate.",
    ):
        assert _payments(text) == [], text


def test_money_facts_sum_retention_release_and_payment_days():
    clause, ctx = _clause(
        "The Employer shall pay the Contractor the Contract Sum of £1,250,000 (one million two "
        "hundred and fifty thousand pounds). Retention of 5% of each valuation shall be held, half "
        "released at Practical Completion and the balance at the end of the Defects Period. "
        "Payment shall be made within 30 days of receipt of a valid invoice."
    )
    facts = {name: fact.value for name, fact in find_money_facts(clause, ctx).items()}
    assert facts == {
        "contract_sum": "1250000",
        "currency": "GBP",
        "retention_percent": 5,
        "retention_release": "half released at Practical Completion and the balance at the end of "
        "the Defects Period",
        "payment_days": 30,
    }


def test_money_facts_us_fees_and_net_terms():
    clause, ctx = _clause(
        "The Fees for the Project shall be $279,000.00. Invoices are payable net 30."
    )
    facts = {name: fact.value for name, fact in find_money_facts(clause, ctx).items()}
    assert facts == {"contract_sum": "279000.00", "currency": "USD", "payment_days": 30}


def test_instalments_listed_after_a_colon_and_a_trigger_opening_the_sentence():
    found = _payments(
        "Payment of the Contract Price shall be made in three instalments: (a) 10% on signing of "
        "this Agreement; (b) 60% on delivery of the Equipment; and (c) 30% on acceptance."
    )
    assert [p.title for p in found] == [
        "Payment: 10% on signing of this Agreement",
        "Payment: 60% on delivery of the Equipment",
        "Payment: 30% on acceptance",
    ]
    [final] = _payments(
        "Upon Final Acceptance, the Customer shall pay the remaining 25% of the Fees."
    )
    assert final.title == "Payment: 25% on Final Acceptance"


def test_an_advance_payment_in_millions_of_dollars():
    [advance] = _payments(
        "The Purchaser shall pay an advance payment of USD 2.5 million within sixty (60) days after the Delivery Date."
    )
    assert (advance.amount, advance.currency) == (Decimal(2500000), "USD")
    assert advance.parties == ["Purchaser"]
    assert advance.relative is not None and advance.relative.offset == 60


def test_an_annual_subscription_recurs_yearly():
    [fee] = _payments(
        "Licensee shall pay the annual subscription fee of $48,000 in advance on each anniversary "
        "of the Effective Date."
    )
    assert (fee.amount, fee.currency, fee.recurring) == (Decimal(48000), "USD", "yearly")
    assert "subscription" in fee.title


def test_deliveries_in_instalments_are_not_payments():
    assert (
        _payments(
            "The Supplier shall deliver the Goods in three instalments: 40% of the order quantity by 1 "
            "March 2027, 30% by 1 April 2027 and the remainder by 3 May 2027."
        )
        == []
    )


def test_net_terms_in_words_and_digits():
    clause, ctx = _clause(
        "Buyer shall pay all other invoices net forty-five (45) days from the invoice date."
    )
    assert find_money_facts(clause, ctx)["payment_days"].value == 45


def test_a_table_of_milestone_payments_keeps_each_milestone_name():
    found = _payments(
        "Milestone   Target Date   Payment  Milestone 1: Proof of Concept   12 months after "
        "Effective Date   US $250,000.00 Milestone 2: CB1 Strain Development   30 months after "
        "Effective Date   US $300,000.00"
    )
    assert [p.title for p in found] == [
        "Payment: $250,000 for Milestone 1: Proof of Concept due 12 months after Effective Date",
        "Payment: $300,000 for Milestone 2: CB1 Strain Development due 30 months after Effective Date",
    ]
    assert [(p.relative.offset, p.relative.unit) for p in found if p.relative] == [
        (12, "months"),
        (30, "months"),
    ]


def test_rates_interest_vat_insurance_and_withholding_are_not_stages():
    for text in (
        "Interest on late payments shall accrue at 4% per annum above the base rate.",
        "VAT shall be payable at the prevailing rate (currently 20%).",
        "The Consultant shall be paid £800 per day for additional services.",
        "The Contractor shall maintain insurance of not less than £10,000,000 for any one occurrence.",
        "The Buyer may withhold up to 10% of the price pending acceptance.",
        "The Supplier's aggregate liability shall not exceed 150% of the Charges paid in the year.",
    ):
        assert _payments(text) == [], text


def test_instalments_on_us_dates_have_due_dates_and_no_event():
    found = _payments(
        "Sanofi Pasteur agrees to pay ADMA the Compensation Fee in five installments and will be "
        "invoiced as follows: (a) [***] USD upon execution of this Amendment (b) [***] USD on March "
        "1, 2018 (c) [***] USD on June 1, 2018"
    )
    assert [(p.due, p.trigger, p.amount) for p in found] == [
        (None, "execution of this Amendment", None),
        (dt.date(2018, 3, 1), None, None),
        (dt.date(2018, 6, 1), None, None),
    ]
    assert found[1].title == "Payment: amount left blank on 1 March 2018"


def test_a_payment_schedule_table_in_markdown():
    found = _payments(
        "Payment schedule\n| Stage | Percentage | Payable on |\n"
        "| 1 | 30% | Completion of the foundations |\n| 2 | 40% | Completion of the structure |\n"
        "| 3 | 30% | Practical Completion |"
    )
    assert [(p.title, p.percent) for p in found] == [
        ("Payment: 30% on completion of the foundations", Decimal(30)),
        ("Payment: 40% on completion of the structure", Decimal(40)),
        ("Payment: 30% on practical completion", Decimal(30)),
    ]
    assert found[0].citation.quote == "| 1 | 30% | Completion of the foundations |"


def test_a_docx_table_of_dated_instalments():
    found = _payments(
        "The Client shall pay the following instalments:\nInstalment | Amount | Due date\n"
        "First | £10,000 | 29 February 2028\nSecond | £15,000 | 31 March 2028"
    )
    assert [(p.amount, p.currency, p.due, p.trigger) for p in found] == [
        (Decimal(10000), "GBP", dt.date(2028, 2, 29), None),
        (Decimal(15000), "GBP", dt.date(2028, 3, 31), None),
    ]
    assert found[0].title == "Payment: £10,000 on 29 February 2028"
    assert found[0].parties == ["Client"]


def test_a_service_level_table_is_not_a_payment_schedule():
    assert (
        _payments(
            "| Service Level Description | Target service level | Service credit\n"
            "| Priority 1 | 99.8% | 2.0 GBP"
        )
        == []
    )


def test_against_documents_and_a_count_opening_the_sentence():
    found = _payments(
        "The Buyer shall pay 10% of the Price on signature of the Contract and the remaining 90% "
        "against presentation of the shipping documents."
    )
    assert [p.title for p in found] == [
        "Payment: 10% on signature of the Contract",
        "Payment: 90% against presentation of the shipping documents",
    ]
    [certified] = _payments(
        "Within 14 days after the date of each Interim Certificate the Employer shall pay the "
        "Contractor the amount certified."
    )
    assert certified.title == (
        "Payment: the amount certified within 14 days after the date of each Interim Certificate"
    )
    assert certified.relative is not None
    assert certified.relative.anchor == "the date of each Interim Certificate"


def test_retention_released_by_shares():
    found = _payments(
        "Retention: 5%, released 50% on Practical Completion and 50% at the end of the "
        "Rectification Period."
    )
    assert [(p.title, p.percent) for p in found] == [
        ("Payment: 50% of the retention on practical completion", None),
        ("Payment: 50% of the retention at the end of the Rectification Period", None),
    ]


def test_a_named_fee_paid_annually():
    [fee] = _payments(
        "The Customer shall pay the Annual Support Fee of £24,000 annually in advance."
    )
    assert fee.title == "Yearly payment: £24,000 annual support fee"
    assert (fee.recurring, fee.parties) == ("yearly", ["Customer"])


def test_a_monthly_retainer_on_a_working_day_of_each_month():
    [retainer] = _payments(
        "Client shall pay Consultant a monthly retainer of $12,500, payable on the first business "
        "day of each month."
    )
    assert (
        retainer.title
        == "Monthly payment: $12,500 monthly retainer on the first business day of each month"
    )
    assert retainer.recurring == "monthly"
    assert retainer.relative is not None
    assert (retainer.relative.offset, retainer.relative.unit) == (1, "working")


def test_prices_per_user_or_store_are_rates_not_stages():
    assert (
        _payments("Subscription Fee - $500 a month subscription per store, payable monthly.") == []
    )
    assert _payments("The Customer shall pay $40 per user per month for the Licences.") == []


def test_the_balance_of_the_final_account_on_the_final_certificate():
    [final] = _payments(
        "Upon the issue of the Final Certificate the Employer shall pay the Contractor the balance "
        "of the Final Account within 28 days."
    )
    assert (
        final.title
        == "Payment: the balance of the Final Account on the issue of the Final Certificate"
    )
    assert final.parties == ["Employer", "Contractor"]


def test_payment_days_counted_from_the_month_of_the_invoice():
    clause, ctx = _clause(
        "The Buyer shall pay for each consignment within 60 days of the end of the month in which "
        "the invoice is received."
    )
    assert find_money_facts(clause, ctx)["payment_days"].value == 60
