"""The classifier plug-in contract.

A classifier is pure: it receives a :class:`~models.TableSample` and returns findings, with no
I/O besides loading its own model files in :meth:`Classifier.load`. Heavy assets load lazily,
once, so that constructing a classifier is cheap (CLI start-up, Celery worker boot).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from models import ColumnFinding, TableSample


@runtime_checkable
class Classifier(Protocol):
    """What every classifier provides.

    :ivar name: stable identifier, e.g. ``"pii-presidio"``.
    :ivar version: changes whenever results may change (code, model or configuration);
        re-scans are skipped only while every classifier version is unchanged.
    :ivar labels: every label the classifier can emit.
    """

    name: str
    version: str
    labels: tuple[str, ...]

    def load(self) -> None:
        """Load every heavy asset (models) now. Idempotent.

        A worker calls it once before it forks its pool, so that the processes share the
        models. :meth:`classify` must not depend on it: it loads, lazily, what the sample's
        columns need, so that a one-off scan pays only for the models it uses.

        :raises ClassifierLoadError: the assets are missing or unusable.
        """
        ...

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        """Return one :class:`ColumnFinding` per column of ``sample``.

        A problem with a single column is reported in that column's ``warnings``, not raised.
        """
        ...


class ClassifierLoadError(RuntimeError):
    """A classifier's assets could not be loaded (missing model, bad configuration)."""
