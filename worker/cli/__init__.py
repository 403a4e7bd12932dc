"""The ``enricher`` command line (console script ``enricher = "worker.cli:main"``).

One module per command group: :mod:`~worker.cli.scan`, :mod:`~worker.cli.atlan`,
:mod:`~worker.cli.job`, :mod:`~worker.cli.review`, :mod:`~worker.cli.users`,
:mod:`~worker.cli.train`, :mod:`~worker.cli.lineage`, and :mod:`~worker.cli.run` for the
long-running processes (``worker``, ``beat``, ``events sqs``, ``serve``).
:mod:`~worker.cli.app` holds the root group and registers them; :mod:`~worker.cli.common`
holds what they share and imports none of them. Nothing in this package imports the package
itself, and this module imports none of its modules until :func:`main` runs.

Exit codes: 0 every object was classified or skipped (or the command did what it was asked);
3 some objects failed (each is in the report with its error kind) or, for ``lineage``, some
statements or edges could not be used; 1 the run itself could not proceed (a one-line message,
no traceback); 2 usage errors (click's own). See :mod:`worker.cli.common`.
"""

from __future__ import annotations


def main() -> None:
    """Console-script entry point: run ``enricher`` on ``sys.argv`` (exits with its code)."""
    from worker.cli.app import main as run

    run()
