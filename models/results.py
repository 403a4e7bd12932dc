"""The outcome of enriching one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from models.findings import ColumnFinding, LabelScore
from models.objects import ObjectInfo, ObjectRef
from models.samples import TableSample


class ObjectStatus(StrEnum):
    """What happened to an object in a run."""

    CLASSIFIED = "classified"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why an object was skipped or failed: a stable ``kind`` and a human message."""

    kind: str
    message: str
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class EnrichmentResult:
    """The result of :func:`worker.core.pipeline.enrich_object` for one object.

    ``sample`` is kept for the process that produced it only; serialisers (report, catalog)
    never write its values, only the metadata and findings.
    """

    ref: ObjectRef
    status: ObjectStatus
    info: ObjectInfo | None = None
    sample: TableSample | None = None
    columns: tuple[ColumnFinding, ...] = ()
    error: ErrorInfo | None = None
    warnings: tuple[str, ...] = ()
    classifier_versions: dict[str, str] = field(default_factory=dict)
    bytes_read: int = 0
    duration_s: float = 0.0
    categories: tuple[LabelScore, ...] = ()
    description: str | None = None
