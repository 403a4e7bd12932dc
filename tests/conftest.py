"""Session-wide safety: nothing in the suite may reach the network or a real cloud."""

from __future__ import annotations

import os

import pytest

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
