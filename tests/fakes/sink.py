"""A local fake chat platform over HTTP, and the Adapter that posts to it.

The sink records every post it receives (before answering, so a post whose answer is lost
still counts), can be slow, enforces per-channel and per-workspace rate limits with 429 +
Retry-After, and can fail a share of posts with 429 or 500. `GET /find` answers whether a
post with a delivery id landed: what Slack metadata / Discord nonces give real adapters.

Used by the multi-process delivery test and the fan-out benchmark.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.core.replies import Reply
from bot.ports import AmbiguousError, PermanentError, RateLimited, Target, TransientError


@dataclass
class SinkConfig:
    delay_seconds: float = 0.0
    per_channel_per_second: float = 0.0  # 0: unlimited
    per_workspace_per_second: float = 0.0
    failure_rate: float = 0.0  # share of posts answered 429 or 500 (half each)
    retry_after_seconds: float = 1.0
    seed: int = 1


@dataclass
class SinkStats:
    posts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # channel
    by_delivery: dict[str, str] = field(default_factory=dict)  # delivery id -> message id
    rate_limited: int = 0
    injected_429: int = 0
    injected_500: int = 0
    first_post: float | None = None
    last_post: float | None = None

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.posts.values())

    def duplicates(self) -> int:
        return sum(len(v) - 1 for v in self.posts.values() if len(v) > 1)


class _Window:
    """Sliding one-second window: at most `rate` accepted events per key."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.events: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str, now: float) -> float:
        """0 if allowed now (and counts it), else seconds until it would be."""
        if self.rate <= 0:
            return 0.0
        q = self.events[key]
        while q and q[0] <= now - 1.0:
            q.popleft()
        if len(q) >= self.rate:
            return max(0.01, q[0] + 1.0 - now)
        q.append(now)
        return 0.0


class FakeSink:
    def __init__(self, config: SinkConfig | None = None) -> None:
        self.config = config or SinkConfig()
        self.stats = SinkStats()
        self._rng = random.Random(self.config.seed)
        self._channel = _Window(self.config.per_channel_per_second)
        self._workspace = _Window(self.config.per_workspace_per_second)
        self._lock = threading.Lock()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/post", self._post)
        app.router.add_get("/find", self._find)
        app.router.add_get("/stats", self._stats)
        return app

    async def _post(self, req: web.Request) -> web.Response:
        body = await req.json()
        channel, workspace, key = body["channel"], body["workspace"], body["delivery_id"]
        if channel.startswith("gone"):
            return web.json_response({"ok": False, "error": "channel_not_found"}, status=404)
        now = time.monotonic()
        with self._lock:
            roll = self._rng.random()
            if roll < self.config.failure_rate / 2:
                self.stats.injected_429 += 1
                wait = self.config.retry_after_seconds
                return _too_many(wait)
            if roll < self.config.failure_rate:
                self.stats.injected_500 += 1
                return web.json_response({"ok": False, "error": "internal"}, status=500)
            wait = self._workspace.retry_after(workspace, now) or self._channel.retry_after(
                f"{workspace}/{channel}", now
            )
            if wait:
                self.stats.rate_limited += 1
                return _too_many(wait)
            message_id = f"{channel}-{len(self.stats.posts[channel]) + 1}"
            self.stats.posts[channel].append(key)
            self.stats.by_delivery[key] = message_id
            self.stats.first_post = self.stats.first_post or now
            self.stats.last_post = now
        if self.config.delay_seconds:
            await asyncio.sleep(self.config.delay_seconds)
        return web.json_response({"ok": True, "id": message_id})

    async def _find(self, req: web.Request) -> web.Response:
        found = self.stats.by_delivery.get(req.query["delivery_id"])
        return web.json_response({"id": found})

    async def _stats(self, _req: web.Request) -> web.Response:
        st = self.stats
        span = (st.last_post - st.first_post) if st.first_post and st.last_post else 0.0
        return web.json_response(
            {
                "total": st.total,
                "channels": len(st.posts),
                "duplicates": st.duplicates(),
                "rate_limited": st.rate_limited,
                "injected_429": st.injected_429,
                "injected_500": st.injected_500,
                "first_to_last_post_seconds": span,
            }
        )

    # -- run in a background thread, so blocking test code can drive processes ---------

    def start_in_thread(self) -> FakeSink:
        self._thread = threading.Thread(target=self._serve, name="fake-sink", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self.start())
        self._ready.set()
        self._loop.run_forever()

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server: Any = site._server  # aiohttp has no public accessor for the bound port
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop_thread(self) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


def serve_forever(config: SinkConfig, port_out: Any) -> None:
    """Run a sink in this (child) process; sends the bound port through `port_out`."""

    async def main() -> None:
        sink = FakeSink(config)
        await sink.start()
        port_out.send(sink.port)
        await asyncio.Event().wait()

    asyncio.run(main())


def _too_many(wait: float) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"},
        status=429,
        headers={"Retry-After": f"{wait:.3f}"},
    )


class SinkAdapter:
    """An Adapter posting to a FakeSink, mapping HTTP outcomes to the delivery errors."""

    def __init__(self, url: str, platform: str = "sink", timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.platform = platform
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=0)
            )
        return self._session

    async def start(self) -> None:
        self._client()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        payload = {
            "workspace": target.workspace,
            "channel": target.channel,
            "delivery_id": delivery_id,
            "text": reply.text,
        }
        try:
            async with self._client().post(f"{self.url}/post", json=payload) as r:
                body = await r.json()
                if r.status == 429:
                    raise RateLimited(float(r.headers.get("Retry-After", "1")))
                if r.status == 404:
                    raise PermanentError(body.get("error", "not_found"))
                if r.status >= 500:
                    raise TransientError(f"http_{r.status}")
                return str(body["id"])
        except aiohttp.ClientConnectorError as e:
            raise TransientError("connect_failed") from e  # never reached the platform
        except (aiohttp.ServerDisconnectedError, TimeoutError) as e:
            raise AmbiguousError("no_answer") from e  # may have landed

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        try:
            async with self._client().get(
                f"{self.url}/find", params={"delivery_id": delivery_id}
            ) as r:
                found = (await r.json())["id"]
                return str(found) if found else None
        except aiohttp.ClientError as e:
            raise TransientError("find_failed") from e
