"""The ask page: ``/ask?q=QUESTION``, the answer of the header's search box.

Every logged-in user may ask (as ``GET /api/v1/ask`` lets any role). The page calls the
app's ask service (:func:`worker.web.api_ask.install`) and shows how the question was read,
whether it was understood, and the items as a table (kind, name linked to its page, URI,
why: the lineage path or the evidence). A question not understood shows the reason and the
closest readings as links that ask that reading (:func:`reading_question`). No question:
example questions per family. A plain GET form, no JavaScript; the service gives no sampled
value, and the page adds none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from fastapi import APIRouter, Request, Response

from worker.services.ask.service import AskAnswer
from worker.web.api_ask import MAX_QUESTION, Ask
from worker.web.auth import safe_local
from worker.web.deps import Pages, PageSession

router = APIRouter(include_in_schema=False)

#: Example questions per family (docs/ask.md), the help of an empty question.
EXAMPLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Find data by category, entity, system or owner",
        (
            "Show me all customer data flowing through S3",
            "Which tables hold customer data?",
            "Which datasets are in Snowflake?",
            "Datasets owned by dana@corp.example",
        ),
    ),
    (
        "Flows, masked or not",
        (
            "Where do SSNs flow unmasked?",
            "Where do card numbers flow masked?",
            "Which flows go from Postgres to Snowflake unmasked?",
        ),
    ),
    (
        "Impact of a change",
        (
            "What would break if I change the users table schema?",
            "What breaks if I drop column email from customers?",
        ),
    ),
    (
        "Consumers: dashboards and reports",
        ("Which dashboards use the customers table?", "Which reports use transaction data?"),
    ),
    (
        "Where personal data is stored",
        ("Where are emails stored?", "Which columns contain social security numbers?"),
    ),
    (
        "Governance: review, alerts, contracts, changes",
        (
            "What is pending review?",
            "Show open alerts",
            "Which datasets break their contract?",
            "What changed since 2026-11-01?",
        ),
    ),
    (
        "Counts and top-N",
        ("How many datasets have IBANs?", "Top 3 datasets with the most PII"),
    ),
)

#: ``the PostgreSQL table public.users (postgres:appdb.public.users)``: a name's reading.
_NAMED = re.compile(r"\(([a-z0-9]+:[^()\s]+)\)$")
#: ``column email of postgres:appdb.public.users``: a column's reading.
_COLUMN = re.compile(r"^column (\S+) of \S+$")
#: The phrases an interpretation quotes (``repr`` of the question's words).
_QUOTED = re.compile(r"'([^']+)'")
_ANY_COUNTRY = " (any country)"


@dataclass(frozen=True, slots=True)
class Reading:
    """One of the closest readings: its words, and the question that asks it (if any)."""

    text: str
    question: str | None


def _replace_words(question: str, words: str, by: str) -> str | None:
    """``question`` with the (normalised) ``words`` replaced by ``by``; ``None``: not found."""
    parts = [re.escape(w) for w in words.split()]
    if not parts:
        return None
    pattern = re.compile(r"(?<![\w:/.])" + r"[\W_]+".join(parts) + r"(?![\w])", re.IGNORECASE)
    new, n = pattern.subn(lambda _m: by, question, count=1)
    return new if n else None


def _closest(phrases: Sequence[str], target: str) -> str | None:
    """The phrase most like ``target`` (a URI's last part or a column name)."""
    if not phrases:
        return None
    tail = re.split(r"[:/.]", target.rstrip("/").lower())[-1]
    return max(phrases, key=lambda p: SequenceMatcher(None, p.lower(), tail).ratio())


def reading_question(answer: AskAnswer, alternative: str) -> str | None:
    """The question that asks ``alternative``, one of ``answer``'s closest readings.

    The service gives each reading in words; the question is the asked one with the
    unread or ambiguous phrase (quoted in the interpretation) replaced by the reading's URI
    or column, or, for the reading "(any country)", with the country words left out.
    ``None`` when no such question can be made (the reading is then shown as text).
    """
    question = answer.question
    new: str | None = None
    if alternative.endswith(_ANY_COUNTRY):
        new = question
        for meaning, words in answer.matched:
            if meaning.startswith("country ") and new is not None:
                new = _replace_words(new, words, "")
    elif (column := _COLUMN.match(alternative)) is not None:
        phrase = _closest(_QUOTED.findall(answer.interpretation)[:1], column.group(1))
        new = _replace_words(question, phrase, column.group(1)) if phrase else None
    elif (named := _NAMED.search(alternative)) is not None:
        phrase = _closest(_QUOTED.findall(answer.interpretation), named.group(1))
        new = _replace_words(question, phrase, named.group(1)) if phrase else None
    if new is None:
        return None
    new = re.sub(r"\s+", " ", new).strip()
    return new if new and new != question.strip() else None


def _question(request: Request) -> tuple[str, str | None]:
    """The question asked (NUL dropped, trimmed) and, when it cannot be asked, why."""
    raw = request.query_params.get("q") or ""
    text = raw.replace("\x00", "").strip()
    if len(text) > MAX_QUESTION:
        return text[:MAX_QUESTION], f"A question has at most {MAX_QUESTION} characters."
    return text, None


@router.get("/ask")
def ask_page(request: Request, ui: Pages, service: Ask, session: PageSession) -> Response:
    """Answer the question ``q``; without one, example questions per family."""
    question, problem = _question(request)
    context: dict[str, object] = {"title": "Ask the catalog", "ask_q": question}
    if problem is not None:
        context["problem"] = problem
        return ui.render(request, "ask.html", context, session, status=400)
    if not question:
        context["examples"] = EXAMPLES
        return ui.render(request, "ask.html", context, session)
    answer = service.ask(question)
    context.update(
        title=f"Ask: {question[:80]}",
        answer=answer,
        links=[safe_local(i.link, "") for i in answer.items],
        readings=[Reading(a, reading_question(answer, a)) for a in answer.alternatives],
    )
    return ui.render(request, "ask.html", context, session)
