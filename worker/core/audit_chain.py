"""The audit trail's hash chain: canonical form, row hash and verification (pure, no I/O).

Every audit row carries ``prev_hash`` (the hash of the row before it in the chain) and
``row_hash``, the SHA-256 of its canonical form:

* sorted-key JSON, compact separators, UTF-8 (non-ASCII characters as they are);
* the keys ``seq`` (the gapless chain position, 1 for the first row), ``at`` (UTC,
  ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``actor``, ``action``, ``target``, ``before``, ``after``,
  ``detail``, ``address`` and ``prev_hash``;
* an empty ``detail`` or ``address`` is ``null`` (a CSV cell cannot tell them apart).

The first row's ``prev_hash`` is :data:`GENESIS`. The database id is not hashed: it comes
from a sequence that skips numbers on rollback and is only known after the insert; the chain
position is ``seq``, and :func:`verify_chain` checks that ids rise with it (an id changed to
move a row in the id-ordered views reads as *reordered*).

Editing a row breaks its own hash; editing it and recomputing its hash breaks the next row's
link; deleting a row leaves a gap in ``seq`` and a link to a hash no present row has;
deleting the newest rows leaves the chain head (kept beside the rows) pointing past them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

#: The ``prev_hash`` of the first row of every chain.
GENESIS = "0" * 64

#: The fields of an exported row, in column order (CSV header, JSON keys).
EXPORT_FIELDS = (
    "id",
    "seq",
    "at",
    "actor",
    "action",
    "target",
    "before",
    "after",
    "detail",
    "address",
    "prev_hash",
    "row_hash",
)

BreakKind = Literal["edited", "missing predecessor", "reordered", "missing"]


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One audit row as the chain sees it (what is hashed, plus its id and hashes)."""

    id: int
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None
    address: str | None
    prev_hash: str
    row_hash: str

    def computed_hash(self) -> str:
        """The hash this row's content gives (equal to :attr:`row_hash` unless tampered)."""
        return row_hash(
            self.seq,
            self.at,
            self.actor,
            self.action,
            self.target,
            self.before,
            self.after,
            self.detail,
            self.address,
            self.prev_hash,
        )

    def label(self) -> str:
        """How a message names the row: id, chain position and time."""
        return f"row id {self.id} (#{self.seq}, {canonical_time(self.at)})"

    def to_export(self) -> dict[str, Any]:
        """The row as an export holds it (JSON types; ``at`` in the canonical form)."""
        return {
            "id": self.id,
            "seq": self.seq,
            "at": canonical_time(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "address": self.address,
            "prev_hash": self.prev_hash,
            "row_hash": self.row_hash,
        }

    @classmethod
    def from_export(cls, record: Mapping[str, Any]) -> ChainRow:
        """A row back from its export form.

        :raises KeyError: a field is missing.
        :raises ValueError: a field has the wrong type or format.
        """
        try:
            before, after = record["before"], record["after"]
            for value in (before, after):
                if value is not None and not isinstance(value, dict):
                    raise ValueError("before/after must be objects or null")
            return cls(
                id=int(record["id"]),
                seq=int(record["seq"]),
                at=parse_time(str(record["at"])),
                actor=str(record["actor"]),
                action=str(record["action"]),
                target=str(record["target"]),
                before=before,
                after=after,
                detail=_optional_text(record["detail"]),
                address=_optional_text(record["address"]),
                prev_hash=_hex(record["prev_hash"]),
                row_hash=_hex(record["row_hash"]),
            )
        except TypeError as exc:
            raise ValueError(str(exc)) from None


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _hex(value: Any) -> str:
    text = str(value)
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"not a SHA-256 hex digest: {text[:70]!r}")
    return text


def canonical_time(at: datetime) -> str:
    """``at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (a naive value is taken as UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """A time written by :func:`canonical_time` (or any ISO date-time; naive is UTC).

    :raises ValueError: not an ISO date-time.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_value(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """``value`` as it reads back from a JSON column (tuples become lists, keys strings).

    The store hashes and stores this form, so the hash holds for what is read back later.
    """
    return None if value is None else json.loads(json.dumps(value, allow_nan=False))


def canonical_form(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: str | None,
    address: str | None,
    prev_hash: str,
) -> bytes:
    """The bytes a row's hash is taken over (see the module docstring)."""
    document = {
        "seq": seq,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "target": target,
        "before": before,
        "after": after,
        "detail": detail or None,
        "address": address or None,
        "prev_hash": prev_hash,
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def row_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: str | None,
    address: str | None,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of the row's :func:`canonical_form`."""
    form = canonical_form(seq, at, actor, action, target, before, after, detail, address, prev_hash)
    return hashlib.sha256(form).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where and how a chain is broken: the first broken row and what is wrong with it.

    ``row`` is ``None`` when the broken rows are gone (the newest rows were deleted).
    """

    kind: BreakKind
    row: ChainRow | None
    seq: int
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found: how many rows, the first and last, the first break."""

    count: int
    first: ChainRow | None
    last: ChainRow | None
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return self.broken is None


def verify_chain(
    rows: Iterable[ChainRow],
    start_prev: str | None = GENESIS,
    head: tuple[int, str] | None = None,
) -> ChainReport:
    """Check a run of rows, in the order given, up to the first break.

    Each row's content must give its ``row_hash`` (else *edited*); ``seq`` and ``id`` must
    rise (else *reordered*); each row's ``prev_hash`` must be the previous row's hash: a gap
    in ``seq`` means rows between are gone (*missing predecessor*), no gap means the previous
    row was changed and its hash recomputed (*edited*, naming that row).

    :param start_prev: what the first row's ``prev_hash`` must be, and its ``seq`` 1 (the
        whole chain from :data:`GENESIS`); ``None``: a run from the middle of a chain, whose
        first link is not checked here (a row ``#1`` must still link to :data:`GENESIS`).
    :param head: the chain head (``seq``, hash of the newest row) kept beside the rows: the
        last row must be it (else the newest rows were deleted, or the last one re-hashed).
    """
    count = 0
    first: ChainRow | None = None
    previous: ChainRow | None = None

    def report(broken: ChainBreak | None) -> ChainReport:
        return ChainReport(count, first, previous, broken)

    stream = iter(rows)
    row = next(stream, None)
    while row is not None:
        following = next(stream, None)  # one row ahead: a gap filled later is a reordering
        if row.computed_hash() != row.row_hash:
            return report(
                ChainBreak(
                    "edited",
                    row,
                    row.seq,
                    f"{row.label()}: edited: its content does not match its hash",
                )
            )
        if previous is None:
            expected = start_prev if start_prev is not None else (GENESIS if row.seq == 1 else None)
            if start_prev == GENESIS and row.seq != 1:
                return report(
                    ChainBreak(
                        "missing predecessor",
                        row,
                        row.seq,
                        f"{row.label()}: missing predecessor: the chain starts at #{row.seq}; "
                        f"rows #1 to #{row.seq - 1} are gone",
                    )
                )
            if expected is not None and row.prev_hash != expected:
                what = "the genesis value" if expected == GENESIS else "the expected hash"
                return report(
                    ChainBreak(
                        "missing predecessor",
                        row,
                        row.seq,
                        f"{row.label()}: missing predecessor: its prev_hash is not {what}",
                    )
                )
        else:
            if row.seq <= previous.seq or row.id <= previous.id:
                return report(
                    ChainBreak(
                        "reordered",
                        row,
                        row.seq,
                        f"{row.label()}: reordered: it comes after {previous.label()}",
                    )
                )
            if row.prev_hash != previous.row_hash:
                if (
                    row.seq > previous.seq + 1
                    and following is not None
                    and (following.seq < row.seq)
                ):
                    return report(
                        ChainBreak(
                            "reordered",
                            row,
                            row.seq,
                            f"{row.label()}: reordered: it comes before {following.label()}",
                        )
                    )
                if row.seq > previous.seq + 1:
                    gone = (
                        f"row #{previous.seq + 1} is"
                        if row.seq == previous.seq + 2
                        else f"rows #{previous.seq + 1} to #{row.seq - 1} are"
                    )
                    return report(
                        ChainBreak(
                            "missing predecessor",
                            row,
                            row.seq,
                            f"{row.label()}: missing predecessor: {gone} gone (deleted "
                            f"between row id {previous.id} and row id {row.id})",
                        )
                    )
                return report(
                    ChainBreak(
                        "edited",
                        previous,
                        previous.seq,
                        f"{previous.label()}: edited: its hash was recomputed, and "
                        f"{row.label()} no longer links to it",
                    )
                )
        if first is None:
            first = row
        previous = row
        count += 1
        row = following
    if head is not None:
        head_seq, head_hash = head
        last_seq = previous.seq if previous is not None else 0
        if head_seq > last_seq:
            gone = (
                f"row #{head_seq} is" if head_seq == last_seq + 1
                else f"rows #{last_seq + 1} to #{head_seq} are"
            )  # fmt: skip
            return report(
                ChainBreak(
                    "missing",
                    None,
                    last_seq + 1,
                    f"missing: {gone} gone (the chain head records #{head_seq}; the newest "
                    f"row present is #{last_seq})",
                )
            )
        if previous is not None and (head_seq, head_hash) != (previous.seq, previous.row_hash):
            return report(
                ChainBreak(
                    "edited",
                    previous,
                    previous.seq,
                    f"{previous.label()}: edited: it does not match the chain head "
                    f"(#{head_seq} {head_hash[:12]}...)",
                )
            )
    return report(None)


# -- exports ---------------------------------------------------------------------------------

#: The ``format`` value of an export's manifest.
EXPORT_FORMAT = "s3-enricher-audit-export"
EXPORT_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def export_manifest(
    rows: list[ChainRow],
    chain_head: tuple[int, str],
    period: tuple[str | None, str | None],
    exported_at: datetime,
) -> dict[str, Any]:
    """What an export says about itself, besides its rows (JSON types).

    ``chain_head`` is the newest row overall when exporting (a later export or the database
    must still hold it with that hash); ``export_head`` the newest row exported.
    """
    last = rows[-1] if rows else None
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "hash": "sha256 of sorted-key compact JSON of seq, at, actor, action, target, before, "
        "after, detail, address, prev_hash (docs/audit.md)",
        "genesis": GENESIS,
        "exported_at": canonical_time(exported_at),
        "period": {"from": period[0], "to": period[1]},
        "count": len(rows),
        "first_prev_hash": rows[0].prev_hash if rows else None,
        "export_head": (
            {"seq": last.seq, "id": last.id, "row_hash": last.row_hash} if last else None
        ),
        "chain_head": {"seq": chain_head[0], "row_hash": chain_head[1]},
    }


def _csv_cell(value: Any) -> Any:
    # Reversible, unlike the review export's: a leading "'" is also escaped, so reading
    # strips exactly one.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def export_csv(rows: Iterable[ChainRow]) -> str:
    """The rows as CSV, :data:`EXPORT_FIELDS` in order.

    ``before``/``after`` are sorted-key JSON text, an absent value an empty cell; text that
    a spreadsheet would run as a formula (or that starts with ``'``) gets a leading ``'``.
    """
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        record = row.to_export()
        for key in ("before", "after"):
            if record[key] is not None:
                record[key] = json.dumps(record[key], sort_keys=True, ensure_ascii=False)
        writer.writerow(["" if record[k] is None else _csv_cell(record[k]) for k in EXPORT_FIELDS])
    return buf.getvalue()


def rows_from_csv(text: str) -> list[ChainRow]:
    """The rows of :func:`export_csv`'s text.

    :raises ValueError: not such a CSV (wrong header, bad field), naming the line.
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header) != EXPORT_FIELDS:
        raise ValueError(f"the CSV header is not {','.join(EXPORT_FIELDS)}")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(EXPORT_FIELDS):
            raise ValueError(f"line {line}: {len(cells)} fields, not {len(EXPORT_FIELDS)}")
        record: dict[str, Any] = {}
        try:
            for key, cell in zip(EXPORT_FIELDS, cells, strict=True):
                value = _csv_uncell(cell)
                if key in ("before", "after"):
                    record[key] = json.loads(value) if value else None
                else:
                    record[key] = value
            rows.append(ChainRow.from_export(record))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"line {line}: {exc}") from None
    return rows


def rows_from_json(records: Any) -> list[ChainRow]:
    """The rows of a JSON export's ``rows`` array.

    :raises ValueError: not a list of row objects (naming the first bad one).
    """
    if not isinstance(records, list):
        raise ValueError("'rows' is not a list")
    rows = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ValueError(f"row {index}: not an object")
        try:
            rows.append(ChainRow.from_export(record))
        except KeyError as exc:
            raise ValueError(f"row {index}: no field {exc}") from None
        except ValueError as exc:
            raise ValueError(f"row {index}: {exc}") from None
    return rows


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """What :func:`verify_export` found."""

    report: ChainReport
    problem: str | None

    @property
    def ok(self) -> bool:
        """True when the rows chain and agree with the manifest."""
        return self.problem is None


def verify_export(rows: list[ChainRow], manifest: Mapping[str, Any]) -> ExportCheck:
    """Re-compute an export's hashes and links and compare them with its manifest.

    The rows must chain among themselves; a run starting at ``#1`` must start at the genesis
    value; the last row must be the manifest's ``export_head``, the count its ``count``, and
    the ``chain_head`` (the newest row when exported) no older than the last row exported.
    The first row's link to the row before the export is only checkable against an earlier
    export or the database (its ``first_prev_hash``).
    """
    export_head = manifest.get("export_head")
    head = (int(export_head["seq"]), str(export_head["row_hash"])) if export_head else None
    report = verify_chain(rows, start_prev=None, head=head)
    if report.broken is not None:
        return ExportCheck(report, report.broken.message)
    if export_head is None and rows:
        return ExportCheck(report, "the manifest records no export head, but rows follow")
    if manifest.get("count") != len(rows):
        return ExportCheck(
            report,
            f"the manifest counts {manifest.get('count')} rows, the export holds {len(rows)}",
        )
    if rows and manifest.get("first_prev_hash") != rows[0].prev_hash:
        return ExportCheck(report, "the manifest's first_prev_hash is not the first row's")
    chain_head = manifest.get("chain_head") or {}
    if report.last is not None:
        if int(chain_head.get("seq", -1)) < report.last.seq:
            return ExportCheck(report, "the chain head is older than the last row exported")
        if int(chain_head["seq"]) == report.last.seq and chain_head.get("row_hash") != (
            report.last.row_hash
        ):
            return ExportCheck(report, f"{report.last.label()} is not the recorded chain head")
    return ExportCheck(report, None)
