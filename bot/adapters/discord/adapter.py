"""The Discord adapter: app commands over the gateway, daily posts over REST.

`create_adapter(config, secrets, handle, events)` builds it; `start()` connects the gateway
(an `AutoShardedClient`, so the gateway address always comes from `GET /gateway/bot` on the
configured `discord.api_url`), registers the commands when they changed, and answers
interactions. `post()` needs no gateway: any replica, or `k8stip deliver`, can post.

Absolute imports make `import discord` below resolve to discord.py, not to this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route, handle_message_parameters

from bot.adapters.discord.commands import (
    DEFER_AFTER_SECONDS,
    Answerer,
    Suggest,
    build_commands,
    commands_differ,
    topic_suggester,
)
from bot.adapters.discord.direct import DirectChannels, direct_error
from bot.adapters.discord.render import FOOTER_MAX, NO_MENTIONS, embed_size, render
from bot.config import Config, ConfigError, Secrets
from bot.core.invocation import Handler
from bot.core.loader import load_corpus
from bot.core.replies import Reply
from bot.ports import (
    Adapter,
    AmbiguousError,
    AuthError,
    PermanentError,
    PlatformEvents,
    RateLimited,
    Target,
    TransientError,
)

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_MAX = 25  # Discord's limit for a message nonce
# discord.py waits out a 429 itself when Discord asks for at most this long; longer waits
# become `RateLimited` so the delivery loop can schedule the retry instead of blocking.
MAX_RATELIMIT_WAIT_SECONDS = 10.0
# A whole post, including discord.py's own waits (429 up to 10 s, 5xx retries ~16 s).
POST_TIMEOUT_SECONDS = 60.0
# find_posted reads at most this many pages of the channel's newest messages (100 a page,
# Discord's maximum).
HISTORY_PAGES = 2
HISTORY_PAGE_SIZE = 100
EMBEDS_TOTAL_MAX = 6000  # characters across a message's embeds
UNAUTHORIZED = "unauthorized: Discord rejected DISCORD_TOKEN; set a valid token"

# Discord JSON error codes that no retry can fix: pause the subscription and say why.
PERMANENT_CODES = {
    10003: "unknown_channel: the channel was deleted or the bot cannot see it",
    50001: "missing_access: the bot cannot see this channel; give it View Channel there",
    50013: "missing_permissions: give the bot Send Messages and Embed Links in this channel",
    10004: "unknown_guild: the bot is no longer in this server; re-invite it",
    50007: "cannot_send: Discord refuses messages to this recipient",
}
REMOVED_FROM_GUILD = (
    "removed_from_guild: the bot was removed from this server; add it again with the link "
    "from `k8stip discord invite-url`"
)
_ORDINAL_RE = re.compile(r"-(\d+)$")


def delivery_nonce(delivery_id: str) -> str:
    """A nonce of at most 25 characters, the same for every attempt of one delivery.

    With `enforce_nonce`, Discord returns the first message instead of posting a second one
    when the same nonce comes again within a few minutes, so a retry cannot double-post.
    """
    digest = hashlib.blake2b(delivery_id.encode("utf-8"), digest_size=16).hexdigest()
    return ("kt" + digest)[:NONCE_MAX]


def footer_marker(delivery_id: str) -> str:
    """What a daily post's last embed footer ends with, so `find_posted` can recognise the
    post in channel history: Discord echoes the nonce when a message is created, but messages
    read back later do not carry it."""
    return f" · {delivery_id}"


def mark_delivery(embeds: list[discord.Embed], delivery_id: str) -> None:
    """Append `footer_marker` to the last embed's footer (the source line stays whole up to
    Discord's limits); nothing when the embeds are already at Discord's total size."""
    marker = footer_marker(delivery_id)
    if not embeds or sum(map(embed_size, embeds)) + len(marker) > EMBEDS_TOTAL_MAX:
        return
    last = embeds[-1]
    text = last.footer.text or ""
    last.set_footer(text=text[: FOOTER_MAX - len(marker)] + marker, icon_url=last.footer.icon_url)


def _carries(message: Mapping[str, Any], nonce: str, marker: str) -> bool:
    """Whether a message from channel history is the daily post with that nonce / marker."""
    if str(message.get("nonce") or "") == nonce:
        return True
    embeds = message.get("embeds") or []
    footer = (embeds[-1].get("footer") or {}) if embeds else {}
    return str(footer.get("text") or "").endswith(marker)


@dataclass(frozen=True)
class Sharding:
    shard_count: int | None
    shard_ids: list[int] | None


def resolve_sharding(
    shard_count: int | None, shard_ids: Iterable[int] | None, hostname: str | None = None
) -> Sharding:
    """Which shards this process runs, from `config.discord` (where `K8STIP_SHARD_ID` and
    `K8STIP_SHARD_COUNT` were already applied when the config loaded; see
    `bot.config.apply_env_overrides`).

    `discord.shard_ids` as given; else, when `discord.shard_count` is set, the ordinal at the
    end of a StatefulSet pod's hostname (`k8stip-2` runs shard 2). With neither count nor
    ids, discord.py asks Discord for the recommended count and runs all.
    """
    ids = list(shard_ids) if shard_ids is not None else None
    if ids is None and shard_count is not None:
        m = _ORDINAL_RE.search(hostname if hostname is not None else socket.gethostname())
        if m:
            ids = [int(m.group(1))]
    if ids is not None:
        if shard_count is None:
            raise ConfigError(
                ["discord.shard_ids needs discord.shard_count (the total across all processes)"]
            )
        bad = [i for i in ids if not 0 <= i < shard_count]
        if bad:
            raise ConfigError(
                [
                    f"shard ids {bad} are outside 0..{shard_count - 1}; raise "
                    "discord.shard_count or run fewer replicas"
                ]
            )
    return Sharding(shard_count, ids)


def _error_code(exc: discord.HTTPException) -> int:
    return int(exc.code or 0)


def translate_http_error(exc: discord.HTTPException) -> Exception:
    """A discord.py HTTP error as one of the adapter's `PostError`s."""
    code = _error_code(exc)
    if code in PERMANENT_CODES:
        return PermanentError(PERMANENT_CODES[code])
    if exc.status >= 500:
        return TransientError(f"discord_{exc.status}: Discord had a server error; retrying")
    if exc.status == 429:
        return RateLimited(MAX_RATELIMIT_WAIT_SECONDS, "rate_limited")
    if exc.status == 401:  # the token, for every channel alike: an outage, not a channel fault
        return AuthError(UNAUTHORIZED)
    if exc.status in (403, 404):
        return PermanentError(f"forbidden_{exc.status}_{code}: {exc.text[:200]}")
    return PermanentError(f"rejected_{exc.status}_{code}: {exc.text[:200]}")


class K8stipClient(discord.AutoShardedClient):
    """The gateway connection: app commands, button presses, the bot leaving a server."""

    def __init__(self, adapter: DiscordAdapter, sharding: Sharding, **options: Any) -> None:
        # k8stip never joins voice: don't warn at every start that voice libraries are missing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        if sharding.shard_ids is not None:
            options["shard_ids"] = sharding.shard_ids
        super().__init__(
            intents=discord.Intents(guilds=True),  # GUILD_CREATE/DELETE; commands need none
            shard_count=sharding.shard_count,
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT_SECONDS,
            **options,
        )
        self.adapter = adapter
        self.tree: app_commands.CommandTree[K8stipClient] = app_commands.CommandTree(self)
        for group in build_commands(adapter.answerer):
            self.tree.add_command(group)
        self.synced: list[str] = []
        self.all_shards_ready = asyncio.Event()

    async def setup_hook(self) -> None:
        # AutoShardedClient only asks GET /gateway/bot when no shard count is given, and
        # discord.py falls back to DEFAULT_GATEWAY after an invalidated session. Point both
        # at the address this REST base hands out, so nothing dials gateway.discord.gg when
        # `discord.api_url` is a proxy or a test fake.
        _, url, _ = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        self.synced = await sync_commands(self, self.adapter.dev_guild_ids)

    async def on_ready(self) -> None:
        self.all_shards_ready.set()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        await self.adapter.answerer.on_component(interaction)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.adapter.events.workspace_removed(PLATFORM, str(guild.id), REMOVED_FROM_GUILD)


async def sync_commands(client: K8stipClient, dev_guild_ids: Iterable[int]) -> list[str]:
    """Register the commands where they differ from Discord's copy; return the scopes synced.

    Global by default (Discord shows changes to global commands within about an hour);
    with `discord.dev_guild_ids`, only in those guilds, where changes show at once and the
    commands do not appear twice. Comparing first keeps restarts from spending Discord's
    daily command-creation budget.
    """
    app_id = client.application_id
    if app_id is None:  # login() fills it from /oauth2/applications/@me
        raise RuntimeError("discord.py did not learn the application id at login")
    scopes: list[discord.Object | None] = [discord.Object(g) for g in dev_guild_ids] or [None]
    synced = []
    for guild in scopes:
        name = "global" if guild is None else f"guild {guild.id}"
        try:
            if await _sync_scope(client, app_id, guild):
                synced.append(name)
                log.info("discord commands registered (%s)", name)
            else:
                log.info("discord commands unchanged (%s); not re-registering", name)
        except discord.HTTPException as e:
            # Commands registered earlier keep working; don't take the bot down for this.
            log.error(
                "could not register discord commands (%s): %s %s; if this is a dev guild, "
                "invite the bot there with the applications.commands scope "
                "(k8stip discord invite-url)",
                name,
                e.status,
                e.text[:200],
            )
    return synced


async def _sync_scope(client: K8stipClient, app_id: int, guild: discord.Object | None) -> bool:
    tree = client.tree
    if guild is not None:
        tree.copy_global_to(guild=guild)
    ours = [c.to_dict(tree) for c in tree.get_commands(guild=guild)]
    if guild is None:
        theirs = await client.http.get_global_commands(app_id)
    else:
        theirs = await client.http.get_guild_commands(app_id, guild.id)
    # discord.py types Discord's answer as TypedDicts; the comparison reads them as dicts.
    if not commands_differ(ours, [dict(c) for c in theirs], global_scope=guild is None):
        return False
    await tree.sync(guild=guild)
    return True


class DiscordAdapter:
    """See the module docstring. One per process; Route.BASE is process-wide in discord.py."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        handle: Handler,
        events: PlatformEvents,
        sharding: Sharding,
        admins: Iterable[str] = (),
        dev_guild_ids: Iterable[int] = (),
        suggest: Suggest | None = None,
        defer_after: float = DEFER_AFTER_SECONDS,
        post_timeout: float = POST_TIMEOUT_SECONDS,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._token = token
        self.post_timeout = post_timeout
        self.api_url = api_url.rstrip("/")
        self.events = events
        self.sharding = sharding
        self.dev_guild_ids = list(dev_guild_ids)
        self.answerer = Answerer(handle, suggest=suggest, admins=admins, defer_after=defer_after)
        self._client_options = dict(client_options or {})
        self.client: K8stipClient | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._rest: HTTPClient | None = None
        self._rest_lock = asyncio.Lock()
        self._direct = DirectChannels()

    def __repr__(self) -> str:  # never show the token
        return f"DiscordAdapter(api_url={self.api_url!r}, sharding={self.sharding})"

    def _point_at_api(self) -> None:
        # discord.py keeps the REST base in a class attribute; interaction callbacks and
        # webhooks use the same Route class.
        Route.BASE = self.api_url

    async def start(self) -> None:
        """Log in, register commands if needed, connect every local shard; return once READY."""
        self._point_at_api()
        client = K8stipClient(self, self.sharding, **self._client_options)
        self.client = client
        self._run_task = asyncio.create_task(client.start(self._token, reconnect=True))
        waiter = asyncio.create_task(client.all_shards_ready.wait())
        done, _ = await asyncio.wait({self._run_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._run_task in done:
            waiter.cancel()
            exc = self._run_task.exception()
            await self.stop()
            if isinstance(exc, discord.LoginFailure):
                raise ConfigError(["DISCORD_TOKEN was rejected by Discord; set a valid bot token"])
            raise RuntimeError(f"the Discord gateway stopped during start-up: {exc!r}") from exc

    async def stop(self) -> None:
        client, task = self.client, self._run_task
        self.client, self._run_task = None, None
        if client is not None:
            await client.close()
        if task is not None:
            # close() has shut the shards and the HTTP session; what may still run is a
            # re-IDENTIFY waiting out discord.py's 5-second identify pacing. Don't wait for it.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._rest is not None:
            await self._rest.close()
            self._rest = None

    async def _http(self) -> HTTPClient:
        """The gateway client's HTTP session when connected, else a REST-only one."""
        if self.client is not None and self.client.is_ready():
            return self.client.http
        async with self._rest_lock:
            if self._rest is None:
                self._point_at_api()
                rest = HTTPClient(
                    asyncio.get_running_loop(), max_ratelimit_timeout=MAX_RATELIMIT_WAIT_SECONDS
                )
                try:
                    await rest.static_login(self._token)
                except discord.LoginFailure:
                    await rest.close()
                    raise AuthError(UNAUTHORIZED) from None
                except BaseException:
                    await rest.close()
                    raise
                self._rest = rest
            return self._rest

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        """POST /channels/{id}/messages with a nonce from `delivery_id` and `enforce_nonce`;
        a "dm:<member>" target goes to the member's DM channel (`direct.py`)."""
        if not target.is_direct and not target.channel.isdigit():
            raise PermanentError(f"bad_channel: {target.channel!r} is not a Discord channel id")
        message = render(reply)
        mark_delivery(message.embeds, delivery_id)
        params = handle_message_parameters(
            content=message.content,
            embeds=message.embeds,
            view=message.view if message.view is not None else discord.utils.MISSING,
            allowed_mentions=message.allowed_mentions,  # none, or the subscription's mention
            nonce=delivery_nonce(delivery_id),
        )
        try:
            async with asyncio.timeout(self.post_timeout):
                http = await self._http()
                channel = await self._channel_id(http, target)
                data = await http.send_message(channel, params=params)
        except discord.RateLimited as e:
            raise RateLimited(e.retry_after) from None
        except discord.HTTPException as e:
            raise self._post_error(e, target) from None
        except aiohttp.ClientConnectorError as e:
            raise TransientError(f"connect_failed: cannot reach {self.api_url} ({e})") from None
        except (TimeoutError, aiohttp.ClientError) as e:
            # The request may have landed. Re-sending is still safe for a few minutes
            # because Discord de-duplicates the nonce.
            raise AmbiguousError(f"ambiguous: {type(e).__name__}") from None
        return str(data["id"])

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        """The id of a message in the channel's newest messages that carries `delivery_id`
        (its nonce, when Discord echoes it, or the footer marker), else None.

        Within a few minutes the nonce alone prevents a second post (`enforce_nonce`); this
        covers the rest: a catch-up post after the database was restored or wiped. It needs
        Read Message History; without it Discord refuses and delivery posts anyway.
        """
        if not target.is_direct and not target.channel.isdigit():
            return None
        nonce, marker = delivery_nonce(delivery_id), footer_marker(delivery_id)
        before: str | None = None
        try:
            async with asyncio.timeout(self.post_timeout):
                http = await self._http()
                channel = await self._channel_id(http, target)
                for _ in range(HISTORY_PAGES):
                    page = await http.logs_from(channel, HISTORY_PAGE_SIZE, before=before)
                    for message in page:
                        if _carries(message, nonce, marker):
                            return str(message["id"])
                    if len(page) < HISTORY_PAGE_SIZE:
                        break
                    before = str(page[-1]["id"])
        except discord.RateLimited as e:
            raise RateLimited(e.retry_after) from None
        except discord.HTTPException as e:
            raise self._post_error(e, target) from None
        except (TimeoutError, aiohttp.ClientError) as e:
            raise TransientError(f"history_unreadable: {type(e).__name__}") from None
        return None

    async def _channel_id(self, http: HTTPClient, target: Target) -> int:
        if target.is_direct:
            return await self._direct.channel_id(http, target)
        return int(target.channel)

    def _post_error(self, e: discord.HTTPException, target: Target) -> Exception:
        """A failed call, as a PostError; for a direct message worded for the member."""
        if target.is_direct:
            permanent = direct_error(e, target.direct_to)
            if permanent is not None:
                self._direct.forget(target.direct_to)
                return permanent
        return translate_http_error(e)


if TYPE_CHECKING:  # mypy proves DiscordAdapter follows the Adapter protocol
    _follows_protocol: type[Adapter] = DiscordAdapter


def create_adapter(
    config: Config,
    secrets: Secrets,
    handle: Handler,
    events: PlatformEvents,
    *,
    suggest: Suggest | None = None,
    hostname: str | None = None,
    defer_after: float = DEFER_AFTER_SECONDS,
    client_options: Mapping[str, Any] | None = None,
) -> DiscordAdapter:
    """The adapter for `config.discord`.

    `suggest` feeds topic autocomplete; app.py passes one over its loaded corpus (see
    `FACTORY` in factory.py). Without it, the topics are loaded from `config.corpus`.
    `hostname` (default: this machine's) gives the shard when only `discord.shard_count` is
    set (see `resolve_sharding`).
    """
    token = secrets.get("DISCORD_TOKEN")
    if not token:
        raise ConfigError(
            ["DISCORD_TOKEN is not set; set it (or DISCORD_TOKEN_FILE) to the bot token"]
        )
    if suggest is None:
        suggest = topic_suggester(load_corpus(config.corpus_paths).topics.values())
    dc = config.discord
    return DiscordAdapter(
        token=token,
        api_url=dc.api_url,
        handle=handle,
        events=events,
        sharding=resolve_sharding(dc.shard_count, dc.shard_ids, hostname),
        admins=dc.admins,
        dev_guild_ids=dc.dev_guild_ids,
        suggest=suggest,
        defer_after=defer_after,
        client_options=client_options,
    )
