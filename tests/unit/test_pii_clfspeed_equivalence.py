"""The cheaper classifier hot path gives HEAD's findings (issue 17, ``clfspeed``).

Three changes must not move a single field of a finding:

* street-address examples are looked for only when :func:`decide_address` calls (they are
  copied into its candidate and read by nothing else), once per column, stopping at three;
* what a column's name says is kept by name in the classifier (the same names come back
  table after table), not recomputed per table;
* :meth:`SpacyNer.analyse` reads each distinct text once, reads ``doc.ents`` once per doc and
  skips the lemma copy that runs after ``ner`` (spaCy's entities for a text do not depend on
  its batch mates).

Here the code before those changes is rebuilt in the test (HEAD's eager examples and HEAD's
``analyse``) and compared with the current code on the PII benchmark table and corpus tables.
The full run (dev and test splits, the 130 real tables, the 10 benchmark tables as typed and
as strings, 3,858 columns, ``PYTHONHASHSEED=0``) found every finding identical.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

import pytest

from bench.corpus import iter_tables, to_table_sample
from bench.pii import build_table
from classifiers.pii import PiiClassifier
from classifiers.pii.classifier import _Column
from classifiers.pii.decide import Candidate, NerStats, decide_address
from classifiers.pii.ner import MAX_TEXT, OTHER_LABELS, SpacyNer, ValueEntities, _full_name
from classifiers.pii.profile import ColumnProfile, embedded_street, looks_like_street
from models import ColumnFinding, TableSample

TODAY = date(2026, 1, 1)


def _head_street_examples(p: ColumnProfile) -> list[str]:
    """HEAD's ``PiiClassifier._street_examples``: every candidate looked at, then cut."""
    if p.free_text:
        found = (m.group(0) for t in p.texts[:200] if (m := embedded_street(t)) is not None)
        return list(found)[:3]
    return [t for t in p.texts[:50] if looks_like_street(t)[0]][:3]


def _head_address(col: _Column, hints: Sequence[str] = ()) -> Candidate | None:
    """HEAD's call: the examples looked for first, whatever the decision."""
    examples = _head_street_examples(col.profile)
    return decide_address(col.profile, col.names, col.derated, examples, hints)


def _head_analyse(self: SpacyNer, texts: Sequence[str]) -> list[ValueEntities]:
    """HEAD's ``SpacyNer.analyse``: every text, the whole pipeline, ``doc.ents`` per use."""
    self.load()
    out: list[ValueEntities] = []
    cut = [t[:MAX_TEXT] for t in texts]
    with self._lock:
        docs = self._nlp.pipe(cut, batch_size=self.batch_size)
        for text, doc in zip(cut, docs, strict=True):
            half = max(1, len(text.strip())) / 2
            persons = tuple(e.text for e in doc.ents if e.label_ == "PERSON" and _full_name(e.text))
            whole_person = any(e.label_ == "PERSON" and len(e.text) >= half for e in doc.ents)
            whole_other = any(e.label_ in OTHER_LABELS and len(e.text) >= half for e in doc.ents)
            out.append(ValueEntities(whole_person, whole_other, persons))
    return out


class _Forgetful(dict[str, object]):
    """A name cache that keeps nothing: every column's name is read again, as at HEAD."""

    def __setitem__(self, key: str, value: object) -> None:
        pass


def _no_marker(col: _Column, person: Candidate, stats: NerStats | None) -> None:
    """The PERSON probe marker (evidence only, tested elsewhere) left out of both runs."""


@pytest.fixture(scope="module")
def tables() -> list[TableSample]:
    corpus = [to_table_sample(t) for t in itertools.islice(iter_tables("dev", rows=500), 2)]
    typical = build_table(400, 0)
    # The benchmark table twice: its column names are known the second time.
    return [typical, *corpus, typical]


@pytest.fixture(scope="module")
def clf() -> PiiClassifier:
    return PiiClassifier(today=TODAY)


def _classify(clf: PiiClassifier, tables: list[TableSample]) -> list[list[ColumnFinding]]:
    return [clf.classify(t) for t in tables]


def test_findings_equal_heads(
    clf: PiiClassifier, tables: list[TableSample], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PiiClassifier, "_note_probe", staticmethod(_no_marker))
    clf._name_facts.clear()
    new = _classify(clf, tables)
    assert clf._name_facts  # the second benchmark table read its names from here
    with monkeypatch.context() as m:
        m.setattr(PiiClassifier, "_address", staticmethod(_head_address))
        m.setattr(SpacyNer, "analyse", _head_analyse)
        m.setattr(clf, "_name_facts", _Forgetful())
        old = _classify(clf, tables)
    assert new == old
    # The comparison covers address calls with examples, and NER.
    found = [e for table in new for c in table for e in c.entities]
    assert any(e.entity == "STREET_ADDRESS" and e.evidence.masked_examples for e in found)
    assert any("spacy-ner" in e.evidence.recognizers for e in found)


def test_analyse_equals_heads_on_repeated_and_long_texts(clf: PiiClassifier) -> None:
    texts = [
        "John Smith",
        "SMITH, JOHN",
        "Acme Holdings Ltd",
        "Paris",
        "Spoke with Maria Garcia about the delivery to Berlin",
        "",
        "   ",
        "x" * (MAX_TEXT + 50) + " Jane Doe",
        "Jane Doe " + "y" * (MAX_TEXT + 50),
    ]
    texts += texts[::-1] + ["John Smith"] * 5
    assert clf._ner.analyse(texts) == _head_analyse(clf._ner, texts)
    assert clf._ner.analyse([]) == []
