"""``python -m training.name_gazetteer``: equal bytes every time, equal to the committed ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.pii.gazetteer import (
    DEFAULT_ARTIFACTS_DIR,
    GAZETTEER_ARTIFACT,
    MANIFEST_NAME,
    load_gazetteer,
)

pytest.importorskip("faker")

from training.name_gazetteer import build, write  # noqa: E402


def test_two_builds_write_the_same_bytes(tmp_path: Path) -> None:
    first = write(tmp_path / "a")
    second = write(tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_the_build_reproduces_the_committed_gazetteer(tmp_path: Path) -> None:
    write(tmp_path)
    for name in (GAZETTEER_ARTIFACT, MANIFEST_NAME):
        assert (tmp_path / name).read_bytes() == (DEFAULT_ARTIFACTS_DIR / name).read_bytes(), (
            f"{name} differs: rebuild with `make train` and commit it"
        )
    assert load_gazetteer(tmp_path).given == load_gazetteer().given


def test_names_are_folded_and_particles_left_out() -> None:
    lists = build(["de_CH", "nl_NL"])
    assert all(n == n.casefold() and n.isascii() or "'" in n for n in lists["given"][:200])
    assert "muller" in lists["family"] and "müller" not in lists["family"]
    assert not {"van", "de", "der"} & set(lists["family"])
    assert lists["given"] == sorted(set(lists["given"]))
