"""The ISO 3166-1 country table behind the country features and facets."""

from __future__ import annotations

from classifiers.business.countries import COUNTRY_ALIASES, ISO_COUNTRIES
from classifiers.business.features import COUNTRY_NAMES
from worker.core.facets import COUNTRY_BY_NAME, country_code, query_values


def test_every_entry_has_unique_well_formed_codes() -> None:
    assert len(ISO_COUNTRIES) >= 245
    names = [n for n, _, _ in ISO_COUNTRIES]
    alpha2 = [a for _, a, _ in ISO_COUNTRIES]
    alpha3 = [a for _, _, a in ISO_COUNTRIES]
    for codes, width in ((alpha2, 2), (alpha3, 3)):
        assert len(set(codes)) == len(codes)
        assert all(len(c) == width and c.isascii() and c.isupper() for c in codes)
    assert len({n.lower() for n in names}) == len(names)
    # An alpha-3 code starts with its alpha-2 code's letter far more often than not: a
    # cheap check against rows whose codes were swapped.
    same_start = sum(a2[0] == a3[0] for _, a2, a3 in ISO_COUNTRIES)
    assert same_start / len(ISO_COUNTRIES) > 0.9


def test_aliases_point_at_listed_countries() -> None:
    alpha2 = {a for _, a, _ in ISO_COUNTRIES}
    assert set(COUNTRY_ALIASES.values()) <= alpha2
    assert all(alias == alias.lower() for alias in COUNTRY_ALIASES)


def test_the_names_and_the_facets_agree() -> None:
    # Names data writes: less common countries, other spellings, upper case.
    for name in ("Antigua & Barbuda", "Bosnia and Herzegovina", "Barbados", "ETHIOPIA"):
        assert name.lower() in COUNTRY_NAMES
        assert country_code(name) is not None
    assert country_code("Namibia") == "NA" and country_code("Gabon") == "GA"
    # Two letters as written except those too often something else: "NA" is a missing
    # value, "AM" and "PM" times of day, "GA" a US state, "SM" and "MD" sizes, "KG" a unit.
    for written in ("NA", "AM", "PM", "GA", "SM", "MD", "KG"):
        assert country_code(written) is None, written
    assert country_code("SG") == "SG" and country_code("de") == "DE"
    for name, alpha2, _ in ISO_COUNTRIES:
        assert COUNTRY_BY_NAME[name.lower()] in (alpha2,), name


def test_a_question_finds_every_country_by_its_stored_code() -> None:
    # "Gabon" in a column is stored as GA; a question for GA finds it, as one for Gabon does.
    assert query_values("country", "GA") == ("GA",) == query_values("country", "Gabon")
    assert query_values("country", "na") == ("NA",)
    assert query_values("country", "XX") == ()
