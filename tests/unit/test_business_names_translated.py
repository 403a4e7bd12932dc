"""Column and folder names in six languages reach the business models as English words."""

from __future__ import annotations

import pytest

from classifiers.business.features import name_tokens, path_tokens
from tests.support.tables import table_sample


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Geburtsdatum", ["birth", "date"]),
        ("kundennummer", ["customer", "number"]),
        ("Prénom", ["first", "name"]),
        ("fecha_nacimiento", ["date", "birth"]),
        ("achternaam", ["last", "name"]),
        ("customer_id", ["customer", "id"]),  # English stays as it was
        ("firstName", ["first", "name"]),
        ("ss_customer_sk", ["ss", "customer", "sk"]),
    ],
)
def test_name_tokens_translate_foreign_words(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


def test_folder_names_are_translated_too() -> None:
    sample = table_sample((), "s3://data-lake/export/rechnungen/2024/part-0.csv")
    assert "invoices" in path_tokens(sample)
