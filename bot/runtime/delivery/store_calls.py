"""Store calls from the event loop: run in a worker thread, and retried while the database is
down when losing them would cost a duplicate post (marks)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.ports import Clock
from bot.runtime.delivery.pacing import backoff_delay

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class StoreCalls:
    """Runs blocking store methods off the event loop."""

    def __init__(self, clock: Clock, rng: random.Random, lease_seconds: float) -> None:
        self.clock = clock
        self.rng = rng
        self.lease_seconds = lease_seconds

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def retry(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A store call that must not be lost (marking a post): retry while the database is
        down, for up to half a lease; after that the lease expiry and reconciliation take over."""
        waited, attempt = 0.0, 0
        while True:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except DBAPIError as e:
                attempt += 1
                delay = backoff_delay(attempt, 0.5, 10.0, self.rng)
                if waited + delay > self.lease_seconds / 2:
                    raise
                log.warning("database unavailable (%s); retrying in %.1fs", type(e).__name__, delay)
                waited += delay
                await self.clock.sleep(delay)
