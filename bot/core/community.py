"""The "Community" source: approved suggestions as the store keeps them, as tips, and as a tip
file (`k8stip export community`).

A community tip's chapter line credits who suggested and who approved it ("Community ·
suggested by Ana, approved by Bo on 2026-12-01"), by display name, never as a mention. Its id
is `community-` and a hash of its words, as `k8stip import` makes ids, so the same tip exported
to a file and kept in the database is one tip, whichever is loaded.

Light on purpose: the store imports it, and a `k8stip deliver` pass with nothing due loads the
store but neither the tip loader nor the search engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.corpus import Source, Tip

COMMUNITY_SOURCE = Source("community", "Community", kind="community")
ID_DIGITS, LONG_ID_DIGITS = 8, 16  # as `k8stip import` (bot/importers/books.py)


def community_tip_id(text: str, long: bool = False) -> str:
    """`community-<hash of the words>`: the id `k8stip import` gives the same text in a
    source `community` (case and spacing ignored)."""
    digest = hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()
    return f"{COMMUNITY_SOURCE.id}-{digest[: LONG_ID_DIGITS if long else ID_DIGITS]}"


def credit(author: str, approver: str, on: date) -> str:
    """The line under a community tip: who suggested it and who approved it, when."""
    return f"suggested by {author}, approved by {approver} on {on.isoformat()}"


@dataclass(frozen=True)
class CommunityEntry:
    """An approved suggestion as the store keeps it."""

    tip_id: str
    text: str
    topics: tuple[str, ...]
    author_name: str
    approved_by_name: str
    approved_on: date

    def tip(self) -> Tip:
        chapter = credit(self.author_name, self.approved_by_name, self.approved_on)
        return Tip(self.tip_id, self.text, COMMUNITY_SOURCE.id, self.topics, None, chapter)


def community_document(entries: Iterable[CommunityEntry]) -> dict[str, object]:
    """The community tips as an ordinary tip file's document (`k8stip export community`):
    the source block, then each tip's id, credit line (its chapter), text and topics."""
    source = COMMUNITY_SOURCE
    return {
        "source": {
            "id": source.id,
            "title": source.title,
            "kind": source.kind,
            "note": "Tips members suggested and admins approved in chat",
        },
        "tips": [
            {
                "id": e.tip_id,
                "chapter": credit(e.author_name, e.approved_by_name, e.approved_on),
                "text": e.text,
                "topics": list(e.topics),
            }
            for e in entries
        ],
    }
