"""``AtlanCatalogWriter``: the :class:`~worker.core.ports.CatalogWriter` port on pyatlan.

One flush: read the current state of the affected assets in bulk (paged search), plan the
difference (:mod:`worker.core.plan.desired`), send it in the phases Atlan requires (buckets, then
objects with their custom metadata, then tags with append semantics) in batches of at most
``batch_size`` assets. What s3-enricher wrote is remembered in the local catalog; what could
not be written goes to the durable outbox with its reason and is retried by
``enricher atlan flush`` and by every later scan.

How it copes with the real Atlan (each one a test against ``tests/support/atlan_server.py``):

* **Search is near-real-time.** What s3-enricher wrote is known from the write responses and
  the local catalog, never from a search straight after the write (see
  :func:`~worker.core.plan.desired.search_speaks_for`). Archiving reads the asset by qualified
  name (the graph, which is consistent), not from search.
* **Archived assets** are restored (the write carries ``status: ACTIVE``) when the object
  exists again; a plain upsert would update the archived asset and leave it archived.
* **Stale pyatlan caches** (a tag re-created by an admin, a custom metadata attribute added by
  another process): the caches are refreshed and the write retried once; a definition that
  is still missing is a :class:`~worker.core.errors.CatalogDefinitionMissing`, never a
  ``KeyError``.
* **One bad asset does not sink its batch.** A rejected or forbidden (403) batch is split in
  halves until the offending assets stand alone; they go to the outbox with their reason and
  the others land.
* **Gateways and throttling** (502 pages, empty 504s, 429s) are retryable and the flush stops
  with the ``Retry-After`` Atlan asked for.
* **Names**: qualified names come from :class:`~worker.core.plan.naming.S3Naming` (pyatlan's own
  helpers); an asset of the same object under another name (Atlan's S3 crawler, the other
  naming) is updated instead of duplicated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from models import ObjectRef
from models.plan import (
    CurrentObject,
    DesiredObject,
    EnrichmentPlan,
    ObjectPlan,
    WriteReport,
    WrittenState,
)
from models.review import SuggestionView
from worker.adapters.atlan.asset_fields import AssetFields, save_assets
from worker.adapters.atlan.batches import bulk_save, save_refreshing, send_isolating
from worker.adapters.atlan.client import (
    assigned_guids,
    atlan_errors,
    build_client,
    install_response_hooks,
    tag_changes,
)
from worker.adapters.atlan.connection import ConnectionRegistry, ConnectionStore
from worker.adapters.atlan.lookup import find_buckets, find_objects, plain, read_asset
from worker.core.errors import (
    CatalogAuthError,
    CatalogDefinitionMissing,
    CatalogRejected,
    CatalogUnavailable,
    CatalogWriteError,
)
from worker.core.plan.cm_values import missing_attributes
from worker.core.plan.desired import CM_ATTRIBUTES, plan_object, written_after
from worker.core.plan.naming import S3Naming, bucket_arn, object_arn
from worker.core.settings import AtlanSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)

#: The Atlan type of a dataset's asset (see :mod:`worker.adapters.atlan.datasets`).
DATASET_ASSET_TYPE = "S3Prefix"

_T = TypeVar("_T")


class AtlanStateStore(ConnectionStore, Protocol):
    """What the writer keeps in the local catalog (see ``SqlAtlanState``)."""

    def written_states(self, qualified_names: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes to these assets."""
        ...

    def written_by_uri(self, object_uris: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes, by the object (or ``s3://bucket``) they stand for."""
        ...

    def written_under(self, uri_prefix: str) -> list[WrittenState]:
        """The objects s3-enricher wrote whose URI starts with ``uri_prefix``."""
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


def _asset_name(current: CurrentObject | None, written: WrittenState | None) -> str | None:
    """The asset an object already has, or ``None``.

    As search shows it (a crawled asset's name wins), else as s3-enricher wrote it (search
    may not show it yet).
    """
    if current is not None:
        return current.qualified_name
    return written.qualified_name if written is not None else None


class AtlanCatalogWriter:
    """Writes s3-enricher's results to Atlan with pyatlan; see the module docstring.

    :param settings: the ``atlan`` section of the settings.
    :param state: the local catalog (written state, outbox, suggestions, connection).
    :param client: an ``AtlanClient``; built from ``settings`` on first use when ``None``.
    :param clock: the current time (tests share one with the test server).
    """

    def __init__(
        self,
        settings: AtlanSettings,
        state: AtlanStateStore,
        client: AtlanClient | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self._client = client
        if client is not None:
            install_response_hooks(client)
        self.connections = ConnectionRegistry(lambda: self.client, settings, state)
        self.clock = clock or (lambda: datetime.now(UTC))
        #: Values left out of the custom metadata during the current write (see report).
        self._fields = AssetFields(lambda: self.client, settings.custom_metadata_set)
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

    def refresh_definitions(self) -> None:
        """Reload pyatlan's tag and custom metadata caches (another client changed them).

        :raises CatalogWriteError: Atlan could not be read.
        """
        with atlan_errors("reading tag and custom metadata definitions"):
            self.client.atlan_tag_cache.refresh_cache()
            self.client.custom_metadata_cache.refresh_cache()

    def init(self) -> list[str]:
        """Create the tags, the custom metadata set and the S3 connection where missing.

        Idempotent and safe when several workers run it at once: a conflict means another
        worker created the definition first, so the cache is refreshed and the run goes on;
        the connection is claimed in the local catalog so that one worker creates it.

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
        lines.append(self.connections.ensure())
        return lines

    def _init_custom_metadata(self) -> str:
        from pyatlan.errors import ConflictError, NotFoundError
        from pyatlan.model.enums import AtlanCustomAttributePrimitiveType as Prim
        from pyatlan.model.typedef import AttributeDef, CustomMetadataDef, _complete_type_list

        client = self.client
        name = self.settings.custom_metadata_set
        # pyatlan's default list of asset types an attribute applies to (what Atlan's UI
        # offers it on; private, but pyatlan==11.6.0 is pinned) has S3Object and S3Bucket
        # but not S3Prefix, the datasets' type.
        applicable = {*_complete_type_list, DATASET_ASSET_TYPE}
        with atlan_errors("reading custom metadata definitions"):
            client.custom_metadata_cache.refresh_cache()
            types = {"string": Prim.STRING, "int": Prim.INTEGER, "date": Prim.DATE}
            try:
                client.custom_metadata_cache.get_id_for_name(name)
            except NotFoundError:
                pass
            else:
                # An older s3-enricher created the set: add the attributes it lacks, and make
                # every attribute applicable to dataset assets (S3Prefix) too.
                existing = client.custom_metadata_cache.get_custom_metadata_def(name)
                missing = missing_attributes(existing, CM_ATTRIBUTES)
                # A restricted list without S3Prefix is widened; no list means no restriction.
                widened = [
                    a
                    for a in existing.attribute_defs or []
                    if (types_ := set(a.applicable_asset_types or ()))
                    and DATASET_ASSET_TYPE not in types_
                ]
                if not missing and not widened:
                    return f"custom metadata {name!r}: exists"
                for a in widened:
                    a.applicable_asset_types = {
                        *(a.applicable_asset_types or ()),
                        DATASET_ASSET_TYPE,
                    }
                existing.attribute_defs = list(existing.attribute_defs or []) + [
                    AttributeDef.create(
                        client=client,
                        display_name=attr,
                        attribute_type=types[CM_ATTRIBUTES[attr][0]],
                        multi_valued=CM_ATTRIBUTES[attr][1],
                        applicable_asset_types=applicable,
                    )
                    for attr in missing
                ]
                client.typedef.update(existing)
                done = [f"added {', '.join(missing)}"] if missing else []
                done += [f"applicable to {DATASET_ASSET_TYPE}"] if widened else []
                return f"custom metadata {name!r}: {'; '.join(done)}"
            cm = CustomMetadataDef.create(display_name=name)
            cm.attribute_defs = [
                AttributeDef.create(
                    client=client,
                    display_name=attr,
                    attribute_type=types[kind],
                    multi_valued=multi,
                    applicable_asset_types=applicable,
                )
                for attr, (kind, multi) in CM_ATTRIBUTES.items()
            ]
            try:
                client.typedef.create(cm)
                return f"custom metadata {name!r}: created"
            except ConflictError:
                client.custom_metadata_cache.refresh_cache()
                return f"custom metadata {name!r}: created by another worker"

    def connection_qualified_name(self) -> str:
        """The S3 connection's qualified name (configured, remembered, or looked up once).

        :raises CatalogRejected: there is none: run ``enricher atlan init``.
        """
        qn = self.connections.known()
        if qn is None:
            raise CatalogRejected(
                f"no S3 connection named {self.settings.connection_name!r} in Atlan: run "
                "`enricher atlan init` (or set atlan.connection_qualified_name)"
            )
        return qn

    def naming(self) -> S3Naming:
        """Qualified names in the S3 connection under ``atlan.s3_naming``."""
        return S3Naming(self.connection_qualified_name(), self.settings.s3_naming)

    def object_qualified_name(self, bucket: str, key: str) -> str:
        """The object's asset: the one s3-enricher wrote (even if adopted), else by naming."""
        uri = ObjectRef(f"s3://{bucket}/{key}").uri
        known = self.state.written_by_uri([uri]).get(uri)
        return known.qualified_name if known is not None else self.naming().object(bucket, key)

    # -- reading and planning -----------------------------------------------------------------

    def _buckets(self, names: Sequence[str], naming: S3Naming) -> dict[str, str]:
        """Buckets in Atlan: name -> qualified name.

        Ours come from the local catalog (search may not show a bucket registered moments
        ago), the others from search (crawled ones).
        """
        found: dict[str, str] = {}
        known = self.state.written_by_uri([f"s3://{n}" for n in names])
        for n in names:
            mine = known.get(f"s3://{n}")
            if mine is not None and mine.status != "DELETED":
                found[n] = mine.qualified_name
        wanted = [n for n in names if n not in found]
        return {**(find_buckets(self.client, wanted, naming) if wanted else {}), **found}

    def plan(self, desired: Sequence[DesiredObject]) -> EnrichmentPlan:
        """Read what Atlan has for ``desired`` and plan only the difference.

        :raises CatalogWriteError: Atlan could not be read.
        """
        naming = self.naming()
        conn = naming.connection_qn
        plan = EnrichmentPlan(connection_qualified_name=conn)
        pairs = [(d.bucket, d.key) for d in desired]
        current = find_objects(self.client, pairs, naming) if pairs else {}
        written = self.state.written_by_uri([d.object_uri for d in desired])
        buckets = self._buckets(sorted({d.bucket for d in desired}), naming) if desired else {}
        now = self.clock()
        managed = frozenset(self.tag_names())
        for d in desired:
            cur = current.get((d.bucket, d.key))
            mine = written.get(d.object_uri)
            qn = _asset_name(cur, mine) or naming.object(d.bucket, d.key)
            if mine is not None and mine.qualified_name != qn:
                mine = None  # it was written under another name: not this asset's history
            if mine is not None:
                plan.written[qn] = mine
            bucket_qn = buckets.get(d.bucket) or naming.bucket(d.bucket)
            planned = plan_object(
                d,
                cur,
                mine,
                qualified_name=qn,
                bucket_qualified_name=bucket_qn,
                auto_remove=self.settings.auto_remove,
                managed_tags=managed,
                umbrella=self.settings.umbrella_tag or None,
                now=now,
                search_lag_s=self.settings.search_lag_s,
            )
            planned.adopted = qn != naming.object(d.bucket, d.key)
            plan.objects.append(planned)
            plan.buckets[bucket_qn] = d.bucket
        plan.new_buckets = {
            o.bucket_qualified_name for o in plan.objects if o.create and o.bucket not in buckets
        }
        return plan

    # -- writing ------------------------------------------------------------------------------

    def write(self, desired: Sequence[DesiredObject]) -> WriteReport:
        """Plan and apply ``desired``; what fails goes to the outbox (never raised).

        A :class:`CatalogUnavailable` or :class:`CatalogAuthError` stops the flush (the rest
        would fail too) and queues everything not yet written; a rejected or forbidden asset
        is queued alone with its reason while the others land.
        """
        report = WriteReport(objects=len(desired))
        if not desired:
            return report
        by_uri = {d.object_uri: d for d in desired}
        try:
            plan = self.plan(list(by_uri.values()))
        except CatalogWriteError as exc:
            self.state.outbox_put(desired, exc.message)
            report.queued, report.error = len(desired), exc.message
            report.retry_after_s = getattr(exc, "retry_after_s", None)
            return report
        report.suggestions = self.state.save_suggestions(plan.objects)
        self._apply(plan, by_uri, report)
        return report

    def flush(self) -> WriteReport:
        """Retry everything in the outbox (oldest first); succeeded items leave it."""
        return self.write(self.state.outbox_items())

    def _apply(
        self, plan: EnrichmentPlan, by_uri: dict[str, DesiredObject], report: WriteReport
    ) -> None:
        pending = list(plan.objects)
        report.unchanged = sum(1 for o in pending if o.empty)
        report.adopted = sum(1 for o in pending if o.adopted)
        for o in pending:
            report.notes.extend(f"{o.qualified_name}: {s}" for s in o.skipped)
        before = dict(plan.written)
        failed: dict[str, str] = {}  # object URI -> reason
        finished: list[str] = [o.object_uri for o in pending if o.empty]
        try:
            self._write_buckets(plan, pending, failed, report)
            asset_writes = [o for o in pending if o.asset_write and o.object_uri not in failed]
            done, rejected = self._send(
                asset_writes, self._object_asset, self._save_assets, "writing S3 objects", report
            )
            states = []
            now = self.clock()
            for o, guid in done:
                states.append(
                    written_after(
                        o,
                        by_uri[o.object_uri],
                        before.get(o.qualified_name),
                        guid=guid,
                        now=now,
                        tags_written=False,
                    )
                )
                if o.restore:
                    report.restored += 1
                elif o.create:
                    report.created += 1
                else:
                    report.updated += 1
            self.state.save_written_states(states)
            before.update({s.qualified_name: s for s in states})
            failed.update({o.object_uri: r for o, r in rejected})
            tag_writes = [o for o in pending if o.tag_write and o.object_uri not in failed]
            tagged, rejected = self._send(
                tag_writes,
                self._tag_asset,
                lambda assets: bulk_save(self.client, assets, append_atlan_tags=True),
                "tagging S3 objects",
                report,
            )
            now = self.clock()
            self.state.save_written_states(
                [
                    written_after(
                        o,
                        by_uri[o.object_uri],
                        before.get(o.qualified_name),
                        now=now,
                        asset_written=False,
                    )
                    for o, _ in tagged
                ]
            )
            for o, _ in tagged:
                report.tags_added += len(o.add_tags)
                report.tags_removed += len(o.remove_tags)
            failed.update({o.object_uri: r for o, r in rejected})
            finished += [
                o.object_uri for o in pending if not o.empty and o.object_uri not in failed
            ]
        except (CatalogUnavailable, CatalogAuthError, CatalogDefinitionMissing) as exc:
            # Atlan is down, the key is refused, or a definition is missing: the rest would
            # fail the same way. Everything not finished waits in the outbox.
            report.error = exc.message
            report.retry_after_s = getattr(exc, "retry_after_s", None)
            unfinished = [
                o.object_uri
                for o in pending
                if not o.empty and o.object_uri not in failed and o.object_uri not in finished
            ]
            failed.update({u: exc.message for u in unfinished})
        reasons: dict[str, list[str]] = {}
        for uri, reason in failed.items():
            reasons.setdefault(reason, []).append(uri)
        for reason, uris in reasons.items():
            self.state.outbox_put([by_uri[u] for u in uris], reason)
        report.warnings.extend(self._fields.take_warnings())
        report.rejected = {u: r for u, r in failed.items() if r != report.error}
        report.queued = len(failed)
        self.state.outbox_remove([u for u in finished if u not in failed])

    def _write_buckets(
        self,
        plan: EnrichmentPlan,
        pending: Sequence[ObjectPlan],
        failed: dict[str, str],
        report: WriteReport,
    ) -> None:
        """Register the new buckets; objects whose bucket Atlan refused fail with it."""
        new = sorted(plan.new_buckets)
        if not new:
            return
        sent, refused = self._send(
            new,
            lambda qn: self._bucket_asset(qn, plan.buckets[qn], plan.connection_qualified_name),
            lambda assets: bulk_save(self.client, assets),
            "registering S3 buckets",
            report,
        )
        now = self.clock()
        self.state.save_written_states(
            [
                WrittenState(qn, guid=guid, written_at=now, object_uri=f"s3://{plan.buckets[qn]}")
                for qn, guid in sent
            ]
        )
        rejected = dict(refused)
        for o in pending:
            if o.bucket_qualified_name in rejected:
                failed[o.object_uri] = (
                    f"its bucket could not be registered: {rejected[o.bucket_qualified_name]}"
                )

    def _bucket_asset(self, qn: str, name: str, conn: str) -> Any:
        from pyatlan.model.assets import S3Bucket

        if self.settings.s3_naming == "arn":
            bucket = S3Bucket.creator(
                name=name, connection_qualified_name=conn, aws_arn=bucket_arn(name)
            )
        else:
            bucket = S3Bucket.creator(name=name, connection_qualified_name=conn)
        bucket.qualified_name = qn  # an adopted name stays as Atlan has it
        return bucket

    def _send(
        self,
        items: Sequence[_T],
        build: Callable[[_T], Any],
        save: Callable[[list[Any]], Any],
        operation: str,
        report: WriteReport,
    ) -> tuple[list[tuple[_T, str | None]], list[tuple[_T, str]]]:
        """Send ``items`` in batches; a rejected batch is split until the bad items stand alone.

        :returns: ((item, its guid from the response if any), (item, why Atlan refused it)).
        :raises CatalogUnavailable: Atlan is unavailable (stops at once).
        :raises CatalogAuthError: the API key is refused.
        :raises CatalogDefinitionMissing: a tag or attribute is undefined even after a refresh.
        """

        def send(batch: list[_T]) -> list[str | None]:
            response, assets = self._save_fresh(batch, build, save, operation, report)
            return assigned_guids(response, assets)

        sent, refused = send_isolating(items, self.settings.batch_size, send)
        return sent, [(item, exc.message) for item, exc in refused]

    def _save_fresh(
        self,
        chunk: Sequence[_T],
        build: Callable[[_T], Any],
        save: Callable[[list[Any]], Any],
        operation: str,
        report: WriteReport,
    ) -> tuple[Any, list[Any]]:
        """One batch through :func:`~worker.adapters.atlan.batches.save_refreshing`."""

        def sent() -> None:
            report.requests += 1
            self._on_request_sent()

        return save_refreshing(
            chunk, build, save, operation, refresh=self.refresh_definitions, sent=sent
        )

    def _save_assets(self, assets: list[Any]) -> Any:
        return save_assets(self.client, assets)

    def _object_asset(self, o: ObjectPlan) -> Any:
        """The pyatlan ``S3Object`` for phase 1 of ``o`` (creator, or updater by name).

        :raises CatalogRejected: pyatlan named the object differently from the plan.
        """
        from pyatlan.model.assets import S3Object

        conn = self.connection_qualified_name()
        if o.create and self.settings.s3_naming == "arn":
            asset = S3Object.creator(
                name=o.name,
                connection_qualified_name=conn,
                aws_arn=object_arn(o.bucket, o.key),
                s3_bucket_name=o.bucket,
                s3_bucket_qualified_name=o.bucket_qualified_name,
            )
        elif o.create:
            asset = S3Object.creator_with_prefix(
                name=o.name,
                connection_qualified_name=conn,
                prefix=o.prefix,
                s3_bucket_name=o.bucket,
                s3_bucket_qualified_name=o.bucket_qualified_name,
            )
        else:
            asset = S3Object.updater(qualified_name=o.qualified_name, name=o.name)
        if asset.qualified_name != o.qualified_name:
            raise CatalogRejected(
                f"pyatlan names the object {asset.qualified_name!r}, not {o.qualified_name!r}: "
                "not writing a second asset for it"
            )
        for attr, value in o.attributes.items():
            setattr(asset, attr, value)
        return self._fields.fill(
            asset,
            o.qualified_name,
            restore=o.restore,
            description=o.description,
            custom_metadata=o.custom_metadata,
        )

    def _tag_asset(self, o: ObjectPlan) -> Any:
        from pyatlan.model.assets import S3Object

        u = S3Object.updater(qualified_name=o.qualified_name, name=o.name)
        return tag_changes(u, o.add_tags, o.remove_tags, self.settings.propagate)

    def apply_decisions(
        self, approved: Sequence[SuggestionView], reviewer: dict[int, str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        """Write approved suggestions to Atlan: tags appended, removals, terms, categories.

        Objects not yet in Atlan are left for later (their next scan writes the approved tags,
        since the policy applies approved decisions). Never raises for a refusal.

        :returns: (ids Atlan confirmed, {id: why it was not applied}).
        """
        failed: dict[int, str] = {}
        done: list[int] = []
        if not approved:
            return done, failed
        try:
            naming = self.naming()
            refs = {s.object_uri: ObjectRef.parse(s.object_uri) for s in approved}
            written = self.state.written_by_uri(list(refs))
            current = find_objects(
                self.client, sorted({(r.bucket, r.key) for r in refs.values()}), naming
            )
        except CatalogWriteError as exc:
            return done, {s.id: exc.message for s in approved}
        by_qn, exists = self._decisions_by_asset(approved, refs, written, current, naming)
        tag_updates, cm_updates = self._decision_updates(by_qn, exists, reviewer, failed)
        self._send_decisions(tag_updates, cm_updates, done, failed)
        # Tags s3-enricher applied on a steward's word are its own from now on.
        if done:
            self._remember_decisions(approved, done, by_qn)
        return done, failed

    @staticmethod
    def _decisions_by_asset(
        approved: Sequence[SuggestionView],
        refs: dict[str, ObjectRef],
        written: dict[str, WrittenState],
        current: dict[tuple[str, str], CurrentObject],
        naming: S3Naming,
    ) -> tuple[dict[str, list[SuggestionView]], set[str]]:
        """Approved suggestions grouped by their asset's qualified name.

        :returns: ({qualified name: suggestions}, the qualified names known to be in Atlan).
        """
        by_qn: dict[str, list[SuggestionView]] = {}
        exists: set[str] = set()
        for s in approved:
            ref = refs[s.object_uri]
            cur, mine = current.get((ref.bucket, ref.key)), written.get(s.object_uri)
            if mine is not None and (mine.guid is None or mine.status == "DELETED"):
                mine = None  # not known to be in Atlan now
            known = _asset_name(cur, mine)  # in search, or written moments ago
            qn = known or naming.object(ref.bucket, ref.key)
            if known is not None:
                exists.add(qn)
            by_qn.setdefault(qn, []).append(s)
        return by_qn, exists

    def _decision_updates(
        self,
        by_qn: dict[str, list[SuggestionView]],
        exists: set[str],
        reviewer: dict[int, str] | None,
        failed: dict[int, str],
    ) -> tuple[list[tuple[Any, list[int]]], list[tuple[Any, list[int]]]]:
        """The updates approved suggestions make, per asset, with the suggestion ids behind each.

        Suggestions on assets not in Atlan yet go to ``failed`` with the reason.

        :returns: (tag and term updaters, category confirmations as
            ((qualified name, name, label, reviewer), ids)).
        """
        from pyatlan.model.assets import AtlasGlossaryTerm, S3Object
        from pyatlan.model.enums import SaveSemantic

        tag_updates: list[tuple[Any, list[int]]] = []
        cm_updates: list[tuple[Any, list[int]]] = []
        for qn, items in sorted(by_qn.items()):
            if qn not in exists:
                for s in items:
                    failed[s.id] = "the object is not in Atlan yet: its next scan writes it"
                continue
            name = ObjectRef.parse(items[0].object_uri).key.rsplit("/", 1)[-1]
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
                who = (reviewer or {}).get(top.id) or "a steward"
                cm_updates.append(((qn, name, top.tag, who), [c.id for c in categories]))
        return tag_updates, cm_updates

    def _category_asset(self, item: tuple[tuple[str, str, str, str], list[int]]) -> Any:
        """An updater that marks the asset's category as confirmed by the reviewer."""
        from pyatlan.model.assets import S3Object

        (qn, name, label, who), _ = item
        u = S3Object.updater(qualified_name=qn, name=name)
        cma = u.get_custom_metadata(client=self.client, name=self.settings.custom_metadata_set)
        cma["Category"] = f"{label} (confirmed by a steward)"
        cma["Reviewed by"] = who
        u.set_custom_metadata(client=self.client, custom_metadata=cma)
        return u

    def _send_decisions(
        self,
        tag_updates: list[tuple[Any, list[int]]],
        cm_updates: list[tuple[Any, list[int]]],
        done: list[int],
        failed: dict[int, str],
    ) -> None:
        """Send the tag updates, then the category confirmations.

        Ids Atlan confirmed are appended to ``done``; the others go to ``failed`` with the
        reason (a refused asset, or the whole batch when Atlan stopped it).
        """
        report = WriteReport()
        for batch, build, save, label in (
            (
                tag_updates,
                lambda item: item[0],
                lambda assets: bulk_save(self.client, assets, append_atlan_tags=True),
                "applying approved suggestions",
            ),
            (
                cm_updates,
                self._category_asset,
                lambda assets: bulk_save(self.client, assets, merge_custom_metadata=True),
                "confirming categories",
            ),
        ):
            keyed = {i: item for i, item in enumerate(batch)}
            try:
                ok, refused = self._send(
                    list(keyed),
                    lambda i, build=build, keyed=keyed: build(keyed[i]),  # type: ignore[misc]
                    save,
                    label,
                    report,  # noqa: B023
                )
            except CatalogWriteError as exc:
                failed.update({sid: exc.message for _, ids in batch for sid in ids})
                continue
            for i, reason in refused:
                failed.update({sid: reason for sid in keyed[i][1]})
            for i, _ in ok:
                done.extend(keyed[i][1])

    def _remember_decisions(
        self,
        approved: Sequence[SuggestionView],
        done: Sequence[int],
        by_qn: dict[str, list[SuggestionView]],
    ) -> None:
        qn_of = {s.id: qn for qn, items in by_qn.items() for s in items}
        applied = {s.id: s for s in approved}
        per_qn: dict[str, tuple[set[str], set[str]]] = {}
        for sid in done:
            s = applied[sid]
            adds, removes = per_qn.setdefault(qn_of[sid], (set(), set()))
            if s.kind == "tag":
                adds.add(s.tag)
                if self.settings.umbrella_tag:
                    adds.add(self.settings.umbrella_tag)
            elif s.kind == "tag-removal":
                removes.add(s.tag)
        before = self.state.written_states(list(per_qn))
        now = self.clock()
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
                    guid=old.guid,
                    written_at=now,
                    attributes_hash=old.attributes_hash,
                    status=old.status,
                    object_uri=old.object_uri or by_qn[qn][0].object_uri,
                    prefix_qn=old.prefix_qn,
                )
            )
        if states:
            self.state.save_written_states(states)

    def _on_request_sent(self) -> None:
        if self.on_request is not None:
            self.on_request()

    def archive(self, bucket: str, key: str) -> bool:
        """Archive (soft-delete) the object's asset in Atlan; never a hard delete.

        The asset is read by qualified name (Atlas's graph, which is consistent), not found
        through search, so an object created moments ago is archived too.

        :returns: whether an active asset was archived (``False``: none existed).
        :raises CatalogWriteError: Atlan refused or is unavailable.
        """
        from pyatlan.model.assets import S3Object

        qn = self.object_qualified_name(bucket, key)
        asset = read_asset(self.client, S3Object, qn)
        if asset is None:
            # Maybe under another name (Atlan's crawler): search knows it, with some lag.
            found = find_objects(self.client, [(bucket, key)], self.naming()).get((bucket, key))
            if found is None or found.status == "DELETED":
                return False
            guid, qn = found.guid, found.qualified_name
        else:
            if str(plain(asset.status) or "ACTIVE") == "DELETED":
                return False
            guid = str(asset.guid)
        with atlan_errors("archiving an S3 object"):
            self.client.asset.delete_by_guid(guid)
        self._on_request_sent()
        uri = ObjectRef(f"s3://{bucket}/{key}").uri
        old = self.state.written_states([qn]).get(qn) or WrittenState(qn)
        self.state.save_written_states(
            [
                WrittenState(
                    qn,
                    old.description_hash,
                    old.tags,
                    old.custom_metadata_hash,
                    guid=guid,
                    written_at=self.clock(),
                    attributes_hash=old.attributes_hash,
                    status="DELETED",
                    object_uri=uri,
                    prefix_qn=old.prefix_qn,
                )
            ]
        )
        return True


__all__ = [
    "AtlanCatalogWriter",
    "CatalogUnavailable",
]
