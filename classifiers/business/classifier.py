"""``BusinessClassifier``: the business models behind the classifier plug-in contract.

``classify`` gives every column a business type (``amount``, ``country`` ...); the pipeline
then calls ``classify_table`` with the merged findings (PII entities included) for the
dataset's top three categories (from the values alone when the values contradict enough of
the column names: :mod:`classifiers.business.contradictions`). Construction is cheap (it
reads the manifest, registering its category apply threshold under the model version);
:meth:`load` verifies the manifest and loads the numpy artifacts once per process (well
under a second; no scikit-learn import).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from classifiers.business.contradictions import (
    VALUES_AGREE_MIN,
    contradicted_columns,
    enough_to_distrust,
)
from classifiers.business.features import findings_inputs, without_names
from classifiers.business.model import (
    DEFAULT_ARTIFACTS_DIR,
    MANIFEST_NAME,
    BusinessModel,
    ModelArtifactError,
    register_manifest,
    sha256_file,
)
from models import ColumnFinding, LabelScore, TableSample


class BusinessClassifier:
    """Column business types and dataset categories (scikit-learn, see classifiers/business).

    :param artifacts_dir: where the manifest and artifacts are (default: models/artifacts).
    """

    name = "business"

    def __init__(self, artifacts_dir: str | Path | None = None) -> None:
        self.artifacts_dir = Path(artifacts_dir) if artifacts_dir else DEFAULT_ARTIFACTS_DIR
        manifest = self.artifacts_dir / MANIFEST_NAME
        # The manifest pins every artifact's hash: its own hash is the model version, known
        # without loading anything heavy. Registering it makes the manifest's category apply
        # threshold known to the review policy under that version.
        try:
            digest = register_manifest(self.artifacts_dir)
        except ModelArtifactError:
            # A malformed manifest: load() says why; its categories are never applied.
            digest = sha256_file(manifest)[:12]
        self.version = f"1;model={digest[:12]}"
        self.labels: tuple[str, ...] = ()
        self._model: BusinessModel | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """``True`` once the models are loaded."""
        return self._model is not None

    def load(self) -> None:
        """Verify and load the models (under a second, once).

        :raises ModelArtifactError: a missing or mismatching artifact or manifest.
        """
        if self._model is None:
            with self._lock:
                if self._model is None:
                    model = BusinessModel.load(self.artifacts_dir)
                    self.labels = model.column_labels + model.category_labels
                    self._model = model

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        """One finding per column carrying its business type (no entities)."""
        self.load()
        assert self._model is not None
        types = self._model.column_types(sample)
        return [
            ColumnFinding(c.name, c.data_type, business_type=LabelScore(t, float(p)))
            for c, (t, p) in zip(sample.columns, types, strict=True)
        ]

    def classify_table(
        self, sample: TableSample, columns: Sequence[ColumnFinding]
    ) -> list[LabelScore]:
        """The top three categories of the dataset, best first, with probabilities.

        The first says whether the table's words alone point to it (``words_agree``).
        """
        self.load()
        assert self._model is not None
        types, pii = findings_inputs(columns)
        values_agree: bool | None = None
        hit = contradicted_columns(columns)
        if enough_to_distrust(hit, columns):
            # The values contradict enough of the names that none of them is believed, nor
            # the folder: another table's names came with its path. The category is read as
            # for a table whose names say nothing (the hidden-names pair with the values
            # text's prior, its columns typed by the hidden-names column model), and the
            # review policy leaves it to a steward (bench/README.md, "Names their values
            # contradict" and "What the values say, in words").
            ranked = self._values_alone(sample, pii)
        else:
            ranked = self._model.categories(sample, types, pii)
            if ranked and hit:
                # One contradicted name (or a few in a wide table): the others are believed,
                # unless the values alone give the category next to nothing (bench/README.md,
                # "Names their values contradict"); the review policy then leaves it to a steward.
                # The pair alone, as the bar was measured (without the values text's prior).
                labels = len(self._model.category_labels)
                alone = dict(self._values_alone(sample, pii, top=labels, values_prior=False))
                values_agree = alone.get(ranked[0][0], 0.0) >= VALUES_AGREE_MIN
        if not ranked:
            return []
        # The top category carries whether the table's words alone (its own, believed or
        # not) point to it: the review policy applies it unseen only at a stricter threshold
        # when they do not.
        words = self._model.words_category(sample)
        (label, p), rest = ranked[0], ranked[1:]
        agree = None if words is None else words == label  # None: the words say nothing
        return [LabelScore(label, float(p), words_agree=agree, values_agree=values_agree)] + [
            LabelScore(other, float(q)) for other, q in rest
        ]

    def _values_alone(
        self,
        sample: TableSample,
        pii: dict[str, set[str]],
        top: int = 3,
        values_prior: bool = True,
    ) -> list[tuple[str, float]]:
        """The categories of ``sample`` read as if no name said anything (see the module doc).

        Every name and the folder hidden (:func:`without_names`), the columns typed by the
        hidden-names column model, ``pii`` (by the original names) carried over;
        ``values_prior`` as :meth:`BusinessModel.categories` takes it. Pure.
        """
        assert self._model is not None
        hidden = without_names(sample)
        types = self._model.column_types(hidden)
        renamed = {
            h.name: pii.get(c.name, set())
            for h, c in zip(hidden.columns, sample.columns, strict=True)
        }
        return self._model.categories(hidden, types, renamed, top=top, values_prior=values_prior)
