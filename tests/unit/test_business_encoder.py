"""The numpy sentence encoder against the original model, and the sentence prior's blend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from classifiers.business.encoder import (
    ENCODER_ARTIFACT,
    MAX_TOKENS,
    PROTOTYPE_TEMPLATE,
    SentenceEncoder,
    basic_words,
    blend,
    sentence_log_prior,
    table_text,
)
from classifiers.business.model import (
    DEFAULT_ARTIFACTS_DIR,
    ModelArtifactError,
    manifest_sentence_prior,
)
from classifiers.business.taxonomy import load_taxonomy
from models import ColumnSample
from tests.support.encoder_reference import own_cosines, pooled_cosine
from training.corpus import _sample
from training.sentence_encoder import (
    DEFAULT_OUT,
    REFERENCE_TEXTS,
    description_facets,
    to_bytes,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load(DEFAULT_ARTIFACTS_DIR / ENCODER_ARTIFACT)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_OUT, allow_pickle=False) as npz:
        return {k: npz[k] for k in ("reference_ids", "reference_vectors", "reference_texts")}


def test_the_artifact_is_the_committed_build(encoder: SentenceEncoder) -> None:
    # make train copies training/data/sentence_encoder.npz as it is.
    built = hashlib.sha256(DEFAULT_OUT.read_bytes()).hexdigest()
    shipped = hashlib.sha256((DEFAULT_ARTIFACTS_DIR / ENCODER_ARTIFACT).read_bytes()).hexdigest()
    assert built == shipped
    assert sorted(encoder.labels) == sorted(load_taxonomy().names)


def test_token_ids_are_the_original_tokenizers(
    encoder: SentenceEncoder, reference: dict[str, np.ndarray]
) -> None:
    texts = [bytes(t).decode("utf-8") for t in reference["reference_texts"]]
    assert texts == list(REFERENCE_TEXTS)
    for text, row in zip(texts, reference["reference_ids"], strict=True):
        assert encoder.token_ids(text) == [int(i) for i in row if i >= 0], text
    # The long text is cut at MAX_TOKENS, [SEP] kept last.
    assert len(encoder.token_ids(texts[-1])) == MAX_TOKENS


def test_embeddings_match_the_original_float_model(
    encoder: SentenceEncoder, reference: dict[str, np.ndarray]
) -> None:
    # int8 weights and GELU's tanh form against the float32 model with erf's: cosines of
    # 0.999 and more measured; 0.995 leaves room for BLAS differences between machines.
    for row, want in zip(reference["reference_ids"], reference["reference_vectors"], strict=True):
        got = encoder.embed_ids([int(i) for i in row if i >= 0])
        assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-5
        assert float(got @ want) >= 0.995


def test_basic_words_split_like_bert_uncased() -> None:
    assert basic_words("Café Münchën: Prix (€)") == ["cafe", "munchen", ":", "prix", "(", "€", ")"]
    # A control character is dropped, not a separator (as BERT's tokenizer does).
    assert basic_words("顧客 ID\tx\x00y") == ["顧", "客", "id", "xy"]


def test_table_text_reads_folders_then_column_names() -> None:
    sample = _sample(
        "s3://lake/raw/billing/invoices/part-0.csv",
        "t",
        [
            ColumnSample("invoiceNumber", "string", ("a",)),
            ColumnSample("amount_due", "double", (1.0,)),
        ],
        "csv",
    )
    text = table_text(sample)
    assert text.endswith(": invoice number, amount due")
    assert "billing" in text and "invoices" in text


def test_the_prior_reads_what_the_words_say_together(encoder: SentenceEncoder) -> None:
    def top(path: str, names: list[str]) -> str:
        cols = [ColumnSample(n, "string", ("x",)) for n in names]
        cos = encoder.similarities(_sample(path, "t", cols, "csv"))
        return encoder.labels[int(cos.argmax())]

    assert top("s3://lake/hr/staff/part-0.csv", ["employee_id", "salary", "hire_date"]) == (
        "employee"
    )
    assert top("s3://lake/clinic/visits/part-0.csv", ["patient_id", "diagnosis", "dose"]) == (
        "health"
    )


def test_embeddings_are_cached_and_the_cache_is_bounded(
    encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = encoder.embed("orders: order id, amount")
    assert encoder.embed("orders: order id, amount") is first
    monkeypatch.setattr("classifiers.business.encoder.CACHE_SIZE", 3)
    for i in range(5):
        encoder.embed(f"orders {i}: order id")
    assert len(encoder._cache) <= 3
    assert "orders: order id, amount" not in encoder._cache


def test_blend_with_weight_zero_is_the_powered_probabilities() -> None:
    proba = np.array([0.7, 0.2, 0.1])
    prior = sentence_log_prior(np.array([0.1, 0.5, 0.2]), 20.0)
    powered = proba**0.5 / (proba**0.5).sum()
    assert np.allclose(blend(proba, prior, 0.5, 0.0), powered)
    # A confident prior can reorder a weak model's guess.
    mixed = blend(np.array([0.4, 0.35, 0.25]), prior, 0.5, 1.0)
    assert mixed.argmax() == 1 and abs(float(mixed.sum()) - 1.0) < 1e-9


@pytest.mark.parametrize(
    "value",
    [{"weight": -1, "temperature": 10}, {"weight": 1, "temperature": 0}, {"weight": "x"}, 3,
     {"weight": True, "temperature": 10}, {"weight": "0.5", "temperature": 10}],
)  # fmt: skip
def test_a_malformed_sentence_prior_in_the_manifest_is_refused(value: object) -> None:
    with pytest.raises(ModelArtifactError, match="category_sentence_prior"):
        manifest_sentence_prior({"category_sentence_prior": value})
    assert manifest_sentence_prior({}) is None


def test_a_malformed_encoder_artifact_is_refused() -> None:
    with pytest.raises(ValueError, match="not an encoder artifact"):
        SentenceEncoder.from_bytes(b"not a zip")


def test_the_prototypes_are_the_taxonomys(encoder: SentenceEncoder) -> None:
    # Editing a category's description needs `python -m training.sentence_encoder`.
    taxonomy = load_taxonomy()
    for label, proto in zip(encoder.labels, encoder.prototypes, strict=True):
        text = PROTOTYPE_TEMPLATE.format(name=label, description=taxonomy.get(label).description)
        assert float(encoder.embed_ids(encoder.token_ids(text, 256)) @ proto) >= 0.99, label


def test_the_facets_are_the_descriptions_phrases(encoder: SentenceEncoder) -> None:
    taxonomy = load_taxonomy()
    want = [
        (label, facet)
        for label in encoder.labels
        for facet in description_facets(taxonomy.get(label).description)
    ]
    got = [encoder.labels[int(i)] for i in encoder.facet_labels]
    assert got == [label for label, _ in want]
    for (label, facet), proto in zip(want, encoder.facet_prototypes, strict=True):
        text = PROTOTYPE_TEMPLATE.format(name=label, description=facet)
        assert float(encoder.embed_ids(encoder.token_ids(text, 256)) @ proto) >= 0.99, facet
    assert description_facets("Experiments, surveys, test scores and other measurements.") == [
        "Experiments",
        "surveys",
        "test scores",
        "other measurements",
    ]


def test_a_category_cosine_is_a_soft_maximum_of_its_own(encoder: SentenceEncoder) -> None:
    vec = encoder.embed("science lab: sample id, sensor, reading, observed at").astype(np.float64)
    pooled = encoder.category_cosines(vec)
    for i, label in enumerate(encoder.labels):
        own = own_cosines(encoder, i, vec)
        assert pooled[i] == pytest.approx(pooled_cosine(encoder, i, vec), abs=1e-9), label
        # Between the mean and the largest: every facet counts, the best the most.
        assert own.mean() - 1e-9 <= pooled[i] <= own.max() + 1e-9


def test_a_cached_embedding_cannot_be_changed_by_a_caller(encoder: SentenceEncoder) -> None:
    vec = encoder.embed("claims: claim id, policy id, amount")
    with pytest.raises(ValueError, match="read-only"):
        vec[0] = 1.0


def _arrays() -> dict[str, np.ndarray]:
    with np.load(DEFAULT_OUT, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("encoder.layer.5.output.dense.weight.q"), "without"),
        (lambda a: a.update(prototypes=a["prototypes"][:3]), "prototypes of shape"),
        (
            lambda a: a.update(facet_prototypes=a["facet_prototypes"][:, :5]),
            "facet prototypes of shape",
        ),
        (lambda a: a.update(facet_labels=a["facet_labels"][:-1]), "facet prototypes of shape"),
        (lambda a: a.update(facet_labels=a["facet_labels"] + 20), "facet labels out of range"),
        (lambda a: a.pop("facet_labels"), "usable"),
        (lambda a: a.update(vocab=a["vocab"][:-1]), "vocabulary"),
        (lambda a: a.pop("meta"), "usable"),
    ],
)
def test_an_encoder_artifact_that_would_fail_later_is_refused_at_load(
    change: object, message: str
) -> None:
    arrays = _arrays()
    change(arrays)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        SentenceEncoder.from_bytes(to_bytes(arrays))


def test_a_manifest_with_the_prior_but_without_the_encoder_is_refused(tmp_path: Path) -> None:
    import json
    import shutil

    from classifiers.business.model import MANIFEST_NAME, BusinessModel

    art = tmp_path / "artifacts"
    shutil.copytree(DEFAULT_ARTIFACTS_DIR, art)
    manifest = json.loads((art / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["category_sentence_prior"]
    del manifest["artifacts"][ENCODER_ARTIFACT]
    (art / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="no sentence encoder"):
        BusinessModel.load(art)


def test_an_encoder_for_other_categories_is_refused(tmp_path: Path) -> None:
    import json
    import shutil

    from classifiers.business.model import MANIFEST_NAME, BusinessModel

    art = tmp_path / "artifacts"
    shutil.copytree(DEFAULT_ARTIFACTS_DIR, art)
    arrays = _arrays()
    meta = json.loads(str(arrays["meta"].item()))
    meta["labels"] = [*meta["labels"][:-1], "astrology"]
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    (art / ENCODER_ARTIFACT).write_bytes(to_bytes(arrays))
    manifest = json.loads((art / MANIFEST_NAME).read_text(encoding="utf-8"))
    data = (art / ENCODER_ARTIFACT).read_bytes()
    manifest["artifacts"][ENCODER_ARTIFACT]["sha256"] = hashlib.sha256(data).hexdigest()
    (art / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="its categories differ"):
        BusinessModel.load(art)


@pytest.mark.parametrize(
    ("content", "message"), [(None, "is missing"), (b"another encoder", "SHA-256 differs")]
)
def test_training_refuses_an_encoder_the_threshold_was_not_measured_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, message: str
) -> None:
    # Checked before any corpus is built or model fitted: this fails in a moment.
    import training.train as tt
    from training.real_tables import RealTablesError

    stand_in = tmp_path / "sentence_encoder.npz"
    if content is not None:
        stand_in.write_bytes(content)
    monkeypatch.setattr(tt, "SENTENCE_ENCODER_FILE", stand_in)
    monkeypatch.setattr(tt, "build_corpus", lambda *a, **k: pytest.fail("fitting started"))
    with pytest.raises(RealTablesError, match=message):
        tt.train(tmp_path / "out")
