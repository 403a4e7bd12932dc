"""The business models: committed artifacts, safe loading, reproducible training, taxonomy."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from classifiers.business.encoder import ENCODER_ARTIFACT
from classifiers.business.features import COLUMN_TYPES, column_features, name_tokens
from classifiers.business.model import (
    CATEGORIES_ARTIFACT,
    CATEGORIES_PIPELINE,
    COLUMNS_ARTIFACT,
    COLUMNS_PIPELINE,
    DEFAULT_ARTIFACTS_DIR,
    HIDDEN_CATEGORIES_ARTIFACT,
    HIDDEN_COLUMNS_ARTIFACT,
    MANIFEST_NAME,
    BusinessModel,
    ModelArtifactError,
    load_skops_pipeline,
)
from classifiers.business.semantic import SEMANTIC_ARTIFACT
from classifiers.business.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy
from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample
from models.samples import CellValue
from training.train import CATEGORY_THRESHOLD_FILE

N = 40


def _table(uri: str, cols: list[tuple[str, str, list[CellValue]]]) -> TableSample:
    return TableSample(
        info=ObjectInfo(ref=ObjectRef(uri), size=1, etag="t"),
        format="parquet",
        compression=None,
        columns=tuple(ColumnSample(n, t, tuple(v)) for n, t, v in cols),
        rows_sampled=N,
        row_count=N,
        row_count_estimated=False,
        bytes_read=0,
        sampling=SamplingInfo(method="test"),
    )


def _cycle(values: list[CellValue]) -> list[CellValue]:
    return [values[i % len(values)] for i in range(N)]


@pytest.fixture(scope="module")
def model() -> BusinessModel:
    return BusinessModel.load()


def _orders() -> TableSample:
    return _table(
        "s3://shop-prod/exports/orders/part-0.parquet",
        [
            ("order_id", "int64", list(range(5000, 5000 + N))),
            ("customer_id", "int64", _cycle([17, 23, 17, 42, 99, 23, 8])),
            ("order_date", "date", [date(2024, 3, 1) + timedelta(days=i) for i in range(N)]),
            ("order_total", "double", _cycle([12.5, 99.99, 3.2, 45.0, 18.75, 7.1, 250.4])),
            ("currency", "string", _cycle(["USD", "EUR", "USD", "GBP"])),
            ("sku", "string", [f"KX-{48210 + 7 * i}" for i in range(N)]),
            ("qty", "int64", _cycle([1, 2, 1, 3, 1, 5, 12])),
            ("ship_country", "string", _cycle(["Germany", "France", "Spain", "Italy"])),
            ("is_gift", "bool", _cycle([True, False, False])),
            ("discount_pct", "double", _cycle([0.1, 0.05, 0.0, 0.15, 0.2])),
            ("tracking_url", "string", [f"https://track.example.com/p/{i}" for i in range(N)]),
            (
                "placed_at",
                "timestamp[us]",
                [datetime(2024, 3, 1, 8) + timedelta(minutes=37 * i) for i in range(N)],
            ),
        ],
    )


def _patients() -> TableSample:
    names: list[CellValue] = [
        f"{f} {s}" for f in ("Ann", "Bo", "Cara", "Dev", "Eli") for s in "KLMNOPQR"
    ]
    return _table(
        "s3://ehr-prod/raw/encounters/part-0.parquet",
        [
            ("encounter_id", "int64", list(range(1, N + 1))),
            ("patient_id", "int64", _cycle([301, 302, 303, 301, 305])),
            ("patient_name", "string", names[:N]),
            ("heart_rate", "double", _cycle([72.4, 80.1, 65.9, 91.3, 58.2])),
            ("diagnosis_code", "string", _cycle(["I10", "E11.9", "J45.909"])),
            (
                "admitted_at",
                "timestamp[us]",
                [datetime(2023, 5, 1) + timedelta(hours=5 * i) for i in range(N)],
            ),
        ],
    )


def test_column_types_on_hand_made_orders(model: BusinessModel) -> None:
    sample = _orders()
    types = model.column_types(sample)
    assert len(types) == len(sample.columns)
    got = {c.name: t for c, (t, _) in zip(sample.columns, types, strict=True)}
    assert got == {
        "order_id": "identifier",
        "customer_id": "foreign_key_id",
        "order_date": "date",
        "order_total": "amount",
        "currency": "currency_code",
        "sku": "product_code_sku",
        "qty": "quantity",
        "ship_country": "country",
        "is_gift": "boolean_flag",
        "discount_pct": "percentage",
        "tracking_url": "url",
        "placed_at": "timestamp",
    }
    assert all(0.0 < p <= 1.0 for _, p in types)


def test_categories_top_three_calibrated(model: BusinessModel) -> None:
    sample = _orders()
    top = model.categories(sample, model.column_types(sample), {})
    assert len(top) == 3
    assert top[0][0] == "sales"
    assert top[0][1] > 0.5
    assert top[0][1] >= top[1][1] >= top[2][1]
    full = model.categories(sample, model.column_types(sample), {}, top=99)
    assert sum(p for _, p in full) == pytest.approx(1.0)

    health = _patients()
    types = model.column_types(health)
    assert [t for t, _ in types][:2] == ["identifier", "foreign_key_id"]
    top = model.categories(health, types, {"patient_name": {"PERSON"}})
    assert top[0][0] == "health"


def test_version_and_labels(model: BusinessModel) -> None:
    assert len(model.version) == 12
    assert set(model.column_labels) == set(COLUMN_TYPES)
    assert set(model.category_labels) == set(load_taxonomy().names)
    empty = _table("s3://b/k.parquet", [])
    assert model.column_types(empty) == []
    nulls = _table("s3://b/k.parquet", [("x", "string", [None] * N), ("y", "int64", [1] * N)])
    assert model.column_types(nulls)[0] == ("other", 0.0)


def _copy_artifacts(tmp_path: Path) -> Path:
    dst = tmp_path / "artifacts"
    dst.mkdir()
    names = (COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT, COLUMNS_PIPELINE, CATEGORIES_PIPELINE)
    hidden = (HIDDEN_COLUMNS_ARTIFACT, HIDDEN_CATEGORIES_ARTIFACT)
    for name in (MANIFEST_NAME, *names, SEMANTIC_ARTIFACT, *hidden, ENCODER_ARTIFACT):
        shutil.copy(DEFAULT_ARTIFACTS_DIR / name, dst / name)
    return dst


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-30] ^= 0xFF
    path.write_bytes(bytes(data))


def test_hash_mismatch_is_refused(tmp_path: Path) -> None:
    art = _copy_artifacts(tmp_path)
    _flip_a_byte(art / COLUMNS_ARTIFACT)
    with pytest.raises(ModelArtifactError, match=r"business-columns.npz: SHA-256 .* does not"):
        BusinessModel.load(art)
    _flip_a_byte(art / CATEGORIES_PIPELINE)
    with pytest.raises(ModelArtifactError, match=r"business-categories.skops: SHA-256 .* does"):
        load_skops_pipeline(art, CATEGORIES_PIPELINE)


def test_a_hidden_names_artifact_is_hash_checked_or_may_be_absent(tmp_path: Path) -> None:
    art = _copy_artifacts(tmp_path)
    _flip_a_byte(art / HIDDEN_CATEGORIES_ARTIFACT)
    with pytest.raises(ModelArtifactError, match=r"categories-hidden.npz: SHA-256 .* does not"):
        BusinessModel.load(art)
    (art / HIDDEN_CATEGORIES_ARTIFACT).unlink()
    with pytest.raises(ModelArtifactError, match=r"categories-hidden.npz is missing"):
        BusinessModel.load(art)
    # A manifest trained without the pair classifies every object with the first one.
    manifest = json.loads((art / MANIFEST_NAME).read_text())
    for name in (HIDDEN_COLUMNS_ARTIFACT, HIDDEN_CATEGORIES_ARTIFACT):
        del manifest["artifacts"][name]
    (art / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert not BusinessModel.load(art).has_hidden_pair
    assert BusinessModel.load().has_hidden_pair


def test_library_versions_bind_the_skops_pipelines_only(tmp_path: Path) -> None:
    art = _copy_artifacts(tmp_path)
    manifest = json.loads((art / MANIFEST_NAME).read_text())
    manifest["libraries"]["scikit-learn"] = "0.24.2"
    (art / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelArtifactError, match=r"saved with scikit-learn 0\.24\.2, but"):
        load_skops_pipeline(art, COLUMNS_PIPELINE)
    # The numpy artifacts do not depend on the installed scikit-learn.
    assert BusinessModel.load(art).column_labels == BusinessModel.load().column_labels
    manifest = json.loads((DEFAULT_ARTIFACTS_DIR / MANIFEST_NAME).read_text())
    manifest["libraries"]["skops"] = "0.9.0"
    (art / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelArtifactError, match=r"saved with skops 0\.9\.0"):
        load_skops_pipeline(art, CATEGORIES_PIPELINE)
    BusinessModel.load(art)


def test_missing_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="no business-model manifest"):
        BusinessModel.load(tmp_path)


def test_untrusted_types_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    import hashlib

    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    art = _copy_artifacts(tmp_path)
    tree = DecisionTreeClassifier(random_state=0).fit([[0.0], [1.0]], ["a", "b"])
    assert "sklearn.tree._tree.Tree" in sio.get_untrusted_types(data=sio.dumps(tree))
    sio.dump(tree, art / CATEGORIES_PIPELINE)
    manifest = json.loads((art / MANIFEST_NAME).read_text())
    digest = hashlib.sha256((art / CATEGORIES_PIPELINE).read_bytes()).hexdigest()
    manifest["artifacts"][CATEGORIES_PIPELINE]["sha256"] = digest
    (art / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelArtifactError, match=r"not on the allow-list: sklearn\.tree\._tree"):
        load_skops_pipeline(art, CATEGORIES_PIPELINE)


# A whole retrain: about a minute on an idle 2-core box, 155 s on a slow day (2026-12-05).
@pytest.mark.timeout(300)
def test_retraining_reproduces_the_committed_artifacts(tmp_path: Path) -> None:
    from training.train import main

    assert main(["--out", str(tmp_path)]) == 0
    committed = json.loads((DEFAULT_ARTIFACTS_DIR / MANIFEST_NAME).read_text())
    fresh = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert fresh["artifacts"] == committed["artifacts"], "retrain and commit the artifacts"
    assert fresh == committed
    assert {COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT, COLUMNS_PIPELINE, CATEGORIES_PIPELINE} <= set(
        fresh["artifacts"]
    )
    for name in fresh["artifacts"]:
        assert (tmp_path / name).read_bytes() == (DEFAULT_ARTIFACTS_DIR / name).read_bytes()
    # The real tables (training/real_tables.yaml) are in the training data.
    assert fresh["training_data"]["real_tables"] >= 100
    assert fresh["metrics"]["category_accuracy"] >= 0.85
    assert fresh["metrics"]["column_type_macro_f1"] >= 0.85
    # The category apply threshold is the one bench/category.py --loso measured.
    record = json.loads(CATEGORY_THRESHOLD_FILE.read_text(encoding="utf-8"))
    assert fresh["category_apply_threshold"] == record["category_apply_threshold"]
    assert fresh["category_apply_evidence"]["real_tables"] == fresh["training_data"]["real_tables"]


def test_a_threshold_measured_on_other_real_tables_is_refused(tmp_path: Path) -> None:
    from training.real_tables import RealTablesError
    from training.train import load_category_threshold

    record = load_category_threshold()
    assert record["target_precision"] == 0.95 and record["min_applied"] == 10
    other = tmp_path / "other.json.gz"
    other.write_bytes(b"not the committed sample")
    with pytest.raises(RealTablesError, match="measured on another"):
        load_category_threshold(data_file=other)
    bad = tmp_path / "threshold.json"
    bad.write_text(json.dumps({**record, "category_apply_threshold": 2}), encoding="utf-8")
    with pytest.raises(RealTablesError, match="not a probability"):
        load_category_threshold(bad)
    with pytest.raises(RealTablesError, match="cannot read"):
        load_category_threshold(tmp_path / "missing.json")
    # Measured with the hidden-names pair read under another values text prior (or none).
    for temperature in (20.0, None):
        bad.write_text(json.dumps({**record, "values_prior_temperature": temperature}))
        with pytest.raises(RealTablesError, match="values text's prior"):
            load_category_threshold(bad)
    agreeing = record["category_apply_threshold"]
    for strict in (agreeing - 0.01, 1.5, "0.9"):
        below = {**record, "category_apply_threshold_words_disagree": strict}
        bad.write_text(json.dumps(below), encoding="utf-8")
        with pytest.raises(RealTablesError, match="words_disagree"):
            load_category_threshold(bad)


def test_the_top_category_says_whether_the_words_alone_point_to_it(model: BusinessModel) -> None:
    """The words' second opinion is the semantic prior alone (what bench/category.py calls
    *prior alone*), asked of the top category only."""
    from classifiers.business.classifier import BusinessClassifier

    orders, patients = _orders(), _patients()
    assert model.words_category(orders) == "sales"
    assert model.words_category(patients) == "health"
    classifier = BusinessClassifier()
    for sample in (orders, patients):
        top, *rest = classifier.classify_table(sample, classifier.classify(sample))
        assert top.words_agree is (model.words_category(sample) == top.label) is True
        assert [r.words_agree for r in rest] == [None, None]


def test_features_are_pure_and_named() -> None:
    assert name_tokens("customerID_2024") == ["customer", "id"]
    assert name_tokens("ship-to.PostCode") == ["ship", "to", "post", "code"]
    col = ColumnSample("customer_id", "int64", (1, 2, 2, None))
    f = column_features(col, position=1, table_tokens=["crm", "customers"])
    assert f["id_own_table"] == 1.0
    # A key-named column's value statistics are its own (``k:``; see column_features).
    assert f["k:distinct_ratio"] == pytest.approx(2 / 3)
    assert column_features(col) == column_features(col)


def test_every_key_spelling_shares_one_key_feature() -> None:
    # What the model learns from synthetic ``customer_id`` must reach a warehouse's
    # surrogate keys (``ss_customer_sk``) and TPC-style ``_key`` columns.
    for name in ("customer_id", "ss_customer_sk", "order_key", "ref_no"):
        later = column_features(ColumnSample(name, "int64", (1, 2)), position=3)
        assert later["key_suffix"] == 1.0 and later["key_suffix_later"] == 1.0, name
        assert "key_suffix_first" not in later
    first = column_features(ColumnSample("d_date_sk", "int64", (1, 2)), position=0)
    assert first["key_suffix_first"] == 1.0
    assert "key_suffix" not in column_features(ColumnSample("skill", "string", ("a",)))


def test_default_taxonomy_loads() -> None:
    tax = load_taxonomy()
    assert tax.names == (
        "customer",
        "employee",
        "finance",
        "sales",
        "product",
        "marketing",
        "operations",
        "health",
        "security",
        "science",
        "reference",
    )
    assert all(c.description and c.keywords for c in tax.categories)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories:\n  - name: a\n    description: x\n    colour: red\n", "line 4: unknown key"),
        ("categories:\n  - name: Bad Name\n    description: x\n", "line 2: name must be"),
        ("categories:\n  - name: a\n    description: ''\n", "line 3: description must"),
        (
            "categories:\n  - name: a\n    description: x\n  - name: a\n    description: y\n",
            "line 4: a is declared twice",
        ),
        ("categories:\n  - name: a\n    description: x\n    keywords: 3\n", "line 4: keywords"),
        ("categories: [\n", "not valid YAML"),
        ("other: 1\n", "line 1: unknown key 'other'"),
        ("categories:\n  - name: a\n", "line 2: the category has no 'description'"),
    ],
)
def test_taxonomy_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(text, where="tax.yaml")


def test_the_hidden_names_pair_reads_what_the_values_mean(
    model: BusinessModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names that say nothing: the enum-like columns' values are the evidence left."""
    assert model._hidden is not None
    hidden_columns, hidden_categories = model._hidden
    rows: list[dict[str, float]] = []

    class Recording:
        classes = hidden_categories.classes

        def predict_proba(self, xs: list[dict[str, float]]) -> object:
            rows.extend(xs)
            return hidden_categories.predict_proba(xs)

    monkeypatch.setattr(model, "_hidden", (hidden_columns, Recording()))
    sample = _table(
        "s3://lake/t1/part-0.parquet",
        [
            ("col_1", "string", _cycle(["Cardiology", "Oncology", "Pediatrics", "Cardiology"])),
            ("col_2", "int64", list(range(N))),
        ],
    )
    model.categories(sample, model.column_types(sample))
    assert rows and any(k.startswith("sem_val:") for k in rows[0])
    vmax = {k: v for k, v in rows[0].items() if k.startswith("vmax:")}
    assert max(vmax, key=vmax.__getitem__) == "vmax:health"
    # The committed pair was trained with them (unknown features would be ignored).
    assert {"vmax:health", "vtop3:health", "sem_val:0"} <= set(hidden_categories.index)
    assert not any(k.startswith(("vmax:", "sem_val:")) for k in model._categories.index)
    # A column the PII classifier found people's names in is not read: the same ward names
    # held by a column of names found PERSON give no value features at all.
    rows.clear()
    model.categories(sample, model.column_types(sample), {"col_1": {"PERSON"}})
    assert rows and not any(k.startswith(("sem_val:", "vmax:", "vtop3:")) for k in rows[0])
    rows.clear()
    model.categories(sample, model.column_types(sample), {"col_1": set()})
    assert any(k.startswith("sem_val:") for k in rows[0])  # no entity: read as before
