"""The business-category taxonomy: names, descriptions and keywords, declared in YAML.

The file::

    categories:
      - name: customer                 # lower case letters, digits, underscores
        description: People who buy from us.
        keywords: [customer, crm]       # lower-case column-name / path tokens

The default taxonomy ships next to this module (``taxonomy.yaml``). Errors name the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KEYS = {"name", "description", "keywords"}


class TaxonomyError(ValueError):
    """The taxonomy file is invalid; the message names the file line."""


@dataclass(frozen=True, slots=True)
class Category:
    """One business category.

    :param keywords: lower-case tokens matched against column-name and path tokens.
    """

    name: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """An ordered set of categories."""

    categories: tuple[Category, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The category names, in file order."""
        return tuple(c.name for c in self.categories)

    def get(self, name: str) -> Category:
        """The category called ``name``.

        :raises KeyError: no such category.
        """
        for cat in self.categories:
            if cat.name == name:
                return cat
        raise KeyError(name)


def _fail(where: str, node: yaml.Node | None, message: str) -> TaxonomyError:
    line = f"line {node.start_mark.line + 1}" if node is not None else "the file"
    return TaxonomyError(f"{where}, {line}: {message}")


def parse_taxonomy(text: str, where: str = "taxonomy") -> Taxonomy:
    """Parse and validate taxonomy YAML ``text``.

    :param where: how to name the file in messages (its path).
    :raises TaxonomyError: invalid YAML, unknown keys, a bad or duplicate name, a missing or
        empty description, a bad keyword list, or no categories at all. The message names
        the line.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "the file"
        raise TaxonomyError(f"{where}, {line}: not valid YAML") from exc
    if root is None:
        raise TaxonomyError(f"{where}, the file: empty; expected the key 'categories'")
    if not isinstance(root, yaml.MappingNode):
        raise _fail(where, root, "expected a mapping with the key 'categories'")
    top = {k.value: v for k, v in root.value}
    unknown = sorted(set(top) - {"categories"})
    if unknown:
        node = next(k for k, _ in root.value if k.value == unknown[0])
        raise _fail(where, node, f"unknown key {unknown[0]!r} (expected 'categories')")
    items = top.get("categories")
    if not isinstance(items, yaml.SequenceNode) or not items.value:
        raise _fail(where, items if items is not None else root, "'categories' must be a list")
    found: list[Category] = []
    seen: set[str] = set()
    for item in items.value:
        if not isinstance(item, yaml.MappingNode):
            raise _fail(where, item, "each category must be a mapping")
        nodes = {k.value: (k, v) for k, v in item.value}
        for key, (knode, _) in nodes.items():
            if key not in _KEYS:
                raise _fail(where, knode, f"unknown key {key!r} (expected one of {sorted(_KEYS)})")
        for key in ("name", "description"):
            if key not in nodes:
                raise _fail(where, item, f"the category has no {key!r}")
        data: dict[str, Any] = yaml.safe_load(yaml.serialize(item))
        name = data["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(
                where, nodes["name"][1], "name must be lower case letters, digits, underscores"
            )
        if name in seen:
            raise _fail(where, nodes["name"][1], f"{name} is declared twice")
        seen.add(name)
        description = data["description"]
        if not isinstance(description, str) or not description.strip():
            raise _fail(where, nodes["description"][1], "description must be a non-empty string")
        keywords = data.get("keywords", [])
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            raise _fail(where, nodes["keywords"][1], "keywords must be a list of strings")
        found.append(
            Category(
                name=name,
                description=description.strip(),
                keywords=tuple(dict.fromkeys(k.strip().lower() for k in keywords)),
            )
        )
    return Taxonomy(tuple(found))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; the default one when ``path`` is ``None``.

    :raises TaxonomyError: the file is invalid (the message names the line).
    :raises OSError: the file cannot be read.
    """
    file = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    return parse_taxonomy(file.read_text(encoding="utf-8"), where=str(file))
