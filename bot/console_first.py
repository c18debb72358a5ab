"""At a terminal, what is typed comes first: `run`'s slow background imports wait for a quiet
console.

`k8stip run` loads aiohttp, APScheduler and prometheus_client (the health server, the
scheduler and the metrics) in a worker thread, after the store and the tips. Those imports are
about as much work as the whole start before the greeting, and the worker thread shares one
interpreter lock with the event loop: a line typed as soon as the banner shows would be
answered at half speed, behind them. So at a terminal they start once the console has greeted
and then answered nothing for `QUIET_SECONDS` (someone reading the first tip; a human takes
longer than that to type a command), or after `MOST_WAIT_SECONDS` at the latest. Without a
terminal (a service, a container, `--no-console`) nobody types, and they start at once.

Nothing is skipped, only ordered: the health server's socket is bound before the store opens
(probes wait in its backlog), and the scheduler starts after the health server, so a post due
at start goes out a moment later, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.invocation import Handler, Invocation
from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleAdapter

__all__ = [
    "MOST_WAIT_SECONDS",
    "QUIET_SECONDS",
    "ConsoleActivity",
    "after_console",
    "import_health_and_scheduler",
]

QUIET_SECONDS = 0.5
MOST_WAIT_SECONDS = 30.0


class ConsoleActivity:
    """The console's handler, wrapped: it counts the answers under way and notes when the last
    one ended, so that background work can wait for a quiet console. Replies and errors pass
    through unchanged."""

    def __init__(
        self,
        handle: Handler,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.handle = handle
        self._clock = clock
        self._sleep = sleep
        self.under_way = 0
        self.answered = 0  # answers ended (the greeting is the first)
        self.last_ended = 0.0
        self._ended = asyncio.Event()

    @classmethod
    def around(cls, console: ConsoleAdapter) -> ConsoleActivity | None:
        """Wrap the handler `console` answers with (None when it answers nothing)."""
        if console.handle is None:
            return None
        activity = cls(console.handle)
        console.handle = activity
        return activity

    async def __call__(self, inv: Invocation) -> Reply:
        self.under_way += 1
        try:
            return await self.handle(inv)
        finally:
            self.under_way -= 1
            self.answered += 1
            self.last_ended = self._clock()
            self._ended.set()

    async def quiet(self, seconds: float = QUIET_SECONDS) -> None:
        """Return once the greeting (the first answer) has ended, no answer is under way and
        none ended in the last `seconds`."""
        while True:
            if self.answered == 0 or self.under_way:
                self._ended.clear()
                await self._ended.wait()
                continue
            left = self.last_ended + seconds - self._clock()
            if left <= 0:
                return
            await self._sleep(left)


async def after_console(
    activity: ConsoleActivity | None,
    work: Callable[[], None],
    most_seconds: float = MOST_WAIT_SECONDS,
) -> None:
    """Run `work` (blocking: imports) in a worker thread, once `activity` is quiet (or after
    `most_seconds`, should the console never be: a greeting stuck on the store, someone typing
    without a break); at once when there is no console to wait for (`activity` is None). Then
    the start-up is over: the garbage collector, which `k8stip run` turns off while it starts
    (`bot/cli.py`), is back on."""
    if activity is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(activity.quiet(), most_seconds)
    try:
        await asyncio.to_thread(work)
    finally:
        gc.enable()


def import_health_and_scheduler() -> None:
    """The slowest imports of `run`, for a worker thread. Only these: as none of their modules
    imports k8stip, that thread and the main one never wait on each other's import locks."""
    import aiohttp.web  # noqa: F401
    import apscheduler.schedulers.asyncio  # noqa: F401
    import prometheus_client  # noqa: F401
