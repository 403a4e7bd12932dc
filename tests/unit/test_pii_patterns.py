"""Table-driven tests of the vectorised pattern scan and its conflict rules."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pytest

from classifiers.pii.patterns import (
    BUILTIN_PATTERNS,
    INTEGER_ENTITIES,
    PatternSpec,
    PatternTally,
    compile_specs,
    scan_column,
    strip_lookarounds,
)


def scan(values: Sequence[str | None], *, integer_column: bool = False) -> dict[str, PatternTally]:
    return scan_column(values, [1] * len(values), integer_column=integer_column)


def full_entities(value: str) -> set[str]:
    """Entities a single value entirely is."""
    return {e for e, t in scan([value]).items() if t.full}


@pytest.mark.parametrize(
    ("value", "entity"),
    [
        ("john.doe@example.com", "EMAIL_ADDRESS"),
        ("+44 20 7946 0958", "PHONE_NUMBER"),
        ("(212) 555-0123", "PHONE_NUMBER"),
        ("212-555-0123", "PHONE_NUMBER"),
        ("2125550123", "PHONE_NUMBER"),
        ("06 12 34 56 78", "PHONE_NUMBER"),
        ("+1 212 555 0123 ext 12", "PHONE_NUMBER"),
        ("123-45-6780", "US_SSN"),
        ("123 45 6780", "US_SSN"),
        ("123456780", "US_SSN"),
        ("4111 1111 1111 1111", "CREDIT_CARD"),
        ("378282246310005", "CREDIT_CARD"),
        ("DE89 3704 0044 0532 0130 00", "IBAN_CODE"),
        ("DE89370400440532013000", "IBAN_CODE"),
        ("192.168.1.1", "IP_ADDRESS"),
        ("2001:db8::1", "IP_ADDRESS"),
        ("::1", "IP_ADDRESS"),
        ("::ffff:192.0.2.1", "IP_ADDRESS"),
        ("fe80::1%eth0", "IP_ADDRESS"),
        ("https://example.com/a?b=1", "URL"),
        ("http://example.com/", "URL"),
        ("www.example.org", "URL"),
        ("example.com/path", "URL"),
        ("S1234567D", "SG_NRIC_FIN"),
        ("s1234567d", "SG_NRIC_FIN"),
        ("A7654321", "US_DRIVER_LICENSE"),
        ("C03005988", "US_PASSPORT"),
        ("  john.doe@example.com  ", "EMAIL_ADDRESS"),  # stripped
    ],
)
def test_value_is_entity(value: str, entity: str) -> None:
    assert entity in full_entities(value)


@pytest.mark.parametrize(
    ("value", "absent"),
    [
        ("john.doe@example.com", "URL"),  # an email is not a URL
        ("x@www.example.com", "URL"),
        ("4111 1111 1111 1111", "PHONE_NUMBER"),  # a card is not a phone
        ("4111111111111111", "PHONE_NUMBER"),
        ("4111111111111111", "US_DRIVER_LICENSE"),
        ("DE89370400440532013000", "PHONE_NUMBER"),  # an IBAN is nothing else
        ("DE89370400440532013000", "US_DRIVER_LICENSE"),
        ("123-45-6780", "PHONE_NUMBER"),  # an SSN is not a phone
        ("123 45 6780", "PHONE_NUMBER"),
        ("AB-1234", "US_DRIVER_LICENSE"),  # product code
        ("SKU123456", "US_DRIVER_LICENSE"),
        ("94110", "US_DRIVER_LICENSE"),  # ZIP
        ("94110-1234", "US_DRIVER_LICENSE"),
        ("212-555-0123", "US_DRIVER_LICENSE"),
        ("hello", "US_DRIVER_LICENSE"),
        ("2023-01-15", "PHONE_NUMBER"),  # date
        ("192.168.1.10", "PHONE_NUMBER"),
        ("1.2.3", "IP_ADDRESS"),  # version string
        ("010.001.001.001", "IP_ADDRESS"),
        ("12:30:45", "IP_ADDRESS"),
        ("example.com", "URL"),  # bare domain without a path
        ("john@example.invalidtld", "EMAIL_ADDRESS"),
        ("4111111111111112", "CREDIT_CARD"),  # Luhn fails
        ("DE89370400440532013001", "IBAN_CODE"),  # mod-97 fails
        ("078-05-1120", "US_SSN"),
        ("S1234567A", "SG_NRIC_FIN"),
    ],
)
def test_value_is_not_entity(value: str, absent: str) -> None:
    assert absent not in full_entities(value)


def test_card_number_counts_as_card_only() -> None:
    tallies = scan(["4111 1111 1111 1111", "5500 0055 5555 5559"])
    assert set(tallies) == {"CREDIT_CARD"}
    assert tallies["CREDIT_CARD"].full == 2


def test_email_column_has_no_url_tally() -> None:
    tallies = scan(["a@example.com", "b@www.example.org", "c.d@sub.example.co.uk"])
    assert set(tallies) == {"EMAIL_ADDRESS"}


def test_counts_are_weighted_and_full_is_subset_of_contained() -> None:
    values = ["123-45-6780", "call 123-45-6781 now", "none", "078-05-1120"]
    tally = scan_column(values, [5, 2, 7, 3])["US_SSN"]
    assert tally.full == 5
    assert tally.contained == 7
    assert tally.checked == 10  # three matches weighted 5 + 2 + 3
    assert tally.validated == 7
    assert tally.distinct_full == 1
    assert tally.distinct_contained == 2
    assert tally.spec == "us_ssn_dashed"
    assert tally.example_values == ["123-45-6780", "123-45-6781"]


def test_free_text_contains_several_entities() -> None:
    text = "Mail john@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111."
    tallies = scan([text, "nothing here"])
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= set(tallies)
    for entity in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"):
        assert tallies[entity].contained == 1
        assert tallies[entity].full == 0
    assert "URL" not in tallies
    assert tallies["PHONE_NUMBER"].example_values == ["+44 20 7946 0958"]


def test_url_and_email_in_one_text_both_count() -> None:
    tallies = scan(["write to a@example.com or see https://example.com/help"])
    assert tallies["EMAIL_ADDRESS"].contained == 1
    assert tallies["URL"].contained == 1
    assert tallies["URL"].example_values == ["https://example.com/help"]


def test_url_trailing_punctuation_is_not_part_of_the_match() -> None:
    tallies = scan(["see http://example.io."])
    assert tallies["URL"].example_values == ["http://example.io"]


def test_examples_are_at_most_three_distinct() -> None:
    values = [f"user{i}@example.com" for i in range(10)]
    tally = scan(values)["EMAIL_ADDRESS"]
    assert len(tally.example_values) == 3
    assert len(set(tally.example_values)) == 3
    assert tally.full == 10


def test_nulls_and_empty_strings_are_skipped() -> None:
    tallies = scan_column(pa.array([None, "", "a@example.com"]), [4, 3, 1])
    assert tallies["EMAIL_ADDRESS"].full == 1
    assert tallies["EMAIL_ADDRESS"].checked == 1


def test_accepts_large_string_and_dictionary_arrays() -> None:
    arr = pa.array(["a@example.com", "b@example.com"], pa.large_string())
    assert scan_column(arr, [1, 1])["EMAIL_ADDRESS"].full == 2
    dict_arr = pa.array(["a@example.com", "b@example.com"]).dictionary_encode()
    assert scan_column(dict_arr, [1, 1])["EMAIL_ADDRESS"].full == 2


def test_length_mismatch_is_an_error_without_values() -> None:
    with pytest.raises(ValueError, match="2 values but 1 counts") as info:
        scan_column(["secret@example.com", "x"], [1])
    assert "secret" not in str(info.value)


def test_no_tally_without_a_match() -> None:
    assert scan(["apple", "banana", "cherry"]) == {}


def test_failed_validation_is_checked_not_validated() -> None:
    tally = scan(["4111 1111 1111 1112"])["CREDIT_CARD"]
    assert (tally.checked, tally.validated, tally.full, tally.contained) == (1, 0, 0, 0)
    assert tally.example_values == []


def test_full_match_only_specs_ignore_substrings() -> None:
    # A bare 9-digit number inside text is not an SSN, passport or licence.
    tallies = scan(["order 123456780 shipped"])
    assert "US_PASSPORT" not in tallies
    assert "US_DRIVER_LICENSE" not in tallies
    assert "US_SSN" not in tallies


def test_bare_nine_digits_stay_ambiguous_between_ssn_and_passport() -> None:
    tallies = scan(["123456780"])
    assert tallies["US_SSN"].full == 1
    assert tallies["US_PASSPORT"].full == 1


def test_formatted_ssn_is_not_a_passport_or_licence() -> None:
    tallies = scan(["482 019 374"])  # New York licence print form (3-3-3), not an SSN (3-2-4)
    assert "US_SSN" not in tallies
    assert tallies["US_DRIVER_LICENSE"].full == 1
    assert set(scan(["482-01-9374"])) == {"US_SSN"}


@pytest.mark.parametrize(
    ("value", "entity", "shown"),
    [
        ("123456780", "US_SSN", "123456780"),
        ("12345678", "US_SSN", "012345678"),  # int dropped the leading zero
        ("1234567", "US_SSN", "001234567"),
        ("4111111111111111", "CREDIT_CARD", "4111111111111111"),
        ("2125550123", "PHONE_NUMBER", "2125550123"),
        ("447911123456", "PHONE_NUMBER", "447911123456"),  # E.164 without the +
    ],
)
def test_integer_column(value: str, entity: str, shown: str) -> None:
    tally = scan([value], integer_column=True)[entity]
    assert tally.full == 1
    assert tally.example_values == [shown]


def test_integer_column_checks_only_entities_with_an_integer_check() -> None:
    tallies = scan(["4111111111111111", "123456", "-123456780", "20230115"], integer_column=True)
    assert set(tallies) <= INTEGER_ENTITIES
    assert INTEGER_ENTITIES == {
        "US_SSN", "CREDIT_CARD", "PHONE_NUMBER", "BR_CPF", "FR_NIR", "NL_BSN", "PL_PESEL",
        "CN_RESIDENT_ID",
    }  # fmt: skip
    assert "PHONE_NUMBER" not in tallies  # the card is not a phone
    assert tallies["CREDIT_CARD"].full == 1
    # Eight digits are any of an SSN, a BSN and a PESEL that lost their zeros: the two
    # national checks fail the column's only value of that length, so neither runs on it.
    assert set(tallies) == {"CREDIT_CARD", "US_SSN"}


def test_a_national_check_runs_when_enough_of_the_first_values_pass() -> None:
    # 11-digit integers: PESEL 02270803624 without its zero passes, ...629 fails.
    def pesel(passing: int, failing: int) -> dict[str, PatternTally]:
        return scan(["2270803624"] * passing + ["2270803629"] * failing, integer_column=True)

    assert "PL_PESEL" not in pesel(5, 27)  # 5 of the first 32 pass: under the 6 it needs
    tally = pesel(6, 26)["PL_PESEL"]
    assert (tally.checked, tally.validated) == (32, 6)
    assert "PL_PESEL" in pesel(1, 4)  # a fifth of five values: the same share of fewer
    # SSN, card and phone always run: their failing values are evidence too.
    assert scan(["666123456"] * 40, integer_column=True)["US_SSN"].validated == 0


def test_integer_column_pads_the_zeros_an_integer_lost() -> None:
    # PESEL 02270803624 (born 8 July 2002) read as an integer has ten digits.
    tally = scan(["2270803624", "2270803629"], integer_column=True)["PL_PESEL"]
    assert (tally.checked, tally.validated) == (2, 1)
    # A NIR keeps its fifteen digits; its key is checked as in text.
    tally = scan(["187126205212388", "187126205212368"], integer_column=True)["FR_NIR"]
    assert (tally.checked, tally.validated) == (2, 1)


def test_integer_column_invalid_ssn_area() -> None:
    tally = scan(["666123456", "900123456"], integer_column=True)["US_SSN"]
    assert (tally.checked, tally.validated) == (2, 0)


def test_integer_mode_respects_spec_entities() -> None:
    only_cards = [s for s in BUILTIN_PATTERNS if s.entity == "CREDIT_CARD"]
    tallies = scan_column(
        ["123456780", "4111111111111111"], [1, 1], only_cards, integer_column=True
    )
    assert set(tallies) == {"CREDIT_CARD"}


def test_custom_spec_with_validator() -> None:
    spec = PatternSpec("EMPLOYEE_CARD", "custom:emp", r"\bEMP-[0-9]{16}\b", None, 0.7)
    luhn = PatternSpec("LUHN_ID", "custom:luhn", r"\b[0-9]{11}\b", "luhn", 0.6)
    tallies = scan_column(
        ["EMP-4111111111111111", "79927398713", "79927398710"], [1, 1, 1], (spec, luhn)
    )
    assert tallies["EMPLOYEE_CARD"].full == 1
    assert tallies["EMPLOYEE_CARD"].validated == tallies["EMPLOYEE_CARD"].checked == 1
    assert (tallies["LUHN_ID"].checked, tallies["LUHN_ID"].validated) == (2, 1)


def test_custom_spec_re2_cannot_run_falls_back_to_python() -> None:
    # A backreference: RE2 refuses it, Python still prefilters correctly.
    spec = PatternSpec("DOUBLE", "custom:double", r"\b([A-Z])\1[0-9]{3}\b", None, 0.5)
    compiled = compile_specs([spec])
    assert compiled.specs[0].prefilter is None
    tallies = scan_column(["AA123", "AB123", "x BB999 y"], [1, 1, 1], compiled)
    assert tallies["DOUBLE"].full == 1
    assert tallies["DOUBLE"].contained == 2


def test_iban_suppresses_custom_entities_too() -> None:
    spec = PatternSpec("BANKISH", "custom:bankish", r"[0-9]{8,}", None, 0.5)
    tallies = scan_column(["DE89370400440532013000"], [1], (*BUILTIN_PATTERNS, spec))
    assert set(tallies) == {"IBAN_CODE"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (PatternSpec("X", "bad-regex", "([0-9]", None, 0.5), "invalid regular expression"),
        (PatternSpec("X", "bad-validator", "[0-9]+", "nope", 0.5), "unknown validator"),
    ],
)
def test_compile_errors_name_the_spec(spec: PatternSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        compile_specs([spec])
    assert spec.name in str(info.value)


def test_compile_specs_is_cached() -> None:
    assert compile_specs(BUILTIN_PATTERNS) is compile_specs(list(BUILTIN_PATTERNS))


def test_builtin_specs_all_run_in_re2() -> None:
    compiled = compile_specs(BUILTIN_PATTERNS)
    assert all(c.prefilter is not None for c in compiled.specs)
    assert {c.spec.entity for c in compiled.specs} == {
        "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
        "URL", "US_DRIVER_LICENSE", "US_PASSPORT", "SG_NRIC_FIN", "IT_FISCAL_CODE", "ES_NIF",
        "BR_CPF", "FR_NIR", "NL_BSN", "PL_PESEL", "KR_RRN", "CN_RESIDENT_ID",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("regex", "stripped"),
    [
        (r"(?<![\w])abc(?!\d)", "abc"),
        (r"a(?=(b|c))d", "ad"),
        (r"[(?=]x(?<=y)", "[(?=]x"),
        (r"\(?!x", r"\(?!x"),
        (r"(?:ab)+", "(?:ab)+"),
    ],
)
def test_strip_lookarounds(regex: str, stripped: str) -> None:
    assert strip_lookarounds(regex) == stripped
