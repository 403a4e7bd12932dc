"""Train the business models reproducibly and write the skops and numpy artifacts and manifest.

``python -m training.train --out models/artifacts`` (from the repository root; ``make train``)

Dev/training code (the corpus needs Faker and plotly). Reproducible: a fixed corpus seed,
inputs in corpus order, ``random_state=0``, BLAS limited to one thread, and skops files
rewritten canonically (skops names arrays after ``id()`` and stamps the zip entries with
the current time; :func:`canonical_skops` renumbers the ids in order of appearance and
fixes the timestamps), so two runs on the same machine and library versions write
byte-identical files.

Each pipeline is also exported as plain numpy arrays (:func:`export_linear`), the artifact
the run time loads without scikit-learn (:class:`classifiers.business.model.LinearModel`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.business.encoder import ENCODER_ARTIFACT, SentenceEncoder
from classifiers.business.features import (
    COLUMN_TYPES,
    FEATURE_VERSION,
    table_features,
)
from classifiers.business.lexicon import lexicon_digest
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
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    SEPARATOR,
    ModelArtifactError,
    category_prior,
    hidden_prior,
    library_versions,
    linear_to_bytes,
    manifest_disagree_threshold,
    manifest_sentence_prior,
    pack_names,
)
from classifiers.business.semantic import (
    SEMANTIC_ARTIFACT,
    SemanticVectors,
    column_model_features,
    column_name_features,
    features_from_tokens,
)
from training.corpus import (
    DEFAULT_SEEDS,
    DEFAULT_TABLES,
    OTHER_LOCALE_SEED,
    OTHER_LOCALES,
    LabelledTable,
    build_corpus,
    business_table,
    corpus_digest,
    hidden_name_copies,
    hide_names,
    other_locale_tables,
)
from training.numeric_env import REPO_ROOT, pinned, run_pinned
from training.real_tables import DEFAULT_DATA, RealTablesError, load_real_tables

#: The category apply threshold measured by ``bench/category.py --loso --write-threshold``
#: (leave-one-source-out predictions on the real tables take minutes, too slow for
#: ``make train``); :func:`train` copies it into the manifest.
CATEGORY_THRESHOLD_FILE = REPO_ROOT / "training" / "data" / "category_threshold.json"

#: The word vectors distilled from all-MiniLM-L6-v2 by ``python -m training.semantic_vectors``
#: (committed, so training needs neither the model nor torch).
SEMANTIC_VECTORS_FILE = REPO_ROOT / "training" / "data" / "semantic_vectors.npz"
#: The quantised sentence encoder (``python -m training.sentence_encoder``), copied as it is
#: into the artifacts when the category threshold was measured with the sentence prior.
SENTENCE_ENCODER_FILE = REPO_ROOT / "training" / "data" / "sentence_encoder.npz"
#: Whether the category model gets the table-text embedding's features (with the encoder).
ENCODER_FEATURES = True
#: Whether the category model gets the semantic prior's features (and the artifacts the
#: vectors): adopted only when leave-one-source-out on real tables measures it better
#: (bench/README.md).
SEMANTIC_PRIOR = True

#: Temperature of the values text's prior on the hidden-names pair (the encoder's reading of
#: :func:`classifiers.business.encoder.values_text`, for tables whose names say nothing):
#: chosen by ``bench/values_prior.py`` (the smallest log loss on the generator's tables of
#: another seed; bench/README.md, "What the values say, in words"). ``None``: no prior.
VALUES_PRIOR_TEMPERATURE: float | None = 15.0


def load_category_threshold(
    path: Path = CATEGORY_THRESHOLD_FILE, data_file: Path = DEFAULT_DATA
) -> dict[str, Any]:
    """The committed category apply threshold record, checked against the real tables.

    :returns: the record; its ``category_apply_threshold`` is a probability or ``None``
        (no category is applied without a steward).
    :raises RealTablesError: the file is missing or malformed, or it was measured on another
        real-tables sample file (rerun ``bench/category.py --loso --write-threshold``).
    Side effects: reads both files.
    """
    rerun = "run `PYTHONPATH=. python bench/category.py --loso --write-threshold`"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RealTablesError(f"cannot read the category threshold {path}: {exc}; {rerun}") from exc
    if not isinstance(record, dict) or "category_apply_threshold" not in record:
        raise RealTablesError(f"{path}: no category_apply_threshold; {rerun}")
    value = record["category_apply_threshold"]
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1
    ):
        raise RealTablesError(f"{path}: category_apply_threshold {value!r} is not a probability")
    try:
        manifest_disagree_threshold(record)  # the manifest's own check of the pair
    except ModelArtifactError as exc:
        raise RealTablesError(f"{path}: {exc}; {rerun}") from exc
    power = record.get("category_power", 1.0)
    if isinstance(power, bool) or not isinstance(power, int | float) or not 0 < power <= 1:
        raise RealTablesError(f"{path}: category_power {power!r} is not in (0, 1]")
    if record.get("values_prior_temperature") != VALUES_PRIOR_TEMPERATURE:
        raise RealTablesError(
            f"{path} was measured with the values text's prior at "
            f"{record.get('values_prior_temperature')!r}, training's is "
            f"{VALUES_PRIOR_TEMPERATURE!r} (VALUES_PRIOR_TEMPERATURE); {rerun}"
        )
    sentence = record.get("sentence_prior")
    if sentence is not None:
        try:
            manifest_sentence_prior({"category_sentence_prior": sentence})
        except ModelArtifactError as exc:
            raise RealTablesError(f"{path}: sentence_prior: {exc}; {rerun}") from exc
    if record.get("real_tables_file_sha256") != hashlib.sha256(data_file.read_bytes()).hexdigest():
        raise RealTablesError(
            f"{path} was measured on another {data_file.name} (its SHA-256 differs); {rerun}"
        )
    return record


_ID = re.compile(rb'("__id__": )(\d+)|"(\d+)\.npy"')
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops zip so that equal models give equal bytes.

    Object ids (``__id__`` and the ``<id>.npy`` member names) are renumbered in order of
    first appearance in ``schema.json``; members are written in name order with a fixed
    timestamp and no compression. The result loads exactly like the input.

    :raises zipfile.BadZipFile: ``data`` is not a zip file.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = src.read("schema.json")
    mapping: dict[bytes, bytes] = {}

    def renumber(m: re.Match[bytes]) -> bytes:
        old = m.group(2) or m.group(3)
        new = mapping.setdefault(old, str(len(mapping) + 1).encode())
        return m.group(1) + new if m.group(2) else b'"' + new + b'.npy"'

    new_schema = _ID.sub(renumber, schema)
    members: dict[str, bytes] = {"schema.json": new_schema}
    for info in src.infolist():
        if info.filename == "schema.json":
            continue
        stem = info.filename.removesuffix(".npy").encode()
        if info.filename.endswith(".npy") and stem in mapping:
            members[mapping[stem].decode() + ".npy"] = src.read(info)
        else:
            members[info.filename] = src.read(info)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as dst:
        for name in sorted(members):
            zi = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, members[name])
    return out.getvalue()


def export_linear(pipeline: Any) -> bytes:
    """A fitted ``vec`` -> ``scale`` -> ``clf`` pipeline as a numpy artifact (``.npz``).

    The feature names in vocabulary order, the coefficients with the ``MaxAbsScaler`` folded
    in (``coef_ * (1 / scale_)``, the scaler's own arithmetic; its ``scale_`` already has 1
    where a feature's maximum is 0), the intercepts and the class labels. Equal pipelines
    give equal bytes (:func:`classifiers.business.model.linear_to_bytes`).

    :raises ValueError: the pipeline is not of that shape, or its vocabulary is not in
        feature-name order.
    """
    vec, scale, clf = (pipeline.named_steps.get(k) for k in ("vec", "scale", "clf"))
    if vec is None or scale is None or clf is None or vec.separator != SEPARATOR:
        raise ValueError("not a DictVectorizer -> MaxAbsScaler -> LogisticRegression pipeline")
    names = [str(n) for n in vec.feature_names_]
    if any(vec.vocabulary_[n] != i for i, n in enumerate(names)):
        raise ValueError("the vectorizer's vocabulary is not in feature-name order")
    names_bytes, offsets = pack_names(names)
    coef = np.asarray(clf.coef_, dtype=np.float64) * (1.0 / np.asarray(scale.scale_))[None, :]
    classes = [str(c) for c in clf.classes_]
    return linear_to_bytes(
        {
            "names": names_bytes,
            "offsets": offsets,
            "coef": coef,
            "intercept": np.asarray(clf.intercept_, dtype=np.float64),
            "classes": np.array(classes, dtype=f"<U{max(len(c) for c in classes)}"),
        }
    )


def _column_pipeline() -> Any:
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
    from sklearn.preprocessing import MaxAbsScaler  # type: ignore[import-untyped]

    return Pipeline(
        [
            ("vec", DictVectorizer(sort=True)),
            ("scale", MaxAbsScaler()),
            ("clf", LogisticRegression(C=4.0, max_iter=4000, random_state=0)),
        ]
    )


def _category_pipeline() -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    return Pipeline(
        [
            ("vec", DictVectorizer(sort=True)),
            ("scale", MaxAbsScaler()),
            ("clf", LogisticRegression(C=1.0, max_iter=4000, random_state=0)),
        ]
    )


#: Inverse regularisation strengths tried for the category model (chosen by CV log loss).
CATEGORY_C_GRID = (1.0, 3.0, 10.0, 30.0)


def pick_category_c(
    xs: Sequence[dict[str, float]], ys: Sequence[str], weights: Sequence[float] | None = None
) -> float:
    """The C of :data:`CATEGORY_C_GRID` with the best 5-fold CV log loss on the training split.

    Log loss rewards calibrated probabilities, so this is the calibration step; the test
    split is never looked at. Ties keep the smaller C. ``weights`` are sample weights for
    fitting (the score is unweighted). Pure apart from fitting models.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score  # type: ignore[import-untyped]

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    best_c, best = CATEGORY_C_GRID[0], float("-inf")
    params = {} if weights is None else {"clf__sample_weight": list(weights)}
    for c in CATEGORY_C_GRID:
        pipe = _category_pipeline().set_params(clf__C=c)
        scores = cross_val_score(
            pipe, list(xs), list(ys), cv=folds, scoring="neg_log_loss", params=params
        )
        # A fold missing a class cannot be scored (NaN); judge C on the folds that can.
        finite = [float(x) for x in scores if x == x]
        score = sum(finite) / len(finite) if finite else float("-inf")
        if score > best + 1e-9:
            best_c, best = c, score
    return best_c


def column_rows(
    tables: Sequence[LabelledTable], semantic: SemanticVectors | None = None
) -> tuple[list[dict[str, float]], list[str]]:
    """Column feature dicts and labels of every column of ``tables``, in corpus order.

    :param semantic: word vectors for the column names' meaning; ``None`` leaves it out.
    Pure; never raises.
    """
    xs: list[dict[str, float]] = []
    ys: list[str] = []
    for t in tables:
        xs.extend(column_model_features(t.sample, semantic))
        ys.extend(t.column_types)
    return xs, ys


def category_rows(
    tables: Sequence[LabelledTable],
    columns_model: Any,
    semantic: SemanticVectors | None = None,
    encoder: SentenceEncoder | None = None,
    values: SemanticVectors | None = None,
) -> tuple[list[dict[str, float]], list[str]]:
    """Table feature dicts (using *predicted* column types) and category labels.

    :param semantic: the word vectors of the semantic prior; ``None`` leaves it out.
    :param encoder: the sentence encoder, whose table-text embedding becomes features
        (:func:`~classifiers.business.encoder.encoder_features`); ``None`` leaves it out.
    :param values: word vectors for the values' meaning alone
        (:func:`~classifiers.business.semantic.value_features`, what the hidden-names pair
        reads); ``None`` leaves them out.
    Pure apart from running ``columns_model`` and the encoder.
    """
    xs: list[dict[str, float]] = []
    for t in tables:
        types = [str(x) for x in columns_model.predict(column_model_features(t.sample, semantic))]
        vector = encoder.table_vector(t.sample) if encoder is not None else None
        prior = category_prior(semantic, t.sample, vector)
        if values is not None:
            prior = {**(prior or {}), **(hidden_prior(values, t.sample, t.pii) or {})}
        xs.append(table_features(t.sample, types, t.pii, prior))
    return xs, [t.category for t in tables]


def evaluate(
    columns_model: Any,
    categories_model: Any,
    tables: Sequence[LabelledTable],
    semantic: SemanticVectors | None = None,
    encoder: SentenceEncoder | None = None,
    values: SemanticVectors | None = None,
) -> dict[str, float]:
    """Test-split metrics: category accuracy / macro F1 / log loss, column-type macro F1.

    :param values: word vectors for the values' meaning, as the pair was fitted with
        (:func:`category_rows`).
    Pure apart from running the models.
    """
    from sklearn.metrics import accuracy_score, f1_score, log_loss  # type: ignore[import-untyped]

    cx, cy = column_rows(tables, semantic)
    col_pred = columns_model.predict(cx)
    tx, ty = category_rows(tables, columns_model, semantic, encoder, values)
    cat_proba = categories_model.predict_proba(tx)
    cat_pred = categories_model.classes_[cat_proba.argmax(axis=1)]
    return {
        "category_accuracy": round(float(accuracy_score(ty, cat_pred)), 4),
        "category_macro_f1": round(float(f1_score(ty, cat_pred, average="macro")), 4),
        "category_log_loss": round(
            float(log_loss(ty, cat_proba, labels=categories_model.classes_)), 4
        ),
        "column_type_macro_f1": round(float(f1_score(cy, col_pred, average="macro")), 4),
        "column_type_weighted_f1": round(float(f1_score(cy, col_pred, average="weighted")), 4),
        "column_type_accuracy": round(float(accuracy_score(cy, col_pred)), 4),
    }


#: Weight of a real table's category example against a synthetic one. The generator makes
#: far more tables than the packages ship; without the weight the category model keeps
#: learning the generator's vocabulary and stays over-confident on real tables.
REAL_CATEGORY_WEIGHT = 3.0


def _weights(tables: Sequence[LabelledTable], extra: int) -> list[float]:
    return [REAL_CATEGORY_WEIGHT if t.source.startswith("real:") else 1.0 for t in tables] + [
        1.0
    ] * extra


#: A feature must occur in at least this many training rows to enter a model. The real
#: tables bring thousands of column names seen once; their n-grams tripled the column
#: model's artifact (17 MB; 9 MB pruned) and a feature seen once teaches it nothing that
#: generalises. The category model is not pruned: pruning it cost top-3 accuracy on real
#: tables held out by source (bench/README.md).
MIN_FEATURE_ROWS = 2
#: Whether the category model's features are pruned too (its artifact is the smaller one).
PRUNE_CATEGORY_FEATURES = False


def prune_rare(rows: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """``rows`` without the features present in fewer than :data:`MIN_FEATURE_ROWS` rows.

    At prediction time the vectorizer ignores features it never saw, so nothing else
    changes. Pure; keeps each row's key order.
    """
    from collections import Counter

    counts = Counter(k for row in rows for k in row)
    return [{k: v for k, v in row.items() if counts[k] >= MIN_FEATURE_ROWS} for row in rows]


def fit_models(
    tables: Sequence[LabelledTable],
    *,
    category_c: float | None = None,
    extra_columns: Sequence[tuple[dict[str, float], str]] = (),
    extra_categories: Sequence[tuple[dict[str, float], str]] = (),
    prune_columns: bool = True,
    prune_categories: bool = PRUNE_CATEGORY_FEATURES,
    semantic: SemanticVectors | None = None,
    encoder: SentenceEncoder | None = None,
    values: SemanticVectors | None = None,
) -> tuple[Any, Any, float]:
    """Fit the column-type model, then the category model on predicted column types.

    :param category_c: the category model's C; ``None`` picks it with
        :func:`pick_category_c` (5-fold CV log loss on ``tables``).
    :param extra_columns: (features, label) examples added to the column model's data.
    :param extra_categories: (features, label) examples added to the category model's data.
    :param prune_columns: drop rare column features (:func:`prune_rare`).
    :param prune_categories: drop rare category features.
    :param semantic: word vectors for the semantic prior's features; ``None``: without.
    :param encoder: the sentence encoder for the table-text embedding features; ``None``:
        without.
    :param values: word vectors for the values' meaning alone (:func:`category_rows`).
    :returns: (columns model, categories model, the category C used).
    Pure apart from fitting (call under ``threadpool_limits(1)`` for reproducible bytes).
    """
    cx, cy = column_rows(tables, semantic)
    cx += [f for f, _ in extra_columns]
    cy += [label for _, label in extra_columns]
    columns_model = _column_pipeline().fit(prune_rare(cx) if prune_columns else cx, cy)
    tx, ty = category_rows(tables, columns_model, semantic, encoder, values)
    tx += [f for f, _ in extra_categories]
    ty += [label for _, label in extra_categories]
    if prune_categories:
        tx = prune_rare(tx)
    weights = _weights(tables, len(extra_categories))
    if category_c is None:
        category_c = pick_category_c(tx, ty, weights)
    categories_model = _category_pipeline().set_params(clf__C=category_c)
    categories_model.fit(tx, ty, clf__sample_weight=weights)
    return columns_model, categories_model, category_c


def fit_hidden_models(
    tables: Sequence[LabelledTable],
    other_locales: Sequence[LabelledTable] = (),
    values: SemanticVectors | None = None,
) -> tuple[Any, Any, float]:
    """Fit the pair for objects whose names say nothing.

    :func:`fit_models` on a copy of every business table of ``tables`` and of
    ``other_locales`` (:func:`training.corpus.other_locale_tables`) with hidden names
    (:func:`training.corpus.hidden_name_copies`), without the semantic prior. Real tables
    and the research templates are left out: with their names gone, what is left of a
    research table's category is guesswork. The word vectors of generic path words
    (``gold-vault/t17``) swung the categories of a table whose names say nothing more than
    its values did (hidden-names test split, top-1 0.564 with them, 0.736 without;
    bench/README.md). What the values of enum-like columns mean is read, with ``values``
    (:func:`~classifiers.business.semantic.value_features`).

    :param values: the word vectors; ``None``: without the values' meaning.
    :raises ValueError: ``tables`` holds no business table.
    Pure apart from fitting.
    """
    if not any(business_table(t) for t in tables):
        raise ValueError("no synthetic business tables to hide the names of")
    copies = hidden_name_copies([*tables, *other_locales])
    return fit_models(copies, values=values)


def hidden_test_tables(tables: Sequence[LabelledTable]) -> list[LabelledTable]:
    """The business tables of ``tables`` with hidden names: the hidden-names pair's test data.

    Business tables: :func:`training.corpus.business_table`, what the pair learns. Each
    table gets its own seeded draw (not the training copies' seeds). Pure.
    """
    return [
        hide_names(t, random.Random(f"hidden-test|{t.sample.info.etag}"))
        for t in tables
        if business_table(t)
    ]


class StewardExampleError(ValueError):
    """A steward-example file is malformed (the message names the line)."""


def load_steward_examples(
    path: Path,
) -> tuple[list[tuple[dict[str, float], str]], list[tuple[dict[str, float], str]], dict[str, Any]]:
    """Read ``enricher train export`` output: approved column-type and category examples.

    :returns: (column examples, category examples, a summary for the manifest: file sha256,
        approved used per kind, rejected counted).
    :raises StewardExampleError: a line is not a valid example or names an unknown label.
    """
    data = path.read_bytes()
    columns: list[tuple[dict[str, float], str]] = []
    categories: list[tuple[dict[str, float], str]] = []
    rejected = 0
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            ex = json.loads(line)
            kind, label, verdict = ex["kind"], str(ex["label"]), ex["verdict"]
            features = {str(k): float(v) for k, v in dict(ex["features"]).items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise StewardExampleError(f"{path}:{number}: not a steward example ({exc})") from exc
        if ex.get("format") != 1:
            raise StewardExampleError(f"{path}:{number}: unknown example format {ex.get('format')}")
        if kind == "column_type" and label not in COLUMN_TYPES:
            raise StewardExampleError(f"{path}:{number}: unknown column type {label!r}")
        if kind not in ("column_type", "category") or verdict not in ("approved", "rejected"):
            raise StewardExampleError(f"{path}:{number}: unknown kind or verdict")
        if verdict == "rejected":
            rejected += 1
            continue
        (columns if kind == "column_type" else categories).append((features, label))
    summary = {
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "column_types_used": len(columns),
        "categories_used": len(categories),
        "rejections_counted_not_fitted": rejected,
    }
    return columns, categories, summary


def train(
    out_dir: Path, *, tables: int | None = None, steward_examples: Path | None = None
) -> dict[str, Any]:
    """Build the corpus, fit both pipelines, write the artifacts and the manifest.

    Training data: the synthetic ``train`` split with plotly's tables, plus every labelled
    real table (:func:`training.real_tables.load_real_tables`); test metrics are on the
    synthetic ``test`` split (the real tables are measured leave-one-source-out by
    ``bench/category.py --loso``).

    :param tables: synthetic training tables (default :data:`DEFAULT_TABLES`); the test split
        keeps its default size.
    :param steward_examples: a file from ``enricher train export``; its approved examples
        are added to the training data (never to the test split), and the manifest says so.
    :raises StewardExampleError: the examples file is malformed.
    :raises RealTablesError: the real-table labels and sample file disagree; the category
        threshold file is missing, malformed or stale (:func:`load_category_threshold`).
    :returns: the manifest written.
    :raises ModuleNotFoundError: Faker or plotly (dev dependencies) are missing.
    Side effects: creates ``out_dir``; overwrites the two ``.skops`` files, their numpy
    exports, the semantic vectors, the sentence encoder and the manifest.
    """
    import skops.io as sio  # type: ignore[import-untyped]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    started = time.perf_counter()
    threshold = load_category_threshold()
    # The quantised sentence encoder goes with the blend the threshold was measured with:
    # checked before any fitting.
    sentence = threshold.get("sentence_prior")
    encoder_bytes: bytes | None = None
    encoder_sha = ""
    if sentence is not None:
        if not SENTENCE_ENCODER_FILE.is_file():
            raise RealTablesError(
                f"{SENTENCE_ENCODER_FILE} is missing, but the category threshold was measured "
                "with the sentence prior; restore it or build it (python -m "
                "training.sentence_encoder)"
            )
        encoder_bytes = SENTENCE_ENCODER_FILE.read_bytes()
        encoder_sha = hashlib.sha256(encoder_bytes).hexdigest()
        if threshold.get("sentence_encoder_file_sha256") != encoder_sha:
            raise RealTablesError(
                f"the category threshold was measured with another {SENTENCE_ENCODER_FILE.name}"
                " (its SHA-256 differs); run `PYTHONPATH=. python bench/category.py --loso "
                "--write-threshold`"
            )
    synthetic = build_corpus("train", tables=tables)
    real = load_real_tables()
    train_tables = synthetic + real
    test_tables = build_corpus("test")
    # The committed file as it is: recomputing its prototypes here would differ in the last
    # bits between numpy's SIMD paths (the builder computed them from the same taxonomy).
    semantic_bytes = SEMANTIC_VECTORS_FILE.read_bytes() if SEMANTIC_PRIOR else None
    semantic = SemanticVectors.from_bytes(semantic_bytes) if semantic_bytes else None
    # The category model also reads the table-text embedding (bench/README.md, "Sentence
    # prior"): the same encoder the prior runs, so the run time computes it once.
    encoder = (
        SentenceEncoder.from_bytes(encoder_bytes) if encoder_bytes and ENCODER_FEATURES else None
    )
    extra_columns: list[tuple[dict[str, float], str]] = []
    extra_categories: list[tuple[dict[str, float], str]] = []
    steward: dict[str, Any] | None = None
    if steward_examples is not None:
        extra_columns, extra_categories, steward = load_steward_examples(steward_examples)
        if semantic is not None:
            # Exported examples keep the word tokens, not the vectors: rebuild those.
            extra_categories = [
                ({**f, **features_from_tokens(semantic, f)}, label) for f, label in extra_categories
            ]
            extra_columns = [
                (
                    {
                        **f,
                        **column_name_features(
                            semantic, [k[4:] for k in f if k.startswith("tok=")]
                        ),
                    },
                    label,
                )
                for f, label in extra_columns
            ]
    with threadpool_limits(limits=1):
        columns_model, categories_model, category_c = fit_models(
            train_tables,
            extra_columns=extra_columns,
            extra_categories=extra_categories,
            semantic=semantic,
            encoder=encoder,
        )
        metrics = evaluate(columns_model, categories_model, test_tables, semantic, encoder)
        other_locales = other_locale_tables("train")
        hidden_columns, hidden_categories, hidden_c = fit_hidden_models(
            train_tables, other_locales, semantic
        )
        pairs = ((columns_model, hidden_columns), (categories_model, hidden_categories))
        for named, hidden in pairs:
            # The model loads both pairs against one list of labels in the manifest.
            if list(named.classes_) != list(hidden.classes_):
                raise RuntimeError(
                    f"the hidden-names pair learnt other labels ({list(hidden.classes_)}) than"
                    f" the first pair ({list(named.classes_)})"
                )
        hidden_tests = hidden_test_tables(test_tables)
        other_tests = hidden_test_tables(other_locale_tables("test"))
        metrics_hidden: dict[str, Any] = {
            **evaluate(hidden_columns, hidden_categories, hidden_tests, values=semantic),
            "other_locales": evaluate(
                hidden_columns, hidden_categories, other_tests, values=semantic
            ),
        }
    cy = [c for t in train_tables for c in t.column_types] + [lb for _, lb in extra_columns]
    out_dir.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, dict[str, str]] = {}
    for pipeline_name, numpy_name, model in (
        (COLUMNS_PIPELINE, COLUMNS_ARTIFACT, columns_model),
        (CATEGORIES_PIPELINE, CATEGORIES_ARTIFACT, categories_model),
        (HIDDEN_COLUMNS_PIPELINE, HIDDEN_COLUMNS_ARTIFACT, hidden_columns),
        (HIDDEN_CATEGORIES_PIPELINE, HIDDEN_CATEGORIES_ARTIFACT, hidden_categories),
    ):
        for name, data in (
            (pipeline_name, canonical_skops(sio.dumps(model))),
            (numpy_name, export_linear(model)),
        ):
            (out_dir / name).write_bytes(data)
            artifacts[name] = {"sha256": hashlib.sha256(data).hexdigest()}
    if semantic_bytes is not None:
        (out_dir / SEMANTIC_ARTIFACT).write_bytes(semantic_bytes)
        artifacts[SEMANTIC_ARTIFACT] = {"sha256": hashlib.sha256(semantic_bytes).hexdigest()}
    if encoder_bytes is not None:
        (out_dir / ENCODER_ARTIFACT).write_bytes(encoder_bytes)
        artifacts[ENCODER_ARTIFACT] = {"sha256": encoder_sha}
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "feature_version": FEATURE_VERSION,
        "lexicon_digest": lexicon_digest(),
        "libraries": library_versions(),
        "artifacts": artifacts,
        "labels": {
            "column_types": [str(c) for c in columns_model.classes_],
            "categories": [str(c) for c in categories_model.classes_],
        },
        "training_data": {
            "sha256": corpus_digest(train_tables),
            "seed": DEFAULT_SEEDS["train"],
            "synthetic_tables": DEFAULT_TABLES["train"] if tables is None else tables,
            "real_tables": len(real),
            "real_tables_file_sha256": hashlib.sha256(DEFAULT_DATA.read_bytes()).hexdigest(),
            "real_category_weight": REAL_CATEGORY_WEIGHT,
            "tables": len(train_tables),
            "columns": len(cy),
            "steward_examples": len(extra_columns) + len(extra_categories),
            **({"steward_file": steward} if steward is not None else {}),
            # The hidden-names pair: a copy of every synthetic table above with hidden
            # names, and of these tables in other locales (steward examples: first pair only).
            "hidden_names_other_locales": {
                "sha256": corpus_digest(other_locales),
                "seed": DEFAULT_SEEDS["train"] + OTHER_LOCALE_SEED,
                "tables": len(other_locales),
                "locales": list(OTHER_LOCALES),
            },
        },
        "test_data": {
            "sha256": corpus_digest(test_tables),
            "seed": DEFAULT_SEEDS["test"],
            "tables": len(test_tables),
        },
        "metrics": metrics,
        # The hidden-names pair on the test split with every name hidden.
        # The hidden-names pair alone (bench/values_prior.py measures it with the values
        # text's prior the run time adds).
        "metrics_names_hidden": metrics_hidden,
        "hyperparameters": {
            "column_C": 4.0,
            "category_C": category_c,
            "hidden_names_category_C": hidden_c,
            "min_feature_rows": MIN_FEATURE_ROWS,
            "prune_category_features": PRUNE_CATEGORY_FEATURES,
            "semantic_prior": SEMANTIC_PRIOR,
            "encoder_features": encoder is not None,
        },
        "declared_column_types": list(COLUMN_TYPES),
        # Applied without review at or above this probability; None: never (the evidence,
        # measured by bench/category.py --loso, says why).
        "category_apply_threshold": threshold["category_apply_threshold"],
        # ... for a top category the table's words alone do not point to (stricter; None:
        # never). Absent in records written before it: the one threshold for every table.
        "category_apply_threshold_words_disagree": threshold.get(
            "category_apply_threshold_words_disagree", threshold["category_apply_threshold"]
        ),
        # Category probabilities are raised to this power and renormalised (calibration,
        # chosen by the same LOSO run; 1: unchanged).
        "category_power": float(threshold.get("category_power", 1.0)),
        # Blended with the sentence encoder's zero-shot prior (weight, temperature), chosen
        # by the same LOSO run; None: no blend.
        "category_sentence_prior": sentence,
        # The hidden-names pair's probabilities times the values text's prior at this
        # temperature (VALUES_PRIOR_TEMPERATURE); None: the pair alone.
        "category_values_prior": (
            {"temperature": VALUES_PRIOR_TEMPERATURE}
            if VALUES_PRIOR_TEMPERATURE is not None and encoder is not None
            else None
        ),
        "category_apply_evidence": {
            k: v
            for k, v in threshold.items()
            if k
            not in (
                "category_apply_threshold",
                "category_apply_threshold_words_disagree",
                "category_power",
                "sentence_prior",
            )
        },
    }
    (out_dir / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    manifest["_seconds"] = round(time.perf_counter() - started, 1)
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train and write the artifacts; prints the metrics.

    Re-runs itself in a child process with :data:`~training.numeric_env.PINNED_ENV` unless
    already pinned (the numeric libraries read these variables when they load).

    :returns: the process exit code (0).
    Side effects: see :func:`train`; prints to stdout.
    """
    if not pinned():
        args_list = list(sys.argv[1:] if argv is None else argv)
        return run_pinned(["-m", "training.train", *args_list])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_ARTIFACTS_DIR, help="artifact dir")
    parser.add_argument(
        "--steward-examples",
        type=Path,
        default=None,
        help="JSON Lines from `enricher train export` (approved examples are added)",
    )
    args = parser.parse_args(argv)
    try:
        manifest = train(args.out, steward_examples=args.steward_examples)
    except (StewardExampleError, RealTablesError, OSError) as exc:
        print(f"train: error: {exc}", file=sys.stderr)
        return 1
    seconds = manifest.pop("_seconds")
    print(f"wrote {args.out} in {seconds} s")
    for name, entry in manifest["artifacts"].items():
        print(f"  {name}  sha256 {entry['sha256']}")
    print(json.dumps(manifest["metrics"], indent=2, sort_keys=True))
    print("names hidden:", json.dumps(manifest["metrics_names_hidden"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
