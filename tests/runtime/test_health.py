"""Health server and metrics (bot/runtime/health.py), readiness, and `k8stip run` as a real
process."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import DeliveryConfig
from bot.core.learning_model import VoteKind
from bot.ports import TransientError
from bot.runtime.delivery import Deliverer
from bot.runtime.health import HealthServer, Metrics, learning_counts, readiness, store_health
from bot.runtime.store import Store, SubscriptionSpec
from bot.startup import bind_listener, port_problem
from tests.core_support import ROOT
from tests.fakes.clock import FakeClock
from tests.fakes.databases import add_sink_subscriptions, fresh_store
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
    "k8stip_form": "the callback_id of k8stip's Slack modals (docs/slack.md)",
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


# -- /metrics cost, /readyz write probe (issue 15) -----------------------------------------


async def test_a_scrape_renders_the_registry_and_never_asks_the_store(tmp_path: Path) -> None:
    """The gauges come from one COUNT … GROUP BY when the server starts and then on its timer;
    forty scrapes in a row cost no query at all."""
    with fresh_store("sqlite", tmp_path) as store:
        add_sink_subscriptions(store, 5, 2, datetime(2026, 3, 27, tzinfo=UTC), "U")
        store.pause_workspace("sink", "W000", "test", datetime(2026, 3, 27, tzinfo=UTC))
        metrics, refreshes = Metrics(), 0

        async def refresh() -> None:
            nonlocal refreshes
            refreshes += 1
            total, paused = store.subscription_counts()
            metrics.subscriptions.set(total)
            metrics.paused.set(paused)

        srv = HealthServer("127.0.0.1", 0, metrics, Readiness(), refresh, gauge_seconds=3600)
        await srv.start()
        try:
            for _ in range(40):
                _, _, text = await get(srv.port, "/metrics")
        finally:
            await srv.stop()
    assert refreshes == 1
    assert "k8stip_subscriptions 5.0" in text and "k8stip_subscriptions_paused 3.0" in text


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_subscription_counts_are_one_aggregate(kind: str, tmp_path: Path) -> None:
    with fresh_store(kind, tmp_path) as store:
        assert store.subscription_counts() == (0, 0)
        add_sink_subscriptions(store, 7, 3, datetime(2026, 3, 27, tzinfo=UTC), "U")
        store.pause_workspace("sink", "W001", "test", datetime(2026, 3, 27, tzinfo=UTC))
        assert store.subscription_counts() == (7, 2)


async def test_the_gauges_refresh_on_their_timer_and_a_failure_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.runtime.health")
    metrics, calls = Metrics(), 0

    async def refresh() -> None:
        nonlocal calls
        calls += 1
        if calls in (2, 3, 4):
            raise OSError("store down")
        metrics.subscriptions.set(calls)

    srv = HealthServer("127.0.0.1", 0, metrics, Readiness(), refresh, gauge_seconds=0.01)
    await srv.start()
    try:
        for _ in range(500):
            if calls >= 6:
                break
            await asyncio.sleep(0.01)
    finally:
        await srv.stop()
    assert calls >= 6
    warnings = [r for r in caplog.records if "could not refresh" in r.getMessage()]
    assert len(warnings) == 1
    assert any("refreshed again" in r.getMessage() for r in caplog.records)


async def test_the_server_serves_on_a_socket_bound_before_it_starts() -> None:
    sock = bind_listener("127.0.0.1", 0)
    port = sock.getsockname()[1]
    srv = HealthServer("127.0.0.1", 8080, Metrics(), Readiness(), sock=sock)
    await srv.start()
    try:
        assert srv.port == port
        assert (await get(port, "/healthz"))[0] == 200
    finally:
        await srv.stop()


def test_a_port_in_use_is_a_port_problem_that_says_so() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        problem = port_problem("127.0.0.1", port)
        assert problem is not None and problem.in_use and problem.port == port
        assert problem.reason.startswith("is already in use")
    assert port_problem("127.0.0.1", port) is None


async def test_readyz_is_ready_for_a_writable_store(tmp_path: Path) -> None:
    with fresh_store("sqlite", tmp_path) as store:
        assert await readiness(store, {"console": True})() == (
            True,
            {"store": "ok", "console": "connected"},
        )


async def test_readyz_is_not_ready_while_a_platform_refuses_the_token(tmp_path: Path) -> None:
    """An adapter whose token the platform refuses (delivery's outage record) makes the bot
    not ready, with the reason; ready again once delivery clears it."""
    refused = {"slack": "invalid_auth: the bot token was refused"}
    with fresh_store("sqlite", tmp_path) as store:
        ready = readiness(store, {"slack": True}, lambda: dict(refused))
        assert await ready() == (
            False,
            {"store": "ok", "slack": "unauthorized (invalid_auth: the bot token was refused)"},
        )
        refused.clear()
        assert await ready() == (True, {"store": "ok", "slack": "connected"})


async def test_readyz_is_not_ready_when_the_sqlite_file_is_read_only(tmp_path: Path) -> None:
    """The file opened read-only (`mode=ro`, as on a read-only mount): reads still work, so a
    ping alone said ready; the write probe does not. (Tests run as root, where chmod 0444
    stops no write, so the read-only open is how a test gets a file that refuses writes.)"""
    with fresh_store("sqlite", tmp_path):
        pass
    ro = Store.open(f"sqlite:///file:{tmp_path}/data/k8stip.db?mode=ro&uri=true")
    try:
        ro.ping()  # reads work
        assert len(ro.list_subscriptions()) == 0
        ok, checks = await readiness(ro, {})()
    finally:
        ro.close()
    assert not ok and checks == {"store": "cannot write (OperationalError)"}


@pytest.mark.postgres
async def test_readyz_is_not_ready_when_postgres_refuses_writes(tmp_path: Path) -> None:
    """A read-only PostgreSQL session (what a hot standby or a failover in progress gives)."""
    with fresh_store("postgres", tmp_path) as store:
        url = store.engine.url.render_as_string(hide_password=False)
        ro = Store.open(
            url.replace("search_path%3D", "default_transaction_read_only%3Don%20-csearch_path%3D")
        )
        try:
            ro.ping()
            ok, checks = await readiness(ro, {})()
        finally:
            ro.close()
        assert await readiness(store, {})() == (True, {"store": "ok"})
    assert not ok and checks == {"store": "cannot write (InternalError)"}


async def test_a_store_whose_write_lock_is_held_is_not_ready_and_the_probe_returns(
    tmp_path: Path,
) -> None:
    """Another writer holds SQLite's lock: the probe waits its own short time, not the
    store's 30 s busy timeout, and /readyz answers "slow" within its timeout."""
    with fresh_store("sqlite", tmp_path) as store:
        other = sqlite3.connect(f"{tmp_path}/data/k8stip.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            start = time.monotonic()
            assert store_health(store, write_seconds=0.2) == "cannot write (OperationalError)"
            assert time.monotonic() - start < 5
            ok, checks = await readiness(store, {}, timeout_seconds=0.1)()
            assert not ok and checks == {"store": "slow (no answer within 0.1 s)"}
        finally:
            other.execute("ROLLBACK")
            other.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_learning_gauges_count_votes_answers_and_retired_tips(
    kind: str, tmp_path: Path
) -> None:
    """Votes by kind, answers right and wrong, and tips retired (once per channel that retired
    them, restorations honoured); labels are fixed words, never a member or a tip."""
    now = datetime(2026, 3, 27, tzinfo=UTC)
    metrics = Metrics()
    with fresh_store(kind, tmp_path) as store:
        learning_counts(store).report(metrics)
        text = metrics.render().decode()
        assert 'k8stip_votes{kind="useful"} 0.0' in text and "k8stip_retired_tips 0.0" in text
        for channel in ("C1", "C2"):
            for member in ("U1", "U2"):
                store.record_vote(
                    "slack", "T1", channel, "tip-a", member, VoteKind.NOT_USEFUL, False, now
                )
        store.record_vote("slack", "T1", "C3", "tip-b", "U7", VoteKind.NOT_USEFUL, True, now)
        store.record_vote("slack", "T1", "C3", "tip-c", "U7", VoteKind.USEFUL, False, now)
        store.record_vote("slack", "T1", "C3", "tip-c", "U8", VoteKind.KNEW_IT, False, now)
        store.restore_tip("slack", "T1", "C2", "tip-a", "A1", now + timedelta(minutes=1))
        posting = store.record_quiz_posting("slack", "T1", "C1", "q", "tip-a", "t", now.date(), now)
        store.record_quiz_answer(posting, "U1", "x", True, now, "<@U1>")
        store.record_quiz_answer(posting, "U2", "y", False, now)
        store.record_quiz_answer(posting, "U3", "y", False, now)
        learning_counts(store).report(metrics)
    text = metrics.render().decode()
    assert 'k8stip_votes{kind="not_useful"} 5.0' in text
    assert 'k8stip_votes{kind="useful"} 1.0' in text
    assert 'k8stip_votes{kind="knew_it"} 1.0' in text
    assert 'k8stip_quiz_answers{result="right"} 1.0' in text
    assert 'k8stip_quiz_answers{result="wrong"} 2.0' in text
    assert "k8stip_retired_tips 2.0" in text  # tip-a in C1 (C2 restored it), tip-b in C3
    assert not re.search(r"U\d|tip-|C\d", text)
