"""The kernel splits a contract into numbered clauses and sentences with exact offsets."""

from milepost.extraction.kernel.segment import segment


def _check_offsets(text, clauses):
    for clause in clauses:
        assert text[clause.start : clause.end] == clause.text
        for sentence in clause.sentences:
            assert text[sentence.start : sentence.end] == sentence.text


def test_numbered_clauses_and_their_numbers():
    text = "1. Definitions\n1.1 In this Contract words have meanings.\n3.1.2 The Works.\n2.\tPayment terms apply.\n"

    clauses = segment(text)

    assert [c.number for c in clauses] == ["1", "1.1", "3.1.2", "2"]
    assert clauses[0].heading == "Definitions"
    _check_offsets(text, clauses)


def test_lettered_items_belong_to_their_clause():
    text = "4.2 The Contractor shall deliver:\n(a) the design by 1 May 2027;\n(b) the report.\n"

    clauses = segment(text)

    assert [c.number for c in clauses] == ["4.2", "4.2(a)", "4.2(b)"]
    assert clauses[1].sentences[0].text == "the design by 1 May 2027;"


def test_named_clauses_schedules_and_markdown_headings():
    text = "## Late Delivery and Penalty.\n\nThe Seller pays.\n\nClause 4 Payment\nSchedule 2 Milestones\n"

    clauses = segment(text)

    assert [c.number for c in clauses] == ["", "Clause 4", "Schedule 2"]
    assert clauses[0].heading == "Late Delivery and Penalty"
    _check_offsets(text, clauses)


def test_tab_separated_clause_numbers():
    text = "3\tService credits\n\n3.1\tIf the Supplier fails, a credit is due.\n"

    clauses = segment(text)

    assert [c.number for c in clauses] == ["3", "3.1"]


def test_abbreviations_do_not_end_sentences():
    text = "1. Acme Ltd. and Beta Inc. of the U.S. agree, e.g. under cl. 4.2 and No. 5, to act. Then it ends."

    sentences = [s.text for s in segment(text)[0].sentences]

    assert sentences == [
        "Acme Ltd. and Beta Inc. of the U.S. agree, e.g. under cl. 4.2 and No. 5, to act.",
        "Then it ends.",
    ]


def test_wrapped_lines_stay_in_one_sentence_but_table_rows_do_not():
    text = (
        "The Seller shall pay to the Buyer for every 2 days of delay a penalty\n"
        "amounting to 10.5% of the total value.\n\n"
        "Stage 1 report\t31 March 2027\nFoundations\t30 June 2027\n"
    )

    sentences = [s.text for c in segment(text) for s in c.sentences]

    assert sentences[0].startswith("The Seller") and sentences[0].endswith("total value.")
    assert sentences[1:] == ["Stage 1 report\t31 March 2027", "Foundations\t30 June 2027"]


def test_bullets_split_items():
    text = "F. MILESTONES. ● Week 1 -> UI Design ● Week 2-> Backend"

    sentences = [s.text for c in segment(text) for s in c.sentences]

    assert "Week 1 -> UI Design" in sentences
    assert "Week 2-> Backend" in sentences


def test_clause_numbers_inside_a_running_paragraph_start_clauses():
    text = (
        "3. Delivery Each SOW includes a schedule. 3.2 PROJECT DELIVERY Developer will provide it."
    )

    clauses = segment(text)

    assert [c.number for c in clauses] == ["3", "3.2"]
    assert clauses[1].sentences[0].text.startswith("PROJECT DELIVERY")
    _check_offsets(text, clauses)


def test_preamble_is_an_unnumbered_clause():
    text = "This Agreement is made between A Ltd and B plc.\n\n1. Term\nIt runs.\n"

    clauses = segment(text)

    assert clauses[0].number == ""
    assert clauses[0].sentences[0].text == "This Agreement is made between A Ltd and B plc."


def test_a_bullet_inside_brackets_is_a_blank_not_a_list_item():
    text = "2.32 Liquidated damages: £[●] per week, up to a maximum of £[●]."

    (clause,) = segment(text)

    assert [s.text for s in clause.sentences] == [
        "Liquidated damages: £[●] per week, up to a maximum of £[●]."
    ]


def test_wrapped_pdf_lines_that_start_with_a_clause_reference_or_a_number_stay_in_the_sentence():
    text = (
        "4.2 The Contractor shall deliver the survey to the Engineer in accordance with the terms of\n"
        "Clause 7.1 and the Employer's Requirements no later than\n"
        "14 days after the Date of Possession.\n"
        "4.3 Next clause.\n"
    )

    clauses = segment(text)

    assert [c.number for c in clauses] == ["4.2", "4.3"]
    assert len(clauses[0].sentences) == 1


def test_lettered_headings_in_capitals_start_clauses():
    text = "F. MILESTONES. Week 1 -> UI Design. G. PAYMENT SCHEDULE. The total cost is $480,000."

    clauses = segment(text)

    assert [c.number for c in clauses] == ["F", "G"]
