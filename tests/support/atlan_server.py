"""A stateful fake Atlan (Atlas + Heracles) HTTP server for tests, driven through real pyatlan.

It speaks the endpoints pyatlan 11.6 calls for s3-enricher (see ``shared/notes/pyatlan.md`` §11)
and models what Atlan's Atlas server (``atlanhq/atlas-metastore``) does where a kinder fake
would hide production bugs (``shared/notes/atlan-semantics.md``):

* **Archive and restore.** ``DELETE entity/bulk`` sets ``status: DELETED``; a later upsert of
  the same qualifiedName updates the archived entity and it *stays* DELETED unless the entity
  carries ``status: ACTIVE`` (``AtlasEntityStoreV2``). Archiving drops direct tags for good,
  as Atlan's Cassandra tag store does (``tags_survive_archive=True`` models the graph store).
  Upserting an unchanged entity changes nothing and is left out of ``mutatedEntities``.
* **Near-real-time search.** Index search sees each entity as it was ``search_lag_s``
  seconds ago (``GET`` by guid or qualified name reads the graph: always current). Headers
  carry ``status``, ``createTime``, ``updateTime``, ``createdBy``, ``updatedBy``; tag and
  custom metadata changes bump ``updateTime`` like any other.
* **Typedefs with hashed names** that other clients change: :meth:`delete_tag` (a re-created
  tag gets a new id), :meth:`add_custom_metadata_attribute`.
* **Typed errors and gateway errors**: Atlas bodies ``{errorCode, errorMessage}`` with the
  real codes (``ATLAS-404-00-007`` for invalid custom metadata values, ``ATLAS-404-00-008``
  for an unknown tag, ``ATLAS-404-00-00A`` for a missing reference, ``ATLAS-403-00-001``),
  and, injected, a gateway's 502 HTML page, an empty 504 or a 429 ``{"message": ...}``
  (:meth:`fail_next`, :meth:`fail_randomly`).
* **Permissions.** API tokens are users with personas: policies grant Atlas actions
  (``entity-read``, ``entity-create``, ``entity-update``, ``entity-delete``,
  ``entity-update-business-metadata``, ``relationship-add``) on qualified-name prefixes; a
  token may always use the connections it created; only admins define types. Bulk requests
  are authorised per entity before anything changes (one 403 fails the request). Search
  scrubs what the token cannot read (``read_restriction="full"`` hides it instead); the
  lineage list checks nothing (as atlas-metastore's ``traverseEdgesUsingBFS``: unreadable
  assets come back whole and counted). The ``entity/evaluator`` endpoint answers what a
  token may do.
* **Custom metadata values** are checked against their attribute definitions (``int`` is
  32-bit, ``maxStrLength``, applicable types); an unknown attribute in a known set is
  silently ignored, as Atlas does.
* **Data contracts** (``DataContract``, ``ContractPreProcessor``): sent as
  ``<asset qualifiedName>/contract`` with ``dataContractSpec`` (or ``dataContractJson``) in
  Atlan's format (``kind: DataContract``, ``dataset``, optional ``type`` and ``status``),
  stored as ``<asset>/<asset type>/contract/V<n>``; the same text again changes nothing, a
  changed one replaces a draft latest version or follows a verified one as ``V<n+1>``; the
  asset gets ``hasContract``, ``dataContractLatest`` and ``dataContractLatestCertified``.
  Only :attr:`FakeAtlan.contract_asset_types` are governed (real Atlan: tables, views,
  materialised views); the asset is found through the (lagging) search index; ``entity-update``
  on the asset is required. Refusing an archived asset is an assumption (not seen in the code).

Usage::

    with FakeAtlan(api_key="test-key") as server:
        client = AtlanClient(base_url=server.base_url, api_key="test-key", proxy=None)
        ...
        assert server.tag_names("S3Object", qn) == ["PII"]
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

JSON = dict[str, Any]

# Typedef categories as they appear in ``?type=`` and the keys of a typedef response.
_CATEGORY_KEYS = {
    "CLASSIFICATION": "classificationDefs",
    "BUSINESS_METADATA": "businessMetadataDefs",
    "STRUCT": "structDefs",
    "ENUM": "enumDefs",
    "ENTITY": "entityDefs",
    "RELATIONSHIP": "relationshipDefs",
}
# pyatlan treats an empty structDefs as an expired token (ATLAN-PYTHON-401-004).
_BASE_STRUCT_DEFS = [{"category": "STRUCT", "name": "SourceTagAttachment", "attributeDefs": []}]
_ROLE_NAMES = ("$admin", "$member", "$guest")
_SUPER_TYPES = {"Referenceable", "Asset", "Catalog"}
_REF_KEYS = {"uniqueAttributes", "guid"}
#: Atlas actions a persona policy can grant (``AtlasPrivilege``).
READ = "entity-read"
CREATE = "entity-create"
UPDATE = "entity-update"
DELETE = "entity-delete"
UPDATE_CM = "entity-update-business-metadata"
RELATIONSHIP_ADD = "relationship-add"
ALL_ACTIONS = frozenset({READ, CREATE, UPDATE, DELETE, UPDATE_CM, RELATIONSHIP_ADD})
#: Evaluator action names (``AtlasEvaluatePolicyRequest.action``) -> our action names.
_EVALUATOR_ACTIONS = {
    "ENTITY_READ": READ,
    "ENTITY_CREATE": CREATE,
    "ENTITY_UPDATE": UPDATE,
    "ENTITY_DELETE": DELETE,
    "ENTITY_UPDATE_BUSINESS_METADATA": UPDATE_CM,
    "ENTITY_ADD_CLASSIFICATION": UPDATE,
    "ENTITY_UPDATE_CLASSIFICATION": UPDATE,
    "ENTITY_REMOVE_CLASSIFICATION": UPDATE,
    "RELATIONSHIP_ADD": RELATIONSHIP_ADD,
}
#: Attributes a scrubbed search result keeps (``skipScrubbing`` in Atlan's base model).
_UNSCRUBBED = {"qualifiedName", "name", "displayName", "description"}
#: Atlas refuses a bulk request with more entities (``atlas.bulk.api.max.entities.allowed``).
MAX_BULK_ENTITIES = 10_000
#: Atlas refuses string attributes longer than this (``validateAttributeLength``).
MAX_ATTRIBUTE_CHARS = 100_000
#: The asset types Atlan governs with data contracts (``DataContract.DatasetType``).
CONTRACT_ASSET_TYPES = ("Table", "View", "MaterialisedView")
_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "date": (-(2**63), 2**63 - 1),
}
#: What a gateway answers, as in front of Atlan (not Atlas-shaped: pyatlan raises AtlanError).
GATEWAY_BODIES: dict[int, bytes] = {
    502: b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
    b"Gateway</h1></center><hr><center>nginx</center></body></html>",
    503: b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    504: b"",
    429: b'{"message":"API rate limit exceeded"}',
}


class AtlasError(Exception):
    """An error the fake answers with an Atlas-style body ``{errorCode, errorMessage}``."""

    def __init__(self, status: int, code: str, message: str, details: JSON | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass
class RecordedRequest:
    """One request as the server saw it (``status`` is what it answered)."""

    method: str
    path: str
    query: dict[str, str]
    query_all: dict[str, list[str]]
    body: Any
    status: int = 0
    api_key: str | None = None


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: float | str | None
    path_contains: str | None
    body: bytes | str | JSON | None


@dataclass
class _Delay:
    seconds: float
    remaining: int
    path_contains: str | None


@dataclass
class _RandomFaults:
    rate: float
    statuses: tuple[int, ...]
    rng: random.Random
    path_contains: str | None
    retry_after: float | None
    injected: int = 0


@dataclass
class Token:
    """An API token: the user it acts as, its personas' policies, what it created.

    :param policies: qualified-name prefix -> Atlas actions granted there.
    :param admin: an admin token: everything is allowed (and defining types).
    """

    user: str
    admin: bool = False
    policies: dict[str, set[str]] = field(default_factory=dict)
    created_connections: set[str] = field(default_factory=set)


class FakeClock:
    """A clock tests move by hand; share it between the server and the code under test."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Seconds since the epoch."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += seconds

    def datetime(self) -> datetime:
        """The current time as an aware datetime (for code that wants one)."""
        return datetime.fromtimestamp(self(), UTC)


def _error_body(
    status: int, code: str | None = None, message: str | None = None, details: JSON | None = None
) -> JSON:
    body: JSON = {
        "errorCode": code or f"ATLAS-{status}-00-001",
        "errorMessage": message or f"fake Atlan: HTTP {status}",
    }
    if details:
        body["errorDetailsMap"] = details
    return body


def _new_id() -> str:
    """A hashed-looking internal name, as Atlan assigns to tags and custom metadata."""
    return uuid.uuid4().hex[:22]


def _is_ref(value: Any) -> bool:
    """A relationship reference: ``{typeName, uniqueAttributes | guid}``."""
    return isinstance(value, dict) and "typeName" in value and bool(value.keys() & _REF_KEYS)


def _refs_in(value: Any) -> list[JSON]:
    if _is_ref(value):
        return [value]
    if isinstance(value, list):
        return [v for v in value if _is_ref(v)]
    return []


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").lower() == "true"


def _tags(entity: JSON, *, direct: bool = True) -> list[JSON]:
    """The entity's direct tags, or (``direct=False``) the ones propagated to it."""
    return [c for c in entity["classifications"] if (c["entityGuid"] == entity["guid"]) == direct]


def _object_id(type_name: str, qualified_name: str) -> str:
    """``AtlasObjectId.toString()`` as Atlas quotes it (its braces really do not balance)."""
    return (
        f"AtlasObjectId{{guid='null', typeName='{type_name}', uniqueAttributes="
        f"{{qualifiedName:{qualified_name}, attributes={{qualifiedName:{qualified_name}}}"
    )


def _connection_of(entity: JSON) -> str | None:
    if entity["typeName"] == "Connection":
        return str(entity["attributes"].get("qualifiedName"))
    conn = entity["attributes"].get("connectionQualifiedName")
    return str(conn) if conn else None


def _content(entity: JSON) -> JSON:
    """What a write can change (timestamps and who aside): to tell a no-op upsert."""
    return {
        "status": entity["status"],
        "attributes": entity["attributes"],
        "classifications": sorted(json.dumps(c, sort_keys=True) for c in entity["classifications"]),
        "businessAttributes": entity["businessAttributes"],
    }


class FakeAtlan:
    """A fake Atlan tenant on ``http://127.0.0.1:<free port>``; use as a context manager.

    :param api_key: the default token: an admin (all permissions, may define types).
    :param search_lag_s: how far index search lags behind writes (settable later).
    :param clock: seconds since the epoch (:class:`FakeClock` to move time by hand).
    :param tags_survive_archive: model Atlan's graph tag store (tags come back on restore)
        instead of its Cassandra tag store (they are lost).
    """

    def __init__(
        self,
        api_key: str = "test-key",
        *,
        search_lag_s: float = 0.0,
        clock: Callable[[], float] | None = None,
        tags_survive_archive: bool = False,
    ) -> None:
        self.api_key = api_key
        self.default_search_lag_s = search_lag_s
        self.search_lag_s = search_lag_s
        self.clock: Callable[[], float] = clock or time.time
        self.tags_survive_archive = tags_survive_archive
        #: ``scrub`` (Atlas's default: unreadable results lose their attributes) or ``full``
        #: (they are left out).
        self.read_restriction = "scrub"
        #: The asset types a data contract may govern (tests widen it to S3 types).
        self.contract_asset_types: tuple[str, ...] = CONTRACT_ASSET_TYPES
        self._lock = threading.RLock()
        self.role_ids = {name: str(uuid.uuid4()) for name in _ROLE_NAMES}
        self._entities: dict[tuple[str, str], JSON] = {}
        self._by_guid: dict[str, tuple[str, str]] = {}
        self._index: dict[tuple[str, str], JSON] = {}
        self._pending: list[tuple[float, int, tuple[str, str], JSON]] = []
        self._seq = 0
        self._typedefs: dict[str, list[JSON]] = {}
        self._tokens: dict[str, Token] = {}
        self._log: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._random: _RandomFaults | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeAtlan:
        """Bind a free loopback port and serve in a daemon thread."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-atlan", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAtlan:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (pyatlan rejects ``localhost``)."""
        if self._httpd is None:
            raise RuntimeError("FakeAtlan is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def reset(self) -> None:
        """Forget everything: entities, index, typedefs, tokens, log, faults; default lag."""
        with self._lock:
            self._entities.clear()
            self._by_guid.clear()
            self._index.clear()
            self._pending.clear()
            self._typedefs = {key: [] for key in _CATEGORY_KEYS.values()}
            self._typedefs["structDefs"] = copy.deepcopy(_BASE_STRUCT_DEFS)
            self._tokens = {self.api_key: Token(user="service-account-admin", admin=True)}
            self._log.clear()
            self._faults.clear()
            self._delays.clear()
            self._random = None
            self.search_lag_s = self.default_search_lag_s
            self.clock = time.time
            self.read_restriction = "scrub"
            self.contract_asset_types = CONTRACT_ASSET_TYPES

    def now_ms(self) -> int:
        """The server's clock in epoch milliseconds (``updateTime``)."""
        return int(self.clock() * 1000)

    # ------------------------------------------------------------------ tokens and personas

    def add_token(
        self,
        api_key: str,
        *,
        user: str | None = None,
        admin: bool = False,
        policies: dict[str, Iterable[str]] | None = None,
    ) -> Token:
        """Register an API token; without ``policies`` it may use only what it creates."""
        token = Token(
            user=user or f"service-account-apikey-{uuid.uuid4().hex[:8]}",
            admin=admin,
            policies={k: set(v) for k, v in (policies or {}).items()},
        )
        with self._lock:
            self._tokens[api_key] = token
        return token

    def grant(self, api_key: str, qualified_name_prefix: str, *actions: str) -> None:
        """Add a persona policy: ``actions`` on assets whose qualified name has the prefix."""
        with self._lock:
            self._tokens[api_key].policies.setdefault(qualified_name_prefix, set()).update(
                actions or ALL_ACTIONS
            )

    def revoke(self, api_key: str, qualified_name_prefix: str) -> None:
        """Remove a persona policy."""
        with self._lock:
            self._tokens[api_key].policies.pop(qualified_name_prefix, None)

    def _allowed(
        self, token: Token, action: str, qualified_name: str, connection: str | None
    ) -> bool:
        if token.admin:
            return True
        if connection is None:
            return True  # glossary terms and the like: governed by purposes, not modelled
        if connection in token.created_connections:
            return True
        for prefix, actions in token.policies.items():
            under = qualified_name == prefix or qualified_name.startswith(prefix.rstrip("/") + "/")
            if under and action in actions:
                return True
        return False

    def _deny(self, token: Token, text: str, details: JSON | None = None) -> AtlasError:
        return AtlasError(
            403,
            "ATLAS-403-00-001",
            f"{token.user} is not authorized to perform {text}",
            details,
        )

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        status: int,
        times: int = 1,
        retry_after: float | str | None = None,
        path_contains: str | None = None,
        body: bytes | str | JSON | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of handling them.

        ``body=None`` sends an Atlas error body for status >= 400 and an empty body otherwise
        (so ``fail_next(200)`` is "200 with empty body"); pass ``body=b""`` for an empty error
        body, :data:`GATEWAY_BODIES` for what a gateway sends, or any bytes/str/dict to send
        exactly that. ``retry_after`` sets the header.
        """
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, path_contains, body))

    def fail_randomly(
        self,
        rate: float,
        statuses: tuple[int, ...] = (502, 429),
        *,
        seed: int = 0,
        path_contains: str | None = None,
        retry_after: float | None = 1.0,
    ) -> None:
        """Answer a share ``rate`` of matching requests with a gateway error (seeded).

        Bodies are :data:`GATEWAY_BODIES` (not Atlas-shaped); 429s carry ``Retry-After``.
        The request is not applied, as when the gateway answers instead of Atlas.
        """
        with self._lock:
            self._random = _RandomFaults(
                rate, statuses, random.Random(seed), path_contains, retry_after
            )

    @property
    def injected_faults(self) -> int:
        """How many random faults were answered so far."""
        with self._lock:
            return self._random.injected if self._random is not None else 0

    def reset_faults(self) -> None:
        """Drop pending faults and delays (the outage is over); state is kept."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()
            self._random = None

    def delay_next(self, seconds: float, times: int = 1, path_contains: str | None = None) -> None:
        """Sleep ``seconds`` before handling the next ``times`` matching requests (timeouts).

        The delayed request is still applied afterwards, as a slow real server would do.
        """
        with self._lock:
            self._delays.append(_Delay(seconds, times, path_contains))

    @staticmethod
    def _take(items: list[Any], path: str) -> Any:
        for item in items:
            if item.path_contains is None or item.path_contains in path:
                item.remaining -= 1
                if item.remaining <= 0:
                    items.remove(item)
                return item
        return None

    def _take_random(self, path: str) -> _Fault | None:
        r = self._random
        if r is None or (r.path_contains is not None and r.path_contains not in path):
            return None
        if r.rng.random() >= r.rate:
            return None
        r.injected += 1
        status = r.rng.choice(r.statuses)
        retry_after = r.retry_after if status in (429, 503) else None
        return _Fault(status, 1, retry_after, None, GATEWAY_BODIES.get(status, b""))

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far (including failed/injected ones)."""
        with self._lock:
            return list(self._log)

    def mutating_requests(self) -> list[RecordedRequest]:
        """POST/PUT/DELETE requests except reads (search, the evaluator, the lineage list)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "DELETE")
            and not r.path.endswith(("/indexsearch", "/entity/evaluator", "/lineage/list"))
        ]

    def entity(self, type_name: str, qualified_name: str) -> JSON | None:
        """A deep copy of the stored entity (the graph, not the search index), or None."""
        with self._lock:
            found = self._entities.get((type_name, qualified_name))
            return copy.deepcopy(found) if found else None

    def entities(self, type_name: str | None = None) -> list[JSON]:
        """Deep copies of all stored entities (optionally of one type)."""
        with self._lock:
            return [
                copy.deepcopy(e)
                for (t, _), e in self._entities.items()
                if type_name is None or t == type_name
            ]

    def tag_names(self, type_name: str, qualified_name: str) -> list[str]:
        """Display names of the entity's direct (not propagated) tags, sorted."""
        with self._lock:
            found = self._entities.get((type_name, qualified_name))
            if found is None:
                raise KeyError(f"{type_name} {qualified_name} not found")
            names = self._tag_display_names()
            return sorted(str(names.get(c["typeName"], c["typeName"])) for c in _tags(found))

    def custom_metadata(self, type_name: str, qualified_name: str, set_name: str) -> JSON:
        """The entity's values in custom metadata set ``set_name``, keyed by display names."""
        with self._lock:
            found = self._entities.get((type_name, qualified_name))
            if found is None:
                raise KeyError(f"{type_name} {qualified_name} not found")
            cm = self._cm_def(set_name)
            if cm is None:
                raise KeyError(f"custom metadata set {set_name!r} not defined")
            attr_names = {a["name"]: a.get("displayName", a["name"]) for a in cm["attributeDefs"]}
            values = found["businessAttributes"].get(cm["name"], {})
            return {attr_names.get(k, k): copy.deepcopy(v) for k, v in values.items()}

    def typedef_names(self, category: str) -> list[str]:
        """Display names (or names) of the typedefs in ``category`` (e.g. CLASSIFICATION)."""
        with self._lock:
            defs = self._typedefs[_CATEGORY_KEYS[category.upper()]]
            return sorted(d.get("displayName") or d["name"] for d in defs)

    def settle(self) -> None:
        """Make every write visible to search now (as if the lag had passed)."""
        with self._lock:
            for _, _, key, snapshot in sorted(self._pending, key=lambda p: (p[0], p[1])):
                self._index[key] = snapshot
            self._pending.clear()

    def _tag_display_names(self) -> dict[str, str]:
        return {d["name"]: d["displayName"] for d in self._typedefs["classificationDefs"]}

    def _tag_id(self, display_name: str) -> str:
        return {v: k for k, v in self._tag_display_names().items()}[display_name]

    def _cm_def(self, display_name: str) -> JSON | None:
        return next(
            (d for d in self._typedefs["businessMetadataDefs"] if d["displayName"] == display_name),
            None,
        )

    # ------------------------------------------------------------------ people and admins

    def define_tag(self, display_name: str) -> str:
        """Create a tag definition directly; returns its hashed id."""
        body = self._create_typedefs(
            {"classificationDefs": [{"category": "CLASSIFICATION", "displayName": display_name}]}
        )
        return str(body["classificationDefs"][0]["name"])

    def delete_tag(self, display_name: str) -> None:
        """An admin deletes a tag: the definition goes, and so does the tag on every asset.

        Defining it again (:meth:`define_tag`) gives it a new hashed id, which a pyatlan tag
        cache filled before does not know.
        """
        with self._lock:
            tag_id = self._tag_id(display_name)
            self._typedefs["classificationDefs"] = [
                d for d in self._typedefs["classificationDefs"] if d["name"] != tag_id
            ]
            for entity in self._entities.values():
                kept = [c for c in entity["classifications"] if c["typeName"] != tag_id]
                if len(kept) != len(entity["classifications"]):
                    entity["classifications"] = kept
                    self._touched(entity, "admin")

    def add_custom_metadata_attribute(
        self, set_name: str, display_name: str, type_name: str = "string"
    ) -> str:
        """Another client adds an attribute to a custom metadata set; returns its hashed id."""
        with self._lock:
            cm = self._cm_def(set_name)
            if cm is None:
                raise KeyError(set_name)
            attr = {
                "name": _new_id(),
                "displayName": display_name,
                "typeName": type_name,
                "isOptional": True,
                "cardinality": "SINGLE",
                "options": {
                    "applicableEntityTypes": '["Asset"]',
                    "maxStrLength": "100000000",
                    "primitiveType": type_name,
                },
            }
            cm["attributeDefs"].append(attr)
            cm["version"] = int(cm.get("version") or 1) + 1
            return str(attr["name"])

    def add_entity(
        self,
        type_name: str,
        qualified_name: str,
        attributes: JSON | None = None,
        *,
        by: str = "crawler",
    ) -> str:
        """Create or merge an entity directly (a crawled table, a person's edit); its guid."""
        attrs = {"qualifiedName": qualified_name, "name": qualified_name.rsplit("/", 1)[-1]}
        attrs.update(attributes or {})
        with self._lock:
            key = (type_name, qualified_name)
            entity = self._entities.get(key)
            if entity is None:
                entity = self._new_entity(type_name, qualified_name, by)
                self._entities[key] = entity
                self._by_guid[entity["guid"]] = key
            for name, value in attrs.items():
                if value is None:
                    entity["attributes"].pop(name, None)
                else:
                    entity["attributes"][name] = value
            self._touched(entity, by)
            return str(entity["guid"])

    def edit_as_person(
        self,
        type_name: str,
        qualified_name: str,
        *,
        user_description: str | None = None,
        by: str = "jane.doe",
    ) -> None:
        """What a person's edit in Atlan's UI does: it sets ``userDescription``, not
        ``description`` (which crawlers and tools write)."""
        with self._lock:
            entity = self._entities[(type_name, qualified_name)]
            if user_description is not None:
                entity["attributes"]["userDescription"] = user_description
            self._touched(entity, by)

    def add_tag(
        self,
        type_name: str,
        qualified_name: str,
        tag_name: str,
        *,
        propagate: bool = False,
        propagated_from: str | None = None,
        by: str = "jane.doe",
    ) -> None:
        """Attach tag ``tag_name`` (display name) directly, or as propagated from a guid."""
        with self._lock:
            found = self._entities[(type_name, qualified_name)]
            found["classifications"].append(
                self._classification(
                    {"typeName": self._tag_id(tag_name), "propagate": propagate},
                    propagated_from or found["guid"],
                )
            )
            self._touched(found, by)

    def remove_tag(
        self, type_name: str, qualified_name: str, tag_name: str, *, by: str = "jane.doe"
    ) -> None:
        """Detach the direct tag ``tag_name`` (display name), as a person in the UI would."""
        with self._lock:
            found = self._entities[(type_name, qualified_name)]
            tag_id = self._tag_id(tag_name)
            found["classifications"] = [
                c
                for c in found["classifications"]
                if not (c["typeName"] == tag_id and c["entityGuid"] == found["guid"])
            ]
            self._touched(found, by)

    def archive(self, type_name: str, qualified_name: str, *, by: str = "jane.doe") -> None:
        """Archive an entity as a person (or a delete handler) would."""
        with self._lock:
            self._soft_delete_entity(self._entities[(type_name, qualified_name)], by)

    # ------------------------------------------------------------------ the graph and the index

    def _new_entity(self, type_name: str, qualified_name: str, user: str) -> JSON:
        now = self.now_ms()
        return {
            "typeName": type_name,
            "guid": str(uuid.uuid4()),
            "status": "ACTIVE",
            "attributes": {"qualifiedName": qualified_name},
            "classifications": [],
            "businessAttributes": {},
            "createTime": now,
            "updateTime": now,
            "createdBy": user,
            "updatedBy": user,
        }

    def _touched(self, entity: JSON, user: str, *, index: bool = True) -> None:
        """A change in the graph: bump ``updateTime`` and queue it for the search index.

        ``updateTime`` always moves forward, even when the clock stands still (a
        :class:`FakeClock`), so that every change is newer than the one before.
        """
        entity.update(updateTime=max(self.now_ms(), int(entity["updateTime"]) + 1), updatedBy=user)
        if index:
            self._queue_index(entity)

    def _queue_index(self, entity: JSON) -> None:
        key = (entity["typeName"], entity["attributes"]["qualifiedName"])
        self._seq += 1
        self._pending.append(
            (self.clock() + self.search_lag_s, self._seq, key, copy.deepcopy(entity))
        )

    def _catch_up(self) -> None:
        """Move what the lag has let through into the search index."""
        now = self.clock()
        ready = [p for p in self._pending if p[0] <= now]
        if not ready:
            return
        for _, _, key, snapshot in sorted(ready, key=lambda p: (p[0], p[1])):
            self._index[key] = snapshot
        self._pending = [p for p in self._pending if p[0] > now]

    # ------------------------------------------------------------------ request handling

    def handle(self, method: str, raw_path: str, headers: Any, raw_body: bytes) -> _Reply:
        """Handle one HTTP request (called from the handler threads)."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query_all = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in query_all.items()}
        try:
            body: Any = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        auth = str(headers.get("authorization") or "")
        api_key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        record = RecordedRequest(method, path, query, query_all, body, api_key=api_key)
        with self._lock:
            self._log.append(record)
            delay = self._take(self._delays, path)
            fault = self._take(self._faults, path) or self._take_random(path)
            token = self._tokens.get(api_key or "")
        if delay is not None:
            time.sleep(delay.seconds)  # a slow answer on purpose: the latency under test
        if fault is not None:
            reply = self._fault_reply(fault)
        elif token is None:
            reply = _Reply.of_json(401, _error_body(401, "ATLAN-401-00-001", "Invalid API token"))
        else:
            try:
                with self._lock:
                    self._catch_up()
                    reply = self._route(token, method, path, query, query_all, body)
            except AtlasError as err:
                reply = _Reply.of_json(
                    err.status, _error_body(err.status, err.code, err.message, err.details)
                )
        record.status = reply.status
        return reply

    @staticmethod
    def _fault_reply(fault: _Fault) -> _Reply:
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            # Whole seconds as an integer: httpx-retries reads "1.0" as a bad HTTP date.
            value = fault.retry_after
            whole = isinstance(value, (int, float)) and float(value).is_integer()
            headers["Retry-After"] = str(int(value)) if whole else str(value)
        body = fault.body
        if body is None:
            body = _error_body(fault.status) if fault.status >= 400 else b""
        if isinstance(body, dict):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if isinstance(body, str):
            body = body.encode()
        return _Reply(fault.status, body, headers)

    def _route(
        self,
        token: Token,
        method: str,
        path: str,
        query: dict[str, str],
        query_all: dict[str, list[str]],
        body: Any,
    ) -> _Reply:
        parts = [p for p in path.split("/") if p]
        if path.startswith("/api/service/") and parts[2:] == ["roles"] and method == "GET":
            return _Reply.of_json(200, self._roles())
        if parts[:2] != ["api", "meta"]:
            raise AtlasError(404, "ATLAS-404-00-001", f"fake Atlan: no route {method} {path}")
        rest = parts[2:]
        if rest == ["entity", "bulk"] and method == "POST":
            return _Reply.of_json(200, self._bulk(token, query, body or {}))
        if rest == ["entity", "bulk"] and method == "DELETE":
            return _Reply.of_json(200, self._soft_delete(token, query_all.get("guid", [])))
        if rest == ["entity", "evaluator"] and method == "POST":
            return _Reply.of_json(200, self._evaluate(token, body or []))
        if rest == ["search", "indexsearch"] and method == "POST":
            return _Reply.of_json(200, self._search(token, body or {}))
        if rest == ["lineage", "list"] and method == "POST":
            return _Reply.of_json(200, self._lineage_list(token, body or {}))
        if rest == ["types", "typedefs"]:
            if method == "GET":
                return _Reply.of_json(200, self._get_typedefs(query_all.get("type", [])))
            if not token.admin:
                raise self._deny(token, "create type")
            if method == "POST":
                return _Reply.of_json(200, self._create_typedefs(body or {}))
            if method == "PUT":
                return _Reply.of_json(200, self._update_typedefs(body or {}))
        if rest[:3] == ["entity", "uniqueAttribute", "type"] and len(rest) == 4:
            qn = query.get("attr:qualifiedName", "")
            entity = self._get_by_qn(rest[3], qn)
            if not self._readable(token, entity):
                raise self._deny(
                    token,
                    f"read entity: typeName={rest[3]}, uniqueAttributes={{qualifiedName:{qn}}}",
                )
            if method == "GET":
                return _Reply.of_json(200, self._entity_response(entity))
            if method == "PUT":
                return _Reply.of_json(200, self._partial_update(token, entity, body or {}))
        if rest[:2] == ["entity", "guid"] and len(rest) == 3 and method == "GET":
            entity = self._get_by_guid(rest[2])
            if not self._readable(token, entity):
                raise self._deny(token, f"read entity: guid={rest[2]}")
            return _Reply.of_json(200, self._entity_response(entity))
        if (
            rest[:2] == ["entity", "guid"]
            and len(rest) == 5
            and rest[3] == "businessmetadata"
            and method == "POST"
        ):
            self._set_custom_metadata(token, rest[2], rest[4], body or {})
            return _Reply(204, b"", {})
        raise AtlasError(404, "ATLAS-404-00-001", f"fake Atlan: no route {method} {path}")

    # ------------------------------------------------------------------ permissions

    def _readable(self, token: Token, entity: JSON) -> bool:
        return self._allowed(
            token, READ, entity["attributes"].get("qualifiedName", ""), _connection_of(entity)
        )

    def _evaluate(self, token: Token, requests: list[JSON]) -> list[JSON]:
        """``POST entity/evaluator``: may this token do each action? (nothing changes)."""
        out: list[JSON] = []
        for req in requests:
            action = str(req.get("action") or "")
            if not action:
                raise AtlasError(400, "ATLAS-400-00-029", "action is null")
            mapped = _EVALUATOR_ACTIONS.get(action)
            if mapped is None:
                continue  # Atlas answers nothing for an action it does not know
            if action.endswith("_CLASSIFICATION") and not req.get("classification"):
                raise AtlasError(
                    400, "ATLAS-400-00-029", f"classification needed for {action} authorization"
                )
            if action.startswith("RELATIONSHIP"):
                ends = [
                    (str(req.get("entityTypeEnd1")), str(req.get("entityIdEnd1") or "")),
                    (str(req.get("entityTypeEnd2")), str(req.get("entityIdEnd2") or "")),
                ]
                allowed = all(self._relationship_end_ok(token, t, q) for t, q in ends)
            else:
                qn = str(req.get("entityId") or "")
                type_name = str(req.get("typeName") or "")
                entity = self._entities.get((type_name, qn))
                if entity is None and req.get("entityGuid"):
                    key = self._by_guid.get(str(req["entityGuid"]))
                    entity = self._entities.get(key) if key else None
                if entity is None and not (type_name and qn):
                    raise AtlasError(
                        400,
                        "ATLAS-400-00-029",
                        "requires entityGuid or typeName and qualifiedName for entity "
                        "authorization",
                    )
                conn = _connection_of(entity) if entity else self._connection_for_qn(qn)
                allowed = self._allowed(token, mapped, qn, conn)
            answer = dict(req)
            answer["allowed"] = allowed
            if not allowed:
                answer["errorCode"] = "ATLAS-403-00-001"
            out.append(answer)
        return out

    def _connection_for_qn(self, qualified_name: str) -> str | None:
        """The connection a not-yet-existing asset would belong to (its first 3 parts)."""
        parts = qualified_name.split("/")
        return "/".join(parts[:3]) if len(parts) >= 3 and parts[0] == "default" else None

    def _relationship_end_ok(self, token: Token, type_name: str, qualified_name: str) -> bool:
        entity = self._entities.get((type_name, qualified_name))
        conn = _connection_of(entity) if entity else self._connection_for_qn(qualified_name)
        return self._allowed(token, RELATIONSHIP_ADD, qualified_name, conn) or self._allowed(
            token, UPDATE, qualified_name, conn
        )

    # ------------------------------------------------------------------ entities: writes

    def _bulk(self, token: Token, query: dict[str, str], body: JSON) -> JSON:
        """``POST entity/bulk``: validate and authorise everything, then apply (atomic)."""
        tag_flags = [
            _flag(query, f) for f in ("replaceClassifications", "replaceTags", "appendTags")
        ]
        if sum(tag_flags) > 1:
            raise AtlasError(
                400,
                "ATLAS-400-00-029",
                "Only one of [replaceClassifications, replaceTags, appendTags] can be true",
            )
        sent_entities: list[JSON] = body.get("entities") or []
        if not sent_entities:
            raise AtlasError(
                400, "ATLAS-400-00-01A", "invalid parameters: no entities to create/update."
            )
        if len(sent_entities) > MAX_BULK_ENTITIES:
            raise AtlasError(
                400,
                "ATLAS-400-00-212",
                f"Request Error - Entities should be less than or equal to: {MAX_BULK_ENTITIES}",
            )
        for sent in sent_entities:
            for name, value in (sent.get("attributes") or {}).items():
                if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
                    raise AtlasError(
                        500,
                        "ATLAS-500-00-001",
                        json.dumps(
                            [f"Attribute {name} exceeds limit of {MAX_ATTRIBUTE_CHARS} characters"]
                        ),
                    )
        self._validate_bulk(sent_entities)
        if any(e.get("typeName") == "DataContract" for e in sent_entities):
            return self._bulk_contracts(token, sent_entities)
        # Plan every entity on a copy first: authorisation and validation before any change.
        planned: list[tuple[JSON, JSON | None, JSON, bool]] = []
        in_request: dict[tuple[str, str], JSON] = {}
        for sent in sent_entities:
            attrs = sent.get("attributes") or {}
            key = (sent["typeName"], attrs["qualifiedName"])
            current = in_request.get(key) or self._entities.get(key)
            after, changed = self._apply_to_copy(token, current, sent, query)
            in_request[key] = after
            planned.append((sent, current, after, changed))
        mutated: dict[str, list[JSON]] = {}
        assignments: dict[str, str] = {}
        applied: list[tuple[JSON, JSON | None]] = []
        for sent, current, after, changed in planned:
            key = (after["typeName"], after["attributes"]["qualifiedName"])
            if str(sent.get("guid", "")).startswith("-"):
                assignments[str(sent["guid"])] = after["guid"]
            if not changed:
                continue  # Atlas skips an upsert with no difference: not in mutatedEntities
            restored = current is not None and current["status"] == "DELETED"
            restored = restored and after["status"] == "ACTIVE"
            self._entities[key] = after
            self._by_guid[after["guid"]] = key
            if current is None:
                mutated.setdefault("CREATE", []).append(self._header(after, tags=False))
            else:
                self._touched(after, token.user, index=False)
                if restored:
                    header = self._header(current)  # Atlas answers the pre-restore header
                    header["status"] = "ACTIVE"
                else:
                    header = self._header(after)
                mutated.setdefault("UPDATE", []).append(header)
            applied.append((after, current))
        for entity, before in applied:  # second pass: all targets exist now
            attrs = entity["attributes"]
            for name, value in attrs.items():
                attrs[name] = self._resolve_refs(value)
            for other in self._link_ends(entity, before, token):
                if other["guid"] not in {h["guid"] for hs in mutated.values() for h in hs}:
                    mutated.setdefault("UPDATE", []).append(self._header(other))
            self._queue_index(entity)
        result: JSON = {"guidAssignments": assignments}
        if mutated:
            result["mutatedEntities"] = mutated
        return result

    # ------------------------------------------------------------------ data contracts

    def _bulk_contracts(self, token: Token, sent_entities: list[JSON]) -> JSON:
        """``ContractPreProcessor.processCreateContract`` for each sent ``DataContract``."""
        if any(e.get("typeName") != "DataContract" for e in sent_entities):
            raise AtlasError(
                400, "ATLAS-400-00-029", "fake Atlan: send DataContract entities on their own"
            )
        mutated: dict[str, list[JSON]] = {}
        assignments: dict[str, str] = {}
        for sent in sent_entities:
            for kind, headers in self._publish_contract(token, sent, assignments).items():
                seen = {h["guid"] for h in mutated.get(kind, [])}
                mutated.setdefault(kind, []).extend(h for h in headers if h["guid"] not in seen)
        result: JSON = {"guidAssignments": assignments}
        if mutated:
            result["mutatedEntities"] = mutated
        return result

    @staticmethod
    def _contract_fields(text: Any) -> JSON:
        """``DataContract.deserialize``: YAML (JSON is YAML), ``kind`` and ``dataset`` needed."""
        import yaml

        if not text:
            raise AtlasError(400, "ATLAS-400-00-029", "Missing attribute: contract.")
        try:
            fields = yaml.safe_load(str(text))
        except yaml.YAMLError as exc:
            raise AtlasError(500, "ATLAS-500-00-001", f"Cannot parse contract: {exc}") from exc
        if not isinstance(fields, dict):
            raise AtlasError(500, "ATLAS-500-00-001", "Cannot deserialize contract")
        if "kind" in fields and fields["kind"] != "DataContract":
            raise AtlasError(
                400, "ATLAS-400-00-028", f"invalid value: kind {fields['kind']} is inappropriate."
            )
        missing = [
            f"Field: {k} -> must not be null" for k in ("dataset", "kind") if not fields.get(k)
        ]
        if missing:
            raise AtlasError(500, "ATLAS-500-00-001", "; ".join(missing))
        return fields

    def _contract_asset(self, qualified_name: str, type_name: Any) -> JSON:
        """``getAssociatedAsset``: search (the lagging index) by name and type."""
        governed = {t.lower(): t for t in self.contract_asset_types}
        if type_name is not None and str(type_name).lower() not in governed:
            raise AtlasError(
                400,
                "ATLAS-400-00-028",
                f"invalid value: type: {type_name} is inappropriate. Accepted values: "
                f"[{', '.join(self.contract_asset_types)}]",
            )
        types = {governed[str(type_name).lower()]} if type_name else set(governed.values())
        found = [
            e
            for (t, qn), e in self._index.items()
            if qn == qualified_name and t in types and t != "DataContract"
        ]
        if not found:
            raise AtlasError(
                500, "ATLAS-500-00-001", "Dataset doesn't exist for given qualified name."
            )
        if len(found) > 1:
            raise AtlasError(
                400,
                "ATLAS-400-00-029",
                "Multiple dataset exists for given qualified name. Please specify the `type` "
                "attribute in contract.",
            )
        # The index holds a snapshot: the graph's entity is what changes.
        return self._entities[(found[0]["typeName"], qualified_name)]

    def _latest_contract(self, asset_guid: str) -> JSON | None:
        versions = [
            e
            for (t, _), e in self._entities.items()
            if t == "DataContract" and e["attributes"].get("dataContractAssetGuid") == asset_guid
        ]
        return max(
            versions, key=lambda e: int(e["attributes"]["dataContractVersion"]), default=None
        )

    def _publish_contract(
        self, token: Token, sent: JSON, assignments: dict[str, str]
    ) -> dict[str, list[JSON]]:
        attrs = dict(sent.get("attributes") or {})
        sent_qn = str(attrs["qualifiedName"])
        if not sent_qn.endswith("/contract"):
            raise AtlasError(400, "ATLAS-400-00-029", "Invalid qualifiedName for the contract.")
        spec_text = attrs.get("dataContractSpec")
        fields = self._contract_fields(spec_text or attrs.get("dataContractJson"))
        asset = self._contract_asset(sent_qn.rsplit("/", 1)[0], fields.get("type"))
        if asset["status"] != "ACTIVE":
            # An assumption: the server code read does not filter archived assets out.
            raise AtlasError(
                404, "ATLAS-404-00-012", f"Given instance guid {asset['guid']} has been deleted"
            )
        asset_qn = str(asset["attributes"]["qualifiedName"])
        conn = _connection_of(asset)
        base_qn = f"{asset_qn}/{asset['typeName']}/contract"
        # authorizeContractCreateOrUpdate: ENTITY_UPDATE on the asset and on the contract.
        for qn, type_name in ((asset_qn, asset["typeName"]), (base_qn, "DataContract")):
            if not self._allowed(token, UPDATE, qn, conn):
                raise self._deny(token, f"ENTITY_UPDATE entity: {type_name}")
        # syncContractCertificateStatus: a certificate on the entity wins, else the status.
        status = "VERIFIED" if str(fields.get("status") or "").lower() == "verified" else "DRAFT"
        if attrs.get("certificateStatus") == "VERIFIED":
            status = "VERIFIED"
        if spec_text is None:
            import yaml

            spec_text = yaml.safe_dump(fields, sort_keys=False)
        content = {
            "name": attrs.get("name"),
            "dataContractSpec": spec_text,
            "dataContractJson": json.dumps(fields, default=str),
            "certificateStatus": status,
        }
        current = self._latest_contract(asset["guid"])
        mutated: dict[str, list[JSON]] = {}
        if current is None:
            if status == "VERIFIED":
                raise AtlasError(
                    409,
                    "ATLAS-409-00-015",
                    "Operation not supported: Can't create a new published version",
                )
            version, previous = 1, None
        else:
            current_attrs = current["attributes"]
            if all(current_attrs.get(k) == v for k, v in content.items()):
                return {}  # no changes in the contract: no new version, nothing mutated
            if current_attrs.get("certificateStatus") != "VERIFIED":
                current_attrs.update(content)  # a draft: the same version takes the change
                self._touched(current, token.user)
                mutated["UPDATE"] = [self._header(current)]
                self._link_contract(token, asset, current, None, mutated)
                return mutated
            if status == "VERIFIED":
                raise AtlasError(
                    409,
                    "ATLAS-409-00-015",
                    "Operation not supported: Can't create a new published version",
                )
            version, previous = int(current_attrs["dataContractVersion"]) + 1, current
        qn = f"{base_qn}/V{version}"
        if not self._allowed(token, CREATE, qn, conn):
            raise self._deny(token, "create entity: type=DataContract")
        contract = self._new_entity("DataContract", qn, token.user)
        contract["attributes"].update(
            content,
            dataContractVersion=version,
            dataContractAssetGuid=asset["guid"],
        )
        if previous is not None:
            contract["attributes"]["dataContractPreviousVersion"] = self._ref(previous)
        self._entities[("DataContract", qn)] = contract
        self._by_guid[contract["guid"]] = ("DataContract", qn)
        self._queue_index(contract)
        if str(sent.get("guid", "")).startswith("-"):
            assignments[str(sent["guid"])] = contract["guid"]
        mutated["CREATE"] = [self._header(contract, tags=False)]
        if previous is not None:
            previous["attributes"]["dataContractNextVersion"] = self._ref(contract)
            self._touched(previous, token.user)
            mutated["UPDATE"] = [self._header(previous)]
        self._link_contract(token, asset, contract, previous, mutated)
        return mutated

    def _link_contract(
        self,
        token: Token,
        asset: JSON,
        contract: JSON,
        previous: JSON | None,
        mutated: dict[str, list[JSON]],
    ) -> None:
        """``datasetAttributeSync``: the asset's contract flags and links (both ends)."""
        attrs = asset["attributes"]
        attrs["hasContract"] = True
        attrs["dataContractLatest"] = self._ref(contract)
        contract["attributes"]["dataContractAssetLatest"] = self._ref(asset)
        if previous is not None:
            previous["attributes"].pop("dataContractAssetLatest", None)
        if contract["attributes"]["certificateStatus"] == "VERIFIED":
            attrs["dataContractLatestCertified"] = self._ref(contract)
            contract["attributes"]["dataContractAssetCertified"] = self._ref(asset)
        self._touched(asset, token.user)
        self._queue_index(contract)
        mutated.setdefault("UPDATE", []).append(self._header(asset))

    @staticmethod
    def _ref(entity: JSON) -> JSON:
        return {
            "typeName": entity["typeName"],
            "guid": entity["guid"],
            "uniqueAttributes": {"qualifiedName": entity["attributes"]["qualifiedName"]},
        }

    def _link_ends(self, entity: JSON, before: JSON | None, token: Token) -> list[JSON]:
        """A new input or output edge touches its end (``updateTime`` bumped, in UPDATE)."""
        ends: list[JSON] = []
        for name in ("inputs", "outputs"):
            had = {
                str(r.get("guid")) for r in _refs_in((before or {}).get("attributes", {}).get(name))
            }
            for ref in _refs_in(entity["attributes"].get(name)):
                if str(ref.get("guid")) in had:
                    continue  # an existing edge: Atlas creates no relationship, bumps nothing
                key = self._by_guid.get(str(ref.get("guid")))
                target = self._entities.get(key) if key else None
                if target is not None and target is not entity:
                    self._touched(target, token.user)
                    ends.append(target)
        return ends

    def _apply_to_copy(
        self, token: Token, current: JSON | None, sent: JSON, query: dict[str, str]
    ) -> tuple[JSON, bool]:
        """The entity after ``sent`` (a copy), and whether anything changed; authorised."""
        type_name = sent["typeName"]
        attrs = dict(sent.get("attributes") or {})
        attrs.update(sent.get("relationshipAttributes") or {})
        qn = attrs["qualifiedName"]
        creating = current is None
        entity: JSON = (
            self._new_entity(type_name, qn, token.user)
            if current is None
            else copy.deepcopy(current)
        )
        if creating and type_name == "Connection":
            conn: str | None = qn
        else:
            conn = _connection_of(
                {"typeName": type_name, "attributes": {**entity["attributes"], **attrs}}
            )
        if creating and not self._allowed(token, CREATE, qn, conn):
            raise self._deny(token, f"create entity: type={type_name}")
        stored = entity["attributes"]
        for name, value in attrs.items():
            if value is None:
                stored.pop(name, None)
            else:
                stored[name] = self._resolve_refs(value)  # same target, same value
        for name, refs in (sent.get("appendRelationshipAttributes") or {}).items():
            have = stored.setdefault(name, [])
            for ref in refs if isinstance(refs, list) else [refs]:
                ref = self._resolve_refs(ref)
                if ref not in have:
                    have.append(ref)
        if current is not None and current["status"] == "DELETED":
            if sent.get("status") == "ACTIVE" or attrs.get("__state") == "ACTIVE":
                entity["status"] = "ACTIVE"  # a restore; a plain upsert leaves it archived
        self._apply_tags(entity, sent, query, creating)
        business_before = copy.deepcopy(entity["businessAttributes"])
        self._apply_business(entity, sent.get("businessAttributes"), query, creating)
        changed = creating or _content(entity) != _content(current or {})
        if not creating and changed:
            if not self._allowed(token, UPDATE, qn, conn):
                raise self._deny(token, f"update entity: type={type_name}")
            for set_id in entity["businessAttributes"].keys() | business_before.keys():
                if entity["businessAttributes"].get(set_id) != business_before.get(set_id):
                    if not self._allowed(token, UPDATE_CM, qn, conn):
                        raise self._deny(
                            token,
                            f"add/update business-metadata: guid={entity['guid']}, "
                            f"business-metadata-name={set_id}",
                        )
        if type_name in ("Process", "ColumnProcess"):
            for name in ("inputs", "outputs"):
                for ref in _refs_in(stored.get(name)):
                    unique = ref.get("uniqueAttributes") or {}
                    end = (str(ref["typeName"]), str(unique.get("qualifiedName") or ""))
                    if end[1] and not self._relationship_end_ok(token, *end):
                        raise AtlasError(
                            403,
                            "ATLAS-403-00-001",
                            f"{token.user} is not authorized to perform ",
                            {"action": "RELATIONSHIP_ADD", "end1": entity["guid"], "end2": end[1]},
                        )
        if creating and type_name == "Connection":
            token.created_connections.add(qn)
        return entity, changed

    def _apply_tags(self, entity: JSON, sent: JSON, query: dict[str, str], creating: bool) -> None:
        guid, direct = entity["guid"], _tags(entity)
        append = _flag(query, "appendTags")
        if creating:
            # On create the payload's tags are always added (appendTags: its additions).
            incoming = sent.get("addOrUpdateClassifications") if append else None
            incoming = incoming or sent.get("classifications") or []
            direct = [self._classification(t, guid) for t in incoming]
        elif append:
            # getTagsDiffForAppend: removing an absent (or propagated) tag is ignored; adding
            # a present one updates it; a tag both added and removed is removed.
            drop = {t["typeName"] for t in sent.get("removeClassifications") or []}
            add = [
                t for t in sent.get("addOrUpdateClassifications") or [] if t["typeName"] not in drop
            ]
            replaced = {t["typeName"] for t in add}
            direct = [c for c in direct if c["typeName"] not in drop | replaced]
            direct += [self._classification(t, guid) for t in add]
        elif _flag(query, "replaceTags") or _flag(query, "replaceClassifications"):
            direct = [self._classification(t, guid) for t in sent.get("classifications") or []]
        # else: tags on an update are ignored without a tag flag
        entity["classifications"] = direct + _tags(entity, direct=False)

    def _apply_business(
        self, entity: JSON, business: Any, query: dict[str, str], creating: bool
    ) -> None:
        if not business and not _flag(query, "overwriteBusinessAttributes"):
            return
        if not creating and not _flag(query, "replaceBusinessAttributes"):
            return  # pyatlan's "ignore custom metadata" mode: Atlas ignores it on updates
        self._check_business_attributes(entity["typeName"], business or {})
        business = self._known_attributes(business or {})
        if creating:
            FakeAtlan._merge_business(entity, business)
            return
        if _flag(query, "overwriteBusinessAttributes"):
            entity["businessAttributes"] = {
                set_id: {k: v for k, v in (values or {}).items() if v is not None}
                for set_id, values in business.items()
            }
            return
        FakeAtlan._merge_business(entity, business)

    def _known_attributes(self, business: JSON) -> JSON:
        """Atlas silently ignores attributes a known set does not define."""
        sets = {d["name"]: d for d in self._typedefs["businessMetadataDefs"]}
        return {
            set_id: {
                k: v
                for k, v in (values or {}).items()
                if k in {a["name"] for a in sets[set_id]["attributeDefs"]}
            }
            for set_id, values in business.items()
            if set_id in sets
        }

    @staticmethod
    def _merge_business(entity: JSON, business: JSON) -> None:
        stored = entity["businessAttributes"]
        for set_id, values in business.items():
            current = stored.setdefault(set_id, {})
            for attr_id, value in (values or {}).items():
                if value is None or value == []:
                    current.pop(attr_id, None)
                else:
                    current[attr_id] = value
            if not current:
                stored.pop(set_id)

    def _partial_update(self, token: Token, entity: JSON, body: JSON) -> JSON:
        sent = dict(body.get("entity") or {})
        qn = entity["attributes"]["qualifiedName"]
        if not self._allowed(token, UPDATE, qn, _connection_of(entity)):
            raise self._deny(token, f"update entity: type={entity['typeName']}")
        attrs = {**(sent.get("attributes") or {}), "qualifiedName": qn}
        self._validate_bulk([{**sent, "typeName": entity["typeName"], "attributes": attrs}])
        for name, value in (sent.get("attributes") or {}).items():
            if value is None:
                entity["attributes"].pop(name, None)
            else:
                entity["attributes"][name] = value
        self._touched(entity, token.user)
        return {"mutatedEntities": {"PARTIAL_UPDATE": [self._header(entity)]}}

    def _set_custom_metadata(self, token: Token, guid: str, set_id: str, body: JSON) -> None:
        entity = self._get_by_guid(guid)
        qn = entity["attributes"]["qualifiedName"]
        if not self._allowed(token, UPDATE_CM, qn, _connection_of(entity)):
            raise self._deny(
                token, f"add/update business-metadata: guid={guid}, business-metadata-name={set_id}"
            )
        self._check_business_attributes(entity["typeName"], {set_id: body})
        self._merge_business(entity, self._known_attributes({set_id: body}))
        self._touched(entity, token.user)

    def _soft_delete(self, token: Token, guids: list[str]) -> JSON:
        """Archive entities: status DELETED, kept in the store; unknown guids are skipped."""
        entities = []
        for guid in guids:
            key = self._by_guid.get(guid)
            if key is None:
                continue
            entity = self._entities[key]
            qn = entity["attributes"]["qualifiedName"]
            if not self._allowed(token, DELETE, qn, _connection_of(entity)):
                raise self._deny(token, f"delete entity: guid={guid}")
            entities.append(entity)
        deleted = []
        for entity in entities:
            if entity["status"] == "DELETED":
                self._touched(entity, token.user)  # no entry, but updateTime moves
                continue
            self._soft_delete_entity(entity, token.user)
            header = self._header(entity)
            header["deleteHandler"] = "SOFT"
            deleted.append(header)
        return {"mutatedEntities": {"DELETE": deleted}} if deleted else {}

    def _soft_delete_entity(self, entity: JSON, user: str) -> None:
        entity["status"] = "DELETED"
        if not self.tags_survive_archive:
            entity["classifications"] = _tags(entity, direct=False)
        self._touched(entity, user)

    # ------------------------------------------------------------------ entities: reads

    def _get_by_qn(self, type_name: str, qualified_name: str) -> JSON:
        found = self._entities.get((type_name, qualified_name))
        if found is None:
            raise AtlasError(
                404,
                "ATLAS-404-00-009",
                f"Instance {type_name} with unique attribute "
                f"{{qualifiedName={qualified_name}}} does not exist",
            )
        return found

    def _get_by_guid(self, guid: str) -> JSON:
        key = self._by_guid.get(guid)
        if key is None:
            raise AtlasError(404, "ATLAS-404-00-005", f"Given instance guid {guid} is invalid")
        return self._entities[key]

    def _header(self, entity: JSON, *, tags: bool = True) -> JSON:
        attrs = entity["attributes"]
        header = {
            "typeName": entity["typeName"],
            "guid": entity["guid"],
            "status": entity["status"],
            "displayText": attrs.get("name"),
            "attributes": {"qualifiedName": attrs.get("qualifiedName"), "name": attrs.get("name")},
            "createTime": entity["createTime"],
            "updateTime": entity["updateTime"],
            "createdBy": entity["createdBy"],
            "updatedBy": entity["updatedBy"],
            # A CREATE header is built before the tags of the same request are added.
            "classifications": copy.deepcopy(entity["classifications"]) if tags else [],
        }
        return header

    def _full(self, entity: JSON, attributes: Iterable[str] | None = None) -> JSON:
        out = copy.deepcopy(entity)
        if attributes is not None:  # a search: only what was asked for, as Atlan does
            keep = {"qualifiedName", "name", *attributes}
            out["attributes"] = {k: v for k, v in out["attributes"].items() if k in keep}
            # Custom metadata only for requested attributes ("<attrId>" or "<setId>.<attrId>").
            business = {
                set_id: {k: v for k, v in values.items() if {k, f"{set_id}.{k}"} & keep}
                for set_id, values in out["businessAttributes"].items()
            }
            out["businessAttributes"] = {k: v for k, v in business.items() if v}
        out["classificationNames"] = [c["typeName"] for c in _tags(entity)]
        out["displayText"] = entity["attributes"].get("name")
        return out

    def _scrubbed(self, entity: JSON) -> JSON:
        """What search shows of an entity the token may not read (``scrubEntityHeader``)."""
        out = {
            k: copy.deepcopy(v)
            for k, v in entity.items()
            if k
            in ("typeName", "guid", "status", "createTime", "updateTime", "createdBy", "updatedBy")
        }
        out["attributes"] = {k: v for k, v in entity["attributes"].items() if k in _UNSCRUBBED}
        out["classifications"] = []
        out["businessAttributes"] = {}
        out["scrubbed"] = True
        return out

    def _entity_response(self, entity: JSON) -> JSON:
        return {"entity": self._full(entity), "referredEntities": {}}

    def _classification(self, sent: JSON, entity_guid: str) -> JSON:
        if sent.get("typeName") not in self._tag_display_names():
            raise AtlasError(
                404, "ATLAS-404-00-008", f"Given classification {sent.get('typeName')} was invalid"
            )
        tag: JSON = {
            "propagate": False,
            "removePropagationsOnEntityDelete": True,
            "restrictPropagationThroughLineage": False,
            "restrictPropagationThroughHierarchy": False,
        }
        tag.update({k: v for k, v in sent.items() if k not in ("entityGuid", "entityStatus")})
        tag.update(entityGuid=entity_guid, entityStatus="ACTIVE")
        return tag

    def _check_business_attributes(self, type_name: str, business: Any) -> None:
        """Atlas's ``validateBusinessAttributes``: 404 ``ATLAS-404-00-007``, first problem."""
        if not business:
            return
        sets = {d["name"]: d for d in self._typedefs["businessMetadataDefs"]}

        def invalid(text: str) -> AtlasError:
            return AtlasError(
                404,
                "ATLAS-404-00-007",
                f"Invalid instance creation/updation parameters passed : {text}",
            )

        for set_id, values in business.items():
            definition = sets.get(set_id)
            applicable = definition is not None and any(
                self._applies(a, type_name) for a in definition["attributeDefs"]
            )
            if not applicable:
                raise invalid(f"{set_id}: invalid business-metadata for entity type {type_name}")
            assert definition is not None
            attrs = {a["name"]: a for a in definition["attributeDefs"]}
            for attr_id, value in (values or {}).items():
                attr = attrs.get(attr_id)
                if attr is None or value is None or not self._applies(attr, type_name):
                    continue  # unknown attributes are silently ignored
                field_name = f"{type_name}.{set_id}.{attr_id}"
                if not _valid_value(str(attr.get("typeName") or "string"), value):
                    raise invalid(
                        f"{field_name}={value}: invalid value for type {attr.get('typeName')}"
                    )
                limit = str((attr.get("options") or {}).get("maxStrLength") or "")
                if limit.isdigit():
                    items = value if isinstance(value, list) else [value]
                    if any(len(str(v)) > int(limit) for v in items):
                        raise invalid(
                            f"{field_name}:  Business attribute-value exceeds maximum length limit"
                        )

    @staticmethod
    def _applies(attr: JSON, type_name: str) -> bool:
        raw = (attr.get("options") or {}).get("applicableEntityTypes")
        if not raw:
            return True
        try:
            types = set(json.loads(raw))
        except ValueError:
            return True
        return bool(types & ({type_name} | _SUPER_TYPES))

    def _validate_bulk(self, entities: list[JSON]) -> None:
        """Check the whole request before changing anything (Atlas bulk is atomic)."""
        in_request = {
            (e.get("typeName"), (e.get("attributes") or {}).get("qualifiedName")) for e in entities
        }
        placeholders = {str(e.get("guid")) for e in entities if e.get("guid")}
        for e in entities:
            attrs = e.get("attributes") or {}
            if not e.get("typeName") or not attrs.get("qualifiedName"):
                raise AtlasError(400, "ATLAS-400-00-01A", "typeName and qualifiedName required")
            rel_values = [*attrs.values(), *(e.get("relationshipAttributes") or {}).values()]
            for extra in ("appendRelationshipAttributes", "removeRelationshipAttributes"):
                rel_values.extend((e.get(extra) or {}).values())
            for value in rel_values:
                for ref in _refs_in(value):
                    self._check_ref(ref, in_request, placeholders)
            for key in ("classifications", "addOrUpdateClassifications"):
                for tag in e.get(key) or []:
                    self._classification(tag, "-")

    def _check_ref(self, ref: JSON, in_request: set[Any], placeholders: set[str]) -> None:
        unique = ref.get("uniqueAttributes") or {}
        if unique.get("qualifiedName"):
            # Typed references are not resolved to a subtype; archived ones are found.
            key = (ref["typeName"], unique["qualifiedName"])
            if key in in_request or key in self._entities:
                return
            raise AtlasError(
                404,
                "ATLAS-404-00-00A",
                f"Referenced entity {_object_id(ref['typeName'], unique['qualifiedName'])} "
                "is not found",
            )
        guid = str(ref.get("guid"))
        if guid not in placeholders and guid not in self._by_guid:
            raise AtlasError(404, "ATLAS-404-00-00A", f"Referenced entity {guid} is not found")

    def _resolve_refs(self, value: Any) -> Any:
        """Store relationship refs with their real guid (resolved after the upsert)."""
        if _is_ref(value):
            unique = value.get("uniqueAttributes") or {}
            key: tuple[str, str] = (str(value["typeName"]), str(unique.get("qualifiedName")))
            if key not in self._entities:
                key = self._by_guid.get(str(value.get("guid")), key)
            target = self._entities.get(key)
            if target is None:
                return value
            return {
                "typeName": target["typeName"],
                "guid": target["guid"],
                "uniqueAttributes": {"qualifiedName": target["attributes"]["qualifiedName"]},
            }
        if isinstance(value, list) and any(_is_ref(v) for v in value):
            return [self._resolve_refs(v) for v in value]
        return value

    # ------------------------------------------------------------------ lineage

    @staticmethod
    def _is_process(entity: JSON) -> bool:
        # Process, ColumnProcess, BIProcess, ...: what Atlas's __Process.inputs/outputs link.
        return str(entity["typeName"]).endswith("Process")

    def _criterion_ok(self, entity: JSON, criterion: JSON) -> bool:
        values = [str(v) for v in self._field_values(entity, str(criterion["attributeName"]))]
        operator, wanted = criterion.get("operator"), str(criterion.get("attributeValue"))
        if operator in ("=", "eq"):
            return wanted in values
        if operator in ("!=", "neq"):
            return wanted not in values
        if operator == "startsWith":
            return any(v.startswith(wanted) for v in values)
        raise AtlasError(400, "ATLAS-400-00-01D", f"fake Atlan: operator {operator} not modelled")

    def _filter_ok(self, entity: JSON, filters: JSON | None) -> bool:
        """``SearchParameters.FilterCriteria`` ({condition, criterion}); none passes all."""
        criteria = (filters or {}).get("criterion") or []
        if not criteria:
            return True
        checks = [self._criterion_ok(entity, c) for c in criteria]
        return any(checks) if (filters or {}).get("condition") == "OR" else all(checks)

    def _lineage_neighbours(self, entity: JSON, downstream: bool) -> list[JSON]:
        """The next vertices: a dataset's processes, a process's datasets (active edges)."""
        if self._is_process(entity):
            refs = _refs_in(entity["attributes"].get("outputs" if downstream else "inputs"))
            found = [
                self._entities.get(self._by_guid.get(str(r.get("guid")), ("", ""))) for r in refs
            ]
            return [e for e in found if e is not None and e["status"] == "ACTIVE"]
        side = "inputs" if downstream else "outputs"
        return [
            p
            for p in self._entities.values()
            if self._is_process(p)
            and p["status"] == "ACTIVE"
            and entity["guid"] in {str(r.get("guid")) for r in _refs_in(p["attributes"].get(side))}
        ]

    def _lineage_list(self, token: Token, body: JSON) -> JSON:
        """``POST lineage/list`` as ``EntityLineageService.traverseEdgesUsingBFS`` answers it.

        Breadth first from ``guid`` through processes (each process is a depth level, and a
        result too unless ``entityFilters`` leave it out); ``entityTraversalFilters`` stop
        the walk at vertices that fail them; ``from`` skips that many results, ``size`` caps
        them; ``hasMore`` says whether the walk stopped with vertices left. Headers carry
        ``depth`` (dataset levels) and the requested ``attributes``. ``BOTH`` is refused.

        Permissions: none are applied. Atlan's atlas-metastore (``LineageREST.getLineageList``
        → ``EntityLineageService.getLineageListInfoOnDemand`` → ``traverseEdgesUsingBFS``,
        read at 54b6021c, 2026-04-27) checks no read permission on the start asset and
        neither filters nor scrubs the results: an asset the token may not read comes back
        whole (the requested attributes) and counts in ``entityCount``. Only the graph
        lineage APIs (``GET lineage/{guid}``, on-demand lineage) scrub their entities
        (``scrubLineageEntities``); search scrubs too (:meth:`_search`). The token is still
        authenticated by the caller.
        """
        direction = body.get("direction")  # the graph, not the lagging search index
        if direction not in ("INPUT", "OUTPUT"):
            raise AtlasError(400, "ATLAS-400-00-001", f"invalid direction {direction}")
        base = self._get_by_guid(str(body.get("guid")))
        downstream = direction == "OUTPUT"
        size, offset = int(body.get("size") or 10), int(body.get("from") or 0)
        max_depth = int(body.get("depth") or 1)
        attributes = [str(a) for a in body.get("attributes") or []]
        traversal, results = body.get("entityTraversalFilters"), body.get("entityFilters")
        visited = {base["guid"]}
        queue: list[JSON] = []

        def enqueue(vertex: JSON) -> None:
            for n in self._lineage_neighbours(vertex, downstream):
                if n["guid"] not in visited and self._filter_ok(n, traversal):
                    visited.add(n["guid"])
                    queue.append(n)

        enqueue(base)
        is_process = self._is_process(base)
        depth, level, skipped = 0, 1 if is_process else 0, 0
        entities: list[JSON] = []
        has_more: bool | None = None
        while queue and len(entities) < size and depth < max_depth:
            depth += 1
            if (not is_process and depth % 2) or (is_process and not depth % 2):
                level += 1
            current, queue = queue, []
            for i, vertex in enumerate(current):
                if len(entities) >= size:
                    queue = current[i:] + queue  # left for the next page
                    break
                if not self._filter_ok(vertex, results):
                    enqueue(vertex)
                    continue
                if skipped < offset:
                    skipped += 1
                    enqueue(vertex)
                    continue
                enqueue(vertex)
                header = self._header(vertex, tags=not body.get("excludeClassifications"))
                header["attributes"] = {
                    k: v
                    for k, v in vertex["attributes"].items()
                    if k in {"qualifiedName", "name", *attributes}
                }
                header["depth"] = level
                entities.append(header)
                if i == len(current) - 1 and depth == max_depth:
                    has_more = False
        if has_more is None:
            has_more = bool(queue) and depth <= max_depth
        return {
            "entities": entities,
            "hasMore": has_more,
            "entityCount": len(entities),
            "searchParameters": body,
        }

    # ------------------------------------------------------------------ search

    def _field_values(self, entity: JSON, field: str) -> list[Any]:
        name = field.removesuffix(".keyword")
        if name == "__guid":
            return [entity["guid"]]
        if name == "__typeName":
            return [entity["typeName"]]
        if name == "__state":
            return [entity["status"]]
        if name == "__superTypeNames":
            return [*_SUPER_TYPES, entity["typeName"]]
        if name in ("__traitNames", "__propagatedTraitNames"):
            return [c["typeName"] for c in _tags(entity, direct=name == "__traitNames")]
        if name in ("__modificationTimestamp", "updateTime"):
            return [entity["updateTime"]]
        value = entity["attributes"].get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def _matches(self, entity: JSON, query: JSON) -> bool:
        (kind, spec), *_ = query.items()
        if kind == "bool":
            shoulds = _as_list(spec.get("should"))
            # Elasticsearch: "should" is optional beside filter/must unless a minimum is set.
            required = spec.get("minimum_should_match")
            if required is None:
                required = 0 if spec.get("filter") or spec.get("must") else 1
            return (
                all(self._matches(entity, q) for q in _as_list(spec.get("filter")))
                and all(self._matches(entity, q) for q in _as_list(spec.get("must")))
                and not any(self._matches(entity, q) for q in _as_list(spec.get("must_not")))
                and (
                    not shoulds
                    or sum(1 for q in shoulds if self._matches(entity, q)) >= int(required)
                )
            )
        if kind == "match_all":
            return True
        if kind == "exists":
            return bool(self._field_values(entity, spec["field"]))
        (field, cond), *_ = spec.items()
        values = self._field_values(entity, field)
        fold = field.removesuffix(".keyword") == "__typeName" or (
            isinstance(cond, dict) and cond.get("case_insensitive")
        )

        def norm(v: Any) -> Any:
            return v.lower() if fold and isinstance(v, str) else v

        have = {norm(v) for v in values if not isinstance(v, (dict, list))}
        if kind == "term":
            wanted = cond.get("value") if isinstance(cond, dict) else cond
            return norm(wanted) in have
        if kind == "terms":
            return any(norm(w) in have for w in cond)
        if kind == "prefix":
            prefix = norm(cond.get("value") if isinstance(cond, dict) else cond)
            return any(isinstance(v, str) and v.startswith(prefix) for v in have)
        raise AtlasError(400, "ATLAS-400-00-0AF", f"fake Atlan: unsupported query {kind!r}")

    def _search(self, token: Token, body: JSON) -> JSON:
        """Index search over the (lagging) index, with read permissions applied per hit."""
        dsl = body.get("dsl") or {}
        query = dsl.get("query") or {"match_all": {}}
        hits = []
        for entity in self._index.values():
            readable = self._readable(token, entity)
            if not readable and self.read_restriction == "full":
                continue
            shown = entity if readable else self._scrubbed(entity)
            if self._matches(shown, query):
                hits.append(shown)
        if dsl.get("post_filter"):
            hits = [e for e in hits if self._matches(e, dsl["post_filter"])]
        for sort in reversed(_as_list(dsl.get("sort"))):
            (field_name, order), *_ = sort.items()
            reverse = isinstance(order, dict) and order.get("order") == "desc"
            hits.sort(
                key=lambda e: [str(v) for v in self._field_values(e, field_name)], reverse=reverse
            )
        start = int(dsl.get("from") or 0)
        size = int(dsl.get("size", 10) or 0)
        page = hits[start : start + size]
        result: JSON = {"approximateCount": len(hits), "searchParameters": {}}
        if page:
            wanted = body.get("attributes") or []
            result["entities"] = [self._full(e, wanted) for e in page]
        return result

    # ------------------------------------------------------------------ typedefs and roles

    def _get_typedefs(self, categories: list[str]) -> JSON:
        keys = [_CATEGORY_KEYS[c.upper()] for c in categories if c.upper() in _CATEGORY_KEYS]
        keys = keys or list(_CATEGORY_KEYS.values())
        return {key: copy.deepcopy(self._typedefs[key]) for key in keys}

    def _create_typedefs(self, body: JSON) -> JSON:
        with self._lock:
            incoming = {key: body.get(key) or [] for key in _CATEGORY_KEYS.values()}
            for key, defs in incoming.items():  # validate all first: atomic, like Atlas
                existing = {d.get("displayName") or d["name"] for d in self._typedefs[key]}
                for d in defs:
                    label = d.get("displayName") or d.get("name")
                    if label in existing:
                        raise AtlasError(
                            409, "ATLAS-409-00-001", f"Given type {label} already exists"
                        )
                    for attr in d.get("attributeDefs") or []:
                        if key == "businessMetadataDefs" and str(attr.get("typeName", "")).endswith(
                            "string"
                        ):
                            if not (attr.get("options") or {}).get("maxStrLength"):
                                raise AtlasError(
                                    400,
                                    "ATLAS-400-00-02B",
                                    f"Mandatory field {attr.get('name')}.options.maxStrLength "
                                    "has empty/null value",
                                )
            created: JSON = {key: [] for key in _CATEGORY_KEYS.values()}
            now = self.now_ms()
            for key, defs in incoming.items():
                for sent in defs:
                    d = copy.deepcopy(sent)
                    d.update(guid=str(uuid.uuid4()), createTime=now, updateTime=now, version=1)
                    if key in ("classificationDefs", "businessMetadataDefs"):
                        d["displayName"] = d.get("displayName") or d.get("name")
                        d["name"] = _new_id()
                        self._name_attributes(d)
                    self._typedefs[key].append(d)
                    created[key].append(copy.deepcopy(d))
            return created

    @staticmethod
    def _name_attributes(typedef: JSON) -> None:
        attrs = typedef.setdefault("attributeDefs", None) or []
        for attr in attrs:
            if typedef["category"] == "BUSINESS_METADATA" and not attr.get("name"):
                attr["displayName"] = attr.get("displayName") or attr.get("name")
                attr["name"] = _new_id()
            attr.pop("isNew", None)

    def _update_typedefs(self, body: JSON) -> JSON:
        updated: JSON = {key: [] for key in _CATEGORY_KEYS.values()}
        for key in _CATEGORY_KEYS.values():
            for sent in body.get(key) or []:
                current = next(
                    (d for d in self._typedefs[key] if d["name"] == sent.get("name")), None
                )
                if current is None:
                    raise AtlasError(404, "ATLAS-404-00-007", f"Type {sent.get('name')} not found")
                replacement = copy.deepcopy(sent)
                self._name_attributes(replacement)
                current.update(replacement, version=int(current.get("version") or 1) + 1)
                updated[key].append(copy.deepcopy(current))
        return updated

    def _roles(self) -> JSON:
        records = [
            {"id": rid, "name": name, "level": "workspace"} for name, rid in self.role_ids.items()
        ]
        return {"totalRecord": len(records), "filterRecord": len(records), "records": records}


def _valid_value(type_name: str, value: Any) -> bool:
    """Atlas's ``AtlasType.validateValue`` for the types custom metadata uses."""
    type_name = type_name.lower()
    if type_name.startswith("array<") and type_name.endswith(">"):
        inner = type_name[len("array<") : -1]
        return isinstance(value, list) and all(_valid_value(inner, v) for v in value)
    if type_name in _INT_RANGES:
        lo, hi = _INT_RANGES[type_name]
        if isinstance(value, bool):
            return False
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                return False
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return isinstance(value, int) and lo <= value <= hi
    if type_name in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return True  # strings: anything stringifies


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    @staticmethod
    def of_json(status: int, payload: Any) -> _Reply:
        return _Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: FakeAtlan

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and delayed ACKs
    # hold every small answer back about 40 ms on loopback.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        reply = self.server.app.handle(self.command, self.path, self.headers, raw_body)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.body and reply.status != 204:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default stderr access log (the server keeps its own log)."""
