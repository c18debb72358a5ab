"""The health server: `/healthz` (alive), `/readyz` (store reachable and writable, adapters
connected) and `/metrics` (Prometheus text format, from `bot/runtime/metrics.py`).

A scrape only renders the registry: the subscription gauges are refreshed on a timer (one
COUNT … GROUP BY every `gauge_seconds`), so `/metrics` costs the same at 50 or 50,000
subscriptions and any number of scrapers cannot load the store. The learning gauges (votes by
kind, quiz answers right and wrong, retired tips; `learning_counts`) are refreshed with them;
their labels are fixed words, never a query, a tip's text or a member.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.learning import retired_tips, tally
from bot.core.learning_model import VoteKind
from bot.runtime.metrics import Metrics

if TYPE_CHECKING:
    from bot.runtime.store import Store

log = logging.getLogger(__name__)

# /readyz: the store's write probe may wait this long for a lock; the whole check this long.
READY_WRITE_SECONDS, READY_SECONDS = 2.0, 3.0

__all__ = [
    "HealthServer",
    "LearningCounts",
    "Metrics",
    "learning_counts",
    "readiness",
    "store_health",
]

ReadyCheck = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]


@dataclass(frozen=True)
class LearningCounts:
    """What the learning gauges show."""

    votes: dict[VoteKind, int]
    right: int
    wrong: int
    retired: int  # (channel, tip) pairs retired now

    def report(self, metrics: Metrics) -> None:
        metrics.set_learning(
            {k.value: n for k, n in self.votes.items()}, self.right, self.wrong, self.retired
        )


def learning_counts(store: Store) -> LearningCounts:
    """Votes by kind and answers by result (one GROUP BY each), and the retired tips of every
    channel that has a `not_useful` vote (the rule needs one). Blocking: run it in a thread."""
    right, wrong = store.quiz_answer_counts()
    retired = 0
    for key in store.channels_with_votes(VoteKind.NOT_USEFUL):
        retired += len(
            retired_tips(tally(store.channel_votes(*key), store.channel_restorations(*key)))
        )
    return LearningCounts(store.vote_counts_by_kind(), right, wrong, retired)


class HealthServer:
    """Serves on `sock` when given (bound early by the caller, so the port is never lost
    between a check and the bind), else binds `host:port` itself (port 0: any free port)."""

    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        ready: ReadyCheck,
        refresh_gauges: Callable[[], Awaitable[None]] | None = None,
        *,
        gauge_seconds: float = 30.0,
        sock: socket.socket | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.ready = ready
        self.refresh_gauges = refresh_gauges
        self.gauge_seconds = gauge_seconds
        self.sock = sock
        self._runner: web.AppRunner | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._gauges_failing = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site: web.BaseSite
        if self.sock is not None:
            site = web.SockSite(self._runner, self.sock)
        else:
            site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])  # the real port when 0 was asked
        if self.refresh_gauges is not None:
            await self._refresh_once()  # the first scrape has real values
            self._refresher = asyncio.create_task(self._refresh_forever())

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
            self._refresher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _refresh_once(self) -> None:
        """Refresh the gauges; a store outage is logged when it starts and when it ends, not
        on every refresh."""
        assert self.refresh_gauges is not None
        try:
            await self.refresh_gauges()
        except Exception as e:
            if not self._gauges_failing:
                log.warning(
                    "metrics: could not refresh the subscription gauges (%s); they keep their "
                    "last values until the store answers",
                    type(e).__name__,
                )
            self._gauges_failing = True
            return
        if self._gauges_failing:
            log.info("metrics: subscription gauges refreshed again")
        self._gauges_failing = False

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.gauge_seconds)
            await self._refresh_once()

    async def _healthz(self, _req: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, _req: web.Request) -> web.Response:
        try:
            ok, checks = await self.ready()
        except Exception as e:  # a readiness probe answers, whatever went wrong
            ok, checks = False, {"error": type(e).__name__}
        return web.Response(
            status=200 if ok else 503,
            text=json.dumps({"ready": ok, "checks": checks}) + "\n",
            content_type="application/json",
        )

    async def _metrics(self, _req: web.Request) -> web.Response:
        resp = web.Response(body=self.metrics.render())
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp


def store_health(store: Store, write_seconds: float = READY_WRITE_SECONDS) -> str:
    """ "ok", or why the store is not ready: unreachable, or reachable but unable to write (a
    read-only file, a full disk, a standby). Blocking: run it in a thread."""
    try:
        store.ping()
    except Exception as e:
        return f"unreachable ({type(e).__name__})"
    try:
        store.check_writable(write_seconds)
    except Exception as e:
        return f"cannot write ({type(e).__name__})"
    return "ok"


def readiness(
    store: Store,
    connected: Mapping[str, bool],
    unauthorized: Callable[[], Mapping[str, str]] = dict,
    timeout_seconds: float = READY_SECONDS,
) -> Callable[[], Awaitable[tuple[bool, dict[str, str]]]]:
    """/readyz: the store answers and takes a write within `timeout_seconds`, every adapter is
    connected, and no platform refuses its token (`unauthorized()`: platform -> reason, from
    delivery). A slow store is "not ready", never a probe that hangs."""
    last = {"store": "ok"}

    async def ready() -> tuple[bool, dict[str, str]]:
        try:
            state = await asyncio.wait_for(
                asyncio.to_thread(store_health, store), timeout=timeout_seconds
            )
        except TimeoutError:
            state = f"slow (no answer within {timeout_seconds:g} s)"
        if state != last["store"]:  # log changes, not every probe
            log.log(
                logging.INFO if state == "ok" else logging.WARNING, "readiness: store %s", state
            )
            last["store"] = state
        checks = {"store": state}
        for name, ok in connected.items():
            checks[name] = "connected" if ok else "not connected"
        refused = unauthorized()
        for name, reason in refused.items():
            checks[name] = f"unauthorized ({reason})"
        return state == "ok" and all(connected.values()) and not refused, checks

    return ready
