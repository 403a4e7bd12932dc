"""Lineage endpoints to datasets: a file, a prefix, a stage path or a partition → its dataset.

Pure. An export writes ``s3://lake/exports/users/users.csv``; a ``COPY INTO`` loads
``@stage/users/`` (the stage's URL plus the path, resolved by the SQL parser) or
``s3://lake/exports/users/dt=2025-01-01/``. Lineage joins when every S3 endpoint names the
dataset that holds it, so each endpoint is resolved, in this order:

1. the catalog's known datasets (``lookup(bucket, key)``, e.g.
   :meth:`worker.core.ports.DatasetStore.dataset_of`): the dataset a scan grouped the key
   into. A file the catalog records as a dataset of one beside other datasets
   (``reference/countries.csv`` beside ``reference/currencies.csv``) stays that file, so two
   tables never merge; a dataset of one alone in its folder (``exports/users/users.csv``)
   stands for its folder (:func:`lone_file_folder`), which is what a ``COPY`` loads;
2. otherwise the folder heuristic: a file resolves to its folder with partition folders
   folded (``exports/users/users.csv`` → ``s3://lake/exports/users/``; a file at the bucket
   root stays itself); a prefix or a partition prefix folds to its dataset folder
   (``orders/dt=2025-01-01/`` → ``orders/``).

Tables resolve to themselves. A resolved edge keeps what was written in
``source_path``/``target_path`` (the explanation, and what :func:`rekey_edges` starts from
when a later scan teaches the catalog better datasets). Hops that become the same merge:
the strongest origin wins, column maps are kept, a steward's decision stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from models.datasets import DatasetRef
from models.lineage import (
    ORIGIN_RANK,
    ColumnMapping,
    Dataset,
    InvalidDataset,
    LineageEdge,
    Rekeyed,
    System,
    dataset_of_object,
    s3_location_dataset,
)

#: ``(bucket, key or prefix)`` → the catalog's dataset that holds it, or ``None``.
DatasetLookup = Callable[[str, str], DatasetRef | None]

APPLIED = "applied"
SUGGESTED = "suggested"
REJECTED = "rejected"
# Which state of two same-origin copies of a hop stands: a steward's rejection, then an
# application (a steward's or the threshold's), then a pending suggestion.
_STATE_RANK = {REJECTED: 2, APPLIED: 1, SUGGESTED: 0}


def resolve_s3(uri: str, lookup: DatasetLookup | None = None) -> Dataset:
    """The dataset an S3 endpoint (object, prefix, partition, stage URL + path) belongs to.

    :param uri: ``s3://bucket/key`` or ``s3://bucket/prefix/`` (``s3a://`` too).
    :param lookup: the catalog's datasets; tried first.
    :raises InvalidDataset: not an S3 URL with a bucket.
    """
    if not uri.startswith(("s3://", "s3a://")):
        raise InvalidDataset(f"{uri!r} is not an s3:// location")
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    if not bucket:
        raise InvalidDataset(f"{uri!r} has no bucket")
    if lookup is not None:
        ref = lookup(bucket, key)
        # The bucket root as a folder dataset holds everything: taking it for a key in a
        # folder would join every unknown prefix of the bucket, so only root keys take it.
        if ref is not None and (ref.root or "/" not in key.rstrip("/")):
            return Dataset.s3(ref.bucket, ref.root)
    if key.endswith("/") or not key:
        return s3_location_dataset(f"s3://{bucket}/{key}")  # partition folders folded
    return dataset_of_object(bucket, key)


def resolve_dataset(
    dataset: Dataset, written: str | None = None, lookup: DatasetLookup | None = None
) -> Dataset:
    """The dataset of a lineage endpoint: tables as they are, S3 through :func:`resolve_s3`.

    :param written: the endpoint as written, when known (it carries more than ``dataset``
        when an earlier resolution folded it).
    """
    if dataset.system is not System.S3:
        return dataset
    return resolve_s3(written or dataset.uri, lookup)


def resolve_edge(edge: LineageEdge, lookup: DatasetLookup | None = None) -> LineageEdge:
    """``edge`` with both endpoints resolved; what was written is kept in ``*_path``."""
    source_written = edge.source_path or edge.source.uri
    target_written = edge.target_path or edge.target.uri
    source = resolve_dataset(edge.source, source_written, lookup)
    target = resolve_dataset(edge.target, target_written, lookup)
    return replace(
        edge,
        source=source,
        target=target,
        source_path=source_written if source_written != source.uri else None,
        target_path=target_written if target_written != target.uri else None,
    )


def _columns(edges: Iterable[LineageEdge]) -> tuple[ColumnMapping, ...]:
    merged: list[ColumnMapping] = []
    for e in edges:
        merged.extend(c for c in e.columns if c not in merged)
    return tuple(merged)


def merge_hops(edges: Sequence[LineageEdge]) -> LineageEdge:
    """One edge for several copies of the same hop (same source and target datasets).

    The strongest origin wins (the first of equals); its column maps are joined with those of
    the other copies of the same origin, and when it has none, the strongest mapped origin's
    maps are kept (a declaration without columns does not lose what the SQL said, and a
    guess does not add to the SQL's).
    """
    best = max(range(len(edges)), key=lambda i: (ORIGIN_RANK[edges[i].origin], -i))
    winner = edges[best]
    peers = [winner, *(e for e in edges if e is not winner and e.origin is winner.origin)]
    columns = _columns(peers)
    if not columns:
        mapped = [e for e in edges if e.columns]
        if mapped:
            strongest = max(ORIGIN_RANK[e.origin] for e in mapped)
            columns = _columns(e for e in mapped if ORIGIN_RANK[e.origin] == strongest)
    return replace(winner, columns=columns)


def resolve_edges(
    edges: Sequence[LineageEdge], lookup: DatasetLookup | None = None
) -> list[LineageEdge]:
    """Resolve every edge; hops that become the same merge (:func:`merge_hops`). Order kept."""
    groups: dict[str, list[LineageEdge]] = {}
    for edge in edges:
        resolved = resolve_edge(edge, lookup)
        groups.setdefault(resolved.id, []).append(resolved)
    return [merge_hops(group) for group in groups.values()]


def merge_states(rows: Sequence[tuple[LineageEdge, str]]) -> str:
    """The state of merged copies of a hop: the strongest origin's, then a steward's decision.

    A declaration or the SQL applies the hop over a rejected guess (as a later load would);
    among copies of the same origin a rejection stands, then an application.
    """
    return max(rows, key=lambda r: (ORIGIN_RANK[r[0].origin], _STATE_RANK.get(r[1], 0)))[1]


def rekey_edges(
    rows: Sequence[tuple[LineageEdge, str]], lookup: DatasetLookup | None = None
) -> list[Rekeyed]:
    """The stored hops that change when every edge is resolved again, merged.

    :param rows: every stored edge with its state.
    :returns: one entry per hop whose id, endpoints, paths or members change, in the order
        first found; unchanged hops are left out.
    """
    groups: dict[str, list[tuple[LineageEdge, LineageEdge, str]]] = {}
    for edge, state in rows:
        resolved = resolve_edge(edge, lookup)
        groups.setdefault(resolved.id, []).append((edge, resolved, state))
    out: list[Rekeyed] = []
    for members in groups.values():
        if len(members) == 1 and members[0][0] == members[0][1]:
            continue  # resolves to itself, nothing merges into it
        merged = merge_hops([resolved for _, resolved, _ in members])
        state = merge_states([(resolved, state) for _, resolved, state in members])
        renamed = {
            old.id: {
                u: n
                for u, n in (
                    (old.source.uri, merged.source.uri),
                    (old.target.uri, merged.target.uri),
                )
                if u != n
            }
            for old, _, _ in members
        }
        out.append(Rekeyed(merged, state, tuple(old.id for old, _, _ in members), renamed))
    return out


def lone_file_folder(ref: DatasetRef, roots: Iterable[DatasetRef]) -> DatasetRef:
    """The dataset lineage keys a catalog dataset on: a lone file's folder, else itself.

    A scan records a file alone in its folder (``exports/users/users.csv``) as a dataset of
    one; an export that rewrites it and a ``COPY`` of the folder mean the same data, so it
    stands for the folder (partition folders folded). A file beside other datasets under
    its folder, or at the bucket root, stays itself.

    :param roots: the catalog's datasets of the bucket (at least every one under the folder).
    """
    if ref.is_prefix:
        return ref
    folder = dataset_of_object(ref.bucket, ref.root).parts[1]
    if not folder.endswith("/"):
        return ref  # at the bucket root, or only partition folders above it
    if any(r != ref and r.bucket == ref.bucket and r.root.startswith(folder) for r in roots):
        return ref
    return DatasetRef(ref.bucket, folder)


def catalog_lookup(roots: Sequence[DatasetRef]) -> DatasetLookup:
    """A lookup over a list of the catalog's datasets (the migration reads the table so).

    The longest root holding the key (:func:`longest_root`), a lone file standing for its
    folder (:func:`lone_file_folder`).
    """

    def lookup(bucket: str, key: str) -> DatasetRef | None:
        ref = longest_root(roots, bucket, key)
        return lone_file_folder(ref, roots) if ref is not None else None

    return lookup


def longest_root(roots: Iterable[DatasetRef], bucket: str, key: str) -> DatasetRef | None:
    """The dataset among ``roots`` that holds ``key`` (a key or a prefix), longest root first.

    The lookup of a catalog read as a list (the migration reads the ``datasets`` table so).
    """
    best: DatasetRef | None = None
    for ref in roots:
        if ref.bucket == bucket and ref.contains_key(key):
            if best is None or len(ref.root) > len(best.root):
                best = ref
    return best
