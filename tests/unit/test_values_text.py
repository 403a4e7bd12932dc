"""The values text and its prior on the hidden-names pair (bench/README.md, "What the values
say, in words")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers.business.encoder import (
    ENCODER_ARTIFACT,
    blend,
    sentence_log_prior,
    values_cosines,
    values_text,
)
from classifiers.business.model import (
    DEFAULT_ARTIFACTS_DIR,
    MANIFEST_NAME,
    BusinessModel,
    ModelArtifactError,
    manifest_values_prior,
)
from models import ColumnSample, TableSample
from training.corpus import _sample

WARDS = ("Cardiology", "Oncology", "Cardiology", "Pediatrics", "Oncology", "Cardiology")


def _table(path: str, columns: list[ColumnSample]) -> TableSample:
    return _sample(path, "t", columns, "csv")


def test_each_column_is_its_entity_or_its_type_then_its_enum_words() -> None:
    sample = _table(
        "s3://lake/data/t1.csv",
        [
            ColumnSample("c1", "string", ("Ann Lee", "Bo Chen") * 3),
            ColumnSample("c2", "string", WARDS),
            ColumnSample("c3", "double", (1.5, 2.5) * 3),
            ColumnSample("c4", "string", ("x7", "q9") * 3),
            ColumnSample("c5", "string", ("123-45-6789",) * 6),
            ColumnSample("c6", "string", ("E-1",) * 6),
        ],
    )
    types = ["person_data", "category_enum", "amount", "other", "person_data", "person_data"]
    pii = {"c1": {"PERSON"}, "c5": {"NL_BSN"}, "c6": {"EMPLOYEE_ID"}}
    text = values_text(sample, types, pii)
    assert text == (
        "person name, category cardiology oncology pediatrics, amount of money, "
        "national identity number, employee id"
    )
    # No PII: each column is its business type; personal data gives no words either.
    assert values_text(sample, types) == (
        "personal data, category cardiology oncology pediatrics, amount of money, "
        "personal data, personal data"
    )


def test_a_column_with_an_entity_never_gives_its_values() -> None:
    # Three sales reps' names repeated over the rows: enum-like, and personal data.
    reps = ("Maria Gomez", "Tom Baker", "Ines Roth") * 4
    sample = _table("s3://lake/data/t2.csv", [ColumnSample("c1", "string", reps)])
    assert values_text(sample, ["category_enum"], {"c1": {"PERSON"}}) == "person name"
    assert "gomez" in values_text(sample, ["category_enum"], {})


def test_no_word_of_a_column_with_an_entity_reaches_the_text() -> None:
    # Two enum-like columns with PII around one of wards; the first entity by name speaks.
    reps = ("Maria Gomez", "Tom Baker", "Ines Roth") * 4
    streets = ("Elm Street", "Oak Avenue") * 6
    sample = _table(
        "s3://lake/data/t4.csv",
        [
            ColumnSample("c1", "string", reps),
            ColumnSample("c2", "string", WARDS * 2),
            ColumnSample("c3", "string", streets),
        ],
    )
    pii = {"c1": {"PERSON"}, "c3": {"STREET_ADDRESS", "PERSON"}}
    text = values_text(sample, ["category_enum"] * 3, pii)
    assert text == "person name, category cardiology oncology pediatrics, person name"


def test_the_generator_s_personal_values_never_reach_the_text() -> None:
    """Each personal column of the generator's tables made enum-like (three of its values
    repeated, as a handful of sales reps over the rows): none of its words is said."""
    from dataclasses import replace

    from classifiers.business.semantic import enum_value_words
    from training.corpus import build_corpus

    checked = 0
    for t in build_corpus("test", tables=60):
        personal = {c for c, entities in t.pii.items() if entities}
        columns = []
        for col in t.sample.columns:
            few = [v for v in dict.fromkeys(col.values) if isinstance(v, str) and v][:3]
            if col.name in personal and few:
                col = ColumnSample(
                    col.name, col.data_type, tuple(few[i % len(few)] for i in range(30))
                )
            columns.append(col)
        sample = replace(t.sample, columns=tuple(columns))
        said = set(values_text(sample, list(t.column_types), t.pii).replace(",", " ").split())
        others = {w for c in sample.columns if c.name not in personal for w in enum_value_words(c)}
        for col in sample.columns:
            words = set(enum_value_words(col))
            if col.name in personal and words:
                checked += 1
                assert not (words & said) - others, (t.source, col.name)
    assert checked >= 10  # enum-like columns of personal data were there to leak


@pytest.mark.parametrize("value", [{"temperature": 0}, {"temperature": 2000}, {"t": 1}, 5,
                                   {"temperature": True}, {"temperature": "15"}])  # fmt: skip
def test_a_malformed_values_prior_in_the_manifest_is_refused(value: object) -> None:
    with pytest.raises(ModelArtifactError, match="category_values_prior"):
        manifest_values_prior({"category_values_prior": value})
    assert manifest_values_prior({}) is None
    assert manifest_values_prior({"category_values_prior": None}) is None
    assert manifest_values_prior({"category_values_prior": {"temperature": 15}}) == 15.0


def test_a_manifest_with_the_values_prior_but_without_the_encoder_is_refused(
    tmp_path: Path,
) -> None:
    art = tmp_path / "artifacts"
    shutil.copytree(DEFAULT_ARTIFACTS_DIR, art)
    manifest = json.loads((art / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["category_values_prior"]
    # Only the values prior asks for the encoder now.
    manifest["category_sentence_prior"] = None
    manifest["hyperparameters"]["encoder_features"] = False
    del manifest["artifacts"][ENCODER_ARTIFACT]
    (art / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelArtifactError, match="category_values_prior but no sentence encoder"):
        BusinessModel.load(art)


@pytest.fixture(scope="module")
def model() -> BusinessModel:
    return BusinessModel.load()


def test_the_prior_is_multiplied_into_the_pair_for_names_that_say_nothing(
    model: BusinessModel,
) -> None:
    sample = _table(
        "s3://lake/data/t3.csv",
        [
            ColumnSample("c1", "string", WARDS * 5),
            ColumnSample("c2", "string", ("glucose", "sodium", "potassium") * 10),
            ColumnSample("c3", "double", tuple(float(i % 7) for i in range(30))),
        ],
    )
    labels = list(model.category_labels)
    types = [label for label, _ in model.column_types(sample)]
    alone = dict(model.categories(sample, types, {}, top=99, values_prior=False))
    got = dict(model.categories(sample, types, {}, top=99))
    assert got != alone
    temperature = model.manifest["category_values_prior"]["temperature"]
    encoder = model._encoder
    assert encoder is not None
    cosines = encoder.category_cosines(encoder.embed(values_text(sample, types)))
    want = blend(
        np.array([alone[label] for label in labels]),
        sentence_log_prior(cosines[encoder.order(labels)], temperature),
        1.0,
        1.0,
    )
    assert np.allclose([got[label] for label in labels], want, rtol=0, atol=1e-12)
    # Wards and lab tests: the values read as a hospital's.
    assert max(got, key=got.__getitem__) == "health"


def test_names_that_say_something_are_read_as_before(model: BusinessModel) -> None:
    sample = _table(
        "s3://lake/clinic/visits/part-0.csv",
        [
            ColumnSample("ward", "string", WARDS * 5),
            ColumnSample("test_name", "string", ("glucose", "sodium", "potassium") * 10),
        ],
    )
    types = [label for label, _ in model.column_types(sample)]
    alone = model.categories(sample, types, {}, top=99, values_prior=False)
    assert model.categories(sample, types, {}, top=99) == alone


def test_an_empty_values_text_gives_no_prior(model: BusinessModel) -> None:
    # Opaque codes that repeat too little to be an enum: nothing is said of them.
    sample = _table(
        "s3://lake/data/t5.csv",
        [ColumnSample(f"c{k}", "string", tuple(f"x{k}{i}" for i in range(30))) for k in (1, 2)],
    )
    types = ["other", "other"]
    assert values_text(sample, types) == ""
    encoder = model._encoder
    assert encoder is not None
    assert values_cosines(encoder, sample, types, {}, range(len(encoder.labels))) is None
    alone = model.categories(sample, types, {}, top=99, values_prior=False)
    assert model.categories(sample, types, {}, top=99) == alone
