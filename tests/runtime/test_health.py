"""Health server and metrics (bot/web.py), and `k8stip run` as a real process."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.config import DeliveryConfig
from bot.ports import TransientError
from bot.runtime.delivery import Deliverer
from bot.runtime.health import HealthServer, Metrics
from bot.runtime.store import SubscriptionSpec
from tests.core_support import ROOT
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips


class Readiness:
    def __init__(self) -> None:
        self.ok = True

    async def __call__(self) -> tuple[bool, dict[str, str]]:
        return self.ok, {"store": "ok" if self.ok else "unreachable (OperationalError)"}


@pytest.fixture
async def server() -> AsyncIterator[tuple[HealthServer, Readiness]]:
    ready = Readiness()
    srv = HealthServer("127.0.0.1", 0, Metrics(), ready)
    await srv.start()
    yield srv, ready
    await srv.stop()


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}{path}") as r:
        return r.status, r.headers.get("Content-Type", ""), await r.text()


async def test_healthz_answers_ok(server: tuple[HealthServer, Readiness]) -> None:
    srv, _ = server
    assert await get(srv.port, "/healthz") == (200, "text/plain; charset=utf-8", "ok\n")


async def test_readyz_is_503_while_the_store_is_unreachable(
    server: tuple[HealthServer, Readiness],
) -> None:
    srv, ready = server
    status, _, body = await get(srv.port, "/readyz")
    assert status == 200 and '"ready": true' in body
    ready.ok = False
    status, _, body = await get(srv.port, "/readyz")
    assert status == 503 and "unreachable" in body


async def test_metrics_report_posts_failures_lag_last_success_and_commands(
    server: tuple[HealthServer, Readiness], tmp_path: Path
) -> None:
    srv, _ = server
    metrics = srv.metrics
    due = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    with fresh_store("sqlite", tmp_path) as store:
        store.upsert_subscription(
            SubscriptionSpec("slack", "T1", "C1", "09:00", "Europe/Amsterdam", (5,)),
            "chat",
            "U1",
            due.replace(hour=6),
        )
        adapter = RecordingAdapter(platform="slack")

        adapter.script["C1"] = [TransientError("http_502")]
        clock = FakeClock(due.replace(minute=2))
        d = Deliverer(
            store,
            FakeTips(),
            {"slack": adapter},
            DeliveryConfig(),
            clock,
            random.Random(0),
            observer=metrics,
        )
        await d.run_pass()
    metrics.command_handled("discord", "search")
    status, ctype, text = await get(srv.port, "/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    assert 'k8stip_tips_posted_total{platform="slack"} 1.0' in text
    assert 'k8stip_delivery_failures_total{platform="slack",reason="transient"} 1.0' in text
    assert 'k8stip_delivery_lag_seconds_count{platform="slack"} 1.0' in text
    assert 'k8stip_delivery_lag_seconds_bucket{le="60.0",platform="slack"} 0.0' in text
    assert 'k8stip_delivery_lag_seconds_bucket{le="300.0",platform="slack"} 1.0' in text
    assert 'k8stip_last_post_timestamp_seconds{platform="slack"}' in text
    assert 'k8stip_commands_handled_total{command="search",platform="discord"} 1.0' in text


# Words in docs/*.md that look like metric names but are not metrics.
NOT_METRICS = {
    "k8stip_data": "the compose volume holding the SQLite file",
    "k8stip_delivery": "the Slack message metadata event type (docs/slack.md)",
}


async def test_every_metric_named_in_the_docs_is_exported(
    server: tuple[HealthServer, Readiness],
) -> None:
    srv, _ = server
    metrics = srv.metrics
    # One of each kind of event, so every labelled series (and histogram bucket) exists.
    metrics.delivery_sent("slack", 3.0, datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    metrics.delivery_failed("slack", "permanent")
    metrics.command_handled("slack", "tip")
    metrics.subscriptions.set(2)
    metrics.paused.set(1)
    _, _, text = await get(srv.port, "/metrics")
    exported = set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            exported.add(line.split()[2])
        elif line and not line.startswith("#"):
            exported.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    mentioned = {
        (doc.name, name)
        for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
        for name in re.findall(r"\bk8stip_[a-z0-9_]+", doc.read_text(encoding="utf-8"))
        if name not in NOT_METRICS
    }
    assert {name for _, name in mentioned} >= {
        "k8stip_tips_posted_total",
        "k8stip_last_post_timestamp_seconds",
    }
    assert sorted((doc, name) for doc, name in mentioned if name not in exported) == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_run_without_credentials_serves_health_idles_quietly_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    cfg = tmp_path / "k8stip.yaml"
    cfg.write_text(
        f"""
database: sqlite:///{tmp_path}/data/k8stip.db
corpus: {ROOT / "tips"}
health: {{host: 127.0.0.1, port: {port}}}
delivery: {{tick_seconds: 1}}
subscriptions:
  - {{platform: console, channel: terminal, time: "09:00", days: daily}}
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(cfg), "run"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "health server never came up"
            time.sleep(0.2)
        status, body = fetch(f"http://127.0.0.1:{port}/readyz")
        assert status == 200 and '"console": "connected"' in body
        # Stdin is not a terminal: no prompt loop, no busy waiting (well under 25% of a core).
        before = cpu_seconds(proc.pid)
        time.sleep(2.0)
        assert cpu_seconds(proc.pid) - before < 0.5
        proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        _out, err = proc.communicate(timeout=15)
        assert time.monotonic() - start < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "active:  console (1 subscriptions)" in err
    assert "missing: Slack: off; set SLACK_BOT_TOKEN and SLACK_APP_TOKEN" in err
    assert "missing: Discord: off; set DISCORD_TOKEN" in err
    assert "Console input is off (stdin is not a terminal)" in err
    assert "stopping" in err
