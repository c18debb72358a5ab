"""The slack-bolt `AsyncApp` k8stip runs: its Web API client, OAuth settings and stores.

Both transports (Socket Mode and HTTP mode) dispatch into this one app; `Listeners` hangs
its handlers on it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

if TYPE_CHECKING:
    from bot.adapters.slack.installations import ThreadedInstallationStore, ThreadedStateStore

__all__ = [
    "BOT_SCOPES",
    "EVENTS_PATH",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "BoltApp",
    "SingleWorkspaceAuthorize",
    "authorization_url",
    "build_bolt_app",
    "interactive_retry_handlers",
]

log = logging.getLogger("k8stip.slack")

# Only what k8stip uses: the slash command, posting, telling admins apart, reading its own
# posts back to reconcile after a crash (public and private channels, and direct messages),
# and opening a direct message with a member (personal tips, answers to forms). Keep in step
# with config/slack-app-manifest.yaml.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "channels:history",
    "groups:history",
    "im:write",
    "im:history",
)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


_BOLT_ENV = ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextmanager
def _bolt_env_hidden() -> Iterator[None]:
    """Hide the secrets AsyncApp's constructor would read from the environment by itself.

    k8stip reads its secrets itself (also from NAME_FILE) and hands bolt a ready client and
    an `authorize` function. Left in the environment, SLACK_BOT_TOKEN would be passed to bolt
    a second time, next to that client (bolt then warns "As you gave `client` as well, `token`
    will be unused" on every start); SLACK_CLIENT_ID/SECRET would switch bolt into OAuth mode
    with file-based stores under $HOME, even in a single-workspace k8stip, which would then
    answer nothing ("installation not found"). The constructor is synchronous, so nothing
    else runs while they are hidden.
    """
    saved = {k: os.environ.pop(k) for k in _BOLT_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


class SingleWorkspaceAuthorize:
    """bolt's `authorize` for one workspace: one `auth.test`, shared by every request.

    bolt's built-in single-team authorization calls `auth.test` for every request until the
    first answer is cached, so a cold start under load sent one per concurrent request. Here
    concurrent requests wait on the same call; a failed call is tried again by the next one.
    """

    def __init__(self, client: AsyncWebClient, bot_token: str) -> None:
        self._client = client
        self._bot_token = bot_token
        self._result: AuthorizeResult | None = None
        self._pending: asyncio.Task[AuthorizeResult] | None = None

    async def authorize(self) -> AuthorizeResult:
        if self._result is not None:
            return self._result
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._auth_test())
        # Shielded: a request that gives up (client gone) must not cancel the others' call.
        self._result = await asyncio.shield(self._pending)
        return self._result

    async def _auth_test(self) -> AuthorizeResult:
        response = await self._client.auth_test(token=self._bot_token)
        return AuthorizeResult.from_auth_test_response(
            bot_token=self._bot_token, auth_test_response=response
        )


def interactive_retry_handlers() -> list[AsyncRetryHandler]:
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=1)]


def authorization_url(api_url: str) -> str:
    """Slack's authorize page on the same host as the Web API (slack.com, slack-gov.com…)."""
    base = api_url.rstrip("/")
    base = base.removesuffix("/api")
    return f"{base}/oauth/v2/authorize"


@dataclass
class BoltApp:
    """The app and, in OAuth mode, its flow and database-backed stores."""

    app: AsyncApp
    oauth_flow: AsyncOAuthFlow | None = None
    store: ThreadedInstallationStore | None = None
    states: ThreadedStateStore | None = None


def build_bolt_app(
    *,
    api_url: str,
    http_timeout: float,
    bot_token: str | None,
    signing_secret: str | None,
    oauth: tuple[str, str] | None,
    database: str,
    token_key: str | None = None,
) -> BoltApp:
    """`oauth`: (client id, client secret) for the multi-workspace install flow, else None;
    `token_key`: K8STIP_TOKEN_KEY, which encrypts the installations' tokens at rest."""
    client = AsyncWebClient(
        token=None,  # per request, from `authorize` (one workspace) or the installations
        base_url=api_url,
        timeout=http_timeout,  # type: ignore[arg-type]  # annotated int, used as aiohttp seconds
        retry_handlers=interactive_retry_handlers(),
    )
    kwargs: dict[str, Any] = {}
    flow: AsyncOAuthFlow | None = None
    store: ThreadedInstallationStore | None = None
    states: ThreadedStateStore | None = None
    if oauth:
        client_id, client_secret = oauth
        # Imported here: it pulls in SQLAlchemy's asyncio layer, single-workspace needs none.
        from bot.adapters.slack.installations import build_stores

        store, states = build_stores(database, client_id, token_key)
        settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(BOT_SCOPES),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=authorization_url(api_url),
            installation_store=store,
            state_store=states,
            logger=log,
        )
        flow = AsyncOAuthFlow(client=client, settings=settings, logger=log)
        kwargs.update(installation_store=store, oauth_flow=flow)
    else:
        assert bot_token is not None  # the adapter checked the secrets
        single = SingleWorkspaceAuthorize(client, bot_token)

        async def authorize() -> AuthorizeResult:
            # A plain function: bolt fills in parameters by name, and would take `self` for one.
            return await single.authorize()

        kwargs.update(authorize=authorize)
    with _bolt_env_hidden():
        app = AsyncApp(
            name="k8stip",
            logger=log,
            client=client,
            signing_secret=signing_secret or "",
            # Signatures are checked by the HTTP server (before any authorize/token lookups)
            # with an injectable clock; Socket Mode needs no signature.
            request_verification_enabled=False,
            # Ack as soon as a listener returns; listeners hand slow work to tasks.
            process_before_response=True,
            **kwargs,
        )
    return BoltApp(app, flow, store, states)
