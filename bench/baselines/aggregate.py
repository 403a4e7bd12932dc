"""From recogniser hits on single values to entity findings for a whole column (Presidio baseline).

Benchmark-only: :class:`~bench.baselines.presidio_classifier.PresidioPiiClassifier` uses it.
Pure functions over plain data: nothing here imports Presidio or spaCy, so the arithmetic is
unit-tested without a model. The classifier feeds in the distinct values it analysed (with how
often each occurred in the sample) and the hits found in each.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from classifiers.masking import mask_value
from models import EntityFinding, Evidence

#: Prevalence from which a column counts as fully supporting an entity in :func:`confidence`.
#: Below it, confidence is scaled down linearly to half the mean score.
FULL_SUPPORT_PREVALENCE = 0.6

#: How many distinct masked examples an :class:`~models.Evidence` carries.
MAX_MASKED_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Hit:
    """One recognised span in one value, with the entity already in our vocabulary.

    :param start: offset of the first character of the span in the value.
    :param end: offset after the last character of the span.
    :param score: recogniser score in 0..1.
    :param recognizer: name of the recogniser that produced the span.
    """

    entity: str
    start: int
    end: int
    score: float
    recognizer: str

    def contains(self, other: Hit) -> bool:
        """``True`` when ``other``'s span lies within this span (equal spans included)."""
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, slots=True)
class WeightedValue:
    """A distinct rendered value and how many sampled cells held it."""

    text: str
    count: int


def _stable_key(text: str) -> bytes:
    # A keyed-by-nothing digest rather than ``hash()``: Python salts ``hash`` per process, and the
    # selection must be reproducible across runs and workers.
    return hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=8).digest()


def select_values(texts: Iterable[str], max_distinct: int) -> list[WeightedValue]:
    """Count distinct values and keep at most ``max_distinct`` of them, deterministically.

    The most frequent values come first; ties are ordered by a stable digest of the text rather
    than alphabetically, so that a column of unique values is represented by a spread of values
    instead of those starting with ``"a"``. The same input always gives the same selection.

    :raises ValueError: ``max_distinct`` is smaller than 1.
    """
    if max_distinct < 1:
        raise ValueError("max_distinct must be at least 1")
    counts = Counter(texts)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], _stable_key(item[0]), item[0]))
    return [WeightedValue(text, count) for text, count in ordered[:max_distinct]]


def resolve_overlaps(hits: Iterable[Hit], min_score: float) -> list[Hit]:
    """Keep the hits of one value that count, ordered by position.

    A hit scoring below ``min_score`` is dropped. A hit whose span lies inside the span of a hit
    of *another* entity is dropped when that other hit scores at least as high, unless both spans
    are identical with equal scores (then the value is genuinely ambiguous and both stay). This
    removes, for example, the URL that Presidio finds in the domain part of every email address.
    """
    kept = [h for h in hits if h.score >= min_score]
    result = []
    for hit in kept:
        shadowed = any(
            other.entity != hit.entity
            and other.contains(hit)
            and (
                other.score > hit.score
                or (other.score == hit.score and (other.start, other.end) != (hit.start, hit.end))
            )
            for other in kept
        )
        if not shadowed:
            result.append(hit)
    return sorted(result, key=lambda h: (h.start, h.end, h.entity, -h.score))


def confidence(mean_score: float, prevalence: float) -> float:
    """Combine recogniser certainty and column coverage into one number in 0..1.

    ``confidence = mean_score * (0.5 + 0.5 * min(1, prevalence / FULL_SUPPORT_PREVALENCE))``,
    rounded to 3 decimals: a column where at least 60 % of the values hit keeps the full mean
    score; a column where the entity is rare keeps at least half of it.
    """
    support = min(1.0, max(0.0, prevalence) / FULL_SUPPORT_PREVALENCE)
    value = max(0.0, min(1.0, mean_score)) * (0.5 + 0.5 * support)
    return round(value, 3)


@dataclass(slots=True)
class _EntityTally:
    weight: int = 0
    distinct: int = 0
    score_sum: float = 0.0
    recognizers: set[str] = field(default_factory=set)
    masks: list[str] = field(default_factory=list)


def aggregate_column(
    values: Sequence[WeightedValue],
    hits: Sequence[Sequence[Hit]],
    *,
    min_score: float,
    min_prevalence: float,
    classifier: str,
    name_signals: Mapping[str, str] | None = None,
) -> tuple[EntityFinding, ...]:
    """Turn per-value hits into the column's entity findings, strongest first.

    :param values: the analysed distinct values with their counts.
    :param hits: ``hits[i]`` are the raw hits found in ``values[i]`` (any order, overlaps
        allowed); they pass through :func:`resolve_overlaps` here.
    :param min_score: hits scoring below this are ignored.
    :param min_prevalence: an entity is reported when the weighted share of analysed values with
        at least one hit of it reaches this.
    :param classifier: name recorded in each finding.
    :param name_signals: per entity, the column-name keyword that supported it (evidence only).
    :returns: findings sorted by confidence, then prevalence, then entity name. ``sampled`` in the
        evidence is the number of analysed cells (the sum of ``values``' counts); ``hits`` and
        ``mean_score`` are weighted by counts too. Masked examples mask the matched span, never
        the whole value, and never carry an original letter or digit.
    :raises ValueError: ``values`` and ``hits`` differ in length.
    """
    if len(values) != len(hits):
        raise ValueError("values and hits must have the same length")
    sampled = sum(v.count for v in values)
    if sampled == 0:
        return ()
    tallies: dict[str, _EntityTally] = {}
    for value, value_hits in zip(values, hits, strict=True):
        best: dict[str, Hit] = {}
        fired: dict[str, set[str]] = {}
        for hit in resolve_overlaps(value_hits, min_score):
            fired.setdefault(hit.entity, set()).add(hit.recognizer)
            if hit.entity not in best or hit.score > best[hit.entity].score:
                best[hit.entity] = hit
        for entity, hit in best.items():
            tally = tallies.setdefault(entity, _EntityTally())
            tally.weight += value.count
            tally.distinct += 1
            tally.score_sum += hit.score * value.count
            tally.recognizers |= fired[entity]
            mask = mask_value(value.text[hit.start : hit.end])
            if len(tally.masks) < MAX_MASKED_EXAMPLES and mask not in tally.masks:
                tally.masks.append(mask)

    signals = name_signals or {}
    findings = []
    for entity, tally in tallies.items():
        prevalence = tally.weight / sampled
        if prevalence < min_prevalence:
            continue
        mean_score = tally.score_sum / tally.weight
        evidence = Evidence(
            sampled=sampled,
            hits=tally.weight,
            distinct_hits=tally.distinct,
            mean_score=round(mean_score, 4),
            recognizers=tuple(sorted(tally.recognizers)),
            masked_examples=tuple(tally.masks),
            name_signal=signals.get(entity),
        )
        findings.append(
            EntityFinding(
                entity=entity,
                confidence=confidence(mean_score, prevalence),
                prevalence=round(prevalence, 4),
                evidence=evidence,
                classifier=classifier,
            )
        )
    findings.sort(key=lambda f: (-f.confidence, -f.prevalence, f.entity))
    return tuple(findings)
