"""The kernel reads numbers in digits and in words as contracts write them."""

import re
from decimal import Decimal

from milepost.extraction.kernel.numbers import NUMBER, find_numbers, parse_number, parse_ordinal


def test_digits_with_thousands_and_decimals_are_read():
    assert parse_number("14") == Decimal(14)
    assert parse_number("1,234.50") == Decimal("1234.50")


def test_words_are_read():
    assert parse_number("fourteen") == Decimal(14)
    assert parse_number("one hundred and twenty") == Decimal(120)
    assert parse_number("twenty-one") == Decimal(21)
    assert parse_number("two thousand five hundred") == Decimal(2500)


def test_bracketed_digits_after_words_are_read_once():
    assert parse_number("fourteen (14)") == Decimal(14)
    assert parse_number("thirty per cent (30%)") == Decimal(30)


def test_text_without_a_number_is_none():
    assert parse_number("") is None
    assert parse_number("the Contractor") is None


def test_number_pattern_matches_a_whole_number_phrase():
    for phrase in ("14", "fourteen (14)", "thirty per cent (30%)", "one hundred and twenty"):
        assert re.fullmatch(NUMBER, phrase, re.IGNORECASE), phrase


def test_numbers_found_in_a_sentence_keep_their_offsets():
    text = "within thirty (30) days and then 14 days"

    found = find_numbers(text)

    assert [(text[s:e], v) for s, e, v in found] == [
        ("thirty (30)", Decimal(30)),
        ("14", Decimal(14)),
    ]


def test_ordinals_in_digits_and_words():
    assert parse_ordinal("3rd") == 3
    assert parse_ordinal("fifth") == 5
    assert parse_ordinal("twenty-first") == 21
    assert parse_ordinal("often") is None
