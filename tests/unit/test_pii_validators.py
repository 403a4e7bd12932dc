"""Table-driven tests of the identifier validators (valid, invalid and edge cases)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from classifiers.pii.validators import (
    VALIDATORS,
    card_valid,
    date_of_birth_plausible,
    domain_valid,
    email_valid,
    iban_valid,
    ip_valid,
    luhn_check_digit,
    luhn_valid,
    nric_valid,
    passport_valid,
    phone_valid,
    ssn_valid,
    url_valid,
    us_driver_license_valid,
    us_passport_valid,
)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("79927398713", True),
        ("5500005555555559", True),
        ("4111111111111112", False),
        ("79927398710", False),
        ("", False),
        ("0", False),
        ("4111-1111-1111-1111", False),
        ("４１１１１１１１１１１１１１１１", False),  # full-width digits are not ASCII
    ],
)
def test_luhn_valid(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid


def test_luhn_check_digit_completes_payload() -> None:
    assert luhn_check_digit("7992739871") == 3
    with pytest.raises(ValueError):
        luhn_check_digit("12a")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("4111111111111111", True),  # Visa
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("4222222222222", True),  # Visa, 13 digits
        ("5500005555555559", True),  # Mastercard 51-55
        ("2223000048400011", True),  # Mastercard 2-series
        ("378282246310005", True),  # Amex 15
        ("3782 822463 10005", True),  # Amex print grouping
        ("6011111111111117", True),  # Discover
        ("3530111333300000", True),  # JCB
        ("30569309025904", True),  # Diners 14
        ("6200000000000005", True),  # UnionPay
        ("4111111111111112", False),  # Luhn fails
        ("1234567812345670", False),  # Luhn ok, no known IIN
        ("3782822463100050", False),  # Amex prefix with 16 digits
        ("0000000000000000", False),
        ("411111111111", False),  # 12 digits
        ("41111111111111111111", False),  # 20 digits
        ("4111  1111 1111 1111", False),  # doubled separator
        ("-4111111111111111", False),
        ("4111x1111x1111x1111", False),
        ("", False),
    ],
)
def test_card_valid(value: str, valid: bool) -> None:
    assert card_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("DE89370400440532013000", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("de89370400440532013000", True),  # any case
        ("GB82WEST12345698765432", True),
        ("GB82 WEST 1234 5698 7654 32", True),
        ("FR1420041010050500013M02606", True),
        ("NL91ABNA0417164300", True),
        ("ES9121000418450200051332", True),
        ("IT60X0542811101000000123456", True),
        ("BE68539007547034", True),
        ("CH9300762011623852957", True),
        ("AT611904300234573201", True),
        ("PL61109010140000071219812874", True),
        ("PT50000201231234567890154", True),
        ("IE29AIBK93115212345678", True),
        ("SE4550000000058398257466", True),
        ("DK5000400440116243", True),
        ("NO9386011117947", True),
        ("FI2112345600000785", True),
        ("DE89370400440532013001", False),  # mod-97 fails
        ("DE8937040044053201300", False),  # DE is 22 long
        ("DE89  3704 0044 0532 0130 00", False),  # doubled space
        ("DE00370400440532013000", False),  # check digits 00
        ("XX89370400440532013000", False),  # unknown country, mod-97 fails
        ("1234567890123456", False),
        ("DE89", False),
        ("", False),
    ],
)
def test_iban_valid(value: str, valid: bool) -> None:
    assert iban_valid(value) is valid


def test_iban_unknown_country_with_correct_checksum_is_valid() -> None:
    # Build a check digit pair for a made-up country "QQ" and 18 alphanumerics.
    bban = "ABCD1234567890123456"
    numeric = "".join(str(int(ch, 36)) for ch in bban + "QQ00")
    check = 98 - int(numeric) % 97
    assert iban_valid(f"QQ{check:02d}{bban}")
    assert not iban_valid(f"QQ{(check % 97) + 1:02d}{bban}")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("123-45-6780", True),
        ("123 45 6780", True),
        ("123456780", True),
        ("001-01-0001", True),
        ("078-05-1120", False),  # Woolworth wallet card
        ("123-45-6789", False),  # the textbook example
        ("219-09-9999", False),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("900-12-3456", False),
        ("999-12-3456", False),
        ("123-00-4567", False),
        ("123-45-0000", False),
        ("111-11-1111", False),
        ("123-45 6780", False),  # mixed separators
        ("12-345-6780", False),
        ("1234567800", False),
        ("", False),
    ],
)
def test_ssn_valid(value: str, valid: bool) -> None:
    assert ssn_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("S1234567D", True),
        ("s1234567d", True),  # any case
        ("S1234567d", True),
        ("T1234567J", True),  # +4 offset
        ("F1234567N", True),
        ("G1234567X", True),  # +4 offset
        ("M5012345J", True),  # M series, +3 offset and its own table
        ("S1234567A", False),
        ("T1234567D", False),  # S's letter under T's offset
        ("A1234567D", False),
        ("S123456D", False),
        ("S12345678D", False),
        ("S1234567", False),
        ("", False),
    ],
)
def test_nric_valid(value: str, valid: bool) -> None:
    assert nric_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("192.168.1.1", True),
        ("0.0.0.0", True),
        ("255.255.255.255", True),
        ("2001:db8::1", True),
        ("::", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:192.0.2.1", True),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", True),
        ("1.2.3", False),  # version string
        ("010.1.1.1", False),  # leading zero
        ("256.1.1.1", False),
        ("1.2.3.4.5", False),
        ("12:30:45", False),
        ("2001:db8:::1", False),
        (" 192.168.1.1", False),
        ("", False),
    ],
)
def test_ip_valid(value: str, valid: bool) -> None:
    assert ip_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("john@example.com", True),
        ("a.b+tag@sub.example.co.uk", True),
        ("o'brien@example.ie", True),
        ("user@xn--bcher-kva.de", True),
        ("ünal@exämple.de", True),
        ("x@localhost", False),  # no top-level domain
        ("x@example.invalidtld", False),  # not a real top-level domain
        ("x@co.uk", False),  # a bare public suffix
        ("a..b@example.com", False),
        (".a@example.com", False),
        ("a@b@example.com", False),
        ("@example.com", False),
        ("john@", False),
        ("john@-example.com", False),
        ("john example@example.com", False),
        ("https://example.com", False),
        ("", False),
    ],
)
def test_email_valid(value: str, valid: bool) -> None:
    assert email_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("example.com", True),
        ("shop.example.co.uk", True),
        ("localhost", False),
        ("example.123", False),
        ("exa_mple.com", False),
        ("example.com.", False),
    ],
)
def test_domain_valid(value: str, valid: bool) -> None:
    assert domain_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://example.com", True),
        ("http://localhost:8080/x", True),
        ("https://192.168.1.1/a", True),
        ("http://[2001:db8::1]/", True),
        ("www.example.com", True),
        ("example.com/path?q=1", True),
        ("example.com", False),  # bare domain: no path
        ("john@example.com", False),  # an e-mail address is not a URL
        ("report.pdf/x", False),
        ("https://example.com:99999/", False),
        ("", False),
    ],
)
def test_url_valid(value: str, valid: bool) -> None:
    assert url_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("+44 20 7946 0958", True),
        ("+1 (212) 555-0123", True),
        ("+49 30 12345678", True),
        ("0049 30 12345678", True),
        ("(212) 555-0123", True),
        ("212-555-0123", True),
        ("212.555.0123", True),
        ("2125550123", True),  # unformatted, valid in the US
        ("12125550123", True),
        ("+1 212 555 0123 ext 12", True),
        ("020 7946 0958", True),
        ("06 12 34 56 78", True),
        ("0612345678", True),  # unformatted national with trunk 0
        ("030 12345678", True),
        ("612 345 678", True),  # Spain
        ("9123 4567", True),  # Singapore
        ("98765 43210", True),  # India
        ("(11) 91234-5678", True),  # Brazil
        ("0412 345 678", True),  # Australia
        ("123456789", False),  # 9 unformatted digits, not US
        ("1234567890", False),  # 10 digits, not a valid US number
        ("4111111111111111", False),  # a card number
        ("447911123456", False),  # E.164 without + in a string: ambiguous with IDs
        ("2023-01-15", False),  # date
        ("15.01.2023", False),
        ("192.168.1.10", False),  # IP address
        ("12.5", False),
        ("1-800-FLOWERS", False),  # vanity letters
        ("555-1234", False),  # too few digits for a valid number
        ("12 34 56 78", False),
        ("+0 123 456 789", False),
        ("", False),
    ],
)
def test_phone_valid(value: str, valid: bool) -> None:
    assert phone_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("340000136", True),
        ("C03005988", True),
        ("c03005988", True),
        ("111111111", False),
        ("123456789", False),  # ascending run
        ("12345678", False),
        ("AB1234567", False),
        ("A1234567", False),
        ("", False),
    ],
)
def test_us_passport_valid(value: str, valid: bool) -> None:
    assert us_passport_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("AY9150008", True),  # Italy (Faker's it_IT)
        ("ay9150008", True),
        ("TR0387156", True),  # Japan, Poland
        ("GA302922", True),  # Canada
        ("18AB12345", True),  # France
        ("PAB481537", True),  # Spain
        ("J8369854", True),  # India
        ("C01X00T47", True),  # Germany
        ("74 06 812415", True),  # Russia (Faker's ru_RU)
        ("8344 978690", True),
        ("AB1111111", False),  # one repeated digit
        ("AB12345678", False),
        ("A0123456", False),  # a letter and an ascending run
        ("C01A00T47", False),  # no vowels in a German number
        ("7406812415", False),  # the Russian form has its spaces
        ("340000136", False),  # the US forms are us_passport's
        ("", False),
    ],
)
def test_passport_valid(value: str, valid: bool) -> None:
    assert passport_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("A7654321", True),  # California
        ("d7654321", True),
        ("S530460720912", True),  # Florida
        ("S530-460-72-091-2", True),  # Florida print form
        ("48301923", True),  # Texas
        ("482 019 374", True),  # New York print form
        ("482AB9374", True),  # Iowa
        ("AB-1234", False),  # product code
        ("AB123456", False),  # two leading letters
        ("SKU123456", False),
        ("94110", False),  # ZIP
        ("94110-1234", False),  # ZIP+4
        ("482-01-9374", False),  # SSN print form
        ("hello", False),
        ("Springfield", False),
        ("1234567", False),  # ascending run
        ("7777777", False),
        ("A123", False),
        ("123456", False),
        ("S530-460 72-091-2", False),  # mixed separators
        ("", False),
    ],
)
def test_us_driver_license_valid(value: str, valid: bool) -> None:
    assert us_driver_license_valid(value) is valid


@pytest.mark.parametrize(
    ("born", "valid"),
    [
        (date(1990, 5, 17), True),
        (date(2024, 6, 1), True),  # today
        (date(1904, 6, 2), True),  # 119
        (date(1904, 6, 1), True),  # 120th birthday today
        (date(1903, 6, 2), True),  # still 120
        (date(1903, 6, 1), False),  # 121
        (date(2024, 6, 2), False),  # future
        (datetime(1990, 5, 17, 12, 30), True),
    ],
)
def test_date_of_birth_plausible(born: date, valid: bool) -> None:
    assert date_of_birth_plausible(born, date(2024, 6, 1)) is valid


def test_validators_registry_names_every_validator() -> None:
    expected = {
        "luhn", "card", "iban", "ssn", "nric", "ip", "email", "phone", "us_passport",
        "us_driver_license", "passport", "phone_digits",
    }  # fmt: skip
    assert expected <= set(VALIDATORS)
    assert VALIDATORS["iban"]("DE89 3704 0044 0532 0130 00") is True
    assert VALIDATORS["luhn"]("79927398713") is True


@pytest.mark.parametrize("name", sorted(VALIDATORS))
@pytest.mark.parametrize("junk", ["", " ", "\x00", "é" * 50, "9" * 200, "@@@", "+", "::::"])
def test_validators_never_raise(name: str, junk: str) -> None:
    assert VALIDATORS[name](junk) in (True, False)
