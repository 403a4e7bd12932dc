r"""Custom PII entities declared in YAML, validated at start-up with errors that name the line.

The file::

    entities:
      - name: EMPLOYEE_ID            # upper case, digits, underscores
        regex: '^E-\d{6}$'           # RE2 syntax (run by pyarrow); matched per value
        validator: luhn              # optional: a name from classifiers.pii.validators
        keywords: [employee_id, personalnummer]   # optional column-name keywords
        score: 0.85                  # confidence of a dense, unsupported match (0..1)

Parsing is pure (text in, specs out) so that the settings layer decides where the file is.
Each entity becomes an :class:`~classifiers.pii.entities.EntitySpec` (:meth:`CustomEntity.to_spec`)
in the classifier's registry, next to the built-ins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from classifiers.pii.entities.spec import EntitySpec, PatternSpec
from classifiers.yaml_lists import fail, read_list

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
_KEYS = {"name", "regex", "validator", "keywords", "score"}


class CustomEntityError(ValueError):
    """The custom-entity file is invalid; the message names the file line."""


@dataclass(frozen=True, slots=True)
class CustomEntity:
    """One declared entity.

    :param keywords: lower-case column-name keywords (matched against name tokens).
    """

    name: str
    regex: str
    validator: str | None
    keywords: tuple[str, ...]
    score: float

    def to_spec(self) -> EntitySpec:
        """The entity as a registry spec, next to the built-ins.

        Its score is the confidence of a dense call (0.95 with a supporting column name); its
        keywords match at full strength.
        """
        return EntitySpec(
            self.name,
            f"{self.name} (custom entity)",
            patterns=(
                PatternSpec(
                    self.name, f"custom:{self.name.lower()}", self.regex, self.validator, self.score
                ),
            ),
            keywords={"any": [(k, 1.0) for k in self.keywords]},
            confidence=(self.score, 0.95),
            source="custom",
        )


def _fail(where: str, node: yaml.Node | None, message: str) -> Exception:
    return fail(CustomEntityError, where, node, message)


def _check_regex(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"the regex does not compile ({exc})"
    import pyarrow as pa
    import pyarrow.compute as pc

    from classifiers.pii.arrays import string_array

    try:
        pc.match_substring_regex(string_array([""]), pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        return f"the regex is not RE2 syntax (no look-arounds or back-references): {exc}"
    return None


def parse_custom_entities(text: str, where: str = "custom entities") -> tuple[CustomEntity, ...]:
    """Parse and validate the YAML ``text``.

    :param where: how to name the file in messages (its path).
    :raises CustomEntityError: invalid YAML, unknown keys, a bad name, regex, validator,
        keyword list or score; a duplicate or built-in name. The message names the line.
    """
    from classifiers.pii.validators import VALIDATORS

    found: list[CustomEntity] = []
    seen: set[str] = set()
    for item in read_list(
        text, where, "entities", "entity", _KEYS, ("name", "regex"), CustomEntityError, True
    ):
        data, nodes = item.data, item.nodes
        name = data["name"]
        name_node = nodes["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(where, name_node, "name must be upper case letters, digits, underscores")
        if name in BUILTIN_ENTITIES:
            raise _fail(where, name_node, f"{name} is a built-in entity")
        if name in seen:
            raise _fail(where, name_node, f"{name} is declared twice")
        seen.add(name)
        regex = data["regex"]
        if not isinstance(regex, str) or not regex:
            raise _fail(where, nodes["regex"], "regex must be a non-empty string")
        problem = _check_regex(regex)
        if problem:
            raise _fail(where, nodes["regex"], problem)
        validator = data.get("validator")
        if validator is not None and validator not in VALIDATORS:
            raise _fail(
                where,
                nodes["validator"],
                f"unknown validator {validator!r}; choose from {', '.join(sorted(VALIDATORS))}",
            )
        keywords = data.get("keywords", [])
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and k.strip() for k in keywords
        ):
            raise _fail(where, nodes["keywords"], "keywords must be a list of strings")
        score = data.get("score", 0.85)
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
            raise _fail(where, nodes["score"], "score must be a number in (0, 1]")
        found.append(
            CustomEntity(
                name=name,
                regex=regex,
                validator=validator,
                keywords=tuple(k.strip().lower() for k in keywords),
                score=float(score),
            )
        )
    return tuple(found)
