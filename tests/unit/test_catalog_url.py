"""The catalog URL's password is never printed: not in errors, not in reprs."""

from __future__ import annotations

import pytest

from worker.adapters.catalog.database import SqlLocalCatalog, safe_url
from worker.core.errors import ConfigError

SECRET = "s3cr3t-Pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://enricher:{SECRET}@127.0.0.1:1/catalog",  # nobody listens
        f"postgresql+psycopg://enricher:{SECRET}@127.0.0.1:port/catalog",  # unparseable port
        f"nonsense://enricher:{SECRET}@host/catalog",  # unknown dialect
        f"enricher:{SECRET}@host/catalog",  # not a URL
    ],
)
def test_opening_errors_do_not_show_the_password(url: str) -> None:
    catalog = SqlLocalCatalog(url)
    assert SECRET not in repr(catalog)
    with pytest.raises(ConfigError) as raised:
        catalog.engine  # noqa: B018
    message = raised.value.message
    assert message.startswith("cannot open the local catalog at ")
    assert SECRET not in message and SECRET not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_safe_url_masks_the_password() -> None:
    shown = safe_url(f"postgresql+psycopg://enricher:{SECRET}@db:5432/catalog")
    assert shown == "postgresql+psycopg://enricher:***@db:5432/catalog"
    assert safe_url("sqlite:///enricher.db") == "sqlite:///enricher.db"
    assert SECRET not in safe_url(f"enricher:{SECRET}@host/catalog")
