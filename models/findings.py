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
    :param prevalence_interval: 95% Wilson interval of the prevalence, ``(low, high)``.
    :param validator_pass_rate: share of pattern matches that passed the format's validator
        (check digit, mod-97 ...), when the entity has one.
    :param type_signal: what the column's type and shape said (``"int64 identifier-like"``,
        ``"date, ages 18-90"``, ``"free text"`` ...), if it mattered.
    :param distinct_ratio: distinct non-null values / non-null values in the sample.
    :param sparse: the entity occurs in only a small share of values (reported, not inflated).
    :param neighbours: names of sibling columns whose findings supported this one.
    :param rule: the decision rule that set the confidence (``pattern.dense.name``,
        ``ner.name_strong`` ...; see :mod:`classifiers.pii.decide`), as Presidio's
        ``AnalysisExplanation`` names its pattern; ``None`` when not recorded (older data,
        other classifiers).
    :param estimated: ``hits``, ``distinct_hits``, the prevalence (the finding's and
        ``prevalence_interval``), ``validator_pass_rate`` and ``masked_examples`` are
        estimates from a subset of the column's distinct values, not counts
        (``pii.estimate_counts``, :mod:`classifiers.pii.bounded`): the entity, rule and
        confidence are those of a full count, the numbers may be a few points off (up to
        about 0.08 in share). ``False``: every value was looked at (and for findings written
        before the field existed).
    :param matched_distinct: when ``estimated``, how many of the entity's candidate distinct
        values were matched; else ``None``.
    :param candidate_distinct: when ``estimated``, how many distinct values were candidates
        of the entity (flagged by one of its patterns' prefilters); else ``None``.
    """

    sampled: int
    hits: int
    distinct_hits: int
    mean_score: float
    recognizers: tuple[str, ...] = ()
    masked_examples: tuple[str, ...] = ()
    name_signal: str | None = None
    prevalence_interval: tuple[float, float] | None = None
    validator_pass_rate: float | None = None
    type_signal: str | None = None
    distinct_ratio: float | None = None
    sparse: bool = False
    neighbours: tuple[str, ...] = ()
    rule: str | None = None
    estimated: bool = False
    matched_distinct: int | None = None
    candidate_distinct: int | None = None

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
            "prevalence_interval": (
                [round(x, 4) for x in self.prevalence_interval]
                if self.prevalence_interval is not None
                else None
            ),
            "validator_pass_rate": (
                round(self.validator_pass_rate, 4) if self.validator_pass_rate is not None else None
            ),
            "type_signal": self.type_signal,
            "distinct_ratio": (
                round(self.distinct_ratio, 4) if self.distinct_ratio is not None else None
            ),
            "sparse": self.sparse,
            "neighbours": list(self.neighbours),
            "rule": self.rule,
            "estimated": self.estimated,
            "matched_distinct": self.matched_distinct,
            "candidate_distinct": self.candidate_distinct,
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
class LabelScore:
    """A label (business type, dataset category) with its confidence in 0..1.

    :param words_agree: for a dataset's top category only: whether the table's words alone
        (its path and column names) point to the same category; ``None``: not asked.
    :param values_agree: for a dataset's top category only, when the values contradict one
        of the column names: whether the values alone (the model pair for names that say
        nothing) still give the category some weight; ``None``: not asked.
    """

    label: str
    confidence: float
    words_agree: bool | None = None
    values_agree: bool | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form used in reports (``words_agree``, ``values_agree`` when known)."""
        out: dict[str, object] = {"label": self.label, "confidence": round(self.confidence, 4)}
        if self.words_agree is not None:
            out["words_agree"] = self.words_agree
        if self.values_agree is not None:
            out["values_agree"] = self.values_agree
        return out


@dataclass(frozen=True, slots=True)
class ColumnFinding:
    """Everything the classifiers concluded about one column.

    :param entities: every entity the system would apply or suggest, strongest first.
    :param warnings: per-column problems (a classifier that failed on this column ...).
    :param business_type: what the column holds in business terms (``amount``, ``country``
        ...), when a business classifier ran.
    :param description: a one-line, value-free description of the column.
    """

    column: str
    data_type: str
    entities: tuple[EntityFinding, ...] = ()
    warnings: tuple[str, ...] = ()
    business_type: LabelScore | None = None
    description: str | None = None
