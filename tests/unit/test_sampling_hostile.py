"""Hostile objects (issue 13): each ends with the expected outcome and a bounded memory peak.

One ``enrich_object`` call per object through the local store, with a fake classifier. Memory
is measured three ways, each able to catch what it guards when the fix is reverted:

* ``arrow``: the peak of a fresh pyarrow proxy memory pool (what pyarrow decodes);
* ``python``: the tracemalloc peak (Python objects: bytes read, parsed rows, cells);
* ``rss``: the process's peak RSS over the call (``/proc/self/clear_refs``; native memory
  such as a decoded Parquet footer), when the kernel allows the reset.

bench/memory.py measures the full-size files with the real classifiers in fresh processes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from models import EnrichmentResult, ObjectRef, ObjectStatus
from tests.support import badfiles as bad
from tests.support.fakes import FakeClassifier, InMemoryLocalCatalog
from tests.support.memory import Usage, measured
from worker.adapters.storage.local import LocalObjectStore
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.sampling import SamplingOptions

MIB = 1024 * 1024
# _HEAVY: the tests marked ``no_cover`` parse millions of cells; the same code paths run under
# coverage in the small tests, and line tracing would triple their time in `make test`.


def _enrich(path: Path, **options: object) -> tuple[EnrichmentResult, Usage]:
    deps = Deps(LocalObjectStore(), [FakeClassifier()], InMemoryLocalCatalog())
    sampling = SamplingOptions(**options)  # type: ignore[arg-type]
    with measured() as usage:
        result = enrich_object(
            ObjectRef.parse(str(path)), deps, EnrichOptions(sampling=sampling, run_id="r")
        )
    assert deps.catalog.results[result.ref.uri] == result  # type: ignore[attr-defined]
    return result, usage


def _kind(result: EnrichmentResult) -> str:
    return result.error.kind if result.error else result.status.value


def _below(usage: Usage, mib: float, *, rss: float | None = None) -> None:
    assert usage.arrow < mib * MIB, f"arrow peak {usage.arrow / MIB:.0f} MiB"
    assert usage.python < mib * MIB, f"python peak {usage.python / MIB:.0f} MiB"
    if usage.rss is not None:
        bound = rss if rss is not None else mib * 2
        assert usage.rss < bound * MIB, f"rss peak +{usage.rss / MIB:.0f} MiB"


def _write(tmp_path: Path, name: str, build: Callable[[], bytes]) -> Path:
    path = tmp_path / name
    path.write_bytes(build())
    return path


def test_dictionary_bomb_decodes_only_sampled_rows(tmp_path: Path) -> None:
    # 105 KB on disk, 1 GB decoded whole (the old sampler peaked at 1.6-2 GiB).
    path = _write(tmp_path, "bomb.parquet", bad.dictionary_bomb)
    result, usage = _enrich(path)
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    assert result.sample is not None and result.sample.rows_sampled == 1000
    assert set(result.sample.columns[0].values) == {"x" * 1000}
    _below(usage, 32)


def test_footer_claim_is_refused_before_it_is_fetched(tmp_path: Path) -> None:
    path = bad.footer_claim(tmp_path / "claim.parquet")  # sparse: 256 MiB, no disk space
    result, usage = _enrich(path)
    assert _kind(result) == "sample_too_large"
    assert result.error is not None
    assert f"{256 * MIB - 12:,} bytes" in result.error.message
    assert f"limit of {16 * MIB:,} bytes" in result.error.message
    # Only the first tail read, and it counts in bytes_read.
    assert 0 < result.bytes_read <= 64 * 1024
    _below(usage, 8)


def test_footer_of_too_many_column_chunks_is_not_decoded(tmp_path: Path) -> None:
    # 150,000 chunks of ~48 bytes: 7 MiB of footer, ~140 MiB decoded by pyarrow.
    path = _write(tmp_path, "chunks.parquet", lambda: bad.many_chunks_parquet(500, 300, False))
    result, usage = _enrich(path)
    assert _kind(result) == "sample_too_large"
    assert result.error is not None and "150,000 column chunks" in result.error.message
    _below(usage, 24, rss=48)


def test_headerless_csv_gets_synthesised_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "patients.csv", bad.headerless_csv)
    result, usage = _enrich(path)
    assert result.status is ObjectStatus.CLASSIFIED
    sample = result.sample
    assert sample is not None
    assert [c.name for c in sample.columns] == ["column_1", "column_2", "column_3"]
    assert sample.details["header"] is False and sample.details["header_synthesised"] is True
    assert any("no header row" in w and "field 1" in w for w in result.warnings)
    # The first row is data: sampled with the rest, and named nowhere.
    assert "Margaret Thatcher" in sample.columns[0].values
    published = repr((result.description, [c.column for c in result.columns], result.warnings))
    for value in bad.HEADERLESS_FIRST_ROW:
        assert value not in published
    _below(usage, 8)


def test_deep_json_fails_without_recursion(tmp_path: Path) -> None:
    path = _write(tmp_path, "deep.jsonl", bad.deep_json)
    result, usage = _enrich(path)
    assert _kind(result) == "nesting_too_deep"
    assert result.error is not None and "line 2" in result.error.message
    assert "[[" not in result.error.message
    _below(usage, 8)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("bomb.csv.gz", lambda: bad.gzip_bomb(64)),
        ("bomb.csv.zst", lambda: bad.zstd_bomb(256)),
        ("bomb.csv.bz2", lambda: bad.bz2_bomb(16)),
    ],
)
def test_decompression_bombs(tmp_path: Path, name: str, build: Callable[[], bytes]) -> None:
    result, usage = _enrich(_write(tmp_path, name, build))
    assert _kind(result) == "decompression_bomb"
    _below(usage, 24)


def test_giant_parquet_cell_is_not_decompressed(tmp_path: Path) -> None:
    # One page that decompresses to 16 MiB, next to an ordinary column; limit 4 MiB.
    path = _write(tmp_path, "cell.parquet", lambda: bad.giant_cell_parquet(16))
    result, usage = _enrich(path, max_page_bytes=4 * MIB)
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    sample = result.sample
    assert sample is not None
    assert sample.columns[0].values == (1, 2, 3)
    assert sample.columns[1].values == (None, None, None)
    assert any("max_page_mib" in w for w in result.warnings)
    _below(usage, 8)


def test_giant_parquet_page_alone_is_too_large(tmp_path: Path) -> None:
    path = _write(tmp_path, "page.parquet", lambda: bad.giant_page_parquet(16))
    result, usage = _enrich(path, max_page_bytes=4 * MIB)
    assert _kind(result) == "sample_too_large"
    _below(usage, 8)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("cell.csv", lambda: bad.giant_cell_csv(3)),
        ("cell.jsonl", lambda: bad.giant_cell_jsonl(3)),
    ],
)
def test_giant_text_cells_are_cut(tmp_path: Path, name: str, build: Callable[[], bytes]) -> None:
    result, usage = _enrich(_write(tmp_path, name, build))
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    assert result.sample is not None and result.sample.sampling.truncated_cells == 1
    assert max(len(str(v)) for c in result.sample.columns for v in c.values) <= 4096
    # The cell is parsed whole (csv and StringIO hold 4 bytes a character): ~15x its size.
    _below(usage, 64, rss=96)


@pytest.mark.no_cover  # see _HEAVY
def test_wide_parquet_keeps_the_cell_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "wide.parquet", lambda: bad.wide_parquet(2000, 400))
    result, usage = _enrich(path, max_cells=100_000)
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    assert result.sample is not None and result.sample.rows_sampled == 50
    assert any("max_cells" in w for w in result.warnings)
    _below(usage, 48)


@pytest.mark.no_cover  # see _HEAVY
def test_wide_csv_keeps_the_cell_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "wide.csv", lambda: bad.wide_csv(4000, 200))
    result, usage = _enrich(path, max_cells=100_000)
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    assert result.sample is not None and result.sample.rows_sampled == 25
    _below(usage, 48)


def test_too_many_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "commas.csv", lambda: b",".join([b"ab"] * 300_000) + b"\n")
    result, usage = _enrich(path, max_columns=20_000)
    assert _kind(result) == "sample_too_large"
    assert result.error is not None and "300,000 columns" in result.error.message
    _below(usage, 64)


@pytest.mark.no_cover  # see _HEAVY
@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("tiny.csv", lambda: bad.tiny_rows_csv(2)),
        ("tiny.jsonl", lambda: bad.tiny_rows_jsonl(2)),
    ],
)
def test_millions_of_tiny_rows(tmp_path: Path, name: str, build: Callable[[], bytes]) -> None:
    # ~300,000 rows in 2 MiB: only the 1,000 picked are kept (the old sampler kept all).
    result, usage = _enrich(_write(tmp_path, name, build), byte_budget=2 * MIB)
    assert result.status is ObjectStatus.CLASSIFIED, result.error
    assert result.sample is not None and result.sample.rows_sampled == 1000
    _below(usage, 24)
