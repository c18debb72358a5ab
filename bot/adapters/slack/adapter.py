"""The Slack adapter: slack-bolt (async) in Socket Mode or HTTP mode, plus REST posting.

`SlackAdapter` only composes the parts, each in its own module:
- `bolt_app`: the bolt `AsyncApp`, its interactive Web API client and the OAuth stores;
- `listeners`: commands and button presses -> `Invocation`s, `Reply` -> ack / response_url;
- `socket_mode` / `http_mode`: the two transports that feed bolt;
- `posting`: daily posts and reconciliation over REST, with a client that retries nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
from slack_bolt.async_app import AsyncApp
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.slack import messages
from bot.adapters.slack.bolt_app import build_bolt_app
from bot.adapters.slack.direct import DirectChannels, reworded
from bot.adapters.slack.http_mode import HttpServer
from bot.adapters.slack.listeners import Listeners
from bot.adapters.slack.posting import Poster
from bot.adapters.slack.socket_mode import SocketModeConnection
from bot.config import Config, ConfigError, Secrets
from bot.core.invocation import Handler
from bot.core.replies import Reply
from bot.ports import Adapter, AuthError, PermanentError, PlatformEvents, Target, TransientError

ACK_BUDGET_SECONDS = 2.0  # Slack allows 3 s; keep a margin for the network


class SlackAdapter:
    """Implements `bot.ports.Adapter` for Slack."""

    platform = "slack"

    def __init__(
        self,
        config: Config,
        secrets: Secrets,
        handle: Handler,
        events: PlatformEvents,
        *,
        ack_budget: float = ACK_BUDGET_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        http_timeout: float = 30.0,
        http_host: str | None = None,  # None: `slack.http_host`
    ) -> None:
        self._slack = config.slack
        self._bot_token = secrets.get("SLACK_BOT_TOKEN")
        self._app_token = secrets.get("SLACK_APP_TOKEN")
        signing_secret = secrets.get("SLACK_SIGNING_SECRET")
        client_id = secrets.get("SLACK_CLIENT_ID")
        client_secret = secrets.get("SLACK_CLIENT_SECRET")
        self._check_secrets(signing_secret, client_id, client_secret)
        oauth = (client_id or "", client_secret or "") if self._slack.oauth else None
        bolt = build_bolt_app(
            api_url=self._slack.api_url,
            http_timeout=http_timeout,
            bot_token=self._bot_token,
            signing_secret=signing_secret,
            oauth=oauth,
            database=config.database,
            token_key=secrets.get("K8STIP_TOKEN_KEY"),
        )
        self.app: AsyncApp = bolt.app
        self._store, self._states = bolt.store, bolt.states
        self._http_timeout = http_timeout
        # From start() to stop(): one aiohttp session (connection pool) for the interactive
        # Web API calls (users.info, chat.update, bolt's auth.test / OAuth calls) and the
        # response_url answers. Without it slack-sdk opens a session per call.
        self._session: aiohttp.ClientSession | None = None
        self._tables_ready = False
        self._listeners = Listeners(
            handle,
            events,
            admins=self._slack.admins,
            store=bolt.store,
            ack_budget=ack_budget,
            monotonic=monotonic,
        )
        self._listeners.attach(self.app, self._slack.command)
        self._poster = Poster(
            api_url=self._slack.api_url,
            token_for=self._token_for,
            http_timeout=http_timeout,
            monotonic=monotonic,
            sleep=sleep,
        )
        self._direct = DirectChannels()
        self._socket: SocketModeConnection | None = None
        self._http: HttpServer | None = None
        if self._slack.mode == "socket":
            self._socket = SocketModeConnection(self.app, self._app_token or "")
        else:
            self._http = HttpServer(
                self.app,
                bolt.oauth_flow,
                signing_secret=signing_secret or "",
                host=self._slack.http_host if http_host is None else http_host,
                port=self._slack.http_port,
                database=config.database,
                wall_clock=wall_clock,
                monotonic=monotonic,
            )

    def _check_secrets(
        self, signing_secret: str | None, client_id: str | None, client_secret: str | None
    ) -> None:
        problems = []
        if self._slack.oauth:
            if self._slack.mode != "http":
                problems.append(messages.OAUTH_NEEDS_HTTP)
            if not (client_id and client_secret):
                problems.append(messages.MISSING_OAUTH_SECRETS)
        elif not self._bot_token:
            problems.append(messages.MISSING_BOT_TOKEN)
        if self._slack.mode == "socket" and not self._app_token:
            problems.append(messages.MISSING_APP_TOKEN)
        if self._slack.mode == "http" and not signing_secret:
            problems.append(messages.MISSING_SIGNING_SECRET)
        if problems:
            raise ConfigError(problems)

    @property
    def http_port(self) -> int | None:
        """HTTP mode: the port actually listened on (tests ask for 0), once started."""
        return self._http.port if self._http is not None else None

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._ensure_tables()
        if self._session is None or self._session.closed:
            # slack-sdk takes the timeout from the session it is given.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._http_timeout)
            )
        # bolt builds each request's client from this one, session included.
        self.app.client.session = self._session
        self._listeners.use_session(self._session)
        if self._socket is not None:
            await self._socket.start()
        if self._http is not None:
            await self._http.start()

    async def stop(self) -> None:
        # Let answers in progress finish first: they go out through response_url, which works
        # whether or not the socket / HTTP server is still up.
        await self._listeners.drain()
        if self._socket is not None:
            await self._socket.stop()
        if self._http is not None:
            await self._http.stop()
        await self._poster.close()
        self._listeners.use_session(None)
        self.app.client.session = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _ensure_tables(self) -> None:
        """Create slack-sdk's installation tables if missing (OAuth mode; once per process).

        Also on the REST-only path, so `k8stip deliver` works on a database that no
        `k8stip run` has touched yet.
        """
        if self._store is None or self._states is None or self._tables_ready:
            return
        await self._store.create_tables()
        await self._states.create_tables()
        self._tables_ready = True

    # ----- daily posts (REST only; works without start()) ------------------------------------

    async def _token_for(self, workspace: str) -> str:
        if self._store is None:
            assert self._bot_token is not None  # _check_secrets guarantees one of the two
            return self._bot_token
        try:
            await self._ensure_tables()
            bot = await self._store.async_find_bot(enterprise_id=None, team_id=workspace)
        except SQLAlchemyError as e:
            raise TransientError(
                f"could not read Slack installations from the database ({type(e).__name__})"
            ) from None
        except ConfigError as e:  # TokenKeyError: a wrong K8STIP_TOKEN_KEY; one line, no pause
            raise TransientError(e.problems[0]) from None
        if bot is None or not bot.bot_token:
            raise PermanentError(messages.NOT_INSTALLED.format(team=workspace))
        return str(bot.bot_token)

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        try:
            if not target.is_direct:
                return await self._poster.post(target, reply, delivery_id)
            im = await self._direct.channel(target, self._poster.client_for)
            try:
                return await self._poster.post(im, reply, delivery_id)
            except PermanentError as e:
                self._direct.forget(target)
                raise reworded(e, target.direct_to) from None
        except AuthError as e:
            raise self._per_workspace(e, target.workspace) from None

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        """For a direct message, reads the IM's history (scope `im:history`)."""
        try:
            if target.is_direct:
                target = await self._direct.channel(target, self._poster.client_for)
            return await self._poster.find_posted(target, delivery_id)
        except AuthError as e:
            raise self._per_workspace(e, target.workspace) from None

    def _per_workspace(self, e: AuthError, workspace: str) -> AuthError | PermanentError:
        """With one SLACK_BOT_TOKEN a refused token is an outage of the whole adapter. With
        OAuth installs each workspace has its own token, and a refused one means that
        workspace's install is gone (revoked, uninstalled): permanent for that workspace,
        whose subscriptions pause until someone reinstalls k8stip there."""
        if self._store is None:
            return e
        code = e.reason.split(":", 1)[0]
        return PermanentError(messages.INSTALL_REVOKED.format(team=workspace, code=code))


if TYPE_CHECKING:  # mypy proves SlackAdapter follows the Adapter protocol
    _follows_protocol: type[Adapter] = SlackAdapter


def create_adapter(
    config: Config, secrets: Secrets, handle: Handler, events: PlatformEvents
) -> SlackAdapter:
    """The adapter for `config.slack`; app.py reaches it through `FACTORY` (factory.py)."""
    return SlackAdapter(config, secrets, handle, events)
