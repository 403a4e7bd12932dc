"""Whether the first row of delimited text is a header, or data that must not become names.

Column names travel where values never do: into descriptions, the catalog, Atlan and the
review UI. A first row taken for a header when it is data (``Margaret Thatcher,Grantham,
Diabetes Type 2``) would publish a person's name and diagnosis. So a header has to earn it:

* a first row is refused outright when a field looks like data: a number, date or boolean, a
  person's name, an e-mail address, phone number or any other PII pattern, long text, or a
  value that also occurs in the data rows below it;
* it is accepted when most fields look like column names: typed columns under a text field,
  ``snake_case``/``camelCase``, a word of column vocabulary (``id``, ``date``, ``amount``,
  ``email`` in several languages), or a shape unlike the values under it (``assignee`` over
  ``Priya Natarajan``).

When unsure, the caller names the columns ``column_1``, ``column_2`` ... Reasons name field
positions only, never their text. Pure functions: no I/O, no models (the PII patterns and
name keywords come from :mod:`classifiers.pii`, without their validators).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from classifiers.pii.entities import BUILTIN_ENTITIES
from classifiers.pii.names import mentioned_entities, tokenize
from classifiers.pii.patterns import BUILTIN_PATTERNS
from worker.core.sampling.values import infer_text_column

_IDENTIFIER = re.compile(r"[^\W\d][\w .\-/()#%]*")
_MAX_NAME_CHARS = 100
_MAX_NAME_WORDS = 12
# Two to four capitalised words of letters: "Margaret Thatcher", "Anna-Lena van Dijk".
_WORD = r"[^\W\d_][^\W\d_'’\-]*(?:[-'’][^\W\d_]+)*\.?"
_PERSON = re.compile(rf"{_WORD}(?:,? (?:{_WORD})){{1,3}}")
# snake_case, dotted or lower-case kebab names, camelCase: how programs name columns.
_CONVENTION = re.compile(
    r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+_?|_?[a-z][a-z0-9]*(?:[.\-][a-z0-9]+)+"
    r"|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+"
)

#: Words column names are made of (besides the PII keywords of classifiers.pii.names).
VOCABULARY = frozenset(
    """
    id ids uuid guid key pk fk ref reference code no nr num number nbr seq sequence index idx
    name names title label description desc comment comments note notes remark remarks text
    body subject message summary details detail content value values val item items
    first last full middle given family sur surname nick display user username login account
    customer client cust member patient employee staff person people owner holder contact
    vendor supplier merchant partner company org organisation organization business firm
    dept department team group role position job function manager assignee agent author
    creator editor reviewer approver requester reporter sender recipient buyer seller
    date time timestamp ts datetime day days week weeks month months year years quarter period
    hour hours minute minutes second seconds duration start end begin from to since until
    created updated modified deleted changed closed opened sent received started ended
    expires expiry expiration valid effective due birth dob age born joined hired hire
    signup registered last_seen seen login logout at on dt
    amount amounts total totals sum subtotal price prices cost costs fee fees tax taxes vat
    discount revenue sales sale sold units unit qty quantity count counts balance credit
    debit payment payments paid charge charges refund rate rates ratio percent pct share
    score scores rank rating ratings weight height width length size volume level levels
    min max avg mean median std var total_amount net gross margin profit loss budget
    currency cur eur usd gbp chf jpy cents
    address addresses street city town state province region county country countries
    zip zipcode postal postcode post code location loc lat lon lng latitude longitude geo
    area district suburb building floor room site store shop branch warehouse bin shelf
    email mail phone mobile fax tel telephone web website url uri link domain host hostname
    ip port path file filename folder dir directory ext extension format mime
    status state type kind category categories class segment tier plan channel source
    medium campaign priority severity stage step phase flag flags active enabled disabled
    deleted archived verified valid invalid is has can opt consent gender sex language
    lang locale timezone tz version ver revision rev hash checksum md5 sha sha1 sha256
    product products sku article model brand make variant color colour style material
    order orders invoice invoices transaction transactions txn trade trades ticket tickets
    booking bookings reservation shipment shipments ship shipping delivery deliveries
    carrier tracking route mode method methods event events session sessions visit visits
    page pages click clicks view views impression impressions device browser os platform
    app application service server client agent user_agent referrer query search term
    terms keyword keywords tag tags topic topics project projects task tasks issue issues
    case cases claim claims policy policies contract contracts plan plans license licence
    card iban bic swift routing bank branch account accounts ledger journal entry entries
    line lines memo posting reconciled cost_center center centre
    inventory stock on_hand hand reserved reorder point counted available quantity_on_hand
    passport nationality citizenship ssn nric fin tax_id vat_id driver drivers licence
    diagnosis condition treatment procedure medication dose ward doctor physician nurse
    hospital clinic insurance insurer provider visit admission discharge
    employee salary wage wages bonus title hire termination manager department office
    student course grade school class teacher score exam
    x y z a b c d e f g h i j k l m n o p q r s t u v w
    is_ has_ total_ avg_ num_ pct_ new old prev previous next current latest initial final
    primary secondary other extra misc custom meta metadata raw parsed normalized clean
    input output in out inbound outbound upstream downstream parent child children
    blob json xml data payload record records row rows column columns field fields attr
    attribute attributes property properties param params parameter parameters setting
    settings config option options result results response request status_code error
    errors warning warnings log logs level message_id trace span
    kunden kunde nummer vorname nachname geburtsdatum adresse strasse ort plz land umsatz
    seit betrag datum preis menge anzahl telefon konto
    nom prenom courriel telephone adresse ville pays code_postal montant prix quantite
    nombre apellido correo telefono direccion ciudad pais fecha importe cantidad
    cognome indirizzo citta paese importo prezzo quantita
    naam achternaam adres stad land bedrag datum prijs aantal
    """.split()
)


@dataclass(frozen=True, slots=True)
class HeaderGuess:
    """The verdict on a first row.

    :param header: whether it is taken as the header.
    :param reason: why not (field positions only, never their text); ``None`` for a header.
    """

    header: bool
    reason: str | None = None


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    # The most specific shapes first (by their base score), so a reason names the likeliest
    # entity: an SSN before the phone number its digits also look like.
    specs = sorted(BUILTIN_PATTERNS, key=lambda spec: -spec.score)
    return tuple(
        (spec.entity, re.compile(spec.regex, re.ASCII), spec.full_match_only) for spec in specs
    )


def _in_vocabulary(field: str) -> bool:
    if mentioned_entities(field):
        return True
    for token in tokenize(field):
        if token in VOCABULARY or (token.endswith("s") and token[:-1] in VOCABULARY):
            return True
    return False


def data_reason(field: str) -> str | None:
    """Why one first-row field looks like a value rather than a column name, if it does.

    The returned phrase describes the field (``"is a number"``) without quoting it.
    """
    text = field.strip()
    if len(text) > _MAX_NAME_CHARS or len(text.split()) > _MAX_NAME_WORDS:
        return "is long text"
    kind, _, _ = infer_text_column([text], allow_decimal_comma=True)
    if kind in ("int64", "double"):
        return "is a number"
    if kind in ("date", "timestamp"):
        return "is a date"
    if kind == "bool":
        return "is a boolean"
    for entity, pattern, full in _patterns():
        hit = pattern.fullmatch(text) if full else pattern.search(text)
        if hit is not None:
            spec = BUILTIN_ENTITIES.get(entity)
            return f"looks like {spec.description if spec else 'personal data'}"
    if _PERSON.fullmatch(text) and _person_words(text) and not _in_vocabulary(text):
        return "looks like a person's name"
    return None


def _person_words(text: str) -> bool:
    """Every word starts with a capital and goes on in lower case (not ``ID``, ``USA``)."""
    words = [w.strip(",.") for w in text.split()]
    return all(w[:1].isupper() and (len(w) == 1 or not w[1:].isupper()) for w in words if w)


# A header field is short; the shape of a data cell shows in its first characters. The bound
# keeps a giant cell (megabytes of text) from costing a pass per character.
_SHAPE_CHARS = 256


def _shape(value: str) -> tuple[str, bool, bool, bool]:
    value = value[:_SHAPE_CHARS]
    first = next((c for c in value if c.isalpha()), "")
    case = "upper" if first.isupper() else "lower" if first else "none"
    return (
        case,
        any(c.isdigit() for c in value),
        any(c.isspace() for c in value),
        any(not c.isalnum() and not c.isspace() for c in value),
    )


def judge_header(
    first: Sequence[str], rest: Sequence[Sequence[str]], repeated: Collection[int] = ()
) -> HeaderGuess:
    """Whether ``first`` is the header of the rows ``rest`` (the next few rows).

    :param repeated: positions of first-row fields whose text also occurs in the same column
        of any data row (rows equal to the first row, repeated headers, excepted).
    """
    if not first or any(not f.strip() for f in first) or len(set(first)) != len(first):
        return HeaderGuess(False, "the first row has empty or repeated fields")
    for i, name in enumerate(first):
        why = data_reason(name)
        if why:
            return HeaderGuess(False, f"its field {i + 1:,} {why}")
    if repeated:
        return HeaderGuess(
            False, f"its field {min(repeated) + 1:,} also occurs as a value in the data rows"
        )
    votes = 0
    evidence = 0
    for i, name in enumerate(first):
        column = [r[i] for r in rest if i < len(r)]
        kind, _, _ = infer_text_column(column, allow_decimal_comma=True)
        if kind != "string":
            own, _, _ = infer_text_column([name], allow_decimal_comma=True)
            vote = 1 if own != kind else -1
            votes += vote
            if vote > 0:
                evidence += 1
                continue
        if (
            _CONVENTION.fullmatch(name.strip())
            or _in_vocabulary(name)
            or _shape_differs(name, column)
        ):
            evidence += 1
    if votes < 0:
        return HeaderGuess(False, "its fields have the types of the values below them")
    if votes == 0 and not all(_IDENTIFIER.fullmatch(f.strip()) for f in first):
        return HeaderGuess(False, "its fields do not look like column names")
    # Typed columns under text fields already speak for a header; all-text tables need most
    # fields to look like names.
    enough = evidence * 2 >= len(first) if votes > 0 else evidence * 2 > len(first)
    if not enough:
        return HeaderGuess(False, "too few of its fields look like column names")
    return HeaderGuess(True)


def _shape_differs(name: str, column: Sequence[str]) -> bool:
    values = [v for v in column if v.strip()]
    if not values:
        return False
    return _shape(name.strip()) not in {_shape(v.strip()) for v in values}
