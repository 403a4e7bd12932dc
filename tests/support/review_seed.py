"""A review catalog seeded with suggestions on three objects, and the object page's rows.

Shared by the review web tests and the schemathesis run of ``/api/v1``: both need the same
queue (states, entities, confidences, one local and two S3 objects) to have something to page,
filter and decide.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from models.plan import Suggestion
from models.review import SuggestionFilter
from worker.adapters.catalog.schema import columns, findings, objects
from worker.bootstrap import SqlReviewService as ReviewService

ANY = SuggestionFilter(state=None)
S3_URI = "s3://lake/exports/customers.csv"
LOCAL_URI = "file:///srv/landing/orders.csv"
OTHER_URI = "s3://lake/raw/events.parquet"


def evidence(prevalence: float, low: float, high: float, example: str) -> dict[str, object]:
    return {
        "prevalence": prevalence,
        "prevalence_interval": [low, high],
        "validator_pass_rate": 0.98,
        "name_signal": "email",
        "masked_examples": [example, example.lower(), example.upper(), "fourth-not-shown"],
    }


def suggestion(
    uri: str,
    column: str,
    entity: str,
    confidence: float,
    tag: str | None = None,
    version: str = "pii=1.0",
) -> Suggestion:
    return Suggestion(
        object_uri=uri,
        qualified_name="",
        kind="tag",
        tag=tag or f"PII_{entity}",
        entity=entity,
        column=column,
        confidence=confidence,
        reason=f"{entity} in {column}",
        evidence=evidence(0.62, 0.55, 0.68, "Xxxx@xxxx.xxx"),
        classifier_version=version,
    )


def seed_review(review: ReviewService) -> dict[str, int]:
    """Add the suggestions and the S3 object's catalog rows; return ids by ``uri#column``.

    Also under short names: ``s3_email``, ``s3_phone``, ``local_email``, ``local_card``.
    """
    store = review.store
    store.sync(
        S3_URI,
        [
            suggestion(S3_URI, "email", "EMAIL_ADDRESS", 0.97),
            suggestion(S3_URI, "phone", "PHONE_NUMBER", 0.71),
            suggestion(S3_URI, "name", "PERSON", 0.55, version="pii=0.9"),
        ],
    )
    store.sync(
        LOCAL_URI,
        [
            suggestion(LOCAL_URI, "contact", "EMAIL_ADDRESS", 0.91),
            suggestion(LOCAL_URI, "card", "CREDIT_CARD", 0.88),
        ],
    )
    store.sync(
        OTHER_URI,
        [
            suggestion(OTHER_URI, f"col{i}", "IP_ADDRESS", 0.60 + i / 100, tag="PII_IP")
            for i in range(7)
        ],
    )
    ids: dict[str, int] = {}
    page = store.page(ANY, sort="object", limit=500)
    for s in page.items:
        ids[f"{s.object_uri}#{s.column}"] = s.id
    ids["s3_email"] = ids[f"{S3_URI}#email"]
    ids["s3_phone"] = ids[f"{S3_URI}#phone"]
    ids["local_email"] = ids[f"{LOCAL_URI}#contact"]
    ids["local_card"] = ids[f"{LOCAL_URI}#card"]
    # The catalog side of the object page: the object, its columns and findings.
    with store.catalog.engine.begin() as conn:
        conn.execute(
            insert(objects).values(
                uri=S3_URI,
                bucket="lake",
                key="exports/customers.csv",
                status="classified",
                format="csv",
                row_count=12345,
                size_bytes=2 * 1024 * 1024,
                scanned_at=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            )
        )
        conn.execute(
            insert(columns),
            [
                {"object_uri": S3_URI, "name": "email", "position": 0, "data_type": "string"},
                {"object_uri": S3_URI, "name": "amount", "position": 1, "data_type": "double"},
            ],
        )
        conn.execute(
            insert(findings).values(
                object_uri=S3_URI,
                column_name="email",
                entity="EMAIL_ADDRESS",
                classifier="pii",
                confidence=0.97,
                prevalence=0.62,
                evidence=evidence(0.62, 0.55, 0.68, "Xxxx@xxxx.xxx"),
            )
        )
    return ids
