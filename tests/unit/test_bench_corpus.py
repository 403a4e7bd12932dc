"""The benchmark corpus generator and the accuracy metrics (no model is loaded here)."""

from __future__ import annotations

import pytest

from bench.accuracy import Prediction, Truth, calibration, map_presidio, score
from bench.corpus import (
    FREE_TEXT_MIN_SHARE,
    LabelledColumn,
    LabelledTable,
    corpus_stats,
    iban_valid,
    iter_tables,
    luhn_valid,
    nric_valid,
    plotly_datasets_dir,
    ssn_shape_ok,
    to_table_sample,
    values_digest,
)
from models import PII_ENTITIES

ROWS = 40


@pytest.fixture(scope="module")
def dev_tables():  # type: ignore[no-untyped-def]
    return list(iter_tables("dev", rows=ROWS, real=False))


@pytest.fixture(scope="module")
def test_tables():  # type: ignore[no-untyped-def]
    return list(iter_tables("test", rows=ROWS, real=False))


def test_same_seed_same_corpus(dev_tables) -> None:  # type: ignore[no-untyped-def]
    again = list(iter_tables("dev", rows=ROWS, real=False))
    assert values_digest(again) == values_digest(dev_tables)


def test_other_seed_other_values(dev_tables) -> None:  # type: ignore[no-untyped-def]
    other = list(iter_tables("dev", seed=999, rows=ROWS, real=False))
    assert values_digest(other) != values_digest(dev_tables)


def test_splits_differ_in_values_and_names(dev_tables, test_tables) -> None:  # type: ignore[no-untyped-def]
    assert values_digest(dev_tables) != values_digest(test_tables)
    dev_names = {c.name for t in dev_tables for c in t.columns}
    test_names = {c.name for t in test_tables for c in t.columns}
    # Name variants alternate between the splits: most names are split-specific.
    assert len(dev_names & test_names) < 0.25 * len(dev_names | test_names)
    dev_locales = {t.source for t in dev_tables}
    test_locales = {t.source for t in test_tables}
    assert dev_locales != test_locales


def test_shape_of_tables(dev_tables) -> None:  # type: ignore[no-untyped-def]
    for table in dev_tables:
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)), table.name
        for col in table.columns:
            assert len(col.values) == ROWS
            assert col.entities <= set(PII_ENTITIES)
            assert col.data_type in {"string", "int64", "double", "date", "timestamp", "bool"}
        sample = to_table_sample(table)
        assert [c.name for c in sample.columns] == names
        assert sample.rows_sampled == ROWS


def test_full_size_composition() -> None:
    # Counts only depend on the templates, not on the rows: check the real targets cheaply.
    for split in ("dev", "test"):
        stats = corpus_stats(list(iter_tables(split, rows=2, real=True)))
        assert stats.columns >= 300, split
        assert stats.non_pii_share >= 0.4, split
        assert set(stats.by_entity) == set(PII_ENTITIES), split


def _columns(tables: list[LabelledTable], entity: str) -> list[LabelledColumn]:
    return [c for t in tables for c in t.columns if entity in c.entities and c.kind == "dense"]


def test_ssn_columns_hold_ssns(dev_tables, test_tables) -> None:  # type: ignore[no-untyped-def]
    cols = _columns(dev_tables + test_tables, "US_SSN")
    assert {c.data_type for c in cols} == {"string", "int64"}
    for col in cols:
        assert all(ssn_shape_ok(v) for v in col.values if v is not None), col.name


def test_card_columns_pass_luhn(dev_tables, test_tables) -> None:  # type: ignore[no-untyped-def]
    cols = _columns(dev_tables + test_tables, "CREDIT_CARD")
    assert cols
    for col in cols:
        assert all(luhn_valid(str(v)) for v in col.values if v is not None), col.name


def test_iban_and_nric_columns_validate(dev_tables, test_tables) -> None:  # type: ignore[no-untyped-def]
    tables = dev_tables + test_tables
    for col in _columns(tables, "IBAN_CODE"):
        assert all(iban_valid(str(v)) for v in col.values if v is not None), col.name
    nric = _columns(tables, "SG_NRIC_FIN")
    assert nric
    for col in nric:
        assert all(nric_valid(str(v)) for v in col.values if v is not None), col.name


def test_misleading_and_non_pii_have_no_labels(dev_tables) -> None:  # type: ignore[no-untyped-def]
    for table in dev_tables:
        for col in table.columns:
            if col.kind in {"non_pii", "misleading", "real"}:
                assert not col.entities, col.name
            if col.kind in {"dense", "sparse"}:
                assert col.entities, col.name


def test_free_text_labels_need_share() -> None:
    tables = list(iter_tables("dev", rows=400, real=False))
    free = [c for t in tables for c in t.columns if c.kind == "free_text"]
    assert any(len(c.entities) >= 2 for c in free)
    assert any(not c.entities for c in free)
    assert 0 < FREE_TEXT_MIN_SHARE < 0.5


def test_validators_on_known_values() -> None:
    assert luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("4111 1111 1111 1112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert nric_valid("S1234567D")
    assert nric_valid("s1234567d")
    assert not nric_valid("S1234567A")
    assert ssn_shape_ok("123-45-6789") and ssn_shape_ok(123456789)
    assert not ssn_shape_ok("666-45-6789") and not ssn_shape_ok("123-00-6789")


def test_plotly_tables_unlabelled_when_present() -> None:
    if plotly_datasets_dir() is None:
        pytest.skip("plotly not installed")
    real = [t for t in iter_tables("test", rows=50) if t.source.startswith("plotly:")]
    assert real
    assert all(not c.entities for t in real for c in t.columns)
    assert all(t.rows <= 50 for t in real)


# Metrics ------------------------------------------------------------------------------------


def _t(*entities: str, kind: str = "dense") -> Truth:
    return Truth("t", "c", frozenset(entities), kind)


def _p(*entities: str, other: tuple[str, ...] = (), conf: float | None = None) -> Prediction:
    confidence = {e: conf for e in entities} if conf is not None else {}
    return Prediction(frozenset(entities), frozenset(other), confidence)


def test_score_hand_example() -> None:
    truths = [
        _t("PERSON"),
        _t("PERSON"),
        _t("EMAIL_ADDRESS", "PERSON", kind="free_text"),
        _t(kind="non_pii"),
        _t(kind="non_pii"),
    ]
    preds = [
        _p("PERSON"),  # TP person
        _p(),  # FN person
        _p("EMAIL_ADDRESS", "URL"),  # TP email, FN person, FP url
        _p("PERSON"),  # FP person on a non-PII column
        _p(other=("DATE_TIME",)),  # out-of-vocabulary only
    ]
    s = score(truths, preds)
    person = s["per_entity"]["PERSON"]
    assert (person["tp"], person["fp"], person["fn"]) == (1, 1, 2)
    assert person["precision"] == pytest.approx(0.5)
    assert person["recall"] == pytest.approx(1 / 3)
    assert person["f1"] == pytest.approx(0.4)
    email = s["per_entity"]["EMAIL_ADDRESS"]
    assert (email["precision"], email["recall"], email["f1"]) == (1.0, 1.0, 1.0)
    url = s["per_entity"]["URL"]
    assert (url["tp"], url["fp"], url["support"], url["f1"]) == (0, 1, 0, 0.0)
    # micro: tp 2, fp 2, fn 2
    assert s["micro_precision"] == pytest.approx(0.5)
    assert s["micro_recall"] == pytest.approx(0.5)
    assert s["micro_f1"] == pytest.approx(0.5)
    # macro over entities with support: PERSON 0.4, EMAIL 1.0
    assert s["macro_f1"] == pytest.approx(0.7)
    assert s["fp_rate"] == pytest.approx(0.5)
    assert s["fp_rate_any"] == pytest.approx(1.0)
    assert s["person_recall"] == pytest.approx(1 / 3)
    assert s["exact_match_by_kind"]["non_pii"] == {"columns": 2, "exact": 1}


def test_score_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError):
        score([_t("PERSON")], [])


def test_calibration_bins() -> None:
    truths = [_t("PERSON"), _t(kind="non_pii"), _t("URL"), _t("URL")]
    preds = [_p("PERSON", conf=0.95), _p("PERSON", conf=0.93), _p("URL", conf=0.55), _p("URL")]
    rows = {r["bin"]: r for r in calibration(truths, preds)}
    assert rows["0.9-1.0"]["count"] == 2 and rows["0.9-1.0"]["precision"] == 0.5
    assert rows["0.5-0.6"]["count"] == 1 and rows["0.5-0.6"]["precision"] == 1.0
    assert rows["0.7-0.8"]["count"] == 0 and rows["0.7-0.8"]["precision"] is None


def test_presidio_mapping() -> None:
    assert map_presidio("EMAIL_ADDRESS") == "EMAIL_ADDRESS"
    assert map_presidio("LOCATION") is None
    assert map_presidio("DATE_TIME") is None
    assert map_presidio("SOMETHING_NEW") is None
