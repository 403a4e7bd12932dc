"""Peak memory of one call, measured three ways (pyarrow's pool, tracemalloc, RSS).

* ``arrow``: the peak of a fresh pyarrow proxy memory pool (what pyarrow decodes);
* ``python``: the tracemalloc peak (Python objects: bytes read, parsed rows, cells);
* ``rss``: the process's peak RSS over the call (``/proc/self/clear_refs``; native memory
  such as a decoded Parquet footer), when the kernel allows the reset.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa

# A proxy pool must outlive every buffer it allocated: keep them all.
_POOLS: list[pa.MemoryPool] = []


@dataclass
class Usage:
    """Peaks over one call, in bytes (``rss`` is ``None`` where it cannot be measured)."""

    arrow: int = 0
    python: int = 0
    rss: int | None = None


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(field)


def _reset_rss_peak() -> int | None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return _status("VmRSS")
    except OSError:
        return None


@contextmanager
def measured() -> Iterator[Usage]:
    """Measure the ``with`` block's peaks; the yielded :class:`Usage` is filled in on exit."""
    usage = Usage()
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    _POOLS.append(pool)
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    tracemalloc.start()
    rss_before = _reset_rss_peak()
    try:
        yield usage
    finally:
        if rss_before is not None:
            usage.rss = _status("VmHWM") - rss_before
        usage.python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        pa.set_memory_pool(previous)
        usage.arrow = pool.max_memory()
