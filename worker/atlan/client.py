"""The pyatlan boundary: building the client and mapping its errors to ours.

pyatlan fails in three ways (see ../shared/notes/pyatlan.md §2): ``AtlanError`` subclasses,
a bare ``TypeError`` when 503s exhaust its retries or a 200 has an empty body, and raw httpx
errors on network failure. :func:`atlan_errors` maps all of them, with ``from exc``, to
:class:`~worker.errors.CatalogWriteError` subclasses whose messages name the operation only.
The total time pyatlan spends retrying one request is bounded by ``total_timeout``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from worker.errors import CatalogAuthError, CatalogRejected, CatalogUnavailable, ConfigError
from worker.settings import AtlanSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)


def build_client(settings: AtlanSettings) -> AtlanClient:
    """An ``AtlanClient`` for the configured tenant (imports pyatlan: about 5 s, once).

    ``base_url``/``api_key`` fall back to ``ATLAN_BASE_URL``/``ATLAN_API_KEY``, read now (not
    at import). Retries: 429 and 5xx, honouring ``Retry-After``, at most ``max_retries`` times
    and ``max_retries * read_timeout_s`` seconds in all; 401/403 are not retried.

    :raises ConfigError: no base URL or API key, or a base URL pyatlan rejects (it needs a
        dotted host or an IP: ``http://localhost`` is refused).
    """
    base_url = settings.base_url or os.environ.get("ATLAN_BASE_URL")
    api_key = (
        settings.api_key.get_secret_value() if settings.api_key else os.environ.get("ATLAN_API_KEY")
    )
    if not base_url or not api_key:
        raise ConfigError(
            "Atlan is enabled but ATLAN_BASE_URL and ATLAN_API_KEY (or atlan.base_url and "
            "atlan.api_key) are not both set"
        )
    from httpx_retries import Retry
    from pyatlan.client.atlan import AtlanClient

    retry = Retry(
        total=settings.max_retries,
        backoff_factor=settings.backoff_s,
        respect_retry_after_header=True,
        max_backoff_wait=min(30.0, settings.read_timeout_s),
        total_timeout=max(1.0, settings.max_retries * settings.read_timeout_s),
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=["GET", "POST", "PUT", "DELETE"],
    )
    try:
        return AtlanClient(  # type: ignore[no-untyped-call]
            base_url=base_url,
            api_key=api_key,
            connect_timeout=settings.connect_timeout_s,
            read_timeout=settings.read_timeout_s,
            retry=retry,
        )
    except Exception as exc:  # pydantic's ValidationError quotes the URL, never the key
        raise ConfigError(
            f"Atlan base URL {base_url!r} is not usable by pyatlan (use https://<tenant> "
            "or an IP address; 'localhost' and undotted names are refused)"
        ) from exc


@contextlib.contextmanager
def atlan_errors(operation: str) -> Iterator[None]:
    """Map every way pyatlan fails during ``operation`` to a :class:`CatalogWriteError`.

    :raises CatalogUnavailable: rate limited, 5xx, empty answers, timeouts, network errors.
    :raises CatalogAuthError: 401/403.
    :raises CatalogRejected: 400/404/409 and other request errors.
    """
    import httpx
    from pyatlan import errors as atlan

    try:
        yield
    except (atlan.AuthenticationError, atlan.PermissionError) as exc:
        raise CatalogAuthError(
            f"Atlan refused {operation}: the API key is invalid or lacks a permission "
            f"(HTTP {getattr(exc, 'code', '?')})"
        ) from exc
    except (atlan.RateLimitError, atlan.ApiConnectionError) as exc:
        raise CatalogUnavailable(
            f"Atlan is rate limiting or unreachable during {operation}"
        ) from exc
    except atlan.ApiError as exc:
        raise CatalogUnavailable(f"Atlan failed with a server error during {operation}") from exc
    except (atlan.NotFoundError, atlan.InvalidRequestError, atlan.ConflictError) as exc:
        raise CatalogRejected(
            f"Atlan rejected {operation} ({type(exc).__name__}: {_atlan_code(exc)})"
        ) from exc
    except atlan.AtlanError as exc:
        raise CatalogRejected(f"Atlan failed {operation} ({_atlan_code(exc)})") from exc
    except TypeError as exc:
        # pyatlan's answer to exhausted 503 retries and to empty 200 bodies.
        raise CatalogUnavailable(
            f"Atlan answered {operation} with no usable body (service unavailable)"
        ) from exc
    except httpx.HTTPError as exc:
        raise CatalogUnavailable(
            f"Atlan is unreachable during {operation} ({type(exc).__name__})"
        ) from exc


def _atlan_code(exc: Exception) -> str:
    code = getattr(getattr(exc, "error_code", None), "error_id", None)
    return str(code) if code else type(exc).__name__


def tag_changes(
    updater: Any, add: Iterable[str] = (), remove: Iterable[str] = (), propagate: bool = True
) -> Any:
    """Put tag additions and removals on a pyatlan updater (saved with append semantics).

    Added tags propagate through lineage and hierarchy when ``propagate`` and go away with
    the asset; the same flags everywhere s3-enricher tags something.
    Side effects: sets ``add_or_update_classifications``/``remove_classifications``.
    """
    from pyatlan.model.core import AtlanTag, AtlanTagName

    add, remove = sorted(add), sorted(remove)
    if add:
        updater.add_or_update_classifications = [
            AtlanTag(  # type: ignore[call-arg]
                type_name=AtlanTagName(t),
                propagate=propagate,
                remove_propagations_on_entity_delete=True,
                restrict_propagation_through_lineage=False,
                restrict_propagation_through_hierarchy=False,
            )
            for t in add
        ]
    if remove:
        updater.remove_classifications = [
            AtlanTag(type_name=AtlanTagName(t))  # type: ignore[call-arg]
            for t in remove
        ]
    return updater
