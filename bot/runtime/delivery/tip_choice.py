"""Which tip each freshly claimed row posts, chosen inside the claim transaction."""

from __future__ import annotations

from bot.core.corpus import Corpus
from bot.core.picker import candidates_for, choose_for
from bot.runtime.store import ChannelKey, ChooseTips, Delivery, Subscription


def tips_for_claim(corpus: Corpus, subs_by_id: dict[int, Subscription]) -> ChooseTips:
    """Tips for a freshly claimed batch, chosen inside the claim transaction."""

    def choose(
        rows: list[Delivery], histories: dict[ChannelKey, list[str]]
    ) -> dict[int, str | None]:
        picks: dict[int, str | None] = {}
        by_topics: dict[tuple[str, ...], list[str]] = {}  # candidates, once per filter
        for row in rows:  # oldest first: a channel's second row sees the first's pick
            sub = subs_by_id.get(row.subscription_id)
            if sub is None or sub.paused:
                continue
            history = histories.setdefault((row.platform, row.workspace, row.channel), [])
            candidates = by_topics.get(sub.topics)
            if candidates is None:
                candidates = by_topics[sub.topics] = candidates_for(corpus, sub.topics)
            tip_id = choose_for(candidates, sub, row.local_date.isoformat(), history)
            picks[row.id] = tip_id
            if tip_id is not None:
                history.append(tip_id)
        return picks

    return choose
