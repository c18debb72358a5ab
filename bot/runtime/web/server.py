"""The console's aiohttp application and its server (`WebServer`, started by `k8stip run`
when `web.enabled` is true)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.runtime.web import channel, overview, review, signin, tips
from bot.runtime.web.auth import PasswordHash, SignInThrottle, auth_middleware
from bot.runtime.web.context import CONTEXT, WebContext
from bot.runtime.web.errors import error_middleware, server_log
from bot.runtime.web.forms import MAX_BODY_BYTES

if TYPE_CHECKING:
    from bot.config import Config, Secrets
    from bot.core.engine import Engine
    from bot.runtime.router import Router
    from bot.runtime.store import Store

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_LINE_BYTES",
    "WebServer",
    "build_app",
    "engine_reader",
    "start_web_console",
]

# The request line's limit: the Tips page searches by GET, and a pasted 10,000-character
# question must reach the page (which cuts it) rather than aiohttp's bare 400 at 8190 bytes.
MAX_LINE_BYTES = 64 * 1024


def build_app(ctx: WebContext, throttle: SignInThrottle | None = None) -> web.Application:
    # error_middleware first: it turns what the others and the pages raise into pages.
    app = web.Application(
        middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[CONTEXT] = ctx
    app[signin.THROTTLE] = throttle or SignInThrottle()
    for page in (signin, overview, channel, tips, review):
        app.router.add_routes(page.routes)
    return app


def tls_context(cert: str, key: str) -> ssl.SSLContext | None:
    """Serve HTTPS with these PEM files; None (plain HTTP) when neither is set."""
    if not cert and not key:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class WebServer:
    """Serves the console on `sock` (bound early by the caller) or on `host:port`."""

    def __init__(
        self,
        ctx: WebContext,
        *,
        sock: socket.socket | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.ctx = ctx
        self.sock = sock
        self.ssl_context = ssl_context
        self.port = ctx.settings.port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        # No access log, and aiohttp's own parse errors quieted (errors.QuietServerLog):
        # nobody who can merely reach the port writes a log line per request.
        self._runner = web.AppRunner(
            build_app(self.ctx),
            access_log=None,
            logger=server_log(),
            max_line_size=MAX_LINE_BYTES,
        )
        await self._runner.setup()
        site: web.BaseSite
        if self.sock is not None:
            site = web.SockSite(self._runner, self.sock, ssl_context=self.ssl_context)
        else:
            site = web.TCPSite(
                self._runner,
                self.ctx.settings.bind,
                self.ctx.settings.port,
                ssl_context=self.ssl_context,
            )
        await site.start()
        if self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def engine_reader(live: object) -> Callable[[], Awaitable[Engine]]:
    """`WebContext.engine` for the engine the router answers with: a `CommunityEngine` is
    refreshed first (tips approved on any replica show at once), a plain `Engine` is itself."""
    from bot.core.engine import Engine
    from bot.runtime.community import CommunityEngine

    async def current() -> Engine:
        if isinstance(live, CommunityEngine):
            await live.refresh()
            return live.current
        assert isinstance(live, Engine)
        return live

    return current


async def start_web_console(
    config: Config,
    secrets: Secrets,
    store: Store,
    router: Router,
    connected: Mapping[str, bool],
    sock: socket.socket,
) -> WebServer:
    """The console of `k8stip run`, serving on `sock` (bound at start-up, before the store
    opened). `bot.startup.check_web` has made sure the password is set."""
    from bot.config import WEB_PASSWORD

    ctx = WebContext(
        store=store,
        engine=engine_reader(router.ctx.engine),
        handle=router.handle,
        settings=config.web,
        clock=lambda: datetime.now(UTC),
        health=lambda: dict(connected),
        password=PasswordHash(secrets.get(WEB_PASSWORD) or ""),
        default_timezone=config.timezone,
    )
    server = WebServer(
        ctx, sock=sock, ssl_context=tls_context(config.web.tls_cert, config.web.tls_key)
    )
    await server.start()
    return server
