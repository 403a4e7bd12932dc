"""Decoding sampled text: UTF-8 (with or without BOM), else CP1252/Latin-1 for single-byte text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from worker.core.errors import InvalidEncoding
from worker.core.sampling.detect import UTF8_BOM

# surrogateescape maps every byte that is not part of a valid UTF-8 sequence to one lone
# surrogate U+DC80..U+DCFF, which makes invalid bytes countable without a Python-level loop.
_INVALID = re.compile("[\udc80-\udcff]+")
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")
# Bytes CP1252 leaves undefined; text containing them can only be Latin-1.
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


@dataclass(frozen=True, slots=True)
class BytePart:
    """Raw bytes of the object starting at ``offset`` (in the decompressed stream if compressed)."""

    offset: int
    data: bytes


def decode_parts(parts: Sequence[BytePart]) -> tuple[list[str], str]:
    """Decode every part with one encoding chosen from all of them.

    UTF-8 when all parts are valid UTF-8 (``utf-8-sig`` when the first part starts with a
    BOM); ``cp1252`` (or ``latin-1`` if CP1252-undefined bytes occur) when no part holds a valid
    multi-byte UTF-8 sequence.

    :returns: the decoded parts, BOM removed, and the encoding name.
    :raises InvalidEncoding: valid multi-byte UTF-8 and invalid sequences are mixed, or a BOM
        announces UTF-8 that is not.
    """
    bom = bool(parts) and parts[0].offset == 0 and parts[0].data.startswith(UTF8_BOM)
    raw = [p.data[len(UTF8_BOM) :] if bom and i == 0 else p.data for i, p in enumerate(parts)]
    texts: list[str] = []
    invalid_runs = 0
    first_invalid: int | None = None
    has_multibyte = False
    for part, data in zip(parts, raw, strict=True):
        text = data.decode("utf-8", errors="surrogateescape")
        texts.append(text)
        if not text.isascii():
            has_multibyte = has_multibyte or _MULTIBYTE.search(text) is not None
            runs = list(_INVALID.finditer(text))
            if runs:
                invalid_runs += len(runs)
                if first_invalid is None:
                    prefix = text[: runs[0].start()]
                    skipped = len(UTF8_BOM) if bom and part is parts[0] else 0
                    first_invalid = (
                        part.offset + skipped + len(prefix.encode("utf-8", "surrogateescape"))
                    )
    encoding = "utf-8-sig" if bom else "utf-8"
    if first_invalid is None:
        return texts, encoding
    if has_multibyte or bom:
        raise InvalidEncoding(
            f"invalid UTF-8: {invalid_runs:,} invalid byte sequence(s) among valid multi-byte "
            f"UTF-8 text (first at byte {first_invalid:,}); the text is neither clean UTF-8 "
            "nor single-byte CP1252/Latin-1"
        )
    single = "latin-1" if any(_CP1252_UNDEFINED.search(d) for d in raw) else "cp1252"
    return [d.decode(single) for d in raw], single
