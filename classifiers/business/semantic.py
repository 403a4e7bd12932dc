"""A semantic prior for dataset categories from static word vectors (no model at run time).

The vectors are distilled at train time from the sentence encoder all-MiniLM-L6-v2
(:mod:`training.semantic_vectors`): every lower-case word piece of its vocabulary, embedded
alone, reduced by PCA and stored as int8 with one scale per row. The artifact
(``business-semantic.npz``, written by ``make train``) also holds one prototype vector per
category, the encoder's embedding of the taxonomy's description and keywords.

At run time a word is its vocabulary vector; an unknown word is read as the whole
vocabulary words that spell it end to end (``saleprice`` -> ``sale`` ``price``), else the
mean of the shortest few it begins (``educ`` -> ``educate`` ...), else the word without its
first letter when that is a word (``lwage`` -> ``wage``), else the mean of its greedy
WordPiece pieces (``xq`` -> ``x`` ``##q``). A text is the weighted mean of its words, and the
prior is the cosine of the object's path words and column-name words with each prototype.
Numpy only; the artifact is read with ``allow_pickle=False``.
"""

from __future__ import annotations

import bisect
import functools
import io
import math
import re
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.business.features import name_tokens, table_column_features
from models.samples import ColumnSample, TableSample

SEMANTIC_ARTIFACT = "business-semantic.npz"
#: The arrays the artifact holds (all numeric or fixed-width unicode: no pickles).
ARRAYS = ("vocab", "codes", "scales", "mean", "labels", "prototypes")

#: Folder and bucket words that say where a file sits in a lake, not what it holds; they
#: would pull every object towards whichever category they happen to resemble.
STRUCTURAL_WORDS = frozenset(
    """data lake lakes raw landing curated export exports dump dumps analytics shared staging
    stage bronze silver gold prod production dev test tmp temp archive archives backup
    backups part parts snapshot snapshots daily hourly monthly weekly latest current
    incoming outgoing inbound outbound input output dt ds date year month day files file
    tables table dataset datasets db warehouse bucket s3 csv parquet json jsonl v""".split()
)

#: Longest word looked up; longer tokens are cut (a column name is rarely longer).
MAX_WORD = 40
#: Shortest unknown word read as the vocabulary words it begins (``educ``); shorter ones
#: begin too many words to say which.
MIN_COMPLETE = 3
#: How many of the words an unknown word begins are averaged, the shortest first (length
#: stands in for frequency: the artifact's vocabulary is alphabetical, and shorter words
#: are the commoner ones).
COMPLETIONS = 3
#: Shortest part of a compound split into vocabulary words (``zipcode`` -> ``zip``
#: ``code``); two-letter parts would split almost anything.
MIN_SEGMENT = 3
#: Shortest word left when a one-letter prefix is dropped (``lwage`` -> ``wage``, the
#: econometric habit of ``l`` for a logarithm); shorter rests are chance matches.
MIN_STRIPPED = 4


class SemanticVectors:
    """Static word vectors and category prototypes, loaded from the artifact.

    :param vocab: word pieces (``##`` marks a continuation), in row order.
    :param vectors: one row per piece, float32.
    :param labels: category names, in prototype order.
    :param prototypes: one unit vector per category, float32.
    """

    def __init__(
        self,
        vocab: Sequence[str],
        vectors: np.ndarray,
        labels: Sequence[str],
        prototypes: np.ndarray,
    ) -> None:
        self.index = {w: i for i, w in enumerate(vocab)}
        self.vectors = vectors
        self.labels = tuple(labels)
        self.prototypes = prototypes
        self._cache: dict[str, np.ndarray | None] = {}
        self._type_protos: tuple[tuple[str, ...], np.ndarray] | None = None
        # Whole words (no ``##``), alphabetical: the words an unknown word begins are one
        # contiguous run of this list.
        self._whole = sorted(w for w in vocab if not w.startswith("##"))
        # Features kept per name tokens / per table's words (a lake repeats its schemas),
        # and per table's value words for the hidden-names pair (value_features): in this
        # process's memory only, like the sample itself.
        self._name_features: dict[tuple[str, ...], dict[str, float]] = {}
        self._table_features: dict[
            tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]], dict[str, float]
        ] = {}

    @classmethod
    def from_bytes(cls, data: bytes) -> SemanticVectors:
        """Parse an artifact written by :func:`to_bytes`.

        :raises ValueError: an array is missing or its shape does not fit the others.
        """
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ARRAYS if name in npz.files}
        missing = [name for name in ARRAYS if name not in arrays]
        if missing:
            raise ValueError(f"the semantic artifact lacks {', '.join(missing)}")
        codes, scales = arrays["codes"], arrays["scales"]
        if codes.shape[0] != len(arrays["vocab"]) or scales.shape != (codes.shape[0],):
            raise ValueError("the semantic artifact's vocabulary and vectors differ in length")
        vectors = codes.astype(np.float32) * scales.astype(np.float32)[:, None]
        vectors += arrays["mean"].astype(np.float32)[None, :]
        protos = arrays["prototypes"].astype(np.float32)
        if protos.shape != (len(arrays["labels"]), codes.shape[1]):
            raise ValueError("the semantic artifact's prototypes do not fit its vectors")
        vocab = [w.decode("ascii") if isinstance(w, bytes) else str(w) for w in arrays["vocab"]]
        return cls(vocab, vectors, [str(x) for x in arrays["labels"]], protos)

    @classmethod
    def load(cls, path: Path) -> SemanticVectors:
        """Read the artifact at ``path``.

        :raises OSError: unreadable. :raises ValueError: malformed (see :meth:`from_bytes`).
        """
        return cls.from_bytes(path.read_bytes())

    def pieces(self, word: str) -> list[int]:
        """Row numbers of ``word``, ``[]`` when a part of it matches nothing.

        The word itself when known, else its greedy longest-match WordPiece split. Pure.
        """
        word = word[:MAX_WORD]
        if word in self.index:
            return [self.index[word]]
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = -1
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.index:
                    found = self.index[piece]
                    break
                end -= 1
            if found < 0:
                return []
            out.append(found)
            start = end
        return out

    def completions(self, word: str) -> list[int]:
        """Rows of the words ``word`` begins: at most :data:`COMPLETIONS`, the shortest first.

        Whole vocabulary words that ``word`` is a proper prefix of; ``[]`` for a word shorter
        than :data:`MIN_COMPLETE`, not alphabetic, or known. Pure.
        """
        if len(word) < MIN_COMPLETE or not word.isalpha() or word in self.index:
            return []
        lo = bisect.bisect_left(self._whole, word)
        hi = bisect.bisect_left(self._whole, word + "{")  # "{" sorts right after "z"
        found = sorted((len(w), w) for w in self._whole[lo:hi] if w != word)
        return [self.index[w] for _, w in found[:COMPLETIONS]]

    def segments(self, word: str) -> list[int]:
        """Rows of the fewest whole words that spell ``word`` end to end.

        Each word of at least :data:`MIN_SEGMENT` letters (``saleprice`` -> ``sale``,
        ``price``); ``[]`` when there is no such split into two or more, or ``word`` is
        known. Pure.
        """
        n = len(word)
        if n < 2 * MIN_SEGMENT or not word.isalpha() or word in self.index:
            return []
        # best[i]: the rows of a split of word[:i] with the fewest words; on a tie the first
        # found, the one whose last word is longest (``payslip`` -> ``pay`` ``slip``).
        best: list[list[int] | None] = [None] * (n + 1)
        best[0] = []
        for i in range(MIN_SEGMENT, n + 1):
            for j in range(i - MIN_SEGMENT + 1):
                prev = best[j]
                row = self.index.get(word[j:i]) if prev is not None else None
                if prev is not None and row is not None:
                    cur = best[i]
                    if cur is None or len(prev) + 1 < len(cur):
                        best[i] = [*prev, row]
        split = best[n]
        return split if split is not None and len(split) >= 2 else []

    def rows(self, word: str) -> list[int]:
        """Row numbers ``word`` is read as, the first of these that matches.

        Itself when a whole vocabulary word; :meth:`segments`; :meth:`completions`; the
        word without its first letter when that is a whole word of at least
        :data:`MIN_STRIPPED` letters; :meth:`pieces`. Pure.
        """
        word = word[:MAX_WORD]
        if word in self.index and not word.startswith("##"):
            return [self.index[word]]
        for read in (self.segments, self.completions):
            rows = read(word)
            if rows:
                return rows
        rest = word[1:]
        if len(rest) >= MIN_STRIPPED and rest.isalpha() and rest in self.index:
            return [self.index[rest]]
        return self.pieces(word)

    def word(self, word: str) -> np.ndarray | None:
        """The vector of one lower-case word (the mean of its :meth:`rows`), or ``None``.

        Memoised.
        """
        if word in self._cache:
            return self._cache[word]
        rows = self.rows(word)
        vec = self.vectors[rows].mean(axis=0) if rows else None
        if len(self._cache) < 50_000:
            self._cache[word] = vec
        return vec

    def text(self, words: Iterable[tuple[str, float]]) -> np.ndarray | None:
        """The unit-length weighted mean of the words' vectors, or ``None`` when none is known."""
        total = np.zeros(self.vectors.shape[1], dtype=np.float32)
        weight = 0.0
        for w, wt in words:
            vec = self.word(w)
            if vec is not None and wt > 0:
                total += wt * vec
                weight += wt
        if weight == 0:
            return None
        norm = float(np.linalg.norm(total))
        return total / norm if norm > 0 else None

    def unit_word(self, word: str) -> np.ndarray | None:
        """:meth:`word` scaled to unit length (``None`` when unknown or zero)."""
        vec = self.word(word)
        if vec is None:
            return None
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else None

    def column_type_prototypes(self) -> tuple[tuple[str, ...], np.ndarray]:
        """Column types and their unit prototype vectors (from :data:`COLUMN_TYPE_GLOSSARY`).

        Built from the word vectors on first use and kept. Pure apart from that cache.
        """
        if self._type_protos is None:
            names: list[str] = []
            rows: list[np.ndarray] = []
            for name, text in COLUMN_TYPE_GLOSSARY.items():
                vec = self.text((w, 1.0) for w in text.split())
                if vec is not None:
                    names.append(name)
                    rows.append(vec)
            matrix = np.stack(rows) if rows else np.zeros((0, self.vectors.shape[1]), np.float32)
            self._type_protos = (tuple(names), matrix.astype(np.float32))
        return self._type_protos

    def similarities(self, vec: np.ndarray | None) -> dict[str, float]:
        """Cosine of ``vec`` with every category prototype (empty when ``vec`` is ``None``)."""
        if vec is None:
            return {}
        sims = self.prototypes @ vec
        return {label: float(s) for label, s in zip(self.labels, sims, strict=True)}


#: A glossary of the column business types in plain words: what the column-type model's
#: ``csim:<type>`` features compare a column name with. Written from the types' meaning, not
#: from any corpus, so a name the training data never used (``lwage``, ``acctbal``) still
#: lands near the right type.
COLUMN_TYPE_GLOSSARY: dict[str, str] = {
    "identifier": "identifier id key unique code number of a record",
    "foreign_key_id": "reference id key of another record",
    "amount": "amount of money price cost payment fee balance income revenue",
    "currency_code": "currency code",
    "quantity": "quantity count number of items units people",
    "percentage": "percentage rate share ratio percent",
    "country": "country nation",
    "city": "city town",
    "postal_code": "postal code zip",
    "date": "date day month year",
    "timestamp": "timestamp time datetime created updated",
    "boolean_flag": "flag indicator yes no true false is has",
    "category_enum": "category type kind class status group level",
    "free_text": "free text comment description notes",
    "url": "url link web address",
    "product_code_sku": "product code sku item number",
    "measurement": "measurement size weight length score value",
    "version_string": "version release",
    "person_data": "person name email phone address",
    "other": "other",
}


def path_words(sample: TableSample) -> list[tuple[str, float]]:
    """The object's bucket and folder words with weights.

    Structural lake words (:data:`STRUCTURAL_WORDS`) are left out; the innermost folder with
    words left counts twice (it usually names the table). Pure.
    """
    ref = sample.info.ref
    folders = ref.key.split("/")[:-1]
    if ref.scheme == "file":
        folders = folders[-3:]
    parts = ([ref.bucket] if ref.bucket else []) + [f.split("=", 1)[0] for f in folders]
    kept = [[t for t in name_tokens(p) if t not in STRUCTURAL_WORDS] for p in parts]
    kept = [words for words in kept if words]
    return [
        (t, 2.0 if depth == len(kept) - 1 else 1.0)
        for depth, words in enumerate(kept)
        for t in words
    ]


def column_words(sample: TableSample) -> list[tuple[str, float]]:
    """Every column name's words, each column weighing 1 in all (split among its words). Pure."""
    out: list[tuple[str, float]] = []
    for col in sample.columns:
        toks = name_tokens(col.name)
        out.extend((t, 1.0 / len(toks)) for t in toks)
    return out


def words_category(vectors: SemanticVectors, sample: TableSample) -> str | None:
    """The category the table's words alone point to, or ``None`` when no word is known.

    The category prototype closest to the mean meaning of the object's path and column-name
    words (ties by label): the semantic prior on its own, *prior alone* in
    ``bench/category.py --loso``. A second opinion on the category model's top category: it
    learned nothing from any corpus. Pure apart from the vectors' word cache.
    """
    sims = vectors.similarities(vectors.text(path_words(sample) + column_words(sample)))
    if not sims:
        return None
    return min(sims, key=lambda label: (-sims[label], label))


#: Enum-like text columns whose values' words say what a table is about: at most this many
#: distinct values in the sample, repeated on average (no more distinct values than half the
#: values present, of which there are at least :data:`MIN_ENUM_ROWS`).
MAX_ENUM_VALUES = 30
MIN_ENUM_ROWS = 4
#: Words kept per table from its enum-like columns (in column order), bounding the cost.
MAX_VALUE_WORDS = 64
# Whole words of letters: an accented word (``pédiatrie``) is left out whole, not cut to
# the ASCII piece after its accent, which would mean something else to the word vectors.
_VALUE_WORD = re.compile(r"[^\W\d_]{3,}")
#: Answers and placeholders that say nothing about a table's subject.
_EMPTY_VALUE_WORDS = frozenset(
    {"yes", "true", "false", "none", "null", "nan", "unknown", "other", "and", "the", "not"}
)


def value_words(
    sample: TableSample,
    skip: Collection[str] = frozenset(),
    enum_words: Sequence[list[str]] | None = None,
) -> list[tuple[str, float]]:
    """The words of the values of the table's enum-like text columns, with weights.

    A column counts when its sampled text values are few (:data:`MAX_ENUM_VALUES`) and repeat
    on average: departments, statuses, diagnoses, product lines, which tell a table's subject
    when its names say nothing. Each such column weighs 1 in all (split among its distinct
    words); lower-cased words of three ASCII letters or more (a word with another letter is
    left out), at most :data:`MAX_VALUE_WORDS`. The words stay in the worker: only their
    vectors become model features.

    :param skip: columns never read, the ones the PII classifier found personal data in (a
        handful of sales reps' names repeated over the rows is enum-like too, and their
        words say nothing of the table's subject).
    :param enum_words: :func:`enum_value_words` of each column when the caller has them.
    Pure.
    """
    out: list[tuple[str, float]] = []
    for i, col in enumerate(sample.columns):
        if col.name in skip:
            continue
        words = enum_value_words(col) if enum_words is None else enum_words[i]
        out.extend((w, 1.0 / len(words)) for w in words)
        if len(out) >= MAX_VALUE_WORDS:
            return out[:MAX_VALUE_WORDS]
    return out


def enum_value_words(col: ColumnSample) -> list[str]:
    """The words of ``col``'s values, sorted, when it is an enum-like text column, else none.

    Enum-like and words as :func:`value_words` reads them (few distinct values repeated on
    average; lower-cased words of three ASCII letters or more, answers and placeholders left
    out). Pure.
    """
    present = [v for v in col.values if isinstance(v, str) and v]
    distinct = set(present)
    few = len(distinct) <= MAX_ENUM_VALUES and 2 * len(distinct) <= len(present)
    if len(present) < MIN_ENUM_ROWS or not few:
        return []
    found = {w for v in distinct for w in _VALUE_WORD.findall(v.lower()) if w.isascii()}
    return sorted(found - _EMPTY_VALUE_WORDS)


def value_features(
    vectors: SemanticVectors,
    sample: TableSample,
    skip: Collection[str] = frozenset(),
    enum_words: Sequence[list[str]] | None = None,
) -> dict[str, float]:
    """``sem_val:<i>``, ``vmax:<category>``, ``vtop3:<category>``: what the values mean.

    The meaning of the enum-like columns' values (:func:`value_words`), as
    :func:`semantic_features` gives the names'. The hidden-names pair's features only: the
    first pair, which reads names, learned the generator's words for values rather than
    what they mean (real tables held out by source: top-1 0.624 without them, 0.600 with
    them; bench/README.md).

    ``{}`` when no such column has a word; ``skip`` and ``enum_words`` as for
    :func:`value_words`. Pure apart from the bounded cache on ``vectors``.
    """
    words = value_words(sample, skip, enum_words)
    if not words:
        return {}
    # Its own slot in the names' cache: no path word weighs 0.
    key = ((("", 0.0),), tuple(words))
    cached = vectors._table_features.get(key)
    if cached is None:
        cached = _vector_features(vectors, "sem_val:", words)
        cached.update(word_max_features(vectors, [w for w, _ in words], prefix="v"))
        _remember(vectors._table_features, key, cached, MAX_CACHED_TABLES)
    return dict(cached)


#: Softmax temperature of the prior: cosines of a text with the prototypes differ by a few
#: hundredths; scaled by this they give probabilities that are neither flat nor one-hot.
TEMPERATURE = 20.0


def softmax(sims: Mapping[str, float], temperature: float = TEMPERATURE) -> dict[str, float]:
    """``sims`` turned into probabilities (``exp(t * cos)`` normalised). Pure."""
    if not sims:
        return {}
    top = max(sims.values())
    exp = {k: math.exp(temperature * (v - top)) for k, v in sims.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def semantic_features(vectors: SemanticVectors, sample: TableSample) -> dict[str, float]:
    """``sem_path:<i>`` and ``sem_col:<i>``: the meaning of the path and the column names.

    The unit vectors of the object's path words and of its column-name words, one feature
    per dimension (none for a text without a known word), so the category model learns
    which directions of meaning go with which category.

    Pure apart from a bounded cache on ``vectors`` (per path and column-name words; the dict
    returned is the caller's).
    """
    path, cols = path_words(sample), column_words(sample)
    key = (tuple(path), tuple(cols))
    cached = vectors._table_features.get(key)
    if cached is None:
        cached = _semantic_features(vectors, path, cols)
        _remember(vectors._table_features, key, cached, MAX_CACHED_TABLES)
    return dict(cached)


def _semantic_features(
    vectors: SemanticVectors, path: list[tuple[str, float]], cols: list[tuple[str, float]]
) -> dict[str, float]:
    """:func:`semantic_features` from the table's path and column-name words."""
    f = _vector_features(vectors, "sem_path:", path)
    f.update(_vector_features(vectors, "sem_col:", cols))
    f.update(word_max_features(vectors, [w for w, _ in path + cols]))
    return f


def _vector_features(
    vectors: SemanticVectors, prefix: str, words: list[tuple[str, float]]
) -> dict[str, float]:
    """``<prefix><i>``: the words' unit weighted mean vector, one feature per dimension.

    (:meth:`SemanticVectors.text`.) ``{}`` when no word is known. Pure.
    """
    vec = vectors.text(words)
    if vec is None:
        return {}
    return dict(zip(dimension_names(prefix, len(vec)), vec.tolist(), strict=True))


def word_max_features(
    vectors: SemanticVectors, words: Iterable[str], prefix: str = "w"
) -> dict[str, float]:
    """``wmax:<category>`` and ``wtop3:<category>``: the closest words to each category.

    (``prefix`` in place of ``w``.) The highest cosine of any one word with the category's
    prototype, and the mean of the three highest. A mean vector of all words dilutes the one
    word that gives a table away (``wage`` among ``educ``, ``exper``, ``tenure``); the
    maximum keeps it. Pure.
    """
    rows = [v for v in (vectors.unit_word(w) for w in sorted(set(words))) if v is not None]
    if not rows:
        return {}
    sims = np.sort(np.stack(rows) @ vectors.prototypes.T, axis=0)[::-1]
    top = sims[: min(3, sims.shape[0])].mean(axis=0)
    f: dict[str, float] = {}
    for j, label in enumerate(vectors.labels):
        # Rounded: a matrix product's last bits differ between BLAS kernels, and training
        # must give the same bytes on every machine.
        f[prefix + "max:" + label] = round(float(sims[0, j]), 6)
        f[prefix + "top3:" + label] = round(float(top[j]), 6)
    return f


def column_semantic_features(
    vectors: SemanticVectors, sample: TableSample
) -> list[dict[str, float]]:
    """Per column: ``csem:<i>`` and ``csim:<type>``, the meaning of the column's name.

    ``csem:<i>`` is the unit vector of the name's words, ``csim:<type>`` its cosine with each
    column type's glossary prototype; ``{}`` for a name with no known word. Merged into the
    column-type model's features. Pure apart from a bounded per-name cache on ``vectors``.
    """
    return [dict(_column_name_features(vectors, col.name)) for col in sample.columns]


def _column_name_features(vectors: SemanticVectors, name: str) -> dict[str, float]:
    """:func:`column_name_features` of a column name, kept per name tokens (shared: copy it)."""
    tokens = tuple(name_tokens(name))
    found = vectors._name_features.get(tokens)
    if found is None:
        found = column_name_features(vectors, tokens)
        _remember(vectors._name_features, tokens, found, MAX_CACHED_NAMES)
    return found


#: Bounds of the per-name and per-table caches of :class:`SemanticVectors` (cleared when
#: full: a worker that meets ever new schemas keeps the recent ones). An entry holds ~150
#: (name) or ~300 (table) floats: some 20 MB at most.
MAX_CACHED_NAMES = 2048
MAX_CACHED_TABLES = 256


def _remember(
    cache: dict[Any, dict[str, float]], key: Any, value: dict[str, float], bound: int
) -> None:
    """Keep ``value`` under ``key``, first emptying ``cache`` when it holds ``bound`` entries."""
    if len(cache) >= bound:
        cache.clear()
    cache[key] = value


def column_model_features(
    sample: TableSample, vectors: SemanticVectors | None
) -> list[dict[str, float]]:
    """What the column-type model reads per column.

    :func:`table_column_features`, plus :func:`column_semantic_features` when the model was
    trained with word vectors. Pure apart from bounded caches of the name-derived features
    (per name, never per value); the dicts returned are the caller's.
    """
    rows = table_column_features(sample)
    if vectors is None:
        return rows
    return add_column_name_features(vectors, rows, [c.name for c in sample.columns])


def add_column_name_features(
    vectors: SemanticVectors, rows: list[dict[str, float]], names: Sequence[str]
) -> list[dict[str, float]]:
    """Extend ``rows`` in place with :func:`column_semantic_features`; returns ``rows``.

    ``rows`` are :func:`table_column_features` of the columns named ``names``.
    Side effects: updates the dicts of ``rows`` (keys in the order ``row | extra`` gives).
    """
    for row, name in zip(rows, names, strict=True):
        row.update(_column_name_features(vectors, name))
    return rows


def column_name_features(vectors: SemanticVectors, tokens: Sequence[str]) -> dict[str, float]:
    """:func:`column_semantic_features` of one column from its name tokens. Pure."""
    vec = vectors.text((t, 1.0) for t in tokens)
    if vec is None:
        return {}
    names, protos = vectors.column_type_prototypes()
    sims = protos @ vec
    f = {f"csim:{name}": round(float(s), 6) for name, s in zip(names, sims, strict=True)}
    f.update(zip(dimension_names("csem:", len(vec)), vec.tolist(), strict=True))
    return f


@functools.lru_cache(maxsize=16)
def dimension_names(prefix: str, size: int) -> tuple[str, ...]:
    """``<prefix>0`` ... ``<prefix><size - 1>``: the feature names of a vector's dimensions."""
    return tuple(f"{prefix}{i}" for i in range(size))


def features_from_tokens(
    vectors: SemanticVectors, features: Mapping[str, float]
) -> dict[str, float]:
    """:func:`semantic_features` rebuilt from a stored category feature dict.

    Steward examples (``enricher train export``) keep the ``path=<word>`` and
    ``col=<word>`` token features but not the vectors; the weights are approximate (each path
    word once, each column word by its count). Pure.
    """
    path = [(k[5:], 1.0) for k in features if k.startswith("path=")]
    cols = [(k[4:], float(v)) for k, v in features.items() if k.startswith("col=")]
    f: dict[str, float] = {}
    for prefix, words in (("sem_path:", path), ("sem_col:", cols)):
        vec = vectors.text(words)
        if vec is not None:
            f.update((f"{prefix}{i}", float(x)) for i, x in enumerate(vec))
    f.update(word_max_features(vectors, [w for w, _ in path + cols]))
    return f


def prior(vectors: SemanticVectors, sample: TableSample) -> dict[str, float]:
    """The prior alone: category -> probability (empty when no word is known).

    The softmax of the cosines of all the object's words (path and column names) with the
    category prototypes. Pure.
    """
    words = path_words(sample) + column_words(sample)
    return softmax(vectors.similarities(vectors.text(words)))


def to_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` of ``arrays`` (in :data:`ARRAYS` order), byte-identical for equal arrays.

    Fixed member timestamps, no compression.
    :raises KeyError: an array is missing.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in ARRAYS:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    return out.getvalue()
