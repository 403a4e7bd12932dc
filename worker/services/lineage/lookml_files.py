"""A LookML project on disk: its files read for :func:`parse_lookml_project` (pure parsing).

A file that cannot be read or decoded gives one problem located at the file.
"""

from __future__ import annotations

from pathlib import Path

from models.lineage import LineageFindings, LineageProblem
from worker.core.lineage.lookml import parse_lookml_project

#: What a LookML project holds that carries lineage (views, models, explores, dashboards).
_PATTERNS = ("*.lkml", "*.dashboard.lookml")


def load_lookml_project(
    root: Path, *, database: str | None = None, schema: str | None = None
) -> LineageFindings:
    """Lineage of the LookML project under ``root`` (``*.lkml``, ``*.dashboard.lookml``).

    Paths are passed relative to ``root`` (as LookML ``include:`` names them). Reads the
    files.

    :raises NotADirectoryError: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a LookML project folder")
    problems: list[LineageProblem] = []
    files: list[tuple[str, str]] = []
    paths = sorted({p for pattern in _PATTERNS for p in root.rglob(pattern) if p.is_file()})
    for path in paths:
        relative = path.relative_to(root).as_posix()
        try:
            files.append((relative, path.read_bytes().decode("utf-8-sig")))
        except OSError as exc:
            problems.append(LineageProblem(relative, "", f"cannot read the file: {exc.strerror}"))
        except UnicodeDecodeError as exc:
            problems.append(LineageProblem(relative, "", f"not UTF-8 text: {exc.reason}"))
    found = parse_lookml_project(files, database=database, schema=schema)
    return LineageFindings(found.edges, [*problems, *found.problems])
