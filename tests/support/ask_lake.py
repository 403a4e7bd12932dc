"""The sample lake plus the lineage fixtures as one catalog (``bench/ask.py``, the ask tests).

What ``make demo`` scans and loads (``examples/lake``, ``examples/lineage.yaml``), then the
lineage fixtures of issue 20: the LookML project, the dbt manifest (with its stages) and the
recorded OpenLineage logs. Built with the ``enricher`` command, as a user would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
#: The sample lake's URI prefix, as the scan records its datasets.
LAKE = f"file://{(ROOT / 'examples' / 'lake').resolve()}/"

Runner = Callable[[list[str], dict[str, str], Path], "subprocess.CompletedProcess[str]"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "enricher"), *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def load_steps() -> list[Sequence[str]]:
    """The commands that build the catalog, in order."""
    steps: list[Sequence[str]] = [
        ["scan", str(ROOT / "examples" / "lake"), "--force"],
        ["lineage", "load", "--declared", str(ROOT / "examples" / "lineage.yaml")],
        ["lineage", "load", "--lookml", str(FIXTURES / "lookml")],
        ["lineage", "load", "--dbt", str(FIXTURES / "dbt" / "manifest.json"),
         "--sql", str(FIXTURES / "dbt" / "stages.sql")],
    ]  # fmt: skip
    for log in sorted((FIXTURES / "openlineage").glob("*.jsonl")):
        steps.append(["lineage", "load", "--openlineage", str(log)])
    return steps


def build_sample_catalog(url: str, cwd: Path, run: Runner = _run) -> None:
    """Scan the sample lake and load the lineage into the catalog at ``url``.

    :raises RuntimeError: a step failed (the scan may exit 3: the lake has broken files).
    """
    env = {"ENRICH_DATABASE_URL": url}
    for step in load_steps():
        done = run(list(step), env, cwd)
        if done.returncode not in (0, 3) or (done.returncode == 3 and step[0] != "scan"):
            raise RuntimeError(f"{' '.join(step[:3])} failed ({done.returncode}): {done.stderr}")
