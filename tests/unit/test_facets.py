"""Value facets (:mod:`worker.core.facets`): which columns' values are kept, how they are
normalised and merged, and that a column with any PII finding keeps none."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from classifiers.business.features import COUNTRY_CODES, COUNTRY_NAMES
from models import (
    ColumnFinding,
    ColumnSample,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    LabelScore,
    ObjectRef,
    ObjectStatus,
)
from models.samples import CellValue
from tests.support.tables import table_sample
from worker.core.facets import (
    MAX_DISTINCT,
    MAX_VALUES,
    ColumnCounts,
    country_code,
    merge_facets,
    normalise,
    query_values,
    sample_facets,
)

URI = "s3://lake/orders/dt=1/part-0.parquet"


def column(
    name: str,
    values: Sequence[CellValue],
    business_type: str,
    entities: Sequence[str] = (),
) -> tuple[ColumnSample, ColumnFinding]:
    found = tuple(
        EntityFinding(e, 0.6, 0.5, Evidence(sampled=len(values), hits=1, distinct_hits=1,
                                            mean_score=0.6))
        for e in entities
    )  # fmt: skip
    return (
        ColumnSample(name, "string", tuple(values)),
        ColumnFinding(name, "string", found, business_type=LabelScore(business_type, 0.9)),
    )


def result(*columns: tuple[ColumnSample, ColumnFinding]) -> EnrichmentResult:
    return EnrichmentResult(
        ObjectRef.parse(URI),
        ObjectStatus.CLASSIFIED,
        sample=table_sample([s for s, _ in columns], URI),
        columns=tuple(f for _, f in columns),
    )


def test_country_and_currency_columns_keep_normalised_counts() -> None:
    countries = ["Singapore"] * 6 + ["SG", "sgp", "Germany", "DEU", None, ""]
    facets = sample_facets(
        result(
            column("country", countries, "country"),
            column("currency", ["sgd", "SGD", "EUR", None], "currency_code"),
        )
    )
    assert facets["country"] == ColumnCounts("country", 10, {"SG": 8, "DE": 2})
    assert facets["currency"] == ColumnCounts("currency_code", 3, {"SGD": 2, "EUR": 1})


def test_an_enum_of_country_names_is_a_country_and_a_region_enum_a_region() -> None:
    facets = sample_facets(
        result(
            column("pays", ["France"] * 3 + ["Germany"] * 2, "category_enum"),
            column(
                "sales_region",
                ["apac"] * 3 + ["EMEA"] * 2 + ["North america"] * 2 + ["Antarctica Base 7"],
                "category_enum",
            ),  # fmt: skip
            column("status", ["open", "closed"] * 3, "category_enum"),
        )
    )
    assert facets["pays"].values == {"FR": 3, "DE": 2}
    assert facets["pays"].column_type == "country"
    # The value with a digit is no region value; 7 of 8 values clean is below 0.9: refused.
    assert not facets["sales_region"].values
    clean = sample_facets(
        result(
            column(
                "region",
                ["apac"] * 3 + ["EMEA"] * 2 + ["North america", "x y"] * 2 + ["Oceania"],
                "category_enum",
            )
        )  # fmt: skip
    )
    # A region value seen once (Oceania) is dropped: an open vocabulary keeps only repeats.
    assert clean["region"] == ColumnCounts(
        "region", 10, {"APAC": 3, "EMEA": 2, "North America": 2, "X Y": 2}
    )
    assert not facets["status"].values  # an enum of neither countries nor a region


@pytest.mark.parametrize("entity", ["LOCATION", "PERSON", "EMAIL_ADDRESS"])
def test_a_column_with_any_pii_finding_keeps_no_value(entity: str) -> None:
    facets = sample_facets(
        result(column("country", ["Singapore"] * 5, "country", entities=[entity]))
    )
    assert facets["country"].values == {}
    assert "SG" not in repr(facets)


@pytest.mark.parametrize(
    "business_type", ["city", "postal_code", "person_data", "free_text", "identifier", "other"]
)
def test_other_business_types_keep_no_value(business_type: str) -> None:
    facets = sample_facets(result(column("where", ["Singapore", "Paris"] * 5, business_type)))
    assert facets["where"] == ColumnCounts("refused", 10)


def test_high_cardinality_or_unclean_columns_keep_no_value() -> None:
    many = [f"C{i:03d}" for i in range(MAX_DISTINCT + 1)]
    codes = sorted({c for c in COUNTRY_CODES if len(c) == 2})
    assert len(codes) > MAX_DISTINCT
    facets = sample_facets(
        result(
            column("a", many, "country"),
            column("b", codes, "country"),  # real countries, too many of them
            column("c", ["SG"] * 8 + ["Atlantis", "Atlantis"], "country"),  # 80 % clean
            column("d", [1, 2, 3], "country"),  # not text
        )
    )
    assert all(not counts.values for counts in facets.values())
    assert "Atlantis" not in repr(facets)


def test_unknown_values_are_dropped_never_kept_as_written() -> None:
    values = ["SG"] * 19 + ["Atlantis"]
    facets = sample_facets(result(column("c", values, "country")))
    assert facets["c"].values == {"SG": 19}
    assert facets["c"].rows == 20


def test_every_country_the_business_classifier_knows_has_an_alpha2_code() -> None:
    for name in COUNTRY_NAMES:
        assert country_code(name) is not None, name
    for code in COUNTRY_CODES:
        assert country_code(code) is not None, code
    assert country_code("  singapore ") == "SG"
    assert country_code("SGP") == "SG" and country_code("UK") == "GB"
    assert country_code("Atlantis") is None and country_code("XX") is None


def test_normalise_and_query_values() -> None:
    assert normalise("currency_code", "sgd") == "SGD"
    assert normalise("currency_code", "XYZ") is None
    assert normalise("country", 65) is None
    assert normalise("city", "Paris") is None
    assert query_values("country", "Singapore") == ("SG",)
    assert "DE" in query_values("country", "eu") and "GB" not in query_values("country", "EU")
    assert query_values("currency_code", "Singapore") == ()


def counts(kind: str, rows: int, **values: int) -> ColumnCounts:
    return ColumnCounts(kind, rows, values)


def test_merge_adds_partitions_and_keeps_the_top_values() -> None:
    samples = {
        "dt=1/": {"country": counts("country", 10, SG=6, DE=4), "id": counts("refused", 10)},
        "dt=2/": {"country": counts("country", 30, SG=10, US=20)},
    }
    (facet,) = merge_facets("s3://lake/orders/", samples)
    assert (facet.column, facet.column_type, facet.rows, facet.partitions) == (
        "country", "country", 40, 2
    )  # fmt: skip
    assert [(v.value, v.count, v.share) for v in facet.values] == [
        ("US", 20, 0.5), ("SG", 16, 0.4), ("DE", 4, 0.1)
    ]  # fmt: skip
    assert facet.summary() == "country (country): US 50%, SG 40%, DE 10%"


def test_merge_keeps_at_most_max_values() -> None:
    many = {f"V{i:02d}": 100 - i for i in range(30)}
    (facet,) = merge_facets("d", {"": {"region": ColumnCounts("region", 5000, many)}})
    assert len(facet.values) == MAX_VALUES
    assert facet.values[0].value == "V00"


def test_merge_drops_excluded_refused_and_retyped_columns() -> None:
    samples = {
        "dt=1/": {
            "country": counts("country", 10, SG=10),
            "currency": counts("currency_code", 10, SGD=10),
            "region": counts("region", 10, APAC=10),
        },
        "dt=2/": {
            "country": counts("country", 10, SG=10),
            "currency": counts("refused", 10),  # a PII finding or too many values here
            "region": counts("country", 10, SG=10),  # another type here
        },
    }
    assert merge_facets("d", samples, excluded={"country"}) == []
