"""What the ``enricher`` command modules share: exit codes, errors, settings, output.

Exit codes of every command:

- 0: done (a scan: every object was classified or skipped);
- 1: the command could not proceed: one line ``enricher: error: <message>`` on standard
  error, no traceback (:class:`EnricherCliError`); a few checks (``atlan check``,
  ``atlan flush``) exit 1 after their own report, without that line;
- 2: a usage error (click's own: unknown option, bad value, missing argument);
- 3: the command ran, but some of its items failed: objects of a scan, statements of
  ``lineage load --strict``, edges of ``lineage write`` (:class:`PartialFailure`; each failed
  item is in the report or on standard error).

This module imports nothing from the command modules (they import it), and nothing heavy at
module level: ``enricher --help`` loads only click and the command modules.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

import click

from worker.core.errors import EnrichmentError

if TYPE_CHECKING:
    from rich.console import Console

    from worker.adapters.catalog.database import SqlLocalCatalog
    from worker.core.logs import LogFormat
    from worker.core.settings import Settings

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3

F = TypeVar("F", bound=Callable[..., Any])


class EnricherCliError(click.ClickException):
    """The command could not proceed: exit 1 after ``enricher: error: <message>``.

    Click catches it (standalone mode), calls :meth:`show` and exits with :attr:`exit_code`.
    An empty message prints nothing: for commands that have already reported why.
    """

    exit_code = EXIT_RUN_FAILED

    def __init__(self, message: str = "") -> None:
        super().__init__(message)

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``enricher: error: <message>`` on standard error (nothing if no message)."""
        if self.message:
            click.echo(f"enricher: error: {self.message}", file=file, err=file is None)


class PartialFailure(EnricherCliError):
    """The command ran, but some of its items failed (each already reported): exit 3."""

    exit_code = EXIT_SOME_FAILED


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Log records at ``level`` and above to standard error (side effect: the root logger)."""
    from worker.core.logs import configure_logging as configure

    configure(level, log_format, sys.stderr)


def load_cli_settings(ctx: click.Context, config_file: Path | None = None) -> Settings:
    """The settings of this command: ``config_file``, else the global ``--config``, else none.

    Configures logging at ``settings.log_level`` as a side effect.

    :raises EnricherCliError: the settings are invalid (one line, exit 1).
    """
    from worker.core.settings import load_settings

    path = config_file or ctx.obj.get("config_file")
    try:
        settings = load_settings(path)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    configure_logging(settings.log_level, settings.log_format)
    return settings


def console(stderr: bool = False) -> Console:
    """A console that does not wrap at 80 columns when piped or captured.

    Captured output is read later, often in a log, where wrapped lines only hurt.
    """
    from rich.console import Console

    out = Console(stderr=stderr)
    return out if out.is_terminal else Console(stderr=stderr, width=160)


def print_rich(renderable: Any) -> None:
    """Print a rich table (no wrapping at 80 columns when piped)."""
    console().print(renderable, highlight=False)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON, non-ASCII characters as they are."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def iso_time(value: datetime | None) -> str:
    """An ISO date-time to the second, or ``–``."""
    return value.isoformat(timespec="seconds") if value is not None else "–"


def format_option(func: F) -> F:
    """The ``--format table|json`` option (default table)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="What to print on standard output.",
    )(func)


class _HasStore(Protocol):
    @property
    def store(self) -> Any: ...


S = TypeVar("S", bound=_HasStore)


@contextmanager
def catalog_service(ctx: click.Context, build: Callable[[Settings], S]) -> Iterator[S]:
    """A service built on the configured local catalog; closes the catalog at the end.

    :raises EnricherCliError: review and lineage errors, as one-line exits (code 1).
    """
    from models.lineage import InvalidDataset

    settings = load_cli_settings(ctx)
    try:
        built = build(settings)
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    try:
        yield built
    except EnrichmentError as exc:
        raise EnricherCliError(exc.message) from exc
    except InvalidDataset as exc:
        raise EnricherCliError(str(exc)) from exc
    finally:
        catalog: SqlLocalCatalog = built.store.catalog
        if catalog._engine is not None:
            catalog._engine.dispose()


def review_service(ctx: click.Context) -> Any:
    """The review service on the configured catalog (errors: one-line exits)."""
    from worker.bootstrap import build_review

    return catalog_service(ctx, build_review)


def dataset_name(text: str) -> str:
    """A dataset argument as the catalog names it: a plain path becomes the local dataset's URI.

    A scan of a local path records ``file://`` + the absolute path, unquoted
    (:attr:`~models.datasets.DatasetRef.uri`); a folder keeps its trailing slash. URIs
    (``s3://``, ``file://``) pass unchanged.
    """
    if "://" in text or not text:
        return text
    return "file://" + os.path.abspath(text) + ("/" if text.endswith("/") else "")
