"""``python -m worker.cli``: the same as the ``enricher`` console script."""

from worker.cli.app import main

main()
