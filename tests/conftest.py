"""Session-wide safety: nothing in the suite may reach the network or a real cloud."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.catalog_urls import fresh_postgres

# Set before anything imports botocore/pyarrow/tldextract.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
for _name in [n for n in os.environ if n.startswith("ENRICH_")]:
    # A developer's own settings must not leak into the tests.
    del os.environ[_name]


@pytest.fixture(autouse=True, scope="session")
def _no_model_downloads() -> None:
    """Make any attempt by spaCy to download a model fail loudly."""
    import spacy.cli

    def _refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"spaCy tried to download a model: {args!r}")

    spacy.cli.download = _refuse  # type: ignore[assignment]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the local server; dropped afterwards.

    ``make test`` starts the server (scripts/ensure-services.sh); a missing server is an error,
    not a skip.
    """
    with fresh_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The catalog database URL, once for SQLite (the embedded default), once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'catalog.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
