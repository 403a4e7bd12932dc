"""Issue 17's bounded pattern evidence: a hash-chosen subset of values, early stop when decided.

These tests hold that matching values in chunks gives the one-pass tallies; that the subset
is deterministic and independent of the order of the values; that a clear-cut column stops
after the first round with the decision of a full scan; that a column near a threshold is
not stopped early on a guess; and that a rare entity among many candidates of another is
still counted exactly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from faker import Faker

from classifiers.pii import PiiClassifier
from classifiers.pii import bounded as B  # noqa: N812
from classifiers.pii.decide import DecisionConfig, decide_pattern_entities
from classifiers.pii.names import name_signals
from classifiers.pii.patterns import BUILTIN_PATTERNS, ColumnScan, PatternTally, scan_column
from classifiers.pii.profile import ColumnProfile, build_profile
from models import ColumnSample
from tests.support.tables import table_sample


def _column(name: str, values: list[Any]) -> tuple[ColumnProfile, dict[str, Any]]:
    profile = build_profile(ColumnSample(name, "string", tuple(values)))
    return profile, dict(name_signals(name))


def _key(profile: ColumnProfile, names: Mapping[str, Any], tallies: Any) -> tuple[Any, ...]:
    cands = decide_pattern_entities(profile, tallies, names, None, DecisionConfig())
    return tuple(
        sorted((c.entity, c.rule, c.sparse, round(c.confidence, 3)) for c in cands)
    )  # fmt: skip


def _full_and_bounded(
    name: str, values: list[Any]
) -> tuple[tuple[Any, ...], tuple[Any, ...], dict[str, PatternTally], B.ScanOutcome]:
    profile, names = _column(name, values)
    full = scan_column(profile.texts, profile.counts)
    scan = ColumnScan(profile.texts, profile.counts)
    tallies, outcome = B.bounded_tallies(scan, lambda t: _key(profile, names, t))
    return _key(profile, names, full), _key(profile, names, tallies), tallies, outcome


def _emails(n: int, seed: int) -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return [f"{fake.user_name()}{i}@{fake.free_email_domain()}" for i in range(n)]


def test_matching_in_chunks_gives_the_one_pass_tallies() -> None:
    fake = Faker(["en_US", "de_DE"])
    fake.seed_instance(5)
    texts = sorted(
        {fake.email() for _ in range(150)}
        | {fake.phone_number() for _ in range(150)}
        | {f"call {fake.phone_number()} or mail {fake.email()}" for _ in range(100)}
        | {fake.iban() for _ in range(50)}
    )
    counts = [1 + i % 4 for i in range(len(texts))]
    whole = scan_column(texts, counts, BUILTIN_PATTERNS)
    scan = ColumnScan(texts, counts, BUILTIN_PATTERNS)
    order = list(range(len(texts)))
    random.Random(1).shuffle(order)
    for start in range(0, len(order), 97):
        scan.match(order[start : start + 97])
    assert scan.tallies() == whole
    assert sum(t.validated for t in whole.values()) > 300


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("email", lambda f: f.unique.email()),
        ("phone", lambda f: f.unique.phone_number()),
        ("iban", lambda f: f.unique.iban()),
        ("ip_address", lambda f: f.unique.ipv4()),
        ("ssn", lambda f: f.unique.ssn()),
        ("website", lambda f: f.unique.url() + f.unique.uri_path()),
    ],
)
def test_clear_cut_column_stops_early_with_the_full_decision(name: str, make: Any) -> None:
    fake = Faker("en_US")
    fake.seed_instance(11)
    values = [make(fake) for _ in range(1000)]
    full, bounded, tallies, outcome = _full_and_bounded(name, values)
    assert full and bounded == full
    assert not outcome.exact and outcome.rounds <= 2
    assert outcome.matched < 0.5 * outcome.candidates
    entity = full[0][0]
    # The estimated entity is named, with the candidates matched (the evidence's marker).
    assert entity in outcome.estimated
    matched, candidates = outcome.estimated[entity]
    assert 0 < matched < candidates <= outcome.candidates
    profile, _ = _column(name, values)
    exact = scan_column(profile.texts, profile.counts)[entity]
    assert tallies[entity].full == pytest.approx(exact.full, rel=0.08)
    if exact.validated == exact.checked == 1000:
        assert tallies[entity].full == 1000  # every sampled value valid: the estimate is exact


def test_subset_is_deterministic_and_independent_of_value_order() -> None:
    values = _emails(900, 3) + [f"bad{i}@example.notatld" for i in range(100)]
    shuffled = list(values)
    random.Random(7).shuffle(shuffled)
    results = []
    for vals in (values, values, shuffled):
        profile, names = _column("contact_email", vals)
        scan = ColumnScan(profile.texts, profile.counts)

        def decide(t: Any, p: ColumnProfile = profile, n: Any = names) -> tuple[Any, ...]:
            return _key(p, n, t)

        tallies, outcome = B.bounded_tallies(scan, decide)
        assert not outcome.exact
        results.append(
            ({e: (t.full, t.contained, t.validated, t.checked) for e, t in tallies.items()},
             outcome)
        )  # fmt: skip
    assert results[0] == results[1] == results[2]


def test_classifier_findings_are_the_same_twice_and_for_shuffled_rows() -> None:
    rng = random.Random(9)
    emails = _emails(1000, 8)
    phones = Faker("en_US")
    phones.seed_instance(4)
    tel = [phones.phone_number() for _ in range(1000)]
    order = list(range(1000))
    rng.shuffle(order)
    clf = PiiClassifier(today=date(2026, 1, 1), estimate_counts=True)

    def findings(rows: list[int]) -> list[tuple[Any, ...]]:
        sample = table_sample(
            [
                ColumnSample("email", "string", tuple(emails[i] for i in rows)),
                ColumnSample("tel", "string", tuple(tel[i] for i in rows)),
            ]
        )
        return [
            (f.column, e.entity, e.confidence, e.prevalence, e.evidence.hits, e.evidence.rule)
            for f in clf.classify(sample)
            for e in f.entities
        ]

    first = findings(list(range(1000)))
    assert [f[1] for f in first] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    assert findings(list(range(1000))) == first
    assert findings(order) == first


@pytest.mark.parametrize("valid_share", [0.50, 0.53, 0.56])
def test_column_near_the_dense_threshold_is_not_stopped_on_a_guess(valid_share: float) -> None:
    # Values that all look like e-mail addresses, a share of them with a real domain: the
    # dense rule's bound (0.5) sits right at the validated share.
    good = round(1000 * valid_share)
    values = _emails(good, 21) + [f"user{i}@mail.notatld" for i in range(1000 - good)]
    random.Random(good).shuffle(values)
    full, bounded, _, outcome = _full_and_bounded("contact", values)
    assert bounded == full
    assert outcome.exact or outcome.rounds > 1


def test_minority_of_valid_values_is_decided_like_the_full_pass() -> None:
    # 15% valid addresses among look-alikes: sparse or nothing, as the full pass says.
    values = _emails(150, 2) + [f"user{i}@mail.notatld" for i in range(850)]
    full, bounded, _, _ = _full_and_bounded("notes_ref", values)
    assert bounded == full


def test_rare_entity_among_many_candidates_is_counted_exactly() -> None:
    fake = Faker("en_US")
    fake.seed_instance(2)
    values = [fake.unique.phone_number() for _ in range(997)] + _emails(3, 5)
    full, bounded, tallies, outcome = _full_and_bounded("contact", values)
    assert bounded == full
    whole = scan_column(*(lambda p: (p.texts, p.counts))(_column("contact", values)[0]))
    assert tallies["EMAIL_ADDRESS"] == whole["EMAIL_ADDRESS"]
    assert not outcome.exact
    # Only the estimated tally is named: the rare e-mails were counted exactly.
    assert "EMAIL_ADDRESS" not in outcome.estimated
    assert "PHONE_NUMBER" in outcome.estimated


def test_small_columns_are_scanned_whole() -> None:
    values = _emails(200, 1)
    _, _, tallies, outcome = _full_and_bounded("email", values)
    assert outcome.exact and outcome.rounds == 0 and not outcome.estimated
    assert tallies["EMAIL_ADDRESS"].validated == 200


def test_head_is_chosen_by_count_alone() -> None:
    counts = [5] * 40 + [3] * 10 + [1] * 100
    head = B._head(list(range(150)), counts)
    assert head == set(range(40)) or len(head) <= B.HEAD
    assert all(counts[i] >= 2 for i in head)
    assert B._head(list(range(150)), counts[::-1]) == {149 - i for i in head}


def test_vectorised_text_sums_equal_the_python_loop() -> None:
    # Profile lengths and word counts come from pyarrow for printable ASCII and from Python
    # for the rest; both must give what Python's split/isalpha give on every value.
    fake = Faker(["en_US", "tr_TR", "fr_FR"])
    fake.seed_instance(13)
    values = [fake.sentence() for _ in range(300)] + [fake.name() for _ in range(300)]
    values += ["a  b", "(Hi!) there,", "...", "x\u00a0y z", "ı İ ſ", "tab\tsep", "a\x1cb", "é-é"]
    values += ["'quoted' \"words\" (paren)", "123 456", "mixed1 words2 only"]
    column = ColumnSample("c", "string", tuple(values))
    profile = build_profile(column)
    texts = [t for v in values if (t := v.strip())]
    words = [w for t in texts for w in t.split()]
    alpha = [w for w in words if w.strip(".,;:!?'\"()").isalpha()]
    assert profile.mean_length == sum(len(t) for t in texts) / len(texts)
    assert profile.mean_words == len(words) / len(texts)
    assert profile.word_share == len(alpha) / len(words)


def test_no_match_in_the_sample_does_not_stop_early() -> None:
    # Many candidates of the card prefilter that Python's pattern rejects, and three valid
    # cards among them: the full pass reports them (sparse); the subset cannot rule it out.
    rng = random.Random(3)
    values = ["".join(rng.choice("0123456789") for _ in range(24)) for _ in range(997)]
    values += ["4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005"]
    full, bounded, _, outcome = _full_and_bounded("reference", values)
    assert bounded == full
    assert outcome.exact or outcome.rounds > 1


def test_without_estimate_counts_the_evidence_is_counted_not_estimated() -> None:
    """With ``estimate_counts=False`` every candidate is matched: the hits and the prevalence
    a steward reads are the one-pass counts, even where the subset would have decided, and
    the evidence is not marked estimated. Estimating is the default (its evidence is marked:
    ``tests/unit/test_evidence_estimate.py``)."""
    good = _emails(700, 31)
    values = good + [f"user{i}@mail.notatld" for i in range(300)]
    sample = table_sample([ColumnSample("email", "string", tuple(values))])
    counted = PiiClassifier(today=date(2026, 1, 1), estimate_counts=False).classify(sample)
    [entity] = counted[0].entities
    assert entity.entity == "EMAIL_ADDRESS"
    assert entity.evidence.hits == 700 and entity.prevalence == pytest.approx(0.7)
    assert not entity.evidence.estimated and entity.evidence.matched_distinct is None
    assert PiiClassifier().estimate_counts
    assert PiiClassifier().version != PiiClassifier(estimate_counts=False).version
