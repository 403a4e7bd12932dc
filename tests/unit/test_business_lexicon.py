"""The foreign-word lexicon: translations, accents, compounds, English left untouched."""

from __future__ import annotations

import re

import pytest

from classifiers.business.features import name_tokens
from classifiers.business.lexicon import (
    LANGUAGES,
    LEXICON,
    fold_accents,
    lexicon_digest,
    translate_tokens,
)

#: Common English column / folder words: none may be a key, all pass through unchanged.
ENGLISH_COLUMN_WORDS = """
id no num name names first last full middle date dates time timestamp type types total
status region code codes data value values amount price cost sum count number key
art rate pin tag tags gift fast see die also chef bad rat so in on at is it be or and of to
customer customers client clients user users account accounts email mail phone mobile fax
address street city state country zip postcode postal county area location place
employee employees staff salary wage department manager position title role team
invoice invoices payment payments tax vat net gross balance bank transaction transactions
currency revenue profit loss income expense expenses budget credit debit fee fees
order orders quantity qty discount store shop sale sales receipt item items product products
article category supplier vendor stock inventory warehouse weight size color model brand
campaign click clicks channel newsletter ad ads source medium impressions
shipment shipping delivery vehicle route driver distance duration trip carrier
patient diagnosis hospital doctor drug dose blood pressure
login password session ip event events access log error host device
language description label note notes comment comments
created updated modified deleted start end year month day week hour minute second
active valid flag level group parent child min max avg mean median std
age gender sex birth
via cap media fine eta ore alto lot post land labor station personal general local
real final social capital principal cargo monster lid arts pad van tot tension
kind hut mist stuck premier alter ht dia
""".split()


def test_languages_and_sizes() -> None:
    assert LANGUAGES == ("de", "fr", "es", "it", "pt", "nl")
    assert set(LEXICON) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert len(LEXICON[lang]) >= 150, lang


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["vorname"], ["first", "name"]),
        (["geburtsdatum"], ["birth", "date"]),
        (["kundennummer"], ["customer", "number"]),
        (["mwst"], ["vat"]),
        (["plz"], ["postcode"]),
        (["str"], ["street"]),
        (["rechnungen"], ["invoices"]),
        (["montant", "ttc"], ["amount", "gross"]),
        (["prenom"], ["first", "name"]),
        (["factures"], ["invoices"]),
        (["tva"], ["vat"]),
        (["fecha", "nacimiento"], ["date", "birth"]),
        (["pedidos"], ["orders"]),
        (["tel"], ["phone"]),
        (["cognome"], ["last", "name"]),
        (["fattura"], ["invoice"]),
        (["stipendio"], ["salary"]),
        (["data", "nascimento"], ["data", "birth"]),
        (["cidade"], ["city"]),
        (["senha"], ["password"]),
        (["achternaam"], ["last", "name"]),
        (["btw"], ["vat"]),
        (["klant"], ["customer"]),
        (["wachtwoord"], ["password"]),
    ],
)
def test_representative_words(tokens: list[str], expected: list[str]) -> None:
    assert translate_tokens(tokens) == expected


def test_accents_are_ignored() -> None:
    assert translate_tokens(["prénom"]) == ["first", "name"]
    assert translate_tokens(["straße"]) == ["street"]
    assert translate_tokens(["strasse"]) == ["street"]
    assert translate_tokens(["währung"]) == ["currency"]
    assert translate_tokens(["waehrung"]) == ["currency"]
    assert translate_tokens(["wahrung"]) == ["currency"]
    assert translate_tokens(["año"]) == ["year"]
    assert translate_tokens(["città"]) == ["city"]
    assert translate_tokens(["endereço"]) == ["address"]
    assert translate_tokens(["catégorie"]) == ["category"]
    assert fold_accents("Größe") == "grosse"


def test_fold_accents_before_tokenizing() -> None:
    tokens = name_tokens(fold_accents("Prénom_Client"))
    assert translate_tokens(tokens) == ["first", "name", "client"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("kundenadresse", ["customer", "address"]),
        ("geburtsort", ["birth", "place"]),
        ("zahlungsart", ["payment", "method"]),
        ("vertragsart", ["contract", "type"]),
        ("kundenemail", ["customer", "email"]),
        ("herkunftsland", ["origin", "country"]),
        ("bestelldatum", ["order", "date"]),
        ("lieferadresse", ["delivery", "address"]),
        ("kundenname", ["customer", "name"]),
        ("produktname", ["product", "name"]),
        ("rechnungsbetrag", ["invoice", "amount"]),
        ("klantnaam", ["customer", "name"]),
        ("productnaam", ["product", "name"]),
        ("bestelnummer", ["order", "number"]),
        ("erstelldatum", ["creation", "date"]),
        ("jahresgehalt", ["annual", "salary"]),
        ("mwstsatz", ["vat", "rate"]),
        ("geburtstagsdatum", ["birthday", "date"]),
    ],
)
def test_compounds(token: str, expected: list[str]) -> None:
    assert translate_tokens([token]) == expected


def test_compound_limits() -> None:
    # too short to split, parts too short, unknown parts
    assert translate_tokens(["ortzeit"]) == ["place", "time"]
    assert translate_tokens(["kdnrx"]) == ["kdnrx"]
    assert translate_tokens(["abcdefghij"]) == ["abcdefghij"]
    assert translate_tokens(["nrzeit"]) == ["nrzeit"]


def test_english_words_untouched() -> None:
    assert translate_tokens(ENGLISH_COLUMN_WORDS) == ENGLISH_COLUMN_WORDS
    joined = ["username", "postcode", "barcode", "productname", "statuscode", "ordertype"]
    joined += ["firstname", "lastname", "birthdate", "timestamp", "filename", "database"]
    assert translate_tokens(joined) == joined


def test_unknown_tokens_untouched() -> None:
    assert translate_tokens(["xyz", "foo", "", "x1"]) == ["xyz", "foo", "", "x1"]


def test_no_key_is_an_english_column_word() -> None:
    english = set(ENGLISH_COLUMN_WORDS)
    for lang in LANGUAGES:
        clash = sorted(english & set(LEXICON[lang]))
        assert not clash, (lang, clash)


def test_keys_and_values_are_clean() -> None:
    for lang in LANGUAGES:
        for key, value in LEXICON[lang].items():
            assert re.fullmatch(r"[a-z]+", key), (lang, key)
            assert value.isascii(), (lang, key)
            assert re.fullmatch(r"[a-z]+( [a-z]+)?", value), (lang, key, value)


def test_no_key_translates_to_itself() -> None:
    for lang in LANGUAGES:
        for key, value in LEXICON[lang].items():
            assert key not in value.split(), (lang, key)


def test_shared_keys_agree_across_languages() -> None:
    seen: dict[str, str] = {}
    for lang in LANGUAGES:
        for key, value in LEXICON[lang].items():
            assert seen.setdefault(key, value) == value, (lang, key)


def test_idempotent_on_english_output() -> None:
    all_tokens = [key for lang in LANGUAGES for key in LEXICON[lang]]
    once = translate_tokens(all_tokens)
    assert translate_tokens(once) == once
    values = sorted({w for lang in LANGUAGES for v in LEXICON[lang].values() for w in v.split()})
    assert translate_tokens(values) == values


def test_digest_is_stable_hex() -> None:
    digest = lexicon_digest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == lexicon_digest()


def test_returns_new_list() -> None:
    tokens = ["vorname"]
    out = translate_tokens(tokens)
    assert out is not tokens
    assert tokens == ["vorname"]


def test_name_caches_follow_a_swapped_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/foreign.py swaps the lexicon: the per-name caches must not keep the old one's."""
    from classifiers.business import lexicon
    from classifiers.business.features import clear_name_caches, name_tokens

    assert name_tokens("Geburtsdatum") == ["birth", "date"]
    try:
        monkeypatch.setattr(lexicon, "translate_tokens", lambda tokens: list(tokens))
        clear_name_caches()
        assert name_tokens("Geburtsdatum") == ["geburtsdatum"]
    finally:
        monkeypatch.undo()
        clear_name_caches()
    assert name_tokens("Geburtsdatum") == ["birth", "date"]
