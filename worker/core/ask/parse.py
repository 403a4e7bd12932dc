"""A question in plain language → an :class:`~worker.core.ask.query.AskQuery` (deterministic).

No model: the question is normalised (lower case, hyphens and apostrophes dropped, URIs and
ISO dates kept whole), its family is told by patterns (impact, consumers, path, flows, where
stored, governance, counts and top-N, else find), and its words are read with the lexicons
of :mod:`worker.core.ask.lexicon`, longest phrase first. Dataset and table names are linked
fuzzily against the names the caller knows (:class:`~worker.core.ask.linking.NameIndex`).

Countries, regions and currencies ("Singapore", "EU", "SGD amounts") become filters the
service answers from the value facets (``docs/facets.md``); a caller without them
(``facets=False``) gets such a question refused.

Refusing beats guessing: a word that no lexicon, name or pattern accounts for, a name that
links below the threshold, or a country without value facets makes the question not
understood, with the closest readings as alternatives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from worker.core.ask.lexicon import (
    COUNTRY_PHRASES,
    CURRENCY_PHRASES,
    CURRENCY_TAILS,
    ENTITY_PHRASES,
    ENTITY_TAILS,
    FILLER,
    SYSTEM_PHRASES,
    TARGET_PHRASES,
    category_phrases,
)
from worker.core.ask.linking import KnownName, NameIndex
from worker.core.ask.query import (
    AskQuery,
    Filters,
    Masking,
    NameRef,
    Operation,
    Target,
    describe,
    system_words,
)

_URI = re.compile(r"(?:s3://|file://|(?:postgres|snowflake|redshift|looker):)[^\s,;?!()\"']+")
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_WORD = re.compile(r"[a-z0-9_.$@]+|\x00\d+")
#: Words that say which kind of thing a name is, not which one.
_KIND_HINTS = {
    "table": "table", "tables": "table", "dataset": "dataset", "datasets": "dataset",
    "prefix": "dataset", "folder": "dataset", "file": "dataset", "dashboard": "dashboard",
    "dashboards": "dashboard", "report": "dashboard", "reports": "dashboard",
}  # fmt: skip
_SCHEMA_WORDS = frozenset({"schema", "structure", "definition", "format", "type", "types"})
_IMPACT = re.compile(
    r"\b(breaks?|broken|breaking|impacts?|impacted|affects?|affected|downstream|"
    r"drop|dropping|rename|renaming|delete|deleting|remove|removing|alter|altering|"
    r"change|changes|changing|modify|modifying|depends? on|relies on|rely on)\b"
)
_CONSUME = re.compile(
    r"\b(use|uses|using|used|read|reads|reading|built on|based on|depend|depends|"
    r"fed|consume|consumes|consuming|consumers?|sourced|draw|draws|query|queries|show|shows|"
    r"rely|relies|powered)\b"
)
_FLOW = re.compile(
    r"\b(flows?|flowing|flowed|goes|going|sent|copied|leaves?|leaving|ends? up|lands?|"
    r"propagates?|travels?|moves?|masked|unmasked|unhashed|hashed|in the clear|in clear|"
    r"cleartext|plain text|plaintext|exposed)\b"
)
_STORED = re.compile(
    r"\b(stored|kept|held|live|lives|located|sit|sits|reside|resides|found|store|keep|hold|"
    r"holds|have|has|contain|contains|containing|with)\b"
)
_PENDING = re.compile(
    r"\b(pending|awaiting|to review|to be reviewed|needs? review|needing review|unreviewed|"
    r"review queue|waiting for review|waiting|undecided|to approve|for review)\b"
)
_CONTRACT = re.compile(r"\bcontracts?\b")
_CONTRACT_BAD = re.compile(
    r"\b(break|breaks|breaking|broke|violate|violates|violating|violation|violations|fail|"
    r"fails|failing|breach|breaches|breaching|not meet|dont meet|do not meet|against)\b"
)
_CHANGED = re.compile(
    r"\b(changed|modified|updated|altered|new|appeared|added|changes|drifted)\b.*\bsince\b|"
    r"\bsince\b.*\b(changed|modified|updated|altered|new|appeared|added|changes)\b|"
    r"\b(changed|modified|updated|new|changes)\b.*\b(last|past)\s+\d+\s+(days?|weeks?)\b"
)
_RELATIVE = re.compile(r"\b(?:last|past)\s+(\d+)\s+(days?|weeks?)\b")
_TOP = re.compile(r"\btop\s+(\d{1,3})\b|\b(\d{1,3})\s+(?:largest|biggest)\b")
_COUNT = re.compile(r"\b(how many|number of|count of|count the|count)\b")
_MOST = re.compile(r"\b(most|largest|biggest)\b")
_PATH = re.compile(r"\bfrom\s+(.+?)\s+(?:to|into|until)\s+(.+)$")
_OWNER = re.compile(
    r"\b(?:owned by|owner is|owner|owners|belonging to|belongs to)\s+([a-z0-9@._]+)"
)
_STOP_AFTER_OWNER = frozenset({"the", "a", "of", "is", "are"})
#: "through S3" with the verb that leads to it ("pass through", "goes via").
_THROUGH = re.compile(
    r"\b(?:(?:pass|passes|passed|passing|go|goes|going|went|run|runs|running|move|moves|"
    r"moving|travel|travels|travelling|flow|flows|flowing|routed|transit|transits)\s+)?"
    r"(?:through|via|across)\s+(?:the\s+)?([a-z0-9]+(?:\s+[a-z0-9]+)?)"
)
#: Lineage words of a find over tables ("tables fed by customer data", "feeding finance").
_FEEDS = re.compile(
    r"\b(fed by|fed from|fed|feed|feeds|feeding|feeding into|loaded from|loaded into|"
    r"sourced from|derived from|upstream of|downstream of|connected to|linked to)\b"
)
#: Words that say a category word is one ("in category finance", "categorised as").
_CATEGORY_WORDS = re.compile(r"\b(category|categories|categorised as|categorized as|"
                             r"classified as|class)\b")  # fmt: skip
#: File extensions a dataset name may be written with (``tickets.csv``).
_FILE_EXTENSIONS = frozenset(
    "csv tsv json jsonl ndjson parquet avro orc txt gz bz2 zst zstd xz snappy zip".split()
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What parsing a question gave.

    :param query: the query (also when not understood, if a reading exists: the
        alternatives describe it).
    :param understood: whether the query may be executed.
    :param reason: why it is not understood (``None`` when it is).
    :param alternatives: the closest readings, in words.
    """

    query: AskQuery | None
    understood: bool
    reason: str | None = None
    alternatives: tuple[str, ...] = ()
    matched: tuple[tuple[str, str], ...] = field(default=())


class _Tokens:
    """The question's words and which of them were read."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.used = [False] * len(words)
        self.matched: list[tuple[int, str, str]] = []

    def text(self) -> str:
        return " ".join(self.words)

    def take(self, lexicon: Mapping[str, str], kind: str, longest: int = 5) -> list[str]:
        """Read every phrase of ``lexicon`` among the unread words, longest first."""
        found: list[tuple[int, str]] = []
        for n in range(longest, 0, -1):
            i = 0
            while i + n <= len(self.words):
                span = range(i, i + n)
                if any(self.used[j] for j in span):
                    i += 1
                    continue
                phrase = " ".join(self.words[i : i + n])
                value = lexicon.get(phrase)
                if value is None:
                    i += 1
                    continue
                for j in span:
                    self.used[j] = True
                found.append((i, value))
                self.matched.append((i, f"{kind} {value}", phrase))
                i += n
        return [v for _, v in sorted(found)]

    def take_regex(
        self, pattern: re.Pattern[str], what: str, every: bool = False
    ) -> re.Match[str] | None:
        """Mark the words a pattern matches as read; return the first match.

        :param every: every match, not only the first.
        """
        text = self.text()
        first: re.Match[str] | None = None
        for match in pattern.finditer(text):
            start = len(text[: match.start()].split())
            count = len(match.group(0).split())
            for j in range(start, min(start + count, len(self.words))):
                self.used[j] = True
            self.matched.append((start, what, match.group(0)))
            first = first or match
            if not every:
                break
        return first

    def mark(self, word: str) -> bool:
        """Mark the first unread occurrence of ``word`` as read."""
        for j, w in enumerate(self.words):
            if w == word and not self.used[j]:
                self.used[j] = True
                return True
        return False

    def unread(self) -> list[tuple[int, str]]:
        return [(j, w) for j, w in enumerate(self.words) if not self.used[j]]

    def leftover(self) -> list[str]:
        """Unread words that are not fillers: what the question says that was not read."""
        return [w for _, w in self.unread() if w not in FILLER and not w.isdigit()]

    def matches(self) -> tuple[tuple[str, str], ...]:
        return tuple((what, words) for _, what, words in sorted(self.matched))

    def absorb_after(self, kind: str, words: frozenset[str]) -> None:
        """Mark an unread word of ``words`` right after a phrase read as ``kind`` as read.

        ``NRIC numbers``, ``SGD amounts``: the word says what the phrase's values are.
        """
        for n, (start, what, phrase) in enumerate(self.matched):
            if not what.startswith(kind + " "):
                continue
            j = start + len(phrase.split())
            if j < len(self.words) and not self.used[j] and self.words[j] in words:
                self.used[j] = True
                self.matched[n] = (start, what, f"{phrase} {self.words[j]}")


def normalise(question: str) -> tuple[str, list[str], list[str]]:
    """Lower-cased text with URIs as NUL-numbered placeholders; the URIs; the ISO dates."""
    uris: list[str] = []

    def keep(m: re.Match[str]) -> str:
        uris.append(m.group(0).rstrip(".,"))
        return f" \x00{len(uris) - 1} "

    text = _URI.sub(keep, question.strip())
    dates = _DATE.findall(text)
    text = _DATE.sub(" ", text)
    text = text.lower().replace("’", "'").replace("'s ", " ").replace("'", "")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", "", text)  # e-mail → email
    text = re.sub(r"[^a-z0-9_.$@\x00\s]", " ", text)
    words = [w.strip(".") for w in _WORD.findall(text)]
    return " ".join(w for w in words if w), uris, dates


def parse_question(
    question: str,
    names: NameIndex,
    categories: Mapping[str, Sequence[str]] | None = None,
    today: date | None = None,
    facets: bool = False,
) -> Parsed:
    """Parse ``question`` into a query, or say why it is not understood.

    :param names: the catalog's datasets, tables and dashboards to link names against.
    :param categories: category → taxonomy keywords (``None``: names and synonyms only).
    :param today: for "in the last 7 days" (default: no relative dates).
    :param facets: whether the caller can answer country, region and currency filters
        (value facets); without them such a question is not understood.
    """
    text, uris, dates = normalise(question)
    if not text.strip():
        return Parsed(None, False, "the question is empty")
    tokens = _Tokens(text.split())
    parser = _Parser(tokens, uris, dates, names, category_phrases(categories), today)
    parser.facets = facets
    return parser.parse()


class _Parser:
    def __init__(
        self,
        tokens: _Tokens,
        uris: list[str],
        dates: list[str],
        names: NameIndex,
        categories: dict[str, str],
        today: date | None,
    ) -> None:
        self.t = tokens
        self.uris = uris
        self.dates = dates
        self.names = names
        self.categories = categories
        self.today = today
        self.facets = False

    # -- the families ---------------------------------------------------------------------

    def parse(self) -> Parsed:
        text = self.t.text()
        if _CONTRACT.search(text) and (_CONTRACT_BAD.search(text) or "contract" in text):
            return self._governance_contracts()
        if _PENDING.search(text) and re.search(r"\b(review|pending|approve|suggestions?)\b", text):
            return self._governance_pending()
        if re.search(r"\balerts?\b|\bincidents\b|\bwarnings\b", text):
            return self._governance_alerts()
        if _CHANGED.search(text) and (self.dates or _RELATIVE.search(text)):
            return self._changed()
        path = _PATH.search(text)
        if path is not None:
            parsed = self._path_or_flow(path)
            if parsed is not None:
                return parsed
        dashboards = re.search(r"\b(dashboards?|reports?|looks?|explores?)\b", text)
        if dashboards and re.search(r"\b(depends? on|relies on|rely on)\b", text):
            return self._consumers()  # "which reports depend on X": its dashboards
        if _IMPACT.search(text) and not re.search(r"\bchanged\b", text):
            return self._impact()
        if dashboards and _CONSUME.search(text):
            return self._consumers()
        if re.search(r"\b(consumers? of|who uses|who reads|who consumes|what uses)\b", text):
            return self._consumers()
        if _FLOW.search(text) and not self._through_only(text):
            return self._flows()
        return self._find()

    def _through_only(self, text: str) -> bool:
        """``customer data flowing through S3``: a find with a lineage filter, not a flow."""
        if re.search(r"\b(masked|unmasked|unhashed|hashed|in the clear|in clear|exposed)\b", text):
            return False
        return re.search(r"\b(through|via|across)\b", text) is not None and not re.search(
            r"\bwhere\b", text
        )

    def _find(self) -> Parsed:
        t = self.t
        text = t.text()
        top = t.take_regex(_TOP, "top")
        limit: int | None = None
        operation = Operation.LIST
        rank_by = "pii"
        if top is not None:
            limit = int(top.group(1) or top.group(2))
            operation = Operation.TOP
            rank_by = "bytes" if re.search(r"\b(largest|biggest)\b", top.group(0)) else "pii"
        elif t.take_regex(_COUNT, "count"):
            operation = Operation.COUNT
        elif (most := t.take_regex(_MOST, "top")) is not None:
            operation, limit = Operation.TOP, 10
            rank_by = "pii" if most.group(1) == "most" else "bytes"
        f, problem = self._filters()
        if problem is not None:
            return problem
        target = self._target()
        if target is None:
            target = Target.DATASETS
        if target is Target.TABLES or f.systems:
            # Tables are found along lineage either way: "fed by" and "feeding" say so.
            t.take_regex(_FEEDS, "lineage", every=True)
        stored = re.search(r"\bwhere\b", text) and f.entities and _STORED.search(text)
        if target is Target.COLUMNS or stored:
            if target is not Target.COLUMNS:
                target = Target.COLUMNS
            if not f.entities:
                f = replace(f, entities=("*",))
            family = "pii" if stored else "find"
            query = AskQuery(family, Target.COLUMNS, Operation.STORED if operation is Operation.LIST
                             else operation, f, limit=limit, rank_by=rank_by)  # fmt: skip
            return self._finish(query)
        if target in (Target.SUGGESTIONS, Target.ALERTS):
            return self._finish(AskQuery("governance", target, operation, f, limit=limit))
        if target is Target.DASHBOARDS and not f.is_empty():
            return self._finish(AskQuery("consumers", Target.DASHBOARDS, Operation.CONSUMERS, f))
        family = "count" if operation in (Operation.COUNT, Operation.TOP) else "find"
        if f.entities and family == "find" and not f.through:
            family = "pii"
        if t.leftover():
            return self._unknown(t.leftover())
        if f.is_empty() and operation is Operation.LIST and not t.matched:
            return Parsed(None, False, "nothing in the question names data to look for")
        query = AskQuery(family, target, operation, f, limit=limit, rank_by=rank_by)
        return self._finish(query)

    def _flows(self) -> Parsed:
        t = self.t
        masking = Masking.ANY
        if t.take_regex(re.compile(r"\b(unmasked|unhashed|in the clear|in clear|cleartext|"
                                   r"plain text|plaintext|exposed|not masked|without masking|"
                                   r"unprotected)\b"), "unmasked"):  # fmt: skip
            masking = Masking.UNMASKED
        elif t.take_regex(re.compile(r"\b(masked|hashed|protected|with masking)\b"), "masked"):
            masking = Masking.MASKED
        t.take_regex(_FLOW, "flows", every=True)
        f, problem = self._filters()
        if problem is not None:
            return problem
        f = replace(f, masking=masking)
        if not f.entities and not f.categories and not f.source_system:
            f = replace(f, entities=("*",))
        return self._finish(AskQuery("flows", Target.DATASETS, Operation.FLOWS, f))

    def _path_or_flow(self, match: re.Match[str]) -> Parsed | None:
        left, right = match.group(1), match.group(2)
        ls, rs = self._system_of(left), self._system_of(right)
        if ls and rs:
            self.t.take_regex(re.compile(r"\bfrom\b"), "from")
            self.t.take_regex(re.compile(r"\b(to|into|until)\b"), "to")
            self.t.take(SYSTEM_PHRASES, "system")
            f, problem = self._filters()
            if problem is not None:
                return problem
            masking = Masking.ANY
            text = self.t.text()
            if re.search(r"\b(unmasked|unhashed|in the clear|in clear|exposed)\b", text):
                masking = Masking.UNMASKED
            elif re.search(r"\b(masked|hashed)\b", text):
                masking = Masking.MASKED
            self.t.take_regex(_FLOW, "flows", every=True)
            self.t.take_regex(re.compile(r"\b(paths?|routes?|hops?|lineage)\b"), "flows")
            f = replace(f, source_system=ls, destination_system=rs, systems=(), masking=masking)
            leftover = self.t.leftover()
            if leftover:
                return self._unknown(leftover)
            return self._finish(AskQuery("flows", Target.DATASETS, Operation.FLOWS, f))
        a = self._link_phrase(left)
        b = self._link_phrase(right)
        if isinstance(a, Parsed) or isinstance(b, Parsed):
            return a if isinstance(a, Parsed) else b if isinstance(b, Parsed) else None
        if a is None or b is None:
            return None
        return Parsed(
            AskQuery("flows", Target.DATASETS, Operation.PATH, names=(a, b),
                     matched=(("path from", left), ("path to", right))),
            True,
            matched=(("path from", left), ("path to", right)),
        )  # fmt: skip

    def _system_of(self, phrase: str) -> str | None:
        words = [
            w
            for w in phrase.split()
            if w not in FILLER and w not in _KIND_HINTS and not _FLOW.fullmatch(w)
        ]
        if not words:
            return None
        joined = " ".join(words)
        for n in range(len(words), 0, -1):
            for i in range(len(words) - n + 1):
                if " ".join(words[i : i + n]) in SYSTEM_PHRASES and n == len(words):
                    return SYSTEM_PHRASES[" ".join(words[i : i + n])]
        return SYSTEM_PHRASES.get(joined)

    def _impact(self) -> Parsed:
        t = self.t
        t.take_regex(_IMPACT, "impact", every=True)
        t.take_regex(re.compile(r"\b(happen|happens|fail|fails)\b"), "impact")
        for w in _SCHEMA_WORDS:
            t.mark(w)
        ref = self._name_in_question()
        if isinstance(ref, Parsed):
            return ref
        if ref is None:
            return Parsed(None, False, "an impact question needs a table or dataset to start "
                          "from, and none in the question is known")  # fmt: skip
        leftover = t.leftover()
        if leftover:
            return self._unknown(leftover)
        return self._finish(AskQuery("impact", Target.DATASETS, Operation.IMPACT, names=(ref,)))

    def _consumers(self) -> Parsed:
        t = self.t
        t.take_regex(_CONSUME, "consumers")
        t.take_regex(re.compile(r"\b(dashboards?|reports?|looks?|explores?|looker reports|"
                                r"looker dashboards|consumers?)\b"), "dashboards")  # fmt: skip
        t.mark("looker")
        if self.uris or re.search(r"\b(table|dataset|prefix|folder|file)\b", t.text()):
            # "the customers table" names a dataset: linked before words read as categories.
            named = self._name_in_question()
            if isinstance(named, Parsed):
                return named
            if named is not None:
                leftover = t.leftover()
                if leftover:
                    return self._unknown(leftover)
                query = AskQuery(
                    "consumers", Target.DASHBOARDS, Operation.CONSUMERS, names=(named,)
                )
                return self._finish(query)
        f, problem = self._filters(keep_unread_for_names=True)
        if problem is not None:
            return problem
        ref = None
        if t.leftover():
            found = self._name_in_question()
            if isinstance(found, Parsed):
                return found
            ref = found
        if ref is None and f.is_empty():
            return Parsed(None, False, "which data the dashboards should use is not said, or "
                          "names nothing known")  # fmt: skip
        leftover = t.leftover()
        if leftover:
            return self._unknown(leftover)
        names = (ref,) if ref is not None else ()
        query = AskQuery("consumers", Target.DASHBOARDS, Operation.CONSUMERS, f, names=names)
        return self._finish(query)

    def _governance_contracts(self) -> Parsed:
        t = self.t
        t.take_regex(_CONTRACT_BAD, "contract check")
        t.take_regex(_CONTRACT, "contracts")
        t.take_regex(re.compile(r"\b(their|its|the|data)\b"), "contract")
        return self._governance(Target.CONTRACTS)

    def _governance_pending(self) -> Parsed:
        t = self.t
        t.take_regex(_PENDING, "pending")
        t.take_regex(re.compile(r"\b(review|reviews|reviewed|approval|approve|stewards?|"
                                r"suggestions?|decisions?|decide)\b"), "review")  # fmt: skip
        t.take_regex(re.compile(r"\b(review|approval)\b"), "review")
        return self._governance(Target.SUGGESTIONS, state="pending")

    def _governance_alerts(self) -> Parsed:
        t = self.t
        state = "open"
        m = t.take_regex(re.compile(r"\b(open|unresolved|active|acknowledged|resolved|closed)\b"),
                         "state")  # fmt: skip
        if m is not None:
            word = m.group(1)
            state = {"unresolved": "open", "active": "open", "closed": "resolved"}.get(word, word)
        return self._governance(Target.ALERTS, state=state)

    def _governance(self, target: Target, state: str | None = None) -> Parsed:
        t = self.t
        top = t.take_regex(_COUNT, "count")
        t.take(TARGET_PHRASES, "target")
        f, problem = self._filters()
        if problem is not None:
            return problem
        f = replace(f, state=state)
        op = Operation.COUNT if top else Operation.LIST
        return self._finish(AskQuery("governance", target, op, f))

    def _changed(self) -> Parsed:
        t = self.t
        t.take_regex(_CHANGED, "changed")
        since = self._since()
        t.take(TARGET_PHRASES, "target")
        t.take_regex(re.compile(r"\b(schema|schemas|since|changed|new)\b"), "changed")
        f, problem = self._filters()
        if problem is not None:
            return problem
        f = replace(f, since=since)
        return self._finish(AskQuery("governance", Target.DATASETS, Operation.CHANGED, f))

    # -- parts ----------------------------------------------------------------------------

    def _since(self) -> date | None:
        if self.dates:
            try:
                return date.fromisoformat(self.dates[0])
            except ValueError:
                return None
        rel = self.t.take_regex(_RELATIVE, "since")
        if rel is not None and self.today is not None:
            n = int(rel.group(1))
            days = n * 7 if rel.group(2).startswith("week") else n
            return self.today - timedelta(days=days)
        return None

    def _filters(self, keep_unread_for_names: bool = False) -> tuple[Filters, Parsed | None]:
        t = self.t
        text = t.text()
        owner: str | None = None
        m = _OWNER.search(text)
        if m is not None and m.group(1) not in _STOP_AFTER_OWNER:
            owner = m.group(1)
            t.take_regex(_OWNER, f"owner {owner}")
        through: list[str] = []
        for via in _THROUGH.finditer(text):
            for phrase in (via.group(1), via.group(1).split()[0]):
                system = SYSTEM_PHRASES.get(phrase) or SYSTEM_PHRASES.get(f"the {phrase}")
                if system is not None:
                    through.append(system)
                    start = len(text[: via.start()].split())
                    lead = len(text[via.start() : via.start(1)].split())
                    for j in range(start, start + lead + len(phrase.split())):
                        if j < len(t.words):
                            t.used[j] = True
                    t.matched.append((start, f"through {system}", via.group(0)))
                    break
        entities = t.take(ENTITY_PHRASES, "entity")
        t.absorb_after("entity", ENTITY_TAILS)
        # Currencies before countries: "Singapore dollars" is SGD, not Singapore.
        currencies = t.take(CURRENCY_PHRASES, "currency")
        if currencies:  # "SGD amounts", "prices in euros": what is counted in the currency
            for j, w in t.unread():
                if w in CURRENCY_TAILS:
                    t.used[j] = True
        countries = t.take(COUNTRY_PHRASES, "country")
        systems = t.take(SYSTEM_PHRASES, "system")
        categories = t.take(self.categories, "category")
        if categories:
            t.take_regex(_CATEGORY_WORDS, "category", every=True)
        target_words = [w for _, w in t.unread() if w in TARGET_PHRASES]
        del target_words
        f = Filters(
            categories=tuple(dict.fromkeys(categories)),
            entities=tuple(dict.fromkeys(entities)),
            systems=tuple(dict.fromkeys(s for s in systems if s not in through)),
            through=tuple(dict.fromkeys(through)),
            owner=owner,
            countries=tuple(dict.fromkeys(countries)),
            currencies=tuple(dict.fromkeys(currencies)),
        )
        if f.systems == ("looker",):
            f = replace(f, systems=())
            self._target_hint = Target.DASHBOARDS
        return f, None

    _target_hint: Target | None = None

    def _target(self) -> Target | None:
        found = self.t.take(TARGET_PHRASES, "target", longest=2)
        if self._target_hint is not None:
            return self._target_hint
        for word in found:
            if word != "datasets":
                return Target(word)
        return Target.DATASETS if found else None

    def _name_in_question(self) -> NameRef | Parsed | None:
        """The dataset the unread words name (with a column, when one is named)."""
        t = self.t
        if self.uris:
            for j, w in enumerate(t.words):
                if w.startswith("\x00"):
                    t.used[j] = True
            return _uri_ref(self.uris[0])
        kinds: list[str] = []
        systems: list[str] = []
        column: str | None = None
        for j, w in t.unread():
            if w in ("column", "columns", "field", "fields"):
                t.used[j] = True
                after = [x for k, x in t.unread() if k > j and x not in FILLER]
                before = [x for k, x in t.unread() if k < j and x not in FILLER]
                near_after = [(k, x) for k, x in t.unread() if k == j + 1 or (
                    k == j + 2 and t.words[j + 1] in ("the", "named", "called"))]  # fmt: skip
                if near_after and near_after[0][1] not in FILLER:
                    column = near_after[0][1]
                    t.used[near_after[0][0]] = True
                elif before:
                    k = max(k for k, x in t.unread() if k < j and x not in FILLER)
                    column = t.words[k]
                    t.used[k] = True
                del after
                break
        for j, w in t.unread():
            if w in _KIND_HINTS:
                kinds.append(_KIND_HINTS[w])
                t.used[j] = True
        for j, w in t.unread():
            system = SYSTEM_PHRASES.get(w)
            if system is not None:
                systems.append(system)
                t.used[j] = True
        words = [(j, w) for j, w in t.unread() if w not in FILLER]
        if not words:
            return None
        if column is None and len(words) == 1 and "." in words[0][1]:
            # ``users.email``: a table and its column, when the table is known; but
            # ``tickets.csv`` is a file's name.
            table, _, col = words[0][1].rpartition(".")
            linked = self._link(table, kinds, systems)
            if isinstance(linked, NameRef) and col not in _FILE_EXTENSIONS:
                t.used[words[0][0]] = True
                return replace(linked, column=col, phrase=words[0][1])
        qualified = _qualified(words)
        if qualified is not None:
            # ``order_items in analytics.public``: the schema written after the table.
            linked = self._link(qualified, kinds, systems)
            if isinstance(linked, NameRef):
                for j, _ in words:
                    t.used[j] = True
                return replace(linked, column=column)
        phrase = " ".join(w for _, w in words)
        linked = self._link(phrase, kinds, systems)
        if isinstance(linked, NameRef):
            for j, _ in words:
                t.used[j] = True
            return replace(linked, column=column)
        # The name may be one of several unread words: the one that links best.
        for j, w in sorted(words, key=lambda x: -len(x[1])):
            one = self._link(w, kinds, systems)
            if isinstance(one, NameRef):
                t.used[j] = True
                return replace(one, column=column)
        return linked

    def _link_phrase(self, phrase: str) -> NameRef | Parsed | None:
        words = phrase.split()
        if len(words) == 1 and words[0].startswith("\x00"):
            return _uri_ref(self.uris[int(words[0][1:])])
        kinds = [_KIND_HINTS[w] for w in words if w in _KIND_HINTS]
        systems = [SYSTEM_PHRASES[w] for w in words if w in SYSTEM_PHRASES]
        rest = [w for w in words if w not in FILLER and w not in _KIND_HINTS
                and w not in SYSTEM_PHRASES]  # fmt: skip
        if not rest:
            return None
        return self._link(" ".join(rest), kinds, systems)

    def _link(self, phrase: str, kinds: list[str], systems: list[str]) -> NameRef | Parsed:
        """Link ``phrase`` to known names, narrowed by kind and system hints."""
        wanted = list(dict.fromkeys(kinds))
        found, score = self.names.link(phrase, wanted)
        if systems:
            narrowed = [u for u in found if _system_of_uri(u) in systems]
            found = narrowed
        if not found:
            close = self._close(phrase)
            alternatives = tuple(f"{n.label} ({n.uri})" for n in close)
            reason = f"no known dataset or table is called {phrase!r}"
            return Parsed(None, False, reason, alternatives, self.t.matches())
        return NameRef(phrase, found[0], None, tuple(found), score)

    def _close(self, phrase: str) -> list[KnownName]:
        """Names that score below the threshold but near it: the "did you mean" list."""
        return self.names.close(phrase)

    def _unknown(self, words: list[str]) -> Parsed:
        close: list[str] = []
        for w in words:
            close.extend(f"{n.label} ({n.uri})" for n in self._close(w) if len(w) > 2)
        said = ", ".join(repr(w) for w in words)
        readings = tuple(dict.fromkeys(close))[:5]
        return Parsed(None, False, f"no catalog term matches {said}", readings, self.t.matches())

    def _finish(self, query: AskQuery) -> Parsed:
        """Refuse what was not read; refuse countries and currencies without value facets."""
        leftover = self.t.leftover()
        if leftover:
            return self._unknown(leftover)
        query = replace(query, matched=self.t.matches())
        if (query.filters.countries or query.filters.currencies) and not self.facets:
            without = replace(query, filters=replace(query.filters, countries=(), currencies=()))
            where = " or ".join(query.filters.countries + query.filters.currencies)
            reason = (
                f"country facets are not collected yet: which datasets hold {where} data "
                "cannot be told (the catalog keeps no column values)"
            )
            return Parsed(query, False, reason, (describe(without) + " (any country)",),
                          query.matched)  # fmt: skip
        return Parsed(query, True, None, (), query.matched)


def _qualified(words: list[tuple[int, str]]) -> str | None:
    """``[order_items, analytics.public]`` → ``analytics.public.order_items`` (else ``None``).

    A table name and, after it, a dotted qualifier (database and schema, or schema).
    """
    if len(words) != 2:
        return None
    name, qualifier = words[0][1], words[1][1]
    if "." in name or "." not in qualifier or qualifier.split(".")[-1] in _FILE_EXTENSIONS:
        return None
    return f"{qualifier}.{name}"


def _system_of_uri(uri: str) -> str:
    system = uri.split(":", 1)[0]
    return "lake" if system in ("s3", "file") else system


def _uri_ref(uri: str) -> NameRef:
    """A URI written out in the question: ``postgres:db.schema.table.column`` keeps its column."""
    column = None
    system, _, rest = uri.partition(":")
    if system in ("postgres", "snowflake", "redshift") and rest.count(".") == 3:
        rest, _, column = rest.rpartition(".")
        uri = f"{system}:{rest}"
    return NameRef(uri, uri, column, (uri,), 100.0)


__all__ = ["Parsed", "normalise", "parse_question", "system_words"]
