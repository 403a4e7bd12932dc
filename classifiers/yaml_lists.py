"""Reading a YAML file that is one top-level list of mappings, with errors that name the line.

Custom PII entities and the business taxonomy share this shape (``entities:`` / ``categories:``
then one mapping per item). This module checks the structure and unknown or missing keys; the
callers check the values, using :func:`fail` so that every message names the file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import yaml

ErrorFactory = Callable[[str], Exception]


@dataclass(frozen=True, slots=True)
class Item:
    """One mapping of the list: its plain data, and the YAML node of every key's value."""

    data: dict[str, Any]
    nodes: dict[str, yaml.Node]
    node: yaml.Node


def fail(error: ErrorFactory, where: str, node: yaml.Node | None, message: str) -> Exception:
    """An ``error`` whose message starts ``<where>, line N:``."""
    line = f"line {node.start_mark.line + 1}" if node is not None else "the file"
    return error(f"{where}, {line}: {message}")


def read_list(
    text: str,
    where: str,
    top_key: str,
    item_word: str,
    keys: Collection[str],
    required: Collection[str],
    error: ErrorFactory,
    allow_empty: bool,
) -> list[Item]:
    """Parse ``text`` as ``{top_key: [mapping, ...]}`` and return the items.

    :param item_word: what an item is called in messages (``entity``, ``category``).
    :param keys: every key an item may have; :param required: the ones it must have.
    :param allow_empty: whether an empty file or list is valid (else an error).
    :raises Exception: built by ``error``: invalid YAML, wrong structure, unknown or missing
        keys. The message names the line.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "the file"
        raise error(f"{where}, {line}: not valid YAML") from exc
    if root is None:
        if allow_empty:
            return []
        raise error(f"{where}, the file: empty; expected the key {top_key!r}")
    if not isinstance(root, yaml.MappingNode):
        raise fail(error, where, root, f"expected a mapping with the key {top_key!r}")
    top = {k.value: v for k, v in root.value}
    unknown = sorted(set(top) - {top_key})
    if unknown:
        node = next(k for k, _ in root.value if k.value == unknown[0])
        raise fail(error, where, node, f"unknown key {unknown[0]!r} (expected {top_key!r})")
    items = top.get(top_key)
    if items is None and allow_empty:
        return []
    if not isinstance(items, yaml.SequenceNode) or (not items.value and not allow_empty):
        raise fail(error, where, items if items is not None else root,
                   f"{top_key!r} must be a list")  # fmt: skip
    out: list[Item] = []
    for item in items.value:
        if not isinstance(item, yaml.MappingNode):
            raise fail(error, where, item, f"each {item_word} must be a mapping")
        nodes = {k.value: (k, v) for k, v in item.value}
        for key, (knode, _) in nodes.items():
            if key not in keys:
                raise fail(
                    error, where, knode, f"unknown key {key!r} (expected one of {sorted(keys)})"
                )
        for key in required:
            if key not in nodes:
                raise fail(error, where, item, f"the {item_word} has no {key!r}")
        data: dict[str, Any] = yaml.safe_load(yaml.serialize(item))
        out.append(Item(data, {k: v for k, (_, v) in nodes.items()}, item))
    return out
