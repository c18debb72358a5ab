"""Requests for tips, and searches nothing answered: how their words are kept and grouped.

A member asks for tips on something (`/k8stip request …`, or the `Request tips on this`
button under a "nothing found" answer), and every question the corpus could not answer is
noted too, so admins see what their channel wants written (`/k8stip requests`).

What is kept of the words is bounded here, before the store sees them: the query as typed but
cut to `QUERY_LIMIT` characters, and a grouping `key` (NFKC-folded, lowercased, whitespace
collapsed, at most `KEY_LIMIT` characters), so "Helm Chart" and "helm  chart" count as one.
The text stays raw: adapters neutralise mentions and markup wherever it is shown.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from bot.core.invocation import clip
from bot.core.textnorm import MAX_QUERY_CHARS, normalize, words

RequestKind = Literal["request", "unanswered"]
REQUEST: RequestKind = "request"
UNANSWERED: RequestKind = "unanswered"

KEY_LIMIT = 200  # tip_requests.key is VARCHAR(200)
QUERY_LIMIT = MAX_QUERY_CHARS  # what an Invocation carries at most anyway
SHOWN_LIMIT = 60  # how much of a request a list line shows
REQUESTS_DAYS = 30  # `/k8stip requests` looks this far back
REQUESTS_LISTED = 10  # and lists this many of each kind
# A button's command travels in Slack's `value` and in Discord's 100-character `custom_id`
# after the adapter's "k8stip:" prefix: 93 characters reach both whole.
BUTTON_COMMAND_LIMIT = 93
REQUEST_BUTTON_LABEL = "Request tips on this"


def request_key(query: str) -> str:
    """The grouping key of a query: "Helm Chart" and "helm  chart" share one."""
    return normalize(query, max_chars=KEY_LIMIT)


def kept_query(query: str) -> str:
    """The query as stored: control characters dropped, spaces collapsed, case kept, cut at a
    word to `QUERY_LIMIT` characters."""
    return clip(" ".join(normalize_spaces(query).split()), QUERY_LIMIT)


def normalize_spaces(text: str) -> str:
    """`text` (its first `QUERY_LIMIT * 4` characters) NFKC-folded, with control, format and
    separator characters (zero-width, bidi, line breaks) as plain spaces; case kept."""
    folded = unicodedata.normalize("NFKC", text[: QUERY_LIMIT * 4])
    return "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in folded)


def has_words(query: str) -> bool:
    """Whether a query has a word (letters or digits) to look for: emoji or punctuation alone
    is no request."""
    return bool(words(normalize(query)))


def request_command(query: str) -> str:
    """The command of the `Request tips on this` button: `request <words>`, within
    `BUTTON_COMMAND_LIMIT` characters. Words are cut at a word boundary; a single word longer
    than the room is cut inside it. Control characters never reach a button."""
    room = BUTTON_COMMAND_LIMIT - len("request ")
    flat = " ".join(normalize_spaces(query).split())
    return f"request {clip(flat, room)}".rstrip()


def shown(query: str, limit: int = SHOWN_LIMIT) -> str:
    """A request as a list line shows it: on one line, cut with an ellipsis."""
    flat = " ".join(query.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
