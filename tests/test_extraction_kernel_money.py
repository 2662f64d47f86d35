"""The kernel's reading of money and percentages: formats, currencies, blanks."""

from decimal import Decimal

from milepost.extraction.kernel.money import find_money, find_percents, money_text


def _read(
    text: str, default: str | None = None
) -> list[tuple[str, Decimal | None, str | None, bool]]:
    return [
        (text[h.start : h.end], h.amount, h.currency, h.blank) for h in find_money(text, default)
    ]


def test_uk_and_us_amounts_with_symbols():
    # given a UK and a US amount; when read; then each has its currency and exact amount
    assert _read("the Contract Sum of £1,250,000.00 and $279,000.00") == [
        ("£1,250,000.00", Decimal("1250000.00"), "GBP", False),
        ("$279,000.00", Decimal("279000.00"), "USD", False),
    ]


def test_codes_before_and_after_and_multipliers():
    found = _read("10,000.00 EUR, GBP 5,000, USD 2.5 million, £2.5m, £250k")
    assert [(q, a, c) for q, a, c, _ in found] == [
        ("10,000.00 EUR", Decimal("10000.00"), "EUR"),
        ("GBP 5,000", Decimal("5000"), "GBP"),
        ("USD 2.5 million", Decimal("2500000"), "USD"),
        ("£2.5m", Decimal("2500000"), "GBP"),
        ("£250k", Decimal("250000"), "GBP"),
    ]


def test_other_dollars_are_not_us_dollars():
    assert [c for _, _, c, _ in _read("A$500, C$20, US$7 and $9")] == ["AUD", "CAD", "USD", "USD"]


def test_a_bare_dollar_follows_a_dollar_document():
    assert _read("$9", "AUD")[0][2] == "AUD"
    assert _read("$9", "GBP")[0][2] == "USD"


def test_european_format_only_when_clearly_so():
    assert [a for _, a, _, _ in _read("€1.234,56 or 1.234,56 € or €30,000")] == [
        Decimal("1234.56"),
        Decimal("1234.56"),
        Decimal("30000"),
    ]


def test_words_and_digits_written_twice_are_one_amount():
    text = "Two Hundred Fifty Thousand U.S. Dollars ($250,000.00) within thirty (30) days"
    assert _read(text) == [(text[:53], Decimal("250000.00"), "USD", False)]


def test_currency_words():
    assert [(a, c) for _, a, c, _ in _read("12.5 pounds sterling and twenty thousand euros")] == [
        (Decimal("12.5"), "GBP"),
        (Decimal("20000"), "EUR"),
    ]


def test_far_blanks_are_blank_never_a_number():
    # given the FAR 52.211-11 and -12 blanks; then each is one blank hit with no amount
    far11 = (
        "pay to the Government liquidated damages of $__________ per calendar day of delay "
        "[Contracting Officer insert amount]."
    )
    far12 = (
        "shall pay liquidated damages to the Government in the amount of ____________ "
        "[Contracting Officer insert amount] for each calendar day of delay"
    )
    for text in (far11, far12):
        hits = find_money(text, "USD")
        assert hits and all(h.blank and h.amount is None for h in hits)
    assert _read(far12)[0][0] == "____________ [Contracting Officer insert amount]"


def test_redacted_and_bullet_blanks():
    for text in (
        "$[***] ([***]) USD",
        "US$[***]",
        "£[●] per week",
        "[***] U.S. Dollars (US$[***])",
    ):
        hits = find_money(text)
        assert len(hits) == 1 and hits[0].blank and hits[0].amount is None, text
        assert hits[0].currency in {"USD", "GBP"}


def test_a_plain_number_is_not_money():
    assert find_money("within 30 days of 14 March 2027 for 5 m of wall") == []


def test_context_makes_a_number_money_in_the_documents_currency():
    assert _read("the sum of 25,000 payable", "GBP") == [("25,000", Decimal("25000"), "GBP", False)]


def test_percentages_in_digits_and_words():
    text = "thirty per cent (30%) of the Sum, 7.5 percent, 99.9% and ten per cent"
    assert [(text[h.start : h.end], h.value) for h in find_percents(text)] == [
        ("thirty per cent (30%)", Decimal("30")),
        ("7.5 percent", Decimal("7.5")),
        ("99.9%", Decimal("99.9")),
        ("ten per cent", Decimal("10")),
    ]


def test_money_text_for_titles():
    assert money_text(Decimal("2500"), "GBP") == "£2,500"
    assert money_text(Decimal("55800.00"), "USD") == "$55,800"
    assert money_text(Decimal("500.50"), "CHF") == "500.50 CHF"


def test_codes_written_against_the_number_and_capital_multipliers():
    assert [(a, c) for _, a, c, _ in _read("GBP5,000, $1.5M and €2bn")] == [
        (Decimal(5000), "GBP"),
        (Decimal(1500000), "USD"),
        (Decimal(2000000000), "EUR"),
    ]
    assert find_money("EUROPE 5 and GBPX 5") == []


def test_an_amount_repeated_in_words_is_one_hit():
    text = "5,000.00 EUR (five thousand euros) due"
    assert _read(text) == [("5,000.00 EUR (five thousand euros)", Decimal("5000.00"), "EUR", False)]


def test_long_runs_of_words_or_marks_are_read_once():
    # given pathological runs (number words with no currency, asterisks, dots); then nothing is
    # money and the result is still exact (the patterns match each run once)
    words = "within " + " ".join(["one hundred and twenty"] * 300) + " days"
    assert find_money(words) == [] and find_percents(words) == []
    assert [h.blank for h in find_money("$" + "*" * 5000)] == [True]
    assert find_money("." * 5000) == []
