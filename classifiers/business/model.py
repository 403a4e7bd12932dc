"""Load and run the business models: column business types and dataset categories.

The artifacts are two scikit-learn pipelines saved with skops in ``models/artifacts/``
(``business-columns.skops``, ``business-categories.skops``) plus
``business-manifest.json``, written by ``python -m training.train`` (``make train``).

Loading is defensive: the manifest must name the installed scikit-learn and skops versions
and this module's feature version, every artifact must match its SHA-256, and the types
skops does not trust by default must all be on :data:`ALLOW`. Anything else is refused with
a :class:`ModelArtifactError` that says what differs and how to fix it (retrain).

The manifest also holds ``category_apply_threshold``: the probability at or above which a
top category is applied without review, or ``null`` for none (:func:`category_apply_threshold`,
read by ``worker/core/review_policy.py``), and ``category_power``, the calibration applied to
the category probabilities. When it lists ``business-semantic.npz`` (static word vectors for
the semantic prior, :mod:`classifiers.business.semantic`), that file is hash-checked too and
the category model gets the prior's features.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.business.features import FEATURE_VERSION, table_column_features, table_features
from classifiers.business.semantic import SEMANTIC_ARTIFACT, SemanticVectors, semantic_features
from models.samples import TableSample

#: Where the committed artifacts live.
DEFAULT_ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "models" / "artifacts"
MANIFEST_NAME = "business-manifest.json"
COLUMNS_ARTIFACT = "business-columns.skops"
CATEGORIES_ARTIFACT = "business-categories.skops"
MANIFEST_FORMAT = 1

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
#: category apply threshold, for every manifest read in this process.
_APPLY_THRESHOLDS: dict[str, float | None] = {}
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
    """The installed scikit-learn and skops versions (imports both).

    :raises ImportError: either is not installed.
    """
    import sklearn  # type: ignore[import-untyped]
    import skops  # type: ignore[import-untyped]

    return {"scikit-learn": str(sklearn.__version__), "skops": str(skops.__version__)}


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


def read_manifest(artifacts_dir: Path) -> dict[str, Any]:
    """Read and check the manifest against the installed libraries and artifact hashes.

    :raises ModelArtifactError: missing or unreadable manifest, another manifest format,
        feature version, scikit-learn or skops version, or an artifact whose SHA-256 differs.
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
    installed = library_versions()
    recorded = manifest.get("libraries", {})
    for lib, version in installed.items():
        if recorded.get(lib) != version:
            raise ModelArtifactError(
                f"{path}: artifacts were saved with {lib} {recorded.get(lib)}, but {lib} "
                f"{version} is installed; install {lib}=={recorded.get(lib)} or retrain"
            )
    artifacts = manifest.get("artifacts", {})
    optional = (SEMANTIC_ARTIFACT,) if SEMANTIC_ARTIFACT in artifacts else ()
    for name in (COLUMNS_ARTIFACT, CATEGORIES_ARTIFACT, *optional):
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
    threshold = manifest_apply_threshold(manifest)
    with _APPLY_LOCK:
        _APPLY_THRESHOLDS[version] = threshold
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


def category_apply_threshold(model_version: str | None = None) -> float | None:
    """The probability at or above which a top category is applied without review.

    :param model_version: the model version recorded with a result (12 hex digits); ``None``
        means the bundled model.
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
        return _APPLY_THRESHOLDS.get(model_version)


class BusinessModel:
    """The two business models, loaded and verified. Thread-safe for prediction."""

    def __init__(
        self,
        columns_model: Any,
        categories_model: Any,
        manifest: Mapping[str, Any],
        manifest_sha256: str,
        semantic: SemanticVectors | None = None,
    ) -> None:
        self._columns = columns_model
        self._categories = categories_model
        self._semantic = semantic
        self._power = manifest_category_power(manifest)
        self.manifest = dict(manifest)
        self._manifest_sha = manifest_sha256

    @classmethod
    def load(cls, artifacts_dir: str | Path | None = None) -> BusinessModel:
        """Verify the manifest, then load the pipelines and the semantic prior's vectors.

        Both pipelines load with the skops allow-list; the word vectors
        (:data:`~classifiers.business.semantic.SEMANTIC_ARTIFACT`) when the manifest lists them.

        :param artifacts_dir: defaults to :data:`DEFAULT_ARTIFACTS_DIR`.
        :raises ModelArtifactError: see :func:`read_manifest`; a type outside :data:`ALLOW`;
            labels that differ from the manifest's; a malformed word-vector artifact.
        Side effects: reads the files; imports scikit-learn and skops (about 1.5 s cold).
        """
        base = Path(artifacts_dir) if artifacts_dir is not None else DEFAULT_ARTIFACTS_DIR
        manifest = read_manifest(base)
        columns = _load_skops(base / COLUMNS_ARTIFACT, ALLOW)
        categories = _load_skops(base / CATEGORIES_ARTIFACT, ALLOW)
        labels = manifest.get("labels", {})
        for name, model, key in (
            (COLUMNS_ARTIFACT, columns, "column_types"),
            (CATEGORIES_ARTIFACT, categories, "categories"),
        ):
            classes = [str(c) for c in getattr(model, "classes_", [])]
            if classes != list(labels.get(key, [])):
                raise ModelArtifactError(
                    f"{name}: the model's labels {classes} differ from the manifest's"
                )
        semantic = None
        if SEMANTIC_ARTIFACT in manifest.get("artifacts", {}):
            try:
                semantic = SemanticVectors.load(base / SEMANTIC_ARTIFACT)
            except (OSError, ValueError) as exc:
                raise ModelArtifactError(f"{SEMANTIC_ARTIFACT}: {exc}; retrain") from exc
            if sorted(semantic.labels) != sorted(labels.get("categories", [])):
                raise ModelArtifactError(
                    f"{SEMANTIC_ARTIFACT}: its categories differ from the manifest's; retrain"
                )
        return cls(columns, categories, manifest, sha256_file(base / MANIFEST_NAME), semantic)

    @property
    def semantic(self) -> SemanticVectors | None:
        """The semantic prior's word vectors, or ``None`` (a model trained without them)."""
        return self._semantic

    @property
    def version(self) -> str:
        """A short hash of the manifest (which pins every artifact hash): 12 hex digits."""
        return self._manifest_sha[:12]

    @property
    def column_labels(self) -> tuple[str, ...]:
        """The column business types the model knows."""
        return tuple(str(c) for c in self._columns.classes_)

    @property
    def category_labels(self) -> tuple[str, ...]:
        """The categories the model knows."""
        return tuple(str(c) for c in self._categories.classes_)

    def column_types(self, sample: TableSample) -> list[tuple[str, float]]:
        """One ``(business type, probability)`` per column of ``sample``, in column order.

        A column without a single non-null sampled value is ``("other", 0.0)``: there is
        nothing to judge. Pure; an empty table gives an empty list.
        """
        if not sample.columns:
            return []
        proba = self._columns.predict_proba(table_column_features(sample))
        labels = self.column_labels
        out: list[tuple[str, float]] = []
        for col, row in zip(sample.columns, proba, strict=True):
            if col.non_null == 0:
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
    ) -> list[tuple[str, float]]:
        """The ``top`` most likely categories with probabilities, most likely first.

        :param column_types: what :meth:`column_types` returned (or bare type names).
        :param pii: column name -> PII entities found by the PII classifier.
        Pure; probabilities of all categories sum to 1 (ties break by label order).
        """
        types = [t if isinstance(t, str) else t[0] for t in column_types]
        prior = semantic_features(self._semantic, sample) if self._semantic is not None else None
        proba = self._categories.predict_proba([table_features(sample, types, pii, prior)])[0]
        if self._power != 1.0:
            # A power below 1 softens the probabilities without changing their order.
            proba = np.power(np.maximum(proba, 1e-12), self._power)
            proba = proba / proba.sum()
        labels = self.category_labels
        order = sorted(range(len(labels)), key=lambda i: (-float(proba[i]), labels[i]))
        return [(labels[i], float(proba[i])) for i in order[:top]]
