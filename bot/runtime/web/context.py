"""What every page of the console reads: the store, the live engine, the router that carries
out changes, the clock, and the adapters' health. Built once by `bot.app` (or a test) and
kept on the aiohttp application under `CONTEXT`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.config import WebConfig
    from bot.core.engine import Engine
    from bot.core.invocation import Invocation
    from bot.core.replies import Reply
    from bot.runtime.store import Store

__all__ = ["CONTEXT", "WebContext", "context"]


@dataclass
class WebContext:
    store: Store
    # The engine the router answers with now, community tips included (rebuilt when a
    # suggestion is approved on any replica, so await it on each request, never keep it).
    engine: Callable[[], Awaitable[Engine]]
    # Runs one `/k8stip` command as the router does for chat (`Router.handle`).
    handle: Callable[[Invocation], Awaitable[Reply]]
    settings: WebConfig
    clock: Callable[[], datetime]  # aware UTC now
    # Each adapter by name ("console", "slack", "discord") and whether it is connected now.
    health: Callable[[], Mapping[str, bool]]
    # The scrypt hash of the password (`auth.PasswordHash`).
    password: Any
    default_timezone: str = "UTC"
    # What a page keeps between requests in this process, by the page's own key (the
    # Overview's delivery counts, say); each page says how long a value stays good.
    memo: dict[str, Any] = field(default_factory=dict)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking store call off the event loop."""
        import asyncio

        return await asyncio.to_thread(fn, *args)


CONTEXT: web.AppKey[WebContext] = web.AppKey("k8stip_web", WebContext)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]
