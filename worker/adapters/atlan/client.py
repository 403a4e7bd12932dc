"""The pyatlan boundary: building the client and mapping its errors to ours.

pyatlan fails in three ways (see ../shared/notes/pyatlan.md §2): ``AtlanError`` subclasses,
a bare ``TypeError`` when 503s exhaust its retries or a 200 has an empty body, and raw httpx
errors on network failure. :func:`atlan_errors` maps all of them, with ``from exc``, to
:class:`~worker.core.errors.CatalogWriteError` subclasses whose messages name the operation only.
The total time pyatlan spends retrying one request is bounded by ``total_timeout``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from worker.core.errors import (
    CatalogAuthError,
    CatalogPermissionDenied,
    CatalogRejected,
    CatalogUnavailable,
    ConfigError,
    EnrichmentError,
)
from worker.core.settings import AtlanSettings

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
        client = AtlanClient(  # type: ignore[no-untyped-call]
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
    install_response_hooks(client)
    return client


#: What Atlan's gateway asked for in ``Retry-After`` on the last answer in this context.
_RETRY_AFTER: ContextVar[float | None] = ContextVar("atlan_retry_after", default=None)
#: Atlas's 403 text: ``<user> is not authorized to perform <action>: <asset>``.
_NOT_AUTHORIZED = re.compile(
    r"not authori[sz]ed to perform (.*?)(?:\s+--\s+caused by|[;\n]|$)", re.IGNORECASE
)
#: Atlas action (as in its 403 messages and privileges) -> the persona permission to grant.
_PERSONA_PERMISSION = (
    ("remove classification", "Remove tags"),
    ("remove-classification", "Remove tags"),
    ("update classification", "Update tags"),
    ("update-classification", "Update tags"),
    ("classification", "Add tags"),
    ("business", "Update custom metadata"),
    ("relationship", "Update (on both ends of the lineage)"),
    ("create", "Create"),
    ("delete", "Delete"),
    ("update", "Update"),
    ("read", "Read"),
    ("type", "workspace admin role ($admin): only admins define tags and custom metadata"),
)


def install_response_hooks(client: Any) -> None:
    """Remember ``Retry-After`` of every answer the client receives (idempotent).

    pyatlan's errors do not carry response headers; an httpx response hook on its session
    keeps the value for :func:`atlan_errors`, so retries honour what the gateway asked for.
    Side effects: adds a response hook to the client's httpx session.
    """
    session = getattr(client, "_session", None)
    hooks = getattr(session, "event_hooks", None)
    if session is None or hooks is None:
        return
    response_hooks = list(hooks.get("response", []))
    if _remember_retry_after not in response_hooks:
        response_hooks.append(_remember_retry_after)
        session.event_hooks = {**hooks, "response": response_hooks}


def _remember_retry_after(response: Any) -> None:
    if response.status_code in (429, 502, 503, 504):
        _RETRY_AFTER.set(parse_retry_after(response.headers.get("retry-after")))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def persona_permission(action: str) -> str:
    """The persona permission that grants an Atlas action (``entity-create`` -> ``Create``)."""
    lowered = action.lower()
    for needle, permission in _PERSONA_PERMISSION:
        if needle in lowered:
            return permission
    return action


def _permission_message(operation: str, exc: Exception) -> str:
    found = _NOT_AUTHORIZED.search(str(exc))
    # "create entity: type=S3Object" -> "create entity" (pyatlan appends "-- caused by").
    action = found.group(1).split(":")[0].strip() if found else ""
    if not action:
        # Atlas names no action when it refuses a relationship (a lineage input or output).
        relating = any(word in operation for word in ("lineage", "link", "relationship"))
        action = "add a relationship between the assets" if relating else "this action"
    return (
        f"Atlan denied {operation} (HTTP 403): the API token may not {action}; grant its "
        f"persona the '{persona_permission(action)}' metadata permission on the connection "
        "(Governance > Personas), or use a token with such a persona"
    )


def http_status(exc: BaseException | None) -> int | None:
    """The HTTP status a pyatlan error carries (typed or plain ``AtlanError``), if any."""
    status = getattr(getattr(exc, "error_code", None), "http_error_code", None)
    return int(status) if isinstance(status, int) else None


#: Told of every request under :func:`atlan_errors`: (operation verb, outcome, seconds).
#: Set once per process by the composition root (:func:`observe_requests`).
_request_observer: Callable[[str, str, float], None] | None = None


def observe_requests(observer: Callable[[str, str, float], None] | None) -> None:
    """Tell ``observer`` of every Atlan request: operation verb, ``ok`` or error kind, seconds.

    Side effects: replaces this process's observer (``None``: none).
    """
    global _request_observer
    _request_observer = observer


@contextlib.contextmanager
def atlan_errors(operation: str) -> Iterator[None]:
    """Map pyatlan's errors as :func:`_map_errors` does, and count the request and its time.

    The count's operation is the first word of ``operation`` (``reading``, ``creating`` ...):
    the rest may name an asset.
    """
    began = time.monotonic()
    outcome = "error"
    try:
        with _map_errors(operation):
            yield
        outcome = "ok"
    except EnrichmentError as exc:
        outcome = exc.kind
        raise
    finally:
        observer = _request_observer
        if observer is not None:
            verb = operation.split(" ", 1)[0].lower() or "other"
            observer(verb, outcome, time.monotonic() - began)


@contextlib.contextmanager
def _map_errors(operation: str) -> Iterator[None]:
    """Map every way pyatlan fails during ``operation`` to a :class:`CatalogWriteError`.

    pyatlan raises typed errors only for Atlas-shaped bodies; a gateway's 502 HTML page, a
    504 with an empty body or a 429 ``{"message": ...}`` arrive as a plain ``AtlanError``
    carrying the HTTP status, and are mapped by that status.

    :raises CatalogUnavailable: 429 and 5xx (typed or not), empty answers, timeouts, network
        errors; ``retry_after_s`` holds the gateway's ``Retry-After`` when it sent one.
    :raises CatalogAuthError: 401 (the API key is invalid or expired).
    :raises CatalogPermissionDenied: 403; the message names the persona permission to grant.
    :raises CatalogRejected: 400/404/409 and other request errors.
    """
    import httpx
    from pyatlan import errors as atlan

    token = _RETRY_AFTER.set(None)
    try:
        yield
    except atlan.AtlanError as exc:
        status = http_status(exc)
        if isinstance(exc, atlan.AuthenticationError) or status == 401:
            raise CatalogAuthError(
                f"Atlan refused {operation}: the API key is invalid or has expired (HTTP 401)"
            ) from exc
        if isinstance(exc, atlan.PermissionError) or status == 403:
            raise CatalogPermissionDenied(_permission_message(operation, exc)) from exc
        if (
            isinstance(exc, (atlan.RateLimitError, atlan.ApiConnectionError, atlan.ApiError))
            or status == 429
            or (status is not None and status >= 500)
        ):
            what = "rate limiting" if status == 429 else f"failing (HTTP {status or '?'})"
            raise CatalogUnavailable(
                f"Atlan is {what} during {operation}", _RETRY_AFTER.get()
            ) from exc
        raise CatalogRejected(
            f"Atlan rejected {operation} ({type(exc).__name__}: {_atlan_code(exc)})"
        ) from exc
    except TypeError as exc:
        # pyatlan's answer to exhausted 503 retries and to empty 200 bodies.
        raise CatalogUnavailable(
            f"Atlan answered {operation} with no usable body (service unavailable)",
            _RETRY_AFTER.get(),
        ) from exc
    except httpx.HTTPError as exc:
        raise CatalogUnavailable(
            f"Atlan is unreachable during {operation} ({type(exc).__name__})"
        ) from exc
    finally:
        _RETRY_AFTER.reset(token)


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
    add, remove = sorted(add), sorted(remove)
    if add:
        updater.add_or_update_classifications = list(_tags(tuple(add), propagate))
    if remove:
        updater.remove_classifications = list(_tags(tuple(remove), None))
    return updater


@functools.lru_cache(maxsize=512)
def _tags(names: tuple[str, ...], propagate: bool | None) -> tuple[Any, ...]:
    """The ``AtlanTag``s of tag names: to add (``propagate`` a bool) or remove (``None``).

    Cached: a flush tags many objects with the same few sets of tags (names from the
    settings, never sampled values). Sharing is safe: assigning them to an asset validates
    (copies) each one, and pyatlan serialises a copy of the asset, never mutating a tag.
    """
    from pyatlan.model.core import AtlanTag, AtlanTagName

    if propagate is None:
        return tuple(AtlanTag(type_name=AtlanTagName(t)) for t in names)  # type: ignore[call-arg]
    return tuple(
        AtlanTag(  # type: ignore[call-arg]
            type_name=AtlanTagName(t),
            propagate=propagate,
            remove_propagations_on_entity_delete=True,
            restrict_propagation_through_lineage=False,
            restrict_propagation_through_hierarchy=False,
        )
        for t in names
    )


#: pyatlan's error ids for a tag or custom metadata set it cannot resolve by name.
_PYATLAN_DEFINITION_MISSES = frozenset(
    {"ATLAN-PYTHON-404-006", "ATLAN-PYTHON-404-008", "ATLAN-PYTHON-404-019"}
)
#: Atlas: "Given classification {0} was invalid" (a tag id it does not know).
_UNKNOWN_TAG = "ATLAS-404-00-008"
#: Atlas: "Invalid instance creation/updation parameters passed : ..." covers both bad values
#: and an unknown custom metadata set; only the latter names "invalid business-metadata".
_INVALID_PARAMS = "ATLAS-404-00-007"
_UNKNOWN_SET_TEXT = "invalid business-metadata for entity type"


def _error_id(exc: BaseException) -> str | None:
    code = getattr(exc, "error_code", None)
    return getattr(code, "error_id", None) if code is not None else None


def _atlas_code(exc: BaseException) -> str | None:
    """The Atlas ``errorCode`` quoted in a pyatlan passthrough error, if any."""
    text = str(exc)
    for token in text.replace(":", " ").replace(",", " ").split():
        if token.startswith("ATLAS-"):
            return token
    return None


def is_definition_miss(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) says a tag or custom metadata definition is unknown."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, KeyError):
            return True
        if _error_id(current) in _PYATLAN_DEFINITION_MISSES:
            return True
        code = _atlas_code(current)
        if code == _UNKNOWN_TAG:
            return True
        if code == _INVALID_PARAMS and _UNKNOWN_SET_TEXT in str(current):
            return True
        current = current.__cause__
    return False


def assigned_guids(response: Any, assets: Sequence[Any]) -> list[str | None]:
    """The guid of each sent asset, in order (``None`` where Atlan named none).

    From ``guidAssignments`` (placeholder -> guid), else from the mutated headers by qualified
    name: Atlas leaves an unchanged asset out of ``mutatedEntities`` but assigns its guid.
    """
    assigned = dict(getattr(response, "guid_assignments", None) or {})
    by_qn: dict[str, str] = {}
    mutated = getattr(response, "mutated_entities", None)
    for bucket in ("CREATE", "UPDATE", "PARTIAL_UPDATE"):
        for asset in getattr(mutated, bucket, None) or []:
            qn = getattr(asset, "qualified_name", None)
            if qn and asset.guid:
                by_qn[str(qn)] = str(asset.guid)
    out: list[str | None] = []
    for asset in assets:
        guid = assigned.get(str(getattr(asset, "guid", "")))
        if guid is None:
            guid = by_qn.get(str(getattr(asset, "qualified_name", "")))
        out.append(str(guid) if guid else None)
    return out
