"""What the bot counts for `/metrics`: one Prometheus registry per process.

Apart from the health server (`health.py`) so that the router and the deliverer can count from
the first command while aiohttp, which only the health server needs, is still loading.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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
