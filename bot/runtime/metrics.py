"""What the bot counts for `/metrics`: one Prometheus registry per process.

prometheus_client (with the http, ssl and wsgiref modules it loads, ~30 ms) is imported when a
`Metrics` is made: `k8stip run` makes it once the health server's imports are done, in a
worker thread, and until then `LateMetrics` holds what the router and the deliverer report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry


class Metrics:
    """Counters the delivery loop and the router report to; one registry per process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
        self.votes = Gauge(
            "k8stip_votes", "Current feedback votes on tips, by kind", ["kind"], registry=r
        )
        self.quiz_answers = Gauge(
            "k8stip_quiz_answers",
            "Quiz answers stored, by result (right, wrong)",
            ["result"],
            registry=r,
        )
        self.retired_tips = Gauge(
            "k8stip_retired_tips",
            "Tips retired by votes, counted once per channel that retired them",
            registry=r,
        )
        self.unanswered = Counter(
            "k8stip_unanswered_queries",
            "Questions no tip answered (never their words)",
            ["platform"],
            registry=r,
        )
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

    def query_unanswered(self, platform: str) -> None:
        self.unanswered.labels(platform).inc()

    def set_learning(self, votes: Mapping[str, int], right: int, wrong: int, retired: int) -> None:
        """The learning gauges: votes by kind (its value), answers right and wrong, retired
        tips (`health.learning_counts` reads them from the store)."""
        for kind, n in votes.items():
            self.votes.labels(kind).set(n)
        self.quiz_answers.labels("right").set(right)
        self.quiz_answers.labels("wrong").set(wrong)
        self.retired_tips.set(retired)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class LateMetrics:
    """The router's and the deliverer's observer from the first command on, before the
    `Metrics` exists: reports wait here until `attach`, then pass straight through. Used from
    the event loop only."""

    def __init__(self) -> None:
        self.metrics: Metrics | None = None
        self._waiting: list[Callable[[Metrics], None]] = []

    def attach(self, metrics: Metrics) -> None:
        self.metrics = metrics
        for report in self._waiting:
            report(metrics)
        self._waiting.clear()

    def _report(self, report: Callable[[Metrics], None]) -> None:
        if self.metrics is None:
            self._waiting.append(report)
        else:
            report(self.metrics)

    def delivery_sent(self, platform: str, lag_seconds: float, at: datetime) -> None:
        self._report(lambda m: m.delivery_sent(platform, lag_seconds, at))

    def delivery_failed(self, platform: str, reason: str) -> None:
        self._report(lambda m: m.delivery_failed(platform, reason))

    def adapter_auth_failed(self, platform: str) -> None:
        self._report(lambda m: m.adapter_auth_failed(platform))

    def command_handled(self, platform: str, command: str) -> None:
        self._report(lambda m: m.command_handled(platform, command))

    def query_unanswered(self, platform: str) -> None:
        self._report(lambda m: m.query_unanswered(platform))
