"""Would the values alone be a safe veto on applied categories? (issue 16, a probe)

Today the business classifier asks its hidden-names pair (the category read from the values
alone, :meth:`~classifiers.business.classifier.BusinessClassifier._values_alone`) only when a
column's values contradict its name, and withholds a category the values alone give less
than :data:`~classifiers.business.contradictions.VALUES_AGREE_MIN`. This probe measures the
same veto on *every* table, at several bars, before anyone ships it:

- **real tables, held out by source**: the adopted recipe's top category and probability per
  real table, read from an earlier ``bench/category.py --loso --json FILE`` run
  (``real_predictions``), beside the values-alone probability of that category from the
  hidden-names pair as ``bench/category.py --loso`` fits it
  (:func:`training.train.fit_hidden_models`, which learns from the generator's business
  tables only: no real table is in it, so one fit serves every fold), fed the tables'
  labelled PII as ``--loso`` feeds its models (the run time feeds the PII classifier's
  findings). Of the tables applied at the manifest's threshold, how many each bar would
  withhold, and how many of those were right;
- **the Faker probe** (``bench/category_faker.py``'s tables, seed 11, 300 rows), with the
  shipped models: of the applied tables, per naming (``named``, ``misleading``), how many
  each bar would withhold;
- **honest tables of person data**: one customer table's values (Faker ``en_US``, seed 7,
  300 rows: names, e-mails, phones, IBANs, dates, amounts) under the honest names and folder
  of nine kinds of table (customers, employees, patients, donors, suppliers, students,
  payroll, campaign sends, trial participants): the named category, and the values-alone
  probability of it.

Each bar is also read for the tables with at least two columns of person data only (a PII
entity, not sparse, at 0.5 or more: the kind of table the hidden-names pair learned from).

Usage: ``python bench/values_agree.py --loso-json FILE [--json OUT]`` (a few minutes: one
fit of the hidden-names pair, the real tables' PII, 528 probe tables and nine small ones).
Prints counts and probabilities only, never values. Exits 0 (a probe, no target).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The bars measured: a category the values alone give less than this would be withheld.
BARS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


def real_rows(loso: dict[str, Any], pii: Any) -> list[dict[str, Any]]:
    """Per real table: its LOSO top-1 (from ``loso``) and the values-alone probability of it.

    ``pii``: the loaded PII classifier (it counts the columns of person data).
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from bench.category import score_group
    from classifiers.business.features import without_names
    from classifiers.business.semantic import SemanticVectors
    from training.corpus import build_corpus, other_locale_tables
    from training.real_tables import load_real_tables, package_of
    from training.semantic_vectors import DEFAULT_OUT, artifact_bytes
    from training.train import fit_hidden_models

    predictions = {r["table"]: r for r in loso["real_predictions"]}
    real = load_real_tables()
    semantic = SemanticVectors.from_bytes(artifact_bytes(DEFAULT_OUT.read_bytes()))
    other = other_locale_tables("train")
    out: list[dict[str, Any]] = []
    with threadpool_limits(limits=1):
        # The pair --loso fits in every fold: fit_hidden_models keeps the generator's
        # business tables only (training.corpus.business_table), never a real one, so one fit
        # serves every fold.
        hidden_columns, hidden_categories, _ = fit_hidden_models(
            build_corpus("train"), other, semantic
        )
        for package in sorted({package_of(t.source) for t in real}):
            held = [t for t in real if package_of(t.source) == package]
            hidden = []
            for t in held:
                sample = without_names(t.sample)
                pairs = zip(sample.columns, t.sample.columns, strict=True)
                renamed = {h.name: t.pii.get(c.name, set()) for h, c in pairs}
                hidden.append(replace(t, sample=sample, pii=renamed))
            # Every name hidden: score_group reads these tables with the hidden pair alone.
            group = score_group(hidden_columns, hidden_categories, hidden, semantic,
                                (hidden_columns, hidden_categories))  # fmt: skip
            labels = [str(x) for x in hidden_categories.classes_]
            for t, proba in zip(held, group["hidden_proba"], strict=True):
                named = predictions[t.source]
                assert proba is not None, t.source  # every name hidden: always read
                alone = dict(zip(labels, proba, strict=True))
                people = person_data_columns(pii.classify(t.sample))
                out.append({"table": t.source, "truth": named["truth"], "top1": named["top1"],
                            "p": named["p"], "alone": alone.get(named["top1"], 0.0),
                            "people": people})  # fmt: skip
    return out


def probe_rows(pii: Any, business: Any, rows: int = 300, seed: int = 11) -> list[dict[str, Any]]:
    """Per Faker probe table: naming, truth, top-1, applied, values-alone probability of it.

    ``pii``, ``business``: the loaded classifiers.
    """
    from bench.category_faker import classified_tables
    from classifiers.business.features import findings_inputs

    out: list[dict[str, Any]] = []
    for c in classified_tables(pii, business, rows, seed):
        found = findings_inputs(c.merged)[1]
        # All categories (top=64): the probability of the named top-1, wherever it ranks; the
        # pair alone, as the veto beside a contradicted name reads it (no values text prior).
        alone = dict(business._values_alone(c.sample, found, top=64, values_prior=False))
        top = c.ranked[0].label
        out.append({"naming": c.naming, "truth": c.design.category, "top1": top,
                    "applied": c.applied, "alone": alone.get(top, 0.0),
                    "people": person_data_columns(c.merged)})  # fmt: skip
    return out


#: Honest names and folders of nine kinds of table of person data, over the same values.
HONEST_PEOPLE: dict[str, tuple[tuple[str, ...], str]] = {
    "customers": (("full_name", "email", "phone", "iban", "signup_date", "lifetime_value"),
                  "crm/customers"),
    "employees": (("employee_name", "work_email", "work_phone", "salary_iban", "hire_date",
                   "annual_salary"), "hr/employees"),
    "patients": (("patient_name", "email", "phone", "insurance_iban", "admission_date",
                  "bill_amount"), "clinic/patients"),
    "donors": (("donor_name", "email", "phone", "iban", "donation_date", "amount"),
               "fundraising/donors"),
    "suppliers": (("supplier_contact", "email", "phone", "iban", "contract_date",
                   "credit_limit"), "procurement/suppliers"),
    "students": (("student_name", "email", "phone", "iban", "enrolled_on", "tuition_fee"),
                 "school/students"),
    "payroll": (("payee", "email", "phone", "iban", "pay_date", "net_pay"), "payroll/payments"),
    "campaign sends": (("recipient", "email", "phone", "iban", "sent_at", "spend"),
                       "marketing/campaign_sends"),
    "trial participants": (("participant", "email", "phone", "iban", "visit_date", "score"),
                           "research/trial_participants"),
}  # fmt: skip


def honest_people_rows(pii: Any, business: Any) -> list[dict[str, Any]]:
    """Per kind of :data:`HONEST_PEOPLE`: the named top-1, its probability, the values'.

    ``pii``, ``business``: the loaded classifiers.
    """
    from bench.category_faker import classify, merged_findings
    from classifiers.business.features import findings_inputs
    from models import ColumnSample
    from tests.support.people import customer_values
    from tests.support.tables import table_sample

    values: list[list[Any]] = customer_values()
    kinds = ("string", "string", "string", "string", "date", "double")
    out: list[dict[str, Any]] = []
    for kind, (names, folder) in HONEST_PEOPLE.items():
        sample = table_sample(
            [ColumnSample(n, k, tuple(v)) for n, k, v in zip(names, kinds, values, strict=True)],
            f"s3://lake/{folder}/part-00000.parquet",
            bytes_read=0,
        )
        merged = merged_findings(sample, pii, business)
        top = classify(sample, pii, business, merged)[0]
        found = findings_inputs(merged)[1]
        alone = dict(business._values_alone(sample, found, top=64, values_prior=False))
        best = max(alone, key=lambda label: alone[label])
        out.append({"kind": kind, "top1": top.label, "p": round(top.confidence, 3),
                    "alone": alone.get(top.label, 0.0), "alone_top1": best,
                    "alone_p": alone[best], "people": person_data_columns(merged)})  # fmt: skip
    return out


def person_data_columns(findings: Any) -> int:
    """How many findings hold person data: a PII entity, not sparse, at the confidence from
    which the name contradictions read an entity as what a column holds."""
    from classifiers.business.contradictions import MIN_CONFIDENCE

    return sum(
        1
        for f in findings
        if any(not e.evidence.sparse and e.confidence >= MIN_CONFIDENCE for e in f.entities)
    )


def blocked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per bar: the applied tables it would withhold, and how many of them were right; the
    same among the tables of person data (two columns or more) only."""
    out = []
    for bar in BARS:
        hit = [r for r in rows if r["alone"] < bar]
        people = [r for r in hit if r["people"] >= 2]
        out.append({"bar": bar, "withheld": len(hit),
                    "right": sum(r["top1"] == r["truth"] for r in hit),
                    "withheld_people": len(people),
                    "right_people": sum(r["top1"] == r["truth"] for r in people)})  # fmt: skip
    return out


def _print(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"{title}: applied {len(rows)} ({sum(r['top1'] == r['truth'] for r in rows)} right, "
          f"{sum(r['people'] >= 2 for r in rows)} of person data)")  # fmt: skip
    for b in blocked(rows):
        print(f"  bar {b['bar']}: withheld {b['withheld']} (right {b['right']}); "
              f"of person data {b['withheld_people']} (right {b['right_people']})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loso-json", type=Path, required=True,
                        help="an earlier bench/category.py --loso --json output")  # fmt: skip
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    from classifiers.business.classifier import BusinessClassifier
    from classifiers.business.model import category_apply_threshold
    from classifiers.pii import PiiClassifier

    loso = json.loads(args.loso_json.read_text(encoding="utf-8"))
    threshold = category_apply_threshold(None, True)
    # Loaded once for the three parts.
    pii, business = PiiClassifier(), BusinessClassifier()
    pii.load()
    business.load()
    real = real_rows(loso, pii)
    applied = [r for r in real if threshold is not None and r["p"] >= threshold]
    _print(f"real tables held out by source ({len(real)}), applied at {threshold}", applied)
    probe = probe_rows(pii, business)
    result: dict[str, Any] = {"threshold": threshold, "real": blocked(applied), "probe": {}}
    for naming in ("named", "misleading"):
        mine = [r for r in probe if r["naming"] == naming and r["applied"]]
        result["probe"][naming] = {"applied": len(mine), "bars": blocked(mine)}
        _print(f"Faker probe, {naming}", mine)
    honest = honest_people_rows(pii, business)
    result["honest_people"] = honest
    print("honest tables of person data (kind: named top-1 p, values alone of it; their top-1):")
    for r in honest:
        print(f"  {r['kind']}: {r['top1']} {r['p']}, {r['alone']:.4f}; "
              f"{r['alone_top1']} {r['alone_p']:.3f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    from bench.category_faker import fixed_hash_seed

    fixed_hash_seed()
    sys.exit(main())
