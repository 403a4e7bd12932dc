"""What a scan applies and what it suggests, respecting stewards' decisions (pure, no I/O).

:func:`review_outcome` is the one place that turns an object's findings into applied tags and
suggestions under the write policy:

* ``auto``: findings at or above their entity's threshold (and not sparse) are applied, the
  rest become suggestions; ``suggest``: everything is a suggestion; ``off``: nothing;
* an approved (or applied) decision applies its tag whatever the new confidence, and keeps
  applying it when a later scan no longer finds it: a person decided;
* a rejected one is neither applied nor suggested again for that column, unless the evidence
  changed materially (:func:`material_change`): then it comes back as a new pending
  suggestion, never as an applied tag;
* decisions made in Atlan itself (a person removed or added one of s3-enricher's tags) are
  object-level decisions (``column`` ``None``) and cover every column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models import EnrichmentResult, EntityFinding, TableSample
from models.plan import Suggestion
from models.review import Decision, DecisionKey, SuggestionState
from worker.core.settings import AtlanSettings, ReviewSettings

#: Why no category is applied without a steward when the model's manifest has no threshold.
NO_THRESHOLD_REASON = (
    "no probability threshold reached 95% precision on real tables held out by source"
)


#: Why a category read from the values alone waits for a steward.
VALUES_ONLY_REASON = (
    "no category is applied from the values alone (the apply thresholds were chosen on tables"
    " with telling names): a steward confirms it"
)
#: The share of column names that say nothing from which a category counts as read from the
#: values alone (the model then weighs its values-only pair at least as much as the other).
VALUES_ONLY_SHARE = 0.5

#: Why a category whose column names the values contradict waits for a steward.
NAMES_CONTRADICTED_REASON = (
    "the values contradict column names ({names}): the names may come from another table,"
    " and the category rests on them, so a steward confirms it"
)
#: The same for one contradicted name, when the values alone point elsewhere.
NAME_CONTRADICTED_REASON = (
    "the values contradict the column name {names}, and read alone they point elsewhere:"
    " the names may come from another table, so a steward confirms the category"
)


def category_threshold(
    result: EnrichmentResult | None = None,
    words_agree: bool | None = None,
    values_only: bool = False,
    names_contradicted: bool = False,
) -> float | None:
    """The probability at or above which ``result``'s top category is applied, or ``None``.

    The threshold is the business model's (its manifest's ``category_apply_threshold``,
    chosen at train time so that applied categories are right >= 95% of the time on real
    tables); ``None`` means no category is applied automatically. A top category that the
    table's words alone do not point to (``words_agree`` false), or with no result to tell,
    gets the manifest's stricter ``category_apply_threshold_words_disagree``. A result
    records the model version that categorised it; without one, the bundled model's
    thresholds are used, ``words_agree`` choosing between them (a dataset verdict's).
    When at least half of the column names say nothing (:func:`from_values_alone` of ``result``,
    or ``values_only`` as a dataset verdict records it), ``None``: such a category was read
    from the values alone by a model pair whose probabilities no real table calibrated (right
    on 15% of the real tables with their names hidden, bench/README.md), so it is never
    applied without a steward. ``None`` too when the values contradict enough of the column
    names (:func:`contradicted_names` of ``result``, or ``names_contradicted`` as a dataset
    verdict records it): the model believes names, and these may be another table's.
    Side effects: the first call reads the bundled model's manifest (once per process).
    """
    from classifiers.business.model import category_apply_threshold

    if values_only or (result is not None and from_values_alone(result)):
        return None
    if names_contradicted or (result is not None and contradicted_names(result)):
        return None
    recorded = result.classifier_versions.get("business") if result is not None else None
    version = recorded.partition("model=")[2] or None if recorded else None
    top = result.categories[0] if result is not None and result.categories else None
    return category_apply_threshold(version, top.words_agree if top is not None else words_agree)


def category_applies(confidence: float, threshold: float | None) -> bool:
    """``True`` when a category at ``confidence`` is a fact, not a suggestion. Pure."""
    return threshold is not None and confidence >= threshold


#: Why a category sure enough to apply still waits for a steward.
SUGGEST_POLICY_REASON = "write policy is suggest"


def category_applied(confidence: float, threshold: float | None, write_policy: str) -> bool:
    """Whether a category at ``confidence`` is written as applied. Pure.

    It must be sure (:func:`category_applies`) and the policy ``auto``: under ``suggest``
    every category waits for a steward.
    """
    return write_policy == "auto" and category_applies(confidence, threshold)


def category_decision(result: EnrichmentResult) -> dict[str, Any] | None:
    """What the policy does with ``result``'s categories, for the report; ``None``: none.

    ``decision`` is ``applied`` or ``review`` (a steward confirms one of ``top``, the three
    most likely categories); ``threshold`` is the model's (``None``: never applied).
    Steward decisions and the write policy are not considered here (under the ``suggest``
    policy an ``applied`` category still waits for a steward: :func:`review_outcome`).
    """
    if not result.categories:
        return None
    threshold = category_threshold(result)
    top = result.categories[0]
    applied = category_applies(top.confidence, threshold)
    return {
        "decision": "applied" if applied else "review",
        "threshold": threshold,
        "reason": _category_reason(top.confidence, threshold, applied, result) + _notes(result),
        "top": _top_three(result),
    }


def compared(value: float, limit: float) -> tuple[str, str]:
    """``value`` and ``limit`` as text, with the fewest decimals (2 to 4) that tell them apart.

    A reason must never read "0.98 below 0.98" (0.98 against a threshold of 0.985). Pure.
    """
    shown = (f"{value:.2f}", f"{limit:.2f}")
    for digits in (3, 4):
        if shown[0] != shown[1] or value == limit:
            break
        shown = (f"{value:.{digits}f}", f"{limit:.{digits}f}")
    return shown


def _top_three(result: EnrichmentResult) -> list[dict[str, object]]:
    """The three most likely categories of ``result`` as the report and a suggestion show them."""
    return [c.to_dict() for c in result.categories[:3]]


def _notes(result: EnrichmentResult) -> str:
    """What a category's reason adds: which threshold the words chose, names that say nothing."""
    return _words_note(result) + _names_note(result)


def _words_note(result: EnrichmentResult) -> str:
    """Which of the model's two thresholds applied, when the classifier said (else ``""``)."""
    agree = result.categories[0].words_agree if result.categories else None
    if agree is None:
        return ""
    if agree:
        return "; the table's words alone point to it too"
    return "; the table's words alone point elsewhere"


def _hidden_names_share(result: EnrichmentResult) -> float:
    """The share of ``result``'s column names that say nothing, as the model weighed them.

    With the sample at hand, as the model mixed its pairs (row numbers left out); else from
    the column names alone. Pure apart from a cache.
    """
    if result.sample is not None and result.sample.columns:
        return _sample_share(result.sample)
    from classifiers.business.features import opaque_name

    names = [c.column for c in result.columns]
    return sum(1 for n in names if opaque_name(n)) / len(names) if names else 0.0


def _sample_share(sample: TableSample) -> float:
    from classifiers.business.features import hidden_share, opaque_names

    return hidden_share(sample, opaque_names(sample))


def from_values_alone(result: EnrichmentResult) -> bool:
    """Whether ``result``'s category was read from its values alone.

    At least half of its column names say nothing (:data:`VALUES_ONLY_SHARE`). Pure apart
    from a cache.
    """
    return _hidden_names_share(result) >= VALUES_ONLY_SHARE


def contradicted_names(result: EnrichmentResult) -> tuple[str, ...]:
    """The column names of ``result`` its values contradict, when they are enough to matter.

    Enough: two columns and a tenth of the named ones, or one when the values alone give the
    top category next to nothing (its ``values_agree`` false):
    :func:`classifiers.business.contradictions.doubted_names` over the merged findings (PII
    entities and business types), as the object's description reads them. Else ``()``. Pure
    apart from the name lexicon's caches.
    """
    from classifiers.business.contradictions import doubted_names

    return doubted_names(result.columns, result.categories[0] if result.categories else None)


def _names_note(result: EnrichmentResult) -> str:
    """What a steward should know when at least half the column names say nothing, else ``""``.

    The category then rests on the values (the hidden-names model pair,
    :mod:`classifiers.business.model`), not on telling names.
    """
    hidden = _hidden_names_share(result)
    if hidden < VALUES_ONLY_SHARE:
        return ""
    return (
        f"; {hidden:.0%} of the column names say nothing (col_3, Unnamed: 0 ...):"
        " the category was read mostly from the values"
    )


def _category_reason(
    confidence: float,
    threshold: float | None,
    applied: bool,
    result: EnrichmentResult | None = None,
) -> str:
    if threshold is None and result is not None and from_values_alone(result):
        return VALUES_ONLY_REASON
    if threshold is None and result is not None and (hit := contradicted_names(result)):
        reason = NAMES_CONTRADICTED_REASON if len(hit) > 1 else NAME_CONTRADICTED_REASON
        return reason.format(names=_listed(hit))
    if threshold is None:
        return f"{NO_THRESHOLD_REASON}: a steward confirms the category"
    value, limit = compared(confidence, threshold)
    if applied:
        return f"category confidence {value} at or above {limit}"
    return f"category confidence {value} below {limit}: a steward confirms it"


def _listed(names: tuple[str, ...], most: int = 4) -> str:
    """``a, b, c`` or ``a, b, c, d and 3 more``: a reason stays one short line. Pure."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


_APPROVED = (SuggestionState.APPROVED, SuggestionState.APPLIED)


@dataclass(slots=True)
class ReviewOutcome:
    """What one object gets: tags to apply, the (column, entity) pairs behind them, suggestions.

    :param suppressed: suggestions withheld because a steward rejected them (for counts).
    :param rejected: (column, entity) pairs a steward rejected (left out of the summary
        s3-enricher writes to Atlan's custom metadata).
    :param category_applied: the top category is applied without a steward (write policy
        ``auto``, confidence at or above the model's threshold, not read from the values
        alone, and no column name its values contradict enough: :func:`category_threshold`).
    """

    tags: set[str] = field(default_factory=set)
    applied: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    suppressed: int = 0
    rejected: set[tuple[str, str]] = field(default_factory=set)
    category_confirmed: bool = False
    category_applied: bool = False


def decision_for(
    decisions: Mapping[DecisionKey, Decision], kind: str, tag: str, column: str | None
) -> Decision | None:
    """The decision covering (kind, tag, column): the column's own, else the object-level one."""
    return decisions.get((kind, tag, column)) or decisions.get((kind, tag, None))


def finding_evidence(finding: EntityFinding) -> dict[str, Any]:
    """The masked evidence kept with a tag suggestion (and compared after a rejection)."""
    return {
        "prevalence": round(finding.prevalence, 4),
        "confidence": round(finding.confidence, 4),
        **finding.evidence.to_dict(),
    }


def material_change(
    before: Mapping[str, Any], after: Mapping[str, Any], rules: ReviewSettings
) -> str | None:
    """Why the evidence changed enough to ask a steward again, or ``None``.

    :param before: the evidence the steward saw when rejecting.
    :param after: the evidence of the latest scan.
    """
    old_p = before.get("prevalence")
    new_p = after.get("prevalence")
    factor = rules.reconsider_prevalence_factor
    if factor is not None and isinstance(old_p, int | float) and isinstance(new_p, int | float):
        if new_p > old_p * factor and new_p > old_p:
            # An estimated share (``Evidence.estimated``) reads as one: ``≈45%``.
            was = ("≈" if before.get("estimated") is True else "") + f"{old_p:.0%}"
            now = ("≈" if after.get("estimated") is True else "") + f"{new_p:.0%}"
            return f"prevalence rose from {was} to {now} since the rejection"
    if rules.reconsider_on_new_validator:
        old_v = before.get("validator_pass_rate")
        new_v = after.get("validator_pass_rate")
        if (old_v is None or old_v == 0) and isinstance(new_v, int | float) and new_v > 0:
            return f"a validator now passes ({new_v:.0%} of matches) where none did"
    return None


def _version(result: EnrichmentResult, classifier: str) -> str | None:
    version = result.classifier_versions.get(classifier)
    return f"{classifier}={version}" if version is not None else None


def _column_features(result: EnrichmentResult) -> list[dict[str, float]]:
    from classifiers.business.features import table_column_features, value_free

    if result.sample is None:
        return []
    return [value_free(f) for f in table_column_features(result.sample)]


def _table_features(result: EnrichmentResult) -> dict[str, float]:
    from classifiers.business.features import findings_inputs, table_features, value_free

    if result.sample is None:
        return {}
    types, pii = findings_inputs(result.columns)
    return value_free(table_features(result.sample, types, pii))


def _suggest_reason(settings: AtlanSettings, finding: EntityFinding) -> str:
    """Why the write policy suggests ``finding``'s tag instead of applying it."""
    if settings.write_policy == "suggest":
        return SUGGEST_POLICY_REASON
    value, limit = compared(finding.confidence, settings.threshold(finding.entity))
    return f"confidence {value} below {limit}" + (" (sparse)" if finding.evidence.sparse else "")


def _tag_outcomes(
    out: ReviewOutcome,
    result: EnrichmentResult,
    settings: AtlanSettings,
    decisions: Mapping[DecisionKey, Decision],
    rules: ReviewSettings,
) -> None:
    """Add each PII finding's tag to ``out``: applied, suggested, or withheld (rejected)."""
    for column in result.columns:
        for finding in column.entities:
            tag = settings.tag_for(finding.entity)
            evidence = finding_evidence(finding)
            decided = decision_for(decisions, "tag", tag, column.column)
            reason: str | None = None
            if decided is not None and decided.state in _APPROVED:
                out.tags.add(tag)
                out.applied.append((column.column, finding.entity))
                continue
            if decided is not None and decided.state is SuggestionState.REJECTED:
                reason = material_change(decided.evidence, evidence, rules)
                if reason is None:
                    out.suppressed += 1
                    out.rejected.add((column.column, finding.entity))
                    continue
            elif (
                settings.write_policy == "auto"
                and finding.confidence >= settings.threshold(finding.entity)
                and not finding.evidence.sparse
            ):
                out.tags.add(tag)
                out.applied.append((column.column, finding.entity))
                continue
            if reason is None:
                reason = _suggest_reason(settings, finding)
            out.suggestions.append(
                Suggestion(
                    object_uri=result.ref.uri,
                    qualified_name="",
                    kind="tag",
                    tag=tag,
                    entity=finding.entity,
                    column=column.column,
                    confidence=finding.confidence,
                    reason=reason,
                    evidence=evidence,
                    classifier_version=_version(result, finding.classifier or "pii"),
                )
            )


def _term_suggestions(
    out: ReviewOutcome,
    result: EnrichmentResult,
    decisions: Mapping[DecisionKey, Decision],
    glossary_terms: Mapping[str, str],
    rules: ReviewSettings,
    business: str | None,
) -> None:
    """Add a glossary term suggestion to ``out`` per column whose business type maps to one."""
    column_features: list[dict[str, float]] | None = None
    for term_type, term in sorted(glossary_terms.items()):
        for index, column in enumerate(result.columns):
            bt = column.business_type
            if bt is None or bt.label != term_type or bt.confidence < rules.term_min_confidence:
                continue
            decided = decision_for(decisions, "term", term, column.column)
            if decided is not None:
                out.suppressed += decided.state is SuggestionState.REJECTED
                continue
            if column_features is None:
                column_features = _column_features(result)
            out.suggestions.append(
                Suggestion(
                    object_uri=result.ref.uri,
                    qualified_name="",
                    kind="term",
                    tag=term,
                    entity=None,
                    column=column.column,
                    confidence=bt.confidence,
                    reason=f"column business type {term_type}",
                    evidence={
                        "business_type": bt.label,
                        "confidence": round(bt.confidence, 4),
                        # What the model saw, value-free: a steward's decision becomes a
                        # labelled example for retraining (`enricher train export`).
                        "features": column_features[index] if index < len(column_features) else {},
                    },
                    classifier_version=business,
                )
            )


def _category_outcome(
    out: ReviewOutcome,
    result: EnrichmentResult,
    decisions: Mapping[DecisionKey, Decision],
    business: str | None,
    settings: AtlanSettings,
) -> None:
    """Record a steward's decision on the top category in ``out``, apply it, or suggest it.

    A category below the model's apply threshold (or any, when the model has none, when it
    was read from the values alone, when the values contradict its column names
    (:func:`contradicted_names`), or under the ``suggest`` write policy) becomes a
    suggestion carrying the top three categories in its evidence.
    """
    if not result.categories:
        return
    top = result.categories[0]
    decided = decision_for(decisions, "category", top.label, None)
    if decided is not None:
        out.category_confirmed = decided.state in _APPROVED
        out.suppressed += decided.state is SuggestionState.REJECTED
        return
    threshold = category_threshold(result)
    out.category_applied = category_applied(top.confidence, threshold, settings.write_policy)
    if not out.category_applied:
        reason = (
            SUGGEST_POLICY_REASON
            if category_applies(top.confidence, threshold)
            else _category_reason(top.confidence, threshold, False, result)
        )
        out.suggestions.append(
            Suggestion(
                object_uri=result.ref.uri,
                qualified_name="",
                kind="category",
                tag=top.label,
                entity=None,
                column=None,
                confidence=top.confidence,
                reason=reason + _notes(result),
                evidence={
                    "top": _top_three(result),
                    "features": _table_features(result),
                },
                classifier_version=business,
            )
        )


def review_outcome(
    result: EnrichmentResult,
    settings: AtlanSettings,
    decisions: Mapping[DecisionKey, Decision] | None = None,
    glossary_terms: Mapping[str, str] | None = None,
    rules: ReviewSettings | None = None,
) -> ReviewOutcome:
    """Split ``result``'s findings into applied tags and suggestions (see the module doc)."""
    decisions = decisions or {}
    rules = rules or ReviewSettings()
    out = ReviewOutcome()
    if settings.write_policy == "off":
        return out
    _tag_outcomes(out, result, settings, decisions, rules)
    # Approved tags stay applied even when the latest scan no longer finds them.
    for (kind, tag, _column), decided in decisions.items():
        if kind == "tag" and decided.state in _APPROVED:
            out.tags.add(tag)
    business = _version(result, "business")
    _term_suggestions(out, result, decisions, glossary_terms or {}, rules, business)
    _category_outcome(out, result, decisions, business, settings)
    if out.tags and settings.umbrella_tag:
        out.tags.add(settings.umbrella_tag)
    return out
