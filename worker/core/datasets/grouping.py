"""Group a listing into datasets as it streams by: explainable, deterministic rules.

Input is a listing in key order per bucket (S3 ``ListObjectsV2`` is lexicographic; the local
store lists a folder's files, then its subfolders, each sorted): all the keys under one
folder come together. The grouper keeps a stack of the folders on the current path; a
dataset is emitted when the listing leaves its root folder, so memory holds the open
folders (their direct files aggregated per file-name family), the open datasets and their
partitions, never the whole listing.

The rules, strongest first (each dataset records the one that formed it and a sentence):

1. ``OVERRIDE``: a settings rule (``datasets.rules``) whose prefix holds the key; the
   longest prefix wins. ``dataset``: everything under the prefix is one dataset;
   ``per_file``: each object (markers aside) is a dataset of one; ``per_folder``: each
   direct subfolder is a dataset, each direct file a dataset of one. A prefix is a folder
   (a missing trailing ``/`` is added).
2. ``DELTA``: a folder holding ``_delta_log/`` is a Delta Lake table; everything under it
   is the table (log files are markers; ``key=value`` folders its partitions).
3. ``ICEBERG``: a folder whose ``metadata/`` holds a ``*.metadata.json`` is an Iceberg
   table; its ``data/`` folder (listed before ``metadata/``, so held until the listing
   leaves the table) gives the partitions (``data/category=a/``); metadata files are
   markers.
4. ``HIVE`` / ``DATE``: a folder with a partition child is a partitioned dataset rooted
   there. Partition folders are ``key=value`` (Hive) or date folders (``2025/``, then
   ``01/`` month, ``02/`` day, ``03/`` hour; ``2025-01-02/``, ``2025-01/``,
   ``20250102/``); a partition is the run of partition folders right under the root, at any
   depth (``region=eu/dt=2025-01-02/``); what lies deeper belongs to it. The first
   partition folder seen names the rule. Files right in the root join the dataset as
   partition ``""``; other (non-partition) subfolders are grouped on their own.
5. ``SPARK``: a folder with a Spark/Hadoop marker (``_SUCCESS``, ``_committed_*``,
   ``_started_*``, ``*.crc``) is one dataset of all its data files; hidden subfolders
   listed after the marker (``_temporary/``) are its markers.
6. ``SHARDS``: files of one folder whose names differ only in numbers (digit runs, UUIDs
   and long hex runs: ``data_0001.csv``, ``part-00000-<uuid>.c000.snappy.parquet``,
   ``x-00001-of-00010.json``) form a family; the families with at least ``min_shards``
   files form the folder's dataset.
7. ``SINGLE``: every other file is a dataset of one (root = its key).

Markers are never data: names starting with ``_`` or ``.``, ``*.crc``, folder placeholders
(``dir/``), anything under a hidden folder of a dataset, Delta log and Iceberg metadata
files. They count in ``marker_count`` (and ``object_count``), never in a partition, never
as a sample. A folder with markers only forms no dataset (tables aside). Partitions count
data files only; a dataset without partition folders has one partition ``""``. A partition's
``sample_key`` is its largest data file (the smaller key on a tie).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from functools import lru_cache
from urllib.parse import unquote

from models import ObjectInfo
from models.datasets import DatasetRef, DatasetSummary, GroupingRule, PartitionInfo
from worker.core.settings import DatasetRule

__all__ = [
    "DatasetGrouper",
    "family_of",
    "file_format",
    "group",
    "is_marker",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_DIGITS = re.compile(r"\d+")
_SPARK_TASK = re.compile(r"c\d+")
_YEAR = re.compile(r"^(19|20)\d\d$")
_TWO = re.compile(r"^\d\d$")
_DASH_DATE = re.compile(r"^((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?$")
_COMPACT_DATE = re.compile(r"^((?:19|20)\d\d)(\d\d)(\d\d)$")
_COMPRESSION = frozenset({"gz", "gzip", "zst", "zstd", "bz2", "snappy", "lz4", "xz", "lzo", "br"})
_ALIASES = {"parq": "parquet", "pq": "parquet", "ndjson": "jsonl", "tab": "tsv", "yml": "yaml"}
_SPARK_MARKERS = ("_SUCCESS",)
_SPARK_PREFIXES = ("_committed_", "_started_")
# Strength of a dataset rooted at a folder: stronger evidence later in the listing upgrades it.
_STRENGTH = {
    GroupingRule.SPARK: 1,
    GroupingRule.HIVE: 2,
    GroupingRule.DATE: 2,
    GroupingRule.DELTA: 3,
    GroupingRule.ICEBERG: 3,
}


def family_of(name: str) -> str:
    """A file name with its numbers (UUIDs, long hex runs, digit runs) replaced by ``#``.

    ``data_0001.csv`` → ``data_#.csv``; files of one family are shards of one dataset.
    """
    return _DIGITS.sub("#", _HEX.sub("#", _UUID.sub("#", name)))


def file_format(name: str) -> str:
    """The format a file name claims, compression suffixes stripped.

    ``x.csv.gz`` → ``csv``, ``part-0.snappy.parquet`` → ``parquet``, ``x.ndjson`` →
    ``jsonl``; ``unknown`` without a usable extension.
    """
    dot = name.find(".")
    return "unknown" if dot < 0 else _suffix_format(name[dot:].lower())


@lru_cache(maxsize=4096)
def _suffix_format(suffix: str) -> str:
    # Cached: the suffixes of a listing repeat (".c000.snappy.parquet", ".csv.gz").
    parts = suffix.split(".")[1:]
    while parts and parts[-1] in _COMPRESSION:
        parts.pop()
    if not parts or not parts[-1] or parts[-1].isdigit() or _SPARK_TASK.fullmatch(parts[-1]):
        return "unknown"
    return _ALIASES.get(parts[-1], parts[-1])


def is_marker(name: str) -> bool:
    """Whether a file name is a marker, never data: hidden (``_x``, ``.x``), ``*.crc``, ``""``."""
    return not name or name.startswith(("_", ".")) or name.endswith(".crc")


def _is_spark_marker(name: str) -> bool:
    return name in _SPARK_MARKERS or name.startswith(_SPARK_PREFIXES) or name.endswith(".crc")


def _is_hidden(name: str) -> bool:
    return name.startswith(("_", "."))


class _Date(IntEnum):
    """What the previous partition folder was (a month folder needs a year before it)."""

    NONE = 0
    YEAR = 1
    MONTH = 2
    DAY = 3
    HOUR = 4


def _in(text: str, low: int, high: int) -> bool:
    return low <= int(text) <= high


def _partition_segment(
    name: str, prev: _Date
) -> tuple[tuple[tuple[str, str], ...], _Date, bool] | None:
    """Parse one folder name as a partition: (values, date state, is_hive), or ``None``."""
    if "=" in name and not _is_hidden(name):
        column, _, value = name.partition("=")
        if column:
            return ((unquote(column), unquote(value)),), _Date.NONE, True
    if _YEAR.match(name):
        return (("year", name),), _Date.YEAR, False
    if _TWO.match(name):
        if prev is _Date.YEAR and _in(name, 1, 12):
            return (("month", name),), _Date.MONTH, False
        if prev is _Date.MONTH and _in(name, 1, 31):
            return (("day", name),), _Date.DAY, False
        if prev is _Date.DAY and _in(name, 0, 23):
            return (("hour", name),), _Date.HOUR, False
        return None
    m = _DASH_DATE.match(name)
    if m and _in(m.group(2), 1, 12) and (m.group(3) is None or _in(m.group(3), 1, 31)):
        return (("date", name),), _Date.DAY if m.group(3) else _Date.MONTH, False
    m = _COMPACT_DATE.match(name)
    if m and _in(m.group(2), 1, 12) and _in(m.group(3), 1, 31):
        return (("date", name),), _Date.DAY, False
    return None


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a folder sits within the dataset that owns it."""

    key: str = ""  # the partition key so far (relative to the dataset root)
    values: tuple[tuple[str, str], ...] = ()
    open: bool = True  # still in the run of partition folders right under the root
    date: _Date = _Date.NONE
    hidden: bool = False  # a marker subtree

    def child(self, name: str) -> _Place:
        if self.hidden or _is_hidden(name):
            return _Place(self.key, self.values, False, _Date.NONE, True)
        if self.open:
            parsed = _partition_segment(name, self.date)
            if parsed is not None:
                values, date, _ = parsed
                return _Place(f"{self.key}{name}/", self.values + values, True, date)
        return _Place(self.key, self.values, False, _Date.NONE)


def _newer(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


@dataclass(slots=True)
class _Part:
    values: tuple[tuple[str, str], ...]
    count: int = 0
    bytes: int = 0
    newest: datetime | None = None
    sample_key: str | None = None
    sample_size: int = -1

    def add(self, key: str, size: int, modified: datetime | None) -> None:
        self.count += 1
        self.bytes += size
        self.newest = _newer(self.newest, modified)
        if size > self.sample_size or (
            size == self.sample_size and self.sample_key is not None and key < self.sample_key
        ):
            self.sample_key, self.sample_size = key, size


@dataclass(slots=True)
class _Acc:
    """A dataset being accumulated."""

    bucket: str
    root: str
    rule: GroupingRule
    note: str = ""
    objects: int = 0
    bytes: int = 0
    markers: int = 0
    newest: datetime | None = None
    formats: Counter[str] = field(default_factory=Counter)
    parts: dict[str, _Part] = field(default_factory=dict)
    columns: dict[str, None] = field(default_factory=dict)
    families: dict[str, int] = field(default_factory=dict)
    spark_markers: set[str] = field(default_factory=set)
    log_files: int = 0

    def part(self, key: str, values: tuple[tuple[str, str], ...]) -> _Part:
        found = self.parts.get(key)
        if found is None:
            found = self.parts[key] = _Part(values)
            for column, _ in values:
                self.columns.setdefault(column)
        return found

    def add_data(
        self,
        place: _Place,
        key: str,
        size: int,
        modified: datetime | None,
        fmt: str,
    ) -> None:
        self.objects += 1
        self.bytes += size
        self.newest = _newer(self.newest, modified)
        self.formats[fmt] += 1
        self.part(place.key, place.values).add(key, size, modified)

    def add_marker(self, count: int, size: int, modified: datetime | None) -> None:
        self.objects += count
        self.markers += count
        self.bytes += size
        self.newest = _newer(self.newest, modified)

    def upgrade(self, rule: GroupingRule) -> None:
        if _STRENGTH.get(rule, 0) > _STRENGTH.get(self.rule, 0):
            self.rule = rule

    def absorb(self, other: _Acc) -> None:
        """Take in a dataset found under this one (an Iceberg table's ``data/``)."""
        folder = other.root[: other.root.rfind("/") + 1]
        prefix = folder[len(self.root) :]
        self.objects += other.objects
        self.bytes += other.bytes
        self.markers += other.markers
        self.newest = _newer(self.newest, other.newest)
        self.formats.update(other.formats)
        for key, p in other.parts.items():
            mine = self.part(prefix + key, p.values)
            mine.count += p.count
            mine.bytes += p.bytes
            mine.newest = _newer(mine.newest, p.newest)
            if p.sample_key is not None:
                if p.sample_size > mine.sample_size or (
                    p.sample_size == mine.sample_size
                    and (mine.sample_key is None or p.sample_key < mine.sample_key)
                ):
                    mine.sample_key, mine.sample_size = p.sample_key, p.sample_size
        for column in other.columns:
            self.columns.setdefault(column)

    def has_dataset(self) -> bool:
        return self.objects > self.markers or self.rule in (
            GroupingRule.DELTA,
            GroupingRule.ICEBERG,
        )

    def summary(self) -> DatasetSummary:
        ref = DatasetRef(self.bucket, self.root)
        partitions = tuple(
            PartitionInfo(
                key=key,
                values=p.values,
                object_count=p.count,
                total_bytes=p.bytes,
                newest=p.newest,
                sample_key=p.sample_key,
            )
            for key, p in sorted(self.parts.items())
        )
        formats = tuple(sorted(self.formats.items(), key=lambda kv: (-kv[1], kv[0])))
        return DatasetSummary(
            ref=ref,
            rule=self.rule,
            explanation=self._explain(ref, partitions),
            object_count=self.objects,
            total_bytes=self.bytes,
            marker_count=self.markers,
            partition_columns=tuple(self.columns),
            partitions=partitions,
            formats=formats,
            newest=self.newest,
        )

    def _explain(self, ref: DatasetRef, partitions: tuple[PartitionInfo, ...]) -> str:
        data = self.objects - self.markers
        files = f"{data:,} data file{'s' if data != 1 else ''}"
        parts = f"{len(partitions):,} partition{'s' if len(partitions) != 1 else ''}"
        columns = ", ".join(self.columns) or "none"
        rule = self.rule
        if rule is GroupingRule.SINGLE:
            return (
                "a lone file: no sibling in its folder shares its name pattern or marks a dataset"
            )
        if rule is GroupingRule.OVERRIDE:
            return f"settings rule {self.note}: {files}, {parts} (columns: {columns})"
        if rule is GroupingRule.HIVE:
            return f"hive partition folders ({columns}) under {ref.uri}: {parts}, {files}"
        if rule is GroupingRule.DATE:
            return f"date partition folders ({columns}) under {ref.uri}: {parts}, {files}"
        if rule is GroupingRule.DELTA:
            return (
                f"Delta Lake table: {ref.uri}_delta_log/ holds {self.log_files:,} log "
                f"file(s); {files} in {parts} (columns: {columns})"
            )
        if rule is GroupingRule.ICEBERG:
            return (
                f"Iceberg table: {ref.uri}metadata/ holds {self.log_files:,} metadata.json "
                f"file(s); {files} in {parts} (columns: {columns})"
            )
        if rule is GroupingRule.SPARK:
            found = ", ".join(sorted(self.spark_markers)) or "Spark markers"
            return f"Spark/Hadoop output folder ({found}): {files}"
        names = ", ".join(sorted(self.families)[:3])
        more = f" and {len(self.families) - 3} more" if len(self.families) > 3 else ""
        return f"numbered shards in one folder ({names}{more}): {files}"


@dataclass(slots=True)
class _Family:
    """Direct files of a folder sharing a numbered name (members kept while few)."""

    count: int = 0
    bytes: int = 0
    newest: datetime | None = None
    members: list[tuple[str, int, datetime | None, str]] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    sample: tuple[str, int] | None = None


@dataclass(slots=True)
class _Frame:
    """A folder on the current path of the listing."""

    name: str
    path: str
    owner: _Acc | None = None  # the dataset (rooted above) that owns this whole subtree
    place: _Place = field(default_factory=_Place)
    acc: _Acc | None = None  # a dataset rooted at this folder (unowned folders only)
    families: dict[str, _Family] = field(default_factory=dict)
    marker_count: int = 0
    marker_bytes: int = 0
    marker_newest: datetime | None = None
    spark_markers: set[str] = field(default_factory=set)
    pending: list[_Acc] = field(default_factory=list)  # data/ datasets held for Iceberg
    metadata_json: int = 0
    last_child: str | None = None


@dataclass(frozen=True, slots=True)
class _Rule:
    bucket: str
    root: str
    mode: str
    uri: str


def _split(info: ObjectInfo) -> tuple[str, str]:
    uri = info.ref.uri
    if uri.startswith("s3://"):
        bucket, _, key = uri[5:].partition("/")
        return bucket, key
    return "", info.ref.key


class DatasetGrouper:
    """Streaming grouper: :meth:`feed` objects in listing order, then :meth:`finish`.

    Not thread-safe; one instance per listing.

    :param rules: per-prefix overrides from the settings (``datasets.rules``).
    :param min_shards: numbered files of one name that form a shard dataset.
    :raises ValueError: a rule's prefix is not ``s3://bucket[/prefix]``.
    """

    def __init__(self, rules: Sequence[DatasetRule] = (), min_shards: int = 2) -> None:
        self.min_shards = max(1, min_shards)
        parsed = []
        for rule in rules:
            ref = DatasetRef.parse(rule.prefix)
            root = ref.root if ref.root == "" or ref.root.endswith("/") else ref.root + "/"
            parsed.append(_Rule(ref.bucket, root, rule.mode, f"{ref.bucket}/{root}"))
        # Longest prefix first; equal lengths by text, so the choice is deterministic.
        self._rules = sorted(parsed, key=lambda r: (-len(r.root), r.uri))
        self._bucket: str | None = None
        self._stack: list[_Frame] = []
        self._overrides: list[_Acc] = []

    # --- public ------------------------------------------------------------------------

    @property
    def open_state(self) -> int:
        """How much is held now: open folders, file families, held and open datasets.

        Counts their partitions too: this is what bounds memory (the streaming test
        watches it).
        """
        total = len(self._overrides) + sum(len(a.parts) for a in self._overrides)
        for frame in self._stack:
            total += 1 + len(frame.families) + len(frame.pending)
            total += sum(len(a.parts) for a in frame.pending)
            if frame.acc is not None:
                total += len(frame.acc.parts)
        return total

    def feed(self, info: ObjectInfo) -> list[DatasetSummary]:
        """Take the next object of the listing; return the datasets complete now.

        :raises ValueError: the listing is not in key order (a folder listed again after
            the listing had left it).
        """
        out: list[DatasetSummary] = []
        bucket, key = _split(info)
        if bucket != self._bucket:
            self._close_all(out)
            self._bucket = bucket
            self._stack = [_Frame("", "")]
        self._close_overrides(key, out)
        if self._rules:
            rule = self._rule_for(bucket, key)
            if rule is not None:
                self._feed_override(rule, bucket, key, info, out)
                return out
        segments = key.split("/")
        folders, name = segments[:-1], segments[-1]
        stack = self._stack
        depth = 1
        while (
            depth < len(stack)
            and depth - 1 < len(folders)
            and stack[depth].name == folders[depth - 1]
        ):
            depth += 1
        while len(stack) > depth:
            self._close_top(out)
        for folder in folders[depth - 1 :]:
            self._push(folder)
        self._add_file(stack[-1], key, name, info)
        return out

    def finish(self) -> list[DatasetSummary]:
        """Close everything still open; return the datasets complete now."""
        out: list[DatasetSummary] = []
        self._close_all(out)
        self._bucket = None
        return out

    # --- folders -----------------------------------------------------------------------

    def _push(self, name: str) -> None:
        parent = self._stack[-1]
        last = parent.last_child
        # Sibling folders come in name order (local walk) or "name/" order (S3): before the
        # last one in both, or equal to it, means the listing is out of order.
        if last is not None and (name == last or (name < last and f"{name}/" < f"{last}/")):
            raise ValueError(
                f"listing not in key order: folder {parent.path}{name}/ listed after "
                f"{parent.path}{last}/ was left"
            )
        parent.last_child = name
        frame = _Frame(name, f"{parent.path}{name}/")
        if parent.owner is not None:
            frame.owner, frame.place = parent.owner, parent.place.child(name)
        elif name == "_delta_log":
            acc = self._root_acc(parent, GroupingRule.DELTA)
            frame.owner, frame.place = acc, _Place(hidden=True)
        else:
            parsed = _partition_segment(name, _Date.NONE)
            if parsed is not None:
                rule = GroupingRule.HIVE if parsed[2] else GroupingRule.DATE
                frame.owner, frame.place = self._root_acc(parent, rule), _Place().child(name)
            elif parent.acc is not None and (
                parent.acc.rule in (GroupingRule.DELTA, GroupingRule.ICEBERG) or _is_hidden(name)
            ):
                frame.owner, frame.place = parent.acc, _Place().child(name)
        self._stack.append(frame)

    def _root_acc(self, frame: _Frame, rule: GroupingRule) -> _Acc:
        """The dataset rooted at ``frame``, made or upgraded to ``rule``."""
        if frame.acc is None:
            assert self._bucket is not None
            frame.acc = _Acc(self._bucket, frame.path, rule)
        else:
            frame.acc.upgrade(rule)
        return frame.acc

    def _add_file(self, frame: _Frame, key: str, name: str, info: ObjectInfo) -> None:
        size, modified = info.size, info.last_modified
        if frame.owner is not None:
            acc = frame.owner
            if frame.place.hidden or is_marker(name):
                acc.add_marker(1, size, modified)
                if name.endswith(".json") and frame.name == "_delta_log":
                    acc.log_files += 1
                if _is_spark_marker(name):
                    acc.spark_markers.add(_marker_label(name))
            else:
                acc.add_data(frame.place, key, size, modified, file_format(name))
            return
        if is_marker(name):
            frame.marker_count += 1
            frame.marker_bytes += size
            frame.marker_newest = _newer(frame.marker_newest, modified)
            if _is_spark_marker(name):
                frame.spark_markers.add(_marker_label(name))
                self._root_acc(frame, GroupingRule.SPARK)
            return
        if frame.name == "metadata" and name.endswith(".metadata.json"):
            frame.metadata_json += 1
        fam_key = family_of(name)
        fam = frame.families.get(fam_key)
        if fam is None:
            fam = frame.families[fam_key] = _Family()
        fmt = file_format(name)
        fam.count += 1
        fam.bytes += size
        fam.newest = _newer(fam.newest, modified)
        fam.formats[fmt] += 1
        if (
            fam.sample is None
            or size > fam.sample[1]
            or (size == fam.sample[1] and key < fam.sample[0])
        ):
            fam.sample = (key, size)
        if fam.count < self.min_shards:
            fam.members.append((key, size, modified, fmt))
        else:
            fam.members.clear()  # a shard family: aggregates are enough

    def _close_top(self, out: list[DatasetSummary]) -> None:
        frame = self._stack.pop()
        parent = self._stack[-1] if self._stack else None
        if frame.owner is not None:
            return
        if frame.metadata_json and parent is not None:
            # An Iceberg table's metadata/: its parent folder is the table.
            acc = self._root_acc(parent, GroupingRule.ICEBERG)
            acc.log_files += frame.metadata_json
            for fam in frame.families.values():
                acc.add_marker(fam.count, fam.bytes, fam.newest)
            acc.add_marker(frame.marker_count, frame.marker_bytes, frame.marker_newest)
            if frame.acc is not None:
                acc.add_marker(frame.acc.objects, frame.acc.bytes, frame.acc.newest)
            for held in frame.pending:
                out.append(held.summary())
            return
        results = self._results(frame)
        for acc in results:
            if (
                parent is not None
                and parent.owner is None
                and frame.name == "data"
                and _directly_under(acc.root, frame.path)
            ):
                if parent.acc is not None and parent.acc.rule is GroupingRule.ICEBERG:
                    parent.acc.absorb(acc)
                else:
                    parent.pending.append(acc)  # an Iceberg table's data/ until metadata/
            else:
                out.append(acc.summary())

    def _results(self, frame: _Frame) -> list[_Acc]:
        """The datasets a closing (unowned) folder forms from its direct files."""
        acc = frame.acc
        assert self._bucket is not None
        if acc is not None:
            held: list[_Acc] = []
            for other in frame.pending:
                if acc.rule is GroupingRule.ICEBERG:
                    acc.absorb(other)
                else:
                    held.append(other)
            acc.spark_markers |= frame.spark_markers
            for fam_key, fam in frame.families.items():
                self._add_family(acc, fam, fam_key)
            acc.add_marker(frame.marker_count, frame.marker_bytes, frame.marker_newest)
            return ([acc] if acc.has_dataset() else []) + held
        results: list[_Acc] = []
        shards = {k: f for k, f in frame.families.items() if f.count >= self.min_shards}
        if shards:
            acc = _Acc(self._bucket, frame.path, GroupingRule.SHARDS)
            for fam_key, fam in shards.items():
                self._add_family(acc, fam, fam_key)
            acc.add_marker(frame.marker_count, frame.marker_bytes, frame.marker_newest)
            results.append(acc)
        singles = [
            member
            for fam in frame.families.values()
            if fam.count < self.min_shards
            for member in fam.members
        ]
        for key, size, modified, fmt in sorted(singles):
            single = _Acc(self._bucket, key, GroupingRule.SINGLE)
            single.add_data(_Place(), key, size, modified, fmt)
            results.append(single)
        return results + frame.pending

    @staticmethod
    def _add_family(acc: _Acc, fam: _Family, fam_key: str) -> None:
        acc.families[fam_key] = fam.count
        acc.objects += fam.count
        acc.bytes += fam.bytes
        acc.newest = _newer(acc.newest, fam.newest)
        acc.formats.update(fam.formats)
        part = acc.part("", ())
        part.count += fam.count
        part.bytes += fam.bytes
        part.newest = _newer(part.newest, fam.newest)
        if fam.sample is not None and (
            fam.sample[1] > part.sample_size
            or (
                fam.sample[1] == part.sample_size
                and (part.sample_key is None or fam.sample[0] < part.sample_key)
            )
        ):
            part.sample_key, part.sample_size = fam.sample

    def _close_all(self, out: list[DatasetSummary]) -> None:
        while self._stack:
            self._close_top(out)
        self._close_overrides(None, out)

    # --- overrides ---------------------------------------------------------------------

    def _rule_for(self, bucket: str, key: str) -> _Rule | None:
        for rule in self._rules:
            if rule.bucket == bucket and key.startswith(rule.root):
                return rule
        return None

    def _close_overrides(self, key: str | None, out: list[DatasetSummary]) -> None:
        while self._overrides and (key is None or not key.startswith(self._overrides[-1].root)):
            acc = self._overrides.pop()
            out.append(acc.summary())

    def _feed_override(
        self, rule: _Rule, bucket: str, key: str, info: ObjectInfo, out: list[DatasetSummary]
    ) -> None:
        rel = key[len(rule.root) :]
        note = f"s3://{rule.uri} ({rule.mode})"
        if rule.mode == "dataset":
            root, rel_in = rule.root, rel
        elif rule.mode == "per_folder" and "/" in rel:
            sub, _, rel_in = rel.partition("/")
            root = f"{rule.root}{sub}/"
        else:  # per_file, or a file right under a per_folder prefix
            name = rel.rsplit("/", 1)[-1]
            if is_marker(name):
                return
            single = _Acc(bucket, key, GroupingRule.OVERRIDE, note)
            single.add_data(_Place(), key, info.size, info.last_modified, file_format(name))
            out.append(single.summary())
            return
        if not self._overrides or self._overrides[-1].root != root:
            self._overrides.append(_Acc(bucket, root, GroupingRule.OVERRIDE, note))
        acc = self._overrides[-1]
        *folders, name = rel_in.split("/")
        place = _Place()
        for folder in folders:
            place = place.child(folder)
        if place.hidden or is_marker(name):
            acc.add_marker(1, info.size, info.last_modified)
        else:
            acc.add_data(place, key, info.size, info.last_modified, file_format(name))


def _directly_under(root: str, folder: str) -> bool:
    """Whether a dataset root is ``folder`` itself or a file right in it."""
    return root == folder or (root.startswith(folder) and "/" not in root[len(folder) :])


def _marker_label(name: str) -> str:
    if name.endswith(".crc"):
        return "*.crc"
    for prefix in _SPARK_PREFIXES:
        if name.startswith(prefix):
            return prefix + "*"
    return name


def group(
    infos: Iterable[ObjectInfo], rules: Sequence[DatasetRule] = (), min_shards: int = 2
) -> Iterator[DatasetSummary]:
    """Group a listing (key order per bucket) into datasets, yielding each once complete.

    Lazy: consumes ``infos`` as it goes; see :class:`DatasetGrouper` and the module rules.

    :raises ValueError: the listing is not in key order.
    """
    grouper = DatasetGrouper(rules, min_shards)
    for info in infos:
        yield from grouper.feed(info)
    yield from grouper.finish()
