"""JSON Lines: one JSON object per line, columns are the union of their keys."""

from __future__ import annotations

import io
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from worker.core.errors import MalformedJson, NestingTooDeep
from worker.core.sampling.delimited import TextChunk
from worker.core.sampling.options import SamplingOptions

_JSON_KIND = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_KIND[type(None)] = "null"

#: Deeper JSON is refused before it is parsed: Python's parser and printer recurse, and a line
#: of 200,000 ``[`` would exhaust the stack. Real records rarely go past a dozen levels.
MAX_DEPTH = 100
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


@dataclass(slots=True)
class ParsedRecords:
    """Objects picked from JSON Lines and the column names in order of first appearance.

    :param records: the picked objects, in file order (all of them when there are no more
        than asked for).
    :param total: the objects parsed.
    """

    names: list[str]
    records: list[dict[str, object]]
    total: int = 0


def nesting_depth(line: str, limit: int = MAX_DEPTH) -> int:
    """How deep ``[``/``{`` nest in ``line`` outside strings, counting up to ``limit + 1``.

    Cheap for ordinary lines: only a line with more brackets than ``limit`` is looked at
    closely, and the count stops as soon as it passes ``limit``.
    """
    if line.count("[") + line.count("{") <= limit:
        return min(limit, line.count("[") + line.count("{"))
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", line) if '"' in line else line)
    depth = deepest = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def _lines(chunks: Sequence[TextChunk]) -> Iterator[tuple[TextChunk, int, str]]:
    """Every non-blank line with its chunk and its line index in the chunk (lazily split)."""
    for chunk in chunks:
        for number, line in enumerate(io.StringIO(chunk.text, newline="\n")):
            if line.strip():
                yield chunk, number, line


def _where(chunk: TextChunk, number: int) -> str:
    return (
        f"line {chunk.first_line + number:,}"
        if chunk.first_line is not None
        else f"the range starting at byte {chunk.offset:,}"
    )


def _load(chunk: TextChunk, number: int, line: str) -> tuple[object, str]:
    """Parse one line: the value, or a reason it is not JSON (quoting nothing of the line).

    :raises NestingTooDeep: the line nests deeper than :data:`MAX_DEPTH`.
    """
    if nesting_depth(line) > MAX_DEPTH:
        raise NestingTooDeep(
            f"JSON nested deeper than {MAX_DEPTH} levels (first at {_where(chunk, number)}): "
            "the object is not sampled"
        )
    try:
        return json.loads(line), ""
    except json.JSONDecodeError as exc:
        # exc.msg is a fixed phrase like "Expecting ',' delimiter"; the full str() is avoided
        # as a matter of principle.
        return None, f"{exc.msg} at column {exc.colno:,}"
    except RecursionError as exc:
        raise NestingTooDeep(
            f"JSON nested too deeply to parse (first at {_where(chunk, number)}): "
            "the object is not sampled"
        ) from exc
    except ValueError:
        # e.g. an integer of more digits than Python converts; its message names no value,
        # but a fixed phrase is safer.
        return None, "a value that cannot be converted (such as a number too long)"


def parse_json_lines(
    chunks: Sequence[TextChunk], options: SamplingOptions, rng: random.Random
) -> ParsedRecords:
    """Parse every non-blank line of every chunk as a JSON object; keep ``options.rows``.

    Every line is parsed once to check it and collect the keys, without keeping it; the
    picked lines (seeded by ``rng``; fewer for many keys, see
    :meth:`SamplingOptions.rows_for`) are parsed again and kept. So memory does not grow with
    the number of lines.

    :raises MalformedJson: a line is not valid JSON or not an object; the message gives the
        count, the first line (or byte range) and the parser's reason, never the line itself.
    :raises NestingTooDeep: a line nests deeper than :data:`MAX_DEPTH`.
    :raises SampleTooLarge: the objects have more than ``options.max_columns`` keys.
    """
    names: dict[str, None] = {}
    bad = 0
    total = 0
    good = 0
    first_bad = ""
    for chunk, number, line in _lines(chunks):
        total += 1
        value, reason = _load(chunk, number, line)
        if not reason:
            if isinstance(value, dict):
                good += 1
                for key in value:
                    if key not in names:
                        names[key] = None
                if len(names) > options.max_columns:
                    options.check_columns(len(names))
                continue
            reason = f"a JSON {_JSON_KIND.get(type(value), 'value')}, not an object"
        bad += 1
        if not first_bad:
            first_bad = f"{_where(chunk, number)}: {reason}"
    if bad:
        raise MalformedJson(
            f"malformed JSON Lines: {bad:,} of {total:,} sampled lines are not JSON objects "
            f"(first at {first_bad})"
        )
    records: list[dict[str, object]] = []
    want = options.rows_for(len(names))
    if good:
        picks = sorted(rng.sample(range(good), want)) if good > want else range(good)
        k = 0
        for index, (chunk, number, line) in enumerate(_lines(chunks)):
            if index == picks[k]:
                value, _ = _load(chunk, number, line)
                assert isinstance(value, dict)
                records.append(value)
                k += 1
                if k == len(picks):
                    break
    return ParsedRecords(list(names), records, good)
