"""Fresh-clone ``make demo``: wall time with the package caches as they are, and with none.

``python bench/demo.py [--runs N] [--cold-runs N] [--repo PATH]``

Each run clones the repository's committed ``HEAD`` into a new temporary folder (no ``.venv``,
no build output) and times, in that clone, the two steps of ``make demo``: the runtime install
(``make .venv/.runtime-stamp``: the venv, uv, the runtime package and its pinned
dependencies) and the rest (the sample-lake scan, lineage, contracts, compliance report).

* **warm**: pip's and uv's caches as this user has them (after one ``make demo`` or ``make
  test`` on this machine, every wheel is in them);
* **cold**: ``PIP_CACHE_DIR`` and ``UV_CACHE_DIR`` pointed at new empty folders, so every
  wheel is fetched from the configured package index again (a local mirror, where the
  machine has one, makes this unpacking rather than downloading);
* **dev** (the baseline, warm caches): the install ``make demo`` made before issue 17, the
  runtime package with the dev extras (``make install``: test servers, browser driver,
  benchmark packages), then the same demo.

Prints one line per run and a summary against issue 17's target (warm <= 60 s). The clone and
the empty caches are deleted afterwards. Needs ``git``, ``make`` and the package index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Issue 17: fresh-clone ``make demo`` with a warm cache.
TARGET_WARM_S = 60.0


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of ``argv`` in ``cwd``. :raises SystemExit: it failed (its output shown)."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"{' '.join(argv)} failed in {cwd} (exit {done.returncode})")
    return seconds


def one_run(repo: Path, cold: bool, dev: bool = False) -> tuple[float, float]:
    """(install seconds, rest seconds) of ``make demo`` in a fresh clone of ``repo``.

    ``dev``: install with the dev extras first (``make install``), as ``make demo`` did before.
    :raises SystemExit: a ``make`` step failed. :raises subprocess.CalledProcessError: the
        clone failed.

    Side effects: clones into a temporary folder and deletes it; with ``cold``, uses and
    deletes empty cache folders.
    """
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as tmp:
        work = Path(tmp)
        clone = work / "clone"
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "ENRICH_"))}
        if cold:
            for name in ("PIP_CACHE_DIR", "UV_CACHE_DIR"):
                folder = work / name.lower()
                folder.mkdir()
                env[name] = str(folder)
        target = "install" if dev else ".venv/.runtime-stamp"
        install = _timed(["make", target], clone, env)
        rest = _timed(["make", "demo"], clone, env)
    return install, rest


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring. :returns: 0 when warm runs meet the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=2, help="warm runs")
    parser.add_argument("--cold-runs", type=int, default=1, help="runs with empty caches")
    parser.add_argument("--dev-runs", type=int, default=1, help="baseline runs (dev extras)")
    parser.add_argument("--repo", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results: dict[str, list[float]] = {"warm": [], "cold": [], "dev": []}
    # Warm runs first: when this user's caches start empty, the first warm run fills them (and
    # is itself cold: read its line); the cold runs never touch them.
    plan = ["warm"] * args.runs + ["dev"] * args.dev_runs + ["cold"] * args.cold_runs
    for kind in plan:
        install, rest = one_run(args.repo, cold=kind == "cold", dev=kind == "dev")
        total = install + rest
        results[kind].append(total)
        print(f"{kind}: install {install:.1f} s + demo {rest:.1f} s = {total:.1f} s", flush=True)
    warm = statistics.median(results["warm"])
    line = (
        f"fresh-clone make demo, warm caches: median {warm:.1f} s (target <= {TARGET_WARM_S:.0f} s)"
    )
    if results["cold"]:
        line += f"; empty caches: median {statistics.median(results['cold']):.1f} s"
    if results["dev"]:
        line += f"; with the dev extras (before): median {statistics.median(results['dev']):.1f} s"
    print(line)
    return 0 if warm <= TARGET_WARM_S else 1


if __name__ == "__main__":
    sys.exit(main())
