"""Table-driven tests of column-name tokens, keywords and de-rating."""

from __future__ import annotations

import pytest

from classifiers.pii.names import (
    NAMES_VERSION,
    derated,
    is_birth_name,
    mentioned_entities,
    name_signals,
    tokenize,
)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("custEmailAddr", ["cust", "email", "addr"]),
        ("cust_email_addr", ["cust", "email", "addr"]),
        ("CustEmailAddr", ["cust", "email", "addr"]),
        ("cust-email.addr", ["cust", "email", "addr"]),
        ("cust email addr", ["cust", "email", "addr"]),
        ("E-Mail", ["e", "mail"]),
        ("e_mail", ["e", "mail"]),
        ("email", ["email"]),
        ("emailaddress", ["email", "address"]),
        ("EMAIL_ADDRESS", ["email", "address"]),
        ("IPAddress", ["ip", "address"]),
        ("userID", ["user", "id"]),
        ("ipv4", ["ipv4"]),
        ("address_line1", ["address", "line1"]),
        ("téléphone", ["telephone"]),
        ("Straße", ["strasse"]),
        ("Führerschein", ["fuehrerschein"]),
        ("num_emails", ["num", "email"]),
        ("firstname", ["firstname"]),
        ("Telefonnummer", ["telefon", "nummer"]),
        ("", []),
        ("___", []),
    ],
)
def test_tokenize(name: str, tokens: list[str]) -> None:
    assert tokenize(name) == tokens


@pytest.mark.parametrize(
    ("name", "entity", "strength"),
    [
        ("email", "EMAIL_ADDRESS", 1.0),
        ("E-Mail", "EMAIL_ADDRESS", 1.0),
        ("e_mail", "EMAIL_ADDRESS", 1.0),
        ("emailaddress", "EMAIL_ADDRESS", 1.0),
        ("custEmailAddr", "EMAIL_ADDRESS", 1.0),
        ("courriel", "EMAIL_ADDRESS", 1.0),
        ("correo_electronico", "EMAIL_ADDRESS", 1.0),
        ("E-Mail-Adresse", "EMAIL_ADDRESS", 1.0),
        ("phone", "PHONE_NUMBER", 1.0),
        ("téléphone", "PHONE_NUMBER", 1.0),
        ("Telefonnummer", "PHONE_NUMBER", 1.0),
        ("telefono", "PHONE_NUMBER", 1.0),
        ("phone_no", "PHONE_NUMBER", 1.0),
        ("mobile", "PHONE_NUMBER", 0.7),
        ("handy", "PHONE_NUMBER", 0.7),
        ("ssn", "US_SSN", 1.0),
        ("social_security_number", "US_SSN", 1.0),
        ("credit_card_number", "CREDIT_CARD", 1.0),
        ("Kreditkarte", "CREDIT_CARD", 1.0),
        ("card", "CREDIT_CARD", 0.5),
        ("iban", "IBAN_CODE", 1.0),
        ("bank_account", "IBAN_CODE", 0.7),
        ("ip_address", "IP_ADDRESS", 1.0),
        ("IPAddress", "IP_ADDRESS", 1.0),
        ("client_ip", "IP_ADDRESS", 1.0),
        ("remote_addr", "IP_ADDRESS", 0.9),
        ("ipv6", "IP_ADDRESS", 1.0),
        ("url", "URL", 1.0),
        ("referrer", "URL", 0.9),
        ("website", "URL", 0.9),
        ("passport_number", "US_PASSPORT", 1.0),
        ("Reisepass", "US_PASSPORT", 1.0),
        ("pasaporte", "US_PASSPORT", 1.0),
        ("driver_license", "US_DRIVER_LICENSE", 1.0),
        ("drivers_license", "US_DRIVER_LICENSE", 1.0),
        ("Führerschein", "US_DRIVER_LICENSE", 1.0),
        ("Fuhrerschein", "US_DRIVER_LICENSE", 1.0),
        ("fuehrerschein", "US_DRIVER_LICENSE", 1.0),
        ("nric", "SG_NRIC_FIN", 1.0),
        ("name", "PERSON", 0.5),
        ("first_name", "PERSON", 1.0),
        ("firstName", "PERSON", 1.0),
        ("lastname", "PERSON", 1.0),
        ("surname", "PERSON", 1.0),
        ("Nachname", "PERSON", 1.0),
        ("vorname", "PERSON", 1.0),
        ("prénom", "PERSON", 1.0),
        ("apellido", "PERSON", 1.0),
        ("cognome", "PERSON", 1.0),
        ("customer_name", "PERSON", 0.9),
        ("company_contact_lastname", "PERSON", 1.0),
        ("address", "STREET_ADDRESS", 0.6),
        ("street", "STREET_ADDRESS", 0.9),
        ("Straße", "STREET_ADDRESS", 0.9),
        ("dirección", "STREET_ADDRESS", 0.7),
        ("home_address", "STREET_ADDRESS", 1.0),
        ("dob", "DATE_OF_BIRTH", 1.0),
        ("date_of_birth", "DATE_OF_BIRTH", 1.0),
        ("birthDate", "DATE_OF_BIRTH", 1.0),
        ("geburtsdatum", "DATE_OF_BIRTH", 1.0),
        ("fecha_nacimiento", "DATE_OF_BIRTH", 1.0),
        ("date_de_naissance", "DATE_OF_BIRTH", 1.0),
    ],
)
def test_name_signals(name: str, entity: str, strength: float) -> None:
    signal = name_signals(name)[entity]
    assert signal.entity == entity
    assert signal.strength == strength
    assert signal.keyword


@pytest.mark.parametrize(
    ("name", "absent"),
    [
        ("product_name", "PERSON"),
        ("ProductName", "PERSON"),
        ("company_name", "PERSON"),
        ("file_name", "PERSON"),
        ("city_name", "PERSON"),
        ("country_name", "PERSON"),
        ("brand_name", "PERSON"),
        ("category_name", "PERSON"),
        ("user_agent", "PERSON"),
        ("ip_address", "STREET_ADDRESS"),
        ("email_address", "STREET_ADDRESS"),
        ("mac_address", "STREET_ADDRESS"),
        ("wallet_address", "STREET_ADDRESS"),
        ("license_plate", "US_DRIVER_LICENSE"),
        ("place_of_birth", "DATE_OF_BIRTH"),
        ("geburtsort", "DATE_OF_BIRTH"),
        ("mailing", "EMAIL_ADDRESS"),
        ("hotel", "PHONE_NUMBER"),
        ("contact_email", "PERSON"),  # the weak hint yields to the specific keyword
        ("order_total", "PERSON"),
        ("password", "US_PASSPORT"),
    ],
)
def test_no_signal(name: str, absent: str) -> None:
    assert absent not in name_signals(name)


@pytest.mark.parametrize(
    ("name", "mentioned"),
    [
        ("email_verified", "EMAIL_ADDRESS"),
        ("is_email_opt_in", "EMAIL_ADDRESS"),
        ("phone_count", "PHONE_NUMBER"),
        ("num_emails", "EMAIL_ADDRESS"),
        ("number_of_phones", "PHONE_NUMBER"),
        ("email_cnt", "EMAIL_ADDRESS"),
        ("has_phone", "PHONE_NUMBER"),
        ("email_hash", "EMAIL_ADDRESS"),
        ("email_domain", None),
        ("phone_type", "PHONE_NUMBER"),
        ("email_sent_at", "EMAIL_ADDRESS"),
        ("email_id", "EMAIL_ADDRESS"),
        ("name_length", "PERSON"),
        ("birth_count", "DATE_OF_BIRTH"),
        ("address_valid", "STREET_ADDRESS"),
        ("card_type", "CREDIT_CARD"),
        ("ssn_last4", "US_SSN"),
    ],
)
def test_count_or_flag_of_entity_is_derated(name: str, mentioned: str | None) -> None:
    assert derated(name) is not None
    if mentioned is not None:
        assert mentioned in mentioned_entities(name)
        assert derated(name, mentioned) is not None
        assert mentioned not in name_signals(name)  # a count of X does not support X


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("phone_count", "token count"),
        ("email_verified", "token verified"),
        ("is_email_opt_in", "prefix is_"),
        ("num_emails", "prefix num_"),
        ("number_of_emails", "number of"),
        ("customer_id", "suffix _id"),
        ("order_qty", "token qty"),
    ],
)
def test_derated_reason(name: str, reason: str) -> None:
    assert derated(name) == reason


@pytest.mark.parametrize(
    "name",
    [
        "email", "phone", "phone_number", "phone_no", "phone_num", "customer_name", "ssn",
        "dob", "date_of_birth", "birth_date", "ip_address", "iban", "street_address",
    ],
)  # fmt: skip
def test_plain_entity_names_are_not_derated(name: str) -> None:
    assert derated(name) is None


@pytest.mark.parametrize("name", ["num_tel", "num_telefono", "num_telephone", "numTel"])
def test_num_before_a_singular_word_is_its_number_not_a_count(name: str) -> None:
    # French and Spanish columns name the phone number so; ``num_phones`` still counts.
    assert derated(name) is None
    assert "PHONE_NUMBER" in name_signals(name)
    assert derated("num_phones") == "prefix num_"


@pytest.mark.parametrize(
    ("name", "entity", "is_derated"),
    [
        ("nric_id", "SG_NRIC_FIN", False),  # an identifier entity keeps its _id
        ("passport_id", "US_PASSPORT", False),
        ("email_id", "EMAIL_ADDRESS", True),
        ("customer_id", "US_SSN", False),  # judged for an identifier entity
        ("customer_id", "EMAIL_ADDRESS", True),
        ("created_at", "DATE_OF_BIRTH", False),  # a date token de-rates other entities only
        ("created_at", "EMAIL_ADDRESS", True),
    ],
)
def test_derated_for_entity(name: str, entity: str, is_derated: bool) -> None:
    assert (derated(name, entity) is not None) is is_derated


def test_nric_id_still_supports_nric() -> None:
    assert "SG_NRIC_FIN" in name_signals("nric_id")
    assert derated("nric_id") is None


def test_a_name_alone_is_only_a_signal() -> None:
    # names.py gives signals, never hits: a "phone" column is a 1.0 signal and nothing more.
    signals = name_signals("phone")
    assert set(signals) == {"PHONE_NUMBER"}
    assert signals["PHONE_NUMBER"].keyword == "phone"


@pytest.mark.parametrize(
    ("name", "birth"),
    [
        ("dob", True),
        ("DOB", True),
        ("date_of_birth", True),
        ("birthDate", True),
        ("birthday", True),
        ("Geburtsdatum", True),
        ("geburtstag", True),
        ("date_naissance", True),
        ("fecha_nacimiento", True),
        ("data_di_nascita", True),
        ("geboortedatum", True),
        ("place_of_birth", False),
        ("birth_place", False),
        ("geburtsort", False),
        ("country_of_birth", False),
        ("birth_count", False),
        ("births_total", False),
        ("created_at", False),
        ("date", False),
        ("doberman", False),
    ],
)
def test_is_birth_name(name: str, birth: bool) -> None:
    assert is_birth_name(name) is birth


def test_names_version_is_a_string() -> None:
    assert isinstance(NAMES_VERSION, str) and NAMES_VERSION
