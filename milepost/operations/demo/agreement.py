"""The construction demo's signed agreement, as the contract's own words, and long contracts.

``agreement_text(terms)`` writes the articles of agreement and conditions of Harbour City
Council's library extension (HCC-2026-014): the parties and their roles, the contract date, the
Contract Sum, the dates the demo's milestones carry, the 30/40/30 stage payments, retention,
delay damages, the Funder's gate, monthly progress reports and the clauses that hold no
milestone (definitions, insurance, confidentiality, disputes, governing law).

``long_contract_blocks(pages)`` makes a contract of about ``pages`` A4 pages for the benchmark:
the agreement followed by further conditions and the schedules a real one carries (the
Employer's Requirements trade by trade, the drawing register, the schedule of rates, the
insurances), varied from a fixed seed so that every run reads the same words. Blocks render as
plain text (``blocks_text``), HTML (``blocks_html``) or a Word document (``blocks_docx``).

Plain Python: no database, so the benchmark and the tests can write the same words.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

BlockKind = Literal["title", "heading", "para", "table"]
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
CURRENCY_WORDS = {"GBP": "pounds", "EUR": "euros", "USD": "dollars"}
# Characters of contract text on an A4 page at 10.5 pt with 2 cm margins, headings and tables
# included (WeasyPrint, DejaVu Serif): a 60-page contract is about 190,000 characters.
CHARS_PER_PAGE = 3_150


@dataclass(frozen=True)
class Block:
    """A paragraph of the document: a title, a heading, a paragraph, or a table's rows."""

    kind: BlockKind
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class AgreementTerms:
    """What the agreement says: the parties, the dates and the money."""

    contract_date: dt.date
    possession: dt.date
    site_access: dt.date
    foundations: dt.date
    drainage: dt.date
    structure: dt.date
    fitout: dt.date
    completion: dt.date
    contract_sum: Decimal = Decimal("4800000.00")
    currency: str = "GBP"
    client: str = "Harbour City Council"
    contractor: str = "Northgate Construction Ltd"
    engineer: str = "Arden Project Management"
    funder: str = "Harbour Regeneration Fund"
    reference: str = "HCC-2026-014"
    damages_per_week: Decimal = Decimal("12000.00")
    damages_cap_percent: int = 10
    retention_percent: int = 5
    defects_months: int = 12
    payment_days: int = 30
    extra: dict[str, str] = field(default_factory=dict)


def demo_terms(today: dt.date, **changes: object) -> AgreementTerms:
    """The terms of the construction demo, dated as ``construction.seed`` dates its milestones."""
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    terms = AgreementTerms(
        contract_date=d(-164),
        possession=d(-150),
        site_access=d(-120),
        foundations=d(-45),
        drainage=d(-5),
        structure=d(3),
        fitout=d(60),
        completion=d(200),
    )
    if changes:
        from dataclasses import replace

        terms = replace(terms, **changes)  # type: ignore[arg-type]
    return terms


def long_date(day: dt.date) -> str:
    """6 December 2026."""
    return f"{day.day} {day:%B %Y}"


def money(amount: Decimal, currency: str) -> str:
    symbol = SYMBOLS.get(currency)
    figure = f"{amount:,.2f}"
    return f"{symbol}{figure}" if symbol else f"{figure} {currency}"


_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """A whole number in words, British style: 4,800,000 → "four million eight hundred thousand"."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _UNITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return _UNITS[n // 100] + " hundred" + (" and " + number_words(rest) if rest else "")
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            tail = ""
            if rest:
                tail = (" and " if rest < 100 else " ") + number_words(rest)
            return number_words(n // size) + " " + name + tail
    raise AssertionError(n)  # pragma: no cover


def _h(text: str) -> Block:
    return Block("heading", text)


def _p(text: str) -> Block:
    return Block("para", text)


def agreement_blocks(t: AgreementTerms) -> list[Block]:
    """The signed agreement: articles, then clause-numbered conditions, then execution."""
    total = money(t.contract_sum, t.currency)
    in_words = f"{number_words(int(t.contract_sum))} {CURRENCY_WORDS.get(t.currency, t.currency)}"
    rate = money(t.damages_per_week, t.currency)
    cap_words = number_words(t.damages_cap_percent)
    retention_words = number_words(t.retention_percent)
    days = t.payment_days
    return [
        Block("title", "DESIGN AND BUILD CONTRACT"),
        _p(f"Harbour Library extension. Contract reference {t.reference}."),
        _h("ARTICLES OF AGREEMENT"),
        _p(f"THIS AGREEMENT is made on {long_date(t.contract_date)}."),
        _p("BETWEEN:"),
        _p(
            f"(1) {t.client.upper()} of Civic Centre, Quay Street, Harbour City HC1 2QS "
            '(the "Client"); and'
        ),
        _p(
            f"(2) {t.contractor.upper()} (company number 04817263) whose registered office is "
            'at Unit 4, Northgate Business Park, Harbour City HC7 9NB (the "Contractor").'
        ),
        _h("RECITALS"),
        _p(
            "A. The Client wishes to have designed and constructed a two-storey extension to "
            "the Harbour Library, Library Walk, Harbour City, with a new reading room, an "
            'archive store and associated external works (the "Works").'
        ),
        _p(
            f"B. The Client has appointed {t.engineer} as its agent for the purposes of this "
            'Contract and to certify under it (the "Engineer").'
        ),
        _p(
            f"C. The Works are funded in part by a grant from the {t.funder} (the "
            '"Funder"), whose grant conditions require its approval at the stages stated below.'
        ),
        _p(
            "D. The Contractor has supplied the Client with its proposals for the design and "
            "construction of the Works and has priced them in the Contract Sum Analysis."
        ),
        _h("ARTICLES"),
        _p(
            "Article 1. The Contractor shall carry out and complete the Works in accordance "
            "with the Contract Documents."
        ),
        _p(
            f"Article 2. The Client shall pay the Contractor the sum of {total} ({in_words}) "
            'exclusive of VAT (the "Contract Sum") at the times and in the manner specified in '
            "the Conditions."
        ),
        _p(
            f"Article 3. The Engineer is {t.engineer} or such other person as the Client may "
            "appoint by notice in writing to the Contractor."
        ),
        _p(
            "Article 4. If any dispute or difference arises under this Contract, either Party "
            "may refer it to adjudication in accordance with clause 12."
        ),
        _h("CONDITIONS"),
        _h("1. DEFINITIONS AND INTERPRETATION"),
        _p("1.1 In this Contract, unless the context otherwise requires:"),
        _p(
            '"Contract Documents" means these Articles of Agreement and Conditions, the '
            "Employer's Requirements, the Contractor's Proposals and the Contract Sum Analysis."
        ),
        _p(
            '"Date for Completion" means '
            f"{long_date(t.completion)}, or such later date as the Engineer may fix under "
            "clause 2.10."
        ),
        _p(
            f'"Date of Possession" means {long_date(t.possession)}, the date on which the '
            "Client shall give the Contractor possession of the Site."
        ),
        _p(
            '"Defects Period" means the period of '
            f"{number_words(t.defects_months)} ({t.defects_months}) months from the date of "
            "Practical Completion."
        ),
        _p(
            '"Practical Completion" means the completion of the Works, save for minor defects '
            "that do not prevent the Client from using the Works for their intended purpose, "
            "as certified by the Engineer."
        ),
        _p(
            '"Site" means the land at Library Walk, Harbour City shown edged red on drawing '
            "HL-ARC-001."
        ),
        _p(
            '"Working Day" means any day other than a Saturday, a Sunday or a bank holiday in '
            "England."
        ),
        _p(
            "1.2 Headings are for convenience only. Words in the singular include the plural "
            "and the other way round. A reference to a statute includes any amendment or "
            "re-enactment of it in force from time to time."
        ),
        _h("2. POSSESSION, PROGRESS AND COMPLETION"),
        _p(
            "2.1 The Client shall give the Contractor possession of the Site on the Date of "
            "Possession."
        ),
        _p(
            "2.2 The Contractor shall not commence work on the Site until the Client and the "
            "Engineer have approved the traffic management plan and the construction phase "
            f"plan in writing, which approval shall be given no later than "
            f"{long_date(t.site_access)}."
        ),
        _p(
            f"2.3 The Contractor shall complete the foundations, including the piling and the "
            f"ground beams, no later than {long_date(t.foundations)}."
        ),
        _p(
            "2.4 The Contractor shall not commence the superstructure until the Client and the "
            "Funder have approved the foundation inspection report in writing."
        ),
        _p(
            f"2.5 The Contractor shall deliver a CCTV survey of the existing drains with a "
            f"condition report by {long_date(t.drainage)}."
        ),
        _p(
            "2.6 The Contractor shall complete the structure, with the frame and the roof deck "
            f"topped out, by {long_date(t.structure)}."
        ),
        _p(
            "2.7 The Contractor shall not commence the fit-out until the Client, the Engineer "
            "and the Contractor have approved the fit-out programme in writing, which approval "
            f"shall be given by {long_date(t.fitout)}."
        ),
        _p(
            "2.8 The Contractor shall achieve Practical Completion of the Works on or before "
            f"the Date for Completion, {long_date(t.completion)}."
        ),
        _p(
            "2.9 The Contractor shall submit a monthly progress report to the Engineer no "
            "later than the fifth Working Day of each month, setting out progress against the "
            "programme, the critical path, any delays and the measures taken to recover them."
        ),
        _p(
            "2.10 If the Contractor is delayed by a Relevant Event, the Engineer shall fix such "
            "later Date for Completion as is fair and reasonable, within 12 weeks of receiving "
            "the Contractor's notice and particulars."
        ),
        _h("3. PAYMENT"),
        _p(
            f"3.1 The Contract Sum is {total}, exclusive of VAT. It shall be adjusted only in "
            "accordance with the Conditions."
        ),
        _p(
            "3.2 The Client shall pay the Contractor thirty per cent (30%) of the Contract Sum "
            "within 14 days of the Engineer certifying completion of the foundations."
        ),
        _p(
            "3.3 The Client shall pay the Contractor forty per cent (40%) of the Contract Sum "
            "within 14 days of the Engineer certifying completion of the structure."
        ),
        _p(
            "3.4 The Client shall pay the Contractor thirty per cent (30%) of the Contract Sum "
            "within 14 days of the Engineer certifying Practical Completion."
        ),
        _p(
            "3.5 For each stage the Contractor shall submit a valid VAT invoice to the Client, "
            "and the Client shall pay each valid invoice within "
            f"{number_words(days)} ({days}) days of receipt."
        ),
        _p(
            f"3.6 The Client may retain {retention_words} per cent ({t.retention_percent}%) of "
            "each stage payment as retention. One half of the retention shall be released at "
            "Practical Completion and the other half at the end of the Defects Period."
        ),
        _p(
            "3.7 If the Client intends to pay less than the sum stated as due in an invoice, it "
            "shall give the Contractor a pay less notice no later than 5 days before the final "
            "date for payment, stating the sum it considers due and the basis on which it is "
            "calculated."
        ),
        _h("4. DELAY DAMAGES"),
        _p(
            "4.1 If the Contractor fails to achieve Practical Completion by the Date for "
            "Completion, the Contractor shall pay the Client liquidated damages at the rate of "
            f"{rate} per week for every week or part of a week between the Date for Completion "
            "and the date of Practical Completion."
        ),
        _p(
            "4.2 The Contractor's total liability for liquidated damages shall not exceed "
            f"{cap_words} per cent ({t.damages_cap_percent}%) of the Contract Sum."
        ),
        _p(
            "4.3 The Parties agree that the rate in clause 4.1 is a genuine pre-estimate of the "
            "loss the Client is likely to suffer and is not a penalty."
        ),
        _h("5. DESIGN"),
        _p(
            "5.1 The Contractor shall complete the design of the Works, including the selection "
            "of any specifications for the kinds and standards of the materials and goods, "
            "with the reasonable skill, care and diligence of a qualified and experienced "
            "architect or engineer."
        ),
        _p(
            "5.2 The Contractor shall not be responsible for the contents of the Employer's "
            "Requirements or for verifying the adequacy of any design contained in them."
        ),
        _h("6. DEFECTS"),
        _p(
            "6.1 The Contractor shall make good at its own cost any defects, shrinkages or "
            "other faults in the Works which appear within the Defects Period and which are "
            "notified by the Engineer."
        ),
        _h("7. INSURANCE"),
        _p(
            "7.1 The Contractor shall take out and maintain employer's liability insurance of "
            f"not less than {money(Decimal('10000000'), t.currency)} for any one occurrence, "
            "and public liability insurance of not less than "
            f"{money(Decimal('5000000'), t.currency)} for any one occurrence."
        ),
        _p(
            "7.2 The Contractor shall insure the Works against the Specified Perils for their "
            "full reinstatement value in the joint names of the Client and the Contractor "
            "until the date of Practical Completion."
        ),
        _p(
            "7.3 The Contractor shall maintain professional indemnity insurance with a limit "
            f"of indemnity of not less than {money(Decimal('5000000'), t.currency)} for each "
            "and every claim for a period of twelve years from Practical Completion."
        ),
        _h("8. HEALTH AND SAFETY"),
        _p(
            "8.1 The Contractor shall act as principal contractor for the purposes of the "
            "Construction (Design and Management) Regulations 2015 and shall comply with them."
        ),
        _h("9. CONFIDENTIALITY"),
        _p(
            "9.1 Each Party shall keep confidential the terms of this Contract and all "
            "information it receives from the other Party under it, save to the extent that "
            "disclosure is required by law, including the Freedom of Information Act 2000."
        ),
        _h("10. ASSIGNMENT AND SUB-CONTRACTING"),
        _p(
            "10.1 Neither Party shall assign this Contract without the written consent of the "
            "other. The Contractor shall not sub-contract the design of the Works without the "
            "Engineer's written consent, which shall not be unreasonably withheld."
        ),
        _h("11. TERMINATION"),
        _p(
            "11.1 The Client may terminate the Contractor's employment by notice if the "
            "Contractor, without reasonable cause, wholly or substantially suspends the "
            "carrying out of the Works, or fails to proceed regularly and diligently with them, "
            "and the default continues for 14 days after a notice specifying it."
        ),
        _h("12. DISPUTES"),
        _p(
            "12.1 Either Party may at any time refer a dispute under this Contract to "
            "adjudication under the Scheme for Construction Contracts (England and Wales) "
            "Regulations 1998. The adjudicator shall be nominated by the Royal Institution of "
            "Chartered Surveyors."
        ),
        _p(
            "12.2 Any dispute not finally resolved by adjudication shall be determined by the "
            "courts of England and Wales."
        ),
        _h("13. GOVERNING LAW"),
        _p(
            "13.1 This Contract shall be governed by and construed in accordance with the law "
            "of England and Wales."
        ),
        _h("EXECUTION"),
        _p(
            f"Signed for and on behalf of {t.client} by Cora Blake, Contract Manager, on "
            f"{long_date(t.contract_date)}."
        ),
        _p(
            f"Signed for and on behalf of {t.contractor} by Sam Okafor, Project Manager, on "
            f"{long_date(t.contract_date)}."
        ),
    ]


def agreement_text(terms: AgreementTerms) -> str:
    return blocks_text(agreement_blocks(terms))


# --- Rendering ---------------------------------------------------------------------------


def blocks_text(blocks: list[Block]) -> str:
    """Plain text: a paragraph per block, a blank line between; table cells joined by " | "."""
    out: list[str] = []
    for block in blocks:
        if block.kind == "table":
            out.append("\n".join(" | ".join(row) for row in block.rows))
        else:
            out.append(block.text)
    return "\n\n".join(out) + "\n"


def blocks_html(blocks: list[Block], title: str = "Contract") -> str:
    """A4 pages of 10.5 pt serif text with 2 cm margins, numbered, as a contract is printed."""
    body: list[str] = []
    for block in blocks:
        if block.kind == "title":
            body.append(f"<h1>{html.escape(block.text)}</h1>")
        elif block.kind == "heading":
            body.append(f"<h2>{html.escape(block.text)}</h2>")
        elif block.kind == "table":
            head, *rows = block.rows
            cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
            lines = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in rows
            )
            body.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>")
        else:
            body.append(f"<p>{html.escape(block.text)}</p>")
    style = (
        "@page { size: A4; margin: 2cm; @bottom-center { content: counter(page); "
        "font-size: 9pt; } }"
        " body { font-family: 'DejaVu Serif', serif; font-size: 10.5pt; line-height: 1.25; }"
        " h1 { font-size: 16pt; text-align: center; } h2 { font-size: 11.5pt; margin: .8em 0 .3em; }"
        " p { margin: 0 0 .35em; text-align: justify; }"
        " table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: 9pt; }"
        " th, td { border: 1px solid #444; padding: 2pt 4pt; text-align: left; }"
    )
    return (
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{style}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


def blocks_docx(blocks: list[Block]) -> bytes:
    """A Word document of the blocks (python-docx): headings, paragraphs and tables."""
    import docx

    document = docx.Document()
    for block in blocks:
        if block.kind == "title":
            document.add_heading(block.text, level=0)
        elif block.kind == "heading":
            document.add_heading(block.text, level=1)
        elif block.kind == "table":
            head = block.rows[0]
            table = document.add_table(rows=len(block.rows), cols=len(head))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        else:
            document.add_paragraph(block.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- The long contract for the benchmark ---------------------------------------------------

# Trades of the Employer's Requirements: (section code, title, materials, standards, tests).
TRADES: list[tuple[str, str, list[str], list[str], list[str]]] = [
    (
        "D20",
        "Excavating and filling",
        [
            "Type 1 sub-base",
            "selected site-won granular fill",
            "6F2 capping",
            "lean-mix concrete blinding",
        ],
        ["BS EN 13242", "BS 6031", "Specification for Highway Works Series 600"],
        ["plate bearing tests", "in-situ density tests", "moisture content tests"],
    ),
    (
        "D30",
        "Cast in place piling",
        [
            "C32/40 concrete",
            "B500B reinforcement",
            "continuous flight auger piles of 450 mm diameter",
            "bentonite support fluid",
        ],
        ["BS EN 1536", "ICE Specification for Piling and Embedded Retaining Walls", "BS 8004"],
        [
            "integrity tests on every pile",
            "a static load test on a preliminary pile",
            "dynamic load tests on 2% of the working piles",
        ],
    ),
    (
        "E10",
        "Mixing, casting and curing in situ concrete",
        [
            "C28/35 concrete with a cement replacement of 30% GGBS",
            "C40/50 concrete for the ground beams",
            "polypropylene fibres",
        ],
        ["BS EN 206", "BS 8500-2", "BS EN 13670"],
        [
            "slump tests on every load",
            "cube tests at 7 and 28 days",
            "temperature monitoring of large pours",
        ],
    ),
    (
        "E30",
        "Reinforcement for in situ concrete",
        ["B500B ribbed bar", "B500A fabric", "stainless steel dowels", "plastic-tipped chairs"],
        ["BS 4449", "BS 4483", "BS 8666"],
        ["inspection of the fixed reinforcement before each pour", "cover meter surveys"],
    ),
    (
        "G10",
        "Structural steel framing",
        [
            "S355J2 hot-rolled sections",
            "grade 8.8 bolts",
            "intumescent coating for 60 minutes' fire resistance",
        ],
        [
            "BS EN 1090-2",
            "National Structural Steelwork Specification, 7th edition",
            "BS EN ISO 12944",
        ],
        [
            "ultrasonic testing of 10% of the full-penetration welds",
            "dry film thickness readings",
            "torque checks on preloaded bolts",
        ],
    ),
    (
        "G20",
        "Carpentry, timber framing and first fixing",
        [
            "C24 softwood, preservative treated to Use Class 2",
            "oriented strand board type 3",
            "galvanised joist hangers",
        ],
        ["BS EN 14081", "BS 8417", "TRADA guidance"],
        ["moisture content readings on delivery"],
    ),
    (
        "F10",
        "Brick and block walling",
        [
            "facing brick to match the existing library",
            "7.3 N/mm² aggregate blocks",
            "designation (iii) mortar",
            "stainless steel wall ties",
        ],
        ["BS EN 771-1", "BS EN 998-2", "BS EN 1996"],
        ["a sample panel of one square metre", "mortar strength tests"],
    ),
    (
        "H31",
        "Metal profiled sheet cladding",
        [
            "composite insulated panels with a U-value of 0.18 W/m²K",
            "polyester powder coated flashings",
        ],
        ["BS EN 14509", "MCRMA technical guidance"],
        ["air leakage tests of the envelope"],
    ),
    (
        "H62",
        "Natural slating",
        ["Spanish natural slate 500 x 250 mm", "copper nails", "breathable membrane"],
        ["BS EN 12326", "BS 5534"],
        ["a sample area for the Engineer's approval"],
    ),
    (
        "J21",
        "Mastic asphalt and single-ply roofing",
        [
            "single-ply PVC membrane",
            "tapered PIR insulation to falls of 1 in 80",
            "aluminium edge trims",
        ],
        ["BS 6229", "BS 8217"],
        ["electronic leak detection of the completed membrane", "flood tests of the outlets"],
    ),
    (
        "L10",
        "Windows, rooflights and screens",
        [
            "polyester powder coated aluminium windows",
            "double-glazed units with a centre-pane U-value of 1.1 W/m²K",
            "laminated safety glass",
        ],
        ["BS 6375", "BS EN 14351-1", "Secured by Design"],
        ["water penetration tests on a sample window", "operation checks of every opening light"],
    ),
    (
        "M20",
        "Plastered, rendered and roughcast coatings",
        ["gypsum plaster 13 mm thick", "silicone render on mesh", "stainless steel angle beads"],
        ["BS EN 13914", "BS 8000-10"],
        ["flatness checks with a two-metre straightedge"],
    ),
    (
        "M50",
        "Rubber, plastics, cork and linoleum flooring",
        ["linoleum sheet 2.5 mm", "acoustic vinyl in the archive store", "self-levelling screed"],
        ["BS 8203", "BS EN ISO 10874"],
        ["relative humidity tests of the screed before laying"],
    ),
    (
        "N10",
        "General fixtures, furnishings and equipment",
        [
            "library shelving of powder coated steel",
            "mobile archive racking",
            "oak-veneered issue desk",
        ],
        ["BS EN 14073", "BS 4875"],
        ["load tests of the mobile racking"],
    ),
    (
        "P10",
        "Sundry insulation, proofing work and fire stopping",
        ["mineral wool cavity barriers", "intumescent pipe collars", "fire-rated sealant"],
        ["BS 476", "BS EN 1366", "Approved Document B"],
        ["a third-party inspection of fire stopping", "photographic records of every penetration"],
    ),
    (
        "R10",
        "Rainwater drainage systems",
        ["cast aluminium gutters", "siphonic outlets", "uPVC downpipes"],
        ["BS EN 12056-3", "BS 8490"],
        ["water tests of the installed system"],
    ),
    (
        "R12",
        "Below ground drainage systems",
        ["vitrified clay pipes", "polypropylene inspection chambers", "a Class 1 bypass separator"],
        ["BS EN 752", "Sewers for Adoption", "BS EN 1610"],
        ["air tests of each run", "CCTV survey of the completed drains"],
    ),
    (
        "S12",
        "Hot and cold water supply",
        ["copper tube to BS EN 1057", "WRAS-approved fittings", "thermostatic mixing valves"],
        ["BS EN 806", "BS 8558", "the Water Supply (Water Fittings) Regulations 1999"],
        ["pressure tests", "disinfection and bacteriological sampling"],
    ),
    (
        "T31",
        "Low temperature hot water heating",
        [
            "air source heat pumps",
            "steel panel radiators",
            "underfloor heating in the reading room",
        ],
        ["BS EN 12828", "CIBSE Guide B"],
        ["commissioning to CIBSE Code W", "flow measurement at each circuit"],
    ),
    (
        "U10",
        "General supply and extract ventilation",
        [
            "mechanical ventilation with heat recovery",
            "galvanised ductwork",
            "attenuators to NR 30",
        ],
        ["BS EN 16798", "DW/144", "Approved Document F"],
        ["commissioning to CIBSE Code A", "noise tests in the reading room"],
    ),
    (
        "V21",
        "General lighting and small power",
        ["LED luminaires with DALI control", "LSZH cable", "floor boxes in the study areas"],
        ["BS 7671", "BS EN 12464-1", "BS 5266"],
        ["insulation resistance tests", "lux level surveys", "emergency lighting duration tests"],
    ),
    (
        "W41",
        "Security detection and alarm",
        [
            "intruder alarm to grade 3",
            "access control on the archive store",
            "CCTV with 31 days' recording",
        ],
        ["BS EN 50131", "BS EN 62676", "NSI Gold"],
        ["walk tests", "a witnessed test with the Client's security officer"],
    ),
    (
        "X10",
        "Lifts",
        ["a machine-room-less passenger lift for 13 persons", "stainless steel car finishes"],
        ["BS EN 81-20", "BS EN 81-70", "BS EN 81-28"],
        ["a thorough examination under LOLER before handover"],
    ),
    (
        "Q22",
        "Asphalt roads, pavings and external works",
        ["close graded asphalt surface course", "conservation kerbs", "permeable block paving"],
        ["BS 594987", "BS 7533", "BS EN 13108"],
        ["core tests of the surfacing"],
    ),
    (
        "Q30",
        "Seeding, turfing and planting",
        ["native wildflower meadow mix", "semi-mature street trees", "bark mulch"],
        ["BS 3882", "BS 8545", "BS 4428"],
        ["a plant health inspection on delivery"],
    ),
]

_SCOPE = [
    "This section covers the {title} for {zone}, including every item shown on the drawings and described in the Contractor's Proposals.",
    "The work of this section comprises the {title} in {zone} shown on the drawings, with all the labour, plant and temporary works needed to complete it.",
    "This section applies to all {title} in {zone}, new or altered, and to making good where the existing library is disturbed.",
]
ZONES = [
    "the extension as a whole",
    "the reading room",
    "the archive store",
    "the link bridge to the existing library",
    "the stair and lift core",
    "the roof plant enclosure",
    "the external works and the courtyard",
    "the refurbished entrance of the existing library",
]
_MATERIAL = [
    "Materials shall be {material}, new, of the quality specified and from a single source for each kind.",
    "The Contractor shall use {material}, stored off the ground under cover and protected from damage and contamination.",
    "Products shall be {material}, delivered with the manufacturer's labels intact and used within their stated shelf life.",
    "Unless the Engineer agrees otherwise, the Contractor shall provide {material}, with its declaration of performance.",
]
_STANDARD = [
    "The work shall comply with {standard} and with the manufacturer's current instructions; where they differ the more onerous shall apply.",
    "Design, manufacture and installation shall be in accordance with {standard}.",
    "Workmanship shall be to {standard}, and the tolerances stated there shall apply unless the drawings state tighter ones.",
]
_TEST = [
    "The Contractor shall carry out {test} and shall give the Engineer reasonable notice so that it may witness them.",
    "The Contractor shall arrange {test}; results that fail shall be reported to the Engineer with the remedial work proposed.",
    "Testing shall include {test}, recorded on the Contractor's inspection and test plan for this section.",
]
_GENERAL = [
    "No {title} in {zone} shall be covered up until it has been inspected, and the Contractor shall keep a photographic record of work that will be concealed.",
    "Samples of the finished {title} shall be kept on Site until the end of the Works as the standard against which the rest in {zone} will be judged.",
    "While {zone} is being worked on, the Contractor shall protect the library's collections and keep the public routes open and safe.",
    "Operating and maintenance information for the {title} in {zone} shall form part of the health and safety file handed over at Practical Completion.",
    "Any substitution of a product specified for the {title} requires the Engineer's written consent, with evidence that the alternative performs at least as well.",
    "Waste from the {title} shall be segregated on Site and recorded in the site waste management plan, with the quantity recycled from {zone} shown separately.",
    "The Contractor shall coordinate the {title} with the adjoining trades in {zone} so that fixings, openings and services are in place before finishes are applied.",
    "Noisy work on the {title} shall be carried out only between 08:00 and 18:00 on weekdays, and not while the library holds events in {zone} notified in advance.",
    "Tolerances of the {title} shall be checked against the setting-out grid and recorded, and work outside them shall be taken down and rebuilt.",
    "Fixings for the {title} into the existing structure shall be approved by the Engineer before they are drilled.",
    "The Contractor's quality manager shall sign off each area of {title} in {zone} on the inspection and test plan before the next trade follows on.",
    "Temporary works supporting the {title} shall be designed by a competent temporary works designer and checked under BS 5975.",
    "Where {zone} adjoins occupied parts of the library, dust from the {title} shall be controlled by screens and extraction, and monitored daily.",
    "Deliveries for the {title} to {zone} shall be booked through the logistics plan and shall not block Library Walk during opening hours.",
    "Defective {title} shall be cut out and replaced, not patched, unless the Engineer agrees a repair in writing.",
    "The Contractor shall record the product, batch and location of every component of the {title} in {zone} in the information model.",
]

# Further general conditions: (heading, paragraphs).
FURTHER_CONDITIONS: list[tuple[str, list[str]]] = [
    (
        "VARIATIONS",
        [
            "The Engineer may issue instructions requiring a Variation. No Variation shall vitiate this Contract.",
            "The value of a Variation shall be agreed between the Client and the Contractor before the Contractor carries it out where practicable, and otherwise valued by the Engineer using the rates and prices in the Contract Sum Analysis, adjusted for any change in the conditions under which the work is carried out.",
            "The Contractor shall not be entitled to payment for any work carried out without an instruction of the Engineer, save work carried out in an emergency to protect life or property.",
        ],
    ),
    (
        "LOSS AND EXPENSE",
        [
            "If the regular progress of the Works is materially affected by a Relevant Matter, the Contractor shall notify the Engineer as soon as the effect becomes reasonably apparent, with the particulars and an estimate of the loss and expense incurred.",
            "The Engineer shall ascertain the amount of any loss and expense and notify the Contractor of it, giving the reasons; the amount ascertained shall be added to the Contract Sum.",
        ],
    ),
    (
        "RELEVANT EVENTS",
        [
            "The following are Relevant Events: Variations; instructions for the postponement of any work; deferment of possession of the Site; the carrying out of work by the Client's other contractors; exceptionally adverse weather conditions; loss or damage caused by any of the Specified Perils; civil commotion or the threat of terrorism; strikes affecting the trades employed on the Works; the exercise by the United Kingdom Government of any statutory power; and force majeure.",
            "The Contractor shall constantly use its best endeavours to prevent delay in the progress of the Works and to prevent the completion of the Works being delayed beyond the Date for Completion.",
        ],
    ),
    (
        "STATUTORY OBLIGATIONS",
        [
            "The Contractor shall comply with all statutory requirements and shall give all notices required by them, including notices under the Building Regulations 2010 and the Party Wall etc. Act 1996.",
            "If the Contractor finds any divergence between the statutory requirements and the Employer's Requirements or the Contractor's Proposals, it shall immediately give the Engineer notice specifying the divergence and its proposed amendment.",
        ],
    ),
    (
        "CLIENT'S REPRESENTATIVES AND PERSONS ON SITE",
        [
            "The Client's representatives and the Engineer shall have access to the Works and to the workshops where work is being prepared for the Contract at all reasonable times.",
            "The Contractor shall keep a competent person in charge on the Site at all times who shall receive the Engineer's instructions on the Contractor's behalf.",
            "The Engineer may require the Contractor to exclude from the Works any person employed on them, but not unreasonably or vexatiously.",
        ],
    ),
    (
        "WORK NOT FORMING PART OF THE CONTRACT",
        [
            "The Client may engage other persons to carry out work not forming part of this Contract, including the installation of library systems, furniture and artworks, and the Contractor shall permit them reasonable access to the Works.",
        ],
    ),
    (
        "SUB-CONTRACTORS AND SUPPLIERS",
        [
            "The Contractor shall remain wholly responsible for carrying out and completing the Works in every respect, notwithstanding any sub-contract.",
            "Each sub-contract shall provide that the sub-contractor's employment terminates immediately on the termination of the Contractor's employment, and that interest is payable on sums not paid by the final date for payment.",
            "The Contractor shall procure collateral warranties in the form annexed from the sub-contractors named in the Contract Particulars, in favour of the Client, the Funder and any tenant of the Works.",
        ],
    ),
    (
        "FAIR PAYMENT AND PROMPT PAYMENT",
        [
            "The Contractor shall pay its sub-contractors within 30 days of a valid invoice, in accordance with the Public Contracts Regulations 2015, and shall report its payment performance to the Client on request.",
            "The Contractor shall include in each sub-contract provisions equivalent to this clause.",
        ],
    ),
    (
        "SOCIAL VALUE AND LOCAL EMPLOYMENT",
        [
            "The Contractor shall use reasonable endeavours to recruit apprentices and trainees from within the Harbour City area, and shall report the numbers employed, the weeks of training provided and the local spend achieved.",
            "The Contractor shall support the Client's community engagement programme, including site visits by local schools arranged through the library's education team.",
        ],
    ),
    (
        "SUSTAINABILITY",
        [
            "The Works shall achieve a BREEAM rating of Excellent under the New Construction 2018 scheme. The Contractor shall appoint a licensed BREEAM assessor and shall provide the evidence the assessor requires.",
            "The Contractor shall measure and report the embodied carbon of the Works using the RICS whole life carbon assessment methodology.",
        ],
    ),
    (
        "BUILDING INFORMATION MODELLING",
        [
            "The Contractor shall develop and maintain the information model of the Works in accordance with BS EN ISO 19650 and the Client's exchange information requirements.",
            "Information shall be exchanged through the common data environment, and the Contractor shall name, classify and check every container before it is shared.",
        ],
    ),
    (
        "DATA PROTECTION",
        [
            "Each Party shall comply with the UK General Data Protection Regulation and the Data Protection Act 2018 in respect of any personal data it processes under this Contract.",
            "The Contractor shall process personal data only on the Client's documented instructions, shall keep it secure, and shall notify the Client without undue delay on becoming aware of any personal data breach.",
        ],
    ),
    (
        "ANTI-BRIBERY AND MODERN SLAVERY",
        [
            "The Contractor shall comply with the Bribery Act 2010 and shall not offer or give any gift or consideration to any person as an inducement or reward in relation to this Contract.",
            "The Contractor shall take reasonable steps to ensure that there is no slavery or human trafficking in its supply chains, in accordance with the Modern Slavery Act 2015.",
        ],
    ),
    (
        "INTELLECTUAL PROPERTY",
        [
            "Copyright in the drawings and documents prepared by the Contractor shall remain vested in the Contractor, but the Client shall have an irrevocable, royalty-free, non-exclusive licence to use and reproduce them for any purpose related to the Works, including their completion, maintenance, letting, promotion, advertisement, reinstatement and repair.",
        ],
    ),
    (
        "NOTICES",
        [
            "Any notice under this Contract shall be in writing and shall be delivered by hand, sent by recorded signed-for post, or sent by email to the address stated in the Contract Particulars.",
            "A notice delivered by hand is received on delivery; one sent by post is received on the second Working Day after posting; one sent by email is received when sent, if sent before 16:00 on a Working Day, and otherwise on the next Working Day.",
        ],
    ),
    (
        "THIRD PARTY RIGHTS",
        [
            "Save for the rights granted to the Funder by the collateral warranty, nothing in this Contract confers any right on a person who is not a party to it under the Contracts (Rights of Third Parties) Act 1999.",
        ],
    ),
    (
        "ENTIRE AGREEMENT",
        [
            "This Contract is the entire agreement between the Parties about the Works and supersedes every earlier understanding, whether written or oral.",
            "Each Party acknowledges that it has not relied on any statement, representation or assurance not set out in this Contract.",
        ],
    ),
    (
        "LIMITATION OF LIABILITY",
        [
            "The Contractor's aggregate liability under or in connection with this Contract, save for liability for death or personal injury, fraud, and liquidated damages, shall not exceed twice the Contract Sum.",
            "Neither Party shall be liable to the other for any loss of profit, loss of revenue or indirect or consequential loss.",
        ],
    ),
    (
        "PERFORMANCE BOND AND PARENT COMPANY GUARANTEE",
        [
            "The Contractor shall deliver to the Client a performance bond in the form annexed, in an amount equal to ten per cent of the Contract Sum, from a surety approved by the Client.",
            "The Contractor shall procure a guarantee from its ultimate parent company in the form annexed, executed as a deed.",
        ],
    ),
]

_DRAWING_KINDS = [
    (
        "ARC",
        "General arrangement plan",
        ["ground floor", "first floor", "roof", "archive store", "reading room"],
    ),
    ("ARC", "Elevation", ["north", "south", "east", "west", "courtyard"]),
    ("ARC", "Section", ["A-A", "B-B", "C-C", "through the stair", "through the link bridge"]),
    ("STR", "Foundation layout", ["piles", "pile caps", "ground beams", "lift pit"]),
    ("STR", "Steel frame", ["level 1", "level 2", "roof", "bracing", "connections"]),
    (
        "MEP",
        "Services layout",
        ["heating", "ventilation", "lighting", "small power", "drainage", "fire alarm"],
    ),
    ("CIV", "External works", ["levels", "drainage", "hard landscaping", "soft landscaping"]),
]


def _spec_section(rng: random.Random, code: str, title: str, materials: list[str],
                  standards: list[str], tests: list[str], number: int,
                  index: int) -> list[Block]:  # fmt: skip
    """Section ``index`` of the Employer's Requirements: one trade in one part of the works,
    its paragraphs numbered "index.1", "index.2", as a schedule restarts its numbering."""
    zone = ZONES[(number - 1) % len(ZONES)]
    heading = f"{index}. {code} {title.upper()}" + (f": {zone.upper()}" if number > 1 else "")
    blocks = [_h(heading)]
    lines = [rng.choice(_SCOPE).format(title=title.lower(), zone=zone)]
    for material in rng.sample(materials, k=min(len(materials), rng.randint(2, 4))):
        lines.append(rng.choice(_MATERIAL).format(material=material))
    for standard in standards:
        lines.append(rng.choice(_STANDARD).format(standard=standard))
    for test in tests:
        lines.append(rng.choice(_TEST).format(test=test))
    lines += [
        g.format(title=title.lower(), zone=zone) for g in rng.sample(_GENERAL, k=rng.randint(3, 5))
    ]
    for i, line in enumerate(lines, start=1):
        blocks.append(_p(f"{index}.{i} {line}"))
    return blocks


def _drawing_register(rng: random.Random, rows: int) -> Block:
    table = [("Drawing", "Title", "Revision", "Status")]
    n = 0
    while len(table) <= rows:
        discipline, what, parts = rng.choice(_DRAWING_KINDS)
        part = rng.choice(parts)
        n += 1
        table.append(
            (
                f"HL-{discipline}-{100 + n:03d}",
                f"{what}: {part}",
                f"P{rng.randint(1, 6)}",
                rng.choice(["For construction", "For information", "For tender", "As built"]),
            )
        )
    return Block("table", rows=tuple(table))


def _rates(rng: random.Random, currency: str) -> Block:
    table = [("Item", "Description", "Unit", "Rate")]
    units = {"m": (20, 400), "m²": (15, 260), "m³": (60, 320), "nr": (40, 2500), "hour": (28, 75)}
    for n, (code, title, materials, _, _) in enumerate(TRADES, start=1):
        for material in materials:
            unit = rng.choice(list(units))
            low, high = units[unit]
            rate = Decimal(rng.randint(low * 100, high * 100)) / 100
            table.append(
                (
                    f"{n}.{materials.index(material) + 1}",
                    f"{code} {title}: {material}",
                    unit,
                    money(rate, currency),
                )
            )
    return Block("table", rows=tuple(table))


def long_contract_blocks(
    pages: int, terms: AgreementTerms | None = None, seed: int = 18
) -> list[Block]:
    """A contract of about ``pages`` A4 pages: the agreement, further conditions, schedules."""
    terms = terms or demo_terms(dt.date(2026, 12, 6))
    rng = random.Random(seed)
    wanted = pages * CHARS_PER_PAGE
    blocks = agreement_blocks(terms)
    execution = blocks.index(_h("EXECUTION"))
    conditions: list[Block] = []
    for number, (heading, paragraphs) in enumerate(FURTHER_CONDITIONS, start=14):
        conditions.append(_h(f"{number}. {heading}"))
        conditions += [_p(f"{number}.{i} {text}") for i, text in enumerate(paragraphs, start=1)]
    blocks[execution:execution] = conditions
    blocks.append(_h("SCHEDULE 1: EMPLOYER'S REQUIREMENTS"))
    blocks.append(
        _p(
            "The Employer's Requirements set out the standards of the Works section by section. "
            "Each section is to be read with the drawings listed in Schedule 3 and the "
            "preliminaries in Schedule 2."
        )
    )
    size = len(blocks_text(blocks))
    round_no, index = 1, 0
    schedule: list[Block] = []
    # Trade sections, again and again with other wording, until the text is long enough,
    # leaving room for the drawing register and the schedule of rates.
    reserve = 9_000
    while size + reserve < wanted:
        for code, title, materials, standards, tests in TRADES:
            index += 1
            section = _spec_section(rng, code, title, materials, standards, tests, round_no, index)
            schedule += section
            size += len(blocks_text(section))
            if size + reserve >= wanted:
                break
        round_no += 1
    blocks += schedule
    blocks.append(_h("SCHEDULE 2: CONTRACT SUM ANALYSIS AND SCHEDULE OF RATES"))
    blocks.append(_rates(rng, terms.currency))
    blocks.append(_h("SCHEDULE 3: DRAWING REGISTER"))
    size = len(blocks_text(blocks))
    blocks.append(_drawing_register(rng, max(10, (wanted - size) // 60)))
    return blocks


def long_contract_text(pages: int, terms: AgreementTerms | None = None, seed: int = 18) -> str:
    return blocks_text(long_contract_blocks(pages, terms, seed))
