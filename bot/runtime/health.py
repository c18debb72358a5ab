"""The health server: `/healthz` (alive), `/readyz` (store reachable, adapters connected) and
`/metrics` (Prometheus text format)."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]


class Metrics:
    """Counters the delivery loop and the router report to; one registry per process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.tips_posted = Counter(
            "k8stip_tips_posted", "Daily tips posted", ["platform"], registry=r
        )
        self.failures = Counter(
            "k8stip_delivery_failures",
            "Failed post attempts by reason (rate_limited, transient, ambiguous, permanent, …)",
            ["platform", "reason"],
            registry=r,
        )
        self.lag = Histogram(
            "k8stip_delivery_lag_seconds",
            "Seconds between a tip's scheduled time and its post",
            ["platform"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 6 * 3600),
            registry=r,
        )
        self.last_success = Gauge(
            "k8stip_last_post_timestamp_seconds",
            "Unix time of the last successful daily post",
            ["platform"],
            registry=r,
        )
        self.commands = Counter(
            "k8stip_commands_handled", "Commands answered", ["platform", "command"], registry=r
        )
        self.paused = Gauge(
            "k8stip_subscriptions_paused", "Subscriptions currently paused", registry=r
        )
        self.subscriptions = Gauge("k8stip_subscriptions", "Subscriptions in the store", registry=r)
        self.auth_failures = Counter(
            "k8stip_adapter_auth_failures",
            "Calls the platform refused for the bot's credentials (an adapter outage)",
            ["platform"],
            registry=r,
        )

    def delivery_sent(self, platform: str, lag_seconds: float, at: datetime) -> None:
        self.tips_posted.labels(platform).inc()
        self.lag.labels(platform).observe(lag_seconds)
        self.last_success.labels(platform).set(at.timestamp())

    def delivery_failed(self, platform: str, reason: str) -> None:
        self.failures.labels(platform, reason).inc()

    def adapter_auth_failed(self, platform: str) -> None:
        self.auth_failures.labels(platform).inc()

    def command_handled(self, platform: str, command: str) -> None:
        self.commands.labels(platform, command).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        ready: ReadyCheck,
        before_scrape: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.ready = ready
        self.before_scrape = before_scrape
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # aiohttp exposes no public accessor for the bound socket
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
        if self.before_scrape is not None:
            try:
                await self.before_scrape()
            except Exception:
                log.warning("metrics: could not refresh subscription gauges", exc_info=True)
        resp = web.Response(body=self.metrics.render())
        resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return resp
