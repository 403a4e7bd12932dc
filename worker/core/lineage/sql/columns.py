"""Column mappings of lineage statements: select items to target columns, masking spotted.

Pure. A source column under a masking function (:data:`MASKING_FUNCTIONS`, or a name
starting with one of :data:`MASKING_PREFIXES`) is mapped with ``masked=True``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from models.lineage import ColumnMapping, Dataset, System
from worker.core.lineage.sql.lexer import PUNCT, SEMI, Token, lex
from worker.core.lineage.sql.results import Context, NoLineage
from worker.core.lineage.sql.trees import is_physical, table_dataset

#: Functions that hash, encrypt, mask or redact their argument: a source column under one
#: of them is mapped with ``masked=True`` (PII upstream does not make the target PII).
#: Names as written in Snowflake, PostgreSQL (with pgcrypto) and Redshift; compared
#: case-insensitively and ignoring underscores, so sqlglot's own names for them (``SHA``
#: for ``sha1``, ``MD5Digest`` for ``md5_binary``, ``SHA2Digest`` for ``sha256``) match.
#: ``regexp_replace`` counts as masking: in ETL it is mostly used to blank out digits or
#: characters; a mapping through it is a hint, not proof. Partial masks written as string
#: arithmetic (``left(ssn, 3) || '***'``) are not recognised.
MASKING_FUNCTIONS: frozenset[str] = frozenset(
    {
        # Hashes.
        "md5",
        "md5_hex",
        "md5_binary",
        "md5_number_lower64",
        "md5_number_upper64",
        "sha",
        "sha1",
        "sha1_hex",
        "sha1_binary",
        "func_sha1",
        "sha2",
        "sha2_hex",
        "sha2_binary",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "hash",
        "hashtext",
        "hashtextextended",
        "fnv_hash",
        "digest",
        "hmac",
        # sqlglot's normalised names for some of the above.
        "md5_digest",
        "sha1_digest",
        "sha2_digest",
        "standard_hash",
        # Encryption.
        "encrypt",
        "encrypt_raw",
        "crypt",
        "pgp_sym_encrypt",
        "pgp_pub_encrypt",
        "aes_encrypt",
        # Masking and redaction.
        "mask",
        "redact",
        "anonymize",
        "regexp_replace",
    }
)
#: User-defined functions whose name starts with one of these count as masking too
#: (``util.mask_email(email)``, ``redact_phone(phone)``, ``pseudonymize(id)``).
MASKING_PREFIXES: tuple[str, ...] = ("mask", "redact", "anonymi", "pseudonymi")

_MASKING_NORMALISED = frozenset(name.replace("_", "") for name in MASKING_FUNCTIONS)


def fold(name: str, quoted: bool, system: System) -> str:
    """An identifier as ``system`` stores it: unquoted names upper (Snowflake) or lower."""
    if quoted:
        return name
    return name.upper() if system is System.SNOWFLAKE else name.lower()


def _is_masking(node: exp.Expr) -> bool:
    if isinstance(node, exp.Anonymous):
        names = {node.name}
    elif isinstance(node, exp.Func):
        names = {node.sql_name(), type(node).__name__, node.key}
    else:
        return False
    for name in names:
        bare = name.lower()
        if bare.replace("_", "") in _MASKING_NORMALISED or bare.startswith(MASKING_PREFIXES):
            return True
    return False


def _under_masking(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether a masking function encloses ``node`` within the select item ``root``."""
    current = node
    while current is not root and current.parent is not None:
        current = current.parent
        if _is_masking(current):
            return True
    return False


def _inside_subquery(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether ``node`` sits in a scalar subquery of the select item ``root``."""
    current = node
    while current is not root and current.parent is not None:
        current = current.parent
        if isinstance(current, (exp.Select, exp.Subquery)):
            return True
    return False


def _item_texts(query_text: str, backslash: bool) -> list[str] | None:
    """The select items of ``query_text``'s top-level SELECT as written (None if unclear)."""
    tokens = lex(query_text, 0, len(query_text), backslash=backslash, slash_comments=False)
    start = next((i for i, t in enumerate(tokens) if t.is_word("SELECT")), None)
    if start is None:
        return None
    depth = 0
    items: list[str] = []
    item_start: int | None = None
    last: Token | None = None
    for token in tokens[start + 1 :]:
        if token.kind == PUNCT and token.value == "(":
            depth += 1
        elif token.kind == PUNCT and token.value == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (token.is_word("FROM") or token.kind == SEMI):
            break
        elif depth == 0 and token.kind == PUNCT and token.value == ",":
            if item_start is None or last is None:
                return None
            items.append(query_text[item_start : last.end])
            item_start = None
            last = None
            continue
        if item_start is None:
            if depth == 0 and token.is_word("DISTINCT", "ALL"):
                continue
            item_start = token.start
        last = token
    if item_start is not None and last is not None:
        items.append(query_text[item_start : last.end])
    return items


def _without_alias(text: str, item: exp.Expr, dialect: str, backslash: bool) -> str:
    """``text`` of a select item without its ``[AS] alias``."""
    if not isinstance(item, exp.Alias):
        return text.strip()
    tokens = lex(text, 0, len(text), backslash=backslash, slash_comments=False)
    if len(tokens) >= 2 and tokens[-1].value.lower() == item.alias.lower():
        tokens.pop()
        if len(tokens) >= 2 and tokens[-1].is_word("AS"):
            tokens.pop()
        return text[: tokens[-1].end].strip()
    return str(item.this.sql(dialect=dialect))


def _texts_for(
    select: exp.Select, query_text: str | None, dialect: str, backslash: bool
) -> list[str]:
    """Each select item's expression text: as written when it can be lined up, else sqlglot's."""
    items = select.expressions
    written = _item_texts(query_text, backslash) if query_text is not None else None
    if written is not None and len(written) == len(items):
        return [
            _without_alias(text, item, dialect, backslash)
            for text, item in zip(written, items, strict=True)
        ]
    return [(i.this if isinstance(i, exp.Alias) else i).sql(dialect=dialect) for i in items]


def _output_name(item: exp.Expr, text: str, engine: System) -> str:
    """The name the engine gives a select item's output column."""
    if isinstance(item, exp.Alias):
        alias = item.args["alias"]
        return fold(alias.name, bool(alias.args.get("quoted")), engine)
    if isinstance(item, exp.Column) and isinstance(item.this, exp.Identifier):
        return fold(item.name, bool(item.this.args.get("quoted")), engine)
    if engine is System.SNOWFLAKE:
        # Snowflake names an unaliased expression after its text.
        return text.upper()
    if isinstance(item, exp.Cast) and isinstance(item.this, exp.Column):
        return fold(item.this.name, bool(item.this.this.args.get("quoted")), engine)
    function = re.match(r"\s*(?:\w+\.)?(\w+)\s*\(", text)
    return function.group(1).lower() if function else "?column?"


def projection_mappings(
    query: exp.Expr,
    engine: System,
    ctx: Context,
    query_text: str | None,
    dialect: str,
    backslash: bool,
) -> dict[Dataset, list[ColumnMapping]]:
    """Column mappings of a single SELECT over tables, per source table.

    Columns qualified by a table or alias in the FROM/JOIN clauses map to that table;
    unqualified ones only when there is one table. ``*``, columns of derived tables or
    CTEs and unions give no mapping.
    """
    if not isinstance(query, exp.Select) or query.args.get("with_"):
        return {}
    direct: dict[str, Dataset] = {}
    froms = [query.args.get("from_"), *(query.args.get("joins") or [])]
    for clause in froms:
        table = clause.this if clause is not None else None
        if isinstance(table, exp.Table) and is_physical(table):
            try:
                dataset = table_dataset(engine, table, ctx)
            except NoLineage:
                continue  # reported by query_tables
            direct[(table.alias or table.name).lower()] = dataset
    only = next(iter(direct.values())) if len(direct) == 1 and len(froms) == 1 else None
    texts = _texts_for(query, query_text, dialect, backslash)
    result: dict[Dataset, list[ColumnMapping]] = {}
    for item, text in zip(query.expressions, texts, strict=True):
        expression = item.this if isinstance(item, exp.Alias) else item
        target = _output_name(item, text, engine)
        plain = isinstance(expression, exp.Column)
        found: dict[tuple[Dataset, str], bool] = {}
        for column in expression.find_all(exp.Column):
            if not isinstance(column.this, exp.Identifier) or _inside_subquery(column, expression):
                continue
            owner = direct.get(column.table.lower()) if column.table else only
            if owner is None:
                continue
            source = fold(column.name, bool(column.this.args.get("quoted")), engine)
            masked = _under_masking(column, expression)
            key = (owner, source)
            found[key] = found.get(key, True) and masked
        for (dataset, source), masked in found.items():
            mapping = ColumnMapping(source, target, None if plain else text, masked)
            if mapping not in result.setdefault(dataset, []):
                result[dataset].append(mapping)
    return result


def _stage_position(node: exp.Expr) -> str | None:
    """``$n`` for a positional stage column (``$2``, ``t.$2``)."""
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Parameter):
        node = node.this
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
        return f"${node.this.name}"
    return None


def _json_path(path: exp.Expr) -> str:
    parts: list[str] = []
    for part in path.expressions:
        if isinstance(part, exp.JSONPathKey):
            parts.append(str(part.this))
        elif isinstance(part, exp.JSONPathSubscript):
            if parts:
                parts[-1] += f"[{part.this}]"
            else:
                parts.append(f"[{part.this}]")
    return ".".join(parts)


def _stage_refs(expression: exp.Expr) -> list[tuple[str, exp.Expr]]:
    """(source column, node) of the staged-file columns an expression reads.

    ``$1:email`` → ``email`` (the key in a JSON/Parquet record), ``$2:a.b`` → ``$2:a.b``,
    ``$3`` → ``$3`` (a CSV position).
    """
    refs: list[tuple[str, exp.Expr]] = []

    def visit(node: exp.Expr) -> None:
        if isinstance(node, exp.JSONExtract):
            position = _stage_position(node.this)
            if position is not None and isinstance(node.expression, exp.JSONPath):
                path = _json_path(node.expression)
                name = path if position == "$1" and path else f"{position}:{path}"
                refs.append((name.rstrip(":"), node))
                return
        position = _stage_position(node)
        if position is not None:
            refs.append((position, node))
            return
        for child in node.iter_expressions():
            visit(child)

    visit(expression)
    return refs


def stage_mappings(
    select: exp.Select, targets: Sequence[exp.Identifier], query_text: str, backslash: bool
) -> list[ColumnMapping]:
    """Mappings of ``COPY INTO t (cols) FROM (SELECT ... FROM @stage)``: by position."""
    texts = _texts_for(select, query_text, "snowflake", backslash)
    mappings: list[ColumnMapping] = []
    for item, text, target in zip(select.expressions, texts, targets, strict=False):
        expression = item.this if isinstance(item, exp.Alias) else item
        name = fold(target.name, bool(target.args.get("quoted")), System.SNOWFLAKE)
        found: dict[str, bool] = {}
        refs = _stage_refs(expression)
        for source, node in refs:
            found[source] = found.get(source, True) and _under_masking(node, expression)
        plain = len(refs) == 1 and refs[0][1] is expression
        for source, masked in found.items():
            mappings.append(ColumnMapping(source, name, None if plain else text, masked))
    return mappings
