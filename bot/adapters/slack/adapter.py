"""The Slack adapter: slack-bolt (async) in Socket Mode or HTTP mode, plus REST posting.

Commands and button presses become `Invocation`s for the router; its `Reply` goes back as
Block Kit. Slack wants an answer within 3 seconds: the adapter waits up to `ack_budget` for
the router, puts the answer in the acknowledgement when it is ready, and otherwise
acknowledges at once and answers through the command's `response_url`.

Two Web API clients with different retry policies:
- the interactive client (bolt's, for users.info and responses) lets slack-sdk retry a 429
  once after Retry-After, and retry a refused connection: a person is waiting;
- the delivery client (`post`, `find_posted`) retries nothing: the delivery loop owns
  retries, and an SDK-level retry after a reset connection could post the tip twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.slack import messages
from bot.adapters.slack.errors import api_error_code, map_api_error, map_transport_error
from bot.adapters.slack.render import action_kind, render
from bot.config import Config, ConfigError, Secrets
from bot.core.invocation import Handler, Invocation
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.ports import (
    Adapter,
    AmbiguousError,
    PermanentError,
    PlatformEvents,
    Target,
    TransientError,
)

if TYPE_CHECKING:
    from bot.adapters.slack.installations import ThreadedInstallationStore, ThreadedStateStore

T = TypeVar("T")

log = logging.getLogger("k8stip.slack")

# Only what k8stip uses: the slash command, posting, telling admins apart, and reading its own
# posts back to reconcile after a crash (public and private channels). Keep in step with
# config/slack-app-manifest.yaml.
BOT_SCOPES = ("commands", "chat:write", "users:read", "channels:history", "groups:history")
DELIVERY_EVENT_TYPE = "k8stip_delivery"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ACK_BUDGET_SECONDS = 2.0  # Slack allows 3 s; keep a margin for the network
ADMIN_CACHE_SECONDS = 300.0
MIN_SECONDS_BETWEEN_POSTS = 1.0  # chat.postMessage: 1 message per second per channel
HISTORY_PAGES = 3  # find_posted reads at most this many pages of 200 messages
_ACTION_RE = re.compile(r"^k8stip:")


class _Clock(Clock):
    """slack-sdk's signature clock, fed by an injectable function (tests pin the time)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


@contextmanager
def _bolt_env_oauth_hidden() -> Iterator[None]:
    """Hide SLACK_CLIENT_ID/SECRET from AsyncApp's constructor.

    Bolt switches itself into OAuth mode, with file-based stores under $HOME, whenever those
    two variables are in the environment, even when given a bot token; a single-workspace
    k8stip would then answer nothing ("installation not found"). k8stip decides OAuth from
    `slack.oauth` and reads the secrets itself. The constructor is synchronous, so nothing
    else runs while they are hidden.
    """
    saved = {
        k: os.environ.pop(k) for k in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if k in os.environ
    }
    try:
        yield
    finally:
        os.environ.update(saved)


def interactive_retry_handlers() -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=1)]


def authorization_url(api_url: str) -> str:
    """Slack's authorize page on the same host as the Web API (slack.com, slack-gov.com…)."""
    base = api_url.rstrip("/")
    base = base.removesuffix("/api")
    return f"{base}/oauth/v2/authorize"


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
        http_host: str = "0.0.0.0",  # Slack must reach the HTTP endpoint
    ) -> None:
        self._slack = config.slack
        self._database = config.database
        self._handle = handle
        self._events = events
        self._ack_budget = ack_budget
        self._monotonic = monotonic
        self._sleep = sleep
        self._http_timeout = http_timeout
        self._http_host = http_host
        self._api_url = self._slack.api_url
        self._bot_token = secrets.get("SLACK_BOT_TOKEN")
        self._app_token = secrets.get("SLACK_APP_TOKEN")
        self._signing_secret = secrets.get("SLACK_SIGNING_SECRET")
        self._client_id = secrets.get("SLACK_CLIENT_ID")
        self._client_secret = secrets.get("SLACK_CLIENT_SECRET")
        self._token_key = secrets.get("K8STIP_TOKEN_KEY")  # secrets-at-rest: OAuth token key
        self._check_secrets()
        self._verifier = (
            SignatureVerifier(self._signing_secret, clock=_Clock(wall_clock))
            if self._signing_secret
            else None
        )
        self._admin_cache: dict[tuple[str, str], tuple[bool, float]] = {}
        self._last_post: dict[str, float] = {}
        self._delivery_clients: dict[str, AsyncWebClient] = {}
        # One HTTP session (connection pool) for all daily posts: without it slack-sdk opens
        # a new session, so a new TCP + TLS connection, for every post.
        self._delivery_session: aiohttp.ClientSession | None = None
        self._store: ThreadedInstallationStore | None = None
        self._states: ThreadedStateStore | None = None
        self._tables_ready = False
        self._oauth_flow: AsyncOAuthFlow | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.http_port: int | None = None
        self.app = self._build_app()

    # ----- set-up ----------------------------------------------------------------------------

    def _check_secrets(self) -> None:
        problems = []
        if self._slack.oauth:
            if self._slack.mode != "http":
                problems.append(messages.OAUTH_NEEDS_HTTP)
            if not (self._client_id and self._client_secret):
                problems.append(messages.MISSING_OAUTH_SECRETS)
        elif not self._bot_token:
            problems.append(messages.MISSING_BOT_TOKEN)
        if self._slack.mode == "socket" and not self._app_token:
            problems.append(messages.MISSING_APP_TOKEN)
        if self._slack.mode == "http" and not self._signing_secret:
            problems.append(messages.MISSING_SIGNING_SECRET)
        if problems:
            raise ConfigError(problems)

    def _build_app(self) -> AsyncApp:
        client = AsyncWebClient(
            token=None if self._slack.oauth else self._bot_token,
            base_url=self._api_url,
            timeout=self._http_timeout,  # type: ignore[arg-type]  # annotated int, used as aiohttp seconds
            retry_handlers=interactive_retry_handlers(),
        )
        kwargs: dict[str, Any] = {}
        if self._slack.oauth:
            assert self._client_id and self._client_secret  # checked in _check_secrets
            # Imported here: it pulls in SQLAlchemy's asyncio layer, single-workspace needs none.
            from bot.adapters.slack.installations import build_stores

            store, states = build_stores(self._database, self._client_id, self._token_key)
            self._store, self._states = store, states
            settings = AsyncOAuthSettings(
                client_id=self._client_id,
                client_secret=self._client_secret,
                scopes=list(BOT_SCOPES),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                authorization_url=authorization_url(self._api_url),
                installation_store=store,
                state_store=states,
                logger=log,
            )
            self._oauth_flow = AsyncOAuthFlow(client=client, settings=settings, logger=log)
            kwargs.update(installation_store=store, oauth_flow=self._oauth_flow)
        with _bolt_env_oauth_hidden():
            app = AsyncApp(
                name="k8stip",
                logger=log,
                client=client,
                signing_secret=self._signing_secret or "",
                # Signatures are checked in `_http_events` (before any authorize/token lookups)
                # with an injectable clock; Socket Mode needs no signature.
                request_verification_enabled=False,
                # Ack as soon as a listener returns; listeners hand slow work to tasks.
                process_before_response=True,
                **kwargs,
            )
        app.command(self._slack.command)(self._on_command)
        app.action(_ACTION_RE)(self._on_action)
        app.event("app_uninstalled")(self._on_app_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)
        return app

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._ensure_tables()
        if self._slack.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, app_token=self._app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
            log.info("Slack: connected in Socket Mode")
        else:
            self._runner = web.AppRunner(self.web_app(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self._http_host, self._slack.http_port)
            await site.start()
            self.http_port = int(self._runner.addresses[0][1])  # the real port when 0 was asked
            log.info("Slack: HTTP mode listening on %s:%s", self._http_host, self.http_port)

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

    async def stop(self) -> None:
        # Let answers in progress finish first: they go out through response_url, which works
        # whether or not the socket / HTTP server is still up.
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=3.0)
            for task in pending:
                task.cancel()
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._delivery_session is not None:
            await self._delivery_session.close()
            self._delivery_session = None

    def web_app(self) -> web.Application:
        """The aiohttp application for HTTP mode (events, commands, actions, OAuth)."""
        webapp = web.Application()
        webapp.router.add_post(EVENTS_PATH, self._http_events)
        if self._oauth_flow is not None:
            webapp.router.add_get(INSTALL_PATH, self._http_oauth)
            webapp.router.add_get(REDIRECT_PATH, self._http_oauth)
        return webapp

    async def _http_events(self, request: web.Request) -> web.Response:
        body = await request.text()
        assert self._verifier is not None  # HTTP mode requires the signing secret
        if not self._verifier.is_valid(
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        ):
            # Forged, or a replay older than 5 minutes.
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_req = AsyncBoltRequest(body=body, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]  # bolt accepts any str mapping
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_req))

    async def _http_oauth(self, request: web.Request) -> web.Response:
        flow = self._oauth_flow
        assert flow is not None
        bolt_req = await to_bolt_request(request)
        if request.path == INSTALL_PATH:
            return await to_aiohttp_response(await flow.handle_installation(bolt_req))
        return await to_aiohttp_response(await flow.handle_callback(bolt_req))

    # ----- commands and buttons --------------------------------------------------------------

    async def _on_command(
        self,
        ack: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        task = self._track(
            self._answer(
                client,
                team=str(command.get("team_id", "")),
                channel=str(command.get("channel_id", "")),
                user=str(command.get("user_id", "")),
                user_name=str(command.get("user_name", "")),
                text=str(command.get("text", "")),
            )
        )
        done, _ = await asyncio.wait({task}, timeout=self._ack_budget)
        if task in done:
            await ack(**self._payload(task.result()))
            return
        await ack()
        self._track(self._respond_when_ready(respond, task, share=False))

    async def _on_action(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        # A button's ack can't carry a message: ack now, answer through response_url.
        await ack()
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id", ""
        )
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        answer = self._track(
            self._answer(
                client,
                team=str(team),
                channel=str(channel),
                user=str(user.get("id", "")),
                user_name=str(user.get("username") or user.get("name") or ""),
                text=str(action.get("value", "")),
            )
        )
        share = action_kind(str(action.get("action_id"))) == "share"
        self._track(self._respond_when_ready(respond, answer, share=share))

    def _track(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` in the background; `stop()` lets it finish (for up to a few seconds).

        Listeners return as soon as they have acked (bolt runs with process_before_response,
        so the ack goes out the moment the listener returns instead of on bolt's 10 ms poll).
        """
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _respond_when_ready(
        self, respond: Callable[..., Awaitable[Any]], answer: asyncio.Task[Reply], *, share: bool
    ) -> None:
        reply = await answer
        try:
            await respond(**self._payload(reply, share=share), replace_original=False)
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("Slack: could not answer through response_url (%s)", type(e).__name__)

    async def _answer(
        self,
        client: AsyncWebClient,
        *,
        team: str,
        channel: str,
        user: str,
        user_name: str,
        text: str,
    ) -> Reply:
        try:
            invocation = Invocation(
                platform="slack",
                workspace=team,
                channel=channel,
                user=user,
                text=text,
                is_admin=await self._is_admin(client, team, user),
                user_name=user_name,
            )
            return await self._handle(invocation)
        except Exception:
            log.exception("Slack: the router failed on a command in %s/%s", team, channel)
            return Reply(kind=ReplyKind.ERROR, text=messages.HANDLER_FAILED)

    def _payload(self, reply: Reply, *, share: bool = False) -> dict[str, Any]:
        in_channel = share or reply.visibility is Visibility.CHANNEL
        if reply.kind is ReplyKind.ERROR:
            in_channel = False  # mistakes are told to the person who made them
        rendered = render(reply, ephemeral=not in_channel)
        return {**rendered, "response_type": "in_channel" if in_channel else "ephemeral"}

    async def _is_admin(self, client: AsyncWebClient, team: str, user: str) -> bool:
        """Workspace admins and owners, plus the user ids in `slack.admins`."""
        if user in self._slack.admins:
            return True
        now = self._monotonic()
        cached = self._admin_cache.get((team, user))
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            resp = await client.users_info(user=user)
        except SlackApiError as e:
            log.warning(
                "Slack: users.info failed (%s); treating %s as a non-admin",
                api_error_code(e) or "error",
                user,
            )
            return False
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning(
                "Slack: users.info failed (%s); treating %s as a non-admin", type(e).__name__, user
            )
            return False
        info = resp.get("user") or {}
        is_admin = bool(
            info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")
        )
        if len(self._admin_cache) > 10_000:
            self._admin_cache = {k: v for k, v in self._admin_cache.items() if v[1] > now}
        self._admin_cache[(team, user)] = (is_admin, now + ADMIN_CACHE_SECONDS)
        return is_admin

    # ----- uninstall -------------------------------------------------------------------------

    async def _on_app_uninstalled(self, body: dict[str, Any]) -> None:
        team = str(body.get("team_id", ""))
        if self._store is not None:
            await self._store.async_delete_all(
                enterprise_id=body.get("enterprise_id"), team_id=team
            )
        log.info("Slack: app uninstalled from workspace %s; pausing its subscriptions", team)
        await self._events.workspace_removed("slack", team, "app_uninstalled")

    async def _on_tokens_revoked(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        team = str(body.get("team_id", ""))
        enterprise = body.get("enterprise_id")
        tokens = event.get("tokens") or {}
        if self._store is not None:
            for user_id in tokens.get("oauth") or []:
                await self._store.async_delete_installation(
                    enterprise_id=enterprise, team_id=team, user_id=user_id
                )
            if tokens.get("bot"):
                await self._store.async_delete_bot(enterprise_id=enterprise, team_id=team)
        if tokens.get("bot"):
            log.info("Slack: bot token revoked in workspace %s; pausing its subscriptions", team)
            await self._events.workspace_removed("slack", team, "tokens_revoked")

    # ----- daily posts (REST only; works without start()) ------------------------------------

    async def _delivery_client(self, workspace: str) -> AsyncWebClient:
        token = self._bot_token
        if self._store is not None:
            from bot.adapters.slack.installations import TokenKeyError  # loaded with the store

            try:
                await self._ensure_tables()
                bot = await self._store.async_find_bot(enterprise_id=None, team_id=workspace)
            except SQLAlchemyError as e:
                raise TransientError(
                    f"could not read Slack installations from the database ({type(e).__name__})"
                ) from None
            except TokenKeyError as e:  # secrets-at-rest: wrong K8STIP_TOKEN_KEY, one clear line
                raise TransientError(e.reason) from None
            if bot is None or not bot.bot_token:
                raise PermanentError(messages.NOT_INSTALLED.format(team=workspace))
            token = bot.bot_token
        assert token is not None  # _check_secrets guarantees one of the two
        session = self._delivery_session
        if session is None or session.closed:
            # slack-sdk takes the timeout from the session it is given.
            session = self._delivery_session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._http_timeout)
            )
        client = self._delivery_clients.get(token)
        if client is None:
            client = AsyncWebClient(
                token=token,
                base_url=self._api_url,
                timeout=self._http_timeout,  # type: ignore[arg-type]  # annotated int, used as aiohttp seconds
                retry_handlers=[],  # delivery owns retries; see the module docstring
                session=session,
            )
            self._delivery_clients[token] = client
        client.session = session  # a new one if stop() closed the previous one
        return client

    async def _pace(self, target: Target) -> None:
        key = f"{target.workspace}/{target.channel}"
        last = self._last_post.get(key)
        if last is not None:
            wait = MIN_SECONDS_BETWEEN_POSTS - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)
        now = self._monotonic()
        self._last_post[key] = now
        if len(self._last_post) > 10_000:  # forget channels not posted to for a while
            self._last_post = {
                k: t for k, t in self._last_post.items() if now - t < MIN_SECONDS_BETWEEN_POSTS
            }

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        client = await self._delivery_client(target.workspace)
        rendered = render(reply, ephemeral=False)
        await self._pace(target)
        try:
            resp = await client.chat_postMessage(
                channel=target.channel,
                text=rendered["text"],
                blocks=rendered["blocks"],
                metadata={
                    "event_type": DELIVERY_EVENT_TYPE,
                    "event_payload": {"delivery_id": delivery_id},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as e:
            raise map_api_error(e, posting=True) from None
        except SlackClientError as e:
            # Slack answered, but not in a form slack-sdk could read: the post may be there.
            raise AmbiguousError(f"unreadable answer from Slack ({type(e).__name__})") from None
        except (aiohttp.ClientError, TimeoutError) as e:
            raise map_transport_error(e, sent=True) from None
        return str(resp["ts"])

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        """Look for the delivery id in the channel's recent history (newest first).

        Without `channels:history`/`groups:history` this can't see anything and answers None,
        so delivery posts again: a rare duplicate rather than a silently missed day.
        """
        client = await self._delivery_client(target.workspace)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                resp = await client.conversations_history(
                    channel=target.channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            except SlackApiError as e:
                if api_error_code(e) == "missing_scope":
                    log.warning(
                        "Slack: no history scope in %s; can't reconcile delivery %s, "
                        "assuming it was not posted",
                        target.channel,
                        delivery_id,
                    )
                    return None
                raise map_api_error(e) from None
            except SlackClientError as e:
                raise TransientError(f"unreadable answer from Slack ({type(e).__name__})") from None
            except (aiohttp.ClientError, TimeoutError) as e:
                raise map_transport_error(e, sent=False) from None
            for message in resp.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == DELIVERY_EVENT_TYPE
                    and payload.get("delivery_id") == delivery_id
                ):
                    return str(message["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None


if TYPE_CHECKING:  # mypy proves SlackAdapter follows the Adapter protocol
    _follows_protocol: type[Adapter] = SlackAdapter


def create_adapter(
    config: Config, secrets: Secrets, handle: Handler, events: PlatformEvents
) -> SlackAdapter:
    """The adapter for `config.slack`; app.py reaches it through `FACTORY` (factory.py)."""
    return SlackAdapter(config, secrets, handle, events)
