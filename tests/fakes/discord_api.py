"""A fake of Discord's REST API and gateway, served by aiohttp on 127.0.0.1.

Real discord.py clients are pointed at it (`discord.api_url: http://127.0.0.1:PORT/api/v10`).
It plays enough of the protocol for k8stip: login, `GET /gateway/bot`, the gateway handshake
(HELLO, IDENTIFY -> READY, GUILD_CREATE, heartbeats), application command registration,
interaction callbacks and webhook follow-ups, channel messages with nonce enforcement, and
reading a channel's messages back (newest first; like Discord, without their nonce).
Tests dispatch INTERACTION_CREATE and GUILD_DELETE, inject 429s and 5xx, and read what the
bot sent from the recorded requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
EPOCH_MS = 1_700_000_000_000 - 1_420_070_400_000  # a fixed instant, as Discord's epoch offset
TIMESTAMP = "2026-11-26T09:00:00.000000+00:00"
EPHEMERAL = 64

ADMIN_PERMISSIONS = (1 << 5) | (1 << 10) | (1 << 11)  # Manage Server, View, Send
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # View, Send, Use Application Commands


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Discord sends exactly `application/json` (no charset) and discord.py compares the
    # header literally: anything else is read as text.
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int = 200


@dataclass
class Injected:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class GatewayConnection:
    ws: web.WebSocketResponse
    url: str
    shard: tuple[int, int] = (0, 1)
    identified: bool = False
    sequence: int = 0
    heartbeats: int = 0
    session_id: str = ""


@dataclass
class FakeGuild:
    id: int
    name: str
    channels: list[int] = field(default_factory=list)


class FakeDiscord:
    """One fake Discord. `await start()` returns the API base URL for `discord.api_url`."""

    def __init__(
        self,
        *,
        token: str = "fake-token",
        application_id: int = 1_300_000_000_000_000_001,
        guilds: list[FakeGuild] | None = None,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = application_id
        self.guilds = guilds or [
            FakeGuild(1_300_000_000_000_000_100, "K8s learners", [1_300_000_000_000_000_200])
        ]
        self.requests: list[Recorded] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_overwrites: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.callbacks: list[dict[str, Any]] = []  # {"interaction_id", "type", "data"}
        self.webhook_messages: list[dict[str, Any]] = []  # follow-ups and @original edits
        self.channel_messages: list[dict[str, Any]] = []  # POST /channels/{id}/messages bodies
        # Threads started on a message: thread id (= the message's id) -> parent channel id.
        self.threads: dict[int, int] = {}
        self.connections: list[GatewayConnection] = []
        self.identifies: list[dict[str, Any]] = []
        self._injected: list[Injected] = []
        self._nonces: dict[tuple[int, str], dict[str, Any]] = {}
        self._history: dict[int, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.dm_channels: dict[int, int] = {}  # member id -> the bot's DM channel with them
        self.dm_refused: set[int] = set()  # members who don't accept DMs (error 50007)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base = ""

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume", self._gateway)  # READY's resume_gateway_url
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        # typed AbstractServer, which has no .sockets
        assert isinstance(server, asyncio.Server) and server.sockets
        port = server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        return self.api_url

    @property
    def api_url(self) -> str:
        return self.base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/resume"

    async def close(self) -> None:
        self._closing.set()
        for conn in list(self.connections):
            if not conn.ws.closed:
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- helpers for tests --------------------------------------------------------------

    def snowflake(self) -> int:
        return ((EPOCH_MS + next(self._ids)) << 22) + 1

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        code: int = 0,
        message: str = "",
    ) -> None:
        """The next `times` requests matching method and path get `status` instead
        (status 0: no answer at all, as when a connection dies after the request was sent).

        429s carry what discord.py needs to wait and retry rather than raise: a `Via`
        header (without it discord.py assumes a Cloudflare ban), X-RateLimit-* headers
        and a JSON body with `retry_after` and `global`.
        """
        headers: dict[str, str] = {}
        body: dict[str, Any]
        if status == 429:
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry_after),
                "X-RateLimit-Bucket": "fakebucket",
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
            if is_global:
                headers["X-RateLimit-Global"] = "true"
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
                "code": 0,
            }
        else:
            body = {"message": message or f"{status}: fake error", "code": code}
        if status == 0:  # hang: the request was received, the answer never comes
            body = {}
        self._injected.append(
            Injected(method.upper(), re.compile(path_regex), status, body, headers, times)
        )

    def forget_nonces(self) -> None:
        """Time passes: Discord enforces a nonce only for a few minutes after its message."""
        self._nonces.clear()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every request the fake sees)."""

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(check(), seconds)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        pat = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pat.fullmatch(r.path)]

    def callbacks_for(self, interaction_id: int) -> list[dict[str, Any]]:
        return [c for c in self.callbacks if c["interaction_id"] == interaction_id]

    # --- interactions ---------------------------------------------------------------------

    def member(self, user_id: int, *, admin: bool = False, name: str = "alice") -> dict[str, Any]:
        perms = ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS
        return {
            "user": {
                "id": str(user_id),
                "username": name,
                "discriminator": "0",
                "global_name": name.title(),
                "avatar": None,
            },
            "roles": [],
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "permissions": str(perms),
        }

    def _interaction(
        self,
        itype: int,
        data: dict[str, Any],
        *,
        guild: FakeGuild | None,
        channel_id: int | None,
        user_id: int,
        admin: bool,
        message: dict[str, Any] | None = None,
        direct: bool = False,
    ) -> dict[str, Any]:
        iid = self.snowflake()
        if direct:
            return self._dm_interaction(iid, itype, data, user_id, message)
        guild = guild or self.guilds[0]
        channel_id = channel_id or guild.channels[0]
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": self._channel(guild.id, channel_id),
            "member": self.member(user_id, admin=admin),
            "token": f"itoken-{iid}",
            "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS | (1 << 14)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 8_388_608,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def _dm_interaction(
        self,
        iid: int,
        itype: int,
        data: dict[str, Any],
        user_id: int,
        message: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """An interaction in the member's DM with the bot: no guild, a `user` instead of a
        `member`, context 1 (BOT_DM)."""
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 1, "last_message_id": None, "flags": 0},
            "user": self.member(user_id)["user"],
            "token": f"itoken-{iid}",
            "version": 1,
            "app_permissions": str(MEMBER_PERMISSIONS | (1 << 14)),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(user_id)},
            "context": 1,
            "attachment_size_limit": 8_388_608,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def dm_slash(
        self,
        path: list[str],
        options: dict[str, str] | None = None,
        *,
        user_id: int = 1_300_000_000_000_000_500,
    ) -> dict[str, Any]:
        """An application command typed in the member's DM with the bot."""
        registered = self.commands.get(None) or []
        cmd_id = next((c["id"] for c in registered if c["name"] == path[0]), str(self.snowflake()))
        leaf = [{"type": 3, "name": n, "value": v} for n, v in (options or {}).items()]
        opts: list[dict[str, Any]] = [{"type": 1, "name": path[1], "options": leaf}]
        data = {"id": cmd_id, "name": path[0], "type": 1, "options": opts}
        return self._interaction(
            2, data, guild=None, channel_id=None, user_id=user_id, admin=False, direct=True
        )

    def modal_submit(
        self,
        custom_id: str,
        values: dict[str, str],
        *,
        user_id: int = 1_300_000_000_000_000_500,
        direct: bool = False,
        labels: bool = False,
        admin: bool = False,
    ) -> dict[str, Any]:
        """A modal submit (type 5): `values` keyed by each text input's custom id, in action
        rows (type 1) or, as newer clients send them, in labels (type 18); `admin`: sent by a
        member with Manage Server."""
        rows: list[dict[str, Any]] = []
        for input_id, value in values.items():
            text_input = {"type": 4, "custom_id": input_id, "value": value}
            if labels:
                rows.append({"type": 18, "id": len(rows) + 1, "component": text_input})
            else:
                rows.append({"type": 1, "components": [text_input]})
        return self._interaction(
            5,
            {"custom_id": custom_id, "components": rows},
            guild=None,
            channel_id=None,
            user_id=user_id,
            admin=admin,
            direct=direct,
        )

    def slash(
        self,
        path: list[str],
        options: dict[str, str] | None = None,
        *,
        roles: dict[str, int] | None = None,
        focused: str | None = None,
        admin: bool = False,
        user_id: int = 1_300_000_000_000_000_500,
        guild: FakeGuild | None = None,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """An application command (or, with `focused`, autocomplete) interaction payload.

        `path` is ["k8stip", "tip"]; string options, and `roles` (option name -> role id) as
        role options with the role in `resolved`, as Discord sends them.
        """
        scope_guild = guild or self.guilds[0]
        top = path[0]
        registered = self.commands.get(scope_guild.id) or self.commands.get(None) or []
        cmd_id = next((c["id"] for c in registered if c["name"] == top), str(self.snowflake()))
        leaf: list[dict[str, Any]] = []
        for name, value in (options or {}).items():
            opt: dict[str, Any] = {"type": 3, "name": name, "value": value}
            if name == focused:
                opt["focused"] = True
            leaf.append(opt)
        resolved_roles: dict[str, Any] = {}
        for name, role_id in (roles or {}).items():
            leaf.append({"type": 8, "name": name, "value": str(role_id)})
            resolved_roles[str(role_id)] = self.role(role_id)
        opts: list[dict[str, Any]] = leaf
        if len(path) > 1:
            opts = [{"type": 1, "name": path[1], "options": leaf}]
        data: dict[str, Any] = {"id": cmd_id, "name": top, "type": 1, "options": opts}
        if resolved_roles:
            data["resolved"] = {"roles": resolved_roles}
        if scope_guild.id in self.commands:
            data["guild_id"] = str(scope_guild.id)
        return self._interaction(
            4 if focused else 2,
            data,
            guild=guild,
            channel_id=channel_id,
            user_id=user_id,
            admin=admin,
        )

    def role(self, role_id: int, name: str = "k8s-learners") -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "hoist": False,
            "position": 1,
            "permissions": "0",
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }

    def button(
        self,
        custom_id: str,
        *,
        message: dict[str, Any] | None = None,
        admin: bool = False,
        user_id: int = 1_300_000_000_000_000_500,
        guild: FakeGuild | None = None,
        direct: bool = False,
    ) -> dict[str, Any]:
        """A button-press interaction on `message` (default: a made-up old bot message);
        `direct`: on a message in the member's DM with the bot."""
        g = guild or self.guilds[0]
        where = self.dm_channels.setdefault(user_id, self.snowflake()) if direct else g.channels[0]
        msg = message or self._message(where, {"content": "old tip", "components": []})
        return self._interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            guild=guild,
            channel_id=int(msg["channel_id"]),
            user_id=user_id,
            admin=admin,
            message=msg,
            direct=direct,
        )

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a DISPATCH to the gateway connection whose shard owns `guild_id`."""
        gid = guild_id or int(data.get("guild_id") or data.get("id") or 0)
        sent = False
        for conn in self.connections:
            if conn.ws.closed or not conn.identified:
                continue
            shard_id, count = conn.shard
            if (gid >> 22) % count != shard_id:
                continue
            await self._send_dispatch(conn, event, data)
            sent = True
        assert sent, f"no identified gateway connection owns guild {gid}"

    async def interact(self, payload: dict[str, Any], seconds: float = 5.0) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE and return the bot's (first) callback for it."""
        iid = int(payload["id"])
        await self.dispatch("INTERACTION_CREATE", payload)
        callbacks = await self.wait_for(lambda: self.callbacks_for(iid), seconds)
        first: dict[str, Any] = callbacks[0]
        return first

    async def request_reconnect(self) -> None:
        """Op 7 RECONNECT on every connection. The fake keeps no sessions, so the RESUME
        that follows gets INVALID_SESSION and the client must IDENTIFY afresh."""
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.send_json({"op": 7, "d": None, "s": None, "t": None})

    async def remove_guild(self, guild_id: int) -> None:
        await self.dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id=guild_id)

    # --- payload builders -----------------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        return {
            "id": str(self.bot_user_id),
            "username": "k8stip",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }

    def _channel(self, guild_id: int, channel_id: int) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": "daily-k8s",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def _guild(self, g: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "owner_id": "1",
            "roles": [
                {
                    "id": str(g.id),
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "channels": [self._channel(g.id, c) for c in g.channels],
            "members": [],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": TIMESTAMP,
            "large": False,
            "unavailable": False,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "premium_progress_bar_enabled": False,
        }

    def _message(self, channel_id: int, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        msg = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": self._user(),
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        msg.update(extra)
        return msg

    # --- HTTP -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        await self._notify()
        return response

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        rec = Recorded(request.method, path, dict(request.query), body, dict(request.headers))
        self.requests.append(rec)
        for inj in self._injected:
            if inj.times > 0 and inj.method == request.method and inj.pattern.fullmatch(path):
                inj.times -= 1
                rec.status = inj.status
                if inj.status == 0:
                    await self._closing.wait()
                return _json(inj.body, inj.status, inj.headers)
        is_interaction = path.startswith(("/interactions/", "/webhooks/"))
        if not is_interaction and request.headers.get("Authorization") != f"Bot {self.token}":
            rec.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        status, payload = self._route(request.method, path, body, dict(request.query))
        rec.status = status
        if status == 204:
            return web.Response(status=204)
        headers = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset-After": "1.0",
            "X-RateLimit-Bucket": "b-" + re.sub(r"\d+", "n", path)[:40],
        }
        return _json(payload, status, headers)

    def _route(
        self, method: str, path: str, body: Any, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        query = query or {}
        app = str(self.application_id)
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return 200, {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        if method == "GET" and path == "/users/@me":
            return 200, self._user()
        if method == "GET" and path in ("/oauth2/applications/@me", "/applications/@me"):
            return 200, {
                "id": app,
                "name": "k8stip",
                "icon": None,
                "description": "Kubernetes tips",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {**self._user(), "bot": False, "id": "1", "username": "owner"},
                "team": None,
                "verify_key": "00" * 32,
                "flags": 0,
                "interactions_endpoint_url": None,
                "bot": self._user(),
            }
        m = re.fullmatch(rf"/applications/{app}(?:/guilds/(\d+))?/commands", path)
        if m:
            guild_id = int(m.group(1)) if m.group(1) else None
            if method == "GET":
                return 200, self.commands.get(guild_id, [])
            if method == "PUT":
                stored = [self._store_command(c, guild_id) for c in body]
                self.commands[guild_id] = stored
                self.command_overwrites.append((guild_id, body))
                return 200, stored
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            return self._callback(int(m.group(1)), body)
        m = re.fullmatch(rf"/webhooks/{app}/([^/]+)(/messages/@original)?", path)
        if m:
            return self._webhook(method, m.group(1), bool(m.group(2)), body)
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)
        if m and method == "POST":
            return self._start_thread(int(m.group(1)), int(m.group(2)), body)
        if method == "POST" and path == "/users/@me/channels":
            return self._open_dm(body or {})
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST":
            return self._create_message(int(m.group(1)), body)
        if m and method == "GET":
            return self._read_messages(int(m.group(1)), query)
        return 404, {"message": f"404: Not Found ({method} {path})", "code": 0}

    def _store_command(self, c: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
        """What Discord hands back: ids and version added, false flags dropped, permissions
        as a string (so the bot must compare meaning, not bytes)."""

        def strip(o: dict[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in o.items() if not (k in ("required", "autocomplete") and not v)}
            if "options" in out:
                out["options"] = [strip(s) for s in out["options"]]
            return out

        stored = strip(dict(c))
        stored.update(
            id=str(self.snowflake()),
            application_id=str(self.application_id),
            version=str(self.snowflake()),
            type=c.get("type", 1),
        )
        perms = c.get("default_member_permissions")
        stored["default_member_permissions"] = None if perms is None else str(perms)
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
            stored.pop("dm_permission", None)
        return stored

    def _callback(self, interaction_id: int, body: Any) -> tuple[int, Any]:
        rtype = int(body["type"])
        data = body.get("data") or {}
        self.callbacks.append({"interaction_id": interaction_id, "type": rtype, "data": data})
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": 2,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
            }
        }
        if rtype in (4, 5, 7):
            channel = self.guilds[0].channels[0]
            msg = self._message(
                channel,
                data,
                interaction={
                    "id": str(interaction_id),
                    "type": 2,
                    "name": "k8stip",
                    "user": self.member(1)["user"],
                },
            )
            result["interaction"]["response_message_id"] = msg["id"]
            result["resource"] = {"type": rtype, "message": msg}
        return 200, result

    def _webhook(self, method: str, token: str, original: bool, body: Any) -> tuple[int, Any]:
        self.webhook_messages.append(
            {"method": method, "token": token, "original": original, "body": body}
        )
        if method == "DELETE":
            return 204, None
        return 200, self._message(self.guilds[0].channels[0], body or {}, webhook_id="1")

    def _start_thread(
        self, channel_id: int, message_id: int, body: dict[str, Any]
    ) -> tuple[int, Any]:
        """POST /channels/{c}/messages/{m}/threads: a thread whose id is the message's; a
        second one on the same message is refused with 160004, as Discord does."""
        known = {c for g in self.guilds for c in g.channels}
        if channel_id not in known:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if not any(int(m["id"]) == message_id for m in self._history.get(channel_id, [])):
            return 404, {"message": "Unknown Message", "code": 10008}
        if message_id in self.threads:
            return 400, {
                "message": "A thread has already been created for this message",
                "code": 160004,
            }
        name = str((body or {}).get("name") or "")
        if not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        self.threads[message_id] = channel_id
        guild = next(g for g in self.guilds if channel_id in g.channels)
        return 201, {
            **self._channel(guild.id, message_id),
            "type": 11,  # PUBLIC_THREAD
            "name": name,
            "parent_id": str(channel_id),
            "owner_id": str(self.bot_user_id),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int((body or {}).get("auto_archive_duration") or 1440),
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
            "message_count": 0,
            "member_count": 1,
        }

    def _open_dm(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /users/@me/channels: the bot's DM channel with `recipient_id` (always the
        same one). Any id is a user here; refusing DMs shows when a message is sent."""
        recipient = int(str(body.get("recipient_id") or 0))
        if recipient <= 0:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        channel = self.dm_channels.setdefault(recipient, self.snowflake())
        return 200, {
            "id": str(channel),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.member(recipient)["user"]],
        }

    def _known_channels(self) -> set[int]:
        return {c for g in self.guilds for c in g.channels} | set(self.dm_channels.values())

    def _create_message(self, channel_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        if channel_id in {self.dm_channels.get(m) for m in self.dm_refused}:
            return 403, {"message": "Cannot send messages to this user", "code": 50007}
        known = self._known_channels() | set(self.threads)
        if channel_id not in known:
            return 404, {"message": "Unknown Channel", "code": 10003}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get((channel_id, str(nonce)))
            if earlier is not None:  # Discord returns the first message, posts nothing
                return 200, earlier
        self.channel_messages.append({"channel_id": channel_id, **body})
        msg = self._message(channel_id, body)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel_id, str(nonce))] = msg
        # Read back later, a message has no nonce (only the create answer echoes it).
        self._history.setdefault(channel_id, []).append(
            {k: v for k, v in msg.items() if k != "nonce"}
        )
        return 200, msg

    def _read_messages(self, channel_id: int, query: dict[str, str]) -> tuple[int, Any]:
        """GET /channels/{id}/messages: newest first, `limit` (1-100, default 50), `before`."""
        known = self._known_channels()
        if channel_id not in known:
            return 404, {"message": "Unknown Channel", "code": 10003}
        limit = max(1, min(100, int(query.get("limit") or 50)))
        newest_first = list(reversed(self._history.get(channel_id, [])))
        before = query.get("before")
        if before is not None:
            newest_first = [m for m in newest_first if int(m["id"]) < int(before)]
        return 200, newest_first[:limit]

    # --- gateway --------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = GatewayConnection(ws=ws, url=f"ws://{request.host}{request.path_qs}")
        self.connections.append(conn)
        await self._notify()
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}, "s": None, "t": None})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                conn.heartbeats += 1
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(conn, frame["d"])
            elif op == 6:  # RESUME: not kept; ask for a fresh IDENTIFY
                await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            await self._notify()
        await self._notify()
        return ws

    async def _identify(self, conn: GatewayConnection, d: dict[str, Any]) -> None:
        self.identifies.append(d)
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = d.get("shard") or [0, 1]
        conn.shard = (int(shard[0]), int(shard[1]))
        conn.identified = True
        conn.session_id = f"session-{len(self.identifies)}"
        mine = [g for g in self.guilds if (g.id >> 22) % conn.shard[1] == conn.shard[0]]
        ready = {
            "v": 10,
            "user": self._user(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
            "session_id": conn.session_id,
            "resume_gateway_url": self.resume_gateway_url,
            "shard": list(conn.shard),
            "application": {"id": str(self.application_id), "flags": 0},
        }
        await self._send_dispatch(conn, "READY", ready)
        for g in mine:
            await self._send_dispatch(conn, "GUILD_CREATE", self._guild(g))

    async def _send_dispatch(self, conn: GatewayConnection, event: str, data: Any) -> None:
        conn.sequence += 1
        await conn.ws.send_json({"op": 0, "t": event, "s": conn.sequence, "d": data})
