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

import yaml

from classifiers.yaml_lists import fail, read_list

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


def _fail(where: str, node: yaml.Node | None, message: str) -> Exception:
    return fail(TaxonomyError, where, node, message)


def parse_taxonomy(text: str, where: str = "taxonomy") -> Taxonomy:
    """Parse and validate taxonomy YAML ``text``.

    :param where: how to name the file in messages (its path).
    :raises TaxonomyError: invalid YAML, unknown keys, a bad or duplicate name, a missing or
        empty description, a bad keyword list, or no categories at all. The message names
        the line.
    """
    found: list[Category] = []
    seen: set[str] = set()
    for item in read_list(
        text, where, "categories", "category", _KEYS, ("name", "description"), TaxonomyError,
        False,
    ):  # fmt: skip
        data, nodes = item.data, item.nodes
        name = data["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(
                where, nodes["name"], "name must be lower case letters, digits, underscores"
            )
        if name in seen:
            raise _fail(where, nodes["name"], f"{name} is declared twice")
        seen.add(name)
        description = data["description"]
        if not isinstance(description, str) or not description.strip():
            raise _fail(where, nodes["description"], "description must be a non-empty string")
        keywords = data.get("keywords", [])
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            raise _fail(where, nodes["keywords"], "keywords must be a list of strings")
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
