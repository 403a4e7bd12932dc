"""JSON Lines: one JSON object per line, columns are the union of their keys."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from worker.errors import MalformedJson
from worker.sampling.delimited import TextChunk

_JSON_KIND = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_KIND[type(None)] = "null"


@dataclass(slots=True)
class ParsedRecords:
    """Objects parsed from JSON Lines and the column names in order of first appearance."""

    names: list[str]
    records: list[dict[str, object]]


def parse_json_lines(chunks: Sequence[TextChunk]) -> ParsedRecords:
    """Parse every non-blank line of every chunk as a JSON object.

    :raises MalformedJson: a line is not valid JSON or not an object; the message gives the
        count, the first line (or byte range) and the parser's reason, never the line itself.
    """
    records: list[dict[str, object]] = []
    names: dict[str, None] = {}
    bad = 0
    total = 0
    first_bad = ""
    for chunk in chunks:
        for number, line in enumerate(chunk.text.split("\n")):
            if not line.strip():
                continue
            total += 1
            reason = ""
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                # exc.msg is a fixed phrase like "Expecting ',' delimiter"; the full str()
                # is avoided as a matter of principle.
                reason = f"{exc.msg} at column {exc.colno:,}"
            else:
                if isinstance(value, dict):
                    records.append(value)
                    names.update(dict.fromkeys(value))
                    continue
                reason = f"a JSON {_JSON_KIND.get(type(value), 'value')}, not an object"
            bad += 1
            if not first_bad:
                where = (
                    f"line {chunk.first_line + number:,}"
                    if chunk.first_line is not None
                    else f"the range starting at byte {chunk.offset:,}"
                )
                first_bad = f"{where}: {reason}"
    if bad:
        raise MalformedJson(
            f"malformed JSON Lines: {bad:,} of {total:,} sampled lines are not JSON objects "
            f"(first at {first_bad})"
        )
    return ParsedRecords(list(names), records)
