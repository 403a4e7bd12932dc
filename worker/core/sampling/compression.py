"""Stream-decompressing the head of a gzip, zstd or bz2 object within the byte budget."""

from __future__ import annotations

import bz2
import zlib
from dataclasses import dataclass
from typing import Protocol

import zstandard

from worker.core.errors import DecompressionBomb, TruncatedCompression
from worker.core.sampling.options import MIB, SamplingOptions
from worker.core.sampling.reader import ObjectReader

# Compressed input is handed to the decoder in small slices, so the decompressed/compressed
# ratio is measured on what was actually consumed and a bomb is caught before it expands.
_SLICE = {"gzip": 16 * 1024, "bz2": 4 * 1024, "zstd": 256}
_CHUNK = 1 * MIB


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decode(self, data: bytes, max_out: int) -> bytes: ...


class _Gzip:
    def __init__(self) -> None:
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._tail = b""

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def needs_input(self) -> bool:
        return not self._tail

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    def decode(self, data: bytes, max_out: int) -> bytes:
        out = self._d.decompress(self._tail + data, max_out)
        self._tail = self._d.unconsumed_tail
        return out


class _Bz2:
    def __init__(self) -> None:
        self._d = bz2.BZ2Decompressor()

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def needs_input(self) -> bool:
        return self._d.needs_input

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    def decode(self, data: bytes, max_out: int) -> bytes:
        return self._d.decompress(data, max_out)


class _Zstd:
    # zstandard's decompressobj has no output limit; tiny input slices bound each call's
    # output instead (a 256-byte slice of RLE blocks expands to at most ~8 MiB).
    def __init__(self) -> None:
        self._d = zstandard.ZstdDecompressor().decompressobj()

    @property
    def eof(self) -> bool:
        return bool(self._d.eof)

    @property
    def needs_input(self) -> bool:
        return True

    @property
    def unused_data(self) -> bytes:
        return bytes(self._d.unused_data)

    def decode(self, data: bytes, max_out: int) -> bytes:
        return bytes(self._d.decompress(data)) if data else b""


def _decoder(codec: str) -> _Decoder:
    if codec == "gzip":
        return _Gzip()
    if codec == "bz2":
        return _Bz2()
    return _Zstd()


@dataclass(frozen=True, slots=True)
class DecompressedHead:
    """The decompressed start of an object.

    :param data: decompressed bytes (may end mid-line unless ``complete``).
    :param complete: the whole object was decompressed.
    :param consumed: compressed bytes fed to the decoder.
    """

    data: bytes
    complete: bool
    consumed: int


def decompress_head(
    reader: ObjectReader, codec: str, first: bytes, options: SamplingOptions
) -> DecompressedHead:
    """Decompress from the start until the output or the compressed bytes read reach the budget.

    :param first: the object's first bytes, already fetched.
    :raises TruncatedCompression: the whole object was consumed before the end marker.
    :raises DecompressionBomb: output/input exceeded ``options.max_decompression_ratio`` after
        at least 1 MiB of output.
    :raises zlib.error, OSError, zstandard.ZstdError: corrupt compressed data (the caller maps
        these).
    """
    size = reader.size
    budget = options.byte_budget
    limit = min(size, budget)
    fetched = len(first)
    pending = memoryview(first)
    out = bytearray()
    consumed = 0
    step = _SLICE[codec]
    decoder = _decoder(codec)
    members = 1
    while len(out) < budget:
        if decoder.needs_input:
            if not pending:
                if fetched >= limit:
                    break
                chunk = reader.read(fetched, min(fetched + _CHUNK, limit))
                fetched += len(chunk)
                pending = memoryview(chunk)
            piece = bytes(pending[:step])
            pending = pending[step:]
            consumed += len(piece)
            out += decoder.decode(piece, budget - len(out))
        else:
            out += decoder.decode(b"", budget - len(out))
        if len(out) >= MIB and len(out) > options.max_decompression_ratio * consumed:
            raise DecompressionBomb(
                f"decompression bomb: {consumed:,} compressed bytes expanded to {len(out):,} "
                f"bytes, a ratio above the limit of {options.max_decompression_ratio:g}"
            )
        if decoder.eof:
            # Concatenated members/frames continue the stream; zero padding after the last
            # one (common from some writers) does not.
            rest = decoder.unused_data + bytes(pending)
            consumed -= len(decoder.unused_data)
            if not rest and fetched < limit:
                rest = reader.read(fetched, min(fetched + _CHUNK, limit))
                fetched += len(rest)
            if not rest.strip(b"\x00"):
                pending = memoryview(b"")
                break
            pending = memoryview(rest)
            decoder = _decoder(codec)
            members += 1
    complete = decoder.eof and fetched >= size and not pending
    if not decoder.eof and fetched >= size and not pending and decoder.needs_input:
        raise TruncatedCompression(
            f"truncated {codec} stream: all {size:,} bytes were read but the stream ends before "
            f"its end marker (after {len(out):,} decompressed bytes"
            + (f", in member {members:,})" if members > 1 else ")")
        )
    return DecompressedHead(bytes(out), complete, consumed)
