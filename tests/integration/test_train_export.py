"""Stewards' decisions → `enricher train export` → `make train` with the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifiers.business.classifier import BusinessClassifier
from models import ObjectRef
from models.plan import Suggestion
from models.review import SuggestionFilter
from tests.support.fakes import InMemoryLocalCatalog, InMemoryObjectStore
from training.train import StewardExampleError, load_steward_examples, train
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.review_store import SqlReviewStore
from worker.cli.app import cli
from worker.core.pipeline import Deps, EnrichOptions, enrich_object
from worker.core.review_policy import _table_features
from worker.core.settings import BusinessSettings, Settings
from worker.services.review.queue import ReviewQueue

CSV = b"order_id,customer_email,amount,currency\n" + b"".join(
    f"{1000 + i},buyer{i}@shop.example,{i * 17.25 + 3:.2f},EUR\n".encode() for i in range(80)
)


def _scan(db: Path) -> tuple[SqlReviewStore, object]:
    store = SqlReviewStore(SqlLocalCatalog(f"sqlite:///{db}"))
    settings = Settings(business=BusinessSettings(glossary_terms={"amount": "Amount@Glossary"}))
    deps = Deps(
        InMemoryObjectStore({"s3://shop/sales/orders.csv": CSV}),
        [BusinessClassifier()],
        InMemoryLocalCatalog(),
        ReviewQueue(store, settings),
    )
    result = enrich_object(
        ObjectRef.parse("s3://shop/sales/orders.csv"), deps, EnrichOptions(run_id="r")
    )
    return store, result


def test_decisions_export_as_value_free_examples_and_train_uses_them(tmp_path: Path) -> None:
    store, result = _scan(tmp_path / "c.db")
    (term,) = store.page(SuggestionFilter(kind="term")).items
    assert term.column == "amount" and term.evidence["features"]["tok=amount"] == 1.0
    store.decide([term.id], True, "ann")
    features = _table_features(result)  # type: ignore[arg-type]
    store.sync("s3://shop/sales/orders.csv", [Suggestion(
        "s3://shop/sales/orders.csv", "", "category", "sales", None, None, 0.55, "low",
        {"top": [], "features": features}, "business=1")])  # fmt: skip
    (cat,) = store.page(SuggestionFilter(kind="category")).items
    store.decide([cat.id], False, "ann", "it is finance")
    out = tmp_path / "examples.jsonl"
    run = CliRunner().invoke(
        cli, ["train", "export", "--output", str(out)],
        env={"ENRICH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"},
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "2 steward examples exported" in run.output
    text = out.read_text()
    assert "buyer" not in text and "shop.example" not in text and "17.25" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert {(e["kind"], e["label"], e["verdict"]) for e in lines} == {
        ("column_type", "amount", "approved"),
        ("category", "sales", "rejected"),
    }
    magnitudes = [e["features"]["num_max"] for e in lines if "num_max" in e["features"]]
    assert magnitudes and all(m == int(m) for m in magnitudes)
    columns, categories, summary = load_steward_examples(out)
    assert len(columns) == 1 and categories == []
    assert summary["rejections_counted_not_fitted"] == 1
    manifest = train(tmp_path / "art", tables=200, steward_examples=out)
    assert manifest["training_data"]["steward_examples"] == 1
    assert manifest["training_data"]["steward_file"]["file_sha256"] == summary["file_sha256"]


def test_a_malformed_example_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": 1, "kind": "column_type", "label": "amount", "verdict": '
                   '"approved", "features": {}}\n{"format": 1, "kind": "column_type", '
                   '"label": "salary", "verdict": "approved", "features": {}}\n')  # fmt: skip
    with pytest.raises(StewardExampleError, match=r"bad.jsonl:2: unknown column type 'salary'"):
        load_steward_examples(bad)
