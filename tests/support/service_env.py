"""The ``ENRICH_*`` environment that points an ``enricher`` process at the test servers."""

from __future__ import annotations

from tests.support.atlan_fixtures import API_KEY
from tests.support.redis_dbs import RedisDatabases


def service_env(
    database_url: str,
    *,
    s3_endpoint: str | None = None,
    redis: RedisDatabases | None = None,
    atlan_url: str | None = None,
) -> dict[str, str]:
    """Settings for a CLI or worker process: its catalog, and the servers given.

    :param s3_endpoint: SeaweedFS's endpoint (dummy credentials).
    :param redis: the test's own broker and result databases.
    :param atlan_url: the fake Atlan server's base URL (Atlan enabled, one quick retry).
    """
    env = {"ENRICH_DATABASE_URL": database_url}
    if s3_endpoint is not None:
        env |= {
            "ENRICH_S3__ENDPOINT_URL": s3_endpoint,
            "ENRICH_S3__ACCESS_KEY_ID": "testing",
            "ENRICH_S3__SECRET_ACCESS_KEY": "testing",
        }
    if redis is not None:
        env |= {
            "ENRICH_CELERY__BROKER_URL": redis.broker_url,
            "ENRICH_CELERY__RESULT_BACKEND": redis.backend_url,
        }
    if atlan_url is not None:
        env |= {
            "ENRICH_ATLAN__ENABLED": "true",
            "ENRICH_ATLAN__MAX_RETRIES": "1",
            "ENRICH_ATLAN__BACKOFF_S": "0.05",
            "ATLAN_BASE_URL": atlan_url,
            "ATLAN_API_KEY": API_KEY,
        }
    return env
