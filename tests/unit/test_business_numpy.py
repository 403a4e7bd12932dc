"""The numpy business models: the same probabilities as the skops pipelines, no sklearn."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifiers.business.encoder import (
    ENCODER_ARTIFACT,
    SentenceEncoder,
    encoder_features,
    table_text,
    values_text,
)
from classifiers.business.features import hidden_share, opaque_names, table_features
from classifiers.business.model import (
    CATEGORIES_ARTIFACT,
    CATEGORIES_PIPELINE,
    COLUMNS_ARTIFACT,
    COLUMNS_PIPELINE,
    DEFAULT_ARTIFACTS_DIR,
    HIDDEN_CATEGORIES_ARTIFACT,
    HIDDEN_CATEGORIES_PIPELINE,
    HIDDEN_COLUMNS_ARTIFACT,
    HIDDEN_COLUMNS_PIPELINE,
    LINEAR_ARRAYS,
    MANIFEST_NAME,
    BusinessModel,
    LinearModel,
    ModelArtifactError,
    linear_to_bytes,
    load_skops_pipeline,
)
from classifiers.business.semantic import (
    SEMANTIC_ARTIFACT,
    column_model_features,
    semantic_features,
    value_features,
)
from tests.support.encoder_reference import pooled_cosine
from training.corpus import LabelledTable, build_corpus
from training.real_tables import load_real_tables
from training.train import category_rows, column_rows, export_linear, hidden_test_tables

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables() -> list[LabelledTable]:
    """A quarter of the synthetic test corpus and every labelled real table (thousands of
    columns: equal probabilities on these are equal arithmetic, not luck)."""
    return build_corpus("test")[::4] + load_real_tables()


@pytest.fixture(scope="module")
def pipelines() -> tuple[Any, Any]:
    return (
        load_skops_pipeline(DEFAULT_ARTIFACTS_DIR, COLUMNS_PIPELINE),
        load_skops_pipeline(DEFAULT_ARTIFACTS_DIR, CATEGORIES_PIPELINE),
    )


@pytest.fixture(scope="module")
def hidden_pipelines() -> tuple[Any, Any]:
    return (
        load_skops_pipeline(DEFAULT_ARTIFACTS_DIR, HIDDEN_COLUMNS_PIPELINE),
        load_skops_pipeline(DEFAULT_ARTIFACTS_DIR, HIDDEN_CATEGORIES_PIPELINE),
    )


@pytest.fixture(scope="module")
def hidden_tables(tables: list[LabelledTable]) -> list[LabelledTable]:
    """The synthetic tables of ``tables`` with every name hidden."""
    return hidden_test_tables(tables)


@pytest.fixture(scope="module")
def model() -> BusinessModel:
    return BusinessModel.load()


def test_loading_and_classifying_imports_neither_sklearn_skops_nor_scipy() -> None:
    code = textwrap.dedent(
        """
        import sys
        from datetime import date
        from classifiers.business.model import BusinessModel
        from models import ColumnSample, ObjectInfo, ObjectRef, SamplingInfo, TableSample

        cols = (
            ColumnSample("email", "string", tuple(f"u{i}@example.com" for i in range(20))),
            ColumnSample("signup", "date", tuple(date(2024, 1, i + 1) for i in range(20))),
            ColumnSample("amount", "double", tuple(i * 1.5 for i in range(20))),
        )
        sample = TableSample(
            info=ObjectInfo(ref=ObjectRef("s3://crm/customers/part-0.parquet"), size=1, etag="t"),
            format="parquet", compression=None, columns=cols, rows_sampled=20, row_count=20,
            row_count_estimated=False, bytes_read=0, sampling=SamplingInfo(method="test"),
        )
        model = BusinessModel.load()
        types = model.column_types(sample)
        top = model.categories(sample, types, {"email": {"EMAIL_ADDRESS"}})
        assert len(types) == 3 and len(top) == 3, (types, top)
        print(sorted(m for m in ("sklearn", "skops", "scipy") if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("pair", ["named", "hidden"])
def test_probabilities_equal_the_pipelines(
    pair: str,
    tables: list[LabelledTable],
    hidden_tables: list[LabelledTable],
    pipelines: tuple[Any, Any],
    hidden_pipelines: tuple[Any, Any],
    model: BusinessModel,
) -> None:
    columns_name, categories_name = (
        (COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT)
        if pair == "named"
        else (HIDDEN_COLUMNS_ARTIFACT, HIDDEN_CATEGORIES_ARTIFACT)
    )
    columns_pipe, categories_pipe = pipelines if pair == "named" else hidden_pipelines
    tables = tables if pair == "named" else hidden_tables
    semantic = model.semantic if pair == "named" else None
    numpy_columns = LinearModel.from_bytes((DEFAULT_ARTIFACTS_DIR / columns_name).read_bytes())
    numpy_categories = LinearModel.from_bytes(
        (DEFAULT_ARTIFACTS_DIR / categories_name).read_bytes()
    )
    cx, _ = column_rows(tables, semantic)
    expected = columns_pipe.predict_proba(cx)
    assert expected.shape == (len(cx), len(numpy_columns.classes)) and len(cx) > 400
    assert np.allclose(numpy_columns.predict_proba(cx), expected, rtol=0, atol=1e-9)
    assert numpy_columns.classes == tuple(str(c) for c in columns_pipe.classes_)
    encoder = (
        SentenceEncoder.load(DEFAULT_ARTIFACTS_DIR / ENCODER_ARTIFACT) if pair == "named" else None
    )
    tx, _ = category_rows(tables, columns_pipe, semantic, encoder)
    expected = categories_pipe.predict_proba(tx)
    assert expected.shape == (len(tables), len(numpy_categories.classes))
    assert np.allclose(numpy_categories.predict_proba(tx), expected, rtol=0, atol=1e-9)
    assert numpy_categories.classes == tuple(str(c) for c in categories_pipe.classes_)


def test_business_model_gives_the_pipelines_labels_and_confidences(
    tables: list[LabelledTable],
    hidden_tables: list[LabelledTable],
    pipelines: tuple[Any, Any],
    hidden_pipelines: tuple[Any, Any],
    model: BusinessModel,
) -> None:
    """A column whose name says nothing is typed by the hidden-names column model (no word
    vectors), every other by the first; the hidden-names category model's probabilities
    (no calibration power; it reads the values' meaning) are mixed into the first pair's by
    the share of such names, row numbers left out; the sentence encoder's prior (when the
    manifest has one) is multiplied in before that mixing, and the values text's prior (when
    the manifest has one) into the hidden-names pair's."""
    mixed = 0
    power = float(model.manifest["category_power"])
    sentence = model.manifest.get("category_sentence_prior")
    values_prior = model.manifest.get("category_values_prior")
    encoder = SentenceEncoder.load(DEFAULT_ARTIFACTS_DIR / ENCODER_ARTIFACT)
    for t in tables[::3] + hidden_tables[::9]:
        opaque = opaque_names(t.sample)
        mixed += any(opaque)
        named = pipelines[0].predict_proba(column_model_features(t.sample, model.semantic))
        hidden = hidden_pipelines[0].predict_proba(column_model_features(t.sample, None))
        want = [
            ("other", 0.0) if c.non_null == 0 else (str(pipelines[0].classes_[p.argmax()]), p.max())
            for c, p in zip(
                t.sample.columns, np.where(np.array(opaque)[:, None], hidden, named), strict=True
            )
        ]
        got = model.column_types(t.sample)
        assert [label for label, _ in got] == [label for label, _ in want]
        assert np.allclose([p for _, p in got], [p for _, p in want], rtol=0, atol=1e-9)

        types = [label for label, _ in got]
        top = model.categories(t.sample, got, t.pii, top=99)
        prior = semantic_features(model.semantic, t.sample) if model.semantic else None
        if model.manifest["hyperparameters"]["encoder_features"]:
            prior = {**(prior or {}), **encoder_features(encoder.embed(table_text(t.sample)))}
        cat = pipelines[1].predict_proba([table_features(t.sample, types, t.pii, prior)])[0]
        cat = np.power(np.maximum(cat, 1e-12), power)
        if sentence is not None:
            # The sentence prior's softmax, to its weight, multiplied in.
            # Each category's cosines (its description's, then its facets'), soft-maxed.
            vec = encoder.embed(table_text(t.sample)).astype(float)
            cos = np.array(
                [
                    pooled_cosine(encoder, encoder.labels.index(c), vec)
                    for c in pipelines[1].classes_
                ]
            )
            z = np.exp(sentence["temperature"] * (cos - cos.max()))
            cat = cat * np.power(z / z.sum(), sentence["weight"])
        cat = cat / cat.sum()
        # Row numbers (lifelines' `Unnamed: 0`) do not count towards the share.
        share = hidden_share(t.sample, opaque)
        if share:
            # The hidden-names pair reads what the values mean (no names' word vectors).
            personal = {c for c, e in t.pii.items() if e}
            values = value_features(model.semantic, t.sample, personal) if model.semantic else None
            pair = hidden_pipelines[1].predict_proba(
                [table_features(t.sample, types, t.pii, values)]
            )[0]
            if values_prior is not None:
                # The values text's prior: the softmax of its pooled cosines at the
                # temperature, multiplied in (no power, no weight).
                vec = encoder.embed(values_text(t.sample, types, t.pii)).astype(float)
                cos = np.array(
                    [
                        pooled_cosine(encoder, encoder.labels.index(c), vec)
                        for c in pipelines[1].classes_
                    ]
                )
                z = np.exp(values_prior["temperature"] * (cos - cos.max()))
                pair = pair * z / z.sum()
                pair = pair / pair.sum()
            cat = (1 - share) * cat + share * pair
        labels = [str(c) for c in pipelines[1].classes_]
        order = sorted(range(len(labels)), key=lambda i: (-float(cat[i]), labels[i]))
        assert [label for label, _ in top] == [labels[i] for i in order]
        assert np.allclose([p for _, p in top], cat[order], rtol=0, atol=1e-9)
    assert model.has_hidden_pair and mixed >= 20
    assert sentence is not None and sentence["weight"] > 0
    assert values_prior is not None and values_prior["temperature"] > 0


def _fit(rows: list[dict[str, Any]], ys: list[str]) -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    return Pipeline(
        [
            ("vec", DictVectorizer(sort=True)),
            ("scale", MaxAbsScaler()),
            ("clf", LogisticRegression(C=2.0, max_iter=1000, random_state=0)),
        ]
    ).fit(rows, ys)


ROWS: list[dict[str, Any]] = [
    {"x": 2.0, "kind": "a", "tags": ["p", "q"], "flag": True, "zero": 0.0},
    {"x": -1.5, "kind": "b", "tags": ["q"], "zero": 0.0},
    {"x": 0.5, "kind": "a", "y": 3, "zero": 0.0},
    {"x": -3.0, "kind": "c", "tags": ["r"], "y": -1, "zero": 0.0},
    {"x": 1.0, "y": 2, "flag": False, "zero": 0.0},
    {"x": -0.25, "kind": "b", "tags": ["p"], "zero": 0.0},
]
PROBES: list[dict[str, Any]] = [
    *ROWS,
    {"x": 0.7, "kind": "unseen", "unknown": 5.0, "tags": ["p", "zz"]},
    {},
    {"unknown": "a", "kind=a": 1.0},
]


@pytest.mark.parametrize("labels", [["u", "v", "u", "v", "v", "u"], ["u", "v", "w", "u", "v", "w"]])
def test_vectorising_and_probabilities_match_sklearn(labels: list[str]) -> None:
    """String values one-hot, lists of strings, bools, unknown keys, zero-scale features; the
    logistic function for two classes and the softmax for three."""
    pipe = _fit(ROWS, labels)
    numpy_model = LinearModel.from_bytes(export_linear(pipe))
    assert numpy_model.classes == tuple(sorted(set(labels)))
    assert "kind=a" in numpy_model.index and "tags=q" in numpy_model.index
    got = numpy_model.predict_proba(PROBES)
    assert np.allclose(got, pipe.predict_proba(PROBES), rtol=0, atol=1e-12)
    assert not np.allclose(got[0], got[1])
    with pytest.raises(TypeError):
        numpy_model.predict_proba([{"x": object()}])


def test_export_is_deterministic() -> None:
    pipe = _fit(ROWS, ["u", "v", "w", "u", "v", "w"])
    assert export_linear(pipe) == export_linear(_fit(ROWS, ["u", "v", "w", "u", "v", "w"]))


def _rehash(art: Path, name: str) -> None:
    manifest = json.loads((art / MANIFEST_NAME).read_text())
    manifest["artifacts"][name]["sha256"] = hashlib.sha256((art / name).read_bytes()).hexdigest()
    (art / MANIFEST_NAME).write_text(json.dumps(manifest))


def test_a_malformed_numpy_artifact_is_refused(tmp_path: Path) -> None:
    art = tmp_path / "artifacts"
    art.mkdir()
    for name in (
        MANIFEST_NAME,
        COLUMNS_ARTIFACT,
        CATEGORIES_ARTIFACT,
        SEMANTIC_ARTIFACT,
        HIDDEN_COLUMNS_ARTIFACT,
        HIDDEN_CATEGORIES_ARTIFACT,
        ENCODER_ARTIFACT,
    ):
        shutil.copy(DEFAULT_ARTIFACTS_DIR / name, art / name)
    (art / COLUMNS_ARTIFACT).write_bytes(b"not a zip")
    _rehash(art, COLUMNS_ARTIFACT)
    with pytest.raises(ModelArtifactError, match=r"business-columns\.npz: not a numpy model"):
        BusinessModel.load(art)

    with np.load(DEFAULT_ARTIFACTS_DIR / CATEGORIES_ARTIFACT, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in LINEAR_ARRAYS}
    shutil.copy(DEFAULT_ARTIFACTS_DIR / COLUMNS_ARTIFACT, art / COLUMNS_ARTIFACT)
    _rehash(art, COLUMNS_ARTIFACT)
    arrays["coef"] = arrays["coef"][:, :-1]
    (art / CATEGORIES_ARTIFACT).write_bytes(linear_to_bytes(arrays))
    _rehash(art, CATEGORIES_ARTIFACT)
    with pytest.raises(ModelArtifactError, match=r"business-categories\.npz: coefficients"):
        BusinessModel.load(art)

    arrays["coef"] = np.load(DEFAULT_ARTIFACTS_DIR / CATEGORIES_ARTIFACT)["coef"]
    arrays["classes"] = arrays["classes"][::-1].copy()
    (art / CATEGORIES_ARTIFACT).write_bytes(linear_to_bytes(arrays))
    _rehash(art, CATEGORIES_ARTIFACT)
    with pytest.raises(ModelArtifactError, match=r"labels .* differ from the manifest"):
        BusinessModel.load(art)
