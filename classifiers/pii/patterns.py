"""Vectorised pattern detection over a column's distinct values.

:func:`scan_column` runs every :class:`PatternSpec` over the distinct values of one column and
returns, per entity, a :class:`PatternTally` weighted by the values' occurrence counts. The work
is split so that Python touches as little as possible:

1. Each spec's regex, with its lookarounds removed (which only widens it), runs as a RE2 kernel
   (``pyarrow.compute.match_substring_regex``) over the whole array to find candidate values.
2. Only candidates are matched with Python's :mod:`re` (which has the lookarounds) and only the
   matched substrings go to the spec's validator.
3. Conflicts are resolved per value, by span: a validated e-mail address swallows the URL
   inside it, a Luhn-valid card the phone/passport/licence match on the same digits, a valid
   IBAN anything it overlaps, a valid SSN the phone/passport/licence match on its digits
   (declared per entity: ``EntitySpec.suppressed_by``, see :class:`Suppression`).

The patterns themselves are declared per entity in :mod:`classifiers.pii.entities`;
:data:`BUILTIN_PATTERNS` collects the built-ins'.

A spec whose regex RE2 cannot compile even without lookarounds (backreferences, possessive
quantifiers ...) is prefiltered with Python instead; it is slower, never wrong.

Pure code: no I/O, no logging; raw values appear only in :attr:`PatternTally.example_values`,
which the caller masks and never lets leave the process.
"""

from __future__ import annotations

import itertools
import re
import re._constants as _sre_constants
import re._parser as _sre_parser
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from classifiers.pii import validators as v
from classifiers.pii.arrays import integer_values, string_array, string_layout
from classifiers.pii.entities.builtin import BUILTIN_ENTITIES, CARD, IBAN, PHONE, SSN
from classifiers.pii.entities.spec import EntityRegistry, PatternSpec

__all__ = [
    "BUILTIN_PATTERNS",
    "BUILTIN_SUPPRESSION",
    "INTEGER_ENTITIES",
    "INTEGER_SPECS",
    "SUPPRESSED_BY",
    "ColumnScan",
    "CompiledSpecs",
    "PatternSpec",
    "PatternTally",
    "Suppression",
    "compile_specs",
    "prefilter_columns",
    "scan_column",
    "strip_lookarounds",
]


@dataclass(frozen=True)
class _IntCheck:
    """One entity's check of a whole integer value (see ``EntitySpec.integer_pattern``)."""

    entity: str
    fewest: int
    most: int
    pad: int
    validate: Callable[[str], bool]
    suppressed_by: frozenset[str]

    def padded(self, digits: str) -> str:
        """``digits`` left-padded to :attr:`pad` with the zeros the integer lost.

        An SSN of area 001 is stored as ``1234567``.
        """
        return digits.zfill(self.pad) if self.pad else digits


def _int_checks(entities: EntityRegistry) -> tuple[_IntCheck, ...]:
    """The integer checks of ``entities``: SSN, card and phone first, then in their order.

    Why this order: a validated match swallows the later matches its entity suppresses (a
    Luhn-valid card the phone on its digits) before their validators run, so every
    suppressor must come before what it suppresses.
    """
    first = (SSN, CARD, PHONE)
    specs = sorted(
        (s for s in entities if s.integer_pattern is not None and s.integer_digits is not None),
        key=lambda s: first.index(s.name) if s.name in first else len(first),
    )
    checks = tuple(
        _IntCheck(
            s.name, s.integer_digits[0], s.integer_digits[1], s.integer_pad,  # type: ignore[index]
            v.VALIDATORS[s.integer_pattern.validator],  # type: ignore[union-attr,index]
            frozenset(s.suppressed_by),
        )
        for s in specs
    )  # fmt: skip
    for k, c in enumerate(checks):
        if any(c.entity in later.suppressed_by for later in checks[:k]):
            raise ValueError(f"integer check of {c.entity} comes after one it suppresses")
    return checks


#: The integer-column checks of the built-in entities, in the order they run on a value.
_INT_CHECKS: Final = _int_checks(BUILTIN_ENTITIES)
#: Entities :func:`scan_column` checks in integer columns (values are decimal strings of ints).
INTEGER_ENTITIES: Final = frozenset(c.entity for c in _INT_CHECKS)
#: The fewest and most digits any integer check takes.
_INT_FEWEST: Final = min(c.fewest for c in _INT_CHECKS)
_INT_MOST: Final = max(c.most for c in _INT_CHECKS)
#: Checked on every integer column whatever the screen (:func:`_screen_checks`).
_UNSCREENED: Final = frozenset({SSN, CARD, PHONE})
#: A national identifier's integer check runs on a column only when at least
#: ``_SCREEN_PASS`` of the first ``_SCREEN_LOOK`` values of its digit count pass it (the same
#: share of fewer).
_SCREEN_LOOK: Final = 32
_SCREEN_PASS: Final = 6


def _screen_checks(
    checks: list[tuple[int, _IntCheck]],
    texts: Sequence[str | None],
    sizes: Sequence[int | None],
) -> list[tuple[int, _IntCheck]]:
    """The checks worth running on an integer column's ``texts``.

    SSN, card and phone always (their failing values are evidence too: the opaque and dense
    rules read their pass rates). A national identifier's only when values of its digit
    count exist and enough of the first of them pass it (:data:`_SCREEN_PASS` of
    :data:`_SCREEN_LOOK`). Why: a column of large integers has values that are a CPF, a
    PESEL and a phone number at once, and validating and tallying all of them tripled the
    PII pass on tables of IDs and timestamps; a check failing more than four values in five
    cannot make a dense call (the lowest bar, a supporting name, needs the lower end of the
    share's interval at 0.3), and of 32 values of a column where two in five pass, fewer
    than six pass about once in 200. Deterministic: the first values by index.

    :param sizes: :func:`_int_sizes` of ``texts``.
    """
    kept: list[tuple[int, _IntCheck]] = []
    for si, c in checks:
        if c.entity in _UNSCREENED:
            kept.append((si, c))
            continue
        look = list(
            itertools.islice(
                (i for i, n in enumerate(sizes) if n is not None and c.fewest <= n <= c.most),
                _SCREEN_LOOK,
            )
        )
        passed = 0
        for i in look:
            digits = _int_text(texts[i])  # type: ignore[arg-type]
            passed += c.validate(c.padded(digits))
        if look and passed * _SCREEN_LOOK >= _SCREEN_PASS * len(look):
            kept.append((si, c))
    return kept


@dataclass
class PatternTally:
    """Per entity, how a column's values matched; counts are weighted by occurrence.

    :param entity: the entity.
    :param spec: the name of the spec that validated the most (weighted) matches.
    :param full: values that entirely are a validated match (after stripping whitespace).
    :param contained: values containing at least one validated match (``full`` is a subset).
    :param validated: matches that passed the validator (``== checked`` without validator).
    :param checked: regex matches submitted to the validator, after conflict resolution.
    :param distinct_full: distinct values counted in ``full`` (unweighted).
    :param example_values: up to three distinct validated matched substrings, full matches
        first. Raw values: the caller masks them.
    :param score: mean base score of the specs that validated the ``contained`` values
        (weighted; per value the best spec), 0.0 when nothing validated.
    :param distinct_contained: distinct values counted in ``contained`` (unweighted).
    """

    entity: str
    spec: str
    full: int = 0
    contained: int = 0
    validated: int = 0
    checked: int = 0
    distinct_full: int = 0
    example_values: list[str] = field(default_factory=list)
    score: float = 0.0
    distinct_contained: int = 0
    #: Per spec name, the weighted validated matches it found (names :attr:`spec`).
    spec_weights: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


# ------------------------------------------------------------------------------------------
# The builtin table (declared per entity in classifiers.pii.entities.builtin)

#: The builtin specs (PERSON, STREET_ADDRESS and DATE_OF_BIRTH are decided elsewhere).
BUILTIN_PATTERNS: Final[tuple[PatternSpec, ...]] = BUILTIN_ENTITIES.patterns()


@dataclass(frozen=True)
class Suppression:
    """Which validated matches swallow which others on overlapping spans.

    :param by: per entity, the entities whose validated overlapping match removes its match;
        an entity not listed is suppressed by IBAN_CODE only.
    :param formatted_only: per entity, the suppressors that count only when their match has
        separators (not a bare digit run).
    """

    by: Mapping[str, tuple[str, ...]]
    formatted_only: Mapping[str, frozenset[str]]
    # Why: every ColumnScan orders its specs by rank (a few microseconds each, per spec).
    _ranks: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def from_registry(cls, registry: EntityRegistry) -> Suppression:
        """The rules the registry's specs declare (``suppressed_by``, ``..._formatted``)."""
        return cls(
            by=registry.suppressed_by(),
            formatted_only={
                s.name: frozenset(s.suppressed_by_formatted)
                for s in registry
                if s.suppressed_by_formatted
            },
        )

    def suppressors(self, entity: str) -> tuple[str, ...]:
        """The entities that may suppress ``entity``."""
        return self.by.get(entity, _DEFAULT_SUPPRESSORS)

    def rank(self, entity: str) -> int:
        """Scan order: suppressors before the entities they suppress (0 for IBAN_CODE).

        Side effect: remembers the rank per entity (the rules are not meant to change).
        """
        known = self._ranks.get(entity)
        if known is not None:
            return known
        depth, frontier = 0, set(self.suppressors(entity))
        while frontier and depth < 8:
            depth += 1
            frontier = {s for e in frontier for s in self.suppressors(e)}
        self._ranks[entity] = depth
        return depth


_DEFAULT_SUPPRESSORS: Final = (IBAN,)
_NO_ENTITIES: Final[frozenset[str]] = frozenset()
#: The built-in entities' rules (see :attr:`EntitySpec.suppressed_by`).
BUILTIN_SUPPRESSION: Final = Suppression.from_registry(BUILTIN_ENTITIES)
#: Per entity, the entities whose validated match on an overlapping span removes its match.
SUPPRESSED_BY: Final[Mapping[str, tuple[str, ...]]] = {
    e: s for e, s in BUILTIN_SUPPRESSION.by.items() if s != _DEFAULT_SUPPRESSORS
}


# ------------------------------------------------------------------------------------------
# Compilation


@dataclass(frozen=True)
class CompiledSpec:
    """A :class:`PatternSpec` ready to run.

    :param spec: the spec.
    :param pattern: its regex compiled by Python (``re.ASCII``).
    :param prefilter: a RE2 regex matching a superset of the values ``pattern`` finds
        something in, or ``None`` when RE2 cannot run it (Python prefilters instead).
    :param validator: the validator function, or ``None``.
    """

    spec: PatternSpec
    pattern: re.Pattern[str]
    prefilter: str | None
    validator: Callable[[str], bool] | None


@dataclass(frozen=True)
class CompiledSpecs:
    """Specs compiled once per process by :func:`compile_specs`.

    :param specs: the compiled specs, in the caller's order.
    """

    specs: tuple[CompiledSpec, ...]
    #: How :func:`prefilter_columns` runs the RE2 prefilters (see :func:`_plan_passes`).
    passes: tuple[_Pass, ...] = field(default=(), compare=False, repr=False)

    @property
    def entities(self) -> frozenset[str]:
        """The entities the specs detect."""
        return frozenset(c.spec.entity for c in self.specs)


def strip_lookarounds(regex: str) -> str:
    """``regex`` without its lookahead and lookbehind groups.

    Lookarounds only restrict where a match may be, so the result matches wherever the original
    does (and more): a safe prefilter for engines without lookarounds such as RE2.
    """
    out: list[str] = []
    i, n = 0, len(regex)
    while i < n:
        if regex.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(regex, i)
            continue
        j = _atom_end(regex, i)
        out.append(regex[i:j])
        i = j
    return "".join(out)


def _atom_end(regex: str, i: int) -> int:
    """Index after the escape, character class or single character at ``i``."""
    if regex[i] == "\\":
        return min(i + 2, len(regex))
    if regex[i] == "[":
        j = i + 1
        if j < len(regex) and regex[j] == "^":
            j += 1
        if j < len(regex) and regex[j] == "]":
            j += 1
        while j < len(regex) and regex[j] != "]":
            j += 2 if regex[j] == "\\" else 1
        return min(j + 1, len(regex))
    return i + 1


def _group_end(regex: str, i: int) -> int:
    """Index after the group opening at ``i`` (nested groups, classes and escapes skipped)."""
    depth = 0
    while i < len(regex):
        ch = regex[i]
        if ch in "\\[":
            i = _atom_end(regex, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _re2_ok(regex: str) -> bool:
    try:
        pc.match_substring_regex(string_array([""]), pattern=regex)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


@lru_cache(maxsize=64)
def _compile_cached(specs: tuple[PatternSpec, ...]) -> CompiledSpecs:
    out: list[CompiledSpec] = []
    for spec in specs:
        try:
            pattern = re.compile(spec.regex, re.ASCII)
        except re.error as exc:
            raise ValueError(f"pattern {spec.name!r}: invalid regular expression ({exc})") from None
        validator = None
        if spec.validator is not None:
            validator = v.VALIDATORS.get(spec.validator)
            if validator is None:
                raise ValueError(
                    f"pattern {spec.name!r}: unknown validator {spec.validator!r}; "
                    f"choose from {', '.join(sorted(v.VALIDATORS))}"
                )
        body = strip_lookarounds(spec.regex)
        if spec.full_match_only:
            body = _anchored(body)
        prefilter = body if _re2_ok(body) else None
        out.append(CompiledSpec(spec, pattern, prefilter, validator))
    return CompiledSpecs(tuple(out), _plan_passes(out))


@dataclass(frozen=True)
class _Pass:
    """One RE2 pass of :func:`prefilter_columns` and the specs it serves.

    :param pattern: the regex run over the values of the columns some member may match.
    :param leaves: per distinct member prefilter, it and the indices of the specs having it;
        a prefilter other than ``pattern`` then runs only on the values ``pattern`` flagged.
    """

    pattern: str
    leaves: tuple[tuple[str, tuple[int, ...]], ...]


def _plan_passes(specs: Sequence[CompiledSpec]) -> tuple[_Pass, ...]:
    r"""The RE2 passes running every spec's prefilter (issue 17).

    Specs with the same prefilter share one pass. The prefilters of the full-match-only
    specs (anchored: ``^\s*(?:...)\s*$``) run first as one alternation, which costs about
    one pass and rarely flags many values; each of them then runs only on the values it
    flagged. Exact: a value matching one branch matches the alternation.
    """
    by_prefilter: dict[str, list[int]] = {}
    for si, cs in enumerate(specs):
        if cs.prefilter is not None:
            by_prefilter.setdefault(cs.prefilter, []).append(si)
    # Why not RE2-only syntax (quoting, POSIX classes ...): conservative, as required_chars;
    # inside a group a \Q quote left open would swallow the group's ")".
    anchored = [
        p
        for p, members in by_prefilter.items()
        if specs[members[0]].spec.full_match_only and not _RE2_DIFFERENT.search(p)
    ]
    passes: list[_Pass] = []
    if len(anchored) >= 2:
        group = "|".join(f"(?:{p})" for p in anchored)
        if _re2_ok(group):
            passes.append(_Pass(group, tuple((p, tuple(by_prefilter.pop(p))) for p in anchored)))
    passes.extend(_Pass(p, ((p, tuple(m)),)) for p, m in by_prefilter.items())
    return tuple(passes)


def _anchored(body: str) -> str:
    # Keep a leading inline-flag group first: RE2 and Python want global flags at the start.
    m = re.match(r"\(\?[aiLmsux]+\)", body)
    flags, rest = (m.group(0), body[m.end() :]) if m else ("", body)
    return rf"{flags}^\s*(?:{rest})\s*$"


def compile_specs(specs: Sequence[PatternSpec] | CompiledSpecs) -> CompiledSpecs:
    """Compile ``specs`` (cached: the same specs compile once per process).

    :raises ValueError: a regex does not compile or a validator name is unknown; the message
        names the spec, never a value.
    """
    if isinstance(specs, CompiledSpecs):
        return specs
    return _compile_cached(tuple(specs))


# ------------------------------------------------------------------------------------------
# Scanning

# One regex match: (entity, spec index, start, end, validated, full, text).

#: ``bytes.translate`` table swapping 0 and 1 (the "matched" flags into "to match").
_FLIP: Final = bytes([1, 0]) + bytes(range(2, 256))
_Match = tuple[str, int, int, int, bool, bool, str]


def _as_strings(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        return string_array(list(values))
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    return pc.cast(values, pa.string())


def _check_strings(texts: list[str]) -> None:
    """Raise as :func:`~classifiers.pii.arrays.string_array` would on ``texts``.

    :raises TypeError: an item is not a string (``None`` included).
    :raises UnicodeEncodeError: a text is not valid UTF-8 (a lone surrogate).
    """
    joined = "".join(texts)
    if not joined.isascii():
        joined.encode("utf-8")


def prefilter_columns(
    columns: Sequence[Sequence[str]],
    specs: Sequence[PatternSpec] | CompiledSpecs,
    texts: pa.Array | None = None,
) -> list[list[list[int] | None]] | None:
    """Per column, per spec, the indices of the values the spec may match (issue 17).

    Each spec's RE2 prefilter runs once over the distinct values of all ``columns`` together
    (RE2 compiles a pattern on every call, which would otherwise be paid per column); pass a
    column's entry to :func:`scan_column` as ``candidates``. ``None`` entries are specs RE2
    cannot run. Returns ``None`` when pyarrow cannot take the values (a lone surrogate):
    then scan each column alone.

    A column lacking the characters every match of a spec needs (:func:`required_chars`: a
    digit, ``@`` ...), or whose values are all shorter than its shortest match
    (:func:`min_chars`), is left out of that spec's pass: its list is empty, as the pass
    would find (an RE2 pass costs per value and byte whatever the pattern). Specs with the
    same prefilter share a pass, and the full-match-only specs' prefilters run as one
    alternation first, each then only on the values that flagged (see :func:`_plan_passes`):
    the lists are those of one pass per spec.

    ``texts``: the values of ``columns`` one after another, as
    :func:`~classifiers.pii.arrays.string_array` builds them, when the caller has that array
    already (issue 17: the profiles' RE2 passes ran on it); built here when ``None`` or not
    of their length.

    :raises ValueError: a spec is invalid (see :func:`compile_specs`).
    """
    compiled = compile_specs(specs)
    starts = list(itertools.accumulate((len(col) for col in columns), initial=0))
    if texts is not None and len(texts) == starts[-1]:
        arr = texts
    else:
        try:
            arr = string_array([t for col in columns for t in col])
        except UnicodeError:
            return None
    gate = _ColumnGate(arr, starts, columns)
    # Per set of columns a pass may match in, their values as one array and where each
    # column starts in it (prefilters requiring the same characters share it).
    subsets: dict[tuple[int, ...], tuple[pa.Array, list[int]]] = {
        tuple(range(len(columns))): (arr, starts)
    }
    found: dict[int, list[list[int]]] = {}
    for step in compiled.passes:
        # Why: every RE2 call costs ~60 ns per value whatever the pattern; a column without
        # the characters every match needs (a digit, '@' ...) cannot match: skip it.
        allowed = {
            leaf: tuple(k for k in range(len(columns)) if gate.may_match(k, leaf))
            for leaf, _ in step.leaves
        }
        cols = tuple(sorted(set().union(*allowed.values())))
        hits = None
        if cols:
            sub = subsets.get(cols)
            if sub is None:
                sub = subsets[cols] = _gather(arr, starts, cols)
            values, sub_starts = sub
            hits = _hits(values, step.pattern)
        for leaf, members in step.leaves:
            per_column: list[list[int]] = [[] for _ in columns]
            if hits is not None and len(hits) and allowed[leaf]:
                mine = hits if leaf == step.pattern else _leaf_hits(values, hits, leaf)
                _split(mine, cols, sub_starts, allowed[leaf], per_column)
            for n, si in enumerate(members):
                found[si] = per_column if n == 0 else [list(c) for c in per_column]
    out: list[list[list[int] | None]] = [[] for _ in columns]
    for si in range(len(compiled.specs)):
        per_spec = found.get(si)
        for k in range(len(columns)):
            out[k].append(per_spec[k] if per_spec is not None else None)
    return out


def _hits(values: pa.Array, pattern: str) -> np.ndarray:
    """Positions (ascending) of the ``values`` in which RE2 finds ``pattern``."""
    return integer_values(pc.indices_nonzero(pc.match_substring_regex(values, pattern=pattern)))


def _leaf_hits(values: pa.Array, flagged: np.ndarray, pattern: str) -> np.ndarray:
    """Which of the ``flagged`` positions of ``values`` RE2 finds ``pattern`` in (ascending)."""
    # Not pa.array: it imports pandas (see classifiers.pii.arrays).
    positions = np.ascontiguousarray(flagged, np.uint64)
    index = pa.Array.from_buffers(pa.uint64(), len(positions), [None, pa.py_buffer(positions)])
    return positions[_hits(values.take(index), pattern)]  # type: ignore[no-any-return]


def _split(
    hits: np.ndarray,
    cols: tuple[int, ...],
    sub_starts: list[int],
    allowed: tuple[int, ...],
    per_column: list[list[int]],
) -> None:
    """Store ``hits`` (positions in the values of ``cols``) per column of ``allowed``.

    Side effect: sets ``per_column[k]`` to column ``k``'s indices, for ``k`` in ``allowed``
    with hits; hits in other columns (a pass shared with specs allowed there) are dropped.
    """
    bounds = np.searchsorted(hits, sub_starts).tolist()
    wanted = set(allowed)
    for j, k in enumerate(cols):
        lo, hi = bounds[j], bounds[j + 1]
        if lo < hi and k in wanted:
            per_column[k] = (hits[lo:hi] - sub_starts[j]).tolist()


def _gather(
    arr: pa.Array, starts: list[int], columns: tuple[int, ...]
) -> tuple[pa.Array, list[int]]:
    """The values of ``columns`` (indices into ``starts``) as one array, and their starts."""
    pieces = [arr.slice(starts[k], starts[k + 1] - starts[k]) for k in columns]
    sub_starts = list(itertools.accumulate((len(p) for p in pieces), initial=0))
    return pa.concat_arrays(pieces), sub_starts


class _ColumnGate:
    """Which columns may hold a match of a prefilter.

    A column may when it holds the characters the prefilter needs (see
    :func:`required_chars`) and a value long enough for its shortest match (see
    :func:`min_chars`).

    :param arr: all columns' values, one after the other (no nulls, no offset).
    :param starts: where each column starts in ``arr``, and its length last.
    :param columns: the columns' texts (read only for non-ASCII required characters).
    """

    def __init__(self, arr: pa.Array, starts: list[int], columns: Sequence[Sequence[str]]) -> None:
        self._columns = columns
        offsets, raw = string_layout(arr)
        # Per column, its values' UTF-8 bytes, and whether it has non-ASCII characters: UTF-8
        # encodes one with bytes >= 0x80 only, so an ASCII byte is that ASCII character.
        # Issue 17: a column is searched (memchr) for the characters asked about only, on
        # demand, instead of a histogram of all its bytes (about 1 ns a byte).
        self._bytes: list[bytes] = []
        self._other: list[bool] = []
        # Per column, its longest value in UTF-8 bytes (at least its length in characters).
        sizes = np.diff(offsets[: starts[-1] + 1])
        self._longest = [
            int(sizes[starts[k] : starts[k + 1]].max()) if starts[k + 1] > starts[k] else 0
            for k in range(len(starts) - 1)
        ]
        for k in range(len(starts) - 1):
            lo, hi = int(offsets[starts[k]]), int(offsets[starts[k + 1]])
            data = raw[lo:hi].tobytes() if raw is not None and hi > lo else b""
            self._bytes.append(data)
            self._other.append(not data.isascii())
        self._seen: dict[tuple[int, frozenset[str]], bool] = {}

    def may_match(self, k: int, prefilter: str) -> bool:
        """``False`` only when no value of column ``k`` can match ``prefilter``."""
        if self._longest[k] < min_chars(prefilter):
            return False
        for chars in required_chars(prefilter):
            key = (k, chars)
            found = self._seen.get(key)
            if found is None:
                data = self._bytes[k]
                found = any(ord(ch) in data for ch in chars if ch.isascii()) or (
                    self._other[k]
                    and any(ch in t for ch in chars if not ch.isascii() for t in self._columns[k])
                )
                self._seen[key] = found
            if not found:
                return False
        return True


# Syntax RE2 reads differently from Python's parser (POSIX classes, ``{,n}``, Unicode
# classes, quoting, octal or group-number escapes): no requirement is derived from such a regex.
_RE2_DIFFERENT: Final = re.compile(r"\[:|\{,|\\[pPQECz0-9]")
_DIGITS: Final = frozenset("0123456789")


@lru_cache(maxsize=256)
def required_chars(regex: str) -> tuple[frozenset[str], ...]:
    r"""Character sets of which every match of ``regex`` (RE2 syntax) holds one character each.

    Conservative: a construct not understood (negated or Unicode classes, ``.``, ``\w``,
    ``\s``, letters under ``(?i)`` ...) requires nothing, so the result may be empty but
    never names a set some match lacks. Derived with Python's own regex parser.
    """
    if _RE2_DIFFERENT.search(regex):
        return ()
    try:
        parsed = _sre_parser.parse(regex, re.ASCII)
    except (re.error, RecursionError, OverflowError, ValueError):
        return ()
    icase = bool(parsed.state.flags & re.IGNORECASE)
    return tuple(dict.fromkeys(_required(list(parsed), icase)))


@lru_cache(maxsize=256)
def min_chars(regex: str) -> int:
    """The fewest characters a match of ``regex`` (RE2 syntax) holds; 0 when not sure.

    Derived with Python's own regex parser, as :func:`required_chars` (syntax RE2 reads
    differently gives 0); a value with fewer UTF-8 bytes holds no match.
    """
    if _RE2_DIFFERENT.search(regex):
        return 0
    try:
        return int(_sre_parser.parse(regex, re.ASCII).getwidth()[0])
    except (re.error, RecursionError, OverflowError, ValueError):
        return 0


def _required(items: list[Any], icase: bool) -> list[frozenset[str]]:
    c = _sre_constants
    out: list[frozenset[str]] = []
    for op, av in items:
        if op is c.LITERAL:
            chars = _class_chars([(op, av)], icase)
            if chars:
                out.append(chars)
        elif op is c.IN:
            chars = _class_chars(av, icase)
            if chars:
                out.append(chars)
        elif op is c.MAX_REPEAT or op is c.MIN_REPEAT:
            low, _, sub = av
            if low >= 1:
                out.extend(_required(list(sub), icase))
        elif op is c.SUBPATTERN:
            _, add_flags, _, sub = av
            out.extend(_required(list(sub), icase or bool(add_flags & re.IGNORECASE)))
        elif op is c.BRANCH:
            # Every match goes through one branch: one set per branch, together, is required.
            needs = [_required(list(b), icase) for b in av[1]]
            if needs and all(needs):
                out.append(frozenset().union(*(f[0] for f in needs)))
                # Why also the smallest set per branch (of equal sizes, the one most branches
                # need): branches sharing a rare character (every IPv6 form has ':') give a
                # much narrower set than their first ones.
                shared = Counter(s for f in needs for s in set(f))
                out.append(
                    frozenset().union(*(min(f, key=lambda s: (len(s), -shared[s])) for f in needs))
                )
        # Anything else (anchors, ``.``, lookarounds, atomic groups ...) requires nothing.
    return out


def _class_chars(items: list[Any], icase: bool) -> frozenset[str] | None:
    """The characters a class (or literal) matches, ``None`` when not surely known."""
    c = _sre_constants
    chars: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            chars.add(chr(av))
        elif op is c.RANGE:
            if av[1] - av[0] > 256:
                return None
            chars.update(map(chr, range(av[0], av[1] + 1)))
        elif op is c.CATEGORY and av is c.CATEGORY_DIGIT:
            chars |= _DIGITS  # RE2's \d is ASCII, like Python's under re.ASCII
        else:
            return None  # negation, \w, \s, ...
    # Case folding may map a letter to others (even non-ASCII: K to the Kelvin sign).
    if icase and not all(ch.isascii() and not ch.isalpha() for ch in chars):
        return None
    return frozenset(chars)


def _candidates(
    arr: pa.Array, texts: list[str | None], cs: CompiledSpec, given: list[int] | None = None
) -> list[int]:
    """Indices of the values the spec may match (``given``: found by :func:`prefilter_columns`)."""
    if given is not None:
        return given
    if cs.prefilter is not None:
        mask = pc.match_substring_regex(arr, pattern=cs.prefilter)
        return pc.indices_nonzero(mask).to_pylist()  # type: ignore[no-any-return]
    search = cs.pattern.fullmatch if cs.spec.full_match_only else cs.pattern.search
    return [
        i
        for i, t in enumerate(texts)
        if t is not None and search(t.strip() if cs.spec.full_match_only else t)
    ]


def _blank_ends(text: str) -> bool:
    """Whether ``text`` starts or ends with whitespace (``str.strip`` would change it)."""
    return text[:1].isspace() or text[-1:].isspace()


def _swallowed(
    earlier: list[_Match],
    entity: str,
    start: int,
    stop: int,
    doms: Container[str],
    formatted: Container[str],
) -> bool:
    """Whether a validated match in ``earlier`` swallows ``entity``'s match at start:stop.

    A validated match of another entity in ``doms`` (its suppressors, see
    :class:`Suppression`) overlapping the span swallows it, unless that entity counts only
    with separators (``formatted``) and its match starts with a digit.
    """
    for d in earlier:
        if d[4] and d[0] in doms and d[0] != entity and d[2] < stop and start < d[3]:
            if d[0] in formatted and d[6].isdigit():
                continue
            return True
    return False


def _resolve_order(m: _Match) -> tuple[str, bool, int, int]:
    return m[0], not m[4], m[2] - m[3], m[2]


def _resolve(matches: list[_Match], rules: Suppression) -> list[_Match]:
    """Per entity one match per span (validated, then longer, first); then the conflict rules."""
    kept: list[_Match] = []
    for m in sorted(matches, key=_resolve_order):
        entity, start, end = m[0], m[2], m[3]
        for k in kept:
            if k[0] == entity and k[2] < end and start < k[3]:
                break
        else:
            kept.append(m)
    valid = [k for k in kept if k[4]]
    # Only a validated match of another entity swallows a match (see _swallowed).
    if not valid or all(k[0] == kept[0][0] for k in kept):
        return kept
    return [
        m
        for m in kept
        if not _swallowed(
            valid,
            m[0],
            m[2],
            m[3],
            rules.suppressors(m[0]),
            rules.formatted_only.get(m[0], _NO_ENTITIES),
        )
    ]


class _Acc:
    """Accumulates one entity's tally (``weights`` of :meth:`ColumnScan.tallies` may be floats)."""

    __slots__ = (
        "entity", "full", "contained", "validated", "checked", "distinct_full",
        "distinct_contained", "score_sum", "spec_weight", "full_examples", "examples",
    )  # fmt: skip

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.full = self.contained = self.validated = self.checked = 0
        self.distinct_full = self.distinct_contained = 0
        self.score_sum = 0.0
        self.spec_weight: dict[str, tuple[int, float]] = {}
        self.full_examples: list[str] = []
        self.examples: list[str] = []

    def add(self, matches: list[_Match], weight: int, specs: Sequence[PatternSpec]) -> None:
        best_score = -1.0
        is_full = False
        for _, si, _, _, ok, full, text in matches:
            self.checked += weight
            if ok:
                best_score = max(best_score, self._validated(specs[si], weight, full, text))
                is_full = is_full or full
        self._credit(weight, best_score, is_full)

    def add_one(self, m: _Match, weight: int, specs: Sequence[PatternSpec]) -> None:
        """:meth:`add` of the single match ``m`` (the common case, without the loop)."""
        self.checked += weight
        if m[4]:
            self._credit(weight, self._validated(specs[m[1]], weight, m[5], m[6]), m[5])

    def _validated(self, spec: PatternSpec, weight: int, full: bool, text: str) -> float:
        """Count one validated match of ``spec`` (and keep ``text`` as an example); its score."""
        self.validated += weight
        w, s = self.spec_weight.get(spec.name, (0, spec.score))
        self.spec_weight[spec.name] = (w + weight, s)
        bucket = self.full_examples if full else self.examples
        if len(bucket) < 3 and text not in bucket:
            bucket.append(text)
        return spec.score

    def _credit(self, weight: int, best_score: float, is_full: bool) -> None:
        """Count a value with a validated match (``best_score`` >= 0) as containing the entity."""
        if best_score >= 0:
            self.contained += weight
            self.distinct_contained += 1
            self.score_sum += best_score * weight
            if is_full:
                self.full += weight
                self.distinct_full += 1

    def tally(self) -> PatternTally:
        spec = max(self.spec_weight.items(), key=lambda kv: kv[1], default=("", (0, 0.0)))[0]
        examples = list(dict.fromkeys(self.full_examples + self.examples))[:3]
        return PatternTally(
            entity=self.entity,
            spec=spec,
            full=self.full,
            contained=self.contained,
            validated=self.validated,
            checked=self.checked,
            distinct_full=self.distinct_full,
            example_values=examples,
            score=self.score_sum / self.contained if self.contained else 0.0,
            distinct_contained=self.distinct_contained,
            spec_weights={name: w for name, (w, _) in self.spec_weight.items()},
        )


class ColumnScan:
    """:func:`scan_column` in steps: match chosen values now, more later, tally at any time.

    Matching a value runs every spec that flagged it, in the same order as a one-pass scan,
    so a value's matches (and conflicts) do not depend on when it was matched. Used by
    :mod:`classifiers.pii.bounded` to match a deterministic subset of a column's values
    first (issue 17). Arguments as :func:`scan_column`.

    :raises ValueError: as :func:`scan_column`.
    """

    def __init__(
        self,
        values: pa.Array | Sequence[str | None],
        counts: Sequence[int],
        specs: Sequence[PatternSpec] | CompiledSpecs = BUILTIN_PATTERNS,
        *,
        integer_column: bool = False,
        suppression: Suppression | None = None,
        candidates: Sequence[list[int] | None] | None = None,
    ) -> None:
        compiled = compile_specs(specs)
        arr: pa.Array | None = None
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            arr = _as_strings(values)
            self.texts: list[str | None] = arr.to_pylist()
        else:
            # Why: the caller's list already holds the texts; the array (and converting it
            # back) is only needed for prefilters not given, built then from the same texts.
            self.texts = list(values)
            _check_strings(self.texts)  # type: ignore[arg-type]
        if len(self.texts) != len(counts):
            raise ValueError(f"{len(self.texts)} values but {len(counts)} counts")
        self.counts = counts
        self.integer = integer_column
        self.rules = suppression or BUILTIN_SUPPRESSION
        self.per_value: dict[int, list[_Match]] = {}
        #: Per entity, the values where a validated match of another entity swallowed its
        #: match (the value is of the other kind: its match was dropped before validation).
        self.blocked: dict[str, set[int]] = {}
        # Per matched value, the position (in scan order) of the spec that matched it first:
        # tallies visit values as a one-pass scan inserts them (examples come out the same).
        self._first: dict[int, int] = {}
        self._done = bytearray(len(self.texts))
        # Validator verdicts per validator, per matched text: specs of one entity often share a
        # validator, and free text repeats the same address or number across values.
        self._verdicts: dict[str, dict[str, bool]] = {}
        #: Entities with a match kept in :attr:`per_value` (validated or not).
        self.entities_matched: set[str] = set()
        # Why cached: a value's matches are final once it is matched (all its specs run in
        # one call), and bounded_tallies tallies the same values several times per round.
        self._order_cache: list[int] | None = None
        self._groups: dict[int, list[tuple[str, list[_Match], _Match | None]]] = {}
        if integer_column:
            # Every check keeps its index in the spec list (the matches name it); only those
            # of the entities asked for run.
            # Each value's digit count, once: the screen, the candidates and the matching
            # all read it.
            self._sizes = _int_sizes(self.texts)
            self._int_checks = _screen_checks(
                [(si, c) for si, c in enumerate(_INT_CHECKS) if c.entity in compiled.entities],
                self.texts,
                self._sizes,
            )
            self.spec_list: list[PatternSpec] = [INTEGER_SPECS[c.entity] for c in _INT_CHECKS]
            self._compiled: tuple[CompiledSpec, ...] = ()
            self._order: list[int] = []
            self._cands: list[list[int]] = []
            return
        self.spec_list = [c.spec for c in compiled.specs]
        if candidates is not None and len(candidates) != len(self.spec_list):
            raise ValueError(f"{len(candidates)} candidate lists but {len(self.spec_list)} specs")
        self._compiled = compiled.specs
        # Dominant entities first, so that a match a validated dominant match will swallow
        # anyway is dropped before its (possibly costly) validator runs; the outcome is the same.
        rank = self.rules.rank
        self._order = sorted(
            range(len(self.spec_list)), key=lambda k: rank(self.spec_list[k].entity)
        )
        given = candidates if candidates is not None else [None] * len(self._compiled)
        if arr is None and any(
            g is None and cs.prefilter is not None
            for g, cs in zip(given, self._compiled, strict=True)
        ):
            arr = string_array(self.texts)  # type: ignore[arg-type]
        self._cands = [
            _candidates(arr, self.texts, cs, given[si])  # type: ignore[arg-type]
            for si, cs in enumerate(self._compiled)
        ]

    def entity_candidates(self) -> dict[str, list[int]]:
        """Per entity, the sorted indices of the values some spec of it may match."""
        if self.integer:
            lists: dict[str, list[int]] = {c.entity: [] for _, c in self._int_checks}
            for i, n in enumerate(self._sizes):
                if n is None:
                    continue
                for _, c in self._int_checks:
                    if c.fewest <= n <= c.most:
                        lists[c.entity].append(i)
            # Keys in the order a value first adds them (the checks' order per value).
            first = sorted(
                (found[0], k, entity) for k, (entity, found) in enumerate(lists.items()) if found
            )
            return {entity: lists[entity] for _, _, entity in first}
        sets: dict[str, set[int]] = {}
        for si, cands in enumerate(self._cands):
            sets.setdefault(self.spec_list[si].entity, set()).update(cands)
        return {e: sorted(c) for e, c in sets.items() if c}

    def pattern_hits(
        self, entity: str, indices: Iterable[int], limit: int | None = None
    ) -> list[int]:
        """Which of ``indices`` some spec of ``entity`` finds a non-empty match in.

        The regex only: no validator, no other entity (cheap). All of them in an integer
        column (its checks have no regex).

        :param limit: stop once more than ``limit`` hits are found: then only some
            ``limit + 1`` of them are returned (for a caller asking whether there are more).
        """
        wanted = set(indices)
        if self.integer:
            return sorted(wanted)
        if limit is None:
            limit = len(wanted)
        hits: set[int] = set()
        for si, cs in enumerate(self._compiled):
            if cs.spec.entity != entity:
                continue
            fullmatch, search, finditer = (
                cs.pattern.fullmatch,
                cs.pattern.search,
                cs.pattern.finditer,
            )
            whole_only = cs.spec.full_match_only
            for i in filter(wanted.__contains__, self._cands[si]):
                text = self.texts[i]
                if i in hits or text is None:
                    continue
                # A hit: the stripped value matches whole, or some match is non-empty. The
                # first match (search) decides the latter mostly; finditer only after an
                # empty first match (none at all: no later match either).
                first = None if whole_only else search(text)
                if first is None and not whole_only and not _blank_ends(text):
                    # No match anywhere, so none spanning the whole (unstripped) text.
                    continue
                if (first is not None and first.end() > first.start()) or (
                    fullmatch(text.strip()) is not None
                    or (first is not None and any(m.end() > m.start() for m in finditer(text)))
                ):
                    hits.add(i)
                    if len(hits) > limit:
                        return sorted(hits)
        return sorted(hits)

    def match(self, indices: Iterable[int] | None = None) -> None:
        """Match the values at ``indices`` (``None``: every value) not matched yet."""
        done = self._done
        if indices is None:
            wanted = None
        else:
            wanted = bytearray(len(self.texts))
            todo = [i for i in indices if not done[i]]
            for i in todo:
                wanted[i] = 1
        if self.integer:
            self._match_integers(wanted)
        else:
            self._match_strings(wanted)
        if wanted is None:
            self._done = bytearray(b"\x01" * len(self.texts))
        else:
            for i in todo:
                done[i] = 1
        self._order_cache = None

    def _match_strings(self, wanted: bytearray | None) -> None:
        texts, rules, per_value, first = self.texts, self.rules, self.per_value, self._first
        done, verdicts, matched = self._done, self._verdicts, self.entities_matched
        # 1 for the values to match now: ``wanted``, or every value not matched yet.
        todo = done.translate(_FLIP) if wanted is None else wanted
        # Per value, its stripped text, computed once for all its specs.
        shapes: dict[int, str] = {}
        for pos, si in enumerate(self._order):
            cs = self._compiled[si]
            entity = cs.spec.entity
            doms = rules.suppressors(entity)
            formatted = rules.formatted_only.get(entity, _NO_ENTITIES)
            fullmatch, finditer = cs.pattern.fullmatch, cs.pattern.finditer
            validator = cs.validator
            known_for = verdicts.setdefault(cs.spec.validator or "", {})
            whole_only = cs.spec.full_match_only
            # Why filter(): the candidates not to match now are skipped in C, not in this loop.
            for i in filter(todo.__getitem__, self._cands[si]):
                text = texts[i]
                if text is None:
                    continue
                stripped = shapes.get(i)
                if stripped is None:
                    stripped = shapes[i] = text.strip()
                earlier = per_value.get(i)
                found: list[_Match] = []
                if fullmatch(stripped) is not None:
                    # Leading blanks: none when strip removed nothing (the common case).
                    lead = 0 if len(text) == len(stripped) else len(text) - len(text.lstrip())
                    end = lead + len(stripped)
                    if earlier and _swallowed(earlier, entity, lead, end, doms, formatted):
                        self.blocked.setdefault(entity, set()).add(i)
                    else:
                        # The validator's verdict per matched text (see __init__), inlined:
                        # this runs once per candidate and spec.
                        ok = True
                        if validator is not None:
                            known = known_for.get(stripped)
                            if known is None:
                                known = known_for[stripped] = validator(stripped)
                            ok = known
                        found.append((entity, si, lead, end, ok, True, stripped))
                elif not whole_only:
                    lead = -1
                    for rm in finditer(text):
                        start, stop = rm.span()
                        if stop == start:
                            continue
                        if lead < 0:
                            lead = len(text) - len(text.lstrip())
                        if earlier and _swallowed(earlier, entity, start, stop, doms, formatted):
                            self.blocked.setdefault(entity, set()).add(i)
                            continue
                        sub = rm.group(0)
                        full = start == lead and stop == lead + len(stripped)
                        ok = True
                        if validator is not None:
                            known = known_for.get(sub)
                            if known is None:
                                known = known_for[sub] = validator(sub)
                            ok = known
                        found.append((entity, si, start, stop, ok, full, sub))
                if found:
                    if earlier is None:
                        per_value[i] = found
                        first[i] = pos
                    else:
                        earlier.extend(found)
                    matched.add(entity)

    def _match_integers(self, wanted: bytearray | None) -> None:
        checks, texts, sizes = self._int_checks, self.texts, self._sizes
        todo = self._done.translate(_FLIP) if wanted is None else wanted
        for i in filter(todo.__getitem__, range(len(texts))):
            n = sizes[i]
            if n is None:
                continue
            digits = _int_text(texts[i])  # type: ignore[arg-type]
            found: list[_Match] = []
            valid: set[str] = set()
            for si, c in checks:
                if not c.fewest <= n <= c.most or c.suppressed_by & valid:
                    continue
                text = c.padded(digits)
                ok = c.validate(text)
                if ok:
                    valid.add(c.entity)
                found.append((c.entity, si, 0, n, ok, True, text))
            if found:
                self.per_value[i] = found
                self._first[i] = 0
                self.entities_matched.update(m[0] for m in found)

    def tallies(
        self,
        keep: Mapping[str, Container[int]] | None = None,
        weights: Sequence[float] | None = None,
    ) -> dict[str, PatternTally]:
        """One tally per entity over the values matched so far.

        :param keep: per entity, the values whose matches count for it (an entity not named:
            every matched value).
        :param weights: per value, its weight (default: its count).
        """
        return self.tallies_many([keep], weights)[0]

    def tallies_many(
        self,
        keeps: Sequence[Mapping[str, Container[int]] | None],
        weights: Sequence[float] | None = None,
        named_only: Sequence[bool] | None = None,
    ) -> list[dict[str, PatternTally]]:
        """:meth:`tallies` for each of ``keeps``, in one pass over the matched values.

        :param keeps: per result, its ``keep`` (see :meth:`tallies`).
        :param weights: per value, its weight (default: its count).
        :param named_only: per result, whether an entity its ``keep`` does not name is left
            out (instead of counting every matched value); default: none is.
        :returns: per ``keep``, exactly what ``tallies(keep, weights)`` returns (only the
            named entities' tallies where ``named_only``).
        """
        counts = self.counts if weights is None else weights
        spec_list = self.spec_list
        # Per result: its accumulators, its keep, whether unnamed entities are left out.
        rules: list[tuple[dict[str, _Acc], Mapping[str, Container[int]] | None, bool]] = [
            ({}, keep, bool(named_only[k]) if named_only is not None else False)
            for k, keep in enumerate(keeps)
        ]
        for i in self._tally_order():
            groups = self._groups.get(i)
            if groups is None:
                groups = self._groups[i] = self._group(i)
            w = counts[i]
            for entity, ms, single in groups:
                for accs, keep, only in rules:
                    if keep is not None:
                        allowed = keep.get(entity)
                        if allowed is None:
                            if only:
                                continue
                        elif i not in allowed:
                            continue
                    acc = accs.get(entity)
                    if acc is None:
                        acc = accs[entity] = _Acc(entity)
                    if single is not None:
                        acc.add_one(single, w, spec_list)  # type: ignore[arg-type]
                    else:
                        acc.add(ms, w, spec_list)  # type: ignore[arg-type]
        return [
            {e: a.tally() for e, a in sorted(accs.items()) if a.checked} for accs, _, _ in rules
        ]

    def _tally_order(self) -> list[int]:
        """The matched values in the order a one-pass scan inserts them: by (first[i], i)."""
        order = self._order_cache
        if order is None:
            # Sorted by index, then stably by first spec (C-level keys).
            order = sorted(self.per_value)
            order.sort(key=self._first.__getitem__)
            self._order_cache = order
        return order

    def _group(self, i: int) -> list[tuple[str, list[_Match], _Match | None]]:
        """Value ``i``'s matches after conflict resolution, per entity (first seen first).

        The third item is the match itself when it is the value's only one (added alone).
        """
        matches = self.per_value[i]
        if len(matches) == 1:
            # The common case (one match in the value): no resolution, one entity.
            return [(matches[0][0], matches, matches[0])]
        if self.integer:
            # One match per entity (one check each), each added alone.
            return [(m[0], [m], m) for m in matches]
        resolved = _resolve(matches, self.rules)
        by_entity: dict[str, list[_Match]] = {}
        for m in resolved:
            by_entity.setdefault(m[0], []).append(m)
        return [(e, ms, None) for e, ms in by_entity.items()]


def scan_column(
    values: pa.Array | Sequence[str | None],
    counts: Sequence[int],
    specs: Sequence[PatternSpec] | CompiledSpecs = BUILTIN_PATTERNS,
    *,
    integer_column: bool = False,
    suppression: Suppression | None = None,
    candidates: Sequence[list[int] | None] | None = None,
) -> dict[str, PatternTally]:
    """Match ``specs`` against a column's distinct ``values``; one tally per entity found.

    :param values: the distinct values (string array or list; nulls are skipped).
    :param counts: occurrences of each value in the sample (the weights).
    :param specs: the patterns; specs of one entity merge into one tally (a value counts once
        per entity, the spec that validated most is named).
    :param integer_column: the values are decimal strings of integers: only the entities
        with an integer check (``EntitySpec.integer_pattern``: US_SSN, CREDIT_CARD,
        PHONE_NUMBER and the national identifiers written in digits) are checked, as whole
        values of the check's digit count, left-padded with the zeros an int drops (an SSN
        to 9 digits), for those of them ``specs`` contain.
    :param suppression: which validated matches swallow which (default: the built-ins'
        rules; entities they do not name are suppressed by a valid IBAN only).
    :param candidates: per spec, the indices of the values its prefilter flagged, as
        :func:`prefilter_columns` found them for the same ``values`` and ``specs`` (``None``:
        run the prefilters here).
    :returns: tallies keyed by entity, only for entities with at least one regex match left
        after conflict resolution.
    :raises ValueError: ``values`` and ``counts`` differ in length, ``candidates`` and the
        specs differ in number, or a spec is invalid (see :func:`compile_specs`).
    """
    scan = ColumnScan(
        values, counts, specs, integer_column=integer_column, suppression=suppression,
        candidates=candidates,
    )  # fmt: skip
    scan.match()
    return scan.tallies()


def _int_sizes(texts: Sequence[str | None]) -> list[int | None]:
    """:func:`_int_digits` of each of ``texts``.

    Why: an integer column's texts are mostly plain digit strings; when all are, one check
    of them joined decides, and each size is its length (no call per value).
    """
    if texts and None not in texts:
        joined = "".join(texts)  # type: ignore[arg-type]
        if joined.isascii() and joined.isdigit():
            return [n if _INT_FEWEST <= n <= _INT_MOST else None for n in map(len, texts)]  # type: ignore[arg-type]
    return [_int_digits(t) for t in texts]


def _int_digits(text: str | None) -> int | None:
    """The digit count of an integer value the integer checks look at, else ``None``."""
    if text is None:
        return None
    digits = _int_text(text)
    if not _INT_FEWEST <= len(digits) <= _INT_MOST or not (digits.isascii() and digits.isdigit()):
        return None
    return len(digits)


def _int_text(text: str) -> str:
    """An integer value's digits: stripped, without the ``+`` of a phone number."""
    return text.strip().removeprefix("+")


#: Pseudo-specs naming the integer-column checks in tallies (see EntitySpec.integer_pattern).
INTEGER_SPECS: Final[dict[str, PatternSpec]] = {
    s.name: s.integer_pattern for s in BUILTIN_ENTITIES if s.integer_pattern is not None
}
