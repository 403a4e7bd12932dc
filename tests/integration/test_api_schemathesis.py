"""Property-based tests of ``/api/v1`` from its own OpenAPI schema (schemathesis).

Every operation of the review API is called with generated parameters and bodies, with a
steward's API token, on a seeded catalog: no answer may be a server error. Deterministic
(``derandomize``) and bounded (a few examples per operation): it runs in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from models.review import Role
from tests.support.review_seed import seed_review
from worker.bootstrap import build_review
from worker.core.settings import load_settings
from worker.services.review.service import ReviewService
from worker.web.app import create_app

PASSWORD = "password123"


@dataclass
class Api:
    app: Any
    review: ReviewService
    headers: dict[str, str]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """A seeded catalog, the review API on it, and a steward's (write) token."""
    review = build_review(load_settings(database_url=f"sqlite:///{tmp_path / 'e.db'}"))
    seed_review(review)
    review.users.add("sam", Role.STEWARD, PASSWORD, actor="test")
    token = review.users.create_token("sam", "schemathesis", "test")
    app = create_app(None, lambda _events: None, review=review)
    yield Api(app=app, review=review, headers={"Authorization": f"Bearer {token}"})
    review.store.catalog.engine.dispose()


def _schema() -> Any:
    """The app's OpenAPI schema, read without opening a database (the engine is lazy)."""
    review = build_review(load_settings(database_url="sqlite://"))
    raw = create_app(None, lambda _events: None, review=review).openapi()
    return schemathesis.openapi.from_dict(raw).include(path_regex="^/api/v1/")


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_the_review_api_never_fails_with_a_server_error(case: Any, api: Api) -> None:
    case.call_and_validate(app=api.app, headers=api.headers, checks=[not_a_server_error])
