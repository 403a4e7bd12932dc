"""The core: :func:`enrich_object`, called alike by the CLI, Celery tasks and tests.

It reads a sample of one object through the injected store, runs every classifier and
records the result in the local catalog. Every per-object problem becomes a result with
status ``skipped`` or ``failed``, an unexpected exception included (``internal_error``); only
problems that stop the whole run (bucket missing, credentials rejected, endpoint unreachable)
and transient store failures are raised.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from classifiers.base import Classifier
from classifiers.describe import describe_column, describe_object
from models import (
    ColumnFinding,
    EnrichmentResult,
    ErrorInfo,
    LabelScore,
    ObjectInfo,
    ObjectRef,
    ObjectStatus,
    TableSample,
)
from worker.core.errors import (
    ClassificationFailed,
    InternalError,
    ObjectChanged,
    ObjectError,
    RunError,
    StoreUnavailable,
)
from worker.core.logs import log_object_result
from worker.core.ports import LocalCatalog, Metrics, NoMetrics, ObjectStore, ReviewObserver
from worker.core.sampling import sample_object
from worker.core.sampling.options import SamplingOptions
from worker.core.sampling.reader import ObjectReader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """The adapters the core needs, built once by :func:`worker.bootstrap.build_deps`."""

    store: ObjectStore
    classifiers: Sequence[Classifier]
    catalog: LocalCatalog
    review: ReviewObserver | None = None
    metrics: Metrics = field(default_factory=NoMetrics)


@dataclass(frozen=True)
class EnrichOptions:
    """Per-call options.

    :param sampling: how much to read.
    :param force: classify even when the catalog says the object is unchanged.
    :param run_id: the catalog run this call belongs to (``None``: not recorded).
    """

    sampling: SamplingOptions = field(default_factory=SamplingOptions)
    force: bool = False
    run_id: str | None = None


def classifier_versions(classifiers: Sequence[Classifier]) -> dict[str, str]:
    """Return ``{name: version}`` for the configured classifiers."""
    return {c.name: c.version for c in classifiers}


def enrich_object(
    target: ObjectRef | ObjectInfo, deps: Deps, options: EnrichOptions
) -> EnrichmentResult:
    """Sample, classify and record one object.

    :param target: a ref (its metadata is fetched with a HEAD) or the info from a listing.
    :returns: the result; its status says whether the object was classified, skipped
        (unchanged, empty, unsupported, vanished ...) or failed (corrupt ...). An unexpected
        exception in any stage is a failed result too, of kind ``internal_error``: its message
        names the exception type and the stage only, never the exception's text (it may quote
        sampled values), and the log gets the type and where it was raised.
    :raises RunError: the run cannot go on (bucket missing, credentials rejected ...).
    :raises StoreUnavailable: a transient store failure; callers may retry.
    Side effects: reads from the store; writes the result to the local catalog when
    ``options.run_id`` is set, and then the object's suggestions to the review queue.
    """
    started = time.monotonic()
    versions = classifier_versions(deps.classifiers)
    ref = target.ref if isinstance(target, ObjectInfo) else target
    readers: list[ObjectReader] = []
    stage = _Stage("sampling")
    info: ObjectInfo | None = target if isinstance(target, ObjectInfo) else None
    try:
        result = _enrich(target, deps, options, versions, readers, stage, started)
    except (RunError, StoreUnavailable):
        raise
    except ObjectError as exc:
        log.info("%s: %s (%s)", ref, exc.kind, exc.message)
        result = _failed(ref, stage.info or info, exc, versions, readers, started)
    except Exception as exc:  # noqa: BLE001 - one object must not stop the run
        result = _internal_error(ref, stage, exc, versions, readers, started)
    if options.run_id is not None:
        try:
            recording = time.monotonic()
            _record(deps, options.run_id, result)
            deps.metrics.stage_seconds("record", time.monotonic() - recording)
        except (RunError, StoreUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001 - recorded as this object's failure instead
            stage.name = "recording"
            result = _internal_error(ref, stage, exc, versions, readers, started)
            # Once more, with the failure; if the catalog cannot take that either, it is
            # broken for every object and the exception goes to the caller.
            _record(deps, options.run_id, result)
    log_object_result(result, time.monotonic() - started)
    _count(deps.metrics, result)
    return result


def _count(metrics: Metrics, result: EnrichmentResult) -> None:
    """The object's outcome: status, format (``none`` without a sample), error kind."""
    fmt = result.sample.format if result.sample is not None else "none"
    kind = result.error.kind if result.error is not None else ""
    metrics.object_done(result.status.value, fmt, kind, result.bytes_read)


@dataclass
class _Stage:
    """Where :func:`enrich_object` is, for an internal error's message."""

    name: str
    info: ObjectInfo | None = None


def _enrich(
    target: ObjectRef | ObjectInfo,
    deps: Deps,
    options: EnrichOptions,
    versions: dict[str, str],
    readers: list[ObjectReader],
    stage: _Stage,
    started: float,
) -> EnrichmentResult:
    ref = target.ref if isinstance(target, ObjectInfo) else target
    info = target if isinstance(target, ObjectInfo) else deps.store.head(ref)
    stage.info = info
    if not options.force and deps.catalog.is_current(info, versions):
        return EnrichmentResult(
            ref=ref,
            status=ObjectStatus.SKIPPED,
            info=info,
            error=ErrorInfo("unchanged", "unchanged since the last scan (use --force)"),
            classifier_versions=versions,
        )
    reader = ObjectReader(deps.store, info)
    readers.append(reader)
    sampling = time.monotonic()
    try:
        sample = sample_object(reader, options.sampling)
    except ObjectChanged:
        if not isinstance(target, ObjectInfo):
            raise
        # The listing was stale: the object was overwritten after it was listed.
        # Sample the version that is there now, once.
        info = deps.store.head(ref)
        stage.info = info
        reader = ObjectReader(deps.store, info)
        readers.append(reader)
        sample = sample_object(reader, options.sampling)
    deps.metrics.stage_seconds("sample", time.monotonic() - sampling)
    stage.name = "classification"
    columns, warnings = _classify(sample, deps.classifiers, deps.metrics)
    categories = _categorise(sample, columns, deps.classifiers, warnings)
    columns = tuple(replace(c, description=describe_column(c)) for c in columns)
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus.CLASSIFIED,
        info=info,
        sample=sample,
        columns=columns,
        warnings=sample.warnings + warnings,
        classifier_versions=versions,
        bytes_read=sum(r.bytes_read for r in readers),
        duration_s=time.monotonic() - started,
        categories=categories,
        description=describe_object(sample, columns, categories),
    )


def _failed(
    ref: ObjectRef,
    info: ObjectInfo | None,
    exc: ObjectError,
    versions: dict[str, str],
    readers: list[ObjectReader],
    started: float,
) -> EnrichmentResult:
    return EnrichmentResult(
        ref=ref,
        status=ObjectStatus(exc.outcome),
        info=info,
        error=ErrorInfo(exc.kind, exc.message, exc.retryable),
        classifier_versions=versions,
        bytes_read=sum(r.bytes_read for r in readers),
        duration_s=time.monotonic() - started,
    )


def _internal_error(
    ref: ObjectRef,
    stage: _Stage,
    exc: Exception,
    versions: dict[str, str],
    readers: list[ObjectReader],
    started: float,
) -> EnrichmentResult:
    """A failed result for an unexpected exception: its type and the stage, never its text."""
    kind = type(exc).__name__
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {Path(frame[0].filename).name}:{frame[0].lineno}" if frame else ""
    log.warning("%s: internal error during %s: %s%s", ref, stage.name, kind, where)
    error = InternalError(f"internal error during {stage.name}: {kind}")
    return _failed(ref, stage.info, error, versions, readers, started)


def _record(deps: Deps, run_id: str, result: EnrichmentResult) -> None:
    deps.catalog.record(run_id, result)
    if deps.review is not None:
        deps.review.observe(result)


def _classify(
    sample: TableSample, classifiers: Sequence[Classifier], metrics: Metrics | None = None
) -> tuple[tuple[ColumnFinding, ...], tuple[str, ...]]:
    """Run every classifier and merge their findings per column.

    A classifier that raises is reported as a warning and the others still run; if every
    classifier fails the object fails with ``classification_failed``.
    """
    merged: dict[str, ColumnFinding] = {
        c.name: ColumnFinding(column=c.name, data_type=c.data_type) for c in sample.columns
    }
    warnings: list[str] = []
    failures = 0
    for classifier in classifiers:
        began = time.monotonic()
        try:
            # No load() here: classify loads what the columns need (a scan of numbers and
            # e-mails never loads spaCy); a worker loads everything before it forks.
            findings = classifier.classify(sample)
        except Exception as exc:  # noqa: BLE001 - one classifier must not sink the others
            failures += 1
            # The exception type only: vendor messages may quote sampled values.
            log.warning(
                "classifier %s failed on %s: %s",
                classifier.name,
                sample.info.ref,
                type(exc).__name__,
            )
            warnings.append(f"classifier {classifier.name} failed: {type(exc).__name__}")
            continue
        finally:
            if metrics is not None:
                metrics.stage_seconds("classify", time.monotonic() - began, classifier.name)
        for finding in findings:
            current = merged.get(finding.column)
            if current is None:
                continue
            entities = sorted(
                current.entities + finding.entities, key=lambda e: (-e.confidence, e.entity)
            )
            merged[finding.column] = ColumnFinding(
                column=current.column,
                data_type=current.data_type,
                entities=tuple(entities),
                warnings=current.warnings + finding.warnings,
                business_type=finding.business_type or current.business_type,
            )
    if classifiers and failures == len(classifiers):
        raise ClassificationFailed(f"all {failures} classifiers failed: " + "; ".join(warnings))
    return tuple(merged.values()), tuple(warnings)


def _categorise(
    sample: TableSample,
    columns: Sequence[ColumnFinding],
    classifiers: Sequence[Classifier],
    warnings: list[str] | tuple[str, ...],
) -> tuple[LabelScore, ...]:
    """Dataset categories from the first classifier that offers ``classify_table``.

    Such a classifier sees the merged column findings (PII entities, business types). A
    failure is a warning, never a failed object.
    """
    for classifier in classifiers:
        table = getattr(classifier, "classify_table", None)
        if table is None:
            continue
        try:
            return tuple(table(sample, columns))
        except Exception as exc:  # noqa: BLE001 - categories are optional
            log.warning("%s: categories failed (%s)", classifier.name, type(exc).__name__)
            if isinstance(warnings, list):
                warnings.append(f"classifier {classifier.name} failed on categories")
    return ()
