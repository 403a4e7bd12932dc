"""The composition root: every adapter is built here, once, from one settings object."""

from __future__ import annotations

from classifiers.base import Classifier
from worker.catalog.sql import SqlLocalCatalog
from worker.pipeline import Deps
from worker.settings import Settings
from worker.storage.local import LocalObjectStore
from worker.storage.routing import RoutingObjectStore
from worker.storage.s3 import S3ObjectStore


def build_classifiers(settings: Settings) -> list[Classifier]:
    """Return the enabled classifiers, constructed but not loaded (loading is lazy)."""
    found: list[Classifier] = []
    if settings.pii.enabled:
        from classifiers.pii import PresidioPiiClassifier

        pii = settings.pii
        found.append(
            PresidioPiiClassifier(
                spacy_model=pii.spacy_model,
                language=pii.language,
                min_score=pii.min_score,
                min_prevalence=pii.min_prevalence,
                max_distinct_values=pii.max_distinct_values,
                batch_size=pii.batch_size,
                entities=pii.entities,
            )
        )
    return found


def build_deps(settings: Settings) -> Deps:
    """Build the store, classifiers and catalog. Nothing connects until first use."""
    return Deps(
        store=RoutingObjectStore(local=LocalObjectStore(), s3=S3ObjectStore(settings.s3)),
        classifiers=build_classifiers(settings),
        catalog=SqlLocalCatalog(settings.database_url),
    )
