"""Helpers shared by the sampling tests: read local files through the real reader."""

from __future__ import annotations

from pathlib import Path

from models import ObjectRef, TableSample
from worker.adapters.storage.local import LocalObjectStore
from worker.core.sampling import SamplingOptions, sample_object
from worker.core.sampling.reader import ObjectReader


def reader_for(path: Path) -> ObjectReader:
    store = LocalObjectStore()
    return ObjectReader(store, store.head(ObjectRef.parse(str(path))))


def sample(path: Path, **options: object) -> tuple[TableSample, ObjectReader]:
    reader = reader_for(path)
    return sample_object(reader, SamplingOptions(**options)), reader  # type: ignore[arg-type]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def column(result: TableSample, name: str) -> tuple[object, ...]:
    for col in result.columns:
        if col.name == name:
            return col.values
    raise KeyError(name)


def types(result: TableSample) -> dict[str, str]:
    return {c.name: c.data_type for c in result.columns}
