"""bench/category.py: the pooled log loss and Brier score of leave-one-source-out groups."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.scripts import load_script

#: A LOSO row: truth, top-1, its probability, top 3.
Row = tuple[str, str, float, list[str]]

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "category.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench_category_under_test", _BENCH)


def _group(bench: ModuleType, proba: list[list[float]], truth: list[str]) -> dict[str, Any]:
    labels = ["finance", "health"]
    return {
        "rows": bench._rows(truth, labels, proba),
        "col_true": [],
        "col_pred": [],
        "labels": labels,
        "proba": proba,
        "truth": truth,
    }


def test_proper_scores_pool_the_groups(bench: ModuleType) -> None:
    a = _group(bench, [[0.8, 0.2]], ["finance"])
    b = _group(bench, [[0.5, 0.5]], ["health"])
    scores = bench.proper_scores([a, b])
    assert scores["log_loss"] == pytest.approx(
        round((-math.log(0.8) - math.log(0.5)) / 2, 3), abs=1e-9
    )
    # Brier: (0.2^2 + 0.2^2) and (0.5^2 + 0.5^2), averaged.
    assert scores["brier"] == pytest.approx(round((0.08 + 0.5) / 2, 3), abs=1e-9)


def test_groups_without_probabilities_have_no_proper_scores(bench: ModuleType) -> None:
    prior_only = {
        "rows": [("finance", "finance", 0.9, ["finance"])],
        "col_true": [],
        "col_pred": [],
    }
    assert bench.proper_scores([prior_only]) == {"log_loss": None, "brier": None}
    summary = bench.summarise([prior_only])
    assert summary["log_loss"] is None and summary["top1"] == 1.0


def test_summarise_reports_the_proper_scores(bench: ModuleType) -> None:
    summary = bench.summarise([_group(bench, [[0.9, 0.1], [0.3, 0.7]], ["finance", "finance"])])
    assert summary["tables"] == 2 and summary["top1"] == 0.5
    assert summary["log_loss"] == pytest.approx(
        round((-math.log(0.9) - math.log(0.3)) / 2, 3), abs=1e-9
    )


def test_a_category_the_fold_never_saw_counts_as_probability_zero(bench: ModuleType) -> None:
    scores = bench.proper_scores([_group(bench, [[0.6, 0.4]], ["security"])])
    assert scores["log_loss"] == pytest.approx(round(-math.log(1e-12), 3), abs=1e-9)
    assert scores["brier"] == pytest.approx(round(0.36 + 0.16 + 1.0, 3), abs=1e-9)


def test_column_types_of_few_columns_are_left_out_of_the_common_macro_f1(
    bench: ModuleType,
) -> None:
    # 10 "amount" columns all right, 10 "date" half right, one "city" wrong.
    truth = ["amount"] * 10 + ["date"] * 10 + ["city"]
    pred = ["amount"] * 10 + ["date"] * 5 + ["amount"] * 5 + ["date"]
    scores = bench.column_class_scores(truth, pred)
    per = scores["column_f1_per_type"]
    assert per["city"] == {"columns": 1, "f1": 0.0}
    assert per["amount"]["columns"] == 10
    assert scores["column_macro_f1_common"] == round(
        (per["amount"]["f1"] + per["date"]["f1"]) / 2, 3
    )
    assert bench.column_class_scores([], []) == {
        "column_macro_f1_common": None,
        "column_f1_per_type": {},
    }


@pytest.mark.parametrize("from_json", [True, False])
def test_a_threshold_from_another_generator_seed_is_refused(
    bench: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    from_json: bool,
) -> None:
    from training.corpus import DEFAULT_SEEDS

    other = DEFAULT_SEEDS["train"] + 1000
    out = tmp_path / "threshold.json"
    argv = ["category.py", "--loso", "--write-threshold", str(out)]
    if from_json:
        earlier = tmp_path / "loso.json"
        earlier.write_text(f'{{"train_seed": {other}}}', encoding="utf-8")
        argv += ["--from-json", str(earlier)]
    else:
        argv += ["--train-seed", str(other)]
    # Refused before any model is fitted (run_loso would take minutes); in this process, as
    # if already in the pinned numeric environment.
    monkeypatch.setattr(bench, "run_loso", lambda **_: pytest.fail("ran the LOSO"))
    monkeypatch.setattr(bench, "pinned", lambda: True)
    monkeypatch.setattr("sys.argv", argv)
    assert bench.main() == 2
    assert not out.exists()
    assert f"training seed {other}" in capsys.readouterr().err


def test_the_other_locale_tables_follow_the_training_seed() -> None:
    from training.corpus import DEFAULT_SEEDS, other_locale_tables

    default = other_locale_tables("train", tables=2)
    assert other_locale_tables("train", tables=2, seed=DEFAULT_SEEDS["train"]) == default
    assert other_locale_tables("train", tables=2, seed=DEFAULT_SEEDS["train"] + 1) != default


def test_a_seed_beside_an_earlier_run_is_refused(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = tmp_path / "loso.json"
    earlier.write_text("{}", encoding="utf-8")
    argv = ["category.py", "--loso", "--from-json", str(earlier), "--train-seed", "1"]
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setattr(bench, "print_loso", lambda _: pytest.fail("printed"))
    assert bench.main() == 2


def _same(truth: str, top1: str, p: float, k: int) -> list[Row]:
    """``k`` LOSO rows alike."""
    return [(truth, top1, p, [])] * k


def test_the_nested_check_judges_each_package_by_the_others_threshold(bench: ModuleType) -> None:
    """A package whose confident predictions are wrong is not protected by a threshold it
    helped choose: in-sample every applied table is right, judged by the others' it is not."""
    n = 10  # at least MIN_APPLIED tables per package, so that each has a threshold
    assert bench.MIN_APPLIED <= n
    good: list[Row] = _same("finance", "finance", 0.9, n)
    bad: list[Row] = _same("health", "finance", 0.8, 2) + _same("health", "health", 0.95, n)
    rows = good + bad
    packages = ["a"] * len(good) + ["b"] * len(bad)
    in_sample = bench.abstention_threshold(rows)
    assert in_sample["threshold"] == 0.9 and in_sample["precision"] == 1.0
    nested = bench.nested_abstention(rows, packages)
    # a is judged by b's threshold (0.95: none of a applied); b by a's (0.9: b's 0.8s stay out).
    assert nested["per_package"]["a"] == {"threshold": 0.95, "applied": 0, "right": 0}
    assert nested["per_package"]["b"]["applied"] == n
    lowered: list[Row] = _same("health", "finance", 0.85, 2) + [("health", "health", 0.95, [])] * n
    mixed = bench.nested_abstention(good + lowered, packages)
    assert mixed["per_package"]["b"] == {"threshold": 0.9, "applied": n, "right": n}
    wrong: list[Row] = _same("finance", "health", 0.92, 2) + _same("health", "health", 0.95, n)
    judged = bench.nested_abstention(good + wrong, packages)
    assert judged["per_package"]["b"]["applied"] == n + 2
    assert judged["precision"] == round(n / (n + 2), 3)
    assert judged["coverage"] == round((n + 2) / len(good + wrong), 3)


def test_the_gate_applies_more_when_the_words_vouch_for_the_top_category(
    bench: ModuleType,
) -> None:
    """Tables the words agree with are judged at their probability, the others at it times
    the factor: the factor and threshold that apply the most at 95% win (ties: the larger
    factor)."""
    n = 10
    agreeing = _same("sales", "sales", 0.7, n) + _same("health", "finance", 0.65, 2)
    disagreeing = _same("sales", "sales", 0.9, n) + _same("health", "finance", 0.75, 2)
    rows = agreeing + disagreeing
    agree = [True] * len(agreeing) + [False] * len(disagreeing)
    plain = bench.abstention_threshold(rows)
    assert plain["threshold"] == 0.9 and plain["coverage"] == round(n / len(rows), 3)
    gate = bench.gate_threshold(rows, agree)
    # Factors 0.8, 0.85 and 0.9 put the disagreeing 0.9s above 0.7 and their 0.75s below it;
    # 1.0 does not, 0.7 puts the 0.9s below. The largest of the three wins.
    assert (gate["factor"], gate["threshold"]) == (0.9, 0.7)
    assert gate["precision"] == 1.0 and gate["coverage"] == round(2 * n / len(rows), 3)
    assert gate["threshold_words_disagree"] == 0.7777  # 0.7 / 0.9 rounded down
    # One package only: nothing to choose a threshold on when it is held out.
    assert bench.nested_gate(rows, agree, ["a"] * len(rows))["applied"] == 0
    # Two packages alike: each is judged by the other's pair and applies its 20 right ones.
    twice = bench.nested_gate(rows + rows, agree + agree, ["a"] * len(rows) + ["b"] * len(rows))
    assert twice == {
        "applied": 4 * n,
        "coverage": round(4 * n / (2 * len(rows)), 3),
        "precision": 1.0,
    }
    # Two confident mistakes in b: judged by a's pair, b's 20 applied hold them (18 right);
    # b's own predictions reach no 95% line, so a, judged by them, applies nothing.
    worse = _same("sales", "finance", 0.95, 2) + rows[2:]
    mixed = bench.nested_gate(rows + worse, agree + agree, ["a"] * len(rows) + ["b"] * len(rows))
    assert (mixed["applied"], mixed["precision"]) == (2 * n, 0.9)
    none = bench.gate_threshold(_same("x", "y", 0.9, n), [True] * n)
    assert none["threshold"] is None and none["threshold_words_disagree"] is None


def test_the_threshold_is_rounded_down_so_the_last_table_stays_applied(bench: ModuleType) -> None:
    """Rounded to nearest, 0.692478 would give 0.6925 and leave its own table out."""
    rows = _same("sales", "sales", 0.9, 9) + _same("sales", "sales", 0.692478, 1)
    rows += _same("sales", "finance", 0.5, 3)
    found = bench.abstention_threshold(rows)
    assert found["threshold"] == 0.6924 and found["coverage"] == round(10 / 13, 3)
    assert sum(r[2] >= found["threshold"] for r in rows) == 10
    # A table within the same 4-decimal step below cannot be cut from it: the cut moves up.
    close = _same("sales", "sales", 0.9, 10) + _same("sales", "finance", 0.69251, 1)
    close += _same("sales", "sales", 0.69252, 1)
    assert bench.abstention_threshold(close)["threshold"] == 0.9


def test_outside_the_pinned_environment_the_bench_runs_itself_again_in_it(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []

    def run_pinned(args: list[str]) -> int:
        ran.append(list(args))
        return 3

    monkeypatch.setattr(bench, "pinned", lambda: False)
    monkeypatch.setattr(bench, "run_pinned", run_pinned)
    monkeypatch.setattr(bench, "run_loso", lambda **_: pytest.fail("ran the LOSO unpinned"))
    monkeypatch.setattr("sys.argv", ["category.py", "--loso", "--json", "out.json"])
    assert bench.main() == 3
    assert len(ran) == 1
    assert ran[0][0].endswith("bench/category.py")
    assert ran[0][1:] == ["--loso", "--json", "out.json"]
