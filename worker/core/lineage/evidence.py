"""Lineage as evidence: PII found in S3 becomes suggestions on the mapped table columns.

For an export (PostgreSQL/Redshift table → S3 dataset) whose S3 column holds PII, the source
table's column gets a suggestion ("the export of this column holds e-mail addresses"). For a
load (S3 dataset → Snowflake table) the target column gets one too, unless the hop masks it
(``sha2(email)``): PII upstream, an untagged downstream column and no masking in between is a
contradiction a steward should see. Decided suggestions are never re-opened (the review store
keeps decisions), so a steward's "not PII" sticks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models.lineage import LineageEdge
from models.plan import Suggestion
from worker.core.settings import AtlanSettings

#: Confidence of a lineage-derived suggestion relative to the scan's own finding.
LINEAGE_DISCOUNT = 0.9


def lineage_suggestions(
    edges: Sequence[LineageEdge],
    scanned: Mapping[str, Mapping[str, Mapping[str, float]]],
    atlan: AtlanSettings,
) -> dict[str, list[Suggestion]]:
    """Suggestions per table URI from the PII of S3 datasets on applied edges.

    :param scanned: S3 dataset uri → column → entity → confidence (from the scans).
    :returns: table uri → its column suggestions (masked hops give none).
    Pure.
    """
    out: dict[str, list[Suggestion]] = {}
    for edge in edges:
        if edge.target.is_table and edge.source.is_lake:
            s3_side, table_side, upstream = edge.source, edge.target, True
        elif edge.source.is_table and edge.target.is_lake:
            s3_side, table_side, upstream = edge.target, edge.source, False
        else:
            continue
        columns = scanned.get(s3_side.uri, {})
        for m in edge.columns:
            s3_col, table_col = (m.source, m.target) if upstream else (m.target, m.source)
            for entity, confidence in sorted(columns.get(s3_col, {}).items()):
                if upstream and m.masked:
                    continue  # masked on the way in: the Snowflake column is not PII
                if upstream:
                    reason = (
                        f"contradiction: {s3_side.uri} column {s3_col} holds {entity} and "
                        f"flows unmasked into {table_side.uri} column {table_col}, which is "
                        "not tagged"
                    )
                else:
                    reason = (
                        f"lineage: this column is exported to {s3_side.uri} as {s3_col}, "
                        f"where the scan found {entity}"
                    )
                out.setdefault(table_side.uri, []).append(
                    Suggestion(
                        object_uri=table_side.uri,
                        qualified_name="",
                        kind="tag",
                        tag=atlan.tag_for(entity),
                        entity=entity,
                        column=table_col,
                        confidence=round(confidence * LINEAGE_DISCOUNT, 4),
                        reason=reason,
                        evidence={
                            "lineage_edge": edge.id,
                            "via": s3_side.uri,
                            "s3_column": s3_col,
                            "s3_confidence": round(confidence, 4),
                            "origin": edge.origin.value,
                            "contradiction": upstream,
                            "expression": m.expression,
                        },
                        classifier_version="lineage=1",
                    )
                )
    return out


def lineage_term_suggestions(
    edges: Sequence[LineageEdge],
    dataset_uri: str,
    business_types: Mapping[str, tuple[str, float]],
    glossary_terms: Mapping[str, str],
    min_confidence: float,
) -> dict[str, list[Suggestion]]:
    """Glossary-term suggestions on the table columns mapped to a scanned S3 dataset.

    S3 objects have no columns in Atlan, so a column's business type (``amount`` →
    ``Amount@Finance``) is suggested on the table columns it comes from or flows into.

    :param business_types: S3 column → (business type, confidence) from the latest scan.
    :returns: table uri → its term suggestions. Pure.
    """
    out: dict[str, list[Suggestion]] = {}
    for edge in edges:
        if edge.source.uri == dataset_uri and edge.target.is_table:
            pairs = [(m.source, m.target) for m in edge.columns if not m.masked]
            table = edge.target
        elif edge.target.uri == dataset_uri and edge.source.is_table:
            pairs = [(m.target, m.source) for m in edge.columns]
            table = edge.source
        else:
            continue
        for s3_col, table_col in pairs:
            found = business_types.get(s3_col)
            if found is None or found[1] < min_confidence or found[0] not in glossary_terms:
                continue
            label, confidence = found
            out.setdefault(table.uri, []).append(
                Suggestion(
                    object_uri=table.uri,
                    qualified_name="",
                    kind="term",
                    tag=glossary_terms[label],
                    entity=None,
                    column=table_col,
                    confidence=round(confidence * LINEAGE_DISCOUNT, 4),
                    reason=f"lineage: {dataset_uri} column {s3_col} is a {label}",
                    evidence={
                        "lineage_edge": edge.id,
                        "via": dataset_uri,
                        "s3_column": s3_col,
                        "business_type": label,
                        "origin": edge.origin.value,
                    },  # fmt: skip
                    classifier_version="lineage=1",
                )
            )
    return out
