"""A fake Slack, served on 127.0.0.1 by aiohttp, that the real slack-sdk and slack-bolt talk to.

It plays the Web API (`/api/<method>`), the Socket Mode WebSocket (`/socket`, reached through
`apps.connections.open` like the real one), and `response_url`s (`/respond/<id>`). Every call
is recorded. Faults are injected per method and consumed in order:

    fake.fail("chat.postMessage", status=429, retry_after=3)
    fake.fail("chat.postMessage", error="not_in_channel")
    fake.fail("chat.postMessage", reset_after_effect=True)   # posts, then drops the connection
    fake.fail("users.info", hang=True)                       # never answers
    fake.fail("chat.postMessage", hold_after_effect=True)    # posts, then never answers

Tests wait for things with `await fake.wait_for(predicate)`, never with sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"


@dataclass
class Call:
    """One Web API request as the fake saw it."""

    method: str
    args: dict[str, Any]
    token: str | None
    http_verb: str
    peer: str = ""  # the client's address:port: one per TCP connection


def _peer(request: web.Request) -> str:
    """The client's address:port: one per TCP connection."""
    peername = request.transport.get_extra_info("peername") if request.transport else None
    return f"{peername[0]}:{peername[1]}" if peername else ""


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    delay_event: asyncio.Event | None = None  # wait for this before answering
    hang: bool = False
    reset_after_effect: bool = False  # do the work, then drop the connection unanswered
    reset_before_effect: bool = False
    hold_after_effect: bool = False  # do the work, then never answer (the caller crashes)
    garbled_after_effect: bool = False  # do the work, then answer 200 with a non-JSON body


@dataclass
class Channel:
    id: str
    members: bool = True  # is the bot in it?
    archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first


@dataclass
class Workspace:
    team_id: str
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"


class FakeSlack:
    """Start with `await fake.start()`; `fake.api_url` is the base URL for AsyncWebClient."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url id, body)
        self.response_peers: list[str] = []  # the client's address:port of each response
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> ack message
        self.faults: dict[str, list[Fault]] = {}
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.views: list[dict[str, Any]] = []  # modals opened with views.open, in order
        self.tokens: dict[str, Workspace] = {BOT_TOKEN: Workspace("T1")}
        self.app_tokens = {APP_TOKEN}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/respond/{rid}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)  # typed AbstractServer, which has no .sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._released.set()
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self) -> tuple[str, str]:
        rid = f"r{next(self._ids)}"
        return rid, f"{self.base}/respond/{rid}"

    # ----- test controls ---------------------------------------------------------------------

    def fail(self, method: str, **kwargs: Any) -> None:
        self.faults.setdefault(method, []).append(Fault(**kwargs))

    def add_channel(self, channel_id: str, **kwargs: Any) -> Channel:
        ch = Channel(channel_id, **kwargs)
        self.channels[channel_id] = ch
        return ch

    def add_user(self, user_id: str, *, admin: bool = False, owner: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "profile": {"display_name": user_id.lower()},
        }

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the fake records something)."""
        async with asyncio.timeout(within):
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ----- Socket Mode -----------------------------------------------------------------------

    async def push(self, envelope_type: str, payload: dict[str, Any]) -> str:
        """Send an envelope to the connected app; returns its envelope_id (see `acks`)."""
        await self.wait_for(lambda: self.sockets)
        envelope_id = f"env-{next(self._ids)}"
        await self.sockets[-1].send_str(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": envelope_type,
                    "payload": payload,
                    "accepts_response_payload": envelope_type != "events_api",
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
        )
        return envelope_id

    async def refresh_socket(self) -> None:
        """What Slack does every few hours: ask the app to reconnect, then close the socket."""
        ws = self.sockets[-1]
        await ws.send_str(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))
        await ws.close()

    async def ack_for(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        result: dict[str, Any] = await self.wait_for(lambda: self.acks.get(envelope_id), within)
        return result

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A1"},
                    "debug_info": {"host": "fake"},
                }
            )
        )
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                        await self._notify()
        finally:
            self.sockets.remove(ws)
        return ws

    # ----- response_url ----------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.response_peers.append(_peer(request))
        self.responses.append((request.match_info["rid"], body))
        await self._notify()
        return web.Response(text="ok")

    def responses_for(self, rid: str) -> list[dict[str, Any]]:
        return [body for r, body in self.responses if r == rid]

    # ----- Web API ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            raw = await request.read()
            if ctype == "application/json":
                args.update(json.loads(raw or b"{}"))
            elif raw:
                args.update(parse_qsl(raw.decode(), keep_blank_values=True))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        self.calls.append(Call(method, args, token, request.method, _peer(request)))
        await self._notify()

        fault = self.faults.get(method, []).pop(0) if self.faults.get(method) else None
        if fault is not None:
            if fault.hang:
                await self._released.wait()  # set by stop(), so shutdown doesn't wait on us
            if fault.delay_event is not None:
                await fault.delay_event.wait()
            if fault.reset_before_effect:
                return self._drop(request)
            if fault.status != 200 or fault.error or fault.retry_after is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(int(fault.retry_after))
                if fault.status >= 500:
                    return web.Response(status=fault.status, text="upstream error", headers=headers)
                body = {"ok": False, "error": fault.error or "ratelimited"}
                return web.json_response(body, status=fault.status, headers=headers)

        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        ws = self._workspace(token) if method not in ("oauth.v2.access",) else None
        if method == "apps.connections.open":
            if token not in self.app_tokens:
                return web.json_response({"ok": False, "error": "invalid_auth"})
        elif method != "oauth.v2.access" and ws is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        result: dict[str, Any] = handler(args, ws)
        if fault is not None and fault.reset_after_effect:
            return self._drop(request)
        if fault is not None and fault.garbled_after_effect:
            return web.Response(text="<html>proxy error</html>", content_type="text/html")
        if fault is not None and fault.hold_after_effect:
            await self._notify()
            await self._released.wait()
        return web.json_response(result)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError  # aiohttp drops the request without answering

    def _workspace(self, token: str | None) -> Workspace | None:
        return self.tokens.get(token or "")

    def _channel(self, args: dict[str, Any]) -> Channel | dict[str, Any]:
        ch = self.channels.get(str(args.get("channel", "")))
        if ch is None:
            return {"ok": False, "error": "channel_not_found"}
        if ch.archived:
            return {"ok": False, "error": "is_archived"}
        if not ch.members:
            return {"ok": False, "error": "not_in_channel"}
        return ch

    def _m_auth_test(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "k8stip",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any], ws: Any) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket=t{next(self._ids)}"}

    def _m_users_info(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {**user, "team_id": ws.team_id}}

    def _post(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        ch = self._channel(args)
        if isinstance(ch, dict):
            return ch
        ts = f"{1700000000 + next(self._ts)}.000100"
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": _maybe_json(args.get("blocks")),
            "bot_id": ws.bot_id,
            "user": ws.bot_user_id,
        }
        metadata = _maybe_json(args.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        thread_ts = args.get("thread_ts")
        if thread_ts:
            # A reply in a thread: its parent must be a message of this channel.
            if not any(m["ts"] == thread_ts for m in ch.messages):
                return {"ok": False, "error": "thread_not_found"}
            message["thread_ts"] = str(thread_ts)
        ch.messages.append(message)
        return {"ok": True, "channel": ch.id, "ts": ts, "message": message}

    def _m_chat_postMessage(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        return self._post(args, ws)

    def _m_chat_postEphemeral(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        ch = self._channel(args)
        if isinstance(ch, dict):
            return ch
        return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def _m_chat_update(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        ch = self._channel(args)
        if isinstance(ch, dict):
            return ch
        for m in ch.messages:
            if m["ts"] == args.get("ts"):
                m["text"] = args.get("text", m["text"])
                m["blocks"] = _maybe_json(args.get("blocks")) or m.get("blocks")
                return {"ok": True, "channel": ch.id, "ts": m["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _m_conversations_history(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        ch = self._channel(args)
        if isinstance(ch, dict):
            return ch
        limit = int(args.get("limit", 100))
        start = int(args.get("cursor") or 0)
        include_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = list(reversed(ch.messages))
        page = newest_first[start : start + limit]
        out = []
        for m in page:
            m2 = dict(m)
            if not include_metadata:
                m2.pop("metadata", None)
            out.append(m2)
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": out,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_views_open(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        """A modal, checked against Slack's limits (a view Slack would refuse is refused)."""
        view = _maybe_json(args.get("view"))
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger"}
        if not isinstance(view, dict) or _view_problem(view):
            return {"ok": False, "error": "invalid_arguments"}
        view = {**view, "id": f"V{next(self._ids)}"}
        self.views.append(view)
        return {"ok": True, "view": view}

    def _m_conversations_open(self, args: dict[str, Any], ws: Workspace) -> dict[str, Any]:
        """The bot's IM with one member: "D" + the member id, the same every time."""
        users = str(args.get("users") or "")
        if "," in users:
            return {"ok": False, "error": "not_supported"}  # k8stip opens 1:1 IMs only
        if users not in self.users:
            return {"ok": False, "error": "user_not_found"}
        im = "D" + users
        self.channels.setdefault(im, Channel(im))
        return {"ok": True, "channel": {"id": im}}

    def _m_oauth_v2_access(self, args: dict[str, Any], ws: Any) -> dict[str, Any]:
        grant = self.oauth_codes.pop(str(args.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id = grant["team_id"]
        token = grant["bot_token"]
        self.tokens[token] = Workspace(team_id, bot_user_id="UBOT" + team_id, bot_id="B" + team_id)
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": grant.get("user", "UINSTALLER")},
            "scope": (
                "commands,chat:write,users:read,channels:history,groups:history,im:write,im:history"
            ),
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT" + team_id,
            "team": {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _view_problem(view: dict[str, Any]) -> str | None:
    """Why Slack would refuse this modal (https://docs.slack.dev/reference/views), or None."""
    title = (view.get("title") or {}).get("text", "")
    if view.get("type") != "modal" or not title or len(title) > 24:
        return "title"
    if len((view.get("submit") or {}).get("text", "")) > 24:
        return "submit"
    if len(view.get("private_metadata") or "") > 3000 or len(view.get("callback_id") or "") > 255:
        return "metadata"
    blocks = view.get("blocks") or []
    if len(blocks) > 100:
        return "blocks"
    for block in blocks:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        limit = element.get("max_length", 3000)
        if not 0 < limit <= 3000 or len(element.get("initial_value") or "") > limit:
            return "input"
        if len((block.get("label") or {}).get("text", "")) > 2000:
            return "label"
        if len((element.get("placeholder") or {}).get("text", "")) > 150:
            return "placeholder"
    return None
