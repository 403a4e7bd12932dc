"""What classifiers conclude about columns. Evidence is counts, shares and masked examples only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an entity was found in a column, without any raw value.

    :param sampled: values looked at (non-null, after de-duplication weights are applied).
    :param hits: values in which the entity was recognised.
    :param distinct_hits: distinct values in which it was recognised.
    :param mean_score: mean recogniser score over the hits.
    :param recognizers: names of the recognisers that fired.
    :param masked_examples: shape-masked examples (``Xxxx@xxxx.xxx``); never raw values.
    :param name_signal: the column-name keyword that supported the entity, if any.
    """

    sampled: int
    hits: int
    distinct_hits: int
    mean_score: float
    recognizers: tuple[str, ...] = ()
    masked_examples: tuple[str, ...] = ()
    name_signal: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form used in reports."""
        return {
            "sampled": self.sampled,
            "hits": self.hits,
            "distinct_hits": self.distinct_hits,
            "mean_score": round(self.mean_score, 4),
            "recognizers": list(self.recognizers),
            "masked_examples": list(self.masked_examples),
            "name_signal": self.name_signal,
        }


@dataclass(frozen=True, slots=True)
class EntityFinding:
    """One entity in one column.

    :param confidence: 0..1, how sure the classifier is that the column holds the entity.
    :param prevalence: share of non-null sampled values in which the entity was recognised.
    """

    entity: str
    confidence: float
    prevalence: float
    evidence: Evidence
    classifier: str = ""


@dataclass(frozen=True, slots=True)
class ColumnFinding:
    """Everything the classifiers concluded about one column.

    :param entities: every entity the system would apply or suggest, strongest first.
    :param warnings: per-column problems (a classifier that failed on this column ...).
    """

    column: str
    data_type: str
    entities: tuple[EntityFinding, ...] = ()
    warnings: tuple[str, ...] = ()
