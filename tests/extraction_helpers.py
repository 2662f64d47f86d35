"""A short agreement and what the extractor reads from it, built by hand: the known proposals
the services, API and page tests review. The kernel's own tests read real texts."""

import datetime as dt
from decimal import Decimal

from milepost.extraction.kernel.model import Citation, Damages, Extraction, Proposal, Relative

AGREEMENT = """AGREEMENT

This Agreement is made on 16 November 2026 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1. The Works
1.1 The Contractor shall deliver the Stage 1 report by 31 March 2027.
1.2 The Contractor shall complete the foundations by 30 June 2027.

2. Payment
2.1 The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of the \
Engineer certifying completion of the foundations.

3. Reporting
3.1 The Contractor shall submit a monthly progress report no later than the fifth Working Day \
of each month.

4. Approvals
4.1 The Contractor shall not commence Stage 2 until the Employer has approved the Stage 1 \
report in writing by 30 April 2027.

5. Delay damages
5.1 If the Contractor fails to complete the foundations by the date for completion, it shall \
pay the Employer liquidated damages at the rate of £2,500 per week, up to a maximum of 10% of \
the Contract Sum.
"""


def cite(text: str, words: str, clause: str) -> Citation:
    start = text.index(words)
    return Citation(start=start, end=start + len(words), quote=words, clause=clause)


def sentence_of(text: str, clause: str) -> Citation:
    """The citation of the clause's sentence that starts with ``clause`` ("2.1 ...")."""
    start = text.index(f"{clause} ") + len(clause) + 1
    end = text.index(".\n", start) + 1
    return Citation(start=start, end=end, quote=text[start:end], clause=clause)


def hand_built(text: str, *, pages: list[int] | None = None) -> Extraction:
    """What the extractor reads from ``AGREEMENT``, built by hand."""
    return Extraction(
        text_sha256="0" * 64,
        proposals=[
            Proposal(
                kind="deliverable",
                title="Deliver the Stage 1 report",
                citation=sentence_of(text, "1.1"),
                confidence=0.9,
                due=dt.date(2027, 3, 31),
                parties=["the Contractor"],
                key="p1",
            ),
            Proposal(
                kind="deliverable",
                title="Complete the foundations",
                citation=sentence_of(text, "1.2"),
                confidence=0.9,
                due=dt.date(2027, 6, 30),
                parties=["the Contractor"],
                key="p2",
            ),
            Proposal(
                kind="payment",
                title="Payment: 30% on completion of the foundations",
                citation=sentence_of(text, "2.1"),
                confidence=0.85,
                percent=Decimal(30),
                relative=Relative(
                    anchor="the Engineer certifying completion of the foundations",
                    offset=14,
                    unit="calendar",
                ),
                parties=["the Employer"],
                depends_on="p2",
                key="p3",
            ),
            Proposal(
                kind="deliverable",
                title="Monthly progress report",
                citation=sentence_of(text, "3.1"),
                confidence=0.8,
                recurring="monthly",
                relative=Relative(anchor="each month", offset=5, unit="working"),
                parties=["the Contractor"],
                key="p4",
            ),
            Proposal(
                kind="gate",
                title="Employer approves the Stage 1 report",
                citation=sentence_of(text, "4.1"),
                confidence=0.8,
                due=dt.date(2027, 4, 30),
                parties=["the Employer"],
                depends_on="p1",
                key="p5",
            ),
        ],
        damages=[
            Damages(
                citation=sentence_of(text, "5.1"),
                per="week",
                rate=Decimal(2500),
                currency="GBP",
                cap_percent=Decimal(10),
                confidence=0.9,
            )
        ],
    )


# A short agreement the real extractor reads reliably (CLI, services and API tests).
SIGNED_AGREEMENT = """ARTICLES OF AGREEMENT

This Agreement is made on 1 March 2027 between Harbour City Council (the "Employer") and \
Northgate Construction Ltd (the "Contractor").

1. The Works
1.1 The Contractor shall deliver the Stage 1 report by 31 March 2027.
1.2 The Contractor shall complete the foundations by 30 June 2027.
1.3 The Contractor shall achieve Practical Completion by 31 January 2028.

2. Payment
2.1 The Employer shall pay thirty per cent (30%) of the Contract Sum within 14 days of the \
Engineer certifying completion of the foundations.

3. Reporting
3.1 The Contractor shall submit a monthly progress report no later than the fifth Working Day \
of each month.

4. Delay damages
4.1 If the Contractor fails to achieve Practical Completion by the Date for Completion, it \
shall pay the Employer liquidated damages at the rate of £2,500 per week, up to a maximum of \
10% of the Contract Sum.
"""
