"""Column-name evidence: tokens, multilingual keywords, and count/flag de-rating.

A column name can support an entity but never prove it: the caller weighs a
:class:`NameSignal`'s ``strength`` against what the values say. The API separates three
questions:

* :func:`mentioned_entities` - which entities the name talks about (``phone_count`` mentions
  PHONE_NUMBER);
* :func:`derated` - whether the name marks a count, id, flag, attribute or date *of* something
  (``phone_count`` -> ``"token count"``), optionally for one entity;
* :func:`name_signals` - the entities the name *supports*: mentioned and not de-rated for them.

So "name supports X" is ``X in name_signals(n)``, and "name is a count/flag of X" is
``X in mentioned_entities(n) and derated(n, X)``. Pure code, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from classifiers.pii.entities.builtin import BUILTIN_ENTITIES
from classifiers.pii.entities.spec import EntitySpec

#: Bumped whenever a table below changes (part of the classifier's version).
NAMES_VERSION: Final = "names-3"


@dataclass(frozen=True)
class NameSignal:
    """A column name's support for an entity.

    :param entity: the entity.
    :param keyword: the keyword (tokens joined by ``_``) that matched.
    :param strength: 1.0 unambiguous (``email``, ``ssn``, ``geburtsdatum``), about 0.5
        ambiguous (``name``, ``address``), lower for weak hints (``contact``, ``fin``).
    """

    entity: str
    keyword: str
    strength: float


# ------------------------------------------------------------------------------------------
# Keyword tables. The keywords are declared per entity and language in
# classifiers.pii.entities.builtin; keys are folded like tokens (lowercase, no accents, umlauts
# as ae/oe/ue); a keyword of several words is a phrase of consecutive tokens. Umlaut keywords
# also match the plain-vowel spelling (``fuhrerschein``), see _variants.

_PE, _A, _D = "PERSON", "STREET_ADDRESS", "DATE_OF_BIRTH"

_KW: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    spec.name: spec.all_keywords for spec in BUILTIN_ENTITIES
}

#: Phrases that name something else and swallow their tokens (``ip_address`` is not a street,
#: ``license_plate`` not a licence, ``product_name`` not a person).
_BLOCKERS: Final = (
    "mac address", "wallet address", "contract address", "email domain", "license plate",
    "licence plate", "license key", "licence key", "software license", "place of birth",
    "birth place", "birthplace", "country of birth", "birth country", "city of birth",
    "geburtsort", "lieu de naissance", "lieu naissance", "lugar de nacimiento",
    "luogo di nascita", "pays de naissance", "user agent", "file name", "host name",
    "domain name", "postal code", "zip code", "post code",
    "pan card",
    # Russian, folded as names are (й -> и): a file's, company's, host's or product's name, a
    # server's or site's address.
    "имя фаила", "имя компании", "имя сервера", "имя хоста", "имя товара", "имя продукта",
    "адрес сервера", "адрес саита",
)  # fmt: skip

#: Tokens that make an ambiguous PERSON keyword (``name``) name something that is not a person.
NON_PERSON_CONTEXT: Final = frozenset(
    """product company firm brand file filename category city country state province region
    county town village street useragent organization organisation org business
    merchant vendor supplier store shop item sku article department dept team project app
    application service server host hostname domain table column field schema database db
    bucket key tag label event metric model job task queue topic language currency plan tier
    role group channel campaign device browser os platform feature image folder path dir
    sheet document report dataset package module class function method variable param
    setting config env course school university hospital hotel restaurant airport airline
    station building venue bank branch account game song album
    movie book title genre species breed color colour size type produkt firma unternehmen
    datei stadt land marke kategorie produit entreprise societe fichier ville pays marque
    categorie producto empresa archivo ciudad pais marca categoria prodotto azienda citta
    paese bedrijf stad cidade loja tienda magasin geschaeft""".split()
)
#: Tokens that make an ambiguous STREET_ADDRESS keyword (``address``) mean something else.
NON_ADDRESS_CONTEXT: Final = frozenset(
    """ip ipv4 ipv6 mac email mail web url wallet contract ethereum eth btc bitcoin crypto
    memory mem host server remote network net hex pointer ptr""".split()
)

#: Entities whose values are identifiers: an ``_id``/``_no`` suffix does not de-rate them.
IDENTIFIER_ENTITIES: Final = frozenset(s.name for s in BUILTIN_ENTITIES if s.identifier)

# De-rating. Tokens anywhere in the name, with the reason reported.
_COUNT_TOKENS: Final = frozenset(
    """count counts cnt qty quantity total totals sum avg mean min max pct percent ratio
    rate freq frequency anzahl cantidad""".split()
)
_FLAG_TOKENS: Final = frozenset(
    """flag flags verified valid validated invalid confirmed optin optout opt consent
    consented bounced bounce subscribed unsubscribed enabled disabled active blocked
    allowed exists present missing provided available""".split()
)
_ATTRIBUTE_TOKENS: Final = frozenset(
    """hash hashed sha sha1 sha256 md5 digest encrypted length len score rank ranking type
    kind status format domain provider country expiry expiration exp expires issued issuer
    brand network last4 lastfour bin cvv cvc template verification""".split()
)
_DATE_TOKENS: Final = frozenset(
    "date time timestamp ts datetime at on dt created updated modified sent changed".split()
)
#: Date tokens that are prepositions: a date marker only as a name's last word, or before
#: :data:`_DATE_SUFFIXES` only.
_DATE_PARTICLES: Final = frozenset({"at", "on"})
#: Time-zone, unit and format words that may follow a date marker (``login_at_utc``).
_DATE_SUFFIXES: Final = frozenset(
    {"utc", "gmt", "local", "tz", "ms", "millis", "epoch", "iso", "unix", "ts", "sec", "secs"}
)
_NUMBER_OF_PREFIXES: Final = frozenset({"num", "nb", "n", "no", "nbr", "number", "cnt"})
_FLAG_PREFIXES: Final = frozenset({"is", "has", "can", "should", "was", "did", "allow"})
_ID_TOKENS: Final = frozenset({"id", "ids", "uuid", "guid", "key", "pk", "fk", "ид"})

# Filler and modifier words that may appear inside phrases without being keywords.
_EXTRA_VOCAB: Final = frozenset(
    """cust customer client user contact billing shipping home work primary secondary alt
    alternate other personal business private mobile office main emergency nummer number
    num no nr nbr code of de di del da the id ids line addr adresse first last full given
    family middle card holder bank account remote source src dst host date day year
    kunde kunden""".split()
)


def _fold(text: str) -> str:
    """Lowercase with German letters spelled out (ü→ue, ß→ss) and other accents removed."""
    t = text.replace("ß", "ss").replace("ẞ", "SS")
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue")):
        t = t.replace(src, dst)
    t = t.replace("æ", "ae").replace("Æ", "Ae").replace("œ", "oe").replace("Œ", "Oe")
    t = t.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", t)
    # NFC again: hangul syllables come apart into jamo under NFKD and must stay whole.
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def _variants(word: str) -> set[str]:
    """``word`` and, when it spells umlauts out (``fuehrer``), the plain-vowel spelling."""
    out = {word}
    plain = re.sub(r"(?<=[a-z])(ae|oe|ue)", lambda m: m.group(1)[0], word)
    if plain != word:
        out.add(plain)
    return out


def _build_tables() -> tuple[dict[tuple[str, ...], tuple[str | None, float]], frozenset[str]]:
    phrases: dict[tuple[str, ...], tuple[str | None, float]] = {}
    for entity, entries in _KW.items():
        for keyword, strength in entries:
            for variant in _variants(keyword):
                key = tuple(variant.split())
                if phrases.get(key, (None, -1.0))[1] < strength:
                    phrases[key] = (entity, strength)
    for blocker in _BLOCKERS:
        phrases[tuple(blocker.split())] = (None, 0.0)
    vocab = {tok for key in phrases for tok in key}
    vocab |= NON_PERSON_CONTEXT | NON_ADDRESS_CONTEXT | _COUNT_TOKENS | _FLAG_TOKENS
    vocab |= _ATTRIBUTE_TOKENS | _DATE_TOKENS | _EXTRA_VOCAB | _ID_TOKENS
    # One- and two-letter tokens would split ordinary words into noise ("i"+"ban").
    return phrases, frozenset(w for w in vocab if len(w) >= 3 or w in {"ip", "cc", "dl"})


_PHRASES, _VOCAB = _build_tables()
_MAX_PHRASE: Final = max(len(k) for k in _PHRASES)
_CAMEL: Final = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_JOINED_DIGITS: Final = frozenset(
    {"ipv4", "ipv6", "line1", "line2", "line3", "sha1", "sha256", "md5", "last4", "e164"}
)


def _split_compound(token: str) -> list[str]:
    """``token`` split into known words when it is entirely made of them (``emailaddress``).

    Tokens that are words themselves, and tokens no split covers, are returned whole.
    """
    if token in _VOCAB or len(token) < 5:
        return [token]
    n = len(token)
    # best[i] = fewest words covering token[:i]
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        prev = best[i]
        if prev is None:
            continue
        for j in range(i + 2, n + 1):
            piece = token[i:j]
            if piece in _VOCAB or (j == n and _singular(piece) in _VOCAB):
                cand = [*prev, piece]
                cur = best[j]
                if cur is None or len(cand) < len(cur):
                    best[j] = cand
    result = best[n]
    return result if result and len(result) > 1 else [token]


def _singular(token: str) -> str:
    """``emails`` -> ``email``, ``addresses`` -> ``address`` when the singular is a known word."""
    if len(token) > 3 and token.endswith("es") and token[:-2] in _VOCAB:
        return token[:-2]
    if len(token) > 2 and token.endswith("s") and token[:-1] in _VOCAB:
        return token[:-1]
    return token


def _is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph, kana or hangul syllable (scripts without spaces)."""
    o = ord(ch)
    return (
        0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0x3400 <= o <= 0x4DBF  # CJK extension A
        or 0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= o <= 0xD7AF  # hangul syllables
        or 0xF900 <= o <= 0xFAFF  # CJK compatibility ideographs
    )


#: CJK words that are no keyword but change what one beside them means, as the token of
#: their English counterpart (which :data:`NON_PERSON_CONTEXT` and
#: :data:`NON_ADDRESS_CONTEXT` hold: ``会社名前`` is a company's name, ``이메일주소`` an
#: e-mail address), or ``""``: a word that holds a keyword's characters without its meaning
#: (``発生日``, the date something happened, holds ``生日``, birthday), consumed unread.
_CJK_CONTEXT: Final = {
    "会社": "company", "公司": "company", "회사": "company", "企業": "company",
    "商品": "product", "产品": "product", "製品": "product", "상품": "product",
    "ファイル": "file", "文件": "file", "파일": "file",
    "サーバー": "server", "服务器": "server", "서버": "server",
    "メール": "email", "邮箱": "email", "电子邮件": "email", "이메일": "email",
    "発生": "", "发生": "", "발생": "", "産生": "", "产生": "", "再生": "", "衛生": "",
    "卫生": "", "学生": "", "人生": "",
}  # fmt: skip

#: CJK keywords too short to mean the same inside a longer name: a token only as the whole
#: run (``名``, a given-name column; ``会社名`` is a company's name).
_CJK_WHOLE_RUN: Final = frozenset({"名"})


#: The single-word keywords written in CJK characters (but :data:`_CJK_WHOLE_RUN`) and the
#: context words, longest first. CJK writing has no spaces, so they are looked for inside a
#: run (``顧客氏名`` holds ``氏名``).
_CJK_WORDS: Final = tuple(
    sorted(
        {kw for entries in _KW.values() for kw, _ in entries if kw and all(map(_is_cjk, kw))}
        - _CJK_WHOLE_RUN
        | set(_CJK_CONTEXT),
        key=lambda kw: (-len(kw), kw),
    )
)


def _cyrillic_or_greek(run: str) -> bool:
    """Whether every letter of ``run`` is Greek or Cyrillic (spaced words, unlike CJK)."""
    return all(0x0370 <= ord(ch) <= 0x052F for ch in run)


def _non_latin_tokens(run: str) -> list[str]:
    """The tokens of a run of letters outside the Latin alphabet.

    In a CJK run, the CJK keywords and context words (:data:`_CJK_CONTEXT`) it holds, left to
    right and longest first (other CJK characters give none, as before); a Cyrillic or Greek
    word, lowercased; any other run (a letter no folding made Latin, ``ı``) none, as before.
    """
    if not any(map(_is_cjk, run)):
        return [run.lower()] if _cyrillic_or_greek(run) else []
    if run in _CJK_WHOLE_RUN:
        return [run]
    out: list[str] = []
    i = 0
    while i < len(run):
        hit = next((kw for kw in _CJK_WORDS if run.startswith(kw, i)), None)
        if hit is None:
            i += 1
            continue
        token = _CJK_CONTEXT.get(hit, hit)
        if token:
            out.append(token)
        i += len(hit)
    return out


@lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    folded = _fold(name)
    raw: list[str] = []
    # Runs of Latin letters and digits, and runs of other letters (Cyrillic, CJK ...).
    for run in re.findall(r"[A-Za-z0-9]+|[^\W\d_A-Za-z]+", folded):
        if not run.isascii():
            raw.extend(_non_latin_tokens(run))
            continue
        pieces = _CAMEL.findall(run)
        # Re-join a word with its digits when together they are a known token (ipv4, line1).
        merged: list[str] = []
        for piece in pieces:
            if merged and piece.isdigit() and (merged[-1] + piece).lower() in _JOINED_DIGITS:
                merged[-1] += piece
            else:
                merged.append(piece)
        raw.extend(p.lower() for p in merged)
    out: list[str] = []
    for tok in raw:
        out.extend(_singular(p) for p in _split_compound(tok))
    return tuple(t for t in out if t)


def tokenize(name: str) -> list[str]:
    """The lowercase word tokens of a column name.

    Splits on any non-alphanumeric character (snake, kebab, space, dot), on camelCase and
    PascalCase (``custEmailAddr`` -> cust, email, addr; ``IPAddress`` -> ip, address) and between
    letters and digits (except ``ipv4``, ``ipv6``, ``line1`` ...); folds case and accents
    (``téléphone`` -> telephone, ``Straße`` -> strasse, ``ü`` -> ``ue``); splits a joined token
    made entirely of known words (``emailaddress`` -> email, address) and puts a plural of a
    known word in the singular (``emails`` -> email). ``E-Mail`` gives ``e``, ``mail``; the
    keyword matcher joins them again.
    """
    return list(_tokens(name))


def _match_phrases(tokens: tuple[str, ...]) -> list[tuple[str | None, str, float, int, int]]:
    """Greedy longest phrase matches, left to right: (entity, keyword, strength, start, end)."""
    found: list[tuple[str | None, str, float, int, int]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            window = tokens[i : i + size]
            hit = _PHRASES.get(window)
            if hit is None and size >= 2:
                # Joined spelling of a phrase: e + mail -> email, social + security -> ...
                hit = _PHRASES.get(("".join(window),))
            if hit is not None:
                found.append((hit[0], "_".join(window), hit[1], i, i + size))
                i += size
                break
        else:
            i += 1
    return found


@lru_cache(maxsize=4096)
def _mentions(name: str) -> tuple[NameSignal, ...]:
    tokens = _tokens(name)
    token_set = set(tokens)
    matches = _match_phrases(tokens)
    best: dict[str, NameSignal] = {}
    for entity, keyword, strength, _, _ in matches:
        if entity is None:
            continue
        if strength < 1.0 and entity == _PE and token_set & NON_PERSON_CONTEXT:
            continue
        if strength < 1.0 and entity == _A and token_set & NON_ADDRESS_CONTEXT:
            continue
        cur = best.get(entity)
        if cur is None or strength > cur.strength:
            best[entity] = NameSignal(entity, keyword, strength)
    # A weak hint (``contact`` next to ``email``) yields to a specific keyword.
    if len(best) > 1:
        strong = any(s.strength >= 0.8 for s in best.values())
        best = {e: s for e, s in best.items() if not (strong and s.strength < 0.5)}
    return tuple(best[e] for e in sorted(best))


def mentioned_entities(name: str) -> dict[str, NameSignal]:
    """Every entity a keyword of ``name`` refers to, whether or not the name is de-rated.

    Blocking phrases (``mac_address``, ``license_plate``, ``place_of_birth``) and context
    tokens (``product_name``, ``ip_address``) already removed. No side effects.
    """
    return {s.entity: s for s in _mentions(name)}


def name_signals(name: str) -> dict[str, NameSignal]:
    """The entities ``name`` supports: mentioned and not de-rated for that entity.

    ``email_verified``, ``phone_count`` and ``num_emails`` give nothing; ``customer_id``
    nothing; ``nric_id`` still supports SG_NRIC_FIN. A name alone never proves an entity.
    """
    return {e: s for e, s in mentioned_entities(name).items() if derated(name, e) is None}


def derated(name: str, entity: str | None = None) -> str | None:
    """Why ``name`` marks a count, id, flag, attribute or date rather than the entity itself.

    :param name: the column name.
    :param entity: judge for this entity; ``None`` judges for the entities the name mentions
        (an ``_id`` suffix de-rates unless one of them is an identifier entity such as US_SSN;
        with no mention at all it de-rates).
    :returns: a short reason (``"token count"``, ``"prefix is_"``, ``"suffix _id"``,
        ``"number of"``) or ``None``. The reason names only the column name's own tokens.
    """
    tokens = _tokens(name)
    if not tokens:
        return None
    for tok in tokens:
        if tok in _COUNT_TOKENS:
            return f"token {tok}"
    if tokens[0] in _FLAG_PREFIXES and len(tokens) > 1:
        return f"prefix {tokens[0]}_"
    for tok in tokens:
        if tok in _FLAG_TOKENS:
            return f"token {tok}"
    if "number" in tokens and "of" in tokens:
        return "number of"
    if tokens[0] in _NUMBER_OF_PREFIXES and len(tokens) > 1 and _is_plural_head(name):
        return f"prefix {tokens[0]}_"
    for tok in tokens:
        if tok in _ATTRIBUTE_TOKENS:
            return f"token {tok}"
    # ``created_by``, ``updated_by``: the people who acted, not when (audit columns of user
    # names; ``date_to``, ``time_by`` stay dates); ``at``/``on`` mark a date only at the end,
    # before time-zone or unit words at most (``created_at``, ``login_at_utc``), not inside a
    # phrase (``Appointed on the advice of``, ``on_call_doctor``).
    if (
        entity != _D
        and not _acted(tokens)
        and not (entity is None and (_D in mentioned_entities(name) or is_birth_abbreviation(name)))
    ):
        for i, tok in enumerate(tokens):
            if tok in _DATE_TOKENS and (
                tok not in _DATE_PARTICLES or all(t in _DATE_SUFFIXES for t in tokens[i + 1 :])
            ):
                return f"token {tok}"
    if tokens[-1] in _ID_TOKENS or (len(tokens) > 1 and tokens[0] in _ID_TOKENS):
        mentioned = set(mentioned_entities(name))
        identifier = (
            entity in IDENTIFIER_ENTITIES
            if entity is not None
            else bool(mentioned & IDENTIFIER_ENTITIES)
        )
        if not identifier:
            return f"suffix _{tokens[-1]}" if tokens[-1] in _ID_TOKENS else f"prefix {tokens[0]}_"
    return None


def _is_plural_head(name: str) -> bool:
    """Whether the word after a leading ``num``/``nb``/``no`` is plural or another keyword.

    ``num_emails``/``nb_phones`` count things; ``no_phone`` is ambiguous but a flag either way.
    ``num`` before a singular word is the thing's number in the Romance languages
    (``num_tel``, French for the phone number; ``num_telefono``, ``num_ss``), not a count.
    """
    raw = [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])", _fold(name)) if w]
    if len(raw) < 2:
        return True
    return raw[1].endswith("s") or raw[0] in {"nb", "cnt", "n"} or raw[0] == "no"


def keyword_signals(name: str, specs: Iterable[EntitySpec]) -> dict[str, NameSignal]:
    """Support of ``name`` for entities added at run time (custom, Presidio recognizers).

    Built-in keywords are compiled into the phrase tables above when this module is imported
    (the tokenizer's vocabulary is made of them); the keywords of other specs match a token of
    the name, or the whole name's tokens joined by ``_`` (``employee_id``), with their declared
    strength. They are not de-rated: whoever declares ``employee_id`` means the id. Pure.
    """
    words = _tokens(name)
    tokens = set(words)
    joined = "_".join(words)
    out: dict[str, NameSignal] = {}
    for spec in specs:
        hit = next(((k, w) for k, w in spec.all_keywords if k in tokens or k == joined), None)
        if hit is not None:
            out[spec.name] = NameSignal(spec.name, hit[0], hit[1])
    return out


def is_birth_name(name: str) -> bool:
    """Whether ``name`` says date of birth, not a birth place or a count of births.

    True for ``dob``, ``date_of_birth``, ``birthDate``, ``geburtsdatum``, ``fecha_nacimiento``,
    ``date_de_naissance`` and their abbreviations (:func:`is_birth_abbreviation`); false
    for ``place_of_birth``, ``geburtsort``, ``birth_count``.
    """
    signal = mentioned_entities(name).get(_D)
    if signal is None:
        return is_birth_abbreviation(name)
    return derated(name, _D) is None


# ------------------------------------------------------------------------------------------
# People in a role, and abbreviated birth-date names (issue 16).

#: Nouns for a person in a role (the staff member, professional or party behind a row), in
#: the supported languages. As the last word of a column name they say "these are people".
PEOPLE_ROLE_NOUNS: Final = frozenset(
    """assignee owner agent author reviewer approver manager requester reporter recipient
    sender driver patient employee staff user customer client member buyer seller salesperson
    salesman saleswoman rep representative supervisor teacher student doctor physician nurse
    contact holder beneficiary signatory exec executive technician tech clerk officer
    consultant advisor adviser analyst handler caseworker worker coordinator specialist
    therapist surgeon dentist pharmacist attorney lawyer broker courier cashier dispatcher
    inspector auditor instructor coach trainer tutor mentor counsellor counselor interviewer
    recruiter examiner witness operator guarantor cosigner applicant prescriber md dr
    bearbeiter sachbearbeiter betreuer berater vertreter arzt aerztin mitarbeiter verkaeufer
    responsable conseiller vendeur medecin gestionnaire commercial agente vendedor asesor
    medico responsabile commerciale consulente referente behandelaar medewerker verkoper
    arts adviseur atendente gestor consultor""".split()
)
#: Past participles that, followed by ``by`` (``closed_by``) or ``to`` (``assigned_to``), name
#: the person who did it.
_ACTED = re.compile(r"^[a-z]{3,}(?:ed|en|ned)$")
#: Irregular participles of acts people do (``sent_by``, ``paid_to``); not ``made``,
#: ``built`` or ``sold``, which as often name a maker or a shop.
_ACTED_IRREGULAR: Final = frozenset(
    {"sent", "paid", "done", "led", "run", "held", "taught", "told"}
)


def _acted(tokens: Sequence[str]) -> bool:
    """Whether a name's words end in a participle, then ``by`` or ``to``: who acted.

    ``closed_by``, ``assigned_to``, ``sent_by``; a participle that is also a date word
    (``created``, ``updated``) counts before ``by`` only (``updated_to`` holds a new value),
    and ``date_to`` or ``time_by`` have no participle. Pure.
    """
    if len(tokens) < 2 or tokens[-1] not in {"by", "to"}:
        return False
    verb = tokens[-2]
    if not (_ACTED.match(verb) or verb in _ACTED_IRREGULAR):
        return False
    return tokens[-1] == "by" or verb not in _DATE_TOKENS


#: Heads that make a role name mean a group or a thing (``agent_team``, ``owner_group``).
_GROUP_HEADS: Final = frozenset(
    """team group queue department dept unit org organisation organization company firm
    vendor supplier account type kind category status level role title code id ids key
    count""".split()
)


def people_role(name: str) -> str | None:
    """The role keyword when ``name`` says its values are people in a role, else ``None``.

    True for ``assigned_to``, ``closed_by``, ``sales_rep``, ``account_exec``, ``doctor``,
    ``sachbearbeiter``: the last word is a person noun of :data:`PEOPLE_ROLE_NOUNS`, or the
    name is a participle followed by ``by``/``to``. False when the last word is a group or an
    attribute (``agent_team``, ``owner_id``, ``doctor_count``) or the name is de-rated. Pure.
    """
    tokens = [t for t in _tokens(name) if not t.isdigit()]
    if not tokens or derated(name, _PE) is not None:
        return None
    head = tokens[-1]
    if head in _GROUP_HEADS or tokens[-2:] == ["user", "agent"]:
        return None
    if head in PEOPLE_ROLE_NOUNS:
        return head
    if _acted(tokens):
        return "_".join(tokens[-2:])
    if head in {"assigned", "responsible", "attending"}:
        return head
    return None


#: Abbreviations of "birth" in the supported languages, as whole tokens of a column name.
_BIRTH_STEMS: Final = frozenset(
    """dob bdate bdt bday brth birth birthdt birthdate dtnasc dnasc nasc nascita nascimento
    naiss dnaiss dtnaiss naissance gebdat gebdatum gebtag geburt geburtsdatum geboorte
    geboortedatum gebdt fnac fnacim fecnac nacim nacimiento""".split()
)
#: Stems that mean birth only next to a date word (``geb_dat``, ``f_nac``, ``fec_nac``).
_BIRTH_WITH_DATE: Final = frozenset({"geb", "nac", "gb"})
_DATE_WORDS: Final = frozenset(
    """date dat dt d f fec fecha data datum ts day jour dia tag""".split()
)
#: Tokens that make a birth name mean a place or a count (``geb_ort``, ``lieu_naiss``).
_BIRTH_CONTRARY: Final = frozenset(
    """place ort lieu lugar luogo plaats local city ville stadt ciudad citta country pays land
    pais paese nation region state province name nom""".split()
)


def is_birth_abbreviation(name: str) -> bool:
    """Whether ``name`` abbreviates "date of birth", not a birth place or a count.

    ``bdate``, ``geb_dat``, ``fnac``, ``date_naiss``, ``dt_nasc``, ``brth_dt``. Pure.
    """
    raw = [w.lower() for w in re.split(r"[^A-Za-z0-9]+", _fold(name)) if w]
    tokens = set(_tokens(name)) | set(raw)
    if not tokens or tokens & _BIRTH_CONTRARY or derated(name, _D) is not None:
        return False
    if tokens & _BIRTH_STEMS:
        return True
    return bool(tokens & _BIRTH_WITH_DATE and tokens & _DATE_WORDS)


#: Tokens of generic, meaningless column names (``col7``, ``field_a``, ``Unnamed: 0``).
_OPAQUE_TOKENS: Final = frozenset(
    """col column field fld var variable attr attribute unnamed val value data item unk tmp
    x y z""".split()
)


def is_id_name(name: str) -> bool:
    """Whether ``name`` names an identifier. Pure.

    Its first or last word is one of :data:`_ID_TOKENS` (``id_propietario``, ``owner_key``,
    ``guid``).
    """
    tokens = _tokens(name)
    return bool(tokens) and (tokens[0] in _ID_TOKENS or tokens[-1] in _ID_TOKENS)


#: Name words of a numbering or an account (``klantnummer``, ``code``, ``account_no``,
#: ``bankrekening``, ``iban``): Dutch customer and bank account numbers are often made to
#: pass the BSN's eleven test too, so such a name rules a BSN read from the values out.
_NUMBERING_TOKENS: Final = frozenset(
    """id ids key code codes codigo number numbers nummer num no nr nbr numero numer
    account accounts rekening konto iban reference ref kenmerk""".split()
)


def is_numbering_name(name: str) -> bool:
    """Whether ``name`` names a numbering or an account. Pure.

    A word of :data:`_NUMBERING_TOKENS`, or a compound ending in one (``klantnummer``,
    ``kundennr``, ``bankrekening``).
    """
    return any(
        t in _NUMBERING_TOKENS or t.endswith(("nummer", "number", "nr", "rekening"))
        for t in _tokens(name)
    )


def is_opaque(name: str) -> bool:
    """Whether ``name`` says nothing about its values (``col7``, ``f_12``, ``x``, ``var_22``).

    Every token is a digit run, one or two letters, or a generic word of
    :data:`_OPAQUE_TOKENS`. Pure.
    """
    tokens = _tokens(name)
    if not tokens or set(tokens) & _ID_TOKENS or mentioned_entities(name):
        return False
    return all(t.isdigit() or len(t) <= 2 or t in _OPAQUE_TOKENS for t in tokens)
