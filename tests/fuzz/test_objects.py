"""Fuzzing whole objects through ``enrich_object`` with the real sampler (issue 13).

Small real files (Parquet of several shapes, CSV with and without a header, TSV, JSON Lines,
plain or gzip/zstd/bz2-compressed) are damaged by Hypothesis: truncated, bit-flipped,
overwritten, wrong magic, lying sizes (Parquet footer length, page headers, gzip ISIZE, zstd
frame sizes), deep nesting, invalid UTF-8, NUL bytes, giant cells, very wide rows. Every
object must end as ``classified``, ``skipped`` or ``failed`` with a kind from the error tree
(never ``internal_error``: that would be an exception the sampler let through), within the
memory target, and no error message or warning may quote a cell.

Every generated cell holds :data:`MARK`, so a quoted cell is easy to spot. Deterministic
(``derandomize``) and fast: the examples of each test run in a few seconds.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import EnrichmentResult, ObjectRef, ObjectStatus
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog, InMemoryObjectStore
from tests.support.memory import measured
from worker.adapters.storage.local import SymlinkSkipped
from worker.core import errors
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.sampling import SamplingOptions

MIB = 1024 * 1024
MARK = "QZX"
TARGET = 300 * MIB
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _kinds() -> set[str]:
    found = {"unchanged"}
    stack: list[type[errors.EnrichmentError]] = [errors.EnrichmentError]
    while stack:
        cls = stack.pop()
        found.add(cls.kind)
        stack.extend(cls.__subclasses__())
    return found | {SymlinkSkipped.kind}


KINDS = _kinds()


# --- Seeds ----------------------------------------------------------------------------------


def _cells(n: int) -> list[str]:
    return [f"{MARK}{i}{MARK}" for i in range(n)]


def _parquet(table: pa.Table, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue()


@lru_cache(maxsize=1)
def parquet_seeds() -> dict[str, bytes]:
    n = 300
    plain = pa.table(
        {
            "id": np.arange(n),
            "name": _cells(n),
            "amount": np.arange(n) * 1.5,
            "seen": pa.array(np.arange(n) * 10**15, pa.timestamp("ns")),
        }
    )
    nested = pa.table(
        {
            "tags": pa.array([[m, m] for m in _cells(n)]),
            "addr": pa.array([{"city": m, "zip": i} for i, m in enumerate(_cells(n))]),
            "bin": pa.array([m.encode() for m in _cells(n)]),
        }
    )
    repeated = pa.table({"v": pa.array([f"{MARK}{i % 3}{MARK}" * 20 for i in range(n)])})
    return {
        "plain": _parquet(plain, row_group_size=100),
        "v2-zstd": _parquet(plain, data_page_version="2.0", compression="zstd", data_page_size=512),
        "nested": _parquet(nested, compression="none"),
        "dictionary": _parquet(repeated, store_schema=False, write_page_checksum=True),
    }


def _csv(header: bool, sep: str = ",") -> bytes:
    lines = [sep.join(["id", "name", "email", "joined"])] if header else []
    for i, cell in enumerate(_cells(120)):
        lines.append(sep.join([str(i), cell, f"{cell.lower()}@example.org", "2024-01-02"]))
    return ("\n".join(lines) + "\n").encode()


@lru_cache(maxsize=1)
def text_seeds() -> dict[str, bytes]:
    jsonl = "".join(
        json.dumps({"id": i, "name": c, "tags": [c], "n": {"deep": [i, c]}}) + "\n"
        for i, c in enumerate(_cells(120))
    )
    return {
        "csv": _csv(True),
        "headerless": _csv(False),
        "tsv": _csv(True, "\t"),
        "jsonl": jsonl.encode(),
    }


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    "bz2": bz2.compress,
}
SUFFIX = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2"}
TEXT_NAMES = {"csv": ".csv", "headerless": ".csv", "tsv": ".tsv", "jsonl": ".jsonl"}


# --- Mutations ------------------------------------------------------------------------------

fractions = st.floats(0, 1, allow_nan=False)


def _at(data: bytes, frac: float) -> int:
    return min(len(data), int(len(data) * frac))


byte_mutation = st.one_of(
    st.tuples(st.just("truncate"), fractions),
    st.tuples(st.just("flip"), st.lists(st.tuples(fractions, st.integers(0, 7)), max_size=8)),
    st.tuples(st.just("overwrite"), fractions, st.binary(min_size=1, max_size=48)),
    st.tuples(
        st.just("magic"),
        st.sampled_from([b"PAR1", b"\x1f\x8b\x08\x00", b"\x28\xb5\x2f\xfd", b"BZh9", b"\0\0\0\0"]),
    ),
    # The last 8 bytes hold the Parquet footer length (and gzip's ISIZE in its last 4).
    st.tuples(
        st.just("tail_int"),
        st.sampled_from([8, 4]),
        st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([2**31, 2**32 - 1, 256 * MIB])),
    ),
    st.tuples(st.just("insert"), fractions, st.sampled_from([b"\0", b"\xff\xfe", b"\xc3", b"\r"])),
)

# Sizes come from lists of telling values: derandomized Hypothesis draws small integers.
text_mutation = st.one_of(
    st.tuples(st.just("giant_cell"), fractions, st.sampled_from([5000, 70_000, MIB, 3 * MIB])),
    st.tuples(st.just("deep"), fractions, st.sampled_from([50, 101, 1000, 200_000])),
    st.tuples(st.just("wide"), st.sampled_from([2, 300, 25_000])),
    st.tuples(st.just("lines"), st.sampled_from([1, 1000, 200_000])),
    st.tuples(st.just("repeat"), st.sampled_from([MIB, 16 * MIB])),
    st.tuples(st.just("invalid_utf8"), fractions),
    st.tuples(st.just("nul"), fractions),
)


def apply_bytes(data: bytes, mutation: tuple[Any, ...]) -> bytes:
    kind = mutation[0]
    if kind == "truncate":
        return data[: _at(data, mutation[1])]
    if kind == "flip":
        out = bytearray(data)
        for frac, bit in mutation[1]:
            if out:
                out[min(len(out) - 1, _at(data, frac))] ^= 1 << bit
        return bytes(out)
    if kind == "overwrite":
        at = _at(data, mutation[1])
        return data[:at] + mutation[2] + data[at + len(mutation[2]) :]
    if kind == "magic":
        return mutation[1] + data[4:]
    if kind == "tail_int":
        back, value = mutation[1], mutation[2]
        if len(data) < back:
            return data
        end = len(data) - back + 4
        return data[: len(data) - back] + value.to_bytes(4, "little") + data[end:]
    at = _at(data, mutation[1])
    return data[:at] + mutation[2] + data[at:]


def _line_start(data: bytes, frac: float) -> int:
    at = _at(data, frac)
    nl = data.rfind(b"\n", 0, at)
    return nl + 1


def apply_text(data: bytes, mutation: tuple[Any, ...], jsonl: bool) -> bytes:
    """Apply one content mutation; each adds at most 16 MiB, whatever came before."""
    kind = mutation[0]
    if kind == "giant_cell":
        at = _line_start(data, mutation[1])
        cell = MARK.encode() + b"y" * mutation[2]
        row = b'{"id": 1, "doc": "' + cell + b'"}\n' if jsonl else b"1," + cell + b",x,y\n"
        return data[:at] + row + data[at:]
    if kind == "deep":
        at = _line_start(data, mutation[1])
        depth = mutation[2]
        row = (b'{"a": ' if jsonl else b"") + b"[" * depth + b"]" * (depth // 2) + b"\n"
        return data[:at] + row + data[at:]
    if kind == "wide":
        return b"w" + b",w" * mutation[1] + b"\n" + data
    if kind == "repeat":
        # Highly compressible: a decompression bomb once compressed.
        return data + b"0" * mutation[1]
    if kind == "lines":
        # A short fixed row: never a copy of an existing one, which may be a giant cell.
        return data + (b'{"id": 7}\n' if jsonl else b"7,x,y,z\n") * mutation[1]
    at = _at(data, mutation[1])
    insert = b"\xff\xfe\xc3(" if kind == "invalid_utf8" else b"\0"
    return data[:at] + insert + data[at:]


# --- The property ---------------------------------------------------------------------------


def check(name: str, data: bytes) -> EnrichmentResult:
    """Enrich one generated object; assert the outcome, the memory and the messages."""
    assert len(data) <= 40 * MIB  # the mutations are bounded; keep it so
    uri = f"s3://fuzz/{name}"
    deps = Deps(InMemoryObjectStore({uri: data}), [FakeClassifier()], InMemoryLocalCatalog())
    with measured() as usage:
        result = enrich_object(
            ObjectRef.parse(uri), deps, EnrichOptions(sampling=SamplingOptions(), run_id="r")
        )
    assert result.status in (ObjectStatus.CLASSIFIED, ObjectStatus.SKIPPED, ObjectStatus.FAILED)
    if result.status is not ObjectStatus.CLASSIFIED:
        assert result.error is not None and result.error.kind in KINDS, result.error
        assert result.error.kind != "internal_error", result.error
        assert MARK not in result.error.message, result.error
    for warning in result.warnings:
        assert MARK not in warning, warning
    assert usage.arrow < TARGET, f"arrow peak {usage.arrow / MIB:.0f} MiB"
    assert usage.python < TARGET, f"python peak {usage.python / MIB:.0f} MiB"
    if usage.rss is not None:
        assert usage.rss < TARGET, f"rss peak +{usage.rss / MIB:.0f} MiB"
    return result


@SETTINGS
@given(
    seed=st.sampled_from(sorted(parquet_seeds())),
    mutations=st.lists(byte_mutation, min_size=1, max_size=3),
    name=st.sampled_from(["t.parquet", "t.pq", "blob", "t.csv"]),
)
def test_damaged_parquet(seed: str, mutations: list[tuple[Any, ...]], name: str) -> None:
    data = parquet_seeds()[seed]
    for mutation in mutations:
        data = apply_bytes(data, mutation)
    check(name, data)


@SETTINGS
@given(
    seed=st.sampled_from(sorted(text_seeds())),
    content=st.lists(text_mutation, max_size=2),
    damage=st.lists(byte_mutation, max_size=2),
    plain_name=st.booleans(),
)
def test_damaged_text(
    seed: str, content: list[tuple[Any, ...]], damage: list[tuple[Any, ...]], plain_name: bool
) -> None:
    data = text_seeds()[seed]
    for mutation in content:
        data = apply_text(data, mutation, seed == "jsonl")
    for mutation in damage:
        data = apply_bytes(data, mutation)
    check("data" if plain_name else f"t{TEXT_NAMES[seed]}", data)


@SETTINGS
@given(
    seed=st.sampled_from(sorted(text_seeds())),
    codec=st.sampled_from(sorted(COMPRESS)),
    content=st.lists(text_mutation, max_size=1),
    damage=st.lists(byte_mutation, max_size=2),
)
def test_damaged_compressed(
    seed: str,
    codec: str,
    content: list[tuple[Any, ...]],
    damage: list[tuple[Any, ...]],
) -> None:
    data = text_seeds()[seed]
    for mutation in content:
        data = apply_text(data, mutation, seed == "jsonl")
    data = COMPRESS[codec](data)
    for mutation in damage:
        data = apply_bytes(data, mutation)
    check(f"t{TEXT_NAMES[seed]}{SUFFIX[codec]}", data)


def test_seeds_are_classified() -> None:
    """The undamaged seeds are ordinary objects (so the damage is what the fuzz tests)."""
    for seed, data in parquet_seeds().items():
        assert check(f"{seed}.parquet", data).status is ObjectStatus.CLASSIFIED, seed
    for seed, data in text_seeds().items():
        assert check(f"t{TEXT_NAMES[seed]}", data).status is ObjectStatus.CLASSIFIED, seed
        for codec, compress in COMPRESS.items():
            name = f"t{TEXT_NAMES[seed]}{SUFFIX[codec]}"
            assert check(name, compress(data)).status is ObjectStatus.CLASSIFIED, name
