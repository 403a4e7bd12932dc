"""Build the PII name gazetteer from Faker's person providers (issue 17).

Usage::

    .venv/bin/python -m training.name_gazetteer [--out models/artifacts]

Writes ``pii-names.json`` (folded given names, family names and titles of Faker's locales in
:data:`LOCALES` and given and family names of mimesis's in :data:`MIMESIS_LOCALES`, sorted,
one per line) and ``pii-manifest.json`` (its SHA-256, size, counts, Faker's and mimesis's
versions and licence, and each Faker locale's source note) into ``--out``. Equal inputs give
equal bytes. Faker and mimesis are dev dependencies: only this script reads them; the
classifier reads the JSON (:mod:`classifiers.pii.gazetteer`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.resources
import json
import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from classifiers.pii.gazetteer import (
    GAZETTEER_ARTIFACT,
    GAZETTEER_FORMAT,
    MANIFEST_NAME,
    PARTICLES,
    fold,
    name_parts,
)

#: The Faker locales read (the languages the column-name keywords cover), each with where its
#: provider says the lists come from (comments in its ``__init__.py``) and the licence note of
#: that source; every provider is distributed under Faker's MIT licence. ``en_IN`` and the
#: other Faker locales are left out: not a supported language, and the held-out test split is
#: generated partly in ``en_IN``.
LOCALES: dict[str, tuple[str, str]] = {
    "en_US": (
        "first names: US SSA baby names by decade; last names: names.mongabay.com top 1000 (US "
        "Census 1990)",
        "US government data (public domain); Faker MIT",
    ),
    "en_GB": ("UK ONS name statistics", "Open Government Licence; Faker MIT"),
    "de_CH": (
        "Swiss Federal Statistical Office (bfs.admin.ch) name statistics",
        "open use with attribution (bfs.admin.ch); Faker MIT",
    ),
    "fr_FR": ("no source noted", "Faker MIT"),
    "es_ES": ("contributed by Alvaro Mondejar Rubio, no further source noted", "Faker MIT"),
    "es_MX": ("no source noted", "Faker MIT"),
    "pt_PT": ("no source noted", "Faker MIT"),
    "nl_NL": ("no source noted (comments cite Wikipedia on Dutch naming law only)", "Faker MIT"),
    "nl_BE": ("Statbel (Statistics Belgium) 2022, top 500", "Statbel open data; Faker MIT"),
    # Issue 16: Faker's own Polish surnames and Russian given names (old Slavic ones,
    # ``Гостомысл``) are the long tails mimesis's lists miss: a Faker ``pl_PL`` column of
    # surnames was 5% known, a ``ru_RU`` one of given names 54%. Their notes cite sources for
    # the identity-card and PESEL providers only, not the names.
    "pl_PL": ("no source noted (the module's links are for identity cards and PESEL)", "Faker MIT"),
    "ru_RU": ("no source noted (the module's link is a transliteration table)", "Faker MIT"),
}
#: Locales whose lists come from share-alike (CC BY-SA) sources or sources that state no terms:
#: left out, as the GPL real tables are (training/data/README.md), so that nothing in the
#: Apache-2.0 repository carries other terms. Their names are not lost to detection: an
#: undecided column still goes to spaCy.
EXCLUDED_LOCALES: dict[str, tuple[str, str]] = {
    "de_DE": (
        "first names: de.wiktionary.org lists of common given names; last names: "
        "namenforschung.net (Digitales Familiennamenwoerterbuch Deutschlands)",
        "CC BY-SA (Wiktionary); Faker MIT",
    ),
    "de_AT": (
        "first names: data.gv.at; last names: de.wiktionary.org list of common Austrian surnames",
        "CC BY 4.0 (data.gv.at), CC BY-SA (Wiktionary); Faker MIT",
    ),
    "fr_CA": (
        "first names: Retraite Quebec banque de prenoms; last names: fr.wikipedia.org list of "
        "common Quebec surnames",
        "CC BY-SA (Wikipedia); Faker MIT",
    ),
    "it_IT": (
        "en.wikipedia.org categories of Italian given names; en.wiktionary.org category Italian "
        "surnames",
        "CC BY-SA (Wikipedia, Wiktionary); Faker MIT",
    ),
    "pt_BR": (
        "exame.abril.com.br, brasil.babycenter.com, nomeschiques.com, nomescriativos.com.br "
        "lists of common names",
        "not stated by the sources; Faker MIT",
    ),
}
#: mimesis's person datasets of the supported languages not in CJK characters (issue 16):
#: Faker's kept locales know few German, Italian, Polish or Russian names (a Faker ``de_DE``
#: column of surnames was 14% known, ``it_IT`` 3%), so a one-word name column under an opaque
#: or misleading header went unfound. mimesis is MIT-licensed and its datasets name no source;
#: kept on the terms of Faker's locales without a source note. Its CJK names are left to the
#: hand-written surname lists of :mod:`classifiers.pii.cjk_names`.
MIMESIS_LOCALES: tuple[str, ...] = (
    "de", "de-at", "de-ch", "en", "en-gb", "es", "es-mx", "fr", "it", "nl", "nl-be", "pl",
    "pt", "pt-br", "ru",
)  # fmt: skip
_MIMESIS_GIVEN = ("names", "patronymic")
_MIMESIS_FAMILY = ("surnames",)
#: Patronymics (``ru_RU``'s ``middle_names``) count as given names, as mimesis's do.
_FIRST = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
          "middle_names_male", "middle_names_female")  # fmt: skip
#: ``pl_PL`` keeps its surnames apart from ``last_names`` (which it leaves as the base
#: class's ``Doe``); ``ru_RU`` has male and female forms.
_LAST = ("last_names", "unisex_last_names", "male_last_names", "last_names_male",
         "last_names_female")  # fmt: skip
_TITLES = ("prefixes", "prefixes_male", "prefixes_female", "prefixes_nonbinary", "suffixes",
           "suffixes_male", "suffixes_female", "suffixes_nonbinary")  # fmt: skip


def _entries(provider: Any, attributes: Iterable[str]) -> set[str]:
    """The strings of the provider's lists (tuples, or dicts of name -> weight).

    Not the base provider's placeholders (``John``, ``Doe``), which a locale that keeps its
    lists under other names (``pl_PL``) inherits.
    """
    base = importlib.import_module("faker.providers.person").Provider
    out: set[str] = set()
    for attr in attributes:
        value = getattr(provider, attr, None)
        if value and value is not getattr(base, attr, None):
            out.update(str(v) for v in value)
    return out


def _mimesis_person(locale: str) -> dict[str, Any]:
    """The parsed ``datasets/<locale>/person.json`` of the installed mimesis.

    Side effect: reads the file from the installed mimesis (not imported).
    """
    path = importlib.resources.files("mimesis") / "datasets" / locale / "person.json"
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _mimesis_entries(doc: dict[str, Any], keys: Iterable[str]) -> set[str]:
    """The names under ``keys`` of a mimesis person dataset: lists, or lists per gender. Pure."""
    out: set[str] = set()
    for key in keys:
        value = doc.get(key) or []
        for names in value.values() if isinstance(value, dict) else [value]:
            out.update(str(n) for n in names)
    return out


def build(
    locales: Iterable[str] = LOCALES, mimesis_locales: Iterable[str] = MIMESIS_LOCALES
) -> dict[str, list[str]]:
    """Folded given names, family names and titles, each sorted and unique.

    ``locales`` are Faker's, ``mimesis_locales`` mimesis's. A name part that is a particle
    (``van``, ``de``) or one letter is no name on its own; titles lose their dots (``Dr.``
    -> ``dr``). Of mimesis's names only those of one part and three letters or more are
    read, and not its titles: they hold academic degrees of several words (``Mgr inż.``).
    """
    given: set[str] = set()
    family: set[str] = set()
    titles: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for name in _entries(provider, _FIRST):
            given.update(p for p in name_parts(name) if p not in PARTICLES and len(p) > 1)
        for name in _entries(provider, _LAST):
            family.update(p for p in name_parts(name) if p not in PARTICLES and len(p) > 1)
        for title in _entries(provider, _TITLES):
            # Parts of one letter (``г-н``'s ``г``, ``н``) are initials to the lookup.
            titles.update(
                w for t in re.split(r"[\s\-]+", fold(title)) if len(w := t.replace(".", "")) > 1
            )
    for locale in mimesis_locales:
        doc = _mimesis_person(locale)
        for names, keys in ((given, _MIMESIS_GIVEN), (family, _MIMESIS_FAMILY)):
            for name in _mimesis_entries(doc, keys):
                # Names of one part of three letters or more, particles set aside (``de
                # Boer`` is ``boer``; ``du Pré`` is ``pre``): the parts of its compounds (``up
                # Schaer``, ``Grand-Pre``) are words (up, grand) more often than names, and
                # its two-letter names (``Md``, ``Un``, ``In``) are codes.
                parts = [p for p in name_parts(name) if p not in PARTICLES]
                if len(parts) == 1 and len(parts[0]) > 2:
                    names.add(parts[0])
    return {"given": sorted(given), "family": sorted(family), "titles": sorted(titles)}


def render(lists: dict[str, list[str]]) -> bytes:
    """The artifact's bytes: a JSON object, one name per line (diffable), sorted keys."""
    doc = {"format": GAZETTEER_FORMAT, **lists}
    return (json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=True) + "\n").encode()


def manifest(data: bytes, lists: dict[str, list[str]]) -> dict[str, Any]:
    """The PII manifest that lists the gazetteer with its hash, size, counts and sources."""
    version = metadata.version("Faker")
    return {
        "artifacts": {
            GAZETTEER_ARTIFACT: {
                "bytes": len(data),
                "built_by": "python -m training.name_gazetteer",
                "counts": {k: len(v) for k, v in lists.items()},
                "licence": "MIT (Faker, mimesis; each Faker locale's note below says where its "
                "lists come from)",
                "locales": {
                    locale: {"licence": licence, "source": source}
                    for locale, (source, licence) in LOCALES.items()
                },
                "excluded_locales": {
                    locale: {"licence": licence, "source": source}
                    for locale, (source, licence) in EXCLUDED_LOCALES.items()
                },
                "sha256": hashlib.sha256(data).hexdigest(),
                "mimesis_locales": list(MIMESIS_LOCALES),
                "source": f"Faker {version} person providers (faker.providers.person.*); "
                f"mimesis {metadata.version('mimesis')} person datasets "
                "(mimesis/datasets/<locale>/person.json, no source named)",
            }
        },
        "format": GAZETTEER_FORMAT,
    }


def write(out: Path) -> tuple[Path, Path]:
    """Build and write the gazetteer and the manifest into ``out``; return both paths.

    Side effects: imports Faker's person providers, reads mimesis's datasets; writes two
    files.
    """
    lists = build()
    data = render(lists)
    out.mkdir(parents=True, exist_ok=True)
    artifact = out / GAZETTEER_ARTIFACT
    artifact.write_bytes(data)
    path = out / MANIFEST_NAME
    text = json.dumps(manifest(data, lists), ensure_ascii=False, indent=2, sort_keys=True)
    path.write_bytes((text + "\n").encode())
    return artifact, path


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m training.name_gazetteer [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("models/artifacts"))
    args = parser.parse_args(argv)
    artifact, path = write(args.out)
    print(f"wrote {artifact} ({artifact.stat().st_size:,} bytes) and {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
