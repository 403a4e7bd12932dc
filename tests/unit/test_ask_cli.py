"""``enricher ask`` on a SQLite catalog (click's runner): table and JSON output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.ask_catalog import build_ask_catalog
from worker.cli.app import cli
from worker.cli.ask import EXIT_NOT_UNDERSTOOD


@pytest.fixture(autouse=True)
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/ask.db"
    build_ask_catalog(url).catalog.engine.dispose()
    monkeypatch.delenv("ENRICHER_CONFIG", raising=False)
    monkeypatch.setenv("ENRICH_DATABASE_URL", url)


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_json_answer() -> None:
    out = _run("ask", "Where do SSNs flow unmasked?", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["understood"] is True
    assert [i["uri"] for i in data["items"]] == [
        "s3://lake/hr/employees/",
        "snowflake:HR.PUBLIC.EMPLOYEES.SSN",
    ]


def test_table_answer_from_unquoted_words() -> None:
    out = _run("ask", "how", "many", "datasets", "have", "IBANs")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("how many datasets holding IBAN_CODE: 1")
    assert "s3://lake/payments/transactions/" in out.output


def test_not_understood_exits_4_with_the_readings() -> None:
    out = _run("ask", "What breaks if I change orders?")
    assert out.exit_code == EXIT_NOT_UNDERSTOOD
    assert "Did you mean" in out.output and "s3://lake/sales/orders/" in out.output
    data = json.loads(_run("ask", "weather in Paris", "--format", "json").output)
    assert data["understood"] is False and data["items"] == []


def test_ask_is_registered_with_lazy_imports() -> None:
    out = _run("--help")
    assert "ask" in out.output
    import subprocess
    import sys

    # `enricher --help` must not import the parser, rapidfuzz or the service.
    code = (
        "import sys; from worker.cli.app import cli; "
        "print(any(m in sys.modules for m in ('rapidfuzz', 'worker.core.ask.parse', "
        "'worker.services.ask.service')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_limit_lists_fewer_items_with_the_exact_count() -> None:
    out = _run("ask", "Where do SSNs flow unmasked?", "--limit", "1", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [i["uri"] for i in data["items"]] == ["s3://lake/hr/employees/"]
    assert data["count"] == 2 and "(the first 1 of 2 items are listed)" in data["interpretation"]
    assert _run("ask", "open alerts", "--limit", "0").exit_code == 2
