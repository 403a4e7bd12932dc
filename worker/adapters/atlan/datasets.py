"""``AtlanDatasetWriter``: one Atlan asset per dataset, carrying its verdict.

A folder dataset is an ``S3Prefix`` (named as the lineage writer names it, so lineage
processes and the dataset are one asset), a bucket-root dataset the ``S3Bucket``; a dataset of
one object is its ``S3Object``, which the object writer already enriches (see
:mod:`worker.core.plan.dataset_desired`). One :meth:`AtlanDatasetWriter.write`:

1. search for the assets, archived ones included (one search per 50 datasets), and read
   what s3-enricher wrote to them last (the local catalog's ``atlan_written`` table, the
   object writer's, through the same ``SqlAtlanState``);
2. plan only the difference (:func:`~worker.core.plan.dataset_desired.plan_dataset`): an
   unchanged dataset sends nothing;
3. create, restore (``status: ACTIVE``: a plain upsert leaves an archived asset archived) or
   update the assets with their description and custom metadata, merged;
4. append (or, under ``auto_remove``, remove) tags;
5. link each prefix to the objects the object writer wrote under it (``s3Objects`` appended,
   once: :func:`~worker.adapters.atlan.lineage.link_prefix_objects`, shared with the
   lineage writer).

One refused dataset (403, a value Atlas rejects) fails alone with its reason; Atlan being
unavailable, the key refused or a definition missing stops the write, and every dataset not
finished carries that reason. Nothing is raised for them: :class:`DatasetWriteReport` says.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from models.datasets import DatasetRef
from models.plan import CurrentObject, WrittenState
from worker.adapters.atlan.asset_fields import AssetFields, save_assets
from worker.adapters.atlan.batches import save_refreshing, send_isolating
from worker.adapters.atlan.client import (
    assigned_guids,
    atlan_errors,
    build_client,
    tag_changes,
)
from worker.adapters.atlan.lineage import ObjectLinks, link_prefix_objects
from worker.adapters.atlan.lookup import all_results, find_buckets, plain
from worker.adapters.catalog.database import chunks
from worker.core.errors import (
    CatalogAuthError,
    CatalogDefinitionMissing,
    CatalogUnavailable,
    CatalogWriteError,
)
from worker.core.plan.dataset_desired import (
    DatasetWrite,
    DatasetWriteReport,
    DesiredDataset,
    plan_dataset,
    written_after,
)
from worker.core.plan.naming import S3Naming, bucket_arn, object_arn
from worker.core.ports import ContractPublication
from worker.core.settings import AtlanSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

logger = logging.getLogger(__name__)

_SEARCH_CHUNK = 50
_T = TypeVar("_T")


class DatasetState(ObjectLinks, Protocol):
    """What the dataset writer keeps in the local catalog (``SqlAtlanState``)."""

    def written_states(self, qualified_names: Sequence[str]) -> dict[str, WrittenState]:
        """s3-enricher's last writes to these assets."""
        ...


class AtlanDatasetWriter:
    """Writes datasets to Atlan with pyatlan; see the module docstring.

    :param settings: the ``atlan`` settings section.
    :param s3_connection_qn: returns s3-enricher's S3 connection qualified name (for example
        ``AtlanCatalogWriter.connection_qualified_name``); called once per write, lazily.
    :param state: the local catalog's Atlan state (``SqlAtlanState``): what was written to
        which asset, and which objects are in Atlan under which name.
    :param client: an ``AtlanClient``; when ``None``, ``client_factory()`` (the object
        writer's client, to share one) or a client built from ``settings``, on first use.
    :param clock: the current time (tests share one with the test server).
    """

    def __init__(
        self,
        settings: AtlanSettings,
        s3_connection_qn: Callable[[], str],
        state: DatasetState,
        client: AtlanClient | None = None,
        *,
        client_factory: Callable[[], AtlanClient] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self._s3_connection_qn = s3_connection_qn
        self._client = client
        self._client_factory = client_factory
        self.clock = clock or (lambda: datetime.now(UTC))
        self._fields = AssetFields(lambda: self.client, settings.custom_metadata_set)
        #: The naming of the current write (the connection is asked for once per write).
        self._write_naming: S3Naming | None = None
        #: Bucket name -> qualified name of the buckets in Atlan (read once per write).
        self._buckets: dict[str, str] = {}
        #: Called after every mutating request (a Celery task uses it to keep its lock alive).
        self.on_request: Callable[[], None] | None = None

    @property
    def client(self) -> AtlanClient:
        """The pyatlan client (built lazily: importing pyatlan takes seconds)."""
        if self._client is None:
            factory = self._client_factory
            self._client = factory() if factory is not None else build_client(self.settings)
        return self._client

    def naming(self) -> S3Naming:
        """Qualified names in the S3 connection (may search Atlan once for the connection).

        :raises CatalogRejected: there is no S3 connection (run ``enricher atlan init``).
        """
        return S3Naming(self._s3_connection_qn(), self.settings.s3_naming)

    # -- names -------------------------------------------------------------------------------

    def asset_of(self, dataset_uri: str) -> tuple[str, str] | None:
        """(type name, qualified name) of the asset standing for the dataset in Atlan.

        Only assets s3-enricher knows to be there (written and not archived, per the local
        catalog): a folder dataset's ``S3Prefix``, a bucket root's ``S3Bucket``, a dataset of
        one object its ``S3Object`` (under the name the object writer used). ``None`` for a
        local dataset, a malformed URI, or one not (yet) in Atlan.

        :raises CatalogRejected: there is no S3 connection in Atlan.
        :raises CatalogWriteError: Atlan could not be read (looking the connection up).
        """
        try:
            ref = DatasetRef.parse(dataset_uri)
        except ValueError:
            return None
        if not ref.bucket:
            return None
        if not ref.is_prefix:
            known = self.state.written_by_uri([ref.uri]).get(ref.uri)
            if known is None or known.guid is None or known.status == "DELETED":
                return None
            return "S3Object", known.qualified_name
        root = ref.root.strip("/")
        if not root:
            bucket = self.state.written_by_uri([f"s3://{ref.bucket}"]).get(f"s3://{ref.bucket}")
            ok = bucket is not None and bucket.guid is not None and bucket.status != "DELETED"
            return ("S3Bucket", bucket.qualified_name) if ok and bucket is not None else None
        qn = self.naming().prefix(ref.bucket, root)
        mine = self.state.written_states([qn]).get(qn)
        if mine is None or mine.guid is None or mine.status == "DELETED":
            return None
        return "S3Prefix", qn

    def qualified_name_of(self, dataset_uri: str) -> str | None:
        """The qualified name of the dataset's asset in Atlan, or ``None`` (see :meth:`asset_of`).

        :raises CatalogWriteError: as :meth:`asset_of`.
        """
        found = self.asset_of(dataset_uri)
        return found[1] if found is not None else None

    def publish_contract(
        self, dataset_qualified_name: str, contract_yaml: str, *, asset_type: str | None = None
    ) -> ContractPublication:
        """Publish a data contract on the dataset's asset (pyatlan's ``DataContract``).

        See :func:`worker.adapters.atlan.contracts.publish_contract`: idempotent, at most one
        mutating request, none when Atlan already holds this contract as the latest version.

        :param asset_type: from :meth:`asset_of`; ``None`` looks the name up among the
            dataset asset types.
        :raises CatalogAssetNotFound: the asset is not in Atlan, or is archived.
        :raises CatalogRejected: Atlan refuses the contract (format, unsupported asset type).
        :raises CatalogUnavailable: Atlan is unavailable (retryable).
        """
        from worker.adapters.atlan.contracts import publish_contract

        publication = publish_contract(
            self.client, dataset_qualified_name, contract_yaml, asset_type=asset_type
        )
        if publication.requests and self.on_request is not None:
            self.on_request()
        return publication

    # -- reading -----------------------------------------------------------------------------

    def _resolve(
        self, datasets: Sequence[DesiredDataset], naming: S3Naming
    ) -> list[DesiredDataset]:
        """The datasets with their qualified names (a crawled bucket's own name adopted).

        Also remembers the buckets in Atlan (``self._buckets``): a new prefix is linked to
        its bucket when the bucket is there (a reference to a missing one fails the request).
        """
        buckets = sorted({d.bucket for d in datasets})
        known = self.state.written_by_uri([f"s3://{b}" for b in buckets])
        adopted = {
            b: s.qualified_name
            for b in buckets
            if (s := known.get(f"s3://{b}")) is not None and s.guid and s.status != "DELETED"
        }
        missing = [b for b in buckets if b not in adopted]
        if missing:
            adopted.update(find_buckets(self.client, missing, naming))
        self._buckets = adopted
        out = []
        for d in datasets:
            if d.type_name == "S3Bucket":
                qn = adopted.get(d.bucket) or naming.bucket(d.bucket)
            else:
                qn = d.qualified_name or naming.prefix(d.bucket, d.root)
            out.append(d if d.qualified_name == qn else replace(d, qualified_name=qn))
        return out

    def _current(self, qualified_names: Sequence[str]) -> dict[str, CurrentObject]:
        """What search shows of these prefixes and buckets, archived ones included.

        An asset the token may not read (scrubbed) is left out: the write reports the 403.
        An active asset wins over an archived one of the same name.
        """
        from pyatlan.model.assets import S3Bucket, S3Prefix
        from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

        found: dict[str, CurrentObject] = {}
        for chunk in chunks(sorted(set(qualified_names)), _SEARCH_CHUNK):
            search = (
                FluentSearch()
                .where(CompoundQuery.asset_types([S3Prefix, S3Bucket]))
                .where(S3Prefix.QUALIFIED_NAME.within(list(chunk)))
                .include_on_results(S3Prefix.DESCRIPTION)
                .include_on_results(S3Prefix.USER_DESCRIPTION)
                .include_on_results(S3Prefix.ATLAN_TAGS)
                .page_size(_SEARCH_CHUNK)
            )
            with atlan_errors("reading S3 prefixes"):
                for asset in all_results(search.execute(client=self.client)):
                    if asset.scrubbed:
                        continue
                    qn = str(asset.qualified_name)
                    status = str(plain(asset.status) or "ACTIVE")
                    if qn in found and found[qn].status == "ACTIVE":
                        continue
                    updated = asset.update_time
                    found[qn] = CurrentObject(
                        qualified_name=qn,
                        guid=str(asset.guid),
                        attributes={},
                        description=asset.description,
                        user_description=asset.user_description,
                        direct_tags=frozenset(
                            str(t.type_name)
                            for t in (asset.atlan_tags or [])
                            if t.entity_guid in (None, asset.guid)
                        ),
                        status=status,
                        update_time_ms=plain(updated) if updated is not None else None,
                        updated_by=asset.updated_by,
                    )
        return found

    # -- writing -----------------------------------------------------------------------------

    def write(self, datasets: Sequence[DesiredDataset]) -> DatasetWriteReport:
        """Bring the datasets' assets to what ``datasets`` say; only differences are sent.

        Never raises for Atlan: refusals are per dataset in ``failed``; Atlan unavailable,
        the key refused, a missing definition or no S3 connection stop the write with
        ``error`` set.
        Side effects: creates/updates/restores ``S3Prefix``/``S3Bucket`` assets, appends tags,
        links objects; records what was written in the local catalog.
        """
        unique = {d.dataset_uri: d for d in datasets}
        report = DatasetWriteReport(datasets=len(unique))
        if not unique:
            return report
        try:
            self._write_naming = self.naming()
            resolved = self._resolve(list(unique.values()), self._write_naming)
            qns = [str(d.qualified_name) for d in resolved]
            current = self._current(qns)
            written = self.state.written_states(qns)
        except CatalogWriteError as exc:
            report.error = exc.message
            report.retry_after_s = getattr(exc, "retry_after_s", None)
            report.failed = {uri: exc.message for uri in unique}
            return report
        now = self.clock()
        plans = [
            plan_dataset(
                d,
                str(d.qualified_name),
                current.get(str(d.qualified_name)),
                written.get(str(d.qualified_name)),
                now=now,
                search_lag_s=self.settings.search_lag_s,
                auto_remove=self.settings.auto_remove,
            )
            for d in resolved
        ]
        for p in plans:
            report.notes.extend(f"{p.qualified_name}: {n}" for n in p.notes)
        self._apply(plans, written, report)
        report.warnings.extend(self._fields.take_warnings())
        return report

    def _apply(
        self,
        plans: Sequence[DatasetWrite],
        before: dict[str, WrittenState],
        report: DatasetWriteReport,
    ) -> None:
        failed = report.failed
        report.unchanged = sum(1 for p in plans if p.empty)
        guids: dict[str, str | None] = {}
        tagged: set[str] = set()
        try:
            assets = [p for p in plans if p.asset_write]
            done, refused = self._send(
                assets, self._asset, self._save_assets, "writing S3 datasets", report
            )
            failed.update({p.desired.dataset_uri: reason for p, reason in refused})
            guids.update({p.qualified_name: guid for p, guid in done})
            for p, _ in done:
                if p.restore:
                    report.restored += 1
                elif p.create:
                    report.created += 1
                else:
                    report.updated += 1
            tag_plans = [p for p in plans if p.tag_write and p.desired.dataset_uri not in failed]
            sent, refused = self._send(
                tag_plans,
                self._tag_asset,
                lambda a: self.client.asset.save(a, append_atlan_tags=True),
                "tagging S3 datasets",
                report,
            )
            failed.update({p.desired.dataset_uri: reason for p, reason in refused})
            for p, _ in sent:
                tagged.add(p.qualified_name)
                report.tags_added += len(p.add_tags)
                report.tags_removed += len(p.remove_tags)
            self._remember(plans, before, guids, tagged)
            self._link(plans, report)
        except (CatalogUnavailable, CatalogAuthError, CatalogDefinitionMissing) as exc:
            # Atlan is down, the key refused or a definition missing: the rest would fail
            # the same way. What landed is remembered; the rest carries the reason.
            self._remember(plans, before, guids, tagged)
            report.error = exc.message
            report.retry_after_s = getattr(exc, "retry_after_s", None)
            for p in plans:
                unfinished = (p.asset_write and p.qualified_name not in guids) or (
                    p.tag_write and p.qualified_name not in tagged
                )
                if unfinished:
                    failed.setdefault(p.desired.dataset_uri, exc.message)

    def _remember(
        self,
        plans: Sequence[DatasetWrite],
        before: dict[str, WrittenState],
        guids: dict[str, str | None],
        tagged: set[str],
    ) -> None:
        """Record what landed: each part once it landed, the content hash once all did."""
        now = self.clock()
        states = []
        for p in plans:
            if p.empty:
                continue
            asset_ok = not p.asset_write or p.qualified_name in guids
            tags_ok = not p.tag_write or p.qualified_name in tagged
            if not (p.asset_write and asset_ok) and not (p.tag_write and tags_ok):
                continue
            old = before.get(p.qualified_name)
            states.append(
                written_after(
                    p,
                    old,
                    guid=guids.get(p.qualified_name) or (old.guid if old else None),
                    now=now,
                    asset_written=asset_ok,
                    tags_written=tags_ok,
                    # A bucket's record is the object writer's too (it keys buckets by URI).
                    object_uri=f"s3://{p.desired.bucket}"
                    if p.desired.type_name == "S3Bucket"
                    else None,
                )
            )
        if states:
            self.state.save_written_states(states)

    def _link(self, plans: Sequence[DatasetWrite], report: DatasetWriteReport) -> None:
        """Link each prefix that is in Atlan to the objects written under it (once)."""
        prefixes = {
            p.qualified_name: p.desired.uri_prefix
            for p in plans
            if p.desired.type_name == "S3Prefix" and p.desired.dataset_uri not in report.failed
        }
        if not prefixes:
            return
        uri_of = {p.qualified_name: p.desired.dataset_uri for p in plans}

        def save(qn: str, asset: Any) -> str | None:
            _, refused = self._send(
                [qn], lambda _: asset, self._save_plain, "linking objects to S3 prefixes", report
            )
            if refused:
                report.failed[uri_of[qn]] = refused[0][1]
                return refused[0][1]
            return None

        report.linked += link_prefix_objects(self.state, prefixes, save)

    def _asset(self, p: DatasetWrite) -> Any:
        """The ``S3Prefix``/``S3Bucket`` upsert of ``p``.

        A new asset gets its full attributes (connection, bucket, ARN, linked to its bucket
        when that is in Atlan); an existing one only its name, so that what a crawler wrote
        stays. Then ``status: ACTIVE`` to restore, the description and the custom metadata.
        """
        from pyatlan.model.assets import S3Bucket, S3Prefix

        d = p.desired
        naming = self._write_naming or self.naming()
        asset: Any
        if not p.create:
            # It exists (crawled, written before, or archived): name it, touch nothing else.
            kind: Any = S3Bucket if d.type_name == "S3Bucket" else S3Prefix
            name = d.bucket if d.type_name == "S3Bucket" else d.name
            asset = kind.updater(qualified_name=p.qualified_name, name=name)
        elif d.type_name == "S3Bucket":
            arn = naming.scheme == "arn"
            asset = S3Bucket.creator(
                name=d.bucket,
                connection_qualified_name=naming.connection_qn,
                aws_arn=bucket_arn(d.bucket) if arn else None,
            )
            asset.qualified_name = p.qualified_name  # an adopted name stays as Atlan has it
        else:
            attributes = S3Prefix.Attributes(
                qualified_name=p.qualified_name,
                name=d.name,
                connection_qualified_name=naming.connection_qn,
                connector_name="s3",
                s3_bucket_name=d.bucket,
                s3_bucket_qualified_name=self._buckets.get(d.bucket) or naming.bucket(d.bucket),
            )
            if d.bucket in self._buckets:
                attributes.s3_bucket = S3Bucket.ref_by_qualified_name(self._buckets[d.bucket])
            if naming.scheme == "arn":
                attributes.aws_arn = object_arn(d.bucket, d.root)
            asset = S3Prefix(attributes=attributes)
            # pyatlan 11.6 has no S3Prefix.creator: a placeholder guid, as creators assign.
            asset.guid = str(-random.randint(10**15, 10**16 - 1))  # noqa: S311 - not secret
        return self._fields.fill(
            asset,
            p.qualified_name,
            restore=p.restore,
            description=p.description,
            custom_metadata=p.custom_metadata,
        )

    def _tag_asset(self, p: DatasetWrite) -> Any:
        from pyatlan.model.assets import S3Bucket, S3Prefix

        kind: Any = S3Bucket if p.desired.type_name == "S3Bucket" else S3Prefix
        name = p.desired.bucket if p.desired.type_name == "S3Bucket" else p.desired.name
        u = kind.updater(qualified_name=p.qualified_name, name=name)
        return tag_changes(u, p.add_tags, p.remove_tags, self.settings.propagate)

    def _save_assets(self, assets: list[Any]) -> Any:
        return save_assets(self.client, assets)

    def _refresh(self) -> None:
        with atlan_errors("reading tag and custom metadata definitions"):
            self.client.atlan_tag_cache.refresh_cache()
            self.client.custom_metadata_cache.refresh_cache()

    def _save_plain(self, assets: list[Any]) -> Any:
        return self.client.asset.save(assets)

    def _send(
        self,
        items: Sequence[_T],
        build: Callable[[_T], Any],
        save: Callable[[list[Any]], Any],
        operation: str,
        report: DatasetWriteReport,
    ) -> tuple[list[tuple[_T, str | None]], list[tuple[_T, str]]]:
        """Send ``items`` in batches; a refused batch is split until the refused stand alone.

        :returns: ((item, its guid if Atlan named one), (item, why Atlan refused it)).
        :raises CatalogUnavailable: Atlan is unavailable (stops at once).
        :raises CatalogAuthError: the API key is refused.
        :raises CatalogDefinitionMissing: a tag or attribute is undefined even after a refresh.
        """

        def counted() -> None:
            report.requests += 1
            if self.on_request is not None:
                self.on_request()

        def send(batch: list[_T]) -> list[str | None]:
            response, assets = save_refreshing(
                batch, build, save, operation, refresh=self._refresh, sent=counted
            )
            return assigned_guids(response, assets)

        sent, refused = send_isolating(items, self.settings.batch_size, send)
        return sent, [(item, exc.message) for item, exc in refused]


__all__ = ["AtlanDatasetWriter", "DatasetState", "DatasetWriteReport"]
