"""Read the PII entity files the settings name, and hand the parsed specs to the classifier.

``classifiers/`` never opens a file: this module reads the custom-entity YAML
(``pii.custom_entities_file``) and the Presidio recognizer YAML files
(``pii.presidio_recognizers``) and parses them with :mod:`classifiers.pii.custom` and
:mod:`classifiers.pii.entities.presidio`. Called by the composition root at start-up, so that a
broken file stops the start rather than the first scan. Every problem is a
:class:`~worker.core.errors.ConfigError` naming the file (and the line, where there is one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from classifiers.pii.custom import CustomEntity, CustomEntityError, parse_custom_entities
from classifiers.pii.entities import EntitySpec
from worker.core.errors import ConfigError


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {what} {path}: not UTF-8 text") from exc


def read_custom_entities(path: Path | None) -> tuple[CustomEntity, ...]:
    """The custom entities declared in ``path`` (none when ``path`` is ``None``).

    Side effect: reads the file.

    :raises ConfigError: the file is unreadable or invalid (the message names the line).
    """
    if path is None:
        return ()
    text = _read(path, "custom entities")
    try:
        return parse_custom_entities(text, str(path))
    except CustomEntityError as exc:
        raise ConfigError(str(exc)) from exc


def read_presidio_recognizers(
    paths: Sequence[Path], taken: Mapping[str, str] | None = None
) -> tuple[EntitySpec, ...]:
    """One spec per entity declared in the Presidio recognizer files ``paths``.

    Side effect: reads the files; imports presidio-analyzer (and spaCy) when there is one.

    :param taken: entity names already declared elsewhere, with where (the custom-entity file).
    :raises ConfigError: a file is unreadable or invalid (the message names the file and line),
        or an entity is declared in two files, or in a file and ``taken``.
    """
    from classifiers.pii.entities import PresidioRecognizerError, parse_presidio_recognizers

    where: dict[str, str] = dict(taken or {})
    found: list[EntitySpec] = []
    for path in paths:
        text = _read(path, "Presidio recognizers")
        try:
            specs = parse_presidio_recognizers(text, str(path))
        except PresidioRecognizerError as exc:
            raise ConfigError(str(exc)) from exc
        for spec in specs:
            if spec.name in where:
                raise ConfigError(
                    f"{path}: entity {spec.name} is already declared in {where[spec.name]}"
                )
            where[spec.name] = str(path)
            found.append(spec)
    return tuple(found)
