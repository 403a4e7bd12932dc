"""``AtlanCatalogWriter``: the :class:`~worker.ports.CatalogWriter` on pyatlan.

One flush: read the current state of the affected assets in bulk (paged search), plan the
difference (:mod:`worker.atlan.plan`), send it in the phases Atlan requires (buckets, then
objects with their custom metadata, then tags with append semantics) in batches of at most
``batch_size`` assets. What s3-enricher wrote is remembered in the local catalog; what could
not be written goes to the durable outbox with its reason and is retried by
``enricher atlan flush`` and by every later scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from models import ObjectRef
from models.plan import CurrentObject, DesiredObject, EnrichmentPlan, ObjectPlan, WrittenState
from models.review import SuggestionView
from worker.atlan.client import atlan_errors, build_client, tag_changes
from worker.atlan.plan import (
    CM_ATTRIBUTES,
    bucket_qualified_name,
    object_qualified_name,
    plan_object,
    written_after,
)
from worker.catalog.sql import chunks
from worker.errors import CatalogRejected, CatalogUnavailable, CatalogWriteError
from worker.settings import AtlanSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)

#: Technical attributes read back to compute the difference.
_TECHNICAL = (
    "s3_object_size",
    "s3_e_tag",
    "s3_object_key",
    "s3_bucket_name",
    "cloud_uniform_resource_name",
    "s3_object_last_modified_time",
    "s3_object_content_type",
    "s3_object_storage_class",
    "s3_object_version_id",
    "aws_region",
)
_SEARCH_CHUNK = 50


class AtlanStateStore(Protocol):
    """What the writer keeps in the local catalog (see ``SqlLocalCatalog``)."""

    def written_states(self, qualified_names: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes to these assets."""
        ...

    def save_written_states(self, states: Sequence[WrittenState]) -> None:
        """Remember what was just written."""
        ...

    def outbox_put(self, desired: Sequence[DesiredObject], reason: str) -> None:
        """Keep writes that failed, with the reason."""
        ...

    def outbox_items(self) -> list[DesiredObject]:
        """Everything waiting in the outbox, oldest first."""
        ...

    def outbox_remove(self, object_uris: Sequence[str]) -> None:
        """Forget writes that finally succeeded."""
        ...

    def outbox_status(self) -> tuple[int, list[tuple[str, str, int]]]:
        """How many writes wait, and (object, reason, attempts) for the oldest."""
        ...

    def save_suggestions(self, plans: Sequence[ObjectPlan]) -> int:
        """Store the plans' suggestions (pending review); return how many are new."""
        ...


@dataclass(slots=True)
class WriteReport:
    """What one flush did: counts only."""

    objects: int = 0
    unchanged: int = 0
    created: int = 0
    updated: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    suggestions: int = 0
    requests: int = 0
    queued: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of ``enricher atlan check``."""

    name: str
    ok: bool
    message: str


def _plain(value: Any) -> Any:
    """Atlan's form of a value as we send it: pyatlan reads epoch-ms dates as datetimes."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value


class AtlanCatalogWriter:
    """Writes s3-enricher's results to Atlan with pyatlan; see the module docstring.

    :param settings: the ``atlan`` section of the settings.
    :param state: the local catalog (written state, outbox, suggestions).
    :param client: an ``AtlanClient``; built from ``settings`` on first use when ``None``.
    """

    def __init__(
        self, settings: AtlanSettings, state: AtlanStateStore, client: AtlanClient | None = None
    ) -> None:
        self.settings = settings
        self.state = state
        self._client = client
        self._connection_qn = settings.connection_qualified_name
        #: Called after every write request (a Celery flush uses it to keep its lock alive).
        self.on_request: Callable[[], None] | None = None

    @property
    def client(self) -> AtlanClient:
        """The pyatlan client (built lazily: importing pyatlan takes seconds)."""
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    # -- definitions ------------------------------------------------------------------------

    def tag_names(self) -> list[str]:
        """Every tag s3-enricher may apply: the umbrella tag and one per entity."""
        names = [self.settings.umbrella_tag] if self.settings.umbrella_tag else []
        names += [n for n in self.settings.tags.values() if n not in names]
        return names

    def init(self) -> list[str]:
        """Create the tags, the custom metadata set and the S3 connection where missing.

        Idempotent and safe when several workers run it at once: a conflict means another
        worker created the definition first, so the cache is refreshed and the run goes on.

        :returns: one line per definition saying whether it was created or already there.
        :raises CatalogWriteError: Atlan refused or is unavailable.
        """
        from pyatlan.errors import ConflictError
        from pyatlan.model.enums import AtlanTagColor
        from pyatlan.model.typedef import AtlanTagDef

        lines: list[str] = []
        client = self.client
        with atlan_errors("reading tag definitions"):
            client.atlan_tag_cache.refresh_cache()
        for name in self.tag_names():
            with atlan_errors(f"creating tag {name!r}"):
                if client.atlan_tag_cache.get_id_for_name(name) is not None:
                    lines.append(f"tag {name!r}: exists")
                    continue
                try:
                    color = AtlanTagColor[self.settings.tag_color]
                    client.typedef.create(AtlanTagDef.create(name=name, color=color))
                    lines.append(f"tag {name!r}: created")
                except ConflictError:
                    client.atlan_tag_cache.refresh_cache()
                    lines.append(f"tag {name!r}: created by another worker")
        lines.append(self._init_custom_metadata())
        lines.append(self._init_connection())
        return lines

    def _init_custom_metadata(self) -> str:
        from pyatlan.errors import ConflictError, NotFoundError
        from pyatlan.model.enums import AtlanCustomAttributePrimitiveType as Prim
        from pyatlan.model.typedef import AttributeDef, CustomMetadataDef

        client = self.client
        name = self.settings.custom_metadata_set
        with atlan_errors("reading custom metadata definitions"):
            client.custom_metadata_cache.refresh_cache()
            types = {"string": Prim.STRING, "int": Prim.INTEGER, "date": Prim.DATE}
            try:
                client.custom_metadata_cache.get_id_for_name(name)
            except NotFoundError:
                pass
            else:
                # An older s3-enricher created the set: add the attributes it lacks.
                existing = client.custom_metadata_cache.get_custom_metadata_def(name)
                have = {a.display_name for a in existing.attribute_defs or []}
                missing = [a for a in CM_ATTRIBUTES if a not in have]
                if not missing:
                    return f"custom metadata {name!r}: exists"
                existing.attribute_defs = list(existing.attribute_defs or []) + [
                    AttributeDef.create(
                        client=client,
                        display_name=attr,
                        attribute_type=types[CM_ATTRIBUTES[attr][0]],
                        multi_valued=CM_ATTRIBUTES[attr][1],
                    )
                    for attr in missing
                ]
                client.typedef.update(existing)
                return f"custom metadata {name!r}: added {', '.join(missing)}"
            cm = CustomMetadataDef.create(display_name=name)
            cm.attribute_defs = [
                AttributeDef.create(
                    client=client,
                    display_name=attr,
                    attribute_type=types[kind],
                    multi_valued=multi,
                )
                for attr, (kind, multi) in CM_ATTRIBUTES.items()
            ]
            try:
                client.typedef.create(cm)
                return f"custom metadata {name!r}: created"
            except ConflictError:
                client.custom_metadata_cache.refresh_cache()
                return f"custom metadata {name!r}: created by another worker"

    def _find_connection(self) -> str | None:
        from pyatlan.errors import NotFoundError
        from pyatlan.model.enums import AtlanConnectorType

        with atlan_errors("looking up the S3 connection"):
            try:
                found = self.client.asset.find_connections_by_name(
                    name=self.settings.connection_name, connector_type=AtlanConnectorType.S3
                )
            except NotFoundError:
                return None
        names = sorted(str(c.qualified_name) for c in found if c.qualified_name)
        # Two workers racing may both create one: everyone settles on the oldest.
        return names[0] if names else None

    def _init_connection(self) -> str:
        from pyatlan.model.assets import Connection
        from pyatlan.model.enums import AtlanConnectorType

        if self.settings.connection_qualified_name:
            return f"connection {self.settings.connection_qualified_name}: configured"
        existing = self._find_connection()
        if existing is not None:
            self._connection_qn = existing
            return f"connection {existing}: exists"
        client = self.client
        with atlan_errors("creating the S3 connection"):
            admin = client.role_cache.get_id_for_name("$admin")
            conn = Connection.creator(
                client=client,
                name=self.settings.connection_name,
                connector_type=AtlanConnectorType.S3,
                admin_roles=[admin] if admin else None,
            )
            client.asset.save(conn)
        self._connection_qn = self._find_connection()
        return f"connection {self._connection_qn}: created"

    def connection_qualified_name(self) -> str:
        """The S3 connection's qualified name (configured, or looked up once).

        :raises CatalogRejected: there is none: run ``enricher atlan init``.
        """
        if self._connection_qn is None:
            self._connection_qn = self._find_connection()
        if self._connection_qn is None:
            raise CatalogRejected(
                f"no S3 connection named {self.settings.connection_name!r} in Atlan: run "
                "`enricher atlan init` (or set atlan.connection_qualified_name)"
            )
        return self._connection_qn

    def check(self) -> list[CheckResult]:
        """Connectivity, permissions and definitions, one result each (never raises)."""
        results: list[CheckResult] = []
        try:
            with atlan_errors("reading type definitions"):
                self.client.atlan_tag_cache.refresh_cache()
            results.append(CheckResult("connectivity", True, "Atlan answered; API key accepted"))
        except Exception as exc:  # check() reports, it never raises
            message = exc.message if isinstance(exc, CatalogWriteError) else str(exc)
            results.append(CheckResult("connectivity", False, message))
            return results
        missing = [
            n for n in self.tag_names() if self.client.atlan_tag_cache.get_id_for_name(n) is None
        ]
        results.append(
            CheckResult(
                "tags",
                not missing,
                "all tag definitions exist"
                if not missing
                else f"missing tags: {', '.join(missing)} (run `enricher atlan init`)",
            )
        )
        try:
            from pyatlan.errors import NotFoundError

            with atlan_errors("reading custom metadata definitions"):
                self.client.custom_metadata_cache.refresh_cache()
                try:
                    attrs = self.client.custom_metadata_cache.get_attributes_for_search_results(
                        self.settings.custom_metadata_set
                    )
                    ok, msg = (
                        True,
                        f"custom metadata set {self.settings.custom_metadata_set!r} exists",
                    )
                    if attrs is None:
                        ok, msg = False, "custom metadata set has no attributes"
                except NotFoundError:
                    ok, msg = (
                        False,
                        f"custom metadata set {self.settings.custom_metadata_set!r} is missing "
                        "(run `enricher atlan init`)",
                    )
            results.append(CheckResult("custom metadata", ok, msg))
        except CatalogWriteError as exc:
            results.append(CheckResult("custom metadata", False, exc.message))
        try:
            qn = self.connection_qualified_name()
            results.append(CheckResult("connection", True, f"S3 connection {qn}"))
        except CatalogWriteError as exc:
            results.append(CheckResult("connection", False, exc.message))
        return results

    # -- reading and planning -----------------------------------------------------------------

    def _current(self, qualified_names: Sequence[str]) -> dict[str, CurrentObject]:
        from pyatlan.model.assets import S3Object
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        found: dict[str, CurrentObject] = {}
        # pyatlan names the search fields without the underscore after "S3" (S3OBJECT_SIZE).
        fields = [getattr(S3Object, a.upper().replace("S3_", "S3", 1)) for a in _TECHNICAL]
        for chunk in chunks(list(qualified_names), _SEARCH_CHUNK):
            search = (
                FluentSearch()
                .where(CompoundQuery.active_assets())
                .where(CompoundQuery.asset_type(S3Object))
                .where(S3Object.QUALIFIED_NAME.within(list(chunk)))
                .include_on_results(S3Object.DESCRIPTION)
                .include_on_results(S3Object.USER_DESCRIPTION)
                .include_on_results(S3Object.ATLAN_TAGS)
                .page_size(_SEARCH_CHUNK)
            )
            for f in fields:
                search = search.include_on_results(f)
            with atlan_errors("reading S3 objects"):
                for asset in search.execute(client=self.client):
                    qn = str(asset.qualified_name)
                    direct = frozenset(
                        str(tag.type_name)
                        for tag in (asset.atlan_tags or [])
                        if tag.entity_guid in (None, asset.guid)
                    )
                    attrs = {a: _plain(getattr(asset, a, None)) for a in _TECHNICAL}
                    found[qn] = CurrentObject(
                        qualified_name=qn,
                        guid=str(asset.guid),
                        attributes={k: v for k, v in attrs.items() if v is not None},
                        description=asset.description,
                        user_description=asset.user_description,
                        direct_tags=direct,
                    )
        return found

    def _existing_buckets(self, qualified_names: Sequence[str]) -> set[str]:
        from pyatlan.model.assets import S3Bucket
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        found: set[str] = set()
        for chunk in chunks(list(qualified_names), _SEARCH_CHUNK):
            search = (
                FluentSearch()
                .where(CompoundQuery.active_assets())
                .where(CompoundQuery.asset_type(S3Bucket))
                .where(S3Bucket.QUALIFIED_NAME.within(list(chunk)))
                .page_size(_SEARCH_CHUNK)
            )
            with atlan_errors("reading S3 buckets"):
                found |= {str(a.qualified_name) for a in search.execute(client=self.client)}
        return found

    def plan(self, desired: Sequence[DesiredObject]) -> EnrichmentPlan:
        """Read what Atlan has for ``desired`` and plan only the difference.

        :raises CatalogWriteError: Atlan could not be read.
        """
        conn = self.connection_qualified_name()
        plan = EnrichmentPlan(connection_qualified_name=conn)
        qns = [object_qualified_name(conn, d.bucket, d.key) for d in desired]
        current = self._current(qns) if qns else {}
        written = self.state.written_states(qns)
        for d, qn in zip(desired, qns, strict=True):
            plan.objects.append(
                plan_object(
                    d,
                    current.get(qn),
                    written.get(qn),
                    conn,
                    self.settings.auto_remove,
                    managed_tags=frozenset(self.tag_names()),
                    umbrella=self.settings.umbrella_tag or None,
                )
            )
            plan.buckets[bucket_qualified_name(conn, d.bucket)] = d.bucket
        creating = [o for o in plan.objects if o.create]
        if creating:
            needed = sorted({o.bucket_qualified_name for o in creating})
            plan.new_buckets = set(needed) - self._existing_buckets(needed)
        return plan

    # -- writing ------------------------------------------------------------------------------

    def write(self, desired: Sequence[DesiredObject]) -> WriteReport:
        """Plan and apply ``desired``; what fails goes to the outbox (never raised).

        A :class:`CatalogUnavailable` stops the flush (Atlan is down: the rest would fail too)
        and queues everything not yet written; a :class:`CatalogRejected` chunk is queued
        with its reason and the flush goes on with the next chunk.
        """
        report = WriteReport(objects=len(desired))
        if not desired:
            return report
        by_uri = {d.object_uri: d for d in desired}
        try:
            plan = self.plan(desired)
        except CatalogWriteError as exc:
            self.state.outbox_put(desired, exc.message)
            report.queued, report.error = len(desired), exc.message
            return report
        report.suggestions = self.state.save_suggestions(plan.objects)
        self._apply(plan, by_uri, report)
        return report

    def flush(self) -> WriteReport:
        """Retry everything in the outbox (oldest first); succeeded items leave it."""
        items = self.state.outbox_items()
        report = self.write(items)
        return report

    def _apply(
        self, plan: EnrichmentPlan, by_uri: dict[str, DesiredObject], report: WriteReport
    ) -> None:
        from pyatlan.model.assets import S3Bucket

        size = self.settings.batch_size
        conn = plan.connection_qualified_name
        uri_of = {object_qualified_name(conn, d.bucket, d.key): u for u, d in by_uri.items()}
        pending = list(plan.objects)
        report.unchanged = sum(1 for o in pending if o.empty)
        for o in pending:
            report.notes.extend(f"{o.qualified_name}: {s}" for s in o.skipped)
        try:
            buckets = [
                S3Bucket.creator(name=plan.buckets[qn], connection_qualified_name=conn)
                for qn in sorted(plan.new_buckets)
            ]
            for chunk in chunks(buckets, size):
                with atlan_errors("registering S3 buckets"):
                    self.client.asset.save(list(chunk))
                self._sent(report)
            asset_writes = [o for o in pending if o.asset_write]
            for chunk in chunks(asset_writes, size):
                self._save_objects(conn, chunk)
                self._sent(report)
                report.created += sum(1 for o in chunk if o.create)
                report.updated += sum(1 for o in chunk if not o.create)
                # Tags come next; remember what is done so far only when they are too.
            tag_writes = [o for o in pending if o.tag_write]
            for chunk in chunks(tag_writes, size):
                self._save_tags(chunk)
                self._sent(report)
                report.tags_added += sum(len(o.add_tags) for o in chunk)
                report.tags_removed += sum(len(o.remove_tags) for o in chunk)
        except CatalogWriteError as exc:
            failed = [uri_of[o.qualified_name] for o in pending if not o.empty]
            self.state.outbox_put([by_uri[u] for u in failed], exc.message)
            report.queued, report.error = len(failed), exc.message
            # What was not written must not be remembered as written.
            done = [o for o in pending if o.empty]
            self._remember(done, by_uri, uri_of)
            self.state.outbox_remove([uri_of[o.qualified_name] for o in done])
            return
        self._remember(pending, by_uri, uri_of)
        self.state.outbox_remove([uri_of[o.qualified_name] for o in pending])

    def apply_decisions(
        self, approved: Sequence[SuggestionView], reviewer: dict[int, str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        """Write approved suggestions to Atlan: tags appended, removals, terms, categories.

        Objects not yet in Atlan are left for later (their next scan writes the approved tags,
        since the policy applies approved decisions). Never raises for a refusal.

        :returns: (ids Atlan confirmed, {id: why it was not applied}).
        """
        from pyatlan.model.assets import AtlasGlossaryTerm, S3Object
        from pyatlan.model.enums import SaveSemantic

        failed: dict[int, str] = {}
        done: list[int] = []
        if not approved:
            return done, failed
        try:
            conn = self.connection_qualified_name()
            by_qn: dict[str, list[SuggestionView]] = {}
            for s in approved:
                ref = ObjectRef.parse(s.object_uri)
                by_qn.setdefault(object_qualified_name(conn, ref.bucket, ref.key), []).append(s)
            current = self._current(list(by_qn))
        except CatalogWriteError as exc:
            return done, {s.id: exc.message for s in approved}
        tag_updates: list[tuple[Any, list[int]]] = []
        cm_updates: list[tuple[Any, list[int]]] = []
        for qn, items in sorted(by_qn.items()):
            if qn not in current:
                for s in items:
                    failed[s.id] = "the object is not in Atlan yet: its next scan writes it"
                continue
            name = qn.rsplit("/", 1)[-1]
            add_set = {s.tag for s in items if s.kind == "tag"}
            if add_set and self.settings.umbrella_tag:
                add_set.add(self.settings.umbrella_tag)
            add = sorted(add_set)
            remove = sorted({s.tag for s in items if s.kind == "tag-removal"})
            terms = sorted({s.tag for s in items if s.kind == "term"})
            categories = [s for s in items if s.kind == "category"]
            ids = [s.id for s in items if s.kind != "category"]
            if add or remove or terms:
                u = S3Object.updater(qualified_name=qn, name=name)
                tag_changes(u, add, remove, self.settings.propagate)
                if terms:
                    u.assigned_terms = [
                        AtlasGlossaryTerm.ref_by_qualified_name(t, semantic=SaveSemantic.APPEND)
                        for t in terms
                    ]
                tag_updates.append((u, ids))
            if categories:
                top = categories[-1]
                u = S3Object.updater(qualified_name=qn, name=name)
                who = (reviewer or {}).get(top.id) or "a steward"
                with atlan_errors("preparing custom metadata"):
                    cma = u.get_custom_metadata(
                        client=self.client, name=self.settings.custom_metadata_set
                    )
                    cma["Category"] = f"{top.tag} (confirmed by a steward)"
                    cma["Reviewed by"] = who
                    u.set_custom_metadata(client=self.client, custom_metadata=cma)
                cm_updates.append((u, [c.id for c in categories]))
        for batch, label, merging in (
            (tag_updates, "applying approved suggestions", False),
            (cm_updates, "confirming categories", True),
        ):
            for chunk in chunks(batch, self.settings.batch_size):
                assets = [a for a, _ in chunk]
                chunk_ids = [i for _, ids in chunk for i in ids]
                try:
                    with atlan_errors(label):
                        if merging:
                            self.client.asset.save_merging_cm(assets)
                        else:
                            self.client.asset.save(assets, append_atlan_tags=True)
                except CatalogWriteError as exc:
                    failed.update({i: exc.message for i in chunk_ids})
                    continue
                self._on_request_sent()
                done.extend(chunk_ids)
        # Tags s3-enricher applied on a steward's word are its own from now on.
        if done:
            applied = {s.id: s for s in approved}
            per_qn: dict[str, tuple[set[str], set[str]]] = {}
            for sid in done:
                s = applied[sid]
                ref = ObjectRef.parse(s.object_uri)
                qn = object_qualified_name(conn, ref.bucket, ref.key)
                adds, removes = per_qn.setdefault(qn, (set(), set()))
                if s.kind == "tag":
                    adds.add(s.tag)
                    if self.settings.umbrella_tag:
                        adds.add(self.settings.umbrella_tag)
                elif s.kind == "tag-removal":
                    removes.add(s.tag)
            before = self.state.written_states(list(per_qn))
            states = []
            for qn, (adds, removes) in per_qn.items():
                if not adds and not removes:
                    continue
                old = before.get(qn) or WrittenState(qn)
                states.append(
                    WrittenState(
                        qn,
                        old.description_hash,
                        frozenset((set(old.tags) | adds) - removes),
                        old.custom_metadata_hash,
                    )
                )
            if states:
                self.state.save_written_states(states)
        return done, failed

    def _on_request_sent(self) -> None:
        if self.on_request is not None:
            self.on_request()

    def archive(self, bucket: str, key: str) -> bool:
        """Archive (soft-delete) the object's asset in Atlan; never a hard delete.

        :returns: whether an active asset was archived (``False``: none existed).
        :raises CatalogWriteError: Atlan refused or is unavailable.
        """
        qn = object_qualified_name(self.connection_qualified_name(), bucket, key)
        current = self._current([qn]).get(qn)
        if current is None:
            return False
        with atlan_errors("archiving an S3 object"):
            self.client.asset.delete_by_guid(current.guid)
        return True

    def _sent(self, report: WriteReport) -> None:
        report.requests += 1
        self._on_request_sent()

    def _remember(
        self, plans: Sequence[ObjectPlan], by_uri: dict[str, DesiredObject], uri_of: dict[str, str]
    ) -> None:
        if not plans:
            return
        before = self.state.written_states([o.qualified_name for o in plans])
        self.state.save_written_states(
            [
                written_after(o, by_uri[uri_of[o.qualified_name]], before.get(o.qualified_name))
                for o in plans
            ]
        )

    def _save_objects(self, conn: str, chunk: Sequence[ObjectPlan]) -> None:
        from pyatlan.model.assets import S3Object

        assets = []
        for o in chunk:
            if o.create:
                asset = S3Object.creator_with_prefix(
                    name=o.name,
                    connection_qualified_name=conn,
                    prefix=o.prefix,
                    s3_bucket_name=o.bucket,
                    s3_bucket_qualified_name=o.bucket_qualified_name,
                )
            else:
                asset = S3Object.updater(qualified_name=o.qualified_name, name=o.name)
            for attr, value in o.attributes.items():
                setattr(asset, attr, value)
            if o.description is not None:
                asset.description = o.description  # never user_description
            if o.custom_metadata is not None:
                with atlan_errors("preparing custom metadata"):
                    cma = asset.get_custom_metadata(
                        client=self.client, name=self.settings.custom_metadata_set
                    )
                    for key, value in o.custom_metadata.items():
                        cma[key] = value
                    asset.set_custom_metadata(client=self.client, custom_metadata=cma)
            assets.append(asset)
        with atlan_errors("writing S3 objects"):
            if any(o.custom_metadata is not None for o in chunk):
                self.client.asset.save_merging_cm(assets)
            else:
                self.client.asset.save(assets)

    def _save_tags(self, chunk: Sequence[ObjectPlan]) -> None:
        from pyatlan.model.assets import S3Object

        updates = []
        for o in chunk:
            u = S3Object.updater(qualified_name=o.qualified_name, name=o.name)
            updates.append(tag_changes(u, o.add_tags, o.remove_tags, self.settings.propagate))
        with atlan_errors("tagging S3 objects"):
            self.client.asset.save(updates, append_atlan_tags=True)


__all__ = ["AtlanCatalogWriter", "CatalogUnavailable", "CheckResult", "WriteReport"]
