"""The semantic prior: static word vectors distilled from all-MiniLM-L6-v2, read with numpy."""

from __future__ import annotations

import io

import numpy as np
import pytest

from classifiers.business.features import table_column_features
from classifiers.business.semantic import (
    ARRAYS,
    MAX_VALUE_WORDS,
    SemanticVectors,
    column_model_features,
    column_name_features,
    column_words,
    features_from_tokens,
    path_words,
    prior,
    semantic_features,
    softmax,
    to_bytes,
    value_features,
    value_words,
    word_max_features,
    words_category,
)
from classifiers.business.taxonomy import load_taxonomy
from models import ColumnSample, TableSample
from tests.support.tables import table_sample
from training.semantic_vectors import artifact_bytes, quantise
from training.train import SEMANTIC_VECTORS_FILE


def _tiny() -> SemanticVectors:
    vocab = ["wage", "l", "##wa", "##ge", "##s", "pay"]
    vectors = np.eye(6, dtype=np.float32)
    return SemanticVectors(vocab, vectors, ["a", "b"], np.eye(2, 6, dtype=np.float32))


def test_unknown_words_split_into_greedy_word_pieces() -> None:
    vectors = _tiny()
    assert vectors.pieces("wage") == [0]
    assert vectors.pieces("wages") == [0, 4]
    assert vectors.pieces("lwage") == [1, 2, 3]
    assert vectors.pieces("xyz") == []
    # "lwa" is no word, begins none and is too short to lose its first letter: pieces.
    lwa = vectors.word("lwa")
    assert lwa is not None and np.allclose(lwa, [0, 1 / 2, 1 / 2, 0, 0, 0])
    assert vectors.word("qq") is None


def test_text_is_a_unit_weighted_mean_and_unknown_text_gives_no_prior() -> None:
    vectors = _tiny()
    vec = vectors.text([("wage", 3.0), ("pay", 1.0), ("qq", 5.0)])
    assert vec is not None and np.isclose(np.linalg.norm(vec), 1.0)
    assert vec[0] == pytest.approx(3 / np.sqrt(10))
    assert vectors.text([("qq", 1.0)]) is None
    assert vectors.similarities(None) == {}
    assert softmax({}) == {}
    probs = softmax({"a": 0.3, "b": 0.1})
    assert sum(probs.values()) == pytest.approx(1.0) and probs["a"] > probs["b"]


def test_artifact_round_trips_with_equal_bytes_and_no_pickles() -> None:
    vectors = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    codes, scales = quantise(vectors)
    assert np.abs(codes.astype(np.float32) * scales[:, None] - vectors).max() < 0.02
    arrays = {
        "vocab": np.array(["a", "b", "##c", "d"]),
        "codes": codes,
        "scales": scales,
        "mean": np.zeros(3, dtype=np.float32),
        "labels": np.array(["x", "y"]),
        "prototypes": np.eye(2, 3, dtype=np.float32),
    }
    data = to_bytes(arrays)
    assert to_bytes(arrays) == data
    loaded = SemanticVectors.from_bytes(data)
    assert loaded.labels == ("x", "y") and loaded.pieces("bc") == [1, 2]
    partial = io.BytesIO()
    np.savez(partial, **{k: v for k, v in arrays.items() if k != "prototypes"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks prototypes"):
        SemanticVectors.from_bytes(partial.getvalue())
    # An object array (a pickle) is refused by np.load(allow_pickle=False).
    buf = io.BytesIO()
    objects = {**arrays, "vocab": np.array(["a", None, "c", "d"], dtype=object)}
    np.savez(buf, **objects)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SemanticVectors.from_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="differ in length"):
        SemanticVectors.from_bytes(to_bytes({**arrays, "vocab": np.array(["a"])}))
    assert set(ARRAYS) == set(arrays)


def test_path_words_skip_lake_structure_and_weigh_the_table_folder() -> None:
    sample = table_sample(
        [ColumnSample("invoiceNo", "int64", (1,)), ColumnSample("amount_due", "double", (1.0,))],
        "s3://data-lake/raw/billing/invoices/dt=2024-01-01/part-0.parquet",
    )
    assert path_words(sample) == [("billing", 1.0), ("invoices", 2.0)]
    assert column_words(sample) == [
        ("invoice", 0.5),
        ("no", 0.5),
        ("amount", 0.5),
        ("due", 0.5),
    ]


@pytest.fixture(scope="module")
def committed() -> SemanticVectors:
    return SemanticVectors.from_bytes(artifact_bytes(SEMANTIC_VECTORS_FILE.read_bytes()))


def test_committed_vectors_know_meaning(committed: SemanticVectors) -> None:
    def cos(a: str, b: str) -> float:
        va, vb = committed.word(a), committed.word(b)
        assert va is not None and vb is not None
        return float(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))

    assert cos("invoice", "payment") > cos("invoice", "patient")
    assert cos("patient", "hospital") > cos("patient", "warehouse")
    assert cos("salary", "payroll") > cos("salary", "sensor")
    assert committed.labels == load_taxonomy().names


@pytest.mark.parametrize(
    ("uri", "columns", "category"),
    [
        (
            "s3://acme/billing/invoices/p.csv",
            ["invoice_no", "amount_due", "paid_on"],
            "finance",
        ),
        ("s3://acme/clinic/admissions/part-0.csv", ["patient", "diagnosis", "ward"], "health"),
        ("s3://acme/people/payroll/part-0.csv", ["staff_no", "gross_salary", "dept"], "employee"),
    ],
)
def test_the_prior_ranks_the_meaningful_category_first(
    committed: SemanticVectors, uri: str, columns: list[str], category: str
) -> None:
    # None of these words is a taxonomy keyword spelt this way in every case: the prior
    # must come from meaning (admissions, ward, gross_salary).
    sample = table_sample([ColumnSample(c, "string", ("x",)) for c in columns], uri)
    both = prior(committed, sample)
    assert max(both, key=both.__getitem__) == category
    # The category model's features: the unit vectors of the path and of the column names.
    f = semantic_features(committed, sample)
    dims = committed.vectors.shape[1]
    assert len([k for k in f if k.startswith("sem_")]) == 2 * dims
    assert len([k for k in f if k.startswith(("wmax:", "wtop3:"))]) == 2 * len(committed.labels)
    path = np.array([f[f"sem_path:{i}"] for i in range(dims)])
    assert np.linalg.norm(path) == pytest.approx(1.0, abs=1e-5)


def test_the_artifact_is_reproducible() -> None:
    data = SEMANTIC_VECTORS_FILE.read_bytes()
    assert artifact_bytes(data) == artifact_bytes(data)


def test_steward_examples_get_their_vectors_back_from_their_tokens(
    committed: SemanticVectors,
) -> None:
    sample = table_sample(
        [ColumnSample("patient", "string", ("x",)), ColumnSample("diagnosis", "string", ("x",))],
        "s3://acme/clinic/admissions/part-0.csv",
    )
    stored = {"path=acme": 1.0, "path=clinic": 1.0, "path=admissions": 1.0}
    stored |= {"col=patient": 1.0, "col=diagnosis": 1.0, "n_cols": 1.1}
    rebuilt = features_from_tokens(committed, stored)
    direct = semantic_features(committed, sample)
    dims = committed.vectors.shape[1]
    col_a = np.array([rebuilt[f"sem_col:{i}"] for i in range(dims)])
    col_b = np.array([direct[f"sem_col:{i}"] for i in range(dims)])
    assert float(col_a @ col_b) == pytest.approx(1.0, abs=1e-5)
    assert features_from_tokens(committed, {"n_cols": 1.0}) == {}


def test_word_max_keeps_the_one_telling_word_that_a_mean_dilutes() -> None:
    # Prototype "a" is the direction of "wage"; three unrelated words would pull the mean
    # of all words away from it, the maximum keeps it.
    vocab = ["wage", "x", "y", "z"]
    protos = np.zeros((2, 5), dtype=np.float32)
    protos[0, 0] = protos[1, 4] = 1.0  # "a" is wage's direction, "b" no word's
    vectors = SemanticVectors(vocab, np.eye(4, 5, dtype=np.float32), ["a", "b"], protos)
    f = word_max_features(vectors, ["x", "wage", "y", "z", "unknown"])
    assert f["wmax:a"] == 1.0 and f["wmax:b"] == 0.0
    assert f["wtop3:a"] == pytest.approx(1 / 3)
    mean = vectors.text([(w, 1.0) for w in ("x", "wage", "y", "z")])
    assert mean is not None and float(mean @ vectors.prototypes[0]) == pytest.approx(0.5)
    assert word_max_features(vectors, ["unknown"]) == {}


def test_column_names_get_their_meaning_and_the_closest_column_type(
    committed: SemanticVectors,
) -> None:
    f = column_name_features(committed, ["gross", "salary"])
    sims = {k[5:]: v for k, v in f.items() if k.startswith("csim:")}
    assert max(sims, key=sims.__getitem__) == "amount"
    assert len([k for k in f if k.startswith("csem:")]) == committed.vectors.shape[1]
    assert column_name_features(committed, []) == {}
    sample = table_sample(
        [ColumnSample("ss_customer_sk", "int64", (1, 2)), ColumnSample("zip", "string", ("x",))],
        "s3://acme/sales/part-0.csv",
    )
    plain = table_column_features(sample)
    assert column_model_features(sample, None) == plain
    merged = column_model_features(sample, committed)
    assert all(row.items() >= base.items() for row, base in zip(merged, plain, strict=True))
    postal = {k[5:]: v for k, v in merged[1].items() if k.startswith("csim:")}
    assert max(postal, key=postal.__getitem__) == "postal_code"


def test_value_words_come_from_repeated_few_valued_text_columns_only() -> None:
    depts = ("Cardiology", "Oncology", "Emergency Room", "Cardiology") * 3
    sample = table_sample(
        [
            ColumnSample("c1", "string", depts),
            # Unique per row: names, ids, free text are not enum values.
            ColumnSample("c2", "string", tuple(f"Patient note {i}" for i in range(12))),
            ColumnSample("c3", "int64", tuple(range(12))),
            ColumnSample("c4", "string", ("Yes", "No", None, "yes") * 3),
            # Too few values present to say that they repeat.
            ColumnSample("c5", "string", ("Surgery", None, None, None) * 3),
        ]
    )
    words = value_words(sample)
    assert [w for w, _ in words] == ["cardiology", "emergency", "oncology", "room"]
    # One column weighs 1, split among its words; "yes"/"no" say nothing ("no" is too short).
    assert sum(wt for _, wt in words) == pytest.approx(1.0)
    many = table_sample(
        [
            ColumnSample(f"c{i}", "string", tuple(f"w{i}a{j % 3} xx" for j in range(12)))
            for i in range(9)
        ]
    )
    assert value_words(many) == []  # no ASCII word of three letters: codes say nothing
    accents = table_sample([ColumnSample("c1", "string", ("Pédiatrie", "Ärzte", "Station") * 4)])
    # A word with another letter is left out whole, not cut to "diatrie" or "rzte".
    assert [w for w, _ in value_words(accents)] == ["station"]
    wide = table_sample(
        [
            ColumnSample(
                f"c{i}",
                "string",
                tuple(("alpha", "bravo", "charlie", "delta")[j % 4] + f"x{i}" for j in range(12)),
            )
            for i in range(30)
        ]
    )
    assert len(value_words(wide)) == MAX_VALUE_WORDS
    # Columns of personal data (the PII classifier's findings) are skipped: five sales reps'
    # names repeated over the rows are enum-like, and their words are not the table's subject.
    reps = ("Maria Lopez", "John Carter", "Maria Lopez", "Ann Smith") * 3
    people = table_sample([ColumnSample("c1", "string", depts), ColumnSample("c2", "string", reps)])
    assert {w for w, _ in value_words(people)} >= {"maria", "lopez", "cardiology"}
    assert [w for w, _ in value_words(people, skip={"c2"})] == [w for w, _ in words]


def test_value_features_give_the_meaning_of_values_and_nothing_without_them(
    committed: SemanticVectors,
) -> None:
    def sample(values: tuple[str, ...]) -> TableSample:
        return table_sample(
            [ColumnSample("c1", "string", values * 4), ColumnSample("c2", "int64", (1, 2, 3) * 4)]
        )

    clinic = value_features(committed, sample(("Cardiology", "Oncology", "Pediatrics")))
    pay = value_features(committed, sample(("Payroll", "Salary", "Bonus")))
    dims = committed.vectors.shape[1]
    assert len([k for k in clinic if k.startswith("sem_val:")]) == dims
    assert max(committed.labels, key=lambda c: clinic["vmax:" + c]) == "health"
    assert clinic["vmax:health"] > pay["vmax:health"]
    assert value_features(committed, table_sample([ColumnSample("c2", "int64", (1, 2) * 6)])) == {}
    # The names' semantic features are not the values': the first pair never reads them.
    assert not any(
        k.startswith(("sem_val:", "vmax:"))
        for k in semantic_features(committed, sample(("Cardiology", "Oncology", "Pediatrics")))
    )


def test_the_words_category_is_the_closest_prototype_or_none() -> None:
    """The semantic prior alone, asked for one category: none when no word is known."""
    vectors = _tiny()
    paid = table_sample(
        [ColumnSample("wage", "double", (1.0,)), ColumnSample("pay", "double", (2.0,))],
        "s3://qq/t.csv",
    )
    assert words_category(vectors, paid) == "a"  # wage is prototype a's first dimension
    nothing = table_sample([ColumnSample("qq", "double", (1.0,))], "s3://qq/t.csv")
    assert vectors.text(path_words(nothing) + column_words(nothing)) is None
    assert words_category(vectors, nothing) is None
