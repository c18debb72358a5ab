"""How long to wait: exponential backoff with jitter, and per-workspace spacing of posts."""

from __future__ import annotations

import random

from bot.ports import Clock


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': in [d/2, d], d = min(cap, base * 2^(n-1))."""
    d = min(cap, base * (2 ** max(0, attempt - 1)))
    return rng.uniform(d / 2, d)


class WorkspaceLimiter:
    """Spaces posts to one workspace so a fan-out does not trip the platform's limits."""

    def __init__(self, per_second: float, clock: Clock) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self._next: dict[tuple[str, str], float] = {}

    async def acquire(self, platform: str, workspace: str) -> None:
        if self.interval <= 0:
            return
        key = (platform, workspace)
        now = self.clock.now().timestamp()
        slot = max(now, self._next.get(key, now))
        self._next[key] = slot + self.interval
        if slot > now:
            await self.clock.sleep(slot - now)

    def push_back(self, platform: str, workspace: str, seconds: float) -> None:
        """After a 429, hold the whole workspace back, not just the one post."""
        key = (platform, workspace)
        until = self.clock.now().timestamp() + seconds
        self._next[key] = max(self._next.get(key, 0.0), until)
