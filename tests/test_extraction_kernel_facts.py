"""The kernel reads the parties, the contract date, the term and the calendar."""

from milepost.extraction.kernel.dates import decide_order
from milepost.extraction.kernel.facts import find_facts, find_parties
from milepost.extraction.kernel.model import Context
from milepost.extraction.kernel.segment import segment


def _read(text):
    ctx = Context(text=text, date_order=decide_order(text))
    clauses = segment(text)
    return find_parties(clauses, ctx), find_facts(clauses, ctx)


def test_uk_preamble_parties_roles_and_date():
    text = (
        'This Agreement is dated 3 March 2027 and made between Northgate Homes Ltd (the "Employer") '
        'and Brick & Beam Construction plc (the "Contractor").\n\n'
        "1. Law\nThis Contract is governed by the laws of England and Wales.\n"
    )

    parties, facts = _read(text)

    assert [(p.name, p.role) for p in parties] == [
        ("Northgate Homes Ltd", "Employer"),
        ("Brick & Beam Construction plc", "Contractor"),
    ]
    assert facts["contract_date"].value == "2027-03-03"
    assert facts["calendar"].value == "england-and-wales"
    assert "governed" in facts["calendar"].citation.quote


def test_us_preamble_with_descriptions_and_a_state():
    text = (
        'This Agreement is entered into as of March 20, 2020 (the "Effective Date") by and between '
        "InfinixSoft Global LLC, a Florida Limited Liability Company, with its principal office in "
        'Miami (the "Developer") and Clickstream Corporation with its principal office in Los '
        'Angeles (the "Client").\n\n'
        "10.1 This Agreement will begin on the Effective Date and continue for four (4) years.\n"
        "13.2 This Agreement shall be governed by the laws of the State of Minnesota.\n"
    )

    parties, facts = _read(text)

    assert [(p.name, p.role) for p in parties] == [
        ("InfinixSoft Global LLC", "Developer"),
        ("Clickstream Corporation", "Client"),
    ]
    assert facts["contract_date"].value == "2020-03-20"
    assert facts["term"].value == {"text": "continue for four (4) years", "months": 48}
    assert facts["calendar"].value == "us-MN"


def test_company_suffix_after_a_comma_stays_in_the_name():
    text = 'Made by and between ADMA BioManufacturing, LLC, a Delaware company ("ADMA") and Sanofi Pasteur S.A. ("Sanofi").'

    parties, _ = _read(text)

    assert [p.name for p in parties] == ["ADMA BioManufacturing, LLC", "Sanofi Pasteur S.A."]


def test_scotland_and_state_codes():
    _, scots = _read("1. This Contract shall be governed by Scots law.")
    _, new_york = _read("1. This agreement shall be governed by the laws of the State of NY.")

    assert scots["calendar"].value == "scotland"
    assert new_york["calendar"].value == "us-NY"


def test_quoted_names_with_roles():
    parties, _ = _read('"Dan" (the Seller) shall pay to "Steve" (the Buyer) a penalty.')

    assert [(p.name, p.role) for p in parties] == [("Dan", "Seller"), ("Steve", "Buyer")]


def test_a_survival_period_is_not_the_term():
    text = "1. During the term of this Agreement and for a period of two (2) years after, Client shall not hire."

    _, facts = _read(text)

    assert "term" not in facts


def test_nothing_stated_nothing_read():
    parties, facts = _read("1. The Works shall be carried out with care.")

    assert parties == []
    assert facts == {}


def test_parties_listed_after_made_between():
    text = (
        "This Agreement is dated 12 March 2027 and is made between:\n\n"
        "(1) ACME DIGITAL LIMITED, a company incorporated in England with company number 01234567 "
        '(the "Supplier"); and\n\n'
        '(2) NORTHERN WATER PLC whose registered office is at 2 River Road, York (the "Customer").\n\n'
        "1. Implementation\n1.1 The Supplier shall act.\n"
    )

    parties, facts = _read(text)

    assert [(p.name, p.role) for p in parties] == [
        ("ACME DIGITAL LIMITED", "Supplier"),
        ("NORTHERN WATER PLC", "Customer"),
    ]
    assert facts["contract_date"].value == "2027-03-12"


def test_a_survival_clause_is_not_the_term():
    _, facts = _read(
        "1. The obligations in this Agreement shall survive for a period of five (5) years after termination."
    )

    assert "term" not in facts
