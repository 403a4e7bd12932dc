"""Given and family names of the supported languages: PERSON decided before spaCy (issue 17).

The gazetteer (``models/artifacts/pii-names.json``) is built at train time by
``python -m training.name_gazetteer`` from Faker's person providers and mimesis's person
datasets of the locales of the languages the column-name keywords cover (en, de, fr, es, it,
nl, pt; mimesis's also pl and ru); its SHA-256, sources and licences are in
``models/artifacts/pii-manifest.json``, which :func:`load_gazetteer` checks before it trusts
the file. Nothing here imports Faker or mimesis.

A value is looked up by its words: folded (:func:`fold`: case-folded, accents removed),
split at spaces and hyphens, with titles, particles and initials set aside. Per column,
:func:`column_evidence` counts the values that are a known given name followed by known
family names (``Jane Smith``, ``SMITH, Jane``, ``Dr. Hans-Peter Müller``), the one-word
values that are a known name, and the values with no known name at all. The classifier
(:meth:`~classifiers.pii.classifier.PiiClassifier._gazetteer_verdict`) decides PERSON from
these shares where they are clear and sends the rest to NER. Pure but for the one read of
the artifact files, cached per process.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from classifiers.base import ClassifierLoadError

#: Where the committed artifacts live.
DEFAULT_ARTIFACTS_DIR: Final = Path(__file__).resolve().parents[2] / "models" / "artifacts"
MANIFEST_NAME: Final = "pii-manifest.json"
GAZETTEER_ARTIFACT: Final = "pii-names.json"
GAZETTEER_FORMAT: Final = 1

#: Letters NFKD does not decompose into a base letter and a mark.
_LETTERS: Final = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th",
     "ð": "d", "’": "'", "ʼ": "'", "‘": "'"}
)  # fmt: skip
#: Name particles: neither a given nor a family name on their own (``van``, ``de la``).
PARTICLES: Final = frozenset(
    """van von de der den del della dela degli di da das dos du des la le lo los las ter ten
    zu zum zur y e i bin al el ben vd v d' l' mac st""".split()
)
_SPLIT: Final = re.compile(r"[\s\-‐‑–]+")


def fold(text: str) -> str:
    """``text`` case-folded with accents removed (``Müller`` -> ``muller``, ``ß`` -> ``ss``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_parts(text: str) -> list[str]:
    """The folded words of a name, split at spaces and hyphens, end dots and commas removed."""
    return [p for w in _SPLIT.split(fold(text)) if (p := w.strip(".,;:()\"'"))]


@dataclass(frozen=True, slots=True)
class NameGazetteer:
    """Folded given names, family names and titles (``mr``, ``dr``, ``phd``).

    :param given: folded name parts of given names.
    :param family: folded name parts of family names (particles left out).
    :param titles: folded prefixes and suffixes without dots (``dr``, ``mme``, ``jr``).
    :param version: the first 12 hex digits of the artifact's SHA-256.
    """

    given: frozenset[str]
    family: frozenset[str]
    titles: frozenset[str]
    version: str = "inline"

    def lookup(self, text: str) -> str:
        """What ``text`` is: ``"full"``, ``"single"``, ``"partial"``, ``"initials"``, ``"unknown"``.

        ``full``: a known given name (or initials) then known family names, every word known
        (``Jane Smith``, ``SMITH, Jane``, ``J. A. Smith``, ``Dr. Hans-Peter Müller``; titles
        and particles aside); ``single``: one word, a known given or family name;
        ``partial``: some word known; ``initials``: nothing but initials (``J.``); else
        ``unknown``.
        """
        last, sep, first = text.partition(",")
        if sep and first.strip() and "," not in first:
            text = f"{first} {last}"
        words: list[str] = []
        initials = 0
        for raw in _SPLIT.split(fold(text)):
            word = raw.strip(".,;:()\"'")
            if not word or word.replace(".", "") in self.titles or word in PARTICLES:
                continue
            # ``j.a.`` or ``j``: initials, which stand for given names.
            if len(word.replace(".", "")) <= 1 or (
                "." in word and all(len(p) <= 1 for p in word.split("."))
            ):
                initials += 1
            else:
                words.append(word)
        if not words:
            return "initials" if initials else "unknown"
        known = [w in self.given or w in self.family for w in words]
        if (
            all(known)
            and words[-1] in self.family
            and ((len(words) >= 2 and words[0] in self.given) or initials)
        ):
            return "full"
        if len(words) == 1:
            return "single" if known[0] else "unknown"
        return "partial" if any(known) else "unknown"


@dataclass(frozen=True, slots=True)
class ColumnNames:
    """How a column's distinct values read against the gazetteer, weighted by occurrence.

    :param kinds: per :meth:`NameGazetteer.lookup` answer, the summed weight of its values.
    :param distinct: per answer, the number of distinct values.
    :param weights: the weight of each value looked up, in order (for interval sizes).
    :param examples: up to three ``full`` or ``single`` values (masked before leaving).
    """

    kinds: dict[str, float]
    distinct: dict[str, int]
    weights: tuple[float, ...]
    examples: tuple[str, ...] = ()

    @property
    def analysed(self) -> float:
        """Summed weight of the values looked up."""
        return sum(self.weights)

    def share(self, *kinds: str) -> float:
        """Weighted share of the values whose answer is one of ``kinds``."""
        total = self.analysed
        return sum(self.kinds.get(k, 0.0) for k in kinds) / total if total else 0.0

    @property
    def effective_n(self) -> float:
        """Kish's effective sample size of the weights (distinct values, evenly weighted)."""
        squares = sum(w * w for w in self.weights)
        return self.analysed**2 / squares if squares else 0.0


def column_evidence(
    gazetteer: NameGazetteer, texts: Sequence[str], counts: Sequence[float]
) -> ColumnNames:
    """Look ``texts`` (distinct values, with their ``counts``) up in ``gazetteer``. Pure."""
    kinds: dict[str, float] = {}
    distinct: dict[str, int] = {}
    examples: list[str] = []
    for text, count in zip(texts, counts, strict=True):
        kind = gazetteer.lookup(text)
        kinds[kind] = kinds.get(kind, 0.0) + count
        distinct[kind] = distinct.get(kind, 0) + 1
        if kind in ("full", "single") and len(examples) < 3:
            examples.append(text)
    return ColumnNames(kinds, distinct, tuple(float(c) for c in counts), tuple(examples))


# -- the artifact ------------------------------------------------------------------------------

_CACHE: dict[Path, NameGazetteer] = {}
_LOCK = threading.Lock()


def read_manifest(artifacts_dir: Path | None = None) -> dict[str, Any]:
    """The PII manifest, with the gazetteer's SHA-256 checked against its bytes.

    :raises ClassifierLoadError: the manifest or the gazetteer is missing or unreadable, of
        another format, or the gazetteer's bytes do not match the recorded SHA-256.
    Side effects: reads both files.
    """
    folder = artifacts_dir or DEFAULT_ARTIFACTS_DIR
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClassifierLoadError(
            f"no PII manifest at {path}; rebuild it with `make train` in the repository"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ClassifierLoadError(f"cannot read the PII manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != GAZETTEER_FORMAT:
        raise ClassifierLoadError(f"{path}: manifest format is not {GAZETTEER_FORMAT}")
    entry = manifest.get("artifacts", {}).get(GAZETTEER_ARTIFACT)
    if not isinstance(entry, dict) or "sha256" not in entry:
        raise ClassifierLoadError(f"{path}: the manifest does not list {GAZETTEER_ARTIFACT}")
    return manifest


def load_gazetteer(artifacts_dir: Path | None = None) -> NameGazetteer:
    """The bundled gazetteer, hash-checked against the PII manifest; cached per folder.

    :raises ClassifierLoadError: see :func:`read_manifest`; the file does not match its
        SHA-256 or is malformed.
    Side effects: reads the manifest and the gazetteer once per process and folder.
    """
    folder = (artifacts_dir or DEFAULT_ARTIFACTS_DIR).resolve()
    cached = _CACHE.get(folder)
    if cached is not None:
        return cached
    with _LOCK:
        if folder in _CACHE:
            return _CACHE[folder]
        manifest = read_manifest(folder)
        expected = manifest["artifacts"][GAZETTEER_ARTIFACT]["sha256"]
        path = folder / GAZETTEER_ARTIFACT
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ClassifierLoadError(f"cannot read the name gazetteer {path}: {exc}") from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise ClassifierLoadError(
                f"{path.name}: SHA-256 {actual[:16]}… does not match the PII manifest "
                f"({str(expected)[:16]}…); the file was altered: rebuild it with `make train`"
            )
        gazetteer = parse_gazetteer(data, actual[:12])
        _CACHE[folder] = gazetteer
        return gazetteer


def parse_gazetteer(data: bytes, version: str = "inline") -> NameGazetteer:
    """A :class:`NameGazetteer` from the artifact's bytes.

    :raises ClassifierLoadError: not the JSON object of format :data:`GAZETTEER_FORMAT` with
        the ``given``, ``family`` and ``titles`` lists.
    """
    try:
        doc = json.loads(data)
        if doc.get("format") != GAZETTEER_FORMAT:
            raise ValueError(f"format is not {GAZETTEER_FORMAT}")
        lists = {k: doc[k] for k in ("given", "family", "titles")}
        if not all(isinstance(v, list) and all(isinstance(s, str) for s in v)
                   for v in lists.values()):  # fmt: skip
            raise ValueError("given, family and titles must be lists of strings")
    except (ValueError, KeyError, AttributeError) as exc:
        raise ClassifierLoadError(f"malformed name gazetteer: {exc}") from exc
    return NameGazetteer(
        frozenset(lists["given"]), frozenset(lists["family"]), frozenset(lists["titles"]),
        version,
    )  # fmt: skip
