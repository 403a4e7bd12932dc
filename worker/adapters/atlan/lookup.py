"""Reading S3 assets back from Atlan's search (near-real-time: it lags behind writes).

:func:`find_objects` finds the asset of each object whichever way it is named (s3-enricher's
naming, Atlan's S3 crawler, the other naming), archived ones included, and skips what the
token may not read (Atlas scrubs it: no attributes, no tags, which says nothing about them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from models.plan import CurrentObject
from worker.adapters.atlan.client import atlan_errors
from worker.adapters.catalog.database import chunks
from worker.core.plan.naming import S3Naming, bucket_arn, object_arn

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

#: Technical attributes read back to compute the difference.
TECHNICAL = (
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


def all_results(results: Any) -> list[Any]:
    """Every asset of a search: the first page alone when it holds them all.

    pyatlan's iterator asks for pages until one comes back empty, one request more than
    needed when, as here, a page is as large as the list of qualified names searched for.
    """
    page = list(results.current_page())
    if (results.count or 0) > len(page):
        return list(results)
    return page


def plain(value: Any) -> Any:
    """Atlan's form of a value as we send it: pyatlan reads epoch-ms dates as datetimes."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, Enum):
        return value.value
    return value


def find_objects(
    client: AtlanClient, objects: Sequence[tuple[str, str]], naming: S3Naming
) -> dict[tuple[str, str], CurrentObject]:
    """What Atlan's search shows for these (bucket, key) objects, archived ones included.

    Matches the asset by its qualified name under the configured naming, by ``awsArn``
    (Atlan's S3 crawler) and by ``s3BucketName`` + ``s3ObjectKey`` (any naming), within
    the S3 connection; an exact qualified-name match wins, then an active asset.
    """
    from pyatlan.model.assets import S3Object
    from pyatlan.model.fluent_search import CompoundQuery, FluentSearch
    from pyatlan.model.search import Bool

    found: dict[tuple[str, str], CurrentObject] = {}
    rank: dict[tuple[str, str], tuple[int, int]] = {}
    # pyatlan names the search fields without the underscore after "S3" (S3OBJECT_SIZE).
    fields = [getattr(S3Object, a.upper().replace("S3_", "S3", 1)) for a in TECHNICAL]
    for chunk in chunks(list(objects), _SEARCH_CHUNK):
        by_qn = {naming.object(b, k): (b, k) for b, k in chunk}
        by_arn = {object_arn(b, k): (b, k) for b, k in chunk}
        by_key = {(b, k): (b, k) for b, k in chunk}
        keys_of: dict[str, list[str]] = {}
        for b, k in chunk:
            keys_of.setdefault(b, []).append(k)
        search = (
            FluentSearch()
            .where(CompoundQuery.asset_type(S3Object))
            .where(S3Object.CONNECTION_QUALIFIED_NAME.eq(naming.connection_qn))
            .where_some(S3Object.QUALIFIED_NAME.within(list(by_qn)))
            .where_some(S3Object.AWS_ARN.within(list(by_arn)))
        )
        for b, keys in sorted(keys_of.items()):
            search = search.where_some(
                Bool(filter=[S3Object.S3BUCKET_NAME.eq(b), S3Object.S3OBJECT_KEY.within(keys)])
            )
        search = (
            search.min_somes(1)
            .include_on_results(S3Object.DESCRIPTION)
            .include_on_results(S3Object.USER_DESCRIPTION)
            .include_on_results(S3Object.ATLAN_TAGS)
            .include_on_results(S3Object.AWS_ARN)
            .page_size(_SEARCH_CHUNK)
        )
        for f in fields:
            search = search.include_on_results(f)
        with atlan_errors("reading S3 objects"):
            for asset in all_results(search.execute(client=client)):
                if asset.scrubbed:
                    # The token may not read it: Atlas shows it without its attributes
                    # and tags, which says nothing about them. The write reports a 403.
                    continue
                qn = str(asset.qualified_name)
                attrs = {a: plain(getattr(asset, a, None)) for a in TECHNICAL}
                match, exact = by_qn.get(qn), 0
                if match is None:
                    match, exact = by_arn.get(str(getattr(asset, "aws_arn", None))), 1
                if match is None:
                    bucket_key = (
                        str(attrs.get("s3_bucket_name")),
                        str(attrs.get("s3_object_key")),
                    )
                    match, exact = by_key.get(bucket_key), 2
                if match is None:
                    continue
                status = str(plain(asset.status) or "ACTIVE")
                score = (exact, 0 if status == "ACTIVE" else 1)
                if match in rank and rank[match] <= score:
                    continue
                rank[match] = score
                direct = frozenset(
                    str(tag.type_name)
                    for tag in (asset.atlan_tags or [])
                    if tag.entity_guid in (None, asset.guid)
                )
                updated = asset.update_time
                found[match] = CurrentObject(
                    qualified_name=qn,
                    guid=str(asset.guid),
                    attributes={k: v for k, v in attrs.items() if v is not None},
                    description=asset.description,
                    user_description=asset.user_description,
                    direct_tags=direct,
                    status=status,
                    update_time_ms=plain(updated) if updated is not None else None,
                    updated_by=asset.updated_by,
                )
    return found


def find_buckets(client: AtlanClient, names: Sequence[str], naming: S3Naming) -> dict[str, str]:
    """Active buckets Atlan's search shows: name -> qualified name (crawled ones too).

    Searched by qualified name (either naming), ``awsArn`` or name within the connection;
    the configured naming wins when a bucket is there twice.
    """
    from pyatlan.model.assets import S3Bucket
    from pyatlan.model.fluent_search import CompoundQuery, FluentSearch

    found: dict[str, str] = {}
    for chunk in chunks(list(names), _SEARCH_CHUNK):
        qns = {naming.bucket(n): n for n in chunk}
        qns.update({S3Naming(naming.connection_qn, "path").bucket(n): n for n in chunk})
        qns.update({S3Naming(naming.connection_qn, "arn").bucket(n): n for n in chunk})
        search = (
            FluentSearch()
            .where(CompoundQuery.active_assets())
            .where(CompoundQuery.asset_type(S3Bucket))
            .where(S3Bucket.CONNECTION_QUALIFIED_NAME.eq(naming.connection_qn))
            .where_some(S3Bucket.QUALIFIED_NAME.within(list(qns)))
            .where_some(S3Bucket.AWS_ARN.within([bucket_arn(n) for n in chunk]))
            .where_some(S3Bucket.NAME.within(list(chunk)))
            .min_somes(1)
            .include_on_results(S3Bucket.AWS_ARN)
            .page_size(_SEARCH_CHUNK)
        )
        with atlan_errors("reading S3 buckets"):
            for a in all_results(search.execute(client=client)):
                qn = str(a.qualified_name)
                arn = getattr(a, "aws_arn", None)
                name = qns.get(qn) or (str(arn).removeprefix("arn:aws:s3:::") if arn else None)
                name = name if name in chunk else (a.name if a.name in chunk else None)
                if name is None:
                    continue
                if name not in found or qn == naming.bucket(name):
                    found[name] = qn
    return found


def read_asset(client: AtlanClient, asset_type: type[Any], qualified_name: str) -> Any | None:
    """The asset by qualified name from Atlas's graph (consistent, archived ones too), or None.

    :raises CatalogWriteError: Atlan refused (403: the token may not read it) or is down.
    """
    from pyatlan.errors import NotFoundError

    with atlan_errors(f"reading {asset_type.__name__} {qualified_name}"):
        try:
            return client.asset.get_by_qualified_name(
                qualified_name=qualified_name,
                asset_type=asset_type,
                min_ext_info=True,
                ignore_relationships=True,
            )
        except NotFoundError:
            return None
