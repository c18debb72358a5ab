"""A console to test against: the real aiohttp application of `bot.runtime.web` over a real
store, engine and router, served on 127.0.0.1 by aiohttp's test server, and a client that
signs in the way a browser does (GET /login for its form token, POST the form)."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Config, config_from_mapping
from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.router import Router
from bot.runtime.store import Store
from bot.runtime.web.auth import PasswordHash, SignInThrottle
from bot.runtime.web.context import WebContext
from bot.runtime.web.server import MAX_LINE_BYTES, build_app, engine_reader
from tests.fakes.clock import FakeClock

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    client: TestClient[web.Request, web.Application]
    store: Store
    router: Router
    clock: FakeClock
    throttle: SignInThrottle
    health: dict[str, bool]
    # The engine the router answers with: the one given, or with `community=True` a
    # `CommunityEngine` over it (approved suggestions join it, as in `k8stip run`).
    engine: Engine | CommunityEngine

    async def sign_in(self, name: str = "Ana", password: str = PASSWORD) -> int:
        """Sign in as a browser would; the status of the POST (303 when signed in)."""
        form = await self.client.get("/login")
        token = csrf_of(await form.text())
        response = await self.client.post(
            "/login",
            data={"csrf": token, "name": name, "password": password, "next": "/"},
            allow_redirects=False,
        )
        return response.status

    async def csrf(self, path: str = "/") -> str:
        """The CSRF token of the forms on `path` (signed in)."""
        page = await self.client.get(path)
        return csrf_of(await page.text())


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "no form with a csrf token on the page"
    return found.group(1)


def console_config(**web: object) -> Config:
    return config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "web": {"enabled": True, **web},
        }
    )


async def open_console(
    store: Store,
    engine: Engine,
    *,
    config: Config | None = None,
    now: datetime = NOW,
    community: bool = False,
) -> AsyncIterator[Console]:
    """Serve the console over `store` and `engine`; yields the Console, then closes it.
    `community`: the router answers with the engine plus the store's community tips, rebuilt
    when a suggestion is approved (what `k8stip run` serves)."""
    config = config or console_config()
    clock = FakeClock(now)
    live = CommunityEngine(engine, store, clock) if community else engine
    router = Router(live, store, config, clock, random.Random(7))
    health = {"console": True, "slack": True, "discord": False}

    throttle = SignInThrottle()
    ctx = WebContext(
        store=store,
        engine=engine_reader(live),
        handle=router.handle,
        settings=config.web,
        clock=clock.now,
        health=lambda: health,
        password=PasswordHash(PASSWORD),
        default_timezone=config.timezone,
    )
    client = TestClient(TestServer(build_app(ctx, throttle), host="127.0.0.1"))
    # The request-line limit `k8stip run` serves with (WebServer), so long searches reach pages.
    await client.server.start_server(max_line_size=MAX_LINE_BYTES)
    await client.start_server()
    try:
        yield Console(client, store, router, clock, throttle, health, live)
    finally:
        await client.close()
