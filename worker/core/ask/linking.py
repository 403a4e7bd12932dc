"""Entity linking of dataset and table names in a question (fuzzy, with rapidfuzz).

The names come from the caller (:class:`KnownName`, built by the service from the catalog's
datasets and lineage nodes): the core reads no database. A phrase links to a name when a
key of it (its last part, ``schema.table``, ``folder/name``...) scores at least
:data:`THRESHOLD` (rapidfuzz ``ratio``, 0-100); every name within :data:`MARGIN` of the best
score is a candidate too, so that "users" names the PostgreSQL table, the S3 dataset and the
Snowflake table of that name at once, and the service decides (or asks).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from models.lineage import LineageEdge

#: The lowest score a phrase links at: below it, the name is not understood.
THRESHOLD = 86.0
#: Candidates within this many points of the best are as good as it (ambiguity).
MARGIN = 4.0
_EXTENSION = re.compile(r"(\.[a-z0-9]{1,8})+$", re.I)
_SEP_TABLE = str.maketrans(dict.fromkeys("_-./:", " "))


@dataclass(frozen=True, slots=True)
class KnownName:
    """A dataset the catalog knows, as a question can name it.

    :param uri: its URI (``postgres:appdb.public.users``, ``s3://lake/exports/users/``).
    :param kind: ``dataset`` (lake), ``table`` or ``dashboard`` (any Looker asset).
    :param label: how an answer names it (``the table public.users``).
    """

    uri: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class NamedNode:
    """A node of the lineage graph as name linking needs it: its URI and its system.

    :param system: the URI's scheme (``postgres``, ``snowflake``, ``s3``, ``file``,
        ``looker``...), see :func:`system_of`.
    """

    uri: str
    system: str


def system_of(uri: str) -> str:
    """The system of ``uri``: its scheme (``s3://x/`` → ``s3``, ``looker:...`` → ``looker``)."""
    return uri.partition(":")[0]


class CatalogNames(Protocol):
    """The names a question can link to, without the rest of the catalog (a port).

    Implementation: :class:`worker.adapters.catalog.lineage_names.SqlCatalogNames` (two
    narrow queries, no edge details read).
    """

    def dataset_uris(self) -> list[str]:
        """Every recorded dataset's URI."""
        ...

    def lineage_nodes(self) -> list[NamedNode]:
        """Every distinct endpoint of an applied lineage edge, with its system."""
        ...

    def edges_of(self, uris: Sequence[str], downstream: bool) -> list[LineageEdge]:
        """Applied edges leaving (``downstream``) or entering any of ``uris``, in id order."""
        ...


def name_keys(uri: str) -> list[str]:
    """The phrases a question may name ``uri`` by, normalised (lower case, words by spaces).

    ``postgres:appdb.public.users`` → ``users``, ``public users``, ``appdb public users`` and
    ``appdb users`` (database and table, the schema left out);
    ``s3://lake/exports/users/`` → ``users``, ``exports users``; a file is named with and
    without its extension (``tickets``, ``tickets csv``, ``support tickets``);
    ``looker:dashboard/thelook::sales_pulse`` → ``sales pulse``.
    """
    if uri.startswith("looker:"):
        tail = uri.split("::", 1)[-1]
        return [normalise_key(tail)]
    system, _, rest = uri.partition(":")
    if system in ("s3", "file"):
        path = rest.lstrip("/")
        parts = [p for p in path.split("/") if p and "=" not in p]
        if system == "s3" and parts:
            parts = parts[1:] or parts  # the bucket is not part of how people name it
        if not parts:
            return []
        file = parts[-1]
        parts[-1] = _EXTENSION.sub("", file)
        keys = _suffixes([normalise_key(p) for p in parts[-2:]])
        if parts[-1] != file:
            keys.append(normalise_key(file))
        return keys
    parts = [normalise_key(p) for p in rest.split(".")[-3:]]
    keys = _suffixes(parts)
    if len(parts) == 3:
        keys.append(f"{parts[0]} {parts[2]}")
    return keys


def _suffixes(parts: list[str]) -> list[str]:
    """``[a, b, c]`` → ``c``, ``b c``, ``a b c`` (each part normalised once)."""
    return [" ".join(parts[-n:]) for n in range(1, len(parts) + 1)]


def normalise_key(text: str) -> str:
    """Lower case, separators (``_ - . / :`` and white space) as single spaces."""
    # str.translate and split, not a regular expression: the index normalises every known
    # name's keys (150,000 on a catalog of 60,000 names) each time it is built.
    return " ".join(text.lower().translate(_SEP_TABLE).split())


@dataclass(slots=True)
class _Built:
    """A name index's keys (read-only once built: indexes of the same names share them).

    :param full: each URI's whole name, normalised (made on the first "did you mean").
    """

    kinds: dict[str, str]
    keys: list[str]
    owners: list[str]
    exact: dict[str, list[str]]
    full: dict[str, str] | None = None


#: The names last indexed in this process, with their keys: an index of the very same names
#: (the next question on an unchanged catalog, in a server or any long-lived process) reuses
#: them instead of normalising every name again. One entry: a changed catalog replaces it.
_LAST: list[tuple[tuple[tuple[str, str], ...], _Built]] = []
_LAST_LOCK = threading.Lock()


def _keys_of(pairs: tuple[tuple[str, str], ...]) -> _Built:
    """The keys of ``pairs``: the last ones built if the names are the same, else built."""
    with _LAST_LOCK:
        if _LAST and _LAST[0][0] == pairs:
            return _LAST[0][1]
    built = NameIndex._built(pairs)
    with _LAST_LOCK:
        _LAST[:] = [(pairs, built)]
    return built


class NameIndex:
    """The known names' keys, for :meth:`link` (built once per catalog state).

    Labels are made only for the names an answer shows (:meth:`get`, :meth:`close`): a
    catalog of 60,000 names is indexed in a few hundred milliseconds.
    """

    def __init__(self, names: Iterable[KnownName] = ()) -> None:
        self._kinds: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._label: Callable[[str], str] = lambda uri: self._labels.get(uri, uri)
        self._keys: list[str] = []
        self._owners: list[str] = []
        self._exact: dict[str, list[str]] = {}
        self._full: dict[str, str] | None = None
        self._shared: _Built | None = None
        self._pending: Callable[[], Iterable[tuple[str, str]]] | None = None
        self._lock = threading.Lock()
        for n in names:
            if n.uri not in self._kinds:
                self._labels[n.uri] = n.label
                self._add(n.uri, n.kind)

    @classmethod
    def of_uris(
        cls, kinds: Callable[[], Iterable[tuple[str, str]]], label: Callable[[str], str]
    ) -> NameIndex:
        """An index of the ``(uri, kind)`` pairs ``kinds()`` gives, read on first use.

        Each name is labelled by ``label(uri)`` when shown. A question that names no
        dataset (by category, entity, system; governance) never reads the names.
        """
        index = cls()
        index._label = label
        index._pending = kinds
        return index

    def _load(self) -> None:
        if self._pending is None:
            return
        with self._lock:  # a server's threads share the index: one of them reads the names
            if self._pending is not None:
                pairs = tuple(self._pending())
                if self._kinds:  # names given up front too: add to them
                    for uri, kind in pairs:
                        if uri not in self._kinds:
                            self._add(uri, kind)
                else:
                    built = self._shared = _keys_of(pairs)
                    self._kinds, self._keys = built.kinds, built.keys
                    self._owners, self._exact = built.owners, built.exact
                self._pending = None

    def _add(self, uri: str, kind: str) -> None:
        self._kinds[uri] = kind
        for key in dict.fromkeys(name_keys(uri)):
            self._keys.append(key)
            self._owners.append(uri)
            self._exact.setdefault(key, []).append(uri)

    @classmethod
    def _built(cls, pairs: Sequence[tuple[str, str]]) -> _Built:
        """The keys of ``pairs`` (the first kind of a URI given twice wins)."""
        index = cls()
        for uri, kind in pairs:
            if uri not in index._kinds:
                index._add(uri, kind)
        return _Built(index._kinds, index._keys, index._owners, index._exact)

    def __len__(self) -> int:
        self._load()
        return len(self._kinds)

    def get(self, uri: str) -> KnownName | None:
        """The known name of ``uri``."""
        self._load()
        kind = self._kinds.get(uri)
        return None if kind is None else KnownName(uri, kind, self._label(uri))

    def close(self, phrase: str, limit: int = 3, cutoff: float = 75) -> list[KnownName]:
        """Names whose whole URI contains ``phrase`` nearly (rapidfuzz ``partial_ratio``).

        The "did you mean" list of a name that links to nothing.
        """
        self._load()
        if self._full is None:
            shared = self._shared
            if shared is not None and shared.full is not None:
                self._full = shared.full
            else:
                self._full = {u: normalise_key(u.split(":", 1)[-1]) for u in self._kinds}
                if shared is not None:
                    shared.full = self._full
        if not self._full:
            return []
        found = process.extract(
            normalise_key(phrase),
            self._full,
            scorer=fuzz.partial_ratio,
            score_cutoff=cutoff,
            limit=limit,
        )
        return [n for _, _, uri in found if (n := self.get(uri)) is not None]

    def link(self, phrase: str, kinds: Sequence[str] = ()) -> tuple[list[str], float]:
        """The URIs ``phrase`` names, best first, and the best score (0 when none).

        :param kinds: only names of these kinds (``table``, ``dataset``, ``dashboard``).
        """
        self._load()
        key = normalise_key(phrase)
        if not key or not self._keys:
            return [], 0.0
        wanted = set(kinds)
        exact = [u for u in self._exact.get(key, []) if not wanted or self._kinds[u] in wanted]
        if exact:
            return list(dict.fromkeys(exact)), 100.0
        found = process.extract(
            key, self._keys, scorer=fuzz.ratio, score_cutoff=THRESHOLD, limit=50
        )
        best: dict[str, float] = {}
        for _, score, i in found:
            uri = self._owners[i]
            if wanted and self._kinds[uri] not in wanted:
                continue
            best[uri] = max(best.get(uri, 0.0), float(score))
        if not best:
            return [], 0.0
        top = max(best.values())
        ranked = sorted((u for u, s in best.items() if s >= top - MARGIN), key=lambda u: -best[u])
        return ranked, top
