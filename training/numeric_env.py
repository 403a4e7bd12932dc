"""One numeric environment for training and for the figures that choose its settings.

L-BFGS sums differ in the last bits between BLAS kernels (AVX-512 vs AVX2 vs SSE3) and
numpy's SIMD paths, and Python's string hashing changes set order from one process to the
next. Those bits change the artifact bytes of ``make train``, and they move borderline tables
in ``bench/category.py --loso``, whose figures choose the category apply threshold and the
sentence prior's blend that ``make train`` ships (with AVX-512 or without, one generator
seed's LOSO changed 5 tables' top category and its top-1 by 0.015: bench/README.md, "Three
more trials on the category decision"). Both run in the environment below, which keeps them
off a box's AVX-512 paths (pinned on an AVX-512 box, that LOSO gave the figures of an earlier
box; numpy's AVX2 loops stay on, and a box without AVX2 was not tried).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

#: The repository root, where the (not installed) ``training`` package lives.
REPO_ROOT = Path(__file__).resolve().parents[1]

#: A generic OpenBLAS kernel, one thread, numpy without its AVX-512 loops, fixed hashing.
PINNED_ENV = {
    "OPENBLAS_CORETYPE": "Prescott",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "PYTHONHASHSEED": "0",
}


def pinned() -> bool:
    """Whether this process runs in :data:`PINNED_ENV` (the libraries read it at load)."""
    return all(os.environ.get(k) == v for k, v in PINNED_ENV.items())


def run_pinned(args: Sequence[str]) -> int:
    """Run ``python *args`` in a child process with :data:`PINNED_ENV`; its exit code.

    The repository root is put first on the child's ``PYTHONPATH`` (``training`` is not an
    installed package). Side effects: runs the child, which inherits stdin/stdout/stderr.
    """
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    child = subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **PINNED_ENV, "PYTHONPATH": python_path},
        check=False,
    )
    return child.returncode
