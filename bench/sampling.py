"""Sampling benchmark: bytes, GET requests and time of one sample per object, on the wire.

Starts a throwaway SeaweedFS (``tests/support/seaweed.py``), generates (once, cached under
``bench/data/``) three objects with realistic mixed columns:

* ``orders_8rg.parquet``  ~1 GB, 8 row groups (snappy);
* ``events_1rg.parquet``  ~300 MB, one row group;
* ``customers.csv``       ~500 MB;

uploads them, then samples each through :class:`worker.adapters.storage.s3.S3ObjectStore` pointed at
a counting TCP proxy (``bench/proxy.py``) and prints, per object: size, response body bytes
and wire bytes counted by the proxy, the sampler's own ``bytes_read``, GET requests seen by
the proxy, time, rows sampled and PASS/FAIL against the targets (bytes <= byte budget +
Parquet footer read; at most 4 GETs for Parquet).

The 4-GET target holds when the chosen row groups fit the budget (footer, then one coalesced
read). When a row group is larger than the budget (both Parquet objects here: ~110 MB and
~260 MB row groups against 8 MiB), the sample decodes the first pages of every column chunk;
those heads lie megabytes apart and S3 GETs carry one range each, so the floor is one GET for
the footer plus one per column head (adjacent heads are merged). The sampler reaches that
floor in a single pass.

Then the latency figure (skip it with ``--latency-ms 0``): a one-row-group wide Parquet
(``wide_1rg.parquet``, 32 incompressible columns, ~51 MB, whatever ``--scale``; and
``events_1rg.parquet`` when it is in the run) is sampled through a second proxy that holds
every request ``--latency-ms`` before forwarding it, alternately with
``sampling.max_concurrent_gets`` 1 (one GET after another) and the default, ``--repeats``
times each. Per mode: wall time of the sample (median), GETs, and the latency-bound GET
waves: the longest chain of GETs in which each starts after the one before it has returned
(timed at the store, around each ``read_range``), i.e. the round trips of latency a sample
waits for one after another. Both modes must read the same ranges and give the same sample.

Generation is deterministic (``--seed``) and memory-bounded: Parquet is written one row
group at a time, CSV in chunks. Peak memory is about two to three times one row group
(~300 MB compressed for the single-row-group file at full size). ``--scale 0.05`` makes a
quick run (objects 20x smaller).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from bench.proxy import CountingProxy, ProxyStats  # noqa: E402
from tests.support.seaweed import SeaweedServer  # noqa: E402

MB = 1000 * 1000
MIB = 1024 * 1024
BUCKET = "bench"
GENERATOR_VERSION = 1
BATCH_ROWS = 200_000


@dataclass(frozen=True)
class Spec:
    """One object to generate: name, format, target size and Parquet row groups."""

    name: str
    fmt: str
    target_bytes: int
    row_groups: int = 0


SPECS = (
    Spec("orders_8rg.parquet", "parquet", 1000 * MB, 8),
    Spec("events_1rg.parquet", "parquet", 300 * MB, 1),
    Spec("customers.csv", "csv", 500 * MB),
)


# -- data generation ----------------------------------------------------------------------------


class Pools:
    """Value pools drawn once from Faker with a fixed seed; rows combine them at random."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
        Faker.seed(seed)
        self.first = pa.array([fake.first_name() for _ in range(3000)])
        self.last = pa.array([fake.last_name() for _ in range(3000)])
        self.first_lower = pc.utf8_lower(self.first)
        self.last_lower = pc.utf8_lower(self.last)
        free_mail = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "proton.me"]
        self.domains = pa.array(free_mail * 20 + [fake.domain_name() for _ in range(400)])
        self.countries = pa.array([fake.country() for _ in range(240)])
        self.currencies = pa.array(["USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK"])
        self.statuses = pa.array(["new", "paid", "shipped", "refunded", "cancelled"])
        self.sentences = pa.array([fake.sentence(nb_words=9) for _ in range(30_000)])
        self.streets = pa.array([fake.street_address() for _ in range(20_000)])


def _pick(rng: np.random.Generator, pool: pa.Array, n: int) -> pa.Array:
    return pc.take(pool, pa.array(rng.integers(0, len(pool), n)))


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    values = pa.array(rng.integers(0, 10**width, n, dtype=np.int64))
    return pc.utf8_lpad(pc.cast(values, pa.string()), width=width, padding="0")


def make_batch(pools: Pools, seed: int, index: int, rows: int) -> pa.Table:
    """Rows ``[index * BATCH_ROWS, ...)``: ids, names, emails, phones, amounts, dates, text."""
    rng = np.random.default_rng([seed, index])
    first_idx = pa.array(rng.integers(0, len(pools.first), rows))
    last_idx = pa.array(rng.integers(0, len(pools.last), rows))
    first, last = pc.take(pools.first, first_idx), pc.take(pools.last, last_idx)
    email = pc.binary_join_element_wise(
        pc.take(pools.first_lower, first_idx),
        ".",
        pc.take(pools.last_lower, last_idx),
        pc.cast(pa.array(rng.integers(1, 10_000, rows)), pa.string()),
        "@",
        _pick(rng, pools.domains, rows),
        "",
    )
    phone = pc.binary_join_element_wise(
        "+1 (", _digits(rng, rows, 3), ") ", _digits(rng, rows, 3), "-", _digits(rng, rows, 4), ""
    )
    start = index * BATCH_ROWS
    created = pa.array(
        np.datetime64("2019-01-01T00:00:00", "s")
        + rng.integers(0, 6 * 365 * 86400, rows).astype("timedelta64[s]")
    )
    birth = pa.array(
        np.datetime64("1940-01-01", "D") + rng.integers(0, 65 * 365, rows).astype("timedelta64[D]")
    )
    amount = np.round(rng.lognormal(mean=4.0, sigma=1.2, size=rows), 2)
    notes = pc.binary_join_element_wise(
        _pick(rng, pools.sentences, rows), _pick(rng, pools.sentences, rows), " "
    )
    has_note = pa.array(rng.random(rows) < 0.7)
    return pa.table(
        {
            "order_id": pa.array(np.arange(start + 1, start + rows + 1, dtype=np.int64)),
            "customer_ref": pc.binary_join_element_wise("CUS-", _digits(rng, rows, 10), ""),
            "full_name": pc.binary_join_element_wise(first, last, " "),
            "email": email,
            "phone": phone,
            "street_address": _pick(rng, pools.streets, rows),
            "country": _pick(rng, pools.countries, rows),
            "amount": pa.array(amount),
            "currency": _pick(rng, pools.currencies, rows),
            "status": _pick(rng, pools.statuses, rows),
            "created_at": created,
            "birth_date": birth,
            "notes": pc.if_else(has_note, notes, pa.scalar(None, pa.string())),
        }
    )


def _batches(pools: Pools, seed: int) -> Iterator[pa.Table]:
    index = 0
    while True:
        yield make_batch(pools, seed, index, BATCH_ROWS)
        index += 1


def _bytes_per_row(pools: Pools, seed: int, fmt: str) -> float:
    """Measure the encoded size of one batch in ``fmt``."""
    table = make_batch(pools, seed, 10_000, 50_000)
    sink = pa.BufferOutputStream()
    if fmt == "parquet":
        pq.write_table(table, sink, compression="snappy", row_group_size=table.num_rows)
    else:
        pacsv.write_csv(table, sink)
    return float(sink.getvalue().size / table.num_rows)


def generate(spec: Spec, path: Path, pools: Pools, seed: int, log: Any) -> None:
    """Write ``spec`` to ``path`` (via a temporary file), one row group / chunk at a time."""
    per_row = _bytes_per_row(pools, seed, spec.fmt)
    total_rows = max(1000, int(spec.target_bytes / per_row))
    tmp = path.with_suffix(path.suffix + ".tmp")
    batches = _batches(pools, seed)
    started = time.monotonic()
    if spec.fmt == "parquet":
        per_group = -(-total_rows // spec.row_groups)
        with pq.ParquetWriter(tmp, make_batch(pools, seed, 0, 1).schema, compression="snappy") as w:
            for _ in range(spec.row_groups):
                parts, rows = [], 0
                while rows < per_group:
                    part = next(batches)
                    part = part.slice(0, min(part.num_rows, per_group - rows))
                    parts.append(part)
                    rows += part.num_rows
                group = pa.concat_tables(parts)
                w.write_table(group, row_group_size=group.num_rows)
                del parts, group
    else:
        written = 0
        with pacsv.CSVWriter(tmp, make_batch(pools, seed, 0, 1).schema) as w:
            while written < total_rows:
                part = next(batches)
                part = part.slice(0, min(part.num_rows, total_rows - written))
                w.write_table(part)
                written += part.num_rows
    tmp.replace(path)
    log(
        f"  generated {path.name}: {path.stat().st_size / MB:,.0f} MB, {total_rows:,} rows "
        f"in {time.monotonic() - started:.0f} s"
    )


def parquet_footer_bytes(path: Path) -> int:
    """Footer length of a Parquet file: metadata + 4-byte length + ``PAR1``."""
    with path.open("rb") as handle:
        handle.seek(-8, os.SEEK_END)
        return int.from_bytes(handle.read(4), "little") + 8


# -- the benchmark --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the result table."""

    name: str
    size: int
    body_bytes: int = 0
    wire_bytes: int = 0
    reader_bytes: int = 0
    sample_bytes: int = 0
    gets: int = 0
    ranged_gets: int = 0
    heads: int = 0
    seconds: float = 0.0
    rows: int = 0
    byte_target: int = 0
    get_target: int | None = None
    error: str = ""
    detail: str = ""

    @property
    def passed(self) -> bool:
        if self.error:
            return False
        ok = self.body_bytes <= self.byte_target and self.reader_bytes <= self.byte_target
        return ok and (self.get_target is None or self.gets <= self.get_target)


def run_one(
    store: Any, proxy: CountingProxy, uri: str, spec: Spec, options: Any, footer: int
) -> Row:
    """Sample one object through ``store`` and compare the proxy's counts with the targets."""
    from worker.core.errors import EnrichmentError
    from worker.core.sampling import sample_object
    from worker.core.sampling.reader import ObjectReader

    [info] = list(store.list_objects(uri))  # one HEAD, outside the measured interval
    row = Row(spec.name, info.size)
    if spec.fmt == "parquet":
        try:
            from worker.core.sampling.parquet import FOOTER_READ
        except ImportError:
            FOOTER_READ = 0  # noqa: N806
        row.byte_target = options.byte_budget + max(footer, FOOTER_READ)
        row.get_target = 4
    else:
        row.byte_target = options.byte_budget
    reader = ObjectReader(store, info)
    before = proxy.snapshot()
    started = time.monotonic()
    try:
        sample = sample_object(reader, options)
    except EnrichmentError as exc:
        row.error = f"{exc.kind}: {exc.message}"
        sample = None
    row.seconds = time.monotonic() - started
    delta: ProxyStats = proxy.snapshot() - before
    row.body_bytes, row.wire_bytes = delta.body_bytes_down, delta.bytes_down
    row.gets, row.ranged_gets, row.heads = delta.gets, delta.ranged_gets, delta.requests["HEAD"]
    row.reader_bytes = reader.bytes_read
    if sample is not None:
        row.rows = sample.rows_sampled
        row.sample_bytes = sample.bytes_read
        row.detail = (
            f"method={sample.sampling.method} row_groups={list(sample.sampling.row_groups)} "
            f"budget_exhausted={sample.sampling.budget_exhausted} ranges={list(delta.ranges)}"
        )
    else:
        row.detail = f"ranges={list(delta.ranges)}"
    return row


def print_table(rows: list[Row], options: Any) -> None:
    header = (
        f"{'object':<20} {'size':>10} {'proxy body':>11} {'proxy wire':>11} {'bytes_read':>11} "
        f"{'target':>10} {'GETs':>5} {'ranged':>6} {'time s':>7} {'rows':>6}  result"
    )
    print()
    print(
        f"sampling: rows={options.rows} byte_budget={options.byte_budget / MIB:g} MiB "
        f"max_row_groups={options.max_row_groups} text_ranges={options.text_ranges} "
        f"max_concurrent_gets={options.max_concurrent_gets}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        result = "PASS" if r.passed else "FAIL"
        if r.error:
            result += f" ({r.error})"
        get_target = f"<={r.get_target}" if r.get_target is not None else ""
        print(
            f"{r.name:<20} {r.size / MB:>8,.1f}MB {r.body_bytes:>11,} {r.wire_bytes:>11,} "
            f"{r.reader_bytes:>11,} {r.byte_target:>10,} {r.gets:>5}{get_target:<4}"
            f"{r.ranged_gets:>3} {r.seconds:>7.2f} {r.rows:>6}  {result}"
        )
    print()
    print("proxy body = response body bytes server->client counted by bench/proxy.py; proxy")
    print("wire = all bytes server->client incl. HTTP headers; bytes_read = ObjectReader's own")
    print("count. Targets: bytes <= byte budget (+ Parquet footer read), GETs <= 4 for Parquet.")
    print("When one row group is larger than the budget, a sample reads the head of each column")
    print("chunk; S3 serves one byte range per GET, so the floor is then 1 (footer) + one GET per")
    print("non-adjacent column head. method=parquet-column-heads in --verbose marks that case.")


# -- the latency figure ---------------------------------------------------------------------------

WIDE = Spec("wide_1rg.parquet", "parquet", 0, 1)
WIDE_COLUMNS, WIDE_ROWS = 32, 200_000


def generate_wide(path: Path, seed: int, log: Any) -> None:
    """One row group of random int64 and float64 columns (barely compressible, ~1.6 MB each).

    Small data pages (64 KiB) let a column head of the budget's share decode on its own.
    """
    rng = np.random.default_rng([seed, 17])
    columns = {
        f"n{i:02d}": rng.integers(0, 1 << 62, WIDE_ROWS)
        if i % 4
        else rng.lognormal(4.0, 1.2, WIDE_ROWS)
        for i in range(WIDE_COLUMNS)
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    pq.write_table(
        pa.table(columns),
        tmp,
        row_group_size=WIDE_ROWS,
        data_page_size=64 * 1024,
        compression="snappy",
    )
    tmp.replace(path)
    log(f"  generated {path.name}: {path.stat().st_size / MB:,.0f} MB, one row group")


class LatencyProxy(CountingProxy):
    """A :class:`CountingProxy` that holds every request ``latency_s`` before forwarding it.

    The wait is on the connection's own thread, so requests on parallel connections wait
    side by side, as on a network with that round-trip time.
    """

    def __init__(self, upstream_host: str, upstream_port: int, latency_s: float) -> None:
        super().__init__(upstream_host, upstream_port)
        self.latency_s = latency_s

    def _on_request(self, head: bytes, methods: Any) -> int | None:
        # Called with the request head, before its bytes are sent upstream.
        time.sleep(self.latency_s)
        return super()._on_request(head, methods)


class TimedStore:
    """Forwards to a store and notes when each ``read_range`` started and returned."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: list[tuple[float, float, int, int]] = []
        self._lock = threading.Lock()

    def list_objects(self, uri: str) -> Any:
        return self.store.list_objects(uri)

    def head(self, ref: Any) -> Any:
        return self.store.head(ref)

    def read_range(self, info: Any, start: int, end: int) -> bytes:
        began = time.monotonic()
        data: bytes = self.store.read_range(info, start, end)
        with self._lock:
            self.calls.append((began, time.monotonic(), start, end))
        return data


def get_waves(calls: list[tuple[float, float, int, int]]) -> int:
    """The longest chain of calls in which each starts after the one before it returned."""
    calls = sorted(calls)
    chain: list[int] = []
    for i, (began, _, _, _) in enumerate(calls):
        before = [chain[j] for j in range(i) if calls[j][1] <= began]
        chain.append(1 + max(before, default=0))
    return max(chain, default=0)


@dataclass
class LatencyRow:
    """One object of the latency figure: each mode's times, GETs and waves."""

    name: str
    size: int
    seconds: dict[int, list[float]]
    gets: dict[int, int]
    waves: dict[int, int]
    same: bool


def latency_figure(
    proxy: CountingProxy, store: Any, uri: str, options: Any, modes: tuple[int, int], repeats: int
) -> LatencyRow:
    """Sample ``uri`` alternately in both ``modes`` (max_concurrent_gets), ``repeats`` each."""
    from dataclasses import replace

    from worker.core.sampling import sample_object
    from worker.core.sampling.reader import ObjectReader

    [info] = list(store.list_objects(uri))
    row = LatencyRow(uri.rsplit("/", 1)[1], info.size, {m: [] for m in modes}, {}, {}, True)
    seen: dict[int, tuple[list[tuple[int, int]], bytes]] = {}
    for _ in range(repeats):
        for mode in modes:
            timed = TimedStore(store)
            reader = ObjectReader(timed, info)  # type: ignore[arg-type]
            before = proxy.snapshot()
            started = time.monotonic()
            sample = sample_object(reader, replace(options, max_concurrent_gets=mode))
            row.seconds[mode].append(time.monotonic() - started)
            row.gets[mode] = (proxy.snapshot() - before).gets
            row.waves[mode] = get_waves(timed.calls)
            ranges = sorted((start, end) for _, _, start, end in timed.calls)
            seen.setdefault(mode, (ranges, pickle.dumps(sample)))
            row.same &= seen[mode] == seen[modes[0]] == (ranges, pickle.dumps(sample))
    return row


def print_latency(rows: list[LatencyRow], latency_ms: float, modes: tuple[int, int]) -> None:
    seq, par = modes
    print()
    print(
        f"latency: +{latency_ms:g} ms per request at the proxy; max_concurrent_gets={seq} "
        f"(sequential) vs {par}, alternated, median of {len(rows[0].seconds[seq])} each"
    )
    header = (
        f"{'object':<20} {'size':>10} {'GETs':>5} {'waves seq':>9} {'waves par':>9} "
        f"{'time seq s':>10} {'time par s':>10} {'seq/par':>7}  same ranges+sample"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        t_seq, t_par = statistics.median(r.seconds[seq]), statistics.median(r.seconds[par])
        gets = f"{r.gets[seq]}" if r.gets[seq] == r.gets[par] else f"{r.gets[seq]}/{r.gets[par]}"
        print(
            f"{r.name:<20} {r.size / MB:>8,.1f}MB {gets:>5} {r.waves[seq]:>9} {r.waves[par]:>9} "
            f"{t_seq:>10.3f} {t_par:>10.3f} {t_seq / t_par:>6.1f}x  {'yes' if r.same else 'NO'}"
        )
    print()
    print("waves = longest chain of GETs each started after the previous one returned (timed")
    print("around read_range): the round trips of latency the sample waits for in turn.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: python bench/sampling.py --scale 0.05   # a quick run, ~90 MB of data",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the object sizes (1.0: ~1 GB, ~300 MB, ~500 MB)",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="data generation seed")
    parser.add_argument(
        "--data-dir", type=Path, default=ROOT / "bench" / "data", help="cache of generated data"
    )
    parser.add_argument("--regenerate", action="store_true", help="ignore the cached files")
    parser.add_argument(
        "--only",
        action="append",
        choices=[s.name for s in SPECS],
        help="benchmark only this object (repeatable)",
    )
    parser.add_argument("--rows", type=int, default=None, help="rows to sample (default 1000)")
    parser.add_argument("--budget-mib", type=float, default=8.0, help="byte budget per sample")
    parser.add_argument(
        "--max-concurrent-gets",
        type=int,
        default=None,
        help="sampling.max_concurrent_gets for the main table (default: the setting's)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="latency added per request for the latency figure (0: no figure)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="latency figure: runs per mode")
    parser.add_argument("--verbose", action="store_true", help="print ranges and details")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from worker.adapters.storage.s3 import S3ObjectStore
    from worker.core.sampling.options import SamplingOptions

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    defaults = SamplingOptions()
    options = SamplingOptions(
        rows=args.rows or defaults.rows,
        byte_budget=int(args.budget_mib * MIB),
        max_concurrent_gets=args.max_concurrent_gets or defaults.max_concurrent_gets,
    )
    modes = (1, max(2, defaults.max_concurrent_gets))
    specs = [
        Spec(s.name, s.fmt, int(s.target_bytes * args.scale), s.row_groups)
        for s in SPECS
        if not args.only or s.name in args.only
    ]
    args.data_dir.mkdir(parents=True, exist_ok=True)
    pools: Pools | None = None
    paths: dict[str, Path] = {}
    for spec in specs:
        stem, _, ext = spec.name.rpartition(".")
        path = args.data_dir / (
            f"{stem}-v{GENERATOR_VERSION}-seed{args.seed}-{spec.target_bytes // MB}MB.{ext}"
        )
        if args.regenerate or not path.exists():
            log(f"generating {path.name} ...")
            pools = pools or Pools(args.seed)
            generate(spec, path, pools, args.seed, log)
        paths[spec.name] = path
    if args.latency_ms > 0:
        path = args.data_dir / f"wide_1rg-v{GENERATOR_VERSION}-seed{args.seed}.parquet"
        if args.regenerate or not path.exists():
            log(f"generating {path.name} ...")
            generate_wide(path, args.seed, log)
        paths[WIDE.name] = path
    uploads = specs + ([WIDE] if args.latency_ms > 0 else [])

    log("starting SeaweedFS ...")
    with SeaweedServer() as server:
        from boto3.s3.transfer import TransferConfig

        s3 = server.client(read_timeout=300)
        s3.create_bucket(Bucket=BUCKET)
        transfer = TransferConfig(multipart_chunksize=64 * MIB, max_concurrency=4)
        for spec in uploads:
            started = time.monotonic()
            s3.upload_file(str(paths[spec.name]), BUCKET, spec.name, Config=transfer)
            log(f"  uploaded {spec.name} in {time.monotonic() - started:.1f} s")
        endpoint = urlsplit(server.endpoint_url)
        assert endpoint.hostname is not None and endpoint.port is not None
        with CountingProxy(endpoint.hostname, endpoint.port) as proxy:
            store = S3ObjectStore(server.settings(endpoint_url=proxy.url, read_timeout_s=120.0))
            rows = []
            for spec in specs:
                path = paths[spec.name]
                footer = parquet_footer_bytes(path) if spec.fmt == "parquet" else 0
                row = run_one(store, proxy, f"s3://{BUCKET}/{spec.name}", spec, options, footer)
                rows.append(row)
                if args.verbose:
                    log(f"  {spec.name}: footer={footer} {row.detail}")
        latency: list[LatencyRow] = []
        if args.latency_ms > 0:
            with LatencyProxy(endpoint.hostname, endpoint.port, args.latency_ms / 1000) as slow:
                store = S3ObjectStore(server.settings(endpoint_url=slow.url, read_timeout_s=120.0))
                names = [WIDE.name] + [s.name for s in specs if s.name == "events_1rg.parquet"]
                for name in names:
                    log(f"  latency figure: {name} ...")
                    latency.append(
                        latency_figure(
                            slow, store, f"s3://{BUCKET}/{name}", options, modes, args.repeats
                        )
                    )
    print_table(rows, options)
    if latency:
        print_latency(latency, args.latency_ms, modes)
    return 0 if all(r.passed for r in rows) and all(r.same for r in latency) else 1


if __name__ == "__main__":
    sys.exit(main())
