"""Which tip next, for one channel: a no-repeat rotation. Pure: no clock, no I/O.

The rotation is replayed from the channel's history (every tip it was shown, oldest first):
a cycle is complete once every current candidate has been shown in it. The next tip is drawn
at random (from the random source passed in) among the candidates the current cycle has not
shown yet, so every matching tip comes once before any repeats, in an order that differs per
channel and is not the corpus order. A new cycle never starts with the tip that ended the last
one. Tips added to the corpus are simply unseen candidates in the current cycle; removed tips
are ignored in the history, so neither breaks a cycle.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.core.corpus import Corpus


def rotation_state(
    candidates: Iterable[str], history: Sequence[str]
) -> tuple[set[str], str | None]:
    """(tips shown in the current cycle, the last candidate shown) after replaying history."""
    cand = set(candidates)
    seen: set[str] = set()
    last: str | None = None
    for tip_id in history:
        if tip_id not in cand:
            continue
        if seen >= cand:  # the previous cycle was complete: this tip opens a new one
            seen = set()
        seen.add(tip_id)
        last = tip_id
    return seen, last


def pick(candidates: Sequence[str], history: Sequence[str], rng: random.Random) -> str | None:
    """The next tip id for a channel, or None when there are no candidates."""
    cand = set(candidates)
    if not cand:
        return None
    seen, last = rotation_state(cand, history)
    remaining = cand - seen
    if not remaining:  # cycle complete: start a new one, but not with the tip that ended it
        remaining = cand - {last} if len(cand) > 1 and last is not None else cand
    return rng.choice(sorted(remaining))


def seeded_rng(*parts: object) -> random.Random:
    """A random source seeded from stable parts (channel, date): the same inputs give the same
    pick in every process, so a preview (`next`) matches what the daily post will choose."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class Channel(Protocol):
    """Protocol: what choosing needs of a subscription (the store's record has these)."""

    @property
    def platform(self) -> str: ...
    @property
    def workspace(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...


def choose_daily_tip(
    corpus: Corpus, sub: Channel, local_date: str, history: list[str]
) -> str | None:
    """The channel's tip for that local day (also what `/k8stip next` previews): the
    rotation over the tips matching its topic filter, seeded by channel and date."""
    return choose_for(candidates_for(corpus, sub.topics), sub, local_date, history)


def candidates_for(corpus: Corpus, topics: tuple[str, ...]) -> list[str]:
    return [t.id for t in corpus.tips_for_topics(list(topics))]


def choose_for(
    candidates: list[str], sub: Channel, local_date: str, history: list[str]
) -> str | None:
    rng = seeded_rng(sub.platform, sub.workspace, sub.channel, local_date)
    return pick(candidates, history, rng)
