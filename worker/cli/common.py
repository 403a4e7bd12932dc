"""Helpers the ``enricher`` command groups share (``review``, ``users``, ``train``, ``lineage``).

``worker.cli`` imports the groups, so these import from it lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, Protocol, TypeVar

import click

from models.lineage import InvalidDataset
from worker.adapters.catalog.database import SqlLocalCatalog
from worker.core.errors import EnrichmentError
from worker.core.settings import Settings


class _HasStore(Protocol):
    @property
    def store(self) -> Any: ...


S = TypeVar("S", bound=_HasStore)


def fail(message: str) -> NoReturn:
    """Print ``enricher: error: <message>`` and exit 1."""
    from worker.cli import _fail

    _fail(message)
    raise AssertionError("unreachable")


def print_rich(renderable: Any) -> None:
    """Print a rich table (no wrapping at 80 columns when piped)."""
    from worker.cli import _console

    _console().print(renderable, highlight=False)


@contextmanager
def catalog_service(ctx: click.Context, build: Callable[[Settings], S]) -> Iterator[S]:
    """A service built on the configured local catalog; closes the catalog at the end.

    Review and lineage errors become one-line exits (code 1).
    """
    from worker.cli import _settings

    settings = _settings(ctx, None)
    try:
        built = build(settings)
    except EnrichmentError as exc:
        fail(exc.message)
    try:
        yield built
    except EnrichmentError as exc:
        fail(exc.message)
    except InvalidDataset as exc:
        fail(str(exc))
    finally:
        catalog: SqlLocalCatalog = built.store.catalog
        if catalog._engine is not None:
            catalog._engine.dispose()
