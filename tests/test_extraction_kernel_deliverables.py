"""The kernel proposes deliverables where the contract states what is due and when."""

import datetime as dt

from milepost.extraction.kernel.deliverables import find_deliverables
from milepost.extraction.kernel.model import Context, Relative
from milepost.extraction.kernel.segment import segment


def _read(text, order="dmy"):
    ctx = Context(text=text, date_order=order)
    return [p for clause in segment(text) for p in find_deliverables(clause, ctx)]


def test_shall_submit_by_a_date():
    text = "4.2 The Contractor shall submit the Stage 1 report to the Employer by 31 March 2027."

    (proposal,) = _read(text)

    assert proposal.kind == "deliverable"
    assert proposal.title == "Submit the Stage 1 report"
    assert proposal.due == dt.date(2027, 3, 31)
    assert proposal.parties == ["Contractor"]
    assert proposal.citation.clause == "4.2"
    assert text[proposal.citation.start : proposal.citation.end] == proposal.citation.quote


def test_no_later_than_a_numeric_date_in_uk_order():
    (proposal,) = _read(
        "The Consultant shall deliver the design drawings no later than 30/06/2027."
    )

    assert proposal.title == "Deliver the design drawings"
    assert proposal.due == dt.date(2027, 6, 30)
    assert proposal.ambiguous == []


def test_an_ambiguous_date_is_flagged_and_less_confident():
    (proposal,) = _read("The Supplier shall deliver the Goods by 04/02/2028.", "mdy")

    assert proposal.due == dt.date(2028, 4, 2)
    assert proposal.ambiguous == ["due"]
    assert proposal.confidence < 0.7


def test_relative_to_the_contract_date():
    (proposal,) = _read(
        "The Supplier shall provide the training plan within 14 days of the Contract Date."
    )

    assert proposal.due is None
    assert proposal.relative == Relative("the Contract Date", 14, "calendar")


def test_practical_completion():
    (proposal,) = _read("Practical Completion shall be achieved on or before 31 December 2027.")

    assert proposal.title == "Practical completion"
    assert proposal.due == dt.date(2027, 12, 31)


def test_sectional_completion_date():
    (proposal,) = _read("The Date for Completion of Section 2 is 1 May 2028.")

    assert proposal.title == "Completion of Section 2"
    assert proposal.due == dt.date(2028, 5, 1)


def test_monthly_progress_report_recurs():
    text = (
        "The Contractor shall submit a monthly progress report to the Project Manager no later "
        "than the fifth Working Day of each month."
    )

    (proposal,) = _read(text)

    assert proposal.recurring == "monthly"
    assert proposal.relative == Relative("each month", 5, "working")
    assert proposal.title == "Submit a monthly progress report"


def test_milestone_list_with_us_dates():
    text = "Milestone #1 -January 1st, 2019 Milestone #2- February 1st, 2019. Milestone #3 - March 1st, 2019."

    proposals = _read(text, "mdy")

    assert [(p.title, p.due) for p in proposals] == [
        ("Milestone #1", dt.date(2019, 1, 1)),
        ("Milestone #2", dt.date(2019, 2, 1)),
        ("Milestone #3", dt.date(2019, 3, 1)),
    ]


def test_milestone_table_with_relative_target_dates():
    text = (
        "Milestone   Target Date   Payment  Milestone 1: Proof of Concept   12 months after "
        "Effective Date   US $250,000.00 Milestone 2: Strain Development   30 months after "
        "Effective Date   US $300,000.00"
    )

    proposals = _read(text, "mdy")

    assert [(p.title, p.relative) for p in proposals] == [
        ("Milestone 1: Proof of Concept", Relative("Effective Date", 12, "months")),
        ("Milestone 2: Strain Development", Relative("Effective Date", 30, "months")),
    ]


def test_week_numbered_milestones():
    proposals = _read("F. MILESTONES. ● Week 1 -> UI Design + Logo ● Week 4 -> Backend started")

    assert [(p.title, p.relative) for p in proposals] == [
        ("UI Design + Logo", Relative("", 1, "weeks")),
        ("Backend started", Relative("", 4, "weeks")),
    ]


def test_schedule_table_rows():
    proposals = _read(
        "Schedule 2 Milestones\nFoundations complete\t30/06/2027\nRoof on\t31/10/2027\n"
    )

    assert [(p.title, p.due) for p in proposals] == [
        ("Foundations complete", dt.date(2027, 6, 30)),
        ("Roof on", dt.date(2027, 10, 31)),
    ]


def test_an_obligation_without_a_time_is_not_a_milestone():
    assert _read("The Contractor shall deliver the Works in a good and workmanlike manner.") == []


def test_notices_are_not_deliverables():
    assert _read("The Contractor shall provide written notice to the Employer within 7 days.") == []


def test_a_period_of_time_is_not_a_deadline():
    assert _read("The Supplier shall provide support for a period of 12 months.") == []


def test_two_obligations_in_one_sentence_each_cite_their_own_words():
    text = "2.6 The Contractor shall complete the groundworks by 13/02/2027 and the roof by 13/05/2027."

    proposals = _read(text)

    assert [(p.title, p.due) for p in proposals] == [
        ("Complete the groundworks", dt.date(2027, 2, 13)),
        ("Complete the roof", dt.date(2027, 5, 13)),
    ]
    assert proposals[1].citation.quote == "and the roof by 13/05/2027"


def test_instalments_listed_after_a_colon():
    text = (
        "The Supplier shall deliver the Goods in three instalments: 40% of the order quantity by "
        "1 March 2027, 30% by 1 April 2027 and the remainder by 3 May 2027."
    )

    proposals = _read(text)

    assert [p.title for p in proposals] == [
        "Deliver the Goods: first instalment (40% of the order quantity)",
        "Deliver the Goods: second instalment (30%)",
        "Deliver the Goods: final instalment (the remainder)",
    ]
    assert [p.due for p in proposals] == [
        dt.date(2027, 3, 1),
        dt.date(2027, 4, 1),
        dt.date(2027, 5, 3),
    ]


def test_passive_and_dated_forms():
    proposals = _read(
        "3.1 Go-Live shall take place no later than 1 June 2027.\n"
        "2.3 The Date of Possession is 4 January 2026.\n"
        "2.4 Section 1 (Blocks A and B) shall reach Practical Completion by 30/06/2027.\n"
    )

    assert [(p.title, p.due) for p in proposals] == [
        ("Go-Live", dt.date(2027, 6, 1)),
        ("Possession", dt.date(2026, 1, 4)),
        ("Practical completion of Section 1 (Blocks A and B)", dt.date(2027, 6, 30)),
    ]


def test_a_period_that_ends_after_an_event():
    (proposal,) = _read(
        "The Defects Rectification Period is 12 months from the date of Practical Completion."
    )

    assert proposal.title == "End of the Defects Rectification Period"
    assert proposal.relative == Relative("the date of Practical Completion", 12, "months")


def test_time_stated_before_the_obligation():
    text = "Within 2 Business Days of receiving a Purchase Order, the Supplier shall accept or reject the Purchase Order."

    (proposal,) = _read(text)

    assert proposal.title == "Accept or reject the Purchase Order"
    assert proposal.relative == Relative("receiving a Purchase Order", 2, "working")


def test_not_less_than_weeks_before_counts_back():
    text = "The Contractor shall submit the fire strategy report not less than 8 weeks before the start of the fit-out works."

    (proposal,) = _read(text)

    assert proposal.relative == Relative("the start of the fit-out works", -8, "weeks")


def test_chained_items_each_count_from_their_own_event():
    text = (
        "The Supplier shall deliver Phase 1 within sixty (60) days after the Effective Date and "
        "Phase 2 within one hundred twenty (120) days after completion of Phase 1."
    )

    proposals = _read(text)

    assert [(p.title, p.relative) for p in proposals] == [
        ("Deliver Phase 1", Relative("the Effective Date", 60, "calendar")),
        ("Deliver Phase 2", Relative("completion of Phase 1", 120, "calendar")),
    ]


def test_giving_access_is_a_milestone_but_giving_notice_is_not():
    (access,) = _read(
        "The Employer shall give the Contractor access to the second floor no later than 6 weeks after the Date of Possession."
    )

    assert access.title == "Give the Contractor access to the second floor"
    assert _read("The Contractor shall give the Engineer notice of any delay within 7 days.") == []


def test_a_stage_that_starts_and_completes_gives_two_milestones():
    text = "User Acceptance Testing shall commence no later than 1 September 2027 and shall be completed by 31 October 2027."

    proposals = _read(text)

    assert [(p.title, p.due) for p in proposals] == [
        ("Start User Acceptance Testing", dt.date(2027, 9, 1)),
        ("Complete User Acceptance Testing", dt.date(2027, 10, 31)),
    ]


def test_a_named_date_and_a_period_that_ends():
    proposals = _read(
        "1.5 The Go-Live Date is 1 December 2027.\n1.8 Hypercare shall end 30 days after the Go-Live Date.\n"
    )

    assert [(p.title, p.due, p.relative) for p in proposals] == [
        ("Go-Live", dt.date(2027, 12, 1), None),
        ("End of Hypercare", None, Relative("the Go-Live Date", 30, "calendar")),
    ]


def test_the_contracts_own_dates_are_not_milestones():
    assert (
        _read("The Effective Date is 1 May 2027. This Agreement shall end on 30 April 2030.") == []
    )


def test_passive_delivery_reads_as_an_action():
    (proposal,) = _read(
        "(c) The final Pricing Strategy shall be delivered on or before 05/28/2027.", "mdy"
    )

    assert proposal.title == "Deliver the final Pricing Strategy"
    assert proposal.due == dt.date(2027, 5, 28)


def test_a_defined_period_gives_its_end():
    text = '1.4 "Defects Period" means the period of twelve (12) months from the date of Practical Completion.'

    (proposal,) = _read(text)

    assert proposal.title == "End of the Defects Period"
    assert proposal.relative == Relative("the date of Practical Completion", 12, "months")


def test_labelled_lines_and_other_forms():
    proposals = _read(
        "Delivery of the Equipment: 15 June 2027\n\n"
        "Effective Date: 1 May 2027\n\n"
        "The Work shall be substantially completed within 300 days after the Notice to Proceed.\n\n"
        "The Contractor shall commence the Works within 10 days of the Notice to Proceed.\n\n"
        "Quarterly business reviews shall be held with the Customer.\n"
    )

    assert [p.title for p in proposals] == [
        "Delivery of the Equipment",
        "Complete the Work",
        "Commence the Works",
        "Hold quarterly business reviews",
    ]
    assert proposals[3].recurring == "quarterly"


def test_one_paragraph_a_line_ends_a_sentence_at_every_line():
    long_paragraph = (
        "The Supplier shall perform the Services with all reasonable skill, care and diligence " * 3
    )
    text = (
        long_paragraph + "\n"
        "Stage 2 Report - within 6 weeks of Stage 1 approval\n"
        "Stage 3 Report - within 12 weeks of Stage 1 approval\n"
        "Final Report - within 20 weeks of Stage 1 approval\n"
    )

    proposals = _read(text)

    assert [(p.title, p.relative.offset) for p in proposals] == [
        ("Stage 2 Report", 6),
        ("Stage 3 Report", 12),
        ("Final Report", 20),
    ]


def test_deliverable_codes_in_a_schedule():
    proposals = _read(
        "D1 - Inception Report - 2 weeks after contract award\n\nM3: Final Report: 30 June 2027\n"
    )

    assert [(p.title, p.due, p.relative) for p in proposals] == [
        ("D1: Inception Report", None, Relative("contract award", 2, "weeks")),
        ("M3: Final Report", dt.date(2027, 6, 30), None),
    ]


def test_due_and_ensure_that_forms():
    proposals = _read(
        "The first stage report is due on 30 June 2027.\n\n"
        "Each quarterly report is due within 15 days after the end of the quarter.\n\n"
        "The Supplier shall ensure that the Data Migration is completed by 15 January 2028.\n\n"
        "Payment is due within 30 days of the invoice date.\n"
    )

    assert [(p.title, p.due, p.recurring) for p in proposals] == [
        ("First stage report", dt.date(2027, 6, 30), None),
        ("Quarterly report", None, "quarterly"),
        ("Complete the Data Migration", dt.date(2028, 1, 15), None),
    ]


def test_nec_present_tense_and_lower_case_dates():
    proposals = _read(
        "31.2 The Contractor submits a first programme for acceptance within 4 weeks of the Contract Date.\n"
        "30.2 The completion date is 30 June 2027.\n"
    )

    assert [(p.title, p.due, p.relative) for p in proposals] == [
        ("Submit a first programme", None, Relative("the Contract Date", 4, "weeks")),
        ("Completion", dt.date(2027, 6, 30), None),
    ]


def test_lettered_obligations_after_one_shall():
    text = (
        "The Contractor shall be required to (a) commence work under this contract within 10 calendar days "
        "after the date the Contractor receives the notice to proceed, (b) prosecute the work diligently, and "
        "(c) complete the entire work ready for use not later than 365 days after the date the Contractor "
        "receives the notice to proceed."
    )

    proposals = _read(text)

    assert [(p.title, p.relative.offset) for p in proposals] == [
        ("Commence work", 10),
        ("Complete the entire work ready for use", 365),
    ]


def test_an_object_given_as_a_numbered_list_takes_its_first_item():
    text = (
        "Developer will evaluate each Change Order, and within five (5) days of its receipt, will provide "
        "Client with (i) the change in Fee costs, and (ii) the impact on the Delivery Schedule."
    )

    (proposal,) = _read(text, "mdy")

    assert proposal.title == "Provide Client with the change in Fee costs"


def test_a_second_item_thereafter_counts_from_the_first():
    text = "The Vendor agrees to deliver the first batch of 500 units on or before July 15, 2027 and the second batch within 60 days thereafter."

    first, second = _read(text, "mdy")

    assert first.due == dt.date(2027, 7, 15)
    assert (second.title, second.relative) == (
        "Deliver the second batch",
        Relative("the first batch of 500 units", 60, "calendar"),
    )


def test_a_passive_second_item_keeps_the_act():
    text = (
        "The draft Feasibility Study shall be submitted to the Client no later than 28 February 2027, and the "
        "final Feasibility Study within 10 Business Days after receipt of the Client's comments."
    )

    assert [p.title for p in _read(text)] == [
        "Submit the draft Feasibility Study",
        "Submit the final Feasibility Study",
    ]


def test_an_aside_between_the_recipient_and_the_object():
    (proposal,) = _read(
        "The Contractor shall submit to the Engineer, every three months, an updated health and safety plan."
    )

    assert proposal.title == "Submit an updated health and safety plan"
    assert proposal.recurring == "quarterly"


def test_milestones_named_in_brackets_or_timed_by_week_number():
    proposals = _read(
        "Milestone 1 (Design Freeze): 31 March 2027\n\nMilestone 2 - Structural frame complete - week 30\n"
    )

    assert [(p.title, p.due, p.relative) for p in proposals] == [
        ("Milestone 1 (Design Freeze)", dt.date(2027, 3, 31), None),
        ("Milestone 2: Structural frame complete", None, Relative("", 30, "weeks")),
    ]


def test_named_phases_keep_their_names_and_the_second_counts_from_the_first():
    text = (
        "Contractor shall complete Phase 1 (Discovery) within sixty (60) days after the Effective Date and "
        "Phase 2 (Build) within one hundred twenty (120) days after completion of Phase 1."
    )

    proposals = _read(text)

    assert [(p.title, p.relative) for p in proposals] == [
        ("Complete Phase 1 (Discovery)", Relative("the Effective Date", 60, "calendar")),
        ("Complete Phase 2 (Build)", Relative("completion of Phase 1", 120, "calendar")),
    ]
