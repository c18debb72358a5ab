"""LateMetrics: what the router and the deliverer report before the Prometheus registry exists
(it loads beside aiohttp, after the console is ready) is counted once it does."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runtime.metrics import LateMetrics, Metrics


def test_reports_before_attach_are_counted_once_attached_and_later_ones_at_once() -> None:
    late = LateMetrics()
    late.command_handled("console", "tip")
    late.delivery_sent("slack", 2.0, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    late.delivery_failed("discord", "transient")
    metrics = Metrics()
    assert b'k8stip_commands_handled_total{command="tip"' not in metrics.render()
    late.attach(metrics)
    late.command_handled("console", "tip")
    late.adapter_auth_failed("slack")
    text = metrics.render().decode()
    assert 'k8stip_commands_handled_total{command="tip",platform="console"} 2.0' in text
    assert 'k8stip_tips_posted_total{platform="slack"} 1.0' in text
    assert 'k8stip_delivery_failures_total{platform="discord",reason="transient"} 1.0' in text
    assert 'k8stip_adapter_auth_failures_total{platform="slack"} 1.0' in text
