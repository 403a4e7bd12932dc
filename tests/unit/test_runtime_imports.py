"""The installed runtime needs no benchmark or training code: importing the worker loads none.

Checked in a fresh interpreter, because this test process has imported bench/ and training/
modules (and Faker) for other tests.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Top-level modules that only the benchmarks and the training code need.
DEV_ONLY = ("faker", "presidio_structured", "plotly", "training", "bench")

_PROBE = """
import json, sys
import worker.bootstrap
import worker.cli
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_modules(probe: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``probe`` (which prints them)."""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_worker_imports_no_benchmark_or_training_module() -> None:
    loaded = _loaded_modules(_PROBE)
    assert "worker.bootstrap" in loaded and "worker.cli" in loaded
    dev_only = [name for name in loaded if name.split(".")[0] in DEV_ONLY]
    assert dev_only == []


def test_no_runtime_module_imports_them_even_lazily() -> None:
    """A static scan, so that an import inside a function is caught too."""
    offenders = []
    for package in ("models", "classifiers", "worker"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                    for name in names
                    if name.split(".")[0] in DEV_ONLY
                ]
    assert offenders == []


#: What ``enricher job start`` imports to record a job and queue its listing.
_JOB_START_PROBE = """
import json, sys
import worker.cli.app
import worker.cli.job
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.adapters.catalog.job_store import SqlJobStore
from worker.services.jobs.service import JobService
from worker.tasks.app import make_app
print(json.dumps(sorted(sys.modules)))
"""

#: Heavy libraries only classifying and sampling need.
CLASSIFY_ONLY = ("numpy", "pyarrow", "sklearn", "skops", "spacy", "pyatlan", "boto3")


def test_queueing_a_job_imports_nothing_that_classifies() -> None:
    """A command that only queues work starts in the time of its own imports (issue 17)."""
    loaded = _loaded_modules(_JOB_START_PROBE)
    heavy = sorted({name.split(".")[0] for name in loaded} & set(CLASSIFY_ONLY))
    assert heavy == []
    assert "classifiers.business.features" not in loaded
