"""The scan report: a stable JSON contract (``docs/report.md``, ``worker/core/report.schema.json``).

Only metadata, findings and evidence (counts, shares, masked examples) are written; the
sampled values in :attr:`EnrichmentResult.sample` never are.

A scan writes its report with :class:`ReportStream`, an object entry at a time, so that it
holds no result after it is reported; :func:`build_report` gives the same document at once
(the reference, and for callers that have the results at hand).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

from models import EnrichmentResult
from worker.core.review_policy import category_decision

#: 2 added ``datasets`` (docs/report.md says how to read a version 1 report as version 2).
SCHEMA_VERSION = 2


def object_entry(result: EnrichmentResult) -> dict[str, Any]:
    """Return the report entry of one object."""
    info, sample = result.info, result.sample
    return {
        "uri": result.ref.uri,
        "status": result.status.value,
        "format": sample.format if sample else None,
        "compression": sample.compression if sample else None,
        "size_bytes": info.size if info else None,
        "bytes_read": result.bytes_read,
        "etag": info.etag if info else None,
        "version_id": info.version_id if info else None,
        "last_modified": info.last_modified.isoformat() if info and info.last_modified else None,
        "content_type": info.content_type if info else None,
        "storage_class": info.storage_class if info else None,
        "row_count": sample.row_count if sample else None,
        "row_count_estimated": sample.row_count_estimated if sample else None,
        "rows_sampled": sample.rows_sampled if sample else None,
        "sampling": (
            {
                "method": sample.sampling.method,
                "seed": sample.sampling.seed,
                "row_groups": list(sample.sampling.row_groups),
                "budget_exhausted": sample.sampling.budget_exhausted,
                "truncated_cells": sample.sampling.truncated_cells,
            }
            if sample
            else None
        ),
        "details": dict(sample.details) if sample else {},
        "category": result.categories[0].to_dict() if result.categories else None,
        "categories": [c.to_dict() for c in result.categories],
        "category_decision": category_decision(result),
        "description": result.description,
        "columns": [
            {
                "name": c.column,
                "data_type": c.data_type,
                "entities": [
                    {
                        "entity": e.entity,
                        "confidence": e.confidence,
                        "prevalence": round(e.prevalence, 4),
                        "classifier": e.classifier,
                        "evidence": e.evidence.to_dict(),
                    }
                    for e in c.entities
                ],
                "business_type": c.business_type.to_dict() if c.business_type else None,
                "description": c.description,
                "warnings": list(c.warnings),
            }
            for c in result.columns
        ],
        "warnings": list(result.warnings),
        "classifier_versions": dict(result.classifier_versions),
        "error": (
            {"kind": result.error.kind, "message": result.error.message} if result.error else None
        ),
    }


def build_report(
    results: Iterable[EnrichmentResult],
    run_id: str | None = None,
    datasets: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Return the whole report document for a run.

    Keys in the order :class:`ReportStream` writes them (``summary`` last).

    :param datasets: the dataset entries of the run (see ``datasets`` in the schema), built
        by :func:`worker.services.datasets.report.dataset_entry`.
    """
    entries = [object_entry(r) for r in results]
    dataset_entries = list(datasets)
    counts = Counter(e["status"] for e in entries)
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "generated_at": datetime.now(UTC).isoformat(),
        "objects": entries,
        "datasets": dataset_entries,
        "summary": {
            "objects": len(entries),
            "classified": counts.get("classified", 0),
            "skipped": counts.get("skipped", 0),
            "failed": counts.get("failed", 0),
            "bytes_read": sum(e["bytes_read"] for e in entries),
            "datasets": len(dataset_entries),
        },
    }


def _nested(value: Any, depth: int) -> str:
    """``value`` as ``json.dumps(indent=2)`` writes it ``depth`` levels deep in a document."""
    # A JSON string never holds a raw newline, so every newline here is layout.
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * depth)


class ReportStream:
    """Write a run's report while the run goes on: each object entry as its result comes.

    The document is the one :func:`build_report` returns, byte for byte as
    :func:`write_report` lays it out (but ``generated_at``, taken when the stream opens):
    ``schema_version``, ``run_id``, ``generated_at`` and the ``objects`` array are written
    first, then one entry per :meth:`add`; :meth:`finish` closes the array and writes
    ``datasets`` and ``summary``. Nothing of a result is kept but the summary counts; dataset
    entries wait in an unnamed temporary file until :meth:`finish`.

    :param out: a text stream to write to; it stays open (the caller's).
    """

    def __init__(self, out: IO[str], run_id: str | None) -> None:
        self.out = out
        self.counts: Counter[str] = Counter()
        self.objects = 0
        self.bytes_read = 0
        self.datasets = 0
        self._datasets: IO[str] | None = None
        head = {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "generated_at": datetime.now(UTC).isoformat(),
        }
        out.write(_nested(head, 0)[:-2] + ',\n  "objects": [')

    def add(self, result: EnrichmentResult) -> dict[str, Any]:
        """Write the object entry of ``result``; returns it (the caller need not keep it).

        Side effects: writes to ``out``.
        """
        entry = object_entry(result)
        self.out.write(("," if self.objects else "") + "\n    " + _nested(entry, 2))
        self.objects += 1
        self.counts[entry["status"]] += 1
        self.bytes_read += entry["bytes_read"]
        return entry

    def add_dataset(self, entry: dict[str, Any]) -> None:
        """Keep one dataset entry for the ``datasets`` array (written by :meth:`finish`).

        Side effects: writes it to a temporary file.
        """
        if self._datasets is None:
            self._datasets = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._datasets.write(("," if self.datasets else "") + "\n    " + _nested(entry, 2))
        self.datasets += 1

    def summary(self) -> dict[str, int]:
        """The report's ``summary`` for what was added so far."""
        return {
            "objects": self.objects,
            "classified": self.counts.get("classified", 0),
            "skipped": self.counts.get("skipped", 0),
            "failed": self.counts.get("failed", 0),
            "bytes_read": self.bytes_read,
            "datasets": self.datasets,
        }

    def finish(self) -> dict[str, int]:
        """Close the document (``datasets`` and ``summary``, a final newline); returns the summary.

        Side effects: writes to ``out`` and flushes it; closes the datasets' temporary file.
        """
        out = self.out
        out.write("\n  ]," if self.objects else "],")
        out.write('\n  "datasets": [')
        if self._datasets is not None:
            self._datasets.seek(0)
            shutil.copyfileobj(self._datasets, out)
            self._datasets.close()
            self._datasets = None
            out.write("\n  ]")
        else:
            out.write("]")
        summary = self.summary()
        out.write(',\n  "summary": ' + _nested(summary, 1) + "\n}\n")
        out.flush()
        return summary

    def discard(self) -> None:
        """Drop what waits for :meth:`finish` (a run that stopped early)."""
        if self._datasets is not None:
            self._datasets.close()
            self._datasets = None


def upgrade_report(report: dict[str, Any]) -> dict[str, Any]:
    """Read a report of any earlier schema version as the current one.

    Version 1 → 2: no ``datasets`` section (an empty list) and no dataset count.
    :raises ValueError: a version newer than this code knows.
    """
    version = report.get("schema_version")
    if version == SCHEMA_VERSION:
        return report
    if version == 1:
        upgraded = dict(report, schema_version=2, datasets=[])
        upgraded["summary"] = dict(report["summary"], datasets=0)
        return upgraded
    raise ValueError(f"report schema_version {version!r} is not one this version reads (1, 2)")


@cache
def report_schema() -> dict[str, Any]:
    """Return the JSON Schema of the report (shipped with the package)."""
    text = resources.files("worker.core").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(report: dict[str, Any]) -> None:
    """Validate a report against the schema.

    :raises jsonschema.ValidationError: the report does not follow the contract.
    """
    import jsonschema

    jsonschema.validate(report, report_schema())


@contextmanager
def report_file(path: Path) -> Iterator[IO[str]]:
    """A text file for a report that lands at ``path`` only whole.

    Yields ``path`` + ``.tmp`` opened for writing; renamed over ``path`` when the block ends
    normally, removed when it raises (an earlier report at ``path`` stays).
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            yield out
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report atomically (a temp file renamed over ``path``)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
