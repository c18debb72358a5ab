"""Bolt requests -> `Invocation`s for the router, and its `Reply` back as an ack or a response.

Slack wants an answer within 3 seconds: a command waits up to `ack_budget` for the router,
puts the answer in the acknowledgement when it is ready, and otherwise acknowledges at once
and answers through the command's `response_url`. A button press is acked at once and answered
through its `response_url`; a vote or a quiz answer only ever privately, and when the answer
carries a `source_update` the message the button was on is edited for everyone
(`source_edits.py`). An answer for a daily post's thread (`Visibility.THREAD`) is posted there
(`threads.py`). Also the two events that remove a workspace (`app_uninstalled`,
`tokens_revoked`).

Payloads reach these handlers only after bolt (Socket Mode) or `http_guard`/bolt (HTTP mode)
checked where they came from; their fields are still read defensively.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack import messages
from bot.adapters.slack.errors import api_error_code
from bot.adapters.slack.forms import FORM_CALLBACK_ID
from bot.adapters.slack.modals import Modals
from bot.adapters.slack.render import PRIVATE_KINDS, action_kind, render
from bot.adapters.slack.source_edits import SourceEditor, SourceMessage, source_message
from bot.adapters.slack.threads import post_in_thread
from bot.core.invocation import Handler, Invocation
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.ports import PlatformEvents

if TYPE_CHECKING:
    from bot.adapters.slack.installations import ThreadedInstallationStore

T = TypeVar("T")

log = logging.getLogger("k8stip.slack")

ADMIN_CACHE_SECONDS = 300.0
_ACTION_RE = re.compile(r"^k8stip:")


class AdminCheck:
    """Who is an admin: `slack.admins`, else users.info, cached; one lookup in flight per
    (team, user), as a member's vote and quiz presses arrive together."""

    def __init__(
        self,
        admins: list[str],
        monotonic: Callable[[], float],
        track: Callable[[Coroutine[Any, Any, bool]], asyncio.Task[bool]],
    ) -> None:
        self._admins = admins
        self._monotonic = monotonic
        self._track = track
        self._admin_cache: dict[tuple[str, str], tuple[bool, float]] = {}
        self._admin_lookups: dict[tuple[str, str], asyncio.Task[bool]] = {}

    def listed(self, user: str) -> bool:
        """Named in `slack.admins` (the only admins in a direct message)."""
        return user in self._admins

    async def is_admin(self, client: AsyncWebClient, team: str, user: str) -> bool:
        """Workspace admins and owners, plus the user ids in `slack.admins`."""
        if user in self._admins:
            return True
        key = (team, user)
        cached = self._admin_cache.get(key)
        if cached is not None and cached[1] > self._monotonic():
            return cached[0]
        lookup = self._admin_lookups.get(key)
        if lookup is None:
            lookup = self._track(self._look_up_admin(client, key))
            self._admin_lookups[key] = lookup
            lookup.add_done_callback(lambda _: self._admin_lookups.pop(key, None))
        # Shielded: one press giving up must not cancel the lookup the others wait on.
        return await asyncio.shield(lookup)

    async def _look_up_admin(self, client: AsyncWebClient, key: tuple[str, str]) -> bool:
        """One users.info; the answer is cached, a failure means non-admin (and is not cached)."""
        user = key[1]
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
        now = self._monotonic()
        if len(self._admin_cache) > 10_000:
            self._admin_cache = {k: v for k, v in self._admin_cache.items() if v[1] > now}
        self._admin_cache[key] = (is_admin, now + ADMIN_CACHE_SECONDS)
        return is_admin


class SessionRespond:
    """bolt's `respond` over a shared aiohttp session (bolt's opens a new one per answer)."""

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        self.response_url = response_url
        self._client = AsyncWebhookClient(url=response_url, session=session)

    async def __call__(self, **message: Any) -> WebhookResponse:
        return await self._client.send_dict({k: v for k, v in message.items() if v is not None})


class Listeners:
    """The handlers k8stip hangs on the bolt app; see the module docstring."""

    def __init__(
        self,
        handle: Handler,
        events: PlatformEvents,
        *,
        admins: list[str],
        store: ThreadedInstallationStore | None,
        ack_budget: float,
        monotonic: Callable[[], float],
    ) -> None:
        self._handle = handle
        self._events = events
        self._admins = admins
        self._store = store
        self._ack_budget = ack_budget
        self._monotonic = monotonic
        self._admins_check = AdminCheck(admins, monotonic, self._track)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._editor = SourceEditor()
        self._modals = Modals(self._answer, self._track, ack_budget)

    def use_session(self, session: aiohttp.ClientSession | None) -> None:
        """Send response_url answers over `session` (the adapter's, while it runs); with None,
        over bolt's `respond`, which opens a session (a new connection) per answer."""
        self._session = session

    def _responder(self, respond: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        url = getattr(respond, "response_url", None)
        session = self._session
        if session is None or session.closed or not isinstance(url, str) or not url:
            return respond
        return SessionRespond(url, session)

    def attach(self, app: AsyncApp, command: str) -> None:
        app.command(command)(self._on_command)
        app.action(_ACTION_RE)(self._on_action)
        app.view(FORM_CALLBACK_ID)(self._modals.on_submission)
        app.event("app_uninstalled")(self._on_app_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)

    async def drain(self, within: float = 3.0) -> None:
        """Let answers in progress finish (for up to `within` seconds), then cancel the rest."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=within)
            for task in pending:
                task.cancel()

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
        self._track(self._respond_when_ready(self._responder(respond), task, share=False))

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
                message_ref=source.ts if (source := source_message(body)) else "",
            )
        )
        kind = action_kind(str(action.get("action_id")))
        self._track(
            self._respond_when_ready(
                self._responder(respond),
                answer,
                share=kind == "share",
                private=kind in PRIVATE_KINDS,
                edit=(client, source_message(body)),
                form=(str(body.get("trigger_id") or ""), str(channel)),
            )
        )

    def _track(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` in the background; `drain()` lets it finish (for up to a few seconds).

        Listeners return as soon as they have acked (bolt runs with process_before_response,
        so the ack goes out the moment the listener returns instead of on bolt's 10 ms poll).
        """
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _respond_when_ready(
        self,
        respond: Callable[..., Awaitable[Any]],
        answer: asyncio.Task[Reply],
        *,
        share: bool,
        private: bool = False,
        edit: tuple[AsyncWebClient, SourceMessage | None] | None = None,
        form: tuple[str, str] | None = None,  # a press's (trigger_id, channel)
    ) -> None:
        reply = await answer
        if reply.form is not None and form is not None and edit is not None:
            # The answer is a form to fill in: open it, send nothing else.
            await self._modals.open(edit[0], form[0], reply, form[1], respond)
            return
        if reply.source_update is not None and edit is not None and edit[1] is not None:
            # Its own task: the presser's answer doesn't wait for (or fail with) the edit.
            update = render(reply.source_update, ephemeral=edit[1].ephemeral)
            self._track(self._editor.edit(edit[0], respond, edit[1], update))
        if reply.visibility is Visibility.THREAD:
            # In the daily post's thread (threads on); privately when that can't be done.
            client, source = edit if edit is not None else (None, None)
            postable = client is not None and source is not None and not source.ephemeral
            if postable and not private:
                assert client is not None and source is not None  # for mypy: `postable` says so
                if await post_in_thread(client, source, render(reply, ephemeral=False)):
                    return
            reply = replace(reply, visibility=Visibility.EPHEMERAL)
        try:
            payload = self._payload(reply, share=share, private=private)
            await respond(**payload, replace_original=False)
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
        message_ref: str = "",
        fields: tuple[tuple[str, str], ...] = (),
    ) -> Reply:
        try:
            # In a direct message (an IM channel, "D…") nobody is an admin but the members
            # `slack.admins` names: a DM has no channel to administer.
            direct = channel.startswith("D")
            invocation = Invocation(
                platform="slack",
                workspace=team,
                channel=channel,
                user=user,
                text=text,
                is_admin=(
                    self._admins_check.listed(user)
                    if direct
                    else await self._admins_check.is_admin(client, team, user)
                ),
                user_name=user_name,
                message_ref=message_ref,
                fields=fields,
                direct=direct,
            )
            return await self._handle(invocation)
        except Exception:
            log.exception("Slack: the router failed on a command in %s/%s", team, channel)
            return Reply(kind=ReplyKind.ERROR, text=messages.HANDLER_FAILED)

    def _payload(
        self, reply: Reply, *, share: bool = False, private: bool = False
    ) -> dict[str, Any]:
        in_channel = share or reply.visibility is Visibility.CHANNEL
        if reply.kind is ReplyKind.ERROR or private:
            # Mistakes are told to the person who made them; votes and quiz answers are
            # acknowledged to the presser alone, never in the channel.
            in_channel = False
        rendered = render(reply, ephemeral=not in_channel, offer_share=not private)
        return {**rendered, "response_type": "in_channel" if in_channel else "ephemeral"}

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
