r"""The built-in entities: one :class:`EntitySpec` each, the only place they are described.

Entity names follow Presidio's. Patterns are listed in the order they are scanned; keywords
are folded like column-name tokens (lower case, no accents, umlauts spelled ``ae``/``oe``/
``ue``: an umlaut keyword also matches the plain-vowel spelling, ``fuhrerschein``). The
confidences are what the benchmark showed a dense call of each kind is worth.

PERSON, STREET_ADDRESS and DATE_OF_BIRTH have no patterns: NER, address shapes and date
ranges decide them (:mod:`classifiers.pii.decide`); their specs still carry their keywords,
mask and tag. To add an entity, see docs/pii-entities.md.
"""

from __future__ import annotations

from typing import Final

from classifiers.pii.entities.spec import EntityRegistry, EntitySpec, PatternSpec

EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
SSN = "US_SSN"
CARD = "CREDIT_CARD"
IBAN = "IBAN_CODE"
IP = "IP_ADDRESS"
URL = "URL"
IT_FISCAL = "IT_FISCAL_CODE"
ES_NIF = "ES_NIF"
BR_CPF = "BR_CPF"
FR_NIR = "FR_NIR"
NL_BSN = "NL_BSN"
PL_PESEL = "PL_PESEL"
KR_RRN = "KR_RRN"
CN_RESIDENT_ID = "CN_RESIDENT_ID"
DRIVER_LICENSE = "US_DRIVER_LICENSE"
PASSPORT = "US_PASSPORT"
NRIC = "SG_NRIC_FIN"
PERSON = "PERSON"
STREET_ADDRESS = "STREET_ADDRESS"
DATE_OF_BIRTH = "DATE_OF_BIRTH"

# Shared fragments. Lookbehinds/lookaheads keep matches from starting or ending inside a longer
# token; RE2 cannot run them, so they are removed for the prefilter.
_EXT = r"(?:[ ]?(?:ext\.?|x|\#)[ ]?[0-9]{1,6})?"
_H = r"[0-9A-Fa-f]{1,4}"
_V4 = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
_V6 = (
    rf"(?:(?:{_H}:){{6}}{_V4}"
    rf"|(?:{_H}(?::{_H}){{0,4}})?::(?:{_H}:){{0,4}}{_V4}"
    rf"|(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}(?::{_H}){{0,6}})?::(?:{_H}(?::{_H}){{0,6}})?)"
    r"(?:%[0-9A-Za-z_.\-]+)?"
)
_URL_TAIL = r"(?:[/?#](?:[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}])?)?"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})+"
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_EMAIL_LOCAL = rf"{_ATEXT}(?:\.{_ATEXT})*"


EMAIL_SPEC = EntitySpec(
    EMAIL,
    "an e-mail address",
    patterns=(
        PatternSpec(
            EMAIL,
            "email",
            rf"(?<![A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.\-]){_EMAIL_LOCAL}@{_DOMAIN}(?![A-Za-z0-9\-])",
            "email",
            0.95,
        ),
    ),
    keywords={
        "en": [("email", 1.0), ("e mail", 1.0), ("mail", 0.6), ("email address", 1.0),
               ("mail address", 0.9)],
        "de": [("mailadresse", 1.0)],
        "fr": [("courriel", 1.0)],
        "es": [("correo", 0.8), ("correo electronico", 1.0)],
        "it": [("posta elettronica", 1.0)],
        "nl": [("mailadres", 1.0), ("emailadres", 1.0)],
    },
    confidence=(0.97, 0.99),
    validated_alone=True,
    mask="email",
    tag="PII Email",
)  # fmt: skip

PHONE_SPEC = EntitySpec(
    PHONE,
    "a phone number",
    patterns=(
        PatternSpec(
            PHONE,
            "phone_international",
            # One digit per step, separators explicit: no ambiguous splits to backtrack through.
            rf"(?<![\w+])(?:\+|\b00)[1-9](?:[ .\-/()]{{0,3}}[0-9]){{6,14}}{_EXT}(?![\w])",
            "phone",
            0.75,
        ),
        PatternSpec(
            PHONE,
            "phone_nanp",
            r"(?<![\w+\-.])(?:\+?1[ .\-]?)?(?:\([2-9][0-9]{2}\)[ ]?|[2-9][0-9]{2}[ .\-])"
            rf"[2-9][0-9]{{2}}[ .\-][0-9]{{4}}{_EXT}(?![\w]|[.\-][0-9])",
            "phone",
            0.7,
        ),
        PatternSpec(
            PHONE,
            "phone_grouped",
            r"(?<![\w+.\-/:])(?:\(?[0-9]{1,5}\)?[ .\-/]){1,5}[0-9]{2,5}"
            rf"{_EXT}(?![\w]|[.\-/:][0-9])",
            "phone",
            0.55,
        ),
        PatternSpec(
            PHONE,
            "phone_plain",
            r"(?<![\w+.\-/:])[0-9]{9,11}(?![\w]|[.\-/:][0-9])",
            "phone",
            0.4,
        ),
    ),
    integer_pattern=PatternSpec(
        PHONE, "phone_int", r"[0-9]{10,15}", "phone_digits", 0.4, full_match_only=True
    ),
    integer_digits=(10, 15),
    keywords={
        "en": [("phone", 1.0), ("telephone", 1.0), ("mobile", 0.7), ("cell", 0.6),
               ("cellphone", 1.0), ("cellular", 0.8), ("phone number", 1.0),
               ("mobile number", 1.0), ("contact number", 0.8), ("cell number", 1.0)],
        "de": [("telefon", 1.0), ("mobil", 0.7), ("handy", 0.7), ("telefax", 0.8),
               ("rufnummer", 1.0)],
        "fr": [("portable", 0.5)],
        "es": [("telefono", 1.0), ("celular", 0.8), ("movil", 0.7)],
        "it": [("cellulare", 0.8)],
        "nl": [("telefoon", 1.0)],
        "pt": [("telefone", 1.0)],
        "ru": [("телефон", 1.0)],
        "ja": [("電話", 1.0), ("携帯", 0.8)],
        "zh": [("电话", 1.0), ("手机", 0.8)],
        "ko": [("전화", 1.0), ("휴대폰", 0.8)],
        "any": [("tel", 0.7), ("fax", 0.8), ("msisdn", 1.0), ("whatsapp", 0.6)],
    },
    confidence=(0.85, 0.95),
    needs_name_in_integers=True,
    sparse_when_formatted=True,
    bare_digits_in_text=False,
    suppressed_by=(CARD, IBAN, SSN, IP),
    mask="last2",
    tag="PII Phone",
)  # fmt: skip

SSN_SPEC = EntitySpec(
    SSN,
    "a social security number",
    patterns=(
        PatternSpec(
            SSN,
            "us_ssn_dashed",
            r"(?<![\w\-])[0-9]{3}-[0-9]{2}-[0-9]{4}(?![\w]|-[0-9])",
            "ssn",
            0.85,
        ),
        PatternSpec(
            SSN,
            "us_ssn_spaced",
            r"(?<![\w])(?<![0-9] )[0-9]{3} [0-9]{2} [0-9]{4}(?![\w]| [0-9])",
            "ssn",
            0.7,
        ),
        PatternSpec(SSN, "us_ssn_plain", r"[0-9]{9}", "ssn", 0.4, full_match_only=True),
    ),
    integer_pattern=PatternSpec(
        SSN, "us_ssn_int", r"[0-9]{7,9}", "ssn", 0.4, full_match_only=True
    ),
    integer_digits=(7, 9),
    integer_pad=9,
    keywords={
        "en": [("ssn", 1.0), ("social security", 1.0), ("social security number", 1.0),
               ("ss number", 0.8)],
    },
    confidence=(0.88, 0.97),
    needs_name_unless_formatted=True,
    needs_name_in_integers=True,
    sparse_when_formatted=True,
    identifier=True,
    mask="last4",
    tag="PII SSN",
)  # fmt: skip

CARD_SPEC = EntitySpec(
    CARD,
    "a card number",
    patterns=(
        PatternSpec(
            CARD,
            "credit_card",
            r"(?<![\w.\-])[0-9](?:[ \-]?[0-9]){12,18}(?![\w]|[.\-][0-9])",
            "card",
            0.85,
        ),
    ),
    integer_pattern=PatternSpec(
        CARD, "credit_card_int", r"[0-9]{13,19}", "card", 0.8, full_match_only=True
    ),
    integer_digits=(13, 19),
    keywords={
        "en": [("card", 0.5), ("credit card", 1.0), ("card number", 1.0), ("cc number", 0.9),
               ("debit card", 1.0), ("payment card", 1.0), ("creditcard", 1.0)],
        "de": [("kreditkarte", 1.0), ("kreditkarten", 1.0), ("kartennummer", 0.9)],
        "fr": [("carte", 0.5), ("carte bancaire", 1.0), ("numero carte", 0.9)],
        "es": [("tarjeta", 0.6), ("tarjeta credito", 1.0)],
        "it": [("carta", 0.4), ("carta credito", 1.0)],
        "any": [("cc", 0.4), ("pan", 0.4), ("ccnum", 0.9)],
    },
    confidence=(0.96, 0.99),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    mask="last4",
    tag="PII Credit Card",
)  # fmt: skip

IBAN_SPEC = EntitySpec(
    IBAN,
    "an IBAN",
    patterns=(
        PatternSpec(
            IBAN,
            "iban",
            r"(?<![\w])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?"
            r"(?![\w])",
            "iban",
            0.95,
        ),
    ),
    keywords={
        "en": [("bank account", 0.7), ("account number", 0.4)],
        "de": [("bankverbindung", 0.7), ("kontonummer", 0.6)],
        "fr": [("rib", 0.5)],
        "es": [("numero cuenta", 0.5)],
        "nl": [("rekeningnummer", 0.6)],
        "any": [("iban", 1.0)],
    },
    confidence=(0.97, 0.99),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    # A valid IBAN is never part of something else; it suppresses every overlapping match.
    suppressed_by=(),
    mask="iban",
    tag="PII IBAN",
)  # fmt: skip

IP_SPEC = EntitySpec(
    IP,
    "an IP address",
    patterns=(
        PatternSpec(IP, "ipv4", rf"(?<![\w./:=]){_V4}(?![\w]|\.[0-9])", "ip", 0.85),
        PatternSpec(IP, "ipv6", rf"(?<![\w:.]){_V6}(?![\w:]|\.[0-9])", "ip", 0.9),
    ),
    keywords={
        "en": [("ip address", 1.0), ("client ip", 1.0), ("remote addr", 0.9),
               ("remote address", 0.9), ("source ip", 1.0), ("host ip", 1.0)],
        "de": [("ip adresse", 1.0)],
        "any": [("ip", 0.8), ("ipaddr", 1.0), ("ipv4", 1.0), ("ipv6", 1.0), ("ip addr", 1.0),
                ("src ip", 1.0), ("dst ip", 1.0)],
    },
    confidence=(0.93, 0.97),
    format_alone=True,
    mask="ip",
    tag="PII IP Address",
)  # fmt: skip

URL_SPEC = EntitySpec(
    URL,
    "a URL",
    patterns=(
        PatternSpec(
            URL,
            "url_scheme",
            rf"(?i)\b(?:https?|ftp)://[^\s<>\"'`/?#]*[^\s<>\"'`/?#.,;:!)\]}}]{_URL_TAIL}",
            "url",
            0.9,
        ),
        PatternSpec(
            URL,
            "url_www",
            rf"(?i)(?<![\w.@\-/])www\.{_DOMAIN}(?::[0-9]{{1,5}})?{_URL_TAIL}",
            "url",
            0.85,
        ),
        PatternSpec(
            URL,
            "url_domain_path",
            rf"(?<![\w.@\-/:]){_DOMAIN}(?::[0-9]{{1,5}})?/[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}}]",
            "url",
            0.6,
        ),
    ),
    keywords={
        "en": [("link", 0.5), ("website", 0.9), ("homepage", 0.9), ("referrer", 0.9),
               ("web address", 1.0), ("landing page", 0.8)],
        "de": [("webseite", 0.9)],
        "fr": [("site web", 0.9), ("lien", 0.5)],
        "es": [("sitio web", 0.9), ("enlace", 0.5)],
        "it": [("pagina web", 0.9)],
        "any": [("url", 1.0), ("uri", 0.9), ("referer", 0.9), ("href", 0.8), ("web", 0.4)],
    },
    confidence=(0.9, 0.96),
    format_alone=True,
    counts_embedded=True,
    suppressed_by=(EMAIL, IBAN),
    tag="PII URL",
)  # fmt: skip

NRIC_SPEC = EntitySpec(
    NRIC,
    "an NRIC/FIN",
    patterns=(
        PatternSpec(
            NRIC, "sg_nric_fin", r"(?<![\w])[STFGMstfgm][0-9]{7}[A-Za-z](?![\w])", "nric", 0.9
        ),
    ),
    keywords={
        "en": [("ic number", 0.5), ("ic no", 0.5)],
        "any": [("nric", 1.0), ("fin", 0.4), ("nric fin", 1.0)],
    },
    confidence=(0.95, 0.98),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII NRIC FIN",
)  # fmt: skip

DRIVER_LICENSE_SPEC = EntitySpec(
    DRIVER_LICENSE,
    "a licence number",
    patterns=(
        PatternSpec(
            DRIVER_LICENSE,
            "us_driver_license_alnum",
            r"[A-Za-z][0-9]{6,14}|[0-9]{3}[A-Za-z]{2}[0-9]{4}"
            r"|[A-Za-z][0-9]{3}[ \-][0-9]{3,4}(?:[ \-][0-9]{2,4}){1,3}(?:[ \-][0-9])?"
            r"|[0-9]{3} [0-9]{3} [0-9]{3}",
            "us_driver_license",
            0.3,
            full_match_only=True,
        ),
        PatternSpec(
            DRIVER_LICENSE,
            "us_driver_license_digits",
            r"[0-9]{7,13}",
            "us_driver_license",
            0.1,
            full_match_only=True,
        ),
    ),
    keywords={
        "en": [("driver license", 1.0), ("drivers license", 1.0), ("driver licence", 1.0),
               ("drivers licence", 1.0), ("driving license", 1.0), ("driving licence", 1.0),
               ("license", 0.4), ("licence", 0.4), ("license number", 0.6),
               ("licence number", 0.6), ("driverlicense", 1.0)],
        "de": [("fuehrerschein", 1.0)],
        "fr": [("permis de conduire", 1.0), ("permis conduire", 1.0)],
        "es": [("licencia conducir", 1.0), ("licencia de conducir", 1.0),
               ("carnet de conducir", 1.0)],
        "it": [("patente", 0.5)],
        "nl": [("rijbewijs", 1.0)],
        "any": [("dl", 0.4), ("dln", 0.8), ("dl number", 0.8)],
    },
    confidence=(0.0, 0.8),
    needs_name=True,
    identifier=True,
    suppressed_by=(CARD, IBAN),
    # A bare 9-digit SSN is the same shape as a licence number; only a formatted SSN (dashes
    # or spaces) settles that the digits are an SSN.
    suppressed_by_formatted=(SSN,),
    mask="stars",
    tag="PII Driver License",
)  # fmt: skip

PASSPORT_SPEC = EntitySpec(
    PASSPORT,
    "a passport number",
    patterns=(
        PatternSpec(
            PASSPORT,
            "us_passport_letter",
            r"[A-Za-z][0-9]{8}",
            "us_passport",
            0.3,
            full_match_only=True,
        ),
        PatternSpec(
            PASSPORT, "us_passport_digits", r"[0-9]{9}", "us_passport", 0.1, full_match_only=True
        ),
        # Other countries' forms (Faker's it_IT ``AY9150008``, ru_RU ``74 06 812415``).
        PatternSpec(
            PASSPORT,
            "passport_national",
            r"[A-Za-z]{2}[0-9]{6,7}|[0-9]{2}[A-Za-z]{2}[0-9]{5}|[A-Za-z]{3}[0-9]{6}"
            r"|[A-Za-z][0-9]{7}|[CFGHJKcfghjk][0-9A-Za-z]{8}|[0-9]{2} ?[0-9]{2} [0-9]{6}",
            "passport",
            0.3,
            full_match_only=True,
        ),
    ),
    keywords={
        "en": [("passport", 1.0), ("passport number", 1.0), ("travel document", 0.9),
               ("travel doc", 0.8)],
        "de": [("reisepass", 1.0)],
        "fr": [("passeport", 1.0)],
        "es": [("pasaporte", 1.0)],
        "it": [("passaporto", 1.0)],
        "nl": [("paspoort", 1.0)],
        "pt": [("passaporte", 1.0)],
        "pl": [("paszport", 1.0)],
        "ru": [("паспорт", 1.0), ("паспорта", 1.0)],
        "ja": [("旅券", 1.0), ("パスポート", 1.0)],
        "zh": [("护照", 1.0)],
        "ko": [("여권", 1.0)],
    },
    confidence=(0.0, 0.85),
    needs_name=True,
    identifier=True,
    suppressed_by=(CARD, IBAN),
    suppressed_by_formatted=(SSN,),
    mask="stars",
    tag="PII Passport",
)  # fmt: skip

PERSON_SPEC = EntitySpec(
    PERSON,
    "a person's name",
    keywords={
        "en": [("name", 0.5), ("names", 0.5), ("full name", 1.0), ("first name", 1.0),
               ("last name", 1.0), ("given name", 1.0), ("family name", 1.0),
               ("middle name", 1.0), ("maiden name", 1.0), ("surname", 1.0), ("firstname", 1.0),
               ("lastname", 1.0), ("fullname", 1.0), ("fname", 0.9), ("lname", 0.9),
               ("name first", 1.0), ("name last", 1.0), ("forename", 1.0),
               ("customer name", 0.9), ("client name", 0.9), ("contact name", 0.9),
               ("contact person", 0.9), ("person", 0.5), ("contact", 0.3),
               ("employee name", 0.9), ("patient name", 1.0), ("user name", 0.4),
               ("username", 0.4), ("display name", 0.5), ("cardholder", 0.7),
               ("card holder", 0.7), ("cardholder name", 0.9), ("account holder", 0.7),
               ("author", 0.5), ("recipient", 0.4), ("sender", 0.4), ("owner name", 0.8),
               ("legal name", 0.9)],
        "de": [("vorname", 1.0), ("nachname", 1.0), ("familienname", 1.0),
               ("kundenname", 0.9)],
        "fr": [("prenom", 1.0), ("nom", 0.5), ("nom de famille", 1.0), ("nom client", 0.9)],
        "es": [("nombre", 0.5), ("apellido", 1.0), ("apellidos", 1.0),
               ("nombre completo", 1.0), ("nombre cliente", 0.9)],
        "it": [("cognome", 1.0), ("nome", 0.5), ("nome completo", 1.0)],
        "nl": [("voornaam", 1.0), ("achternaam", 1.0), ("naam", 0.5)],
        "pt": [("sobrenome", 1.0)],
        "pl": [("imie", 1.0), ("imiona", 1.0), ("nazwisko", 1.0), ("imie i nazwisko", 1.0)],
        # Folded as column names are (no combining marks): no й in these.
        "ru": [("имя", 0.5), ("фамилия", 1.0), ("отчество", 1.0), ("фио", 1.0),
               ("имя пользователя", 0.4)],
        # CJK keywords are found inside a run of characters (classifiers.pii.names), the
        # one-character 名 ("name", a given name beside 姓) only as the whole name; 성 (also
        # "sex") is left out.
        "ja": [("氏名", 1.0), ("名前", 0.5), ("姓", 1.0), ("名", 0.5)],
        "zh": [("姓名", 1.0), ("姓氏", 1.0), ("名字", 0.5)],
        "ko": [("성명", 1.0), ("이름", 0.5)],
    },
    mask="initials",
    tag="PII Person Name",
    detector="ner",
)  # fmt: skip

STREET_ADDRESS_SPEC = EntitySpec(
    STREET_ADDRESS,
    "a street address",
    keywords={
        "en": [("address", 0.6), ("addr", 0.5), ("street", 0.9), ("street address", 1.0),
               ("address line", 0.9), ("address line1", 0.9), ("address line 1", 0.9),
               ("home address", 1.0), ("billing address", 1.0), ("shipping address", 1.0),
               ("mailing address", 1.0), ("postal address", 1.0), ("delivery address", 1.0),
               ("residential address", 1.0), ("street name", 0.9)],
        "de": [("strasse", 0.9), ("adresse", 0.7), ("anschrift", 0.9), ("hausnummer", 0.6),
               ("wohnadresse", 1.0), ("postanschrift", 1.0), ("lieferadresse", 1.0)],
        "fr": [("rue", 0.6), ("domicile", 0.7), ("adresse postale", 1.0)],
        "es": [("direccion", 0.7), ("calle", 0.8), ("domicilio", 0.7)],
        "it": [("via", 0.3), ("indirizzo", 0.7)],
        "nl": [("adres", 0.7), ("straat", 0.9)],
        "pt": [("endereco", 0.7), ("rua", 0.6)],
        "pl": [("ulica", 0.9)],
        "ru": [("адрес", 0.7), ("улица", 0.9)],
        "ja": [("住所", 0.9)],
        "zh": [("地址", 0.9), ("住址", 0.9)],
        "ko": [("주소", 0.9)],
    },
    tag="PII Street Address",
    detector="address",
)  # fmt: skip

DATE_OF_BIRTH_SPEC = EntitySpec(
    DATE_OF_BIRTH,
    "a date of birth",
    keywords={
        "en": [("dob", 1.0), ("birth", 0.8), ("birthday", 1.0), ("birthdate", 1.0),
               ("birth date", 1.0), ("date of birth", 1.0), ("bday", 0.9),
               ("year of birth", 0.8), ("birth year", 0.8)],
        "de": [("geburtsdatum", 1.0), ("geburtstag", 1.0), ("geburt", 0.8)],
        "fr": [("naissance", 0.9), ("date naissance", 1.0), ("date de naissance", 1.0)],
        "es": [("nacimiento", 0.9), ("fecha nacimiento", 1.0), ("fecha de nacimiento", 1.0)],
        "it": [("nascita", 0.9), ("data di nascita", 1.0), ("data nascita", 1.0)],
        "nl": [("geboortedatum", 1.0)],
        "pt": [("nascimento", 0.9), ("data nascimento", 1.0), ("data de nascimento", 1.0)],
        "pl": [("data urodzenia", 1.0), ("urodzenia", 0.9)],
        "ru": [("дата рождения", 1.0), ("рождения", 0.9)],
        "ja": [("生年月日", 1.0), ("誕生日", 1.0)],
        "zh": [("出生日期", 1.0), ("出生年月", 1.0), ("生日", 1.0)],
        "ko": [("생년월일", 1.0), ("생일", 1.0)],
    },
    mask="stars",
    tag="PII Date of Birth",
    detector="birth_date",
)  # fmt: skip

# National identifiers of Italy, Spain, Brazil, France, the Netherlands, Poland, Korea and China
# (here and below): Faker's ``ssn()`` in those locales writes these, not US numbers, as their
# people tables do. Presidio's names where it has one.
IT_FISCAL_SPEC = EntitySpec(
    IT_FISCAL,
    "an Italian fiscal code",
    patterns=(
        PatternSpec(
            IT_FISCAL,
            "it_fiscal_code",
            r"(?<![\w])[A-Za-z]{6}[0-9A-Za-z]{2}[A-Za-z][0-9A-Za-z]{2}[A-Za-z][0-9A-Za-z]{3}"
            r"[A-Za-z](?![\w])",
            "it_fiscal_code",
            0.9,
        ),
    ),
    keywords={
        "en": [("fiscal code", 1.0), ("tax code", 0.6)],
        "it": [("codice fiscale", 1.0), ("cod fiscale", 1.0), ("codfisc", 1.0)],
        "any": [("cf", 0.4)],
    },
    confidence=(0.95, 0.98),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII IT FISCAL CODE",
)  # fmt: skip

ES_NIF_SPEC = EntitySpec(
    ES_NIF,
    "a Spanish DNI, NIF or NIE",
    patterns=(
        PatternSpec(
            ES_NIF,
            "es_nif",
            r"(?<![\w\-])(?:[0-9]{8}|[XYZxyz][0-9]{7})-?[A-Za-z](?![\w])",
            "es_nif",
            0.85,
        ),
    ),
    keywords={
        "es": [("documento identidad", 1.0), ("documento nacional identidad", 1.0)],
        "any": [("dni", 1.0), ("nif", 1.0), ("nie", 0.8)],
    },
    confidence=(0.9, 0.97),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII ES NIF",
)  # fmt: skip

BR_CPF_SPEC = EntitySpec(
    BR_CPF,
    "a Brazilian CPF",
    patterns=(
        PatternSpec(
            BR_CPF,
            "br_cpf",
            r"(?<![\w.\-])[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![\w]|[.\-][0-9])",
            "br_cpf",
            0.9,
        ),
        PatternSpec(BR_CPF, "br_cpf_plain", r"[0-9]{11}", "br_cpf", 0.4, full_match_only=True),
    ),
    integer_pattern=PatternSpec(
        BR_CPF, "br_cpf_int", r"[0-9]{9,11}", "br_cpf", 0.4, full_match_only=True
    ),
    integer_digits=(9, 11),
    integer_pad=11,
    keywords={
        "pt": [("cadastro pessoa fisica", 1.0), ("cadastro pessoas fisicas", 1.0)],
        "any": [("cpf", 1.0)],
    },
    confidence=(0.9, 0.97),
    sparse_when_formatted=True,
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII BR CPF",
)  # fmt: skip

FR_NIR_SPEC = EntitySpec(
    FR_NIR,
    "a French social security number (NIR)",
    patterns=(
        PatternSpec(
            FR_NIR,
            "fr_nir",
            r"(?<![\w])[1278] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[ABab]) ?[0-9]{3} ?[0-9]{3} ?"
            r"[0-9]{2}(?![\w])",
            "fr_nir",
            0.85,
            # Whole values only: searched inside every text, it cost a tenth of the PII pass.
            full_match_only=True,
        ),
    ),
    # Sex digit first, never a zero: an integer keeps all fifteen digits (the validator checks
    # the sex digit; the pattern only names the check).
    integer_pattern=PatternSpec(
        FR_NIR, "fr_nir_int", r"[1278][0-9]{14}", "fr_nir", 0.85, full_match_only=True
    ),
    integer_digits=(15, 15),
    keywords={
        "fr": [("nir", 1.0), ("numero securite sociale", 1.0), ("securite sociale", 0.9),
               ("numero insee", 0.9), ("secu", 0.6)],
    },
    confidence=(0.9, 0.97),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    suppressed_by=(IBAN, CARD),
    mask="stars",
    tag="PII FR NIR",
)  # fmt: skip

NL_BSN_SPEC = EntitySpec(
    NL_BSN,
    "a Dutch citizen service number (BSN)",
    patterns=(
        PatternSpec(NL_BSN, "nl_bsn", r"[0-9]{8,9}", "nl_bsn", 0.4, full_match_only=True),
    ),
    integer_pattern=PatternSpec(
        NL_BSN, "nl_bsn_int", r"[0-9]{7,9}", "nl_bsn", 0.4, full_match_only=True
    ),
    integer_digits=(7, 9),
    integer_pad=9,
    keywords={
        "nl": [("burgerservicenummer", 1.0), ("sofinummer", 1.0), ("sofi nummer", 1.0),
               ("sofi", 0.7)],
        "any": [("bsn", 1.0)],
    },
    confidence=(0.0, 0.95),
    needs_name=True,
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII NL BSN",
)  # fmt: skip

PL_PESEL_SPEC = EntitySpec(
    PL_PESEL,
    "a Polish PESEL",
    patterns=(
        PatternSpec(PL_PESEL, "pl_pesel", r"[0-9]{11}", "pl_pesel", 0.6, full_match_only=True),
    ),
    # Born in 1900-1909 or the 2000s, the year's zeros (and a month's) are lost in an integer.
    integer_pattern=PatternSpec(
        PL_PESEL, "pl_pesel_int", r"[0-9]{8,11}", "pl_pesel", 0.6, full_match_only=True
    ),
    integer_digits=(8, 11),
    integer_pad=11,
    keywords={"any": [("pesel", 1.0)]},
    confidence=(0.85, 0.95),
    check_digit=True,
    identifier=True,
    mask="stars",
    tag="PII PL PESEL",
)  # fmt: skip

KR_RRN_SPEC = EntitySpec(
    KR_RRN,
    "a Korean resident registration number",
    patterns=(
        PatternSpec(KR_RRN, "kr_rrn", r"[0-9]{6}-?[0-9]{7}", "kr_rrn", 0.4, full_match_only=True),
    ),
    # No integer check: the shape passes nearly every 10-13 digit integer (timestamps in
    # milliseconds, IDs), so the check would run and tally on all of them, for numbers that
    # are written with their dash or kept as text.
    keywords={
        "en": [("resident registration number", 1.0), ("resident registration", 0.9)],
        "ko": [("주민등록번호", 1.0), ("주민번호", 1.0)],
        "any": [("rrn", 1.0)],
    },
    confidence=(0.0, 0.95),
    needs_name=True,
    identifier=True,
    mask="stars",
    tag="PII KR RRN",
)  # fmt: skip

CN_RESIDENT_ID_SPEC = EntitySpec(
    CN_RESIDENT_ID,
    "a Chinese resident identity card number",
    patterns=(
        PatternSpec(
            CN_RESIDENT_ID,
            "cn_resident_id",
            r"(?<![\w])[0-9]{17}[0-9Xx](?![\w])",
            "cn_resident_id",
            0.85,
        ),
    ),
    # Region code first, never a zero; a check character X makes the column text. The
    # validator checks the date and the check digit; the pattern only names the check.
    integer_pattern=PatternSpec(
        CN_RESIDENT_ID, "cn_resident_id_int", r"[1-9][0-9]{17}", "cn_resident_id", 0.85,
        full_match_only=True,
    ),
    integer_digits=(18, 18),
    keywords={
        "en": [("resident id", 0.9), ("id card number", 0.9), ("identity card", 0.8)],
        "zh": [("身份证", 1.0), ("身份证号", 1.0), ("公民身份号码", 1.0)],
    },
    confidence=(0.9, 0.97),
    validated_alone=True,
    check_digit=True,
    identifier=True,
    suppressed_by=(IBAN, CARD),
    mask="stars",
    tag="PII CN RESIDENT ID",
)  # fmt: skip

#: Every built-in entity, in the order of the label vocabulary (:data:`models.PII_ENTITIES`).
BUILTIN_ENTITIES: Final = EntityRegistry(
    (
        PERSON_SPEC,
        EMAIL_SPEC,
        PHONE_SPEC,
        SSN_SPEC,
        CARD_SPEC,
        IBAN_SPEC,
        IP_SPEC,
        STREET_ADDRESS_SPEC,
        DATE_OF_BIRTH_SPEC,
        DRIVER_LICENSE_SPEC,
        PASSPORT_SPEC,
        NRIC_SPEC,
        URL_SPEC,
        IT_FISCAL_SPEC,
        ES_NIF_SPEC,
        BR_CPF_SPEC,
        FR_NIR_SPEC,
        NL_BSN_SPEC,
        PL_PESEL_SPEC,
        KR_RRN_SPEC,
        CN_RESIDENT_ID_SPEC,
    )
)
