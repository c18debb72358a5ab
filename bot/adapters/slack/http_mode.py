"""HTTP mode: the aiohttp server Slack calls (events, commands, buttons, OAuth install).

The port is open to the internet, so an unsigned request must cost next to nothing. In order:
- connections beyond `MAX_CONNECTIONS` are closed as they are accepted; a connection that
  sends no complete request head within `IDLE_SECONDS` (or sits idle that long between
  requests) is closed by aiohttp's keep-alive timer;
- `/slack/events` judges the headers first (`http_guard.check_headers`: signature headers,
  a numeric timestamp within five minutes, a declared Content-Length <= 64 KiB) and refuses
  with a 401/400/413 before reading any body; more than `MAX_IN_FLIGHT` requests at once get a
  503;
- only then is the body read (within `BODY_SECONDS`), its HMAC checked over the raw bytes,
  and decoded as UTF-8;
- a signed request seen before (`replays.SeenRequests`, in the database, so across replicas)
  gets an empty 200 with `X-Slack-No-Retry: 1` and no effect: a 200 because a Slack retry of
  an event already handled must stop Slack retrying, and a copy of a valid request learns
  nothing from it;
- `/slack/install` answers 429 to more than `INSTALLS_PER_MINUTE` visits per address.
Refusals write at most one short log line per address per minute (`http_guard.QuietLog`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.slack.bolt_app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH
from bot.adapters.slack.http_guard import (
    MAX_BODY_BYTES,
    AddressLimiter,
    QuietLog,
    check_headers,
    signature_matches,
)
from bot.adapters.slack.replays import SeenRequests, request_keys

log = logging.getLogger("k8stip.slack")

MAX_CONNECTIONS = 512  # open connections; Slack itself needs a handful
MAX_IN_FLIGHT = 64  # /slack/events requests being processed at once
IDLE_SECONDS = 5.0  # to send a request head, or between requests on a kept-alive connection
BODY_SECONDS = 5.0  # to send a (<= 64 KiB) body once its head is in
INSTALLS_PER_MINUTE = 10  # /slack/install visits per source address


class _Refused(asyncio.Protocol):
    """The protocol of a connection over the cap: closed as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.abort()


def _refuse(status: int) -> web.Response:
    # Closing the connection spares us reading (or lingering over) a body we don't want.
    resp = web.Response(status=status, text=f"{status}\n")
    resp.force_close()
    return resp


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
        database: str,
        wall_clock: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
        max_connections: int = MAX_CONNECTIONS,
        max_in_flight: int = MAX_IN_FLIGHT,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._app = app
        self._oauth_flow = oauth_flow
        self._secret = signing_secret.encode()
        self._host = host
        self._port = port
        self._database = database
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._max_connections = max_connections
        self._max_in_flight = max_in_flight
        self._idle_seconds = idle_seconds
        self._in_flight = 0
        self._quiet = QuietLog(log)
        self._installs = AddressLimiter(INSTALLS_PER_MINUTE)
        self._seen: SeenRequests | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    def web_app(self) -> web.Application:
        """The aiohttp application for HTTP mode (events, commands, actions, OAuth)."""
        webapp = web.Application(client_max_size=MAX_BODY_BYTES)
        webapp.router.add_post(EVENTS_PATH, self._events)
        if self._oauth_flow is not None:
            webapp.router.add_get(INSTALL_PATH, self._install)
            webapp.router.add_get(REDIRECT_PATH, self._oauth)
        return webapp

    async def start(self) -> None:
        self._seen = SeenRequests(self._database)
        self._runner = web.AppRunner(
            self.web_app(),
            access_log=None,
            handle_signals=False,
            keepalive_timeout=self._idle_seconds,
            lingering_time=0,  # a refused body is not read: the connection closes instead
            read_bufsize=2**14,  # what aiohttp buffers of a body per connection before pausing
        )
        await self._runner.setup()
        server = self._runner.server
        assert server is not None

        def accept() -> asyncio.BaseProtocol:
            if len(server.connections) >= self._max_connections:
                return _Refused()
            return server()

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            accept, self._host, self._port, reuse_address=True, backlog=256
        )
        sock: socket.socket = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])  # the real port when 0 was asked
        log.info("Slack: HTTP mode listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._seen is not None:
            self._seen.close()
            self._seen = None

    def _refused(self, request: web.Request, status: int, reason: str) -> web.Response:
        self._quiet.refused(request.remote or "?", status, reason, self._monotonic())
        return _refuse(status)

    async def _events(self, request: web.Request) -> web.Response:
        problem = check_headers(request.headers, self._wall_clock())
        if problem is not None:
            return self._refused(request, *problem)
        if self._in_flight >= self._max_in_flight:
            return self._refused(request, 503, "too many requests in progress")
        self._in_flight += 1
        try:
            return await self._signed(request)
        finally:
            self._in_flight -= 1

    async def _signed(self, request: web.Request) -> web.Response:
        timestamp = request.headers["X-Slack-Request-Timestamp"]
        signature = request.headers["X-Slack-Signature"]
        try:
            async with asyncio.timeout(BODY_SECONDS):
                raw = await request.read()
        except (TimeoutError, web.HTTPException, ConnectionError):
            return self._refused(request, 400, "body not received in time")
        if not signature_matches(self._secret, timestamp, raw, signature):
            return self._refused(request, 401, "bad signature")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._refused(request, 400, "body is not UTF-8")
        if not await self._first_time(request, timestamp, signature, body):
            return web.Response(status=200, headers={"X-Slack-No-Retry": "1"})
        bolt_req = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]  # bolt accepts any str mapping
        return await to_aiohttp_response(await self._app.async_dispatch(bolt_req))

    async def _first_time(
        self, request: web.Request, timestamp: str, signature: str, body: str
    ) -> bool:
        event_id = None
        if body.startswith("{"):  # Events API (JSON); commands and buttons are forms
            try:
                event_id = str(json.loads(body).get("event_id") or "") or None
            except (ValueError, AttributeError):
                event_id = None
        assert self._seen is not None  # set by start()
        try:
            return await self._seen.first_time(
                request_keys(timestamp, signature, event_id), self._wall_clock()
            )
        except SQLAlchemyError as e:
            # Without the ledger a replay can't be told apart: refuse, Slack will retry.
            self._quiet.refused(
                "database",
                503,
                f"replay ledger unavailable ({type(e).__name__})",
                self._monotonic(),
            )
            raise web.HTTPServiceUnavailable() from None

    async def _install(self, request: web.Request) -> web.Response:
        if not self._installs.allow(request.remote or "?", self._monotonic()):
            return self._refused(request, 429, "too many install page visits")
        return await self._oauth(request)

    async def _oauth(self, request: web.Request) -> web.Response:
        flow = self._oauth_flow
        assert flow is not None
        bolt_req = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            return await to_aiohttp_response(await flow.handle_installation(bolt_req))
        return await to_aiohttp_response(await flow.handle_callback(bolt_req))
