"""Start-up time of the ``enricher`` command line: how long ``--help`` takes, in fresh processes.

Runs each command ``--repeat`` times (default 7) in a subprocess, after one unmeasured warm-up
run of each (so that every command finds the same warm file cache and ``.pyc`` files):

* ``python -c pass``: the baseline, the interpreter alone (with this venv's ``site``);
* ``enricher --help``, ``enricher lineage --help`` and ``enricher scan --help``: the console
  script of this venv.

Prints the median, minimum and maximum wall time of each, and the ratio of its median to the
baseline's (the project measures speed as ratios against a baseline of the same run, which
absorbs most of the noise of a shared machine). Target: ``enricher --help`` under ``--target``
seconds (0.5); exit status 1 when its median is over.

Usage: ``python bench/cli_startup.py [--repeat 7] [--target 0.5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENRICHER = str(Path(sys.executable).with_name("enricher"))

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "enricher --help": [ENRICHER, "--help"],
    "enricher lineage --help": [ENRICHER, "lineage", "--help"],
    "enricher scan --help": [ENRICHER, "scan", "--help"],
}
BASELINE = "python -c pass"
TARGET_COMMAND = "enricher --help"


def run_once(argv: list[str]) -> float:
    """Wall time of one run of ``argv``, in seconds.

    :raises subprocess.CalledProcessError: the command failed (its output is shown).
    """
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, timeout=60)
    return time.perf_counter() - started


def measure(repeat: int) -> dict[str, list[float]]:
    """Times of every command; the runs are interleaved so that a load spike hits all alike."""
    for argv in COMMANDS.values():
        run_once(argv)  # warm-up, not measured
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv))
    return times


def main() -> int:
    """Measure, print the table, and return the exit status (1 if the target is missed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="Measured runs per command.")
    parser.add_argument(
        "--target", type=float, default=0.5, help=f"Seconds {TARGET_COMMAND!r} may take."
    )
    args = parser.parse_args()
    times = measure(args.repeat)
    base = statistics.median(times[BASELINE])
    print(f"{'command':<26} {'median s':>9} {'min s':>7} {'max s':>7} {'× baseline':>11}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<26} {median:>9.3f} {min(values):>7.3f} {max(values):>7.3f} "
            f"{median / base:>11.1f}"
        )
    got = statistics.median(times[TARGET_COMMAND])
    ok = got < args.target
    print(
        f"{'PASS' if ok else 'FAIL'} {TARGET_COMMAND}: median {got:.3f} s "
        f"(target < {args.target:g} s; {args.repeat} runs each)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
