"""Evidence as the review UI shows it: masked, short, with the numbers a steward weighs."""

from __future__ import annotations

from worker.web.ui_format import evidence_lines


def test_category_top_three_show_their_probabilities() -> None:
    evidence = {
        "top": [
            {"label": "customer", "confidence": 0.4123},
            {"label": "finance", "confidence": 0.38},
            {"label": "sales", "confidence": 0.05},
            {"label": "health", "confidence": 0.01},
        ]
    }
    assert dict(evidence_lines(evidence))["categories"] == "customer 41%, finance 38%, sales 5.0%"


def test_a_top_entry_without_a_probability_shows_its_label_only() -> None:
    evidence = {"top": [{"label": "customer"}, {"label": "x", "confidence": True}, "junk"]}
    assert dict(evidence_lines(evidence))["categories"] == "customer, x"
