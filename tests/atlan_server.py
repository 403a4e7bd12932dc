"""A stateful fake Atlan (Atlas + Heracles) HTTP server for tests, driven through real pyatlan.

It speaks the endpoints pyatlan 11.6 calls for s3-enricher (see ``shared/notes/pyatlan.md`` §11):
entity bulk upsert, indexsearch with paging, entity by unique attribute / guid, custom metadata
by guid, typedefs (with hashed ids and a non-empty ``structDefs``) and roles. State lives in
memory behind one lock; faults (status codes, ``Retry-After``, empty bodies, delays) can be
injected; every request is logged for assertions.

Usage::

    with FakeAtlan(api_key="test-key") as server:
        client = AtlanClient(base_url=server.base_url, api_key="test-key", proxy=None)
        ...
        assert server.tag_names("S3Object", qn) == ["PII"]
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
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


class AtlasError(Exception):
    """An error the fake answers with an Atlas-style body ``{errorCode, errorMessage}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class RecordedRequest:
    """One request as the server saw it (``status`` is what it answered)."""

    method: str
    path: str
    query: dict[str, str]
    query_all: dict[str, list[str]]
    body: Any
    status: int = 0


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


def _error_body(status: int, code: str | None = None, message: str | None = None) -> JSON:
    return {
        "errorCode": code or f"ATLAS-{status}-00-001",
        "errorMessage": message or f"fake Atlan: HTTP {status}",
    }


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


class FakeAtlan:
    """A fake Atlan tenant on ``http://127.0.0.1:<free port>``; use as a context manager."""

    def __init__(self, api_key: str = "test-key") -> None:
        self.api_key = api_key
        self._lock = threading.RLock()
        self.role_ids = {name: str(uuid.uuid4()) for name in _ROLE_NAMES}
        self._entities: dict[tuple[str, str], JSON] = {}
        self._by_guid: dict[str, tuple[str, str]] = {}
        self._typedefs: dict[str, list[JSON]] = {}
        self._log: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
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
        """Forget all entities, typedefs, logged requests, faults and delays."""
        with self._lock:
            self._entities.clear()
            self._by_guid.clear()
            self._typedefs = {key: [] for key in _CATEGORY_KEYS.values()}
            self._typedefs["structDefs"] = copy.deepcopy(_BASE_STRUCT_DEFS)
            self._log.clear()
            self._faults.clear()
            self._delays.clear()

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
        body or any bytes/str/dict to send exactly that. ``retry_after`` sets the header.
        """
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, path_contains, body))

    def reset_faults(self) -> None:
        """Drop pending faults and delays (the outage is over); state is kept."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()

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

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far (including failed/injected ones)."""
        with self._lock:
            return list(self._log)

    def mutating_requests(self) -> list[RecordedRequest]:
        """POST/PUT/DELETE requests except searches (indexsearch is a read)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "PUT", "DELETE") and not r.path.endswith("/indexsearch")
        ]

    def entity(self, type_name: str, qualified_name: str) -> JSON | None:
        """A deep copy of the stored entity, or None."""
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
            cm = next(
                (d for d in self._typedefs["businessMetadataDefs"] if d["displayName"] == set_name),
                None,
            )
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

    def _tag_display_names(self) -> dict[str, str]:
        return {d["name"]: d["displayName"] for d in self._typedefs["classificationDefs"]}

    # ------------------------------------------------------------------ seeding (as a person would)

    def define_tag(self, display_name: str) -> str:
        """Create a tag definition directly; returns its hashed id."""
        body = self._create_typedefs(
            {"classificationDefs": [{"category": "CLASSIFICATION", "displayName": display_name}]}
        )
        return str(body["classificationDefs"][0]["name"])

    def add_entity(
        self, type_name: str, qualified_name: str, attributes: JSON | None = None
    ) -> str:
        """Create or merge an entity directly (e.g. a crawled table); returns its guid."""
        attrs = {"qualifiedName": qualified_name, "name": qualified_name.rsplit("/", 1)[-1]}
        attrs.update(attributes or {})
        with self._lock:
            return str(self._upsert({"typeName": type_name, "attributes": attrs}, {})[1]["guid"])

    def add_tag(
        self,
        type_name: str,
        qualified_name: str,
        tag_name: str,
        *,
        propagate: bool = False,
        propagated_from: str | None = None,
    ) -> None:
        """Attach tag ``tag_name`` (display name) directly, or as propagated from a guid."""
        with self._lock:
            found = self._entities[(type_name, qualified_name)]
            tag_id = {v: k for k, v in self._tag_display_names().items()}[tag_name]
            found["classifications"].append(
                self._classification(
                    {"typeName": tag_id, "propagate": propagate},
                    propagated_from or found["guid"],
                )
            )

    def remove_tag(self, type_name: str, qualified_name: str, tag_name: str) -> None:
        """Detach the direct tag ``tag_name`` (display name), as a person in the UI would."""
        with self._lock:
            found = self._entities[(type_name, qualified_name)]
            tag_id = {v: k for k, v in self._tag_display_names().items()}[tag_name]
            found["classifications"] = [
                c
                for c in found["classifications"]
                if not (c["typeName"] == tag_id and c["entityGuid"] == found["guid"])
            ]

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
        record = RecordedRequest(method, path, query, query_all, body)
        with self._lock:
            self._log.append(record)
            delay = self._take(self._delays, path)
            fault = self._take(self._faults, path)
        if delay is not None:
            time.sleep(delay.seconds)
        if fault is not None:
            reply = self._fault_reply(fault)
        elif headers.get("authorization") != f"Bearer {self.api_key}":
            reply = _Reply.of_json(401, _error_body(401, "ATLAN-401-00-001", "Invalid API token"))
        else:
            try:
                with self._lock:
                    reply = self._route(method, path, query, query_all, body)
            except AtlasError as err:
                reply = _Reply.of_json(err.status, _error_body(err.status, err.code, err.message))
        record.status = reply.status
        return reply

    @staticmethod
    def _fault_reply(fault: _Fault) -> _Reply:
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        body = fault.body
        if body is None:
            body = _error_body(fault.status) if fault.status >= 400 else b""
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        return _Reply(fault.status, body, headers)

    def _route(
        self,
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
            return _Reply.of_json(200, self._bulk(query, body or {}))
        if rest == ["entity", "bulk"] and method == "DELETE":
            return _Reply.of_json(200, self._soft_delete(query_all.get("guid", [])))
        if rest == ["search", "indexsearch"] and method == "POST":
            return _Reply.of_json(200, self._search(body or {}))
        if rest == ["types", "typedefs"]:
            if method == "GET":
                return _Reply.of_json(200, self._get_typedefs(query_all.get("type", [])))
            if method == "POST":
                return _Reply.of_json(200, self._create_typedefs(body or {}))
            if method == "PUT":
                return _Reply.of_json(200, self._update_typedefs(body or {}))
        if rest[:3] == ["entity", "uniqueAttribute", "type"] and len(rest) == 4:
            qn = query.get("attr:qualifiedName", "")
            if method == "GET":
                return _Reply.of_json(200, self._entity_response(self._get_by_qn(rest[3], qn)))
            if method == "PUT":
                return _Reply.of_json(200, self._partial_update(rest[3], qn, body or {}))
        if rest[:2] == ["entity", "guid"] and len(rest) == 3 and method == "GET":
            return _Reply.of_json(200, self._entity_response(self._get_by_guid(rest[2])))
        if (
            rest[:2] == ["entity", "guid"]
            and len(rest) == 5
            and rest[3] == "businessmetadata"
            and method == "POST"
        ):
            self._set_custom_metadata(rest[2], rest[4], body or {})
            return _Reply(204, b"", {})
        raise AtlasError(404, "ATLAS-404-00-001", f"fake Atlan: no route {method} {path}")

    # ------------------------------------------------------------------ entities

    def _soft_delete(self, guids: list[str]) -> JSON:
        """Archive (soft-delete) entities: status DELETED, kept in the store."""
        deleted = []
        for guid in guids:
            entity = self._get_by_guid(guid)
            entity["status"] = "DELETED"
            deleted.append(self._header(entity))
        return {"mutatedEntities": {"DELETE": deleted}}

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

    @staticmethod
    def _header(entity: JSON) -> JSON:
        attrs = entity["attributes"]
        return {
            "typeName": entity["typeName"],
            "guid": entity["guid"],
            "status": entity["status"],
            "displayText": attrs.get("name"),
            "attributes": {"qualifiedName": attrs.get("qualifiedName"), "name": attrs.get("name")},
        }

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

    def _entity_response(self, entity: JSON) -> JSON:
        return {"entity": self._full(entity), "referredEntities": {}}

    def _classification(self, sent: JSON, entity_guid: str) -> JSON:
        if sent.get("typeName") not in self._tag_display_names():
            raise AtlasError(
                404, "ATLAS-404-00-008", f"Given typename {sent.get('typeName')} was invalid"
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

    def _check_business_attributes(self, business: Any) -> None:
        if not business:
            return
        sets = {d["name"]: d for d in self._typedefs["businessMetadataDefs"]}
        for set_id, values in business.items():
            if set_id not in sets:
                raise AtlasError(400, "ATLAS-400-00-00A", f"{set_id}: invalid business metadata")
            known = {a["name"] for a in sets[set_id]["attributeDefs"]}
            for attr_id in values or {}:
                if attr_id not in known:
                    raise AtlasError(
                        400, "ATLAS-400-00-00B", f"{set_id}.{attr_id}: invalid attribute"
                    )

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
            for key in ("classifications", "addOrUpdateClassifications", "removeClassifications"):
                for tag in e.get(key) or []:
                    self._classification(tag, "-")
            self._check_business_attributes(e.get("businessAttributes"))

    def _check_ref(self, ref: JSON, in_request: set[Any], placeholders: set[str]) -> None:
        unique = ref.get("uniqueAttributes") or {}
        if unique.get("qualifiedName"):
            key = (ref["typeName"], unique["qualifiedName"])
            if key in in_request or key in self._entities:
                return
            raise AtlasError(
                404,
                "ATLAS-404-00-00A",
                f"Referenced entity {ref['typeName']}:{unique['qualifiedName']} is not found",
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

    def _upsert(self, sent: JSON, query: dict[str, str]) -> tuple[str, JSON]:
        type_name = sent["typeName"]
        attrs = dict(sent.get("attributes") or {})
        attrs.update(sent.get("relationshipAttributes") or {})
        key = (type_name, attrs["qualifiedName"])
        now = int(time.time() * 1000)
        entity = self._entities.get(key)
        action = "UPDATE"
        if entity is None:
            action = "CREATE"
            entity = {
                "typeName": type_name,
                "guid": str(uuid.uuid4()),
                "status": "ACTIVE",
                "attributes": {},
                "classifications": [],
                "businessAttributes": {},
                "createTime": now,
                "createdBy": "fake-atlan",
            }
            self._entities[key] = entity
            self._by_guid[entity["guid"]] = key
        entity.update(updateTime=now, updatedBy="fake-atlan")
        stored = entity["attributes"]
        for name, value in attrs.items():
            if value is None:
                stored.pop(name, None)
            else:
                stored[name] = value
        for name, refs in (sent.get("appendRelationshipAttributes") or {}).items():
            current = stored.setdefault(name, [])
            current.extend(refs if isinstance(refs, list) else [refs])
        self._apply_tags(entity, sent, query)
        self._apply_business(entity, sent.get("businessAttributes"), query)
        return action, entity

    def _apply_tags(self, entity: JSON, sent: JSON, query: dict[str, str]) -> None:
        guid, direct = entity["guid"], _tags(entity)
        if _flag(query, "appendTags"):
            drop = {t["typeName"] for t in sent.get("removeClassifications") or []}
            drop |= {t["typeName"] for t in sent.get("addOrUpdateClassifications") or []}
            direct = [c for c in direct if c["typeName"] not in drop]
            direct += [
                self._classification(t, guid) for t in sent.get("addOrUpdateClassifications") or []
            ]
        elif _flag(query, "replaceTags") or _flag(query, "replaceClassifications"):
            direct = [self._classification(t, guid) for t in sent.get("classifications") or []]
        entity["classifications"] = direct + _tags(entity, direct=False)

    @staticmethod
    def _apply_business(entity: JSON, business: Any, query: dict[str, str]) -> None:
        if not _flag(query, "replaceBusinessAttributes"):
            return  # pyatlan's "ignore custom metadata" mode
        if _flag(query, "overwriteBusinessAttributes"):
            entity["businessAttributes"] = {
                set_id: {k: v for k, v in (values or {}).items() if v is not None}
                for set_id, values in (business or {}).items()
            }
            return
        FakeAtlan._merge_business(entity, business or {})

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

    def _bulk(self, query: dict[str, str], body: JSON) -> JSON:
        sent_entities: list[JSON] = body.get("entities") or []
        self._validate_bulk(sent_entities)
        mutated: dict[str, list[JSON]] = {}
        assignments: dict[str, str] = {}
        touched: list[JSON] = []
        for sent in sent_entities:
            action, entity = self._upsert(sent, query)
            touched.append(entity)
            mutated.setdefault(action, []).append(self._header(entity))
            if str(sent.get("guid", "")).startswith("-"):
                assignments[str(sent["guid"])] = entity["guid"]
        for entity in touched:  # second pass: all targets exist now
            attrs = entity["attributes"]
            for name, value in attrs.items():
                attrs[name] = self._resolve_refs(value)
        return {"mutatedEntities": mutated, "guidAssignments": assignments}

    def _partial_update(self, type_name: str, qualified_name: str, body: JSON) -> JSON:
        entity = self._get_by_qn(type_name, qualified_name)
        sent = dict(body.get("entity") or {})
        attrs = {**(sent.get("attributes") or {}), "qualifiedName": qualified_name}
        self._validate_bulk([{**sent, "typeName": type_name, "attributes": attrs}])
        for name, value in (sent.get("attributes") or {}).items():
            if value is None:
                entity["attributes"].pop(name, None)
            else:
                entity["attributes"][name] = value
        return {"mutatedEntities": {"PARTIAL_UPDATE": [self._header(entity)]}}

    def _set_custom_metadata(self, guid: str, set_id: str, body: JSON) -> None:
        entity = self._get_by_guid(guid)
        self._check_business_attributes({set_id: body})
        self._merge_business(entity, {set_id: body})

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
        value = entity["attributes"].get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def _matches(self, entity: JSON, query: JSON) -> bool:
        (kind, spec), *_ = query.items()
        if kind == "bool":
            return (
                all(self._matches(entity, q) for q in _as_list(spec.get("filter")))
                and all(self._matches(entity, q) for q in _as_list(spec.get("must")))
                and not any(self._matches(entity, q) for q in _as_list(spec.get("must_not")))
                and (
                    not spec.get("should")
                    or any(self._matches(entity, q) for q in _as_list(spec.get("should")))
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

    def _search(self, body: JSON) -> JSON:
        dsl = body.get("dsl") or {}
        query = dsl.get("query") or {"match_all": {}}
        hits = [e for e in self._entities.values() if self._matches(e, query)]
        if dsl.get("post_filter"):
            hits = [e for e in hits if self._matches(e, dsl["post_filter"])]
        for sort in reversed(_as_list(dsl.get("sort"))):
            (field, order), *_ = sort.items()
            reverse = isinstance(order, dict) and order.get("order") == "desc"
            hits.sort(key=lambda e: [str(v) for v in self._field_values(e, field)], reverse=reverse)
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
            created: JSON = {key: [] for key in _CATEGORY_KEYS.values()}
            now = int(time.time() * 1000)
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
