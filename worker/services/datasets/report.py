"""The ``datasets`` section of the scan report (schema version 2): one entry per dataset."""

from __future__ import annotations

from typing import Any

from worker.services.datasets.service import DatasetOutcome, DatasetPlan


def dataset_entry(plan: DatasetPlan, outcome: DatasetOutcome) -> dict[str, Any]:
    """The report entry of one dataset: grouping, sampling, verdict, schema changes, alerts.

    Evidence only (counts, shares, types, partition keys); never a sampled value.
    """
    summary = plan.summary
    opened = {a.subject: a for a in outcome.alerts}
    return {
        "uri": summary.uri,
        "rule": summary.rule.value,
        "explanation": summary.explanation,
        "object_count": summary.object_count,
        "total_bytes": summary.total_bytes,
        "partition_count": len(summary.partitions),
        "partition_columns": list(summary.partition_columns),
        "formats": dict(summary.formats),
        "partitions_sampled": outcome.sampled,
        "sampled_partitions": [p.key for p in plan.selected],
        "new_partitions": list(plan.update.new_partitions),
        "verdict": outcome.verdict.to_dict() if outcome.verdict is not None else None,
        "schema_version": outcome.schema.version if outcome.schema is not None else None,
        "schema_changes": [c.to_dict() for c in outcome.changes],
        "alerts": [
            {
                "id": opened[c.subject].id if c.subject in opened else None,
                "kind": c.kind.value,
                "severity": c.severity.value,
                "subject": c.subject,
                "message": c.message,
                "opened": c.subject in opened,
            }
            for c in outcome.candidates
        ],
    }
