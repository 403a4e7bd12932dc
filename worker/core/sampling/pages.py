"""Parquet page headers and footer counts, read before pyarrow decodes anything.

A page header states how large the page is once decompressed, and pyarrow allocates and fills
that much before it decodes a single value. The footer's column-chunk sizes can lie and a
few KiB of zstd expand to gigabytes, so the sampler reads the headers of the pages a decode
could reach (they sit in the bytes already fetched) and refuses pages that are too large
before pyarrow sees them.

Headers are Thrift compact-protocol structs (``PageHeader`` in parquet-format); only the
first three fields and the value counts are needed, every other field is skipped by type.

The footer (``FileMetaData``) is decoded by pyarrow into roughly a kilobyte per column chunk,
whatever the chunk took on disk (48 bytes at the least): a 16 MiB footer can hold 350,000
chunks and decode to over 300 MiB. :func:`footer_counts` reads just the schema and the number
of row groups, so the sampler can refuse such a footer before pyarrow decodes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

DICTIONARY_PAGE = 2
# Thrift compact types.
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT, _UUID = 9, 10, 11, 12, 13
_MAX_DEPTH = 32
# parquet-cpp refuses page headers above 16 MiB; so does this reader.
MAX_HEADER = 16 * 1024 * 1024


class HeaderIncomplete(Exception):  # noqa: N818 - a signal
    """The header runs past the bytes that were fetched."""


class HeaderCorrupt(Exception):  # noqa: N818 - a signal
    """The bytes are not a Thrift compact page header."""


@dataclass(frozen=True, slots=True)
class PageInfo:
    """One page of a column chunk.

    :param offset: where its header starts in the object.
    :param header_len: bytes of the header.
    :param page_type: 0 data, 1 index, 2 dictionary, 3 data v2.
    :param uncompressed: bytes the page takes once decompressed (what pyarrow allocates).
    :param compressed: bytes of the page body after the header.
    :param num_values: values in a data page (leaf values, nulls included), else 0.
    :param num_rows: rows of a v2 data page, else ``None``.
    """

    offset: int
    header_len: int
    page_type: int
    uncompressed: int
    compressed: int
    num_values: int = 0
    num_rows: int | None = None

    @property
    def end(self) -> int:
        """Where the next page starts."""
        return self.offset + self.header_len + self.compressed


#: Called with (field id, compact type, depth) for every field of a struct.
_FieldHandler = Callable[[int, int, int], None]


class _Reader:
    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise HeaderIncomplete
        value = self.data[self.pos]
        self.pos += 1
        return value

    def skip(self, n: int) -> None:
        if n < 0:
            raise HeaderCorrupt
        if self.pos + n > len(self.data):
            raise HeaderIncomplete
        self.pos += n

    def varint(self) -> int:
        shift = 0
        value = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise HeaderCorrupt

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def skip_value(self, kind: int, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise HeaderCorrupt
        if kind in (_TRUE, _FALSE):
            return
        if kind == _BYTE:
            self.skip(1)
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.skip(8)
        elif kind == _BINARY:
            self.skip(self.varint())
        elif kind == _UUID:
            self.skip(16)
        elif kind in (_LIST, _SET):
            head = self.byte()
            size = head >> 4
            if size == 15:
                size = self.varint()
            element = head & 0x0F
            for _ in range(size):
                # Booleans inside a collection take one byte each.
                if element in (_TRUE, _FALSE):
                    self.skip(1)
                else:
                    self.skip_value(element, depth + 1)
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    for sub in (types >> 4, types & 0x0F):
                        if sub in (_TRUE, _FALSE):
                            self.skip(1)
                        else:
                            self.skip_value(sub, depth + 1)
        elif kind == _STRUCT:
            self.struct(depth + 1, lambda _f, k, d: self.skip_value(k, d))
        else:
            raise HeaderCorrupt

    def struct(self, depth: int, field: _FieldHandler) -> None:
        """Read fields until STOP, handing each (id, type) to ``field``."""
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return
            kind = head & 0x0F
            delta = head >> 4
            fid = last + delta if delta else self.zigzag()
            last = fid
            if kind in (_TRUE, _FALSE):
                continue
            field(fid, kind, depth)


def parse_header(data: bytes | memoryview, offset: int) -> PageInfo:
    """Decode the page header at the start of ``data`` (which starts at ``offset``).

    :raises HeaderIncomplete: ``data`` ends inside the header.
    :raises HeaderCorrupt: it is not a page header (or a size is negative).
    """
    r = _Reader(data)
    top: dict[int, int] = {}
    counts: dict[str, int] = {}

    def page_field(fid: int, kind: int, depth: int) -> None:
        if fid in (1, 2, 3) and kind == _I32:
            top[fid] = r.zigzag()
        elif fid in (5, 8) and kind == _STRUCT:
            # DataPageHeader (5) and DataPageHeaderV2 (8) both start with num_values; v2 has
            # num_rows as field 3.
            def data_field(sub: int, sub_kind: int, sub_depth: int) -> None:
                if sub == 1 and sub_kind == _I32:
                    counts["values"] = r.zigzag()
                elif sub == 3 and sub_kind == _I32 and fid == 8:
                    counts["rows"] = r.zigzag()
                else:
                    r.skip_value(sub_kind, sub_depth)

            r.struct(depth + 1, data_field)
        else:
            r.skip_value(kind, depth)

    r.struct(0, page_field)
    if len(top) != 3 or top[2] < 0 or top[3] < 0:
        raise HeaderCorrupt
    return PageInfo(
        offset=offset,
        header_len=r.pos,
        page_type=top[1],
        uncompressed=top[2],
        compressed=top[3],
        num_values=max(0, counts.get("values", 0)),
        num_rows=counts.get("rows"),
    )


def walk_pages(data: bytes | memoryview, start: int, end: int) -> Iterator[PageInfo]:
    """Yield the pages of a column chunk whose headers lie in ``data``.

    :param data: the chunk's bytes fetched so far, from ``start`` on (possibly fewer than
        ``end - start``).
    :param start: where the chunk (its first page header) starts in the object.
    :param end: where the chunk ends.
    Stops at the chunk end or where ``data`` ends inside a header.
    :raises HeaderCorrupt: a header cannot be decoded.
    """
    view = memoryview(data)
    pos = start
    while pos < end:
        rel = pos - start
        if rel >= len(view):
            return
        try:
            page = parse_header(view[rel : rel + MAX_HEADER], pos)
        except HeaderIncomplete:
            if len(view) - rel >= MAX_HEADER or pos + (len(view) - rel) >= end:
                # A header larger than any reader accepts, or one cut by the chunk's end.
                raise HeaderCorrupt from None
            return
        yield page
        pos = page.end


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf column of the schema: physical type and maximum levels."""

    physical: int | None
    max_def: int
    max_rep: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """What the sampler needs of one column chunk's metadata."""

    codec: int
    data_page_offset: int
    dictionary_page_offset: int | None
    total_compressed: int
    total_uncompressed: int


@dataclass(frozen=True, slots=True)
class RowGroup:
    """One row group: its row count and column chunks (leaf order)."""

    num_rows: int
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True, slots=True)
class Footer:
    """The parts of ``FileMetaData`` the sampler uses, read without pyarrow.

    pyarrow's Python accessors for row-group and column-chunk metadata validate in C++ code
    whose exceptions abort the process (a corrupt level histogram is enough), so the sampler
    reads these fields here, checks them the way pyarrow would, and never calls those
    accessors.
    """

    leaves: tuple[Leaf, ...]
    row_groups: tuple[RowGroup, ...]
    num_rows: int


class TooManyChunks(Exception):  # noqa: N818 - a signal
    """The footer describes more column chunks than allowed (nothing past the count read)."""

    def __init__(self, leaves: int, row_groups: int) -> None:
        super().__init__(leaves, row_groups)
        self.leaves = leaves
        self.row_groups = row_groups


class FooterCorrupt(Exception):  # noqa: N818 - a signal
    """The footer cannot be read; ``reason`` quotes nothing of it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_BYTE_ARRAY = 6


def _list_size(r: _Reader, element: int | None = None) -> int:
    head = r.byte()
    size = head >> 4
    if size == 15:
        size = r.varint()
    if element is not None and head & 0x0F != element:
        raise HeaderCorrupt
    return size


def _schema(r: _Reader, depth: int) -> tuple[Leaf, ...]:
    """Leaves of a ``list<SchemaElement>`` with their levels (the first element is the root)."""
    size = _list_size(r, _STRUCT)
    leaves: list[Leaf] = []
    # (children left, definition level, repetition level) of the open groups.
    stack: list[list[int]] = []
    for index in range(size):
        fields: dict[int, int] = {}

        def element(fid: int, kind: int, d: int, fields: dict[int, int] = fields) -> None:
            if fid in (1, 3, 5) and kind == _I32:
                fields[fid] = r.zigzag()
            else:
                r.skip_value(kind, d)

        r.struct(depth + 1, element)
        if index == 0:
            stack.append([fields.get(5, 0), 0, 0])
            continue
        while stack and stack[-1][0] == 0:
            stack.pop()
        if not stack:
            raise FooterCorrupt("its schema has more elements than its groups hold")
        parent = stack[-1]
        parent[0] -= 1
        repetition = fields.get(3, 0)
        level_def = parent[1] + (1 if repetition in (1, 2) else 0)
        level_rep = parent[2] + (1 if repetition == 2 else 0)
        if 5 in fields:
            if fields[5] <= 0:
                raise FooterCorrupt("its schema has an empty group")
            stack.append([fields[5], level_def, level_rep])
        else:
            leaves.append(Leaf(fields.get(1), level_def, level_rep))
    return tuple(leaves)


def _column_chunk(r: _Reader, depth: int, leaf: Leaf, where: str) -> Chunk:
    meta: dict[int, int] = {}
    histograms: dict[int, int] = {}

    def size_statistics(fid: int, kind: int, d: int) -> None:
        if fid in (2, 3) and kind == _LIST:
            head = r.byte()
            size = head >> 4
            if size == 15:
                size = r.varint()
            histograms[fid] = size
            for _ in range(size):
                r.skip_value(head & 0x0F, d + 1)
        else:
            if fid == 1:
                histograms[1] = 1
            r.skip_value(kind, d)

    def column_meta(fid: int, kind: int, d: int) -> None:
        if fid in (4, 6, 7, 9, 11) and kind in (_I32, _I64):
            meta[fid] = r.zigzag()
        elif fid == 16 and kind == _STRUCT:
            r.struct(d + 1, size_statistics)
        else:
            r.skip_value(kind, d)

    def chunk(fid: int, kind: int, d: int) -> None:
        if fid == 3 and kind == _STRUCT:
            meta[0] = 1
            r.struct(d + 1, column_meta)
        else:
            r.skip_value(kind, d)

    r.struct(depth + 1, chunk)
    if 0 not in meta:
        raise FooterCorrupt(f"column chunk {where} has no readable metadata (encrypted?)")
    for fid, level, name in ((2, leaf.max_rep, "repetition"), (3, leaf.max_def, "definition")):
        size = histograms.get(fid, 0)
        if size and size != level + 1:
            raise FooterCorrupt(f"the {name}-level histogram of column chunk {where} is invalid")
    if 1 in histograms and leaf.physical != _BYTE_ARRAY:
        raise FooterCorrupt(f"the size statistics of column chunk {where} are invalid")
    if any(f not in meta for f in (4, 6, 7, 9)):
        raise FooterCorrupt(f"column chunk {where} lacks a required field")
    return Chunk(meta[4], meta[9], meta.get(11), meta[7], meta[6])


def read_footer(data: bytes | memoryview, max_chunks: int) -> Footer:
    """Read a ``FileMetaData`` footer: the schema's leaves, then each row group's chunks.

    :raises TooManyChunks: more than ``max_chunks`` column chunks (checked before any row
        group is read).
    :raises FooterCorrupt: it is not a footer the sampler (or pyarrow) can use.
    """
    r = _Reader(data)
    found: dict[str, object] = {}

    def row_group(depth: int, leaves: tuple[Leaf, ...], index: int) -> RowGroup:
        state: dict[str, object] = {}

        def field(fid: int, kind: int, d: int) -> None:
            if fid == 1 and kind == _LIST:
                size = _list_size(r, _STRUCT)
                if size != len(leaves):
                    raise FooterCorrupt(
                        f"row group {index:,} has {size:,} column chunks for "
                        f"{len(leaves):,} columns"
                    )
                state["chunks"] = tuple(
                    _column_chunk(r, d, leaves[i], f"{i:,} of row group {index:,}")
                    for i in range(size)
                )
            elif fid == 3 and kind == _I64:
                state["rows"] = r.zigzag()
            else:
                r.skip_value(kind, d)

        r.struct(depth + 1, field)
        if "chunks" not in state or "rows" not in state:
            raise FooterCorrupt(f"row group {index:,} lacks a required field")
        return RowGroup(int(state["rows"]), state["chunks"])  # type: ignore[call-overload, arg-type]

    def top(fid: int, kind: int, depth: int) -> None:
        if fid == 2 and kind == _LIST:
            found["leaves"] = _schema(r, depth)
        elif fid == 3 and kind == _I64:
            found["rows"] = r.zigzag()
        elif fid == 4 and kind == _LIST:
            leaves = found.get("leaves")
            if not isinstance(leaves, tuple):
                raise FooterCorrupt("its row groups come before its schema")
            size = _list_size(r, _STRUCT)
            if size * len(leaves) > max_chunks:
                raise TooManyChunks(len(leaves), size)
            found["groups"] = tuple(row_group(depth, leaves, i) for i in range(size))
        else:
            r.skip_value(kind, depth)

    try:
        r.struct(0, top)
    except (HeaderIncomplete, HeaderCorrupt) as exc:
        raise FooterCorrupt("its metadata cannot be decoded") from exc
    if "leaves" not in found or "groups" not in found or "rows" not in found:
        raise FooterCorrupt("its metadata lacks a required field")
    return Footer(found["leaves"], found["groups"], int(found["rows"]))  # type: ignore[arg-type, call-overload]
