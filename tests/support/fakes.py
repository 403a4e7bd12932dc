"""Hand-written fakes for the ports (outcomes are asserted, not calls)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from models import (
    ColumnFinding,
    EnrichmentResult,
    EntityFinding,
    Evidence,
    ObjectInfo,
    ObjectRef,
    TableSample,
)
from worker.core.errors import BucketNotFound, ObjectChanged, ObjectVanished


class InMemoryObjectStore:
    """An S3-like store in a dict: ``s3://bucket/key`` → bytes."""

    def __init__(self, objects: Mapping[str, bytes] | None = None) -> None:
        self.objects: dict[str, bytes] = dict(objects or {})
        self.requests = 0

    def put(self, uri: str, data: bytes) -> None:
        self.objects[uri] = data

    def _info(self, uri: str) -> ObjectInfo:
        data = self.objects[uri]
        return ObjectInfo(ObjectRef(uri), len(data), hashlib.md5(data).hexdigest())

    def list_objects(self, uri: str) -> Iterator[ObjectInfo]:
        bucket = ObjectRef.parse(uri).bucket
        if not any(ObjectRef(u).bucket == bucket for u in self.objects):
            raise BucketNotFound(f"bucket {bucket} does not exist")
        for key in sorted(self.objects):
            if key == uri or key.startswith(uri.rstrip("/") + "/"):
                yield self._info(key)

    def head(self, ref: ObjectRef) -> ObjectInfo:
        if ref.uri not in self.objects:
            raise ObjectVanished(f"{ref} does not exist")
        return self._info(ref.uri)

    def read_range(self, info: ObjectInfo, start: int, end: int) -> bytes:
        self.requests += 1
        if info.ref.uri not in self.objects:
            raise ObjectVanished(f"{info.ref} does not exist")
        current = self._info(info.ref.uri)
        if current.etag != info.etag:
            raise ObjectChanged(f"{info.ref} changed")
        return self.objects[info.ref.uri][start:end]


class FakeClassifier:
    """Flags every column whose name contains ``email`` as EMAIL_ADDRESS."""

    name = "fake"
    labels = ("EMAIL_ADDRESS",)

    def __init__(self, version: str = "1", fail: bool = False) -> None:
        self.version = version
        self.fail = fail
        self.loaded = 0
        self.calls = 0

    def load(self) -> None:
        self.loaded += 1

    def classify(self, sample: TableSample) -> list[ColumnFinding]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("model exploded on value secret@example.com")
        out = []
        for column in sample.columns:
            entities: tuple[EntityFinding, ...] = ()
            if "email" in column.name:
                n = column.non_null
                entities = (
                    EntityFinding(
                        "EMAIL_ADDRESS", 0.9, 1.0, Evidence(n, n, n, 0.9), classifier=self.name
                    ),
                )
            out.append(ColumnFinding(column.name, column.data_type, entities))
        return out


@dataclass
class InMemoryLocalCatalog:
    """A LocalCatalog in memory."""

    results: dict[str, EnrichmentResult] = field(default_factory=dict)
    runs: dict[str, dict[str, int] | None] = field(default_factory=dict)

    def is_current(self, info: ObjectInfo, classifier_versions: Mapping[str, str]) -> bool:
        old = self.results.get(info.ref.uri)
        return (
            old is not None
            and old.info is not None
            and old.info.etag == info.etag
            and old.status.value in ("classified", "skipped")
            and old.classifier_versions == dict(classifier_versions)
        )

    def start_run(self, command: str, targets: list[str]) -> str:
        run_id = f"run-{len(self.runs) + 1}"
        self.runs[run_id] = None
        return run_id

    def record(self, run_id: str, result: EnrichmentResult) -> None:
        if result.error is not None and result.error.kind == "unchanged":
            return
        self.results[result.ref.uri] = result

    def finish_run(self, run_id: str, counts: Mapping[str, int]) -> None:
        self.runs[run_id] = dict(counts)
