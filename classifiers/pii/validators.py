"""Validators for identifier formats: pure functions, no I/O, no network.

Every string validator takes an already-stripped candidate (for example a regex match) and
answers ``True`` or ``False``; none raises on any input and none logs, so a raw value can never
leak through an exception message or a log line. :data:`VALIDATORS` names them for the pattern
table and for custom entities declared in YAML.

The only package data read is tldextract's bundled public-suffix snapshot (for
:func:`email_valid` and :func:`url_valid`), loaded lazily once per process with every remote
list disabled, and ``phonenumbers``' bundled metadata.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final


def luhn_check_digit(payload: str) -> int:
    """The Luhn check digit that completes the decimal string ``payload``.

    :raises ValueError: ``payload`` holds a character that is not a decimal digit.
    """
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


#: Per ASCII digit, the digit sum of its double, as a character code (``bytes`` sums it).
_LUHN_DOUBLED: Final = str.maketrans("0123456789", "\x00\x02\x04\x06\x08\x01\x03\x05\x07\x09")


def luhn_valid(number: str) -> bool:
    """Whether the decimal string ``number`` (at least two digits) passes the Luhn check."""
    if len(number) < 2 or not number.isdecimal() or not number.isascii():
        return False
    # ``luhn_check_digit(number[:-1]) == int(number[-1])``, i.e. the digits from the right,
    # every second one doubled (digit sum), add up to a multiple of 10; summed as bytes
    # (issue 17: several times cheaper than int() per digit). ASCII digits only here.
    plain = number[-1::-2].encode("ascii")
    doubled = number[-2::-2].translate(_LUHN_DOUBLED).encode("ascii")
    return (sum(plain) - 48 * len(plain) + sum(doubled)) % 10 == 0


def _ascii_digits(s: str) -> bool:
    # str.isdigit() accepts superscripts and other scripts' digits; identifiers are ASCII.
    return s.isascii() and s.isdigit()


# --------------------------------------------------------------------------------------------
# Payment cards


#: IIN (BIN) prefix ranges as (low, high, digits of prefix) and the PAN lengths of each brand.
_CARD_BRANDS: Final[tuple[tuple[int, int, int, frozenset[int]], ...]] = (
    (4, 4, 1, frozenset({13, 16, 19})),  # Visa
    (51, 55, 2, frozenset({16})),  # Mastercard
    (2221, 2720, 4, frozenset({16})),  # Mastercard 2-series
    (34, 34, 2, frozenset({15})),  # American Express
    (37, 37, 2, frozenset({15})),
    (6011, 6011, 4, frozenset(range(16, 20))),  # Discover
    (644, 649, 3, frozenset(range(16, 20))),
    (65, 65, 2, frozenset(range(16, 20))),
    (3528, 3589, 4, frozenset(range(16, 20))),  # JCB
    (1800, 1800, 4, frozenset({15})),  # JCB legacy
    (2131, 2131, 4, frozenset({15})),
    (300, 305, 3, frozenset(range(14, 20))),  # Diners Club
    (36, 36, 2, frozenset(range(14, 20))),
    (38, 38, 2, frozenset(range(14, 20))),
    (62, 62, 2, frozenset(range(16, 20))),  # UnionPay
    (50, 50, 2, frozenset(range(12, 20))),  # Maestro
    (56, 58, 2, frozenset(range(12, 20))),
    (6, 6, 1, frozenset(range(12, 20))),
)
_CARD_SEPARATORS: Final = re.compile(r"[ \-]")


def card_brand_known(digits: str) -> bool:
    """Whether the PAN ``digits`` starts with a known IIN and has a length that brand issues."""
    for low, high, width, lengths in _CARD_BRANDS:
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def card_valid(s: str) -> bool:
    """Whether ``s`` is a payment card number.

    Accepts 13-19 ASCII digits, optionally grouped by single spaces or dashes, that pass the
    Luhn check and start with a known IIN (Visa, Mastercard, Amex, Discover, JCB, Diners,
    UnionPay, Maestro) with a length that brand issues (Amex 15, Mastercard 16, Visa 13/16/19).
    Rejects a number of one repeated digit. Limit: about one random 16-digit string starting
    with 4 in ten passes, so a lone match is weak evidence; the column decides.
    """
    if "  " in s or "--" in s or s[:1] in " -" or s[-1:] in " -":
        return False
    digits = _CARD_SEPARATORS.sub("", s)
    if not (13 <= len(digits) <= 19) or not _ascii_digits(digits):
        return False
    if len(set(digits)) == 1:
        return False
    return card_brand_known(digits) and luhn_valid(digits)


# --------------------------------------------------------------------------------------------
# IBAN

#: IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_LETTERS: Final = str.maketrans({chr(65 + k): str(10 + k) for k in range(26)})
_IBAN_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", re.ASCII)


def iban_valid(s: str) -> bool:
    """Whether ``s`` is an IBAN (ISO 13616).

    Accepts the electronic form (``DE89370400440532013000``) and the print form with single
    spaces (``DE89 3704 0044 0532 0130 00``), in either case. Checks the shape (two letters, two
    check digits 02-98, alphanumeric BBAN), the length for the ~80 countries of the SWIFT
    registry, any length 15-34 for other country codes, and the mod-97 check. Limit: the BBAN's
    national format and national check digits are not checked.
    """
    if "  " in s or s[:1] == " " or s[-1:] == " ":
        return False
    compact = s.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34) or not _IBAN_SHAPE.fullmatch(compact):
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    if not 2 <= int(compact[2:4]) <= 98:
        return False
    rearranged = compact[4:] + compact[:4]
    # Letters become 10..35 (compact is A-Z and 0-9 here); int() is exact for any length.
    return int(rearranged.translate(_IBAN_LETTERS)) % 97 == 1


# --------------------------------------------------------------------------------------------
# US Social Security number

_SSN_SHAPE: Final = re.compile(r"([0-9]{3})([- ]?)([0-9]{2})\2([0-9]{4})", re.ASCII)
#: Numbers published in advertising or as examples and never valid for a person.
_SSN_KNOWN_FAKE: Final = frozenset({"078051120", "219099999", "123456789", "987654321"})


def ssn_valid(s: str) -> bool:
    """Whether ``s`` is a US Social Security number that could have been issued.

    Accepts ``123-45-6780``, ``123 45 6780`` and ``123456780`` (one separator style
    throughout). Rejects area 000, 666 and 900-999, group 00, serial 0000, one repeated digit,
    and numbers known from advertising or examples (078-05-1120 Woolworth, 219-09-9999,
    123-45-6789, 987-65-4321). Limit: since 2011 areas are randomised, so about 89% of random
    9-digit strings pass; the value shape and the column carry the rest of the evidence.
    """
    m = _SSN_SHAPE.fullmatch(s)
    if m is None:
        return False
    area, _, group, serial = m.groups()
    digits = area + group + serial
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return len(set(digits)) > 1 and digits not in _SSN_KNOWN_FAKE


# --------------------------------------------------------------------------------------------
# Singapore NRIC / FIN

_NRIC_SHAPE: Final = re.compile(r"[STFGM][0-9]{7}[A-Z]", re.ASCII)
_NRIC_WEIGHTS: Final = (2, 7, 6, 5, 4, 3, 2)
_NRIC_TABLES: Final[dict[str, tuple[int, str]]] = {
    # prefix: (offset added to the weighted sum, check letters indexed by sum mod 11)
    "S": (0, "JZIHGFEDCBA"),
    "T": (4, "JZIHGFEDCBA"),
    "F": (0, "XWUTRQPNMLK"),
    "G": (4, "XWUTRQPNMLK"),
    "M": (3, "XWUTRQPNJLK"),
}


def nric_valid(s: str) -> bool:
    """Whether ``s`` is a Singapore NRIC or FIN with a correct check letter.

    Accepts prefix S, T (citizens and PRs), F, G, M (foreigners), seven digits and the check
    letter (weights 2,7,6,5,4,3,2; offset 4 for T/G, 3 for M), in any case. Limit: one random
    letter in eleven is right, so a random prefix+7 digits+letter passes about 9% of the time.
    """
    u = s.upper()
    if not _NRIC_SHAPE.fullmatch(u):
        return False
    offset, table = _NRIC_TABLES[u[0]]
    total = offset + sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, u[1:8], strict=True))
    return table[total % 11] == u[8]


# --------------------------------------------------------------------------------------------
# IP addresses


_OCTET: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4_EXACT: Final = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}", re.ASCII)
_IPV6_FULL: Final = re.compile(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}", re.ASCII)


def ip_valid(s: str) -> bool:
    """Whether ``s`` is an IPv4 address in dotted-quad form or an IPv6 address.

    Uses :mod:`ipaddress`, which requires exactly four IPv4 octets of 0-255 without leading
    zeros (so ``1.2.3`` and ``010.1.1.1`` are rejected) and accepts every RFC 4291 IPv6 text
    form, compressed (``2001:db8::1``, ``::``) or with an embedded IPv4 tail and a zone
    (``fe80::1%eth0``). Limit: a four-part version string ``1.2.3.4`` is a valid address.
    """
    if not s or not s.isascii() or s != s.strip():
        return False
    if _IPV4_EXACT.fullmatch(s) or _IPV6_FULL.fullmatch(s):
        # Exactly the dotted quads and full eight-group forms ipaddress accepts (issue 17:
        # it costs several microseconds a value); every other form goes to ipaddress.
        return True
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Domains, e-mail addresses, URLs

_TLD_LOCK: Final = threading.Lock()
_tld_extractor: Any = None


def _extractor() -> Any:
    """The tldextract extractor over its bundled snapshot, built once; never fetches or caches."""
    global _tld_extractor
    if _tld_extractor is None:
        with _TLD_LOCK:
            if _tld_extractor is None:
                import tldextract

                _tld_extractor = tldextract.TLDExtract(
                    suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
                )
    return _tld_extractor


_LABEL: Final = re.compile(r"(?!-)[a-z0-9\-]{1,63}(?<!-)", re.ASCII)


@lru_cache(maxsize=8192)
def domain_valid(host: str) -> bool:
    """Whether ``host`` is a domain name with a registrable label under a real public suffix.

    Checked against the bundled public-suffix list (``example.com``, ``shop.example.co.uk``,
    ``xn--bcher-kva.de`` pass). Unicode labels are converted with IDNA first. Rejects single
    labels (``localhost``), bare suffixes (``co.uk``) and made-up top-level domains
    (``example.invalidtld``).
    """
    if not host or len(host) > 253 or host.endswith(".") or ".." in host:
        return False
    h = host.lower()
    if not h.isascii():
        try:
            h = h.encode("idna").decode("ascii")
        except UnicodeError:
            return False
    labels = h.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    if labels[-1].isdigit():
        return False
    parts = _extractor()(h)
    return bool(parts.suffix) and bool(parts.domain)


_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_EMAIL_LOCAL: Final = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")


def email_valid(s: str) -> bool:
    """Whether ``s`` is an e-mail address ``local@domain`` with a real top-level domain.

    The local part is an RFC 5322 dot-atom of at most 64 characters (ASCII, or Unicode letters
    and digits per RFC 6531); the domain must pass :func:`domain_valid`, checked offline against
    the bundled public-suffix list. Limits: quoted local parts and IP-literal domains are
    rejected; whether the mailbox exists is unknowable offline.
    """
    if len(s) > 254 or s.count("@") != 1:
        return False
    local, domain = s.split("@")
    if not local or len(local) > 64:
        return False
    if local.isascii():
        if not _EMAIL_LOCAL.fullmatch(local):
            return False
    elif not all(ch.isalnum() or ch in "._+-" for ch in local) or ".." in local:
        return False
    if local[0] == "." or local[-1] == ".":
        return False
    return domain_valid(domain)


_URL: Final = re.compile(
    r"(?:(?P<scheme>https?|ftp)://)?"
    r"(?:[^\s/?#@:]+(?::[^\s/?#@]*)?@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/?#:\[\]@]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<rest>[/?#][^\s]*)?",
    re.IGNORECASE,
)


def url_valid(s: str) -> bool:
    """Whether ``s`` is a web address.

    Accepts ``http``, ``https`` and ``ftp`` URLs whose host is a domain under a real public
    suffix, an IP address or ``localhost``, and scheme-less ``www.`` forms and bare
    ``domain/path`` forms whose host is a domain under a real public suffix. Rejects e-mail
    addresses, bare domains without a path (``example.com`` alone: too close to file names) and
    ports above 65535.
    """
    m = _URL.fullmatch(s)
    if m is None or "@" in s and m.group("scheme") is None:
        return False
    host = m.group("host")
    port = m.group("port")
    if port is not None and int(port) > 65535:
        return False
    if m.group("scheme") is not None:
        if host.lower() == "localhost" or domain_valid(host):
            return True
        return ip_valid(host[1:-1] if host.startswith("[") else host)
    if host.lower().startswith("www."):
        return domain_valid(host)
    return m.group("rest") is not None and len(m.group("rest")) > 1 and domain_valid(host)


# --------------------------------------------------------------------------------------------
# Phone numbers

#: Regions tried for numbers written without an international prefix.
PHONE_REGIONS: Final = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "SG", "AU", "CA", "BR")
# Country codes whose national numbers are written with a trunk prefix 0 (GB, DE, FR, NL, IN,
# AU, BR) and those written without one (US/CA, ES, SG, IN and BR mobiles). A number without
# the trunk 0 is not tried in the first group: their parsers accept a missing trunk prefix, and
# then many random digit strings would be "valid". Italy (39) keeps its 0 as part of the number.
_TRUNK_ZERO_CODES: Final = (44, 49, 33, 31, 91, 61, 55)
_NO_TRUNK_CODES: Final = (1, 34, 65, 39, 91, 55)
#: The regions of :data:`PHONE_REGIONS` per country code; checking these regions only is much
#: cheaper than libphonenumber's search over every region sharing a code (25 for +1).
_CODE_REGIONS: Final[dict[int, tuple[str, ...]]] = {
    1: ("US", "CA"), 44: ("GB",), 49: ("DE",), 33: ("FR",), 34: ("ES",), 39: ("IT",),
    31: ("NL",), 91: ("IN",), 65: ("SG",), 61: ("AU",), 55: ("BR",),
}  # fmt: skip
_ITALY: Final = 39
_PHONE_CHARS: Final = re.compile(r"\+?[0-9 ().\-/]+", re.ASCII)
_PHONE_EXT: Final = re.compile(r"(.*?[0-9)])\s*(?:ext\.?|x|#)\s*[0-9]{1,6}", re.ASCII | re.I)
_DATE_LIKE: Final = re.compile(
    r"[0-9]{4}[\-./][0-9]{1,2}[\-./][0-9]{1,2}|[0-9]{1,2}[\-./][0-9]{1,2}[\-./][0-9]{2,4}",
    re.ASCII,
)
_DOTTED_QUAD: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", re.ASCII)
_PHONE_SEPARATORS: Final = str.maketrans("", "", "+ ().-/")


class _RegionCheck:
    """libphonenumber's "valid for this region" test with the metadata read once (issue 17).

    ``phonenumbers.is_valid_number_for_region`` looks the region's metadata up, compiles (from
    its cache) and matches each number type's pattern through several calls per type; this is
    the same test (the general description, then any type: premium, toll free, shared cost,
    VoIP, personal, pager, UAN, voicemail, fixed line, mobile; each a length check, then a full
    match of its national-number pattern) on descriptions unpacked once per region.
    ``tests/unit/test_pii_validator_speed.py`` checks it equals phonenumbers' answer.
    """

    __slots__ = ("country_code", "leading_digits", "general", "types")

    _TYPES: Final = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
                     "pager", "uan", "voicemail", "fixed_line", "mobile")  # fmt: skip

    def __init__(self, metadata: Any) -> None:
        self.country_code: int = metadata.country_code
        lead = metadata.leading_digits
        self.leading_digits = re.compile(lead) if lead is not None else None
        self.general = self._desc(metadata.general_desc)
        self.types = tuple(
            d for d in (self._desc(getattr(metadata, t)) for t in self._TYPES) if d is not None
        )

    @staticmethod
    def _desc(desc: Any) -> tuple[frozenset[int], re.Pattern[str]] | None:
        if desc is None or not desc.national_number_pattern:
            return None
        return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)

    @staticmethod
    def _matches(nsn: str, desc: tuple[frozenset[int], re.Pattern[str]] | None) -> bool:
        if desc is None:
            return False
        lengths, pattern = desc
        if lengths and len(nsn) not in lengths:
            return False
        return pattern.fullmatch(nsn) is not None

    def valid(self, nsn: str) -> bool:
        """Whether the national significant number ``nsn`` is of a known type here."""
        if not self._matches(nsn, self.general):
            return False
        return any(self._matches(nsn, d) for d in self.types)


@lru_cache(maxsize=512)
def _region_check(region: str) -> _RegionCheck | None:
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region, None)
    return _RegionCheck(metadata) if metadata is not None else None


def _nsn(number: Any) -> str:
    """``phonenumbers.national_significant_number`` (leading zeros, then the number)."""
    zeros = ""
    if number.italian_leading_zero:
        n = number.number_of_leading_zeros
        zeros = "0" * (1 if n is None else n)
    return zeros + str(number.national_number)


def _valid_for_region(code: int, nsn: str, region: str) -> bool:
    """``phonenumbers.is_valid_number_for_region`` of a number with a geographic region."""
    check = _region_check(region)
    return check is not None and check.country_code == code and check.valid(nsn)


def _number_valid(number: Any) -> bool:
    """``phonenumbers.is_valid_number``: valid for the region its country code gives it."""
    return _code_nsn_valid(number.country_code, _nsn(number), number)


def _code_nsn_valid(code: int, nsn: str, number: Any = None) -> bool:
    """Whether national significant number ``nsn`` is valid under country code ``code``.

    As libphonenumber: one region for the code is that region; of several, the first whose
    leading digits match the number, or (without leading digits) that it is valid in.
    Non-geographic codes (``+800`` ...) go to phonenumbers itself, with ``number`` (the parsed
    ``PhoneNumber``) or one built from ``code`` and ``nsn``.
    """
    import phonenumbers
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return False
    if any(_region_check(r) is None for r in regions):
        if number is None:
            number = phonenumbers.parse("+" + str(code) + nsn, None)
        return bool(phonenumbers.is_valid_number(number))
    if len(regions) == 1:
        return _valid_for_region(code, nsn, regions[0])
    for region in regions:
        check = _region_check(region)
        assert check is not None  # checked above
        if check.leading_digits is not None:
            if check.leading_digits.match(nsn):
                return _valid_for_region(code, nsn, region)
        elif check.valid(nsn):
            return _valid_for_region(code, nsn, region)
    return False


#: Country calling codes are one to three digits (libphonenumber's _MAX_LENGTH_COUNTRY_CODE).
_MAX_CODE_DIGITS: Final = 3
#: The longest national significant number libphonenumber parses (_MAX_LENGTH_FOR_NSN).
_MAX_NSN_DIGITS: Final = 17


@lru_cache(maxsize=512)
def _national_prefix(code: int) -> re.Pattern[str] | None:
    """The national-prefix-for-parsing pattern of ``code``'s main region, if it has one."""
    from phonenumbers import PhoneMetadata, region_code_for_country_code

    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        code, region_code_for_country_code(code)
    )
    prefix = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(prefix) if prefix else None


def _international_valid(number: str) -> bool:
    """Whether ``+`` then digits and separators (:data:`_PHONE_CHARS`) is a valid number.

    What ``phonenumbers.parse(number, None)`` then ``is_valid_number`` decide, without the
    parser in the common case (it costs as much as the validity check and runs once per
    distinct candidate): the country code is the first one to three digits that name one, the
    rest is the national significant number. Where the code's region has a national prefix
    that the rest starts with, phonenumbers may strip it, so it parses those itself
    (``tests/unit/test_phone_international.py`` holds the two paths equal).
    """
    digits = number.translate(_PHONE_SEPARATORS)
    if not digits.isdigit() or not digits.isascii() or len(digits) <= 2 or digits[0] == "0":
        return _parsed_valid(number)
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    for width in range(1, _MAX_CODE_DIGITS + 1):
        code = int(digits[:width])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return False  # no country calling code: phonenumbers raises INVALID_COUNTRY_CODE
    nsn = digits[width:]
    if len(nsn) < 2:
        return False  # TOO_SHORT_NSN
    prefix = _national_prefix(code)
    if prefix is not None and prefix.match(nsn):
        return _parsed_valid(number)
    if len(nsn) > _MAX_NSN_DIGITS:
        return False  # TOO_LONG, which parse checks after the national prefix
    return _code_nsn_valid(code, nsn)


def _parsed_valid(number: str) -> bool:
    """``number`` parsed by ``phonenumbers.parse`` (``False`` when it raises), then checked."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return _number_valid(parsed)


def _national_valid(digits: str, codes: tuple[int, ...]) -> bool:
    """Whether the national-format ``digits`` are a valid number under one of ``codes``.

    Builds the national significant number directly instead of parsing the text once per
    region: libphonenumber's parser costs as much as the validity check, and this runs once per
    distinct candidate. The number is what ``phonenumbers.PhoneNumber(country_code=code,
    national_number=..., italian_leading_zero=...)`` would hold (Italy keeps one leading 0;
    elsewhere the trunk 0, or a NANP leading 1, is dropped).
    """
    for code in codes:
        if code == _ITALY:
            nsn = ("0" if digits[0] == "0" else "") + str(int(digits))
        elif digits[0] == "0":
            if digits[1:2] == "0":
                continue
            nsn = str(int(digits[1:]))
        elif code == 1 and len(digits) == 11 and digits[0] == "1":
            nsn = str(int(digits[1:]))
        else:
            nsn = str(int(digits))
        for region in _CODE_REGIONS[code]:
            if _valid_for_region(code, nsn, region):
                return True
    return False


def _phone_parts(s: str) -> tuple[str, str] | None:
    """``s`` without its extension and its digits, when it is written as a phone number.

    What :func:`phone_valid` and :func:`phone_shaped` both ask first: at most 40 ASCII
    characters, digits and the separators space, dot, dash, slash and parentheses (balanced),
    a ``+`` only in front, 7-15 digits not all one, not a date nor a dotted quad. ``None``
    otherwise. Pure.
    """
    if not s or len(s) > 40 or not s.isascii():
        return None
    m = _PHONE_EXT.fullmatch(s)
    body = m.group(1) if m else s
    if not _PHONE_CHARS.fullmatch(body) or "+" in body[1:]:
        return None
    if _DATE_LIKE.fullmatch(body) or _DOTTED_QUAD.fullmatch(body):
        return None
    # body is ASCII digits and separators here (_PHONE_CHARS): drop the separators.
    digits = body.translate(_PHONE_SEPARATORS)
    if not 7 <= len(digits) <= 15 or len(set(digits)) == 1:
        return None
    if body.count("(") != body.count(")"):
        return None
    return body, digits


@lru_cache(maxsize=16384)
def phone_valid(s: str) -> bool:
    """Whether ``s`` is a telephone number valid by libphonenumber's metadata.

    Accepts an international number (``+44 20 7946 0958``; ``00``/``011`` prefixes too) valid
    for its country code, or a national number valid in one of :data:`PHONE_REGIONS`, with
    7-15 digits, an optional extension (``x123``, ``ext. 123``) and the separators space, dot,
    dash, slash and parentheses. National numbers starting with the trunk prefix 0 are tried in
    the regions that use it; others in the regions that write numbers without one. Rejects
    letters (vanity numbers), dates, dotted quads, and unformatted digit strings unless they are
    10 digits valid in the US, 11 digits ``1`` + a valid US number, or 9-11 digits starting
    with a single trunk 0 valid in a region (``0612345678``, ``01701234567``). Limits:
    unformatted E.164 numbers without ``+`` and unformatted 8-digit local numbers (Singapore)
    are rejected on purpose, because order and customer IDs look the same.
    """
    parts = _phone_parts(s)
    if parts is None:
        return False
    body, digits = parts
    if body[0] == "+":
        return _international_valid(body)
    for prefix in ("00", "011"):
        if body.startswith(prefix) and not body.startswith(prefix + "0"):
            return _international_valid("+" + body[len(prefix) :])
    if digits == body:  # unformatted
        if len(digits) == 10 and digits[0] != "0":
            return _national_valid(digits, (1,))
        if len(digits) == 11 and digits[0] == "1":
            return _national_valid(digits, (1,))
        if 9 <= len(digits) <= 11 and digits[0] == "0":
            return _national_valid(digits, (*_TRUNK_ZERO_CODES, _ITALY))
        return False
    if "." in body and not any(ch in body for ch in " -/()") and body.count(".") < 2:
        return False  # a decimal number, not a dotted phone number
    if digits[0] == "0":
        return _national_valid(digits, (*_TRUNK_ZERO_CODES, _ITALY))
    return _national_valid(digits, _NO_TRUNK_CODES)


#: Numbers that are not phone numbers: a decimal (``0.12345678``), thousands groups
#: (``1.234.567``, ``1 234 567,89``), a value starting with a date (``2024 01 15``).
_DECIMAL: Final = re.compile(r"\+?[0-9]+[.,][0-9]+", re.ASCII)
_THOUSANDS: Final = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*(?:[ .,][0-9]+)?"
                               r"|[0-9]{1,3}(?: [0-9]{3})+[.,][0-9]+", re.ASCII)  # fmt: skip
_DATE_START: Final = re.compile(
    r"(?:19|20)[0-9]{2}[ ./\-](?:0?[1-9]|1[0-2])[ ./\-](?:0?[1-9]|[12][0-9]|3[01])(?![0-9])",
    re.ASCII,
)


#: A Chinese mobile number as written at home: eleven digits, ``1`` and a second digit 3-9
#: (an operator block; random eleven-digit codes start so one time in thirteen).
CN_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}", re.ASCII)


def phone_shaped(s: str) -> bool:
    """Whether ``s`` is written as a telephone number, whatever its digits.

    Digits with the separators space, dot, dash, slash and parentheses (an optional leading
    ``+`` and extension), 7-15 digits, balanced parentheses, and at least one separator or a
    ``+``, a leading trunk ``0`` or ``8``, or the bare Chinese mobile form (eleven digits
    led by ``1`` and 3-9). Not a date (or a value starting with one), a dotted quad, one
    repeated digit, a negative or decimal number or thousands groups. No metadata and no
    pattern of a national form: the Dutch ``0837 783533`` matches no phone pattern and ``8
    (837) 478-85-77`` (an unassigned area code, as in test data) fails :func:`phone_valid`,
    and account numbers have the same shapes, so only a column name that says phone may call
    these phone numbers (``phone.name_shape`` in
    :mod:`classifiers.pii.decide`). Pure; never raises.
    """
    parts = _phone_parts(s)
    if parts is None:
        return False
    body, digits = parts
    if body[0] == "-" or _DATE_START.match(body):
        return False
    if _DECIMAL.fullmatch(body) or _THOUSANDS.fullmatch(body):
        return False
    return digits != body or body[0] in "08" or CN_MOBILE.fullmatch(body) is not None


def phone_digits_valid(digits: str) -> bool:
    """Whether ``digits`` (an integer's decimal digits) is a phone number that lost its ``+``.

    Ten digits, or eleven led by ``1``, as a US number; eleven digits led by ``1`` and 3-9
    that are no US number as a Chinese mobile (written without ``+86`` at home); any other
    length as an E.164 number. Only with a column name saying phone (integers are any
    identifier: ``PHONE_SPEC.needs_name_in_integers``). Pure; never raises.
    """
    if len(digits) == 10 or (len(digits) == 11 and digits[0] == "1"):
        if phone_valid(digits):
            return True
        return CN_MOBILE.fullmatch(digits) is not None and phone_valid("+86" + digits)
    return phone_valid("+" + digits)


# --------------------------------------------------------------------------------------------
# US passport and driver's licence

_US_PASSPORT: Final = re.compile(r"[A-Z]?[0-9]{8}|[0-9]{9}", re.ASCII)
_SEQUENTIAL: Final = frozenset({"123456789", "987654321", "12345678", "87654321", "01234567"})


def us_passport_valid(s: str) -> bool:
    """Whether ``s`` has the shape of a US passport number.

    Accepts nine digits (books issued before 2021) or one letter and eight digits (next
    generation, any case). Rejects one repeated digit and ascending/descending runs. Limit: no
    check digit exists, so any 9-digit number passes; only the column name can make it a
    passport.
    """
    u = s.upper()
    if not _US_PASSPORT.fullmatch(u):
        return False
    digits = u[1:] if u[0].isalpha() else u
    return len(set(digits)) > 1 and digits not in _SEQUENTIAL


#: Other countries' passport numbers: two letters and seven digits (Italy, Japan, Poland),
#: two letters and six (Canada, Brazil), digits-letters-digits (France), three letters and six
#: (Spain), a letter and seven (India), Germany's nine characters without vowels, and the
#: Russian series and number (``74 06 812415``, ``8344 978690``).
_PASSPORT_NATIONAL: Final = re.compile(
    r"[A-Z]{2}[0-9]{6,7}|[0-9]{2}[A-Z]{2}[0-9]{5}|[A-Z]{3}[0-9]{6}|[A-Z][0-9]{7}"
    r"|[CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{8}|[0-9]{2} ?[0-9]{2} [0-9]{6}",
    re.ASCII,
)


def passport_valid(s: str) -> bool:
    """Whether ``s`` has the shape of a passport number of another country than the US.

    The shapes of :data:`_PASSPORT_NATIONAL`, any case; at least five digits, not one
    repeated digit nor an ascending or descending run. Limit: none has a check digit a
    number shows, so only the column name can make it a passport
    (:data:`~classifiers.pii.entities.builtin.PASSPORT_SPEC` needs it).
    """
    u = s.upper()
    if not _PASSPORT_NATIONAL.fullmatch(u):
        return False
    digits = "".join(c for c in u if c.isdigit())
    run = digits in "0123456789" or digits in "9876543210"
    return len(digits) >= 5 and len(set(digits)) > 1 and not run


_DL_LETTER_DIGITS: Final = re.compile(r"[A-Z][0-9]{6,14}", re.ASCII)
_DL_DIGITS: Final = re.compile(r"[0-9]{7,13}", re.ASCII)
_DL_IOWA: Final = re.compile(r"[0-9]{3}[A-Z]{2}[0-9]{4}", re.ASCII)
_DL_WASHINGTON: Final = re.compile(r"[A-Z*]{7}[0-9]{3}[A-Z0-9]{2}", re.ASCII)
_DL_GROUPED: Final = re.compile(
    # Print forms: Florida/Illinois/Michigan ``S123-456-78-901-0``/``L123 4567 8901`` (a letter,
    # then digit groups with ONE separator style) and New York's ``123 456 789``.
    r"[A-Z][0-9]{3}(?P<sep>[ \-])[0-9]{3,4}(?:(?P=sep)[0-9]{2,4}){1,3}(?:(?P=sep)[0-9])?"
    r"|[0-9]{3} [0-9]{3} [0-9]{3}",
    re.ASCII,
)
_SSN_PRINT: Final = re.compile(r"[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}", re.ASCII)
_ZIP_PLUS4: Final = re.compile(r"[0-9]{5}-[0-9]{4}", re.ASCII)


def us_driver_license_valid(s: str) -> bool:
    """Whether ``s`` has the shape of a US driver's licence number, deliberately strictly.

    Accepted shapes (uppercased):

    * one letter + 6-14 digits (CA ``A1234567``, FL/MI/MN/MD ``A123456789012``, NJ, WI, IL);
    * 7-13 digits, unformatted (NY, TX, PA, and many other states);
    * Iowa's ``123AB4567`` and Washington's legacy ``DOEJ**A123B4``-like 12-character form;
    * a grouped print form: optional letter, then digit groups separated by one style of
      separator (``S123-456-78-901-0``, ``123 456 789``).

    Rejected: anything without a digit (so every ordinary word), two or more leading letters
    (``AB-1234``, ``SKU123456`` product codes), ZIP and ZIP+4 codes, the SSN print form
    ``123-45-6789``, one repeated digit and ascending runs. Limit: the accepted shapes still
    cover every 7-13-digit number and single-letter-prefixed codes (``A1234567`` can be an
    invoice), so a driver's licence is never decidable from values alone; the pattern scores
    are low and the column name has to say it.
    """
    if not s or len(s) > 20 or not s.isascii():
        return False
    u = s.upper()
    if _ZIP_PLUS4.fullmatch(u):
        return False
    if _DL_GROUPED.fullmatch(u):
        compact = u.replace("-", "").replace(" ", "")
    elif _DL_LETTER_DIGITS.fullmatch(u) or _DL_DIGITS.fullmatch(u) or _DL_IOWA.fullmatch(u):
        compact = u
    elif _DL_WASHINGTON.fullmatch(u) and any(ch.isdigit() for ch in u[7:]):
        return True
    else:
        return False
    digits = "".join(ch for ch in compact if ch.isdigit())
    if len(set(digits)) == 1 or digits in _SEQUENTIAL or digits in "1234567890123":
        return False
    return not _SSN_PRINT.fullmatch(u)


# --------------------------------------------------------------------------------------------
# Dates

MAX_AGE_YEARS: Final = 120


def date_of_birth_plausible(d: date, today: date) -> bool:
    """Whether ``d`` can be a living or recently living person's date of birth on ``today``.

    True when ``d`` is not after ``today`` and at most :data:`MAX_AGE_YEARS` years before it.
    A :class:`datetime.datetime` is compared by its date.
    """
    # datetime is a date subclass; compare calendar dates only.
    d0 = d.date() if isinstance(d, datetime) else d
    t0 = today.date() if isinstance(today, datetime) else today
    if d0 > t0:
        return False
    years = t0.year - d0.year - ((t0.month, t0.day) < (d0.month, d0.day))
    return years <= MAX_AGE_YEARS


# --------------------------------------------------------------------------------------------
# National identifiers: Italy, Spain, Brazil, France, the Netherlands, Poland, Korea, China

#: Codice fiscale: six letters (surname, name), two year characters, a month letter, two day
#: characters, a place code (letter + three), the check letter. Digits of the date and place
#: may be replaced by the letters L-V (omocodia).
_IT_FISCAL: Final = re.compile(
    r"[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]", re.ASCII
)
_IT_OMOCODIA: Final = str.maketrans("LMNPQRSTUV", "0123456789")
_IT_ODD: Final = dict(
    zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
         11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23], strict=True)
)  # fmt: skip


def it_fiscal_code_valid(s: str) -> bool:
    """Whether ``s`` is an Italian codice fiscale with a correct check letter.

    Sixteen characters in the official layout (any case), the omocodia letters allowed, a
    day of 01-31 (41-71 for women); the check letter is the sum of the odd positions' table
    values and the even positions' ordinals, modulo 26 (Presidio's ``ItFiscalCodeRecognizer``
    computes the same). One random string of the layout in 26 passes.
    """
    u = s.upper()
    if len(u) != 16 or not _IT_FISCAL.fullmatch(u):
        return False
    # The day (plus 40 for women), its digits possibly omocodia letters (L-V for 0-9).
    day = int(u[9:11].translate(_IT_OMOCODIA))
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    total = sum(_IT_ODD[c] for c in u[0:15:2]) + sum(
        int(c) if c.isdigit() else ord(c) - 65 for c in u[1:15:2]
    )
    return chr(65 + total % 26) == u[15]


_ES_NIF: Final = re.compile(r"([0-9]{8}|[XYZ][0-9]{7})-?([A-Z])", re.ASCII)
_ES_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif_valid(s: str) -> bool:
    """Whether ``s`` is a Spanish DNI/NIF or NIE with its check letter.

    Eight digits (DNI/NIF) or X, Y or Z and seven digits (NIE), then the letter of the number
    modulo 23 (an NIE's X/Y/Z count as 0/1/2). An optional dash before the letter, any case.
    One random letter in 23 is right.
    """
    m = _ES_NIF.fullmatch(s.upper())
    if m is None:
        return False
    body = m.group(1)
    number = int(str("XYZ".index(body[0])) + body[1:]) if body[0] in "XYZ" else int(body)
    return _ES_LETTERS[number % 23] == m.group(2)


_BR_CPF: Final = re.compile(r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}", re.ASCII)


def br_cpf_valid(s: str) -> bool:
    """Whether ``s`` is a Brazilian CPF with both check digits right.

    ``123.456.789-09`` or eleven bare digits; each check digit is 11 minus the weighted sum
    (weights 10..2, then 11..2) modulo 11, 0 when that is 10 or 11. One repeated digit is
    refused. One random number in 100 passes: a column of identifiers that all pass is CPFs.
    """
    if not _BR_CPF.fullmatch(s):
        return False
    d = [int(c) for c in s if c.isdigit()]
    if len(set(d)) == 1:
        return False
    for n in (9, 10):
        check = sum(w * x for w, x in zip(range(n + 1, 1, -1), d[:n], strict=True)) * 10 % 11
        if check % 10 != d[n]:
            return False
    return True


_FR_NIR: Final = re.compile(
    r"([1278])\s?([0-9]{2})\s?(0[1-9]|1[0-2]|[2-9][0-9])\s?([0-9]{2}|2[AB])\s?([0-9]{3})\s?"
    r"([0-9]{3})\s?([0-9]{2})",
    re.ASCII,
)


def fr_nir_valid(s: str) -> bool:
    """Whether ``s`` is a French social security number (NIR) with its key.

    Sex (1, 2, or 7, 8 for provisional numbers), year, month (01-12, or 20-99 when
    unknown), department (two digits, ``2A``/``2B`` for Corsica), commune and order (three
    digits each), then the key: 97 minus the first thirteen digits modulo 97 (Corsica's
    ``2A``/``2B`` read as 19/18). Spaces between the groups allowed. One random number in 97
    passes the key.
    """
    m = _FR_NIR.fullmatch(s.strip().upper())
    if m is None:
        return False
    dept = m.group(4)
    body = "".join(m.groups()[:6])
    if dept in ("2A", "2B"):
        body = body.replace(dept, "19" if dept == "2A" else "18", 1)
    return 97 - int(body) % 97 == int(m.group(7))


def nl_bsn_valid(s: str) -> bool:
    """Whether ``s`` is a Dutch citizen service number (BSN) passing the eleven test.

    Nine digits (eight with a leading zero dropped are padded), weights 9..2 and -1, the sum
    a multiple of 11 and not 0. One random nine-digit number in 11 passes, so only the
    column name makes it a BSN (:data:`~classifiers.pii.entities.builtin.NL_BSN_SPEC`).
    """
    if not s.isdigit() or not 8 <= len(s) <= 9 or not s.isascii():
        return False
    d = [int(c) for c in s.zfill(9)]
    total = sum(w * x for w, x in zip(range(9, 1, -1), d[:8], strict=True)) - d[8]
    return total != 0 and total % 11 == 0


_PL_WEIGHTS: Final = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def pl_pesel_valid(s: str) -> bool:
    """Whether ``s`` is a Polish PESEL: eleven digits, a birth date and the check digit.

    The month carries the century (01-12 for the 1900s, 21-32 the 2000s, 41-52, 61-72,
    81-92 the 1800s), the date must exist, and the last digit is 10 minus the weighted sum
    (1, 3, 7, 9 ...) modulo 10. About one random number in 50 passes.
    """
    if len(s) != 11 or not s.isdigit() or not s.isascii():
        return False
    month, day = int(s[2:4]), int(s[4:6])
    century = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}[month - month % 20]
    try:
        date(century + int(s[0:2]), month % 20, day)
    except ValueError:  # month 00 or 13-19, 31 April, 30 February
        return False
    total = sum(w * int(c) for w, c in zip(_PL_WEIGHTS, s, strict=False))
    return (10 - total % 10) % 10 == int(s[10])


_KR_RRN: Final = re.compile(r"[0-9]{6}-?[0-9]{7}", re.ASCII)


def kr_rrn_valid(s: str) -> bool:
    """Whether ``s`` has the shape of a Korean resident registration number.

    Six digits, an optional dash, seven digits. Numbers issued since October 2020 have no
    check digit and test data writes impossible dates (Faker's ``000028-...``), so nothing
    more is checked: corporate registration numbers share the shape, and only the column
    name makes it an RRN (:data:`~classifiers.pii.entities.builtin.KR_RRN_SPEC`).
    """
    return _KR_RRN.fullmatch(s) is not None and len(set(s.replace("-", ""))) > 1


_KR_RRN_DATED: Final = re.compile(
    r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])-[1-8][0-9]{6}", re.ASCII
)


def kr_rrn_dated(s: str) -> bool:
    """Whether ``s`` is a Korean RRN written with its dash and a birth date.

    ``YYMMDD-GNNNNNN``: month 01-12, day 01-31, and a sex and century digit ``G`` of 1-8.
    More than :func:`kr_rrn_valid`'s shape (a corporate registration number's too): about
    one random six digits in twenty-seven is such a date (months 12 in 100, days 31 in 100),
    and with the sex digit one random dashed code in thirty. Pure; never raises.
    """
    return _KR_RRN_DATED.fullmatch(s) is not None


_CN_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK: Final = "10X98765432"


def cn_resident_id_valid(s: str) -> bool:
    """Whether ``s`` is a Chinese resident identity card number with its check character.

    Eighteen characters: six digits of region, the birth date ``YYYYMMDD`` (1900-2099, month
    1-12, day 1-31), three digits of sequence and the ISO 7064 MOD 11-2 check (``X`` for 10,
    any case). About one random number in 11 passes the check.
    """
    if len(s) != 18 or not s.isascii() or not s[:17].isdigit():
        return False
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not 1900 <= year <= 2099 or not 1 <= month <= 12 or not 1 <= day <= 31:
        return False
    total = sum(w * int(c) for w, c in zip(_CN_WEIGHTS, s, strict=False))
    return _CN_CHECK[total % 11] == s[17].upper()


#: String validators by the name a pattern (builtin or custom YAML) refers to them with.
VALIDATORS: Final[dict[str, Callable[[str], bool]]] = {
    "luhn": luhn_valid,
    "card": card_valid,
    "iban": iban_valid,
    "ssn": ssn_valid,
    "nric": nric_valid,
    "ip": ip_valid,
    "email": email_valid,
    "url": url_valid,
    "domain": domain_valid,
    "phone": phone_valid,
    "phone_digits": phone_digits_valid,
    "us_passport": us_passport_valid,
    "passport": passport_valid,
    "us_driver_license": us_driver_license_valid,
    "it_fiscal_code": it_fiscal_code_valid,
    "es_nif": es_nif_valid,
    "br_cpf": br_cpf_valid,
    "fr_nir": fr_nir_valid,
    "nl_bsn": nl_bsn_valid,
    "pl_pesel": pl_pesel_valid,
    "kr_rrn": kr_rrn_valid,
    "cn_resident_id": cn_resident_id_valid,
}
