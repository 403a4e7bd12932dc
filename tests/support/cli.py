"""Run the installed ``enricher`` console script as a separate process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The console script installed next to this interpreter (the venv's ``bin/``).
ENRICHER = str(Path(sys.executable).with_name("enricher"))


def enricher_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of an ``enricher`` process: this one's without ENRICH_*, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ENRICH_")}
    full.update(env)
    return full


def run_enricher(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``enricher *args`` in ``cwd`` to completion (at most 300 s); capture its output."""
    full_env = enricher_env(env)
    return subprocess.run(
        [ENRICHER, *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
