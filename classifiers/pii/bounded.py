"""Bounded pattern evidence (issue 17): match a deterministic subset, stop once decided.

In a column that really holds an entity every distinct value is a candidate of its specs,
and matching plus validating all of them is most of the pattern layer's cost. Here the
values are matched in rounds instead:

- the **head** (the most repeated values, at most :data:`HEAD`) and every candidate of an
  entity with at most :data:`EXHAUSTIVE` candidates are always matched, so rare entities
  (sparse findings) are counted exactly;
- the other candidates (the **rest**) are ordered by a hash of their text (CRC-32), which
  makes the subset a fixed pseudo-random sample, the same whatever the order of the values;
  round *k* matches the first :data:`ROUNDS` [*k*] of them;
- after each round each sampled entity's counts are estimated (exact head + rest scaled by
  weight) together with a Wilson interval at :data:`Z`; the caller's decision is taken on
  the estimate and on the interval's ends (all low, all high, and one entity against the
  others). When every variant gives the same decision (entities, rules, confidences as
  reported) the estimate is returned; otherwise the next round runs, and after the last
  every value is matched (the exact one-pass tallies);
- an entity the sample never matched runs its regex alone over the rest of its candidates:
  up to :data:`EXHAUSTIVE` hits are matched in full (its tally is then exact, sparse
  findings included); more hits, all unseen in the sample, are matches another entity
  swallows (phone digits inside IP addresses): it is taken as absent.

A value is always matched by all its specs at once, so conflicts between entities on one
value resolve as in a full scan. Pure: no I/O, no logging.
"""

from __future__ import annotations

import bisect
import itertools
import zlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from classifiers.pii.decide import wilson_z
from classifiers.pii.patterns import ColumnScan, PatternTally

#: Most repeated values always matched exactly (only values seen at least twice).
HEAD = 32
#: An entity with at most this many candidate values is matched on all of them.
EXHAUSTIVE = 160
#: Cumulative sizes of the hash-ordered sample of the rest, per round.
ROUNDS = (96, 224, 480)
#: Normal quantile of the intervals (about 99.7% two-sided): the decision is tested after
#: several rounds and on several quantities, so each interval is wider than 95%.
Z = 3.0

Decide = Callable[[Mapping[str, PatternTally]], Hashable]


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What :func:`bounded_tallies` did (for benchmarks and tests; no values).

    :param matched: distinct values matched (head, exhaustive candidates, sample).
    :param candidates: distinct values some spec flagged.
    :param rounds: sampling rounds run (0: the column was scanned whole at once).
    :param exact: the tallies are the one-pass tallies (no estimate).
    :param estimated: per entity whose returned tally is an estimate, ``(matched,
        candidates)``: how many of its candidate distinct values were matched, of how many.
        Empty when ``exact``; also empty when only an entity the sample never matched was
        taken as absent (every returned tally then holds all its values).
    """

    matched: int
    candidates: int
    rounds: int
    exact: bool
    estimated: Mapping[str, tuple[int, int]] = field(default_factory=dict)


def _head(indices: list[int], counts: list[int] | tuple[int, ...]) -> set[int]:
    """The values counted at least ``c >= 2`` times, for the smallest ``c`` keeping <= HEAD.

    Chosen by count alone, so the same values whatever their order.
    """
    repeated = sorted((counts[i] for i in indices if counts[i] >= 2), reverse=True)
    if not repeated:
        return set()
    floor = repeated[HEAD] + 1 if len(repeated) > HEAD else 2
    return {i for i in indices if counts[i] >= floor}


def _hash_order(indices: list[int], texts: Sequence[str | None]) -> list[int]:
    """``indices`` (ascending) ordered by (CRC-32 of the UTF-8 text, text), then index.

    Why: a stable numpy sort of the CRC-32s (ties keep the ascending indices) is several
    times cheaper than sorting (crc, text, index) tuples; the rare runs of equal CRC-32 are
    re-sorted by (text, index) afterwards, so the order is the tuples' order.
    """
    if not indices:
        return []
    crcs = np.fromiter(
        (zlib.crc32((texts[i] or "").encode("utf-8", "surrogatepass")) for i in indices),
        np.uint32,
        len(indices),
    )
    perm = np.argsort(crcs, kind="stable")
    order: list[int] = np.asarray(indices, dtype=np.int64)[perm].tolist()
    ranked = crcs[perm]
    if not (ranked[1:] == ranked[:-1]).any():
        return order
    keys = ranked.tolist()
    n, start = len(order), 0
    while start < n:
        end = start + 1
        while end < n and keys[end] == keys[start]:
            end += 1
        if end - start > 1:
            order[start:end] = sorted(order[start:end], key=lambda i: (texts[i] or "", i))
        start = end
    return order


def _int_counts(counts: Sequence[int]) -> np.ndarray | None:
    """``counts`` as int64 when every sum of them and of their squares fits, else ``None``.

    Why: weights summed in numpy equal Python's sums exactly only for integers that cannot
    overflow; float (or huge) counts keep the Python sums.
    """
    arr = np.asarray(counts)
    if arr.dtype.kind not in "iu" or len(arr) == 0:
        return None
    top = max(abs(int(arr.max())), abs(int(arr.min())))
    if top**2 * len(arr) >= 2**62:
        return None
    return arr.astype(np.int64, copy=False)


def _bounds(x: float, w: float, n_eff: float) -> tuple[float, float]:
    """Interval of a per-unit rate ``x / w`` (may exceed 1: several matches in a value)."""
    r = x / w if w else 0.0
    if r <= 1:
        return wilson_z(r, n_eff, Z)
    low = wilson_z(1.0, n_eff, Z)[0]
    return r * low, r / max(low, 1e-9)


@dataclass(slots=True)
class _Stratum:
    """One sampled entity's rest: all its rest candidates and the sampled ones."""

    entity: str
    rest: list[int]
    weight: float = 0.0  # weight of all rest candidates
    sampled: set[int] | None = None
    s_weight: float = 0.0
    s_units: int = 0
    n_eff: float = 0.0


_FIELDS = ("full", "contained", "validated", "checked")


def _estimate(
    exact: PatternTally | None,
    sample: PatternTally | None,
    st: _Stratum,
    side: str,
    examples: list[str],
    unseen_absent: bool = False,
) -> PatternTally | None:
    """Exact part + the rest scaled (``side``: ``point``, ``low`` or ``high``).

    With no match seen, the high side still assumes as many matches in the rest as the
    interval allows (a few validated values there could make a sparse finding), unless
    ``unseen_absent``.
    """
    if exact is None and sample is None and (side != "high" or unseen_absent):
        return None
    e = exact or PatternTally(st.entity, "")
    s = sample or PatternTally(st.entity, "")
    scale = st.weight / st.s_weight if st.s_weight else 0.0
    values: dict[str, float] = {}
    for name in _FIELDS:
        x = float(getattr(s, name))
        if side == "point":
            rest = x * scale
        else:
            low, high = _bounds(x, st.s_weight, st.n_eff)
            rest = st.weight * (low if side == "low" else high)
        values[name] = getattr(e, name) + rest
    # Keep the variant consistent: full <= contained, validated <= checked.
    values["full"] = min(values["full"], values["contained"])
    if side == "high":
        values["checked"] = max(values["checked"], values["validated"])
    else:
        values["validated"] = min(values["validated"], values["checked"])
    unit_scale = len(st.rest) / st.s_units if st.s_units else 0.0
    weights: dict[str, float] = dict(e.spec_weights)
    for name, w in s.spec_weights.items():
        weights[name] = weights.get(name, 0.0) + w * scale
    spec = max(weights.items(), key=lambda kv: kv[1], default=("", 0.0))[0]
    e_score = e.score * e.contained
    s_score = s.score * s.contained * scale
    contained = e.contained + s.contained * scale
    checked = round(values["checked"])
    if not checked and not (exact and exact.checked) and not (sample and sample.checked):
        return None
    return PatternTally(
        entity=st.entity,
        spec=spec,
        full=round(values["full"]),
        contained=round(values["contained"]),
        validated=round(values["validated"]),
        checked=max(checked, 1),
        distinct_full=round(e.distinct_full + s.distinct_full * unit_scale),
        example_values=examples,
        score=(e_score + s_score) / contained if contained else 0.0,
        distinct_contained=round(e.distinct_contained + s.distinct_contained * unit_scale),
        spec_weights=weights,
    )


def _spec_decided(exact: PatternTally | None, sample: PatternTally | None, st: _Stratum) -> bool:
    """Whether the spec named in the tally (the one validating most) is clear of the others."""
    e = exact.spec_weights if exact else {}
    s = sample.spec_weights if sample else {}
    names = set(e) | set(s)
    if len(names) <= 1:
        return True
    scale = st.weight / st.s_weight if st.s_weight else 0.0
    total = {k: e.get(k, 0.0) + s.get(k, 0.0) * scale for k in names}
    ranked = sorted(total.values(), reverse=True)
    share = ranked[0] / sum(ranked) if sum(ranked) else 1.0
    return wilson_z(share, st.n_eff, Z)[0] > 0.5


def bounded_tallies(
    scan: ColumnScan,
    decide: Decide,
    exact_entities: frozenset[str] = frozenset(),
) -> tuple[dict[str, PatternTally], ScanOutcome]:
    """The column's tallies, estimated from a subset of its values when that decides.

    :param scan: a fresh :class:`~classifiers.pii.patterns.ColumnScan` of the column.
    :param decide: the caller's decision on tallies, as a comparable value (equal values:
        the same findings).
    :param exact_entities: entities never estimated (their candidates are all matched).
    :returns: the tallies (estimated, or exactly those of :func:`scan_column`) and what was
        done.
    """
    per_entity = scan.entity_candidates()
    union = sorted(set().union(*per_entity.values()))
    counts = scan.counts
    big = {e: c for e, c in per_entity.items() if len(c) > EXHAUSTIVE and e not in exact_entities}
    if not big or len(union) <= HEAD + ROUNDS[0] + EXHAUSTIVE // 2:
        scan.match()
        return scan.tallies(), ScanOutcome(len(union), len(union), 0, True)
    head = _head(union, counts)  # type: ignore[arg-type]
    always = set(head)
    for e, c in per_entity.items():
        if e not in big:
            always.update(c)
    texts = scan.texts
    rest_order = _hash_order(list(itertools.filterfalse(head.__contains__, union)), texts)
    strata = {}
    # Per sampled entity, its rest's ranks (ascending) and its head candidates: a round's
    # sample is a prefix of ``rest_order``, so of each stratum's rest too.
    rest_ranks: dict[str, list[int]] = {}
    keep_head: dict[str, set[int]] = {}
    # Per stratum, its rest's counts in its order (None: Python sums, see _int_counts).
    int_counts = _int_counts(counts)  # type: ignore[arg-type]
    rest_counts: dict[str, np.ndarray] = {}
    order_arr = np.asarray(rest_order, dtype=np.int64)
    for e, c in big.items():
        # Its candidates not in the head, in ``rest_order`` (a mask, not a sort).
        member = np.zeros(len(texts), dtype=bool)
        member[c] = True
        ranks = np.flatnonzero(member[order_arr])
        rest_idx = order_arr[ranks]
        rest = rest_idx.tolist()
        if int_counts is not None:
            rest_counts[e] = int_counts[rest_idx]
            weight = float(rest_counts[e].sum())
        else:
            weight = float(sum(counts[i] for i in rest))
        strata[e] = _Stratum(e, rest, weight)
        rest_ranks[e] = ranks.tolist()
        keep_head[e] = head.intersection(c)
    matched: set[int] = set()
    assumed = False
    for k, size in enumerate(ROUNDS, start=1):
        if size >= len(rest_order):
            break
        sample = set(rest_order[:size])
        todo = (always | sample) - matched
        scan.match(todo)
        matched |= todo
        # An entity the sample never matched may still hide a few valid values (a sparse
        # finding): its pattern alone (no validator, no other spec) runs over the rest of
        # its candidates; when it matches only a few, they are matched in full and the
        # entity's tally is exact. When it matches many, the sample saw its matches all
        # swallowed by another entity's (digits inside IP addresses): taken as absent.
        for e, st in list(strata.items()):
            # Only matched values are in per_value, and a match of ``e`` only in a candidate
            # of ``e``: the sample matched ``e`` iff it is among the scan's matched entities.
            if e in scan.entities_matched:
                continue
            # More than EXHAUSTIVE hits: taken as absent, whichever they are.
            hits = scan.pattern_hits(e, set(st.rest).difference(matched), EXHAUSTIVE)
            if len(hits) <= EXHAUSTIVE:
                scan.match(hits)
                matched.update(hits)
                always.update(hits)
            else:
                assumed = True
            del strata[e]
        if not strata:
            return scan.tallies(), ScanOutcome(len(matched), len(union), k, not assumed)
        keep_exact: dict[str, set[int]] = {}
        keep_sample: dict[str, set[int]] = {}
        for e, st in strata.items():
            # The rest's values ranked below ``size``, inserted in the rest's order.
            taken = bisect.bisect_left(rest_ranks[e], size)
            st.sampled = set(st.rest[:taken])
            st.s_units = len(st.sampled)
            if e in rest_counts:
                sampled_counts = rest_counts[e][:taken]
                st.s_weight = float(sampled_counts.sum())
                squares = int((sampled_counts * sampled_counts).sum())
            else:
                st.s_weight = float(sum(counts[i] for i in st.sampled))
                squares = sum(counts[i] ** 2 for i in st.sampled)
            st.n_eff = st.s_weight**2 / squares if squares else 0.0
            keep_exact[e] = keep_head[e]
            keep_sample[e] = st.sampled
        both = {e: keep_exact[e] | keep_sample[e] for e in strata}
        # Entities not sampled count every matched value in ``whole``: they were all
        # matched. The parts are read for the sampled entities only (named_only).
        whole, exact_part, sample_part = scan.tallies_many(
            [both, keep_exact, keep_sample], named_only=(False, True, True)
        )
        variants = _variants(whole, exact_part, sample_part, strata, scan.blocked)
        if variants is None:
            continue
        point = variants[0]
        reference = decide(point)
        if all(decide(v) == reference for v in variants[1:]):
            # The estimated entities: the others' candidates were all matched (exact).
            estimated = {
                e: (len(matched.intersection(per_entity[e])), len(per_entity[e]))
                for e in sorted(strata)
                if e in point
            }
            return point, ScanOutcome(len(matched), len(union), k, False, estimated)
    scan.match()
    return scan.tallies(), ScanOutcome(len(union), len(union), len(ROUNDS), True)


def _variants(
    whole: dict[str, PatternTally],
    exact_part: dict[str, PatternTally],
    sample_part: dict[str, PatternTally],
    strata: dict[str, _Stratum],
    blocked: Mapping[str, set[int]],
) -> list[dict[str, PatternTally]] | None:
    """Point estimate first, then the interval ends; ``None`` when not yet decidable.

    An entity with no match in the sample is taken as absent when every sampled candidate
    of it was swallowed by another entity's validated match (card digits inside the IBANs
    of an IBAN column); otherwise its high end allows the matches its interval allows.
    """
    sides: list[dict[str, str]] = [
        {e: "point" for e in strata},
        {e: "low" for e in strata},
        {e: "high" for e in strata},
    ]
    if len(strata) > 1:
        for e in strata:
            sides.append({o: ("high" if o == e else "low") for o in strata})
            sides.append({o: ("low" if o == e else "high") for o in strata})
    for e, st in strata.items():
        if st.s_units == 0 or not _spec_decided(exact_part.get(e), sample_part.get(e), st):
            return None
    # Why memoised: the variants combine each entity's three sides (point, low, high), and
    # an estimate depends only on its entity and side.
    memo: dict[tuple[str, str], PatternTally | None] = {}
    out: list[dict[str, PatternTally]] = []
    for side in sides:
        tallies = {e: t for e, t in whole.items() if e not in strata}
        for e, st in strata.items():
            key = (e, side[e])
            if key in memo:
                t = memo[key]
            else:
                examples = list(whole[e].example_values) if e in whole else []
                absent = (
                    st.sampled is not None
                    and bool(st.sampled)
                    and st.sampled <= blocked.get(e, set())
                )
                t = memo[key] = _estimate(
                    exact_part.get(e), sample_part.get(e), st, side[e], examples, absent
                )
            if t is not None:
                tallies[e] = t
        out.append(dict(sorted(tallies.items())))
    return out
