"""The scan report: a stable JSON contract (``docs/report.md``, ``worker/core/report.schema.json``).

Only metadata, findings and evidence (counts, shares, masked examples) are written; the
sampled values in :attr:`EnrichmentResult.sample` never are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

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
        "summary": {
            "objects": len(entries),
            "classified": counts.get("classified", 0),
            "skipped": counts.get("skipped", 0),
            "failed": counts.get("failed", 0),
            "bytes_read": sum(e["bytes_read"] for e in entries),
            "datasets": len(dataset_entries),
        },
        "objects": entries,
        "datasets": dataset_entries,
    }


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


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report atomically (a temp file renamed over ``path``)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
