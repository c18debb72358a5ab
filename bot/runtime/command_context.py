"""What every command handler works with: the engine, the store, the config and the clock, and
the few helpers they share (a store call off the event loop, this channel's subscription, a
hint in the asking platform's syntax)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Config
from bot.core.invocation import Invocation
from bot.core.replies import Reply
from bot.core.wording import example, info, not_subscribed
from bot.ports import Clock, TipEngine
from bot.runtime.store import Store, Subscription

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)
# A store that cannot be read or written (disk full, database down) logs at most this often.
STORE_WARNING_EVERY_SECONDS = 60.0

CommandHandler = Callable[[Invocation, list[str]], Awaitable[Reply]]
"""Runs one command: the Invocation and the words after the command's name."""


@dataclass(frozen=True)
class CommandContext:
    engine: TipEngine
    store: Store
    config: Config
    clock: Clock
    _warned_at: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def slash(self, inv: Invocation) -> str:
        return self.config.slack.command if inv.platform == "slack" else "/k8stip"

    def example(self, inv: Invocation, command: str, *values: str) -> str:
        """How `command values…` is typed where `inv` came from."""
        return example(inv.platform, command, *values, slash=self.slash(inv))

    def not_subscribed(self, inv: Invocation) -> Reply:
        return info(not_subscribed(inv.platform, slash=self.slash(inv)))

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a (blocking) store call in a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def db_or(
        self, what: str, default: T, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """A store call whose failure must not cost the member their answer (the channel's
        rotation history: without it a tip may repeat sooner; nothing is lost). On a store
        error, `default`, and a warning at most once a minute per kind of call."""
        try:
            return await self.db(fn, *args, **kwargs)
        except (SQLAlchemyError, OSError) as e:
            now = time.monotonic()
            if now - self._warned_at.get(what, -STORE_WARNING_EVERY_SECONDS) >= (
                STORE_WARNING_EVERY_SECONDS
            ):
                self._warned_at[what] = now
                log.warning(
                    "store: could not %s (%s); answering without it", what, type(e).__name__
                )
            return default

    async def subscription(self, inv: Invocation) -> Subscription | None:
        """The daily tip of the channel `inv` came from, if it has one."""
        return await self.db(self.store.get_subscription, inv.platform, inv.workspace, inv.channel)
