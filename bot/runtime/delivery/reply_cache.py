"""The reply cache: each daily post rendered once per (tip, topic filter) per corpus."""

from __future__ import annotations

from bot.core.corpus import Corpus
from bot.core.replies import Reply
from bot.core.wording import daily_reply
from bot.ports import TipSource
from bot.runtime.store import Subscription

REPLY_CACHE_SIZE = 4096  # rendered daily posts kept per corpus


class ReplyCache:
    """Rendered daily replies, dropped whenever the corpus is swapped (or the cache is full)."""

    def __init__(self, tips: TipSource) -> None:
        self.tips = tips
        self._replies: dict[tuple[str, tuple[str, ...]], Reply] = {}
        self._corpus: Corpus | None = None

    def reply_for(self, sub: Subscription, tip_id: str) -> Reply | None:
        """The daily post for `tip_id`. Replies are immutable and a fan-out posts the same
        few tips to many channels, so each (tip, topic filter) is rendered once per corpus."""
        corpus = self.tips.corpus
        if corpus is not self._corpus or len(self._replies) > REPLY_CACHE_SIZE:
            self._replies.clear()
            self._corpus = corpus
        key = (tip_id, sub.topics)
        reply = self._replies.get(key)
        if reply is None:
            tip = corpus.by_id.get(tip_id)
            if tip is None:
                return None
            reply = self._replies[key] = daily_reply(self.tips.card(tip), sub.topics)
        return reply
