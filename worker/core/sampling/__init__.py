"""Sampling one object: detect its format from content and read a small, reproducible sample.

:func:`sample_object` is the entry point; the modules below it each handle one concern
(format detection, Parquet, delimited text, JSON Lines, compression, encoding, cell values).
"""

from __future__ import annotations

from models.samples import TableSample
from worker.core.errors import EmptyObject
from worker.core.sampling.detect import PARQUET_MAGIC, name_hint, seed_from_etag, sniff_magic
from worker.core.sampling.options import SamplingOptions
from worker.core.sampling.parquet import FOOTER_READ, sample_parquet
from worker.core.sampling.reader import ObjectReader
from worker.core.sampling.sparse import RangeCache
from worker.core.sampling.text import sample_text

__all__ = ["SamplingOptions", "sample_object"]


def sample_object(reader: ObjectReader, options: SamplingOptions) -> TableSample:
    """Read a sample of the object behind ``reader`` within ``options.byte_budget``.

    The format comes from the content (Parquet, gzip/zstd/bz2, else text); the name is only a
    hint. The same object version (ETag) always yields the same sample.

    :raises EmptyObject, UnsupportedFormat, NoDataRows: nothing to classify (skipped).
    :raises FormatMismatch, TruncatedParquet, CorruptParquetFooter, CorruptParquetData,
        RaggedRows, InvalidEncoding, MalformedJson, TruncatedCompression, DecompressionBomb:
        the object cannot be read as what it claims to be (failed). Messages never quote
        object content.
    :raises ObjectVanished, ObjectChanged, StoreUnavailable: from the store, unchanged.
    """
    info = reader.info
    if info.size == 0:
        raise EmptyObject("the object is empty (0 bytes)")
    seed = seed_from_etag(info.etag)
    hint = name_hint(info.ref.name)
    cache = RangeCache(info.size)
    if hint.format == "parquet" and hint.compression is None:
        # A name that says Parquet gets the footer read first: one tail read, which for a
        # real Parquet file is needed anyway and for a small file is the whole object.
        start = max(0, info.size - FOOTER_READ)
        footer = cache.fetch(reader, start, info.size)
        tail = cache.get(max(0, info.size - 4), info.size)
        head = cache.get(0, min(4, info.size))
        if tail == PARQUET_MAGIC and head in (None, PARQUET_MAGIC):
            return sample_parquet(reader, cache, options, seed, footer)
    # Small objects are read whole; larger ones start with the head, which is what text
    # sampling reads first and what a compressed stream is decompressed from.
    head_len = info.size if info.size <= options.byte_budget else options.byte_budget // 2
    head = cache.get(0, head_len)
    if head is None:
        cache.fetch(reader, 0, head_len)
        head = cache.get(0, head_len) or b""
    kind = sniff_magic(head)
    if kind == "parquet":
        return sample_parquet(reader, cache, options, seed)
    return sample_text(reader, head, kind, options, seed, hint)
