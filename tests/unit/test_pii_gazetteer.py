"""The name gazetteer: lookups, the artifact check, and PERSON decided before NER (issue 17)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest

from classifiers.base import ClassifierLoadError
from classifiers.pii import PiiClassifier
from classifiers.pii import classifier as C  # noqa: N812
from classifiers.pii.gazetteer import (
    DEFAULT_ARTIFACTS_DIR,
    GAZETTEER_ARTIFACT,
    MANIFEST_NAME,
    NameGazetteer,
    column_evidence,
    fold,
    load_gazetteer,
)
from classifiers.pii.ner import ValueEntities
from models import ColumnFinding, ColumnSample
from tests.support.tables import table_sample

GIVEN = ["anna", "peter", "maria", "jan", "lucas", "sofia", "hans", "claire", "giulia", "pedro"]
FAMILY = ["smith", "muller", "garcia", "rossi", "jansen", "dupont", "silva", "weber", "moreau",
          "lopez"] + [f"{stem}{end}" for stem in ("harl", "brom", "kelt", "dorn", "vask", "lind")
                      for end in ("son", "berg", "ez", "ini", "ford")]  # fmt: skip
# (40 family names: people's names share no surname, so the organisation-suffix check stays
# quiet on full names drawn from them.)
GAZ = NameGazetteer(frozenset(GIVEN), frozenset(FAMILY), frozenset({"dr", "mr", "jr"}))


class FakeNer:
    """Stands in for :class:`~classifiers.pii.ner.SpacyNer`: records every text it is given."""

    def __init__(self, person: Callable[[str], bool] = lambda t: True) -> None:
        self.person = person
        self.texts: list[str] = []
        self.loaded = True

    def load(self) -> None:
        """Nothing to load."""

    def analyse(self, texts: Sequence[str]) -> list[ValueEntities]:
        self.texts.extend(texts)
        return [
            ValueEntities(self.person(t), not self.person(t), (t,) if self.person(t) else ())
            for t in texts
        ]


def _classifier(monkeypatch: pytest.MonkeyPatch, ner: FakeNer) -> PiiClassifier:
    clf = PiiClassifier(today=date(2024, 6, 1))
    monkeypatch.setattr(clf, "_ner", ner)
    monkeypatch.setattr(clf, "_gazetteer", GAZ)
    return clf


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _column(name: str, pick: Callable[[random.Random], str], rows: int = 300) -> ColumnSample:
    rng = random.Random(name)
    return ColumnSample(name, "string", tuple(pick(rng) for _ in range(rows)))


def _known_full(rng: random.Random) -> str:
    return f"{_cap(rng.choice(GIVEN))} {_cap(rng.choice(FAMILY))}"


#: Names the test gazetteer does not know (another culture, or simply missing).
_OTHER_GIVEN = ["Wei", "Aarav", "Kofi", "Yuki", "Olusegun", "Priya", "Tariq", "Mei", "Ravi",
                "Ngozi", "Hiroshi", "Amara"]  # fmt: skip
_OTHER_FAMILY = ["Zhang", "Sharma", "Mensah", "Tanaka", "Adeyemi", "Iyer", "Haddad", "Chen",
                 "Okafor", "Nakamura", "Banerjee", "Diallo"]  # fmt: skip


def _unknown_full(rng: random.Random) -> str:
    return f"{rng.choice(_OTHER_GIVEN)} {rng.choice(_OTHER_FAMILY)}"


def _entities(findings: list[ColumnFinding], column: str) -> dict[str, tuple[str, ...]]:
    finding = next(f for f in findings if f.column == column)
    return {e.entity: e.evidence.recognizers for e in finding.entities}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Anna Smith", "full"),
        ("SMITH, Anna", "full"),
        ("Müller,Hans", "full"),
        ("SMITH,J.A.", "full"),
        ("Dr. Hans-Peter Weber Jr", "full"),
        ("Maria Garcia Lopez", "full"),
        ("Claire van Jansen", "full"),
        ("Hans", "single"),
        ("J.", "initials"),
        ("Anna Zhang", "partial"),
        ("Smith Anna", "partial"),  # a family name first, not written "Last, First"
        ("Acme Blue", "unknown"),
        ("", "unknown"),
    ],
)
def test_lookup_reads_the_forms_of_a_name(text: str, kind: str) -> None:
    assert GAZ.lookup(text) == kind


def test_fold_strips_accents_and_case() -> None:
    assert fold("MÜLLER") == "muller" and fold("Strauß") == "strauss" and fold("Łódź") == "lodz"


def test_column_evidence_weighs_by_count() -> None:
    ev = column_evidence(GAZ, ["Anna Smith", "Acme", "Hans"], [6, 3, 1])
    assert ev.analysed == 10
    assert ev.share("full") == pytest.approx(0.6) and ev.share("unknown") == pytest.approx(0.3)
    assert ev.distinct == {"full": 1, "unknown": 1, "single": 1}


def test_clear_hit_is_person_without_ner(monkeypatch: pytest.MonkeyPatch) -> None:
    ner = FakeNer()
    clf = _classifier(monkeypatch, ner)
    table = table_sample([_column("customer", _known_full), _column("amount_eur", lambda r: "1")])
    found = _entities(clf.classify(table), "customer")
    assert ner.texts == []
    assert found["PERSON"] == ("name-gazetteer", "name-shape")


def test_clear_hit_needs_no_ner_under_an_opaque_name(monkeypatch: pytest.MonkeyPatch) -> None:
    ner = FakeNer()
    clf = _classifier(monkeypatch, ner)
    found = _entities(clf.classify(table_sample([_column("field_a", _known_full)])), "field_a")
    assert ner.texts == [] and "PERSON" in found


def test_clear_miss_is_not_person_without_ner(monkeypatch: pytest.MonkeyPatch) -> None:
    words = [f"Zorb{chr(97 + i)}{chr(97 + j)}" for i in range(10) for j in range(10)]
    ner = FakeNer()  # would call everything a person: it must not be asked
    clf = _classifier(monkeypatch, ner)
    found = _entities(clf.classify(table_sample([_column("colour", lambda r: r.choice(words))])),
                      "colour")  # fmt: skip
    assert ner.texts == [] and "PERSON" not in found


def test_unknown_names_go_to_ner_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    ner = FakeNer()
    clf = _classifier(monkeypatch, ner)
    table = table_sample([_column("field_a", _unknown_full)])
    found = _entities(clf.classify(table), "field_a")
    # Undecided by the gazetteer: NER decides, on a bounded number of distinct values (the
    # probe stops early when its answer cannot change).
    assert 0 < len(ner.texts) <= C.NER_FIRST_ROUND
    assert found["PERSON"] == ("spacy-ner", "name-shape")


def test_the_undecided_middle_goes_to_ner(monkeypatch: pytest.MonkeyPatch) -> None:
    ner = FakeNer(lambda t: False)
    clf = _classifier(monkeypatch, ner)
    mixed = table_sample(
        [_column("holder", lambda r: (_known_full if r.random() < 0.5 else _unknown_full)(r))]
    )
    found = _entities(clf.classify(mixed), "holder")
    assert ner.texts and "PERSON" not in found  # NER said no: the gazetteer did not decide


def test_one_known_word_without_a_people_name_goes_to_ner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # First names as product codes: known names, but nothing says these are people.
    ner = FakeNer(lambda t: False)
    clf = _classifier(monkeypatch, ner)
    table = table_sample([_column("label", lambda r: _cap(r.choice(GIVEN + FAMILY)))])
    clf.classify(table)
    assert ner.texts


def test_one_known_word_under_a_people_name_is_person_without_ner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ner = FakeNer(lambda t: False)
    clf = _classifier(monkeypatch, ner)
    table = table_sample([_column("vorname", lambda r: _cap(r.choice(GIVEN)))])
    found = _entities(clf.classify(table), "vorname")
    assert ner.texts == [] and "PERSON" in found


def test_free_text_still_goes_to_ner(monkeypatch: pytest.MonkeyPatch) -> None:
    ner = FakeNer()
    clf = _classifier(monkeypatch, ner)
    notes = _column("notes", lambda r: f"Call back {_known_full(r)} about order {r.random()}")
    found = _entities(clf.classify(table_sample([notes])), "notes")
    assert ner.texts and "PERSON" in found


# -- the artifact ------------------------------------------------------------------------------


def test_committed_gazetteer_matches_its_manifest() -> None:
    gazetteer = load_gazetteer()
    manifest = json.loads((DEFAULT_ARTIFACTS_DIR / MANIFEST_NAME).read_text())
    entry = manifest["artifacts"][GAZETTEER_ARTIFACT]
    assert gazetteer.version == entry["sha256"][:12]
    assert entry["counts"]["given"] == len(gazetteer.given) > 1000
    assert entry["bytes"] == (DEFAULT_ARTIFACTS_DIR / GAZETTEER_ARTIFACT).stat().st_size
    assert "MIT" in entry["licence"] and set(entry["locales"]) >= {"en_US", "de_CH", "pt_PT"}
    # Share-alike or unstated terms stay out of the Apache-2.0 repository.
    assert not set(entry["locales"]) & {"de_DE", "de_AT", "fr_CA", "it_IT", "pt_BR"}
    assert all("BY-SA" not in v["licence"] for v in entry["locales"].values())
    assert gazetteer.lookup("María García") == "full"


def _copy(tmp_path: Path) -> Path:
    for name in (MANIFEST_NAME, GAZETTEER_ARTIFACT):
        shutil.copy(DEFAULT_ARTIFACTS_DIR / name, tmp_path / name)
    return tmp_path


def test_an_altered_gazetteer_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / GAZETTEER_ARTIFACT
    path.write_bytes(path.read_bytes().replace(b'"smith"', b'"smyth"'))
    with pytest.raises(ClassifierLoadError, match="does not match"):
        load_gazetteer(folder)


def test_a_missing_manifest_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / MANIFEST_NAME).unlink()
    with pytest.raises(ClassifierLoadError, match="no PII manifest"):
        load_gazetteer(folder)


def test_loading_the_gazetteer_imports_no_faker() -> None:
    code = (
        "import sys\n"
        "from classifiers.pii.classifier import PiiClassifier\n"
        "PiiClassifier()._names()\n"
        "assert 'faker' not in sys.modules, 'faker imported at run time'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
