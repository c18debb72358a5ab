"""HTTP mode: the aiohttp server Slack calls (events, commands, buttons, OAuth install).

Every request to `/slack/events` is checked against the signing secret before bolt sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock, SignatureVerifier

from bot.adapters.slack.bolt_app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH

log = logging.getLogger("k8stip.slack")


class _Clock(Clock):
    """slack-sdk's signature clock, fed by an injectable function (tests pin the time)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class HttpServer:
    """Serves the bolt app on `host:port`; `port` is the real one once started."""

    def __init__(
        self,
        app: AsyncApp,
        oauth_flow: AsyncOAuthFlow | None,
        *,
        signing_secret: str,
        host: str,
        port: int,
        wall_clock: Callable[[], float],
    ) -> None:
        self._app = app
        self._oauth_flow = oauth_flow
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(wall_clock))
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def web_app(self) -> web.Application:
        """The aiohttp application for HTTP mode (events, commands, actions, OAuth)."""
        webapp = web.Application()
        webapp.router.add_post(EVENTS_PATH, self._events)
        if self._oauth_flow is not None:
            webapp.router.add_get(INSTALL_PATH, self._oauth)
            webapp.router.add_get(REDIRECT_PATH, self._oauth)
        return webapp

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the real port when 0 was asked
        log.info("Slack: HTTP mode listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.text()
        if not self._verifier.is_valid(
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        ):
            # Forged, or a replay older than 5 minutes.
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_req = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]  # bolt accepts any str mapping
        return await to_aiohttp_response(await self._app.async_dispatch(bolt_req))

    async def _oauth(self, request: web.Request) -> web.Response:
        flow = self._oauth_flow
        assert flow is not None
        bolt_req = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            return await to_aiohttp_response(await flow.handle_installation(bolt_req))
        return await to_aiohttp_response(await flow.handle_callback(bolt_req))
