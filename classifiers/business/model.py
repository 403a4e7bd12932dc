"""Load and run the business models: column business types and dataset categories.

Two linear models, trained by ``python -m training.train`` (``make train``) as scikit-learn
pipelines (``DictVectorizer(sort=True)`` -> ``MaxAbsScaler`` -> ``LogisticRegression``), are
written to ``models/artifacts/`` twice: as the pipelines saved with skops
(``business-columns.skops``, ``business-categories.skops``; for training, benchmarks and the
equivalence test) and as plain numpy arrays (``business-columns.npz``,
``business-categories.npz``: :class:`LinearModel`), plus ``business-manifest.json``.

At run time :meth:`BusinessModel.load` reads the numpy artifacts only: it imports neither
scikit-learn, skops nor scipy (they cost seconds of start-up) and reproduces the pipelines'
``predict_proba`` (the scaler is folded into the coefficients at train time; softmax for
three classes or more, as ``LogisticRegression`` does in scikit-learn 1.9, the logistic
function for two).

Names that say nothing (``col_3``, ``field7``, ``Unnamed: 0``, ``фамилия`` ...:
:func:`~classifiers.business.features.opaque_names`) get a second pair, trained on the
synthetic tables with every name hidden (``business-columns-hidden.npz``,
``business-categories-hidden.npz``, listed in the manifest when trained): such a column is
typed by its column model, and its category model's probabilities are mixed into the first
pair's by the share of the object's names that say nothing. The first pair learns a table's
category mostly from its names and path, and filed every object without telling names under
one category. The second pair reads no word vectors (those of generic path words misled it)
and its probabilities are not raised to the calibration power (chosen on real tables). An
object with telling names only is classified exactly as without the second pair.

Loading is defensive: the manifest must name this module's feature version and every
artifact loaded must match its SHA-256. The manifest records the scikit-learn and skops
versions that trained the models (``libraries``, read with :mod:`importlib.metadata`, no
import). The numpy artifacts do not depend on the installed scikit-learn, so
:meth:`BusinessModel.load` never refuses them over a version difference (it does not even
need scikit-learn installed); only :func:`load_skops_pipeline`, which unpickles scikit-learn
objects, requires the recorded versions and the skops allow-list :data:`ALLOW`. Anything
refused raises a :class:`ModelArtifactError` that says what differs and how to fix it
(retrain).

The manifest also holds ``category_apply_threshold``: the probability at or above which a
top category is applied without review, or ``null`` for none (:func:`category_apply_threshold`,
read by ``worker/core/review_policy.py``), and ``category_power``, the calibration applied to
the category probabilities. When it lists ``business-semantic.npz`` (static word vectors for
the semantic prior, :mod:`classifiers.business.semantic`), that file is hash-checked too and
the category model gets the prior's features. When it lists ``business-encoder.npz`` (the
quantised sentence encoder, :mod:`classifiers.business.encoder`) with
``category_sentence_prior`` (a weight and a temperature), the calibrated category
probabilities are blended with the encoder's zero-shot prior for the object's table text
(bench/README.md, "Sentence prior"); the hidden-names pair is mixed in after. With
``category_values_prior`` (a temperature), the hidden-names pair's probabilities are first
multiplied by the encoder's zero-shot prior for the object's values described in words
(:func:`~classifiers.business.encoder.values_text`; bench/README.md, "What the values say, in
words").
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from itertools import repeat
from numbers import Number
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from classifiers.business.encoder import (
    ENCODER_ARTIFACT,
    SentenceEncoder,
    blend,
    encoder_features,
    sentence_log_prior,
    values_cosines,
    with_values_prior,
)
from classifiers.business.features import (
    FEATURE_VERSION,
    hidden_share,
    opaque_names,
    table_column_features,
    table_features,
)
from classifiers.business.lexicon import lexicon_digest
from classifiers.business.semantic import (
    SEMANTIC_ARTIFACT,
    SemanticVectors,
    add_column_name_features,
    column_model_features,
    enum_value_words,
    semantic_features,
    value_features,
    words_category,
)
from models.samples import TableSample

#: Where the committed artifacts live.
DEFAULT_ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "models" / "artifacts"
MANIFEST_NAME = "business-manifest.json"
#: The numpy artifacts :meth:`BusinessModel.load` reads (:class:`LinearModel`).
COLUMNS_ARTIFACT = "business-columns.npz"
CATEGORIES_ARTIFACT = "business-categories.npz"
#: The same models as skops pipelines (training, benchmarks, tests: :func:`load_skops_pipeline`).
COLUMNS_PIPELINE = "business-columns.skops"
CATEGORIES_PIPELINE = "business-categories.skops"
#: The second pair, for objects whose names say nothing
#: (:func:`~classifiers.business.features.opaque_names`): trained on the synthetic tables
#: with hidden names, optional (a manifest without them classifies every object with the
#: first pair).
HIDDEN_COLUMNS_ARTIFACT = "business-columns-hidden.npz"
HIDDEN_CATEGORIES_ARTIFACT = "business-categories-hidden.npz"
HIDDEN_COLUMNS_PIPELINE = "business-columns-hidden.skops"
HIDDEN_CATEGORIES_PIPELINE = "business-categories-hidden.skops"
MANIFEST_FORMAT = 1
#: The arrays of a :class:`LinearModel` artifact, in file order (numeric or fixed-width
#: unicode: nothing pickled).
LINEAR_ARRAYS = ("names", "offsets", "coef", "intercept", "classes")
#: The separator ``DictVectorizer`` puts between a key and a string value.
SEPARATOR = "="
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: The value types of a row that :meth:`LinearModel.vectorise` gathers in numpy (none or
#: ``float`` only: ``all(type(v) is float ...)``, tested in C).
_FLOATS_ONLY = frozenset({float})
#: Key sequences whose lookups a :class:`LinearModel` keeps (emptied when full).
MAX_PLANS = 512

#: Types skops does not trust by default that these artifacts may contain. The pipelines
#: are DictVectorizer + MaxAbsScaler + LogisticRegression, which skops trusts already; the
#: list stays explicit (and short) so that a tampered or different artifact is refused.
ALLOW: tuple[str, ...] = ()

#: The old fixed review threshold, kept for the benchmark's comparison only. The threshold
#: the review policy uses is the manifest's ``category_apply_threshold``
#: (:func:`category_apply_threshold`), chosen at train time from leave-one-source-out
#: predictions on real tables.
SUGGESTION_THRESHOLD = 0.6

#: model version (the first 12 hex digits of a manifest's SHA-256) -> that manifest's
#: category apply thresholds (words agreeing, words not agreeing), for every manifest read in
#: this process.
_APPLY_THRESHOLDS: dict[str, tuple[float | None, float | None]] = {}
_APPLY_LOCK = threading.Lock()
_BUNDLED: list[str] = []


class ModelArtifactError(RuntimeError):
    """The artifacts are missing, altered, or were made by other library versions."""


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes.

    :raises OSError: the file cannot be read.
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_versions() -> dict[str, str]:
    """The installed scikit-learn and skops versions, from the package metadata (no import).

    :raises ImportError: either is not installed (``importlib.metadata.PackageNotFoundError``).
    """
    return {lib: metadata.version(lib) for lib in ("scikit-learn", "skops")}


def _load_skops(path: Path, allow: Sequence[str]) -> Any:
    import skops.io as sio  # type: ignore[import-untyped]

    untrusted = set(sio.get_untrusted_types(file=str(path)))
    extra = sorted(untrusted - set(allow))
    if extra:
        raise ModelArtifactError(
            f"{path.name} contains types that are not on the allow-list: {', '.join(extra)}; "
            "refusing to load it (retrain with `make train` in the repository, or "
            "review the types and add them to classifiers.business.model.ALLOW)"
        )
    return sio.load(str(path), trusted=list(allow))


def load_skops_pipeline(artifacts_dir: Path, name: str) -> Any:
    """One of the skops pipelines (:data:`COLUMNS_PIPELINE`, :data:`CATEGORIES_PIPELINE`).

    Not used at run time (:meth:`BusinessModel.load` reads the numpy artifacts); for the
    tests and benchmarks that compare with scikit-learn. The installed scikit-learn and
    skops must be the versions the manifest records, the file must match its SHA-256, and
    the types skops does not trust must all be on :data:`ALLOW`.

    :raises ModelArtifactError: see :func:`read_manifest`; another library version; a type
        outside :data:`ALLOW`.
    :raises ImportError: scikit-learn or skops is not installed.
    Side effects: reads the files; imports scikit-learn and skops.
    """
    manifest = read_manifest(artifacts_dir, (name,))
    path = artifacts_dir / MANIFEST_NAME
    recorded = manifest.get("libraries", {})
    for lib, version in library_versions().items():
        if recorded.get(lib) != version:
            raise ModelArtifactError(
                f"{path}: artifacts were saved with {lib} {recorded.get(lib)}, but {lib} "
                f"{version} is installed; install {lib}=={recorded.get(lib)} or retrain"
            )
    return _load_skops(artifacts_dir / name, ALLOW)


def read_manifest(
    artifacts_dir: Path, names: Sequence[str] = (COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT)
) -> dict[str, Any]:
    """Read the manifest and check the hashes of ``names`` and of the optional artifacts.

    The optional ones (the semantic vectors, the hidden-names pair, the sentence encoder)
    when the manifest lists them.

    The library versions are not checked here: the numpy artifacts do not depend on them
    (:func:`load_skops_pipeline` checks them).

    :raises ModelArtifactError: missing or unreadable manifest, another manifest format or
        feature version, an artifact not listed, missing, or whose SHA-256 differs.
    Side effects: reads the manifest and hashes the artifacts.
    """
    path = artifacts_dir / MANIFEST_NAME
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelArtifactError(
            f"no business-model manifest at {path}; train with "
            f"`python -m training.train --out {artifacts_dir}` in the repository"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelArtifactError(f"cannot read the manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ModelArtifactError(f"{path}: manifest format is not {MANIFEST_FORMAT}")
    if manifest.get("feature_version") != FEATURE_VERSION:
        raise ModelArtifactError(
            f"{path}: artifacts were trained with feature version "
            f"{manifest.get('feature_version')}, this code extracts version {FEATURE_VERSION}; "
            "retrain"
        )
    # The lexicon changes what the name features are without a feature version of its own.
    if manifest.get("lexicon_digest") != lexicon_digest():
        raise ModelArtifactError(
            f"{path}: artifacts were trained with another name lexicon "
            "(classifiers/business/lexicon.py); retrain"
        )
    artifacts = manifest.get("artifacts", {})
    optional = tuple(
        name
        for name in (
            SEMANTIC_ARTIFACT,
            HIDDEN_COLUMNS_ARTIFACT,
            HIDDEN_CATEGORIES_ARTIFACT,
            ENCODER_ARTIFACT,
        )
        if name in artifacts and name not in names
    )
    for name in (*names, *optional):
        entry = artifacts.get(name)
        if not isinstance(entry, dict) or "sha256" not in entry:
            raise ModelArtifactError(f"{path}: the manifest does not list {name}")
        file = artifacts_dir / name
        if not file.is_file():
            raise ModelArtifactError(f"{file} is missing (listed in {path.name})")
        actual = sha256_file(file)
        if actual != entry["sha256"]:
            raise ModelArtifactError(
                f"{file.name}: SHA-256 {actual[:16]}… does not match the manifest "
                f"({str(entry['sha256'])[:16]}…); the artifact was altered or belongs to "
                "another training run; retrain or restore it"
            )
    return manifest


def manifest_apply_threshold(manifest: Mapping[str, Any]) -> float | None:
    """The manifest's ``category_apply_threshold``: a probability, or ``None`` (never apply).

    ``None`` (or a manifest without the key, written before thresholds were chosen) means
    no category is applied without a steward. Pure.
    :raises ModelArtifactError: a value that is neither ``None`` nor a number in (0, 1].
    """
    value = manifest.get("category_apply_threshold")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ModelArtifactError(
            f"category_apply_threshold {value!r} in the manifest is not null or a "
            "probability in (0, 1]; retrain"
        )
    return float(value)


def manifest_disagree_threshold(manifest: Mapping[str, Any]) -> float | None:
    """The threshold for a top category the table's words do not point to.

    The manifest's ``category_apply_threshold_words_disagree``: a probability, ``None``
    (never applied then), or absent (a manifest written before it: the one threshold,
    :func:`manifest_apply_threshold`, for every table). Pure.
    :raises ModelArtifactError: a value that is neither ``None`` nor a number in (0, 1], or
        one below the threshold for agreeing words.
    """
    agreeing = manifest_apply_threshold(manifest)
    key = "category_apply_threshold_words_disagree"
    if key not in manifest:
        return agreeing
    value = manifest[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ModelArtifactError(
            f"{key} {value!r} in the manifest is not null or a probability in (0, 1]; retrain"
        )
    if agreeing is None or value < agreeing:
        raise ModelArtifactError(
            f"{key} {value!r} in the manifest is below category_apply_threshold "
            f"{agreeing!r} (or that is null); retrain"
        )
    return float(value)


def manifest_category_power(manifest: Mapping[str, Any]) -> float:
    """The manifest's ``category_power`` (1.0 when absent).

    Category probabilities are raised to it and renormalised: a calibration chosen on real
    tables held out by source (``bench/category.py --loso``).

    :raises ModelArtifactError: a value outside (0, 1].
    """
    value = manifest.get("category_power", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ModelArtifactError(f"category_power {value!r} in the manifest is not in (0, 1]")
    return float(value)


def manifest_sentence_prior(manifest: Mapping[str, Any]) -> tuple[float, float] | None:
    """The manifest's ``category_sentence_prior`` as ``(weight, temperature)``, or ``None``.

    ``None`` (absent or null) leaves the category probabilities without the sentence prior.
    :raises ModelArtifactError: a weight outside [0, 10] or a temperature outside (0, 1000].
    """
    value = manifest.get("category_sentence_prior")
    if value is None:
        return None
    numbers = [value.get(k) if isinstance(value, dict) else None for k in ("weight", "temperature")]
    if any(isinstance(n, bool) or not isinstance(n, int | float) for n in numbers):
        raise ModelArtifactError(
            f"category_sentence_prior {value!r} in the manifest has no numeric weight and "
            "temperature; retrain"
        )
    weight, temperature = float(numbers[0]), float(numbers[1])  # type: ignore[arg-type]
    if not (0.0 <= weight <= 10.0 and 0.0 < temperature <= 1000.0):
        raise ModelArtifactError(
            f"category_sentence_prior {value!r} in the manifest is out of range; retrain"
        )
    return weight, temperature


def manifest_values_prior(manifest: Mapping[str, Any]) -> float | None:
    """The manifest's ``category_values_prior`` temperature, or ``None``.

    ``None`` (absent or null) leaves the hidden-names pair's probabilities alone.
    :raises ModelArtifactError: no numeric temperature, or one outside (0, 1000].
    """
    value = manifest.get("category_values_prior")
    if value is None:
        return None
    temperature = value.get("temperature") if isinstance(value, dict) else None
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise ModelArtifactError(
            f"category_values_prior {value!r} in the manifest has no numeric temperature; retrain"
        )
    if not 0.0 < float(temperature) <= 1000.0:
        raise ModelArtifactError(
            f"category_values_prior {value!r} in the manifest is out of range; retrain"
        )
    return float(temperature)


def register_manifest(artifacts_dir: str | Path | None = None) -> str:
    """Read a manifest's apply threshold and remember it under the model version.

    :returns: the model version (12 hex digits of the manifest's SHA-256), or ``"missing"``
        when there is no manifest (nothing is remembered then).
    :raises ModelArtifactError: the manifest is unreadable or its threshold malformed.
    Side effects: reads the manifest file; fills a process-wide table.
    """
    base = Path(artifacts_dir) if artifacts_dir is not None else DEFAULT_ARTIFACTS_DIR
    path = base / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        raise ModelArtifactError(f"cannot read the manifest {path}: {exc}") from exc
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise ModelArtifactError(f"cannot read the manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ModelArtifactError(f"{path}: the manifest is not a JSON object")
    version = hashlib.sha256(data).hexdigest()[:12]
    thresholds = (manifest_apply_threshold(manifest), manifest_disagree_threshold(manifest))
    with _APPLY_LOCK:
        _APPLY_THRESHOLDS[version] = thresholds
    return version


def _bundled_version() -> str | None:
    """The bundled model's version, registering its manifest on first use (``None``: broken)."""
    with _APPLY_LOCK:
        if _BUNDLED:
            return _BUNDLED[0]
    try:
        version = register_manifest(None)
    except ModelArtifactError:
        return None
    with _APPLY_LOCK:
        _BUNDLED[:] = [version]
    return version


def category_apply_threshold(
    model_version: str | None = None, words_agree: bool | None = None
) -> float | None:
    """The probability at or above which a top category is applied without review.

    :param model_version: the model version recorded with a result (12 hex digits); ``None``
        means the bundled model.
    :param words_agree: whether the table's words alone point to the same category
        (:meth:`BusinessModel.words_category`); ``False`` or ``None`` (not known, the
        default) gets the manifest's threshold for words that do not agree, never lower.
    :returns: the threshold from that model's manifest, or ``None``: never apply
        automatically (the manifest says no threshold is precise enough, or the model
        version is unknown to this process, or the bundled manifest is missing or malformed).
    Side effects: reads the bundled manifest once per process.
    """
    bundled = _bundled_version()
    if model_version is None:
        model_version = bundled
    if model_version is None:
        return None
    with _APPLY_LOCK:
        agreeing, disagreeing = _APPLY_THRESHOLDS.get(model_version, (None, None))
    return agreeing if words_agree else disagreeing


def linear_to_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` of a :class:`LinearModel`'s arrays, byte-identical for equal arrays.

    Members in :data:`LINEAR_ARRAYS` order, fixed timestamps, no compression, no pickles.
    :raises KeyError: an array is missing. :raises ValueError: an array holds objects.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in LINEAR_ARRAYS:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def pack_names(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature names as UTF-8 bytes end to end (uint8) and their start offsets (int64).

    The offsets have one entry more than ``names`` (the last is the total length). Pure;
    compact where a fixed-width unicode array would not be.
    """
    encoded = [n.encode("utf-8") for n in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


class LinearModel:
    """A fitted ``DictVectorizer`` -> ``MaxAbsScaler`` -> ``LogisticRegression`` as arrays.

    Feature names in vocabulary order, the coefficients with the scaler folded in
    (``coef_ / scale_``), the intercepts and the class labels.

    :meth:`predict_proba` gives the pipeline's ``predict_proba`` (to rounding). Thread-safe.
    """

    def __init__(
        self,
        names: Sequence[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
    ) -> None:
        """:raises ValueError: the shapes do not fit one another."""
        rows = 1 if len(classes) == 2 else len(classes)
        if len(classes) < 2 or coef.shape != (rows, len(names)) or intercept.shape != (rows,):
            raise ValueError(
                f"coefficients {coef.shape} and intercepts {intercept.shape} do not fit "
                f"{len(names)} features and {len(classes)} classes"
            )
        self.index = {n: i for i, n in enumerate(names)}
        if len(self.index) != len(names):
            raise ValueError("a feature name occurs twice")
        # One row per feature: a sample gathers the rows of its few features.
        self._weights = np.ascontiguousarray(coef.T, dtype=np.float64)
        self._intercept = intercept.astype(np.float64)
        self.classes = tuple(classes)
        # Row key sequence -> (its known features' columns, ascending; where their values
        # sit in the row): :meth:`vectorise`'s lookups, kept per sequence of feature names.
        self._plans: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        """Parse an artifact written by :func:`linear_to_bytes` (``allow_pickle=False``).

        :raises ValueError: not an ``.npz``, an array missing, or shapes that do not fit.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in LINEAR_ARRAYS if name in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            # Bytes that are neither .npz nor .npy read as a pickle, which is refused.
            raise ValueError(f"not a numpy model artifact ({exc})") from exc
        missing = [name for name in LINEAR_ARRAYS if name not in arrays]
        if missing:
            raise ValueError(f"the artifact lacks {', '.join(missing)}")
        raw, offsets = arrays["names"].tobytes(), arrays["offsets"].tolist()
        if not offsets or offsets[0] != 0 or offsets[-1] != len(raw):
            raise ValueError("the artifact's feature-name offsets do not fit its names")
        names = [raw[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:], strict=False)]
        return cls(names, arrays["coef"], arrays["intercept"], [str(c) for c in arrays["classes"]])

    def vectorise(self, row: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The known features of ``row`` as (column indices in ascending order, values).

        What ``DictVectorizer.transform`` does: unknown keys are ignored; a number (or bool)
        is its float value, ``None`` is NaN; a string value is the feature ``key=value``
        with 1.0; an iterable of strings is one such feature per string.

        :raises TypeError: a value of another type (as ``DictVectorizer`` does).
        Side effects: keeps the lookups of an all-float row's key sequence (at most
        :data:`MAX_PLANS`); the arrays returned are the caller's.
        """
        index = self.index
        values = list(row.values())
        if set(map(type, values)) <= _FLOATS_ONLY:
            # Every feature a float (the column-type rows): looked up and gathered in C, in
            # row order as below (float(value) is the value itself). Where the row's values
            # go depends on its keys alone: kept per key sequence (feature names, never
            # values), as rows of one column name and kind of values repeat their keys.
            keys = tuple(row)
            plan = self._plans.get(keys)
            if plan is None:
                columns = np.fromiter(map(index.get, keys, repeat(-1)), np.int64, len(keys))
                known = np.flatnonzero(columns >= 0)
                order = np.argsort(columns[known], kind="stable")
                plan = (columns[known][order], known[order])
                if len(self._plans) >= MAX_PLANS:
                    self._plans.clear()
                self._plans[keys] = plan
            found, take = plan
            return found.copy(), np.asarray(values, dtype=np.float64)[take]
        idx: list[int] = []
        vals: list[float] = []
        for key, value in row.items():
            if isinstance(value, str):
                pairs: Iterable[tuple[str, float]] = ((f"{key}{SEPARATOR}{value}", 1.0),)
            elif value is None:
                pairs = ((key, float("nan")),)
            elif isinstance(value, Number):
                pairs = ((key, float(value)),)  # type: ignore[arg-type]
            elif isinstance(value, Iterable) and not isinstance(value, Mapping):
                items = list(value)
                if not all(isinstance(v, str) for v in items):
                    raise TypeError(f"feature {key!r}: only iterables of strings are supported")
                pairs = [(f"{key}{SEPARATOR}{v}", 1.0) for v in items]
            else:
                raise TypeError(f"feature {key!r}: unsupported value type {type(value).__name__}")
            for name, v in pairs:
                j = index.get(name)
                if j is not None:
                    idx.append(j)
                    vals.append(v)
        order = np.argsort(np.asarray(idx, dtype=np.int64), kind="stable")
        return np.asarray(idx, dtype=np.int64)[order], np.asarray(vals, dtype=np.float64)[order]

    def decision_function(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """``X @ coef.T + intercept`` for the vectorised ``rows``.

        :returns: shape (rows, classes), or (rows,) for two classes.
        :raises TypeError: see :meth:`vectorise`.
        """
        out = np.empty((len(rows), self._weights.shape[1]), dtype=np.float64)
        for r, row in enumerate(rows):
            idx, vals = self.vectorise(row)
            out[r] = vals @ self._weights[idx] + self._intercept
        return out[:, 0] if len(self.classes) == 2 else out

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Class probabilities, shape (rows, classes) in :attr:`classes` order.

        Softmax of the decision function for three classes or more (multinomial, as
        ``LogisticRegression`` in scikit-learn 1.9); for two, the logistic function of the
        one decision value and its complement. Pure. :raises TypeError: see :meth:`vectorise`.
        """
        decision = self.decision_function(rows)
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-decision))
            return np.stack([1.0 - p, p], axis=1)
        decision -= decision.max(axis=1, keepdims=True)
        np.exp(decision, out=decision)
        decision /= decision.sum(axis=1, keepdims=True)
        return decision


T = TypeVar("T")


def _optional(
    base: Path, manifest: Mapping[str, Any], name: str, load: Callable[[Path], T]
) -> T | None:
    """``load(base / name)`` when the manifest lists ``name``, else ``None``.

    :raises ModelArtifactError: the file cannot be read or is malformed.
    """
    if name not in manifest.get("artifacts", {}):
        return None
    try:
        return load(base / name)
    except (OSError, ValueError) as exc:
        raise ModelArtifactError(f"{name}: {exc}; retrain") from exc


def category_prior(
    semantic: SemanticVectors | None, sample: TableSample, vector: np.ndarray | None
) -> dict[str, float] | None:
    """The category model's features beyond the table's own; ``None`` when there are none.

    The word vectors' prior of ``sample`` (:func:`~classifiers.business.semantic.
    semantic_features`) and its table-text embedding ``vector``
    (:func:`~classifiers.business.encoder.encoder_features`): the one composition that
    training, the benchmark and the run time share. Pure.
    """
    prior = semantic_features(semantic, sample) if semantic is not None else None
    if vector is not None:
        prior = {**(prior or {}), **encoder_features(vector)}
    return prior


def hidden_prior(
    semantic: SemanticVectors | None,
    sample: TableSample,
    pii: Mapping[str, set[str]] | None = None,
    enum_words: Sequence[list[str]] | None = None,
) -> dict[str, float] | None:
    """The hidden-names category model's features beyond the table's own.

    What the values mean (:func:`~classifiers.business.semantic.value_features`), read from
    no column that ``pii`` (column -> PII entities found) names with an entity; ``None``
    without word vectors. The one composition that training, the benchmark and the run time
    share; ``enum_words`` as :func:`~classifiers.business.semantic.value_words` takes them.
    Pure.
    """
    if semantic is None:
        return None
    personal = frozenset(col for col, entities in (pii or {}).items() if entities)
    return value_features(semantic, sample, personal, enum_words)


class BusinessModel:
    """The two business models, loaded and verified. Thread-safe for prediction."""

    def __init__(
        self,
        columns_model: LinearModel,
        categories_model: LinearModel,
        manifest: Mapping[str, Any],
        manifest_sha256: str,
        semantic: SemanticVectors | None = None,
        hidden: tuple[LinearModel, LinearModel] | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self._columns = columns_model
        self._categories = categories_model
        self._hidden = hidden
        self._semantic = semantic
        self._power = manifest_category_power(manifest)
        prior = manifest_sentence_prior(manifest)
        if prior is not None and encoder is None:
            # The apply threshold was measured with the blend: without it, it means nothing.
            raise ModelArtifactError(
                "the manifest has a category_sentence_prior but no sentence encoder "
                f"({ENCODER_ARTIFACT}); retrain"
            )
        # The category model reads the table-text embedding too when it was trained so.
        wants_features = bool(manifest.get("hyperparameters", {}).get("encoder_features"))
        if wants_features and encoder is None:
            raise ModelArtifactError(
                "the category model was trained with the sentence encoder's features but the "
                f"manifest lists no {ENCODER_ARTIFACT}; retrain"
            )
        values_prior = manifest_values_prior(manifest)
        if values_prior is not None and encoder is None:
            # (Without a hidden-names pair the prior has nothing to apply to: then it is
            # never read, so only the encoder is required.)
            raise ModelArtifactError(
                "the manifest has a category_values_prior but no sentence encoder "
                f"({ENCODER_ARTIFACT}); retrain"
            )
        self._encoder = (
            encoder if prior is not None or wants_features or values_prior is not None else None
        )
        self._encoder_features = wants_features
        # (weight, temperature) of the sentence prior; ``None``: no prior.
        self._sentence = prior
        # Temperature of the values text's prior on the hidden-names pair; ``None``: none.
        self._values_prior = values_prior
        # The encoder's prototypes in the category model's label order.
        self._prototype_order = (
            encoder.order(categories_model.classes)
            if (prior is not None or values_prior is not None) and encoder is not None
            else []
        )
        self.manifest = dict(manifest)
        self._manifest_sha = manifest_sha256

    @classmethod
    def load(cls, artifacts_dir: str | Path | None = None) -> BusinessModel:
        """Verify the manifest, then load the numpy models and the semantic prior's vectors.

        The word vectors (:data:`~classifiers.business.semantic.SEMANTIC_ARTIFACT`) when the
        manifest lists them. Imports neither scikit-learn, skops nor scipy.

        :param artifacts_dir: defaults to :data:`DEFAULT_ARTIFACTS_DIR`.
        :raises ModelArtifactError: see :func:`read_manifest`; a malformed artifact; labels
            that differ from the manifest's.
        Side effects: reads the files.
        """
        base = Path(artifacts_dir) if artifacts_dir is not None else DEFAULT_ARTIFACTS_DIR
        manifest = read_manifest(base)
        labels = manifest.get("labels", {})
        listed = manifest.get("artifacts", {})
        pairs = [(COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT)]
        if HIDDEN_COLUMNS_ARTIFACT in listed or HIDDEN_CATEGORIES_ARTIFACT in listed:
            pairs.append((HIDDEN_COLUMNS_ARTIFACT, HIDDEN_CATEGORIES_ARTIFACT))
        models: list[LinearModel] = []
        for pair in pairs:
            for name, key in zip(pair, ("column_types", "categories"), strict=True):
                try:
                    model = LinearModel.from_bytes((base / name).read_bytes())
                except (OSError, ValueError) as exc:
                    raise ModelArtifactError(f"{name}: {exc}; retrain") from exc
                if list(model.classes) != list(labels.get(key, [])):
                    raise ModelArtifactError(
                        f"{name}: the model's labels {list(model.classes)} differ from the"
                        " manifest's"
                    )
                models.append(model)
        columns, categories = models[:2]
        hidden = (models[2], models[3]) if len(models) == 4 else None
        categories_listed = sorted(labels.get("categories", []))
        semantic = _optional(base, manifest, SEMANTIC_ARTIFACT, SemanticVectors.load)
        if semantic is not None and sorted(semantic.labels) != categories_listed:
            raise ModelArtifactError(
                f"{SEMANTIC_ARTIFACT}: its categories differ from the manifest's; retrain"
            )
        encoder = _optional(base, manifest, ENCODER_ARTIFACT, SentenceEncoder.load)
        if encoder is not None and sorted(encoder.labels) != categories_listed:
            raise ModelArtifactError(
                f"{ENCODER_ARTIFACT}: its categories differ from the manifest's; rebuild it"
                " (python -m training.sentence_encoder) and retrain"
            )
        return cls(
            columns,
            categories,
            manifest,
            sha256_file(base / MANIFEST_NAME),
            semantic,
            hidden,
            encoder,
        )

    @property
    def semantic(self) -> SemanticVectors | None:
        """The semantic prior's word vectors, or ``None`` (a model trained without them)."""
        return self._semantic

    @property
    def has_hidden_pair(self) -> bool:
        """Whether objects whose names say nothing get the pair trained for them."""
        return self._hidden is not None

    def _opaque(self, sample: TableSample) -> list[bool]:
        """Per column, whether the hidden-names pair reads it (its name says nothing)."""
        if self._hidden is None:
            return [False] * len(sample.columns)
        return opaque_names(sample)

    @property
    def version(self) -> str:
        """A short hash of the manifest (which pins every artifact hash): 12 hex digits."""
        return self._manifest_sha[:12]

    @property
    def column_labels(self) -> tuple[str, ...]:
        """The column business types the model knows."""
        return self._columns.classes

    @property
    def category_labels(self) -> tuple[str, ...]:
        """The categories the model knows."""
        return self._categories.classes

    def column_types(self, sample: TableSample) -> list[tuple[str, float]]:
        """One ``(business type, probability)`` per column of ``sample``, in column order.

        A column without a single non-null sampled value is ``("other", 0.0)``: there is
        nothing to judge. Pure; an empty table gives an empty list.
        """
        if not sample.columns:
            return []
        opaque = self._opaque(sample)
        if not any(opaque):
            proba = self._columns.predict_proba(column_model_features(sample, self._semantic))
        else:
            # A column whose name says nothing is typed by the hidden-names column model
            # (trained on such columns, without word vectors), every other by the first.
            assert self._hidden is not None
            rows = table_column_features(sample)
            proba = np.empty((len(opaque), len(self.column_labels)))
            hidden = np.array(opaque)
            proba[hidden] = self._hidden[0].predict_proba(
                [r for r, o in zip(rows, opaque, strict=True) if o]
            )
            if not hidden.all():
                named = [
                    (r, c.name)
                    for r, c, o in zip(rows, sample.columns, opaque, strict=True)
                    if not o
                ]
                picked = [r for r, _ in named]
                if self._semantic is not None:
                    add_column_name_features(self._semantic, picked, [n for _, n in named])
                proba[~hidden] = self._columns.predict_proba(picked)
        labels = self.column_labels
        out: list[tuple[str, float]] = []
        for col, row in zip(sample.columns, proba, strict=True):
            # ``col.non_null == 0`` without counting all the values: stops at the first one.
            if not any(v is not None and v != "" for v in col.values):
                out.append(("other", 0.0))
                continue
            best = int(row.argmax())
            out.append((labels[best], float(row[best])))
        return out

    def categories(
        self,
        sample: TableSample,
        column_types: Sequence[tuple[str, float]] | Sequence[str],
        pii: Mapping[str, set[str]] | None = None,
        top: int = 3,
        values_prior: bool = True,
    ) -> list[tuple[str, float]]:
        """The ``top`` most likely categories with probabilities, most likely first.

        :param column_types: what :meth:`column_types` returned (or bare type names).
        :param pii: column name -> PII entities found by the PII classifier.
        :param values_prior: whether the hidden-names pair's probabilities get the values
            text's prior (when the manifest has one); ``False``: the pair alone.
        Pure; probabilities of all categories sum to 1 (ties break by label order).
        """
        types = [t if isinstance(t, str) else t[0] for t in column_types]
        opaque = self._opaque(sample)
        share = hidden_share(sample, opaque) if any(opaque) else 0.0
        hidden = None
        if share > 0.0:
            assert self._hidden is not None
            # Each column's enum words once, for the value features and the values text.
            words = [enum_value_words(c) for c in sample.columns]
            meaning = hidden_prior(self._semantic, sample, pii, words)
            row = table_features(sample, types, pii, meaning)
            hidden = self._hidden[1].predict_proba([row])[0]
            if values_prior and self._values_prior is not None and self._encoder is not None:
                # What the values are, in words, read by an encoder no generator of ours
                # trained: a second opinion on the pair, which learned our generator's
                # tables only (bench/README.md, "What the values say, in words").
                order = self._prototype_order
                cosines = values_cosines(self._encoder, sample, types, pii, order, words)
                hidden = with_values_prior(hidden, cosines, self._values_prior)
        if hidden is not None and share >= 1.0:
            # Every name says nothing: the hidden-names pair alone decides (the first pair's
            # probabilities would be weighed by 0).
            return self._top(hidden, top)
        # One embedding of the table text for the features and the prior.
        encoder = self._encoder
        vector = encoder.table_vector(sample) if encoder is not None else None
        features = vector if self._encoder_features else None
        prior = category_prior(self._semantic, sample, features)
        proba = self._categories.predict_proba([table_features(sample, types, pii, prior)])[0]
        if self._sentence is not None and encoder is not None and vector is not None:
            # What the object's words say together, from a model no generator of ours
            # trained: a second opinion multiplied in (bench/README.md, "Sentence prior").
            weight, temperature = self._sentence
            cosines = encoder.category_cosines(vector)[self._prototype_order]
            proba = blend(proba, sentence_log_prior(cosines, temperature), self._power, weight)
        elif self._power != 1.0:
            # A power below 1 softens the probabilities without changing their order.
            proba = np.power(np.maximum(proba, 1e-12), self._power)
            proba = proba / proba.sum()
        if hidden is not None:
            # The share of names that say nothing is how far the hidden-names pair is
            # trusted: its probabilities mixed in by that weight (bench/README.md).
            proba = (1.0 - share) * proba + share * hidden
        return self._top(proba, top)

    def words_category(self, sample: TableSample) -> str | None:
        """The category the table's words alone point to (:func:`words_category`).

        ``None`` without the semantic word vectors or without a known word. The review
        policy applies a top category the words do not point to only at the manifest's
        stricter threshold (:func:`category_apply_threshold`).
        """
        if self._semantic is None:
            return None
        return words_category(self._semantic, sample)

    def _top(self, proba: np.ndarray, top: int) -> list[tuple[str, float]]:
        """The ``top`` categories of ``proba``, most likely first (ties by label). Pure."""
        labels = self.category_labels
        order = sorted(range(len(labels)), key=lambda i: (-float(proba[i]), labels[i]))
        return [(labels[i], float(proba[i])) for i in order[:top]]
