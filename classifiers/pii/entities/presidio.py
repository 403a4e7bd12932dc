r"""Presidio's recognizer YAML as entity specs, so that teams can bring the recognizers they have.

The accepted file is Presidio's own recognizer-registry format::

    recognizers:
      - name: Employee id recognizer       # one item per recognizer
        supported_language: en             # or supported_languages: [en, de]
        supported_entity: EMPLOYEE_ID
        patterns:
          - {name: employee id, regex: '\bE-\d{6}\b', score: 0.6}
        context: [employee, personalnummer]
        deny_list: [...]                   # optional, Presidio turns it into one pattern

Each item is built with presidio-analyzer's own ``PatternRecognizer.from_dict`` (so what
Presidio rejects is rejected here), then turned into an :class:`EntitySpec`: its patterns (the
deny list included) run on the column's distinct values like the built-ins; its context words
become column-name keywords for its language; recognizers of one entity merge into one spec.
A dense call's confidence is Presidio's: the mean score of the patterns that matched, raised
by :data:`CONTEXT_FACTOR` (at least to :data:`CONTEXT_MIN_SCORE`) when the column name holds a
context word.

Not accepted: ``type: predefined`` items (Presidio's own recognizers; s3-enricher has its
built-ins), entities that are built-in, and Python recognizer classes. Items with
``enabled: false`` are skipped. Matching uses Python's :mod:`re` with :data:`re.ASCII` (RE2 as
a prefilter), with the recognizer's ``global_regex_flags`` (default: Presidio's, case-
insensitive) as inline flags.

Pure: text in, specs out (the worker reads the file). Imports presidio-analyzer, and so spaCy,
when called.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from classifiers.pii.entities.spec import ENTITY_NAME, EntitySpec, PatternSpec

#: Presidio's context enhancement (``LemmaContextAwareEnhancer`` defaults): a context word adds
#: this to the score ...
CONTEXT_FACTOR = 0.35
#: ... and lifts it to at least this.
CONTEXT_MIN_SCORE = 0.4

#: Presidio's default ``global_regex_flags``: DOTALL | MULTILINE | IGNORECASE.
_DEFAULT_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE
_TOP_KEYS = {"recognizers", "supported_languages", "global_regex_flags", "supported_countries"}
# Keys Presidio's loader handles itself rather than passing to PatternRecognizer.
_LOADER_KEYS = {"enabled", "type", "supported_languages", "class_name", "score_thresholds"}


class PresidioRecognizerError(ValueError):
    """The recognizer file is invalid; the message names the file and line."""


def _fail(where: str, node: yaml.Node | None, message: str) -> PresidioRecognizerError:
    line = f"line {node.start_mark.line + 1}" if node is not None else "the file"
    return PresidioRecognizerError(f"{where}, {line}: {message}")


def context_score(score: float) -> float:
    """A pattern score after Presidio's context enhancement (the column name has a context word)."""
    return max(min(1.0, score + CONTEXT_FACTOR), CONTEXT_MIN_SCORE)


def _inline_flags(regex: str, flags: int) -> str:
    """``regex`` with Presidio's regex flags as a leading inline group RE2 understands too."""
    letters = "".join(
        letter
        for flag, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
        if flags & flag
    )
    if not letters:
        return regex
    m = re.match(r"\(\?([aiLmsux]+)\)", regex)
    if m is not None:
        merged = "".join(sorted(set(m.group(1)) | set(letters)))
        return f"(?{merged}){regex[m.end() :]}"
    return f"(?{letters}){regex}"


def _languages(data: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """``(language, context words)`` per language the item declares (Presidio's three forms)."""
    context = [str(w) for w in data.get("context") or ()]
    if data.get("supported_language"):
        return [(str(data["supported_language"]), context)]
    langs = data.get("supported_languages") or ["any"]
    out: list[tuple[str, list[str]]] = []
    for lang in langs:
        if isinstance(lang, Mapping):
            words = lang.get("context")
            out.append((str(lang.get("language")), [str(w) for w in words] if words else context))
        else:
            out.append((str(lang), context))
    return out


def _recognizer(data: dict[str, Any], where: str, node: yaml.Node) -> Any:
    """Presidio's PatternRecognizer for one item; Presidio's own checks apply."""
    from presidio_analyzer import PatternRecognizer

    conf = {k: v for k, v in data.items() if k not in _LOADER_KEYS}
    conf.setdefault("supported_language", "any")
    try:
        return PatternRecognizer.from_dict(conf)
    except (TypeError, ValueError, KeyError) as exc:
        raise _fail(where, node, f"Presidio rejects this recognizer: {exc}") from None


def parse_presidio_recognizers(
    text: str, where: str = "presidio recognizers"
) -> tuple[EntitySpec, ...]:
    """Parse Presidio recognizer YAML ``text`` into one spec per entity.

    :param where: how to name the file in messages (its path).
    :raises PresidioRecognizerError: invalid YAML, a missing or malformed ``recognizers``
        list, a predefined recognizer, an item Presidio rejects, an invalid or built-in
        entity name, a regex Python cannot compile. The message names the line.
    """
    items, file_flags = _recognizer_items(text, where)
    # Recognizers of one entity merge: their patterns (one per regex and score), their names
    # and their context words per language.
    patterns: dict[str, dict[tuple[str, float], PatternSpec]] = {}
    keywords: dict[str, dict[str, dict[str, float]]] = {}
    names: dict[str, list[str]] = {}
    for item in items.value:
        loaded = _load_item(item, where)
        if loaded is None:
            continue
        data, recognizer, entity = loaded
        flags = recognizer.global_regex_flags
        flags = file_flags if "global_regex_flags" not in data else int(flags or 0)
        names.setdefault(entity, []).append(str(recognizer.name))
        by_regex = patterns.setdefault(entity, {})
        for spec in _pattern_specs(recognizer, entity, flags, where, item):
            by_regex.setdefault((spec.regex, spec.score), spec)
        per_lang = keywords.setdefault(entity, {})
        for language, words in _languages(data):
            table = per_lang.setdefault(language, {})
            for word in words:
                folded = word.strip().lower()
                if folded:
                    table[folded] = 1.0
    return tuple(
        _entity_spec(entity, by_regex, names[entity], keywords[entity])
        for entity, by_regex in patterns.items()
    )


def _recognizer_items(text: str, where: str) -> tuple[yaml.SequenceNode, int]:
    """The ``recognizers`` list of the file and its ``global_regex_flags`` (else Presidio's).

    :raises PresidioRecognizerError: invalid YAML, an empty file, an unknown top-level key,
        no ``recognizers`` list, flags that are not an int.
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "the file"
        raise PresidioRecognizerError(f"{where}, {line}: not valid YAML") from None
    if root is None:
        raise PresidioRecognizerError(f"{where}, the file: empty; expected 'recognizers'")
    if not isinstance(root, yaml.MappingNode):
        raise _fail(where, root, "expected a mapping with the key 'recognizers'")
    top = {k.value: (k, v) for k, v in root.value}
    for key, (knode, _) in top.items():
        if key not in _TOP_KEYS:
            raise _fail(where, knode, f"unknown key {key!r} (expected one of {sorted(_TOP_KEYS)})")
    if "recognizers" not in top:
        raise _fail(where, root, "no 'recognizers' list")
    items = top["recognizers"][1]
    if not isinstance(items, yaml.SequenceNode):
        raise _fail(where, items, "'recognizers' must be a list")
    file_flags = _DEFAULT_FLAGS
    if "global_regex_flags" in top:
        file_flags = yaml.safe_load(yaml.serialize(top["global_regex_flags"][1]))
        if not isinstance(file_flags, int) or isinstance(file_flags, bool):
            raise _fail(where, top["global_regex_flags"][1], "global_regex_flags must be an int")
    return items, file_flags


def _load_item(item: yaml.Node, where: str) -> tuple[dict[str, Any], Any, str] | None:
    """``(data, Presidio recognizer, entity)`` of one item; ``None`` when it is disabled.

    :raises PresidioRecognizerError: not a mapping, a predefined recognizer, no name, an item
        Presidio rejects, an invalid or built-in entity name.
    """
    if not isinstance(item, yaml.MappingNode):
        raise _fail(where, item, "each recognizer must be a mapping")
    data = yaml.safe_load(yaml.serialize(item))
    if data.get("enabled", True) is False:
        return None
    if data.get("type", "custom") != "custom":
        raise _fail(
            where,
            item,
            "only custom (pattern) recognizers are accepted; predefined ones are "
            "Presidio's built-ins, and s3-enricher has its own",
        )
    if "name" not in data:
        raise _fail(where, item, "the recognizer has no 'name'")
    recognizer = _recognizer(data, where, item)
    entity = str(recognizer.supported_entities[0])
    if not ENTITY_NAME.match(entity):
        raise _fail(where, item, f"entity {entity!r}: upper case letters, digits, underscores")
    if entity in BUILTIN_ENTITIES:
        raise _fail(where, item, f"{entity} is a built-in entity")
    return data, recognizer, entity


def _pattern_specs(
    recognizer: Any, entity: str, flags: int, where: str, item: yaml.Node
) -> list[PatternSpec]:
    """The recognizer's patterns (its deny list included) with ``flags`` inline, in order.

    :raises PresidioRecognizerError: a regex Python's :mod:`re` cannot compile.
    """
    rec_name = str(recognizer.name)
    specs: list[PatternSpec] = []
    for pattern in recognizer.patterns:
        regex = _inline_flags(str(pattern.regex), flags)
        try:
            re.compile(regex, re.ASCII)
        except re.error as exc:
            raise _fail(
                where, item, f"pattern {pattern.name!r}: regex does not compile ({exc})"
            ) from None
        specs.append(
            PatternSpec(entity, f"{rec_name}:{pattern.name}", regex, None, float(pattern.score))
        )
    return specs


def _entity_spec(
    entity: str,
    by_regex: Mapping[tuple[str, float], PatternSpec],
    recognizer_names: list[str],
    keywords: Mapping[str, Mapping[str, float]],
) -> EntitySpec:
    """The merged spec of one entity; its confidence is Presidio's, from its best pattern."""
    specs = tuple(by_regex.values())
    best = max((p.score for p in specs), default=0.0)
    return EntitySpec(
        entity,
        f"{entity} (Presidio recognizer {', '.join(recognizer_names)})",
        patterns=specs,
        keywords={lang: sorted(words.items()) for lang, words in keywords.items()},
        confidence=(best, context_score(best)),
        confidence_from_patterns=True,
        source="presidio",
    )
