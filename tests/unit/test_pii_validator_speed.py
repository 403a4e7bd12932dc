"""The validators' fast paths (issue 17) answer exactly as the slow checks they replace.

Each fast path is compared with the library call or the former code on many generated inputs:
libphonenumber's region and number validity, ipaddress for IP addresses, the digit-by-digit
IBAN conversion, and a search of every value for the embedded-street pre-check.
"""

from __future__ import annotations

import ipaddress
import random

import phonenumbers
import pytest
from faker import Faker
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from classifiers.pii import profile
from classifiers.pii import validators as v


def _random_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _old_national_valid(digits: str, codes: tuple[int, ...]) -> bool:
    """The former ``_national_valid``: PhoneNumber objects through phonenumbers' own check."""
    for code in codes:
        if code == 39:
            number = phonenumbers.PhoneNumber(
                country_code=code,
                national_number=int(digits),
                italian_leading_zero=digits[0] == "0",
            )
        elif digits[0] == "0":
            if digits[1:2] == "0":
                continue
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits[1:]))
        elif code == 1 and len(digits) == 11 and digits[0] == "1":
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits[1:]))
        else:
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
        for region in v._CODE_REGIONS[code]:
            if phonenumbers.is_valid_number_for_region(number, region):
                return True
    return False


_TYPES = (
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.VOIP,
)


def _valid_examples(regions: list[str]) -> list[str]:
    """libphonenumber's own example numbers of every type (national significant numbers)."""
    out = []
    for region in regions:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append(phonenumbers.national_significant_number(example))
    return out


@pytest.mark.parametrize("code", sorted(v._CODE_REGIONS))
def test_region_check_equals_phonenumbers(code: int) -> None:
    rng = random.Random(code)
    regions = list(v._CODE_REGIONS[code])
    nsns = _valid_examples(regions)
    # Mutate the examples digit by digit (near-valid numbers) and add random lengths.
    nsns += [e[:k] + rng.choice("0123456789") + e[k + 1 :] for e in nsns for k in range(len(e))]
    nsns += [_random_digits(rng, rng.randint(4, 17)).lstrip("0") or "1" for _ in range(3000)]
    for nsn in nsns:
        for leading_zero in (False, True) if code == 39 else (False,):
            number = phonenumbers.PhoneNumber(
                country_code=code, national_number=int(nsn), italian_leading_zero=leading_zero
            )
            for region in regions:
                expected = phonenumbers.is_valid_number_for_region(number, region)
                assert v._valid_for_region(code, v._nsn(number), region) == expected
    assert any(v._valid_for_region(code, n, regions[0]) for n in nsns)  # some valid ones


@pytest.mark.parametrize("code", [1, 7, 33, 39, 44, 61, 262, 290, 358, 590, 800, 882, 979])
def test_number_valid_equals_is_valid_number(code: int) -> None:
    rng = random.Random(code)
    regions = list(COUNTRY_CODE_TO_REGION_CODE.get(code, ()))
    nsns = [n for n in _valid_examples(regions) if n]
    nsns += [_random_digits(rng, rng.randint(5, 15)).lstrip("0") or "1" for _ in range(2000)]
    valid = 0
    for nsn in nsns:
        number = phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn))
        expected = phonenumbers.is_valid_number(number)
        assert v._number_valid(number) == expected
        valid += expected
    assert valid > 0


def test_national_valid_equals_the_former_code() -> None:
    rng = random.Random(5)
    codes = (*v._TRUNK_ZERO_CODES, v._ITALY)
    samples = [_random_digits(rng, rng.randint(7, 15)) for _ in range(6000)]
    samples += ["0" + _random_digits(rng, rng.randint(8, 10)) for _ in range(3000)]
    samples += ["00" + _random_digits(rng, 8), "1" + _random_digits(rng, 10)]
    valid = 0
    for digits in samples:
        for group in (codes, v._NO_TRUNK_CODES, (1,)):
            expected = _old_national_valid(digits, group)
            assert v._national_valid(digits, group) == expected
            valid += expected
    assert valid > 100


def test_phone_valid_on_formatted_numbers_equals_the_former_code() -> None:
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "nl_NL", "es_ES", "en_IN"])
    fake.seed_instance(17)
    numbers = {fake.phone_number() for _ in range(3000)}
    for number in numbers:
        body = number.split("x")[0].strip()
        digits = "".join(ch for ch in body if ch.isdigit())
        if body.startswith("+") and 7 <= len(digits) <= 15 and body.count("+") == 1:
            parsed = None
            try:
                parsed = phonenumbers.parse(body, None)
            except phonenumbers.NumberParseException:
                pass
            if parsed is not None and v._PHONE_CHARS.fullmatch(body):
                assert v._international_valid(body) == phonenumbers.is_valid_number(parsed)
    assert sum(v.phone_valid(n) for n in numbers) > 0.5 * len(numbers)


def _old_ip_valid(s: str) -> bool:
    if not s or not s.isascii() or s != s.strip():
        return False
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def test_ip_fast_paths_equal_ipaddress() -> None:
    rng = random.Random(3)
    octets = ["0", "00", "01", "1", "9", "10", "99", "100", "199", "200", "249", "250", "255",
              "256", "260", "300", "999", "1000", "", "a", "-1", "٣"]  # fmt: skip
    texts = [".".join(rng.choice(octets) for _ in range(rng.choice((3, 4, 4, 4, 5))))
             for _ in range(5000)]  # fmt: skip
    hextets = ["0", "00", "000", "0000", "ffff", "FfFf", "12345", "g", "", "1", "db8", "::"]
    texts += [":".join(rng.choice(hextets) for _ in range(rng.choice((7, 8, 8, 9))))
              for _ in range(5000)]  # fmt: skip
    texts += [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(500)]
    texts += [ipaddress.IPv6Address(rng.getrandbits(128)).exploded for _ in range(500)]
    texts += ["1.2.3.4\n", " 1.2.3.4", "1.2.3.4 ", "fe80::1%eth0", "::ffff:1.2.3.4"]
    for text in texts:
        assert v.ip_valid(text) == _old_ip_valid(text)
    assert 500 < sum(map(v.ip_valid, texts)) < len(texts)


def _old_iban_valid(s: str) -> bool:
    if "  " in s or s[:1] == " " or s[-1:] == " ":
        return False
    compact = s.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34) or not v._IBAN_SHAPE.fullmatch(compact):
        return False
    expected = v.IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 2 <= int(compact[2:4]) <= 98:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def test_iban_conversion_equals_the_former_code() -> None:
    fake = Faker(["de_DE", "fr_FR", "en_GB", "nl_NL", "es_ES", "it_IT"])
    fake.seed_instance(2)
    rng = random.Random(2)
    ibans = [fake.iban() for _ in range(1000)]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    mutated = [i[:k] + rng.choice(alphabet) + i[k + 1 :] for i in ibans for k in (4, 9, len(i) - 1)]
    texts = ibans + mutated + [i.lower() for i in ibans[:100]]
    for text in texts:
        assert v.iban_valid(text) == _old_iban_valid(text)
    assert sum(map(v.iban_valid, texts)) >= len(ibans)


def test_embedded_street_precheck_never_misses() -> None:
    fake = Faker(["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_PT"])
    fake.seed_instance(9)
    texts = [f"{fake.sentence()} {fake.street_address()} {fake.sentence()}" for _ in range(600)]
    texts += [fake.sentence() for _ in range(600)]
    texts += ["A12weg 5", "Xa1bcweg 12", "Ab-weg 3", "12 Baker Street", "rue de la Paix",
              "İstanbul 12 Main Street", "12 Main ſt", "Hauptstrasse 5", "calle Mayor"]  # fmt: skip
    flags = profile.precheck(texts, profile._EMBEDDED_PRECHECK)
    assert flags is not None
    missed = [i for i, t in enumerate(texts) if profile._EMBEDDED_STREET.search(t) and not flags[i]]
    assert missed == []
    assert sum(1 for t in texts if profile._EMBEDDED_STREET.search(t)) > 200
    assert sum(flags) < len(texts)


def _old_parse_date(text: str) -> object:
    from datetime import datetime

    if not 8 <= len(text) <= 10 or not text[:1].isdigit():
        return None
    for fmt in profile._DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def test_parse_date_separator_check_drops_no_date() -> None:
    rng = random.Random(4)
    pieces = ["1", "01", "12", "31", "2024", "1999", " 5", "٣", "0", "13", "-", ".", "/", "x"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(3, 7))) for _ in range(20000)]
    # Date-shaped texts: three numbers (space-padded, Unicode digits) and mixed separators.
    numbers = ["1", "01", " 1", "9", "12", "13", "28", "31", "32", "2024", "1999", "٢٠٢٤", "0"]
    for _ in range(20000):
        a, b, c = (rng.choice(numbers) for _ in range(3))
        s1, s2 = rng.choice("-./"), rng.choice("-./-./x")
        texts.append(f"{a}{s1}{b}{s2}{c}")
    texts += ["2024-01-05", "05.01.2024", "1/5/2024", "10.0.0.1", "1- 5-2024", "2024/12/31"]
    parsed = added = 0
    for text in texts:
        expected = _old_parse_date(text)
        got = profile.parse_date(text)
        if got != expected:
            # The only dates added since: year first with markers (``2024. 5.13.``).
            assert expected is None and profile._YEAR_FIRST.fullmatch(text), text
            added += 1
        parsed += expected is not None
    assert parsed > 100
    assert added < parsed


def test_street_word_search_finds_what_street_word_finds() -> None:
    from tests.unit.test_pii_vectorised import EDGE_CASES, _faker_values, _fuzz_values

    fake = Faker(["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"])
    fake.seed_instance(1)
    texts = [fake.street_address() for _ in range(2000)] + [fake.sentence() for _ in range(500)]
    texts += list(EDGE_CASES) + _faker_values() + _fuzz_values()
    texts += ["Xa1bcweg 5", "Dorpsstraat 3", "ABCSTR. 4", "abc_weg", "ııısTRASSE 2", "Ringweg"]
    found = [bool(profile._STREET_WORD.search(t)) for t in texts]
    assert [bool(profile._STREET_WORD_SEARCH.search(t)) for t in texts] == found
    assert sum(found) > 2000


def _old_luhn_valid(number: str) -> bool:
    """luhn_valid before issue 17's byte sums (scanspeed2)."""
    if len(number) < 2 or not number.isdecimal() or not number.isascii():
        return False
    return v.luhn_check_digit(number[:-1]) == int(number[-1])


def test_luhn_byte_sums_equal_check_digit() -> None:
    rng = random.Random(17)
    alphabet = "0123456789" * 4 + " -a٣²"
    samples = [_random_digits(rng, rng.randint(0, 20)) for _ in range(30_000)]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(5_000)
    ]
    samples += [p + str(v.luhn_check_digit(p)) for p in samples[:3_000]]
    assert sum(map(v.luhn_valid, samples)) > 3_000  # valid numbers are exercised
    for s in samples:
        assert v.luhn_valid(s) == _old_luhn_valid(s)
