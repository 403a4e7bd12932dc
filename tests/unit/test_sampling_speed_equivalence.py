"""The faster text sampling (tag sampspeed) samples exactly what the code before it sampled.

The text, delimited and values modules of commit ``_BASE`` are loaded from git under other
module names and run through :func:`sample_object` beside today's on generated objects: a
benchmark-sized CSV object, the fuzz seeds with their mutations, random CSV/TSV/semicolon
files (quoting, embedded and CR line breaks, BOMs, cp1252/latin-1, ragged rows, long cells)
and JSON Lines, plain and gzip, with options that force ranged reads, picked rows, truncated
cells and ragged-row failures. Every outcome must be equal: the whole sample (``repr`` of
every value, so its Python type too) or the error's type and message. Without git history
(a shallow checkout) the outcomes are compared with digests recorded from that code
(``data/sampling_reference.json``).

``SAMPSPEED_CASES`` (environment) raises the number of random objects for a long run.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import worker.core.sampling as sampling
from models import ObjectRef
from tests.support.fakes import InMemoryObjectStore
from worker.core.sampling import SamplingOptions, sample_object
from worker.core.sampling import text as new_text
from worker.core.sampling.reader import ObjectReader

ROOT = Path(__file__).resolve().parents[2]
#: The commit whose sampling is the reference (before the sampspeed changes).
_BASE = "fcb12ccb7f3a712ca9ede82c771665c45a325b40"
_MODULES = ("delimited", "values", "text")
CASES = int(os.environ.get("SAMPSPEED_CASES", "150"))


@lru_cache(maxsize=1)
def old_text() -> types.ModuleType:
    """``worker.core.sampling.text`` of ``_BASE``, using that commit's delimited and values."""
    loaded: dict[str, types.ModuleType] = {}
    for name in _MODULES:
        try:
            source = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{_BASE}:worker/core/sampling/{name}.py"],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            raise AssertionError("the reference commit is not available") from None
        for other in _MODULES:
            source = source.replace(
                f"from worker.core.sampling.{other} import",
                f"from sampspeed_old_{other} import",
            )
        module = types.ModuleType(f"sampspeed_old_{name}")
        module.__file__ = f"<{_BASE[:8]}:{name}.py>"
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
        loaded[name] = module
    return loaded["text"]


def outcome(
    sample_text: Callable[..., object], data: bytes, name: str, options: SamplingOptions
) -> str:
    """The sample (or the error) of ``data`` as object ``name``, with ``sample_text``."""
    store = InMemoryObjectStore({f"s3://b/{name}": data})
    reader = ObjectReader(store, store.head(ObjectRef.parse(f"s3://b/{name}")))
    # sample_object calls the sample_text of its module: swap it for the one compared.
    saved = getattr(sampling, "sample_text")  # noqa: B009
    setattr(sampling, "sample_text", sample_text)  # noqa: B010
    try:
        return repr(sample_object(reader, options))
    except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
        return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    finally:
        setattr(sampling, "sample_text", saved)  # noqa: B010


#: Per test, the SHA-256 of the outcomes ``_BASE``'s code gives for its cases, in order
#: (written by ``SAMPSPEED_WRITE=1`` with git history): the comparison needs no history.
_EXPECTED = Path(__file__).with_name("data") / "sampling_reference.json"


class Outcomes:
    """The outcomes of one test's cases, checked against the reference code's.

    With git history each case is also compared with the reference code directly (the
    failing case is named); without it the digest of all outcomes is compared with the one
    recorded from the reference code.
    """

    def __init__(self, test: str) -> None:
        self.test = test
        self.digest = hashlib.sha256()
        self.live = _history_available()

    def check(self, data: bytes, name: str, options: SamplingOptions) -> None:
        new = outcome(new_text.sample_text, data, name, options)
        self.digest.update(hashlib.sha256(new.encode()).digest())
        if self.live:
            old = outcome(old_text().sample_text, data, name, options)
            # Compared as text: a mismatch must not print a whole sample.
            assert new == old, f"{name}: samples differ ({len(data):,} bytes, {options})"

    def finish(self) -> None:
        expected = json.loads(_EXPECTED.read_text()) if _EXPECTED.exists() else {}
        if os.environ.get("SAMPSPEED_WRITE") and self.live:
            expected[self.test] = self.digest.hexdigest()
            _EXPECTED.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
        if self.live and self.test not in expected:
            return  # compared case by case (a long run's own case count)
        assert self.test in expected, f"no reference digest for {self.test}"
        assert self.digest.hexdigest() == expected[self.test], f"{self.test}: samples differ"


@lru_cache(maxsize=1)
def _history_available() -> bool:
    try:
        subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "-e", f"{_BASE}^{{commit}}"],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


# --- Generated objects -----------------------------------------------------------------------

_WORDS = ["alpha", "Zoë", "Köln", "€ 5", "naïve", "東京", "emoji 😀", "a,b", 'say "hi"', "x;y"]


def _cell(rng: random.Random) -> str:
    kind = rng.randrange(14)
    if kind == 0:
        return ""
    if kind == 1:
        return str(rng.randrange(-(10**6), 10**6))
    if kind == 2:
        return f"{rng.uniform(-1e4, 1e4):.{rng.randrange(0, 5)}f}"
    if kind == 3:
        return rng.choice(["true", "FALSE", "True", "no"])
    if kind == 4:
        return f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 32):02d}"
    if kind == 5:
        return rng.choice(["2024-01-02T10:00:00Z", "2024-01-02 10:00", "2024-01-02T10:00:00+0100"])
    if kind == 6:
        return rng.choice(["1.234,56", "12,5", "0,5", "7"])
    if kind == 7:
        return rng.choice(["line one\nline two", "cr\ronly", "crlf\r\nend", " padded "])
    if kind == 8:
        return rng.choice(_WORDS) * rng.choice([1, 30, 400])  # long cells get cut
    if kind == 9:
        return rng.choice(["0612345", "+4915112345678", "007", "1e5", ".5", "-0"])
    if kind == 10:
        return f"user{rng.randrange(999)}@example.org"
    return "".join(rng.choice("abcXYZ 019-_.") for _ in range(rng.randrange(1, 12)))


def _column_kind(rng: random.Random) -> Callable[[random.Random], str]:
    """A column generator: mostly one kind (so types get inferred), sometimes anything."""
    fixed = rng.randrange(8)
    if fixed == 0:
        return _cell
    pools: list[Callable[[random.Random], str]] = [
        lambda r: str(r.randrange(10**5)),
        lambda r: f"{r.random() * 100:.2f}",
        lambda r: r.choice(["true", "false"]),
        lambda r: f"2023-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}",
        lambda r: r.choice(["1.234,5", "3,25", "10"]),
        lambda r: r.choice(_WORDS),
        lambda r: f"2024-05-0{r.randrange(1, 9)} 12:{r.randrange(60):02d}:00",
    ]
    base = pools[fixed - 1]
    blank = rng.random() * 0.3
    return lambda r: "" if r.random() < blank else base(r)


def random_csv(rng: random.Random) -> tuple[bytes, str]:
    """A random delimited object and its name."""
    delimiter = rng.choice([",", ",", "\t", ";", "|"])
    width = rng.choice([1, 2, 3, 5, 8, 20])
    rows = rng.choice([0, 1, 2, 5, 30, 200, 1500])
    gens = [_column_kind(rng) for _ in range(width)]
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
        lineterminator=rng.choice(["\n", "\r\n", "\n", "\r"]),
    )
    if rng.random() < 0.8:
        writer.writerow([rng.choice(["id", "name", "Email", "", "amount"]) for _ in range(width)])
    ragged = rng.random() < 0.3
    for _ in range(rows):
        row = [g(rng) for g in gens]
        if ragged and rng.random() < 0.1:
            row = row[: rng.randrange(width + 1)] + ["extra"] * rng.randrange(3)
        writer.writerow(row)
        if rng.random() < 0.02:
            out.write(rng.choice(["\n", "\r\n", "", "# comment\n", '"unterminated\n']))
    text = out.getvalue()
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "cp1252", "latin-1"])
    data = text.encode(encoding, "replace") if encoding != "utf-8" else text.encode()
    if rng.random() < 0.1:
        # Often beyond the head: a range decoded with another encoding than the head alone.
        at = rng.randrange(len(data) // 2, len(data) + 1)
        data = data[:at] + rng.choice([b"\xff\xfe", b"\x81", b"\xc3(", b"\r"]) + data[at:]
    suffix = {"\t": ".tsv", ",": ".csv"}.get(delimiter, rng.choice([".csv", ".txt", ""]))
    return data, f"t{rng.randrange(10**6)}{suffix}"


def random_jsonl(rng: random.Random) -> tuple[bytes, str]:
    keys = ["id", "name", "tags", "score", "ok", "nested"]
    lines = []
    for i in range(rng.choice([1, 3, 40, 600])):
        record: dict[str, object] = {"id": i}
        for key in rng.sample(keys, rng.randrange(len(keys))):
            record[key] = rng.choice(
                [
                    None,
                    1,
                    2.5,
                    True,
                    "x" * rng.choice([1, 2000]),
                    ["a"],
                    {"k": i},
                    rng.choice(_WORDS),
                ]
            )
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
    sep = rng.choice(["\n", "\r\n"])
    return (sep.join(lines) + sep).encode(), f"e{rng.randrange(10**6)}.jsonl"


def random_options(rng: random.Random) -> SamplingOptions:
    return SamplingOptions(
        rows=rng.choice([1000, 1000, 3, 50, 700]),
        byte_budget=rng.choice([8 * 1024 * 1024, 8 * 1024 * 1024, 6000, 20_000, 100_000]),
        max_cell_bytes=rng.choice([4096, 4096, 16, 1, 0]),
        text_ranges=rng.choice([3, 0, 1, 5]),
        ragged_tolerance=rng.choice([0.05, 0.0, 0.5]),
        max_columns=rng.choice([20_000] * 5 + [4]),
        max_cells=rng.choice([1_000_000, 100]),
    )


def random_objects(count: int, seed: int) -> Iterator[tuple[bytes, str, SamplingOptions]]:
    rng = random.Random(seed)
    for _ in range(count):
        data, name = random_jsonl(rng) if rng.random() < 0.2 else random_csv(rng)
        if rng.random() < 0.15:
            data, name = gzip.compress(data, mtime=0), name + ".gz"
        yield data, name, random_options(rng)


# --- Tests -----------------------------------------------------------------------------------


def typical_csv(seed: int) -> bytes:
    """A benchmark-sized object (20 columns x 1,000 rows, ~0.2 MB), equal bytes per ``seed``.

    Not ``bench.worker.typical_csv``: Faker's output there depends on ``PYTHONHASHSEED``, and
    the recorded digests need the same bytes in every process.
    """
    rng = random.Random(seed)
    gens = [_column_kind(rng) for _ in range(20)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"col_{i}" for i in range(20)])
    for _ in range(1000):
        writer.writerow([g(rng) for g in gens])
    return out.getvalue().encode()


def test_typical_csv_object_samples_the_same() -> None:
    seed = 3
    data = typical_csv(seed)
    check = Outcomes("typical")
    check.check(data, f"part-{seed}.csv", SamplingOptions())
    # Ranged reads of the same object: head, random ranges, picked rows.
    check.check(data, f"part-{seed}.csv", SamplingOptions(byte_budget=120_000, rows=300))
    check.finish()


def test_random_objects_sample_the_same() -> None:
    check = Outcomes(f"random-{CASES}")
    for data, name, options in random_objects(CASES, 17):
        check.check(data, name, options)
    check.finish()


def test_fuzz_seeds_and_mutations_sample_the_same() -> None:
    from tests.fuzz.test_objects import TEXT_NAMES, apply_bytes, apply_text, text_seeds

    rng = random.Random(5)
    mutations: list[tuple[object, ...]] = [
        ("giant_cell", 0.5, 5000),
        ("giant_cell", 0.0, 70_000),
        ("deep", 0.3, 101),
        ("wide", 300),
        ("wide", 25_000),
        ("lines", 1000),
        ("invalid_utf8", 0.6),
        ("nul", 0.9),
    ]
    damages: list[tuple[object, ...]] = [
        ("truncate", 0.73),
        ("insert", 0.5, b"\r"),
        ("insert", 0.2, b"\xc3"),
        ("flip", [(0.4, 3), (0.41, 6)]),
        ("overwrite", 0.6, b'"\n"\r,,;\t'),
    ]
    check = Outcomes("fuzz")
    for seed, data in sorted(text_seeds().items()):
        for mutation in [None, *mutations]:
            content = data if mutation is None else apply_text(data, mutation, seed == "jsonl")
            for damage in [None, rng.choice(damages)]:
                damaged = content if damage is None else apply_bytes(content, damage)
                for plain in (True, False):
                    name = "data" if plain else f"t{TEXT_NAMES[seed]}"
                    check.check(damaged, name, SamplingOptions())
                check.check(damaged, f"t{TEXT_NAMES[seed]}", SamplingOptions(byte_budget=3000))
    check.finish()


def test_a_range_decoded_differently_from_the_head_alone_samples_the_same() -> None:
    # The head alone is CP1252 (0x80 is the euro sign); with a range holding 0x81, which
    # CP1252 leaves undefined, the whole object is Latin-1 and the head's text changes.
    head = "id;price;name\n" + "".join(f"{i};€ {i},5;n{i}\n" for i in range(400))
    tail = "".join(f"{i};{i},25;m{i}\n" for i in range(400, 4000))
    data = head.encode("cp1252") + tail.encode() + b"9999;1;a\x81b\n" + tail.encode()
    check = Outcomes("legacy-range")
    for budget in (8000, 30_000, 90_000):
        for rows in (100, 5000):  # picked from a second parse, and all kept by the first
            check.check(data, "legacy.csv", SamplingOptions(byte_budget=budget, rows=rows))
    check.finish()
