"""Snowflake stages and S3 locations: ``CREATE STAGE`` definitions and ``@stage/path`` lookups.

Pure. A COPY side is a location when it is ``@stage[/path]`` (resolved against the stages
the scripts define) or a literal ``'s3://...'`` URL.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from models.lineage import Dataset
from worker.core.lineage.sql.lexer import IDENT, PUNCT, STRING, WORD, Statement, depth0
from worker.core.lineage.sql.results import Context, NoLineage
from worker.core.lineage.sql.trees import s3


def stage_key(name: str) -> str:
    """The lookup key of a stage name (``db.schema.name`` upper-cased, quotes dropped)."""
    # Stage names fold like other Snowflake identifiers; quoted parts keep their case, but
    # the key is only used for lookups, so folding them too is an accepted simplification.
    return ".".join(part.strip().strip('"').upper() for part in name.split("."))


def collect_stages(statements: Sequence[Statement]) -> dict[str, str]:
    """``CREATE STAGE`` definitions: stage name → URL (``""`` for an internal stage)."""
    stages: dict[str, str] = {}
    for statement in statements:
        definition = _stage_definition(statement)
        if definition is not None:
            stages[definition[0]] = definition[1]
    return stages


def _stage_definition(statement: Statement) -> tuple[str, str] | None:
    tokens = statement.tokens
    if not tokens[0].is_word("CREATE"):
        return None
    index = 1
    while index < len(tokens) and tokens[index].is_word("OR", "REPLACE", "TEMP", "TEMPORARY"):
        index += 1
    if index >= len(tokens) or not tokens[index].is_word("STAGE"):
        return None
    index += 1
    if index + 2 < len(tokens) and tokens[index].is_word("IF"):
        index += 3  # IF NOT EXISTS
    # db.schema.name: identifiers joined by dots (the next word is an option, not the name).
    name_parts: list[str] = []
    while index < len(tokens) and tokens[index].kind in (WORD, IDENT):
        name_parts.append(tokens[index].value)
        index += 1
        if index + 1 < len(tokens) and tokens[index].kind == PUNCT and tokens[index].value == ".":
            index += 1
        else:
            break
    if not name_parts:
        return None
    url = ""
    for position, token in depth0(tokens, index):
        if token.is_word("URL"):
            rest = [t for t in tokens[position + 1 : position + 3] if t.value != "="]
            if rest and rest[0].kind == STRING:
                url = rest[0].value.strip()
            break
    return stage_key(".".join(name_parts)), url


def _stage_location(reference: str, ctx: Context) -> Dataset:
    """The S3 dataset of ``@stage[/path]``.

    :raises NoLineage: unknown, internal or non-S3 stage.
    """
    body = reference[1:]
    if body.startswith(("~", "%")):
        raise NoLineage(f"stage {reference.split('/')[0]} is an internal stage (no S3 URL)")
    name, _, path = body.partition("/")
    url = _stage_url(stage_key(name), ctx)
    if url is None:
        raise NoLineage(f"stage @{name} is not defined in the given files")
    if not url:
        raise NoLineage(f"stage @{name} is an internal stage (no S3 URL)")
    if not url.startswith(("s3://", "s3a://")):
        raise NoLineage(f"stage @{name} points to {url}, not S3")
    # A stage URL is a folder whether or not it ends with "/".
    return s3(url.rstrip("/") + "/" + path.lstrip("/"))


def _stage_url(key: str, ctx: Context) -> str | None:
    """The URL of a stage reference, ``None`` when no definition matches.

    Looked up by its exact name, then qualified by the current database and schema, then as
    the one definition with that bare name.

    :raises NoLineage: several definitions share the bare name with different URLs.
    """
    if key in ctx.stages:
        return ctx.stages[key]
    parts = key.split(".")
    context = [p.upper() for p in (ctx.database, ctx.schema) if p]
    if len(parts) < 3 and len(context) == 2:
        qualified = ".".join([*context[: 3 - len(parts)], *parts])
        if qualified in ctx.stages:
            return ctx.stages[qualified]
    matches = {
        name: url for name, url in ctx.stages.items() if name.rsplit(".", 1)[-1] == parts[-1]
    }
    if len(set(matches.values())) > 1:
        names = ", ".join(sorted(matches))
        raise NoLineage(f"stage @{key} is ambiguous: {names} have different URLs")
    return next(iter(matches.values()), None)


def written_location(node: exp.Expr | None) -> str | None:
    """The written location of a COPY side (``@stage/path``, ``'s3://...'``), if it is one."""
    if isinstance(node, exp.Table):
        node = node.this
    if isinstance(node, exp.Var) and node.name.startswith("@"):
        return node.name
    if isinstance(node, exp.Literal) and node.is_string:
        return node.name
    return None


def location_dataset(location: str, ctx: Context) -> Dataset:
    """The S3 dataset of a written location (a stage reference or an S3 URL).

    :raises NoLineage: not a stage nor an S3 URL, or unresolved.
    """
    location = location.strip()
    if location.startswith("@"):
        return _stage_location(location, ctx)
    if location.startswith(("s3://", "s3a://")):
        return s3(location)
    raise NoLineage(f"{location!r} is not an S3 location")
