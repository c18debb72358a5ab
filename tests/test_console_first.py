"""At a terminal, what is typed comes first: `run`'s slow background imports (health server,
scheduler, metrics) wait until the console has greeted and gone quiet; nothing is skipped, a
post due at start still goes out once, and the health server still answers."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.cli import main
from bot.console_first import QUIET_SECONDS, ConsoleActivity, after_console
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind
from tests.core_support import ROOT, TIPS_DIR


class FakeTime:
    """A clock, and a sleep that moves it on (and lets other tasks run)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Gate:
    """A handler whose answers wait until the test lets them through."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[str] = []

    async def __call__(self, inv: Invocation) -> Reply:
        self.seen.append(inv.text)
        await self.release.wait()
        if inv.text == "boom":
            raise RuntimeError("handler failed")
        return Reply(ReplyKind.INFO, f"answer to {inv.text}")


def inv(text: str) -> Invocation:
    return Invocation(platform="console", workspace="", channel="console", user="u", text=text)


async def spin(times: int = 20) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


async def test_quiet_waits_for_the_greeting_then_for_the_quiet_period() -> None:
    t, gate = FakeTime(), Gate()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    quiet = asyncio.create_task(activity.quiet(0.5))
    await spin()
    assert not quiet.done()  # nothing answered yet: the greeting is still to come
    gate.release.set()
    reply = await activity(inv(""))
    assert reply.text == "answer to "
    await quiet
    assert t.slept == [0.5]  # the whole quiet period after the greeting ended


async def test_quiet_waits_while_a_typed_command_is_answered() -> None:
    t, gate = FakeTime(), Gate()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    gate.release.set()
    await activity(inv(""))  # the greeting
    gate.release.clear()
    typed = asyncio.create_task(activity(inv("secrets")))
    await spin()
    assert activity.under_way == 1
    quiet = asyncio.create_task(activity.quiet(0.5))
    t.now += 10  # long after the greeting: still not quiet, a command is under way
    await spin()
    assert not quiet.done() and t.slept == []
    gate.release.set()
    assert (await typed).text == "answer to secrets"
    await quiet
    assert t.slept == [0.5]  # counted from the end of that answer


async def test_quiet_counts_only_the_rest_of_the_period() -> None:
    t, gate = FakeTime(), Gate()
    gate.release.set()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    await activity(inv(""))
    t.now += 0.2
    await activity.quiet(0.5)
    assert t.slept == [pytest.approx(0.3)]
    t.now += 5
    await activity.quiet(0.5)  # quiet long enough already: no wait at all
    assert t.slept == [pytest.approx(0.3)]


async def test_replies_and_errors_pass_through_unchanged() -> None:
    t, gate = FakeTime(), Gate()
    gate.release.set()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    assert await activity(inv("help")) == Reply(ReplyKind.INFO, "answer to help")
    with pytest.raises(RuntimeError, match="handler failed"):
        await activity(inv("boom"))
    assert activity.under_way == 0 and activity.answered == 2
    assert gate.seen == ["help", "boom"]


async def test_the_console_answers_through_the_wrapped_handler() -> None:
    gate = Gate()
    gate.release.set()
    printed = io.StringIO()
    console = ConsoleAdapter(gate, out=printed, interactive=True)
    activity = ConsoleActivity.around(console)
    assert activity is not None and console.handle is activity
    await console.greet()
    reply = await console.answer("/k8stip secrets")
    assert reply is not None and reply.text == "answer to secrets"
    assert activity.answered == 2 and gate.seen == ["", "secrets"]
    assert "answer to secrets" in printed.getvalue()
    assert ConsoleActivity.around(ConsoleAdapter(None, interactive=True)) is None


async def test_without_a_console_the_work_runs_at_once_in_a_worker_thread() -> None:
    ran: list[str] = []
    await after_console(None, lambda: ran.append(threading.current_thread().name))
    assert len(ran) == 1 and ran[0] != threading.main_thread().name


async def test_with_a_console_the_work_waits_until_it_is_quiet() -> None:
    t, gate = FakeTime(), Gate()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    ran: list[int] = []
    task = asyncio.create_task(after_console(activity, lambda: ran.append(activity.answered)))
    await spin()
    assert ran == [] and not task.done()
    gate.release.set()
    await activity(inv(""))
    await task
    assert ran == [1]


async def test_a_console_that_never_goes_quiet_delays_the_work_only_so_long() -> None:
    """A greeting stuck on the store, or someone typing without a break: the health server and
    the scheduler still come, after `most_seconds`."""
    t, gate = FakeTime(), Gate()
    activity = ConsoleActivity(gate, clock=t.clock, sleep=t.sleep)
    stuck = asyncio.create_task(activity(inv("")))  # never released
    ran: list[int] = []
    await after_console(activity, lambda: ran.append(activity.under_way), most_seconds=0)
    assert ran == [1]
    stuck.cancel()


async def test_the_collector_is_back_on_once_the_start_is_over_even_if_the_work_fails() -> None:
    def broken() -> None:
        raise ImportError("no aiohttp")

    gc.disable()
    try:
        await after_console(None, lambda: None)
        assert gc.isenabled()
        gc.disable()
        with pytest.raises(ImportError):
            await after_console(None, broken)
        assert gc.isenabled()
    finally:
        gc.enable()


def test_a_run_that_stops_at_start_up_leaves_the_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`k8stip run` turns the collector off while it starts; a start that fails (here: the
    health port is taken) turns it back on, for whatever runs in the process next."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        cfg = tmp_path / "k8stip.yaml"
        cfg.write_text(
            f"database: sqlite:///{tmp_path}/k.db\nhealth: {{port: {taken.getsockname()[1]}}}\n",
            encoding="utf-8",
        )
        try:
            code = main(["--config", str(cfg), "run", "--no-console"])
            assert gc.isenabled()
        finally:
            gc.enable()
    assert code == 2 and "health.port" in capsys.readouterr().err


# -- `k8stip run` at a terminal ----------------------------------------------------------


def _read_until(fd: int, screen: list[str], pattern: str, seconds: float = 90) -> str:
    """Read the terminal until `pattern` (a regex) shows; fail with what it printed if not."""
    deadline = time.monotonic() + seconds
    text = "".join(screen)
    while not re.search(pattern, text) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                screen.append(os.read(fd, 65536).decode(errors="replace"))
            except OSError:
                break
            text = "".join(screen)
    found = re.search(pattern, text)
    assert found, f"no {pattern!r} in:\n{text[-2000:]}"
    return text


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.slow
def test_run_at_a_terminal_answers_what_is_typed_and_still_posts_and_serves_health(
    tmp_path: Path,
) -> None:
    """A command typed the moment the banner shows is answered; the post that was due at
    start then goes out once; /healthz and /readyz answer."""
    due = datetime.now(UTC) - timedelta(minutes=2)
    db = tmp_path / "k8stip.db"
    (tmp_path / "config.yaml").write_text(
        f"database: sqlite:///{db}\ncorpus: {TIPS_DIR}\nhealth: {{port: 0}}\n"
        f"subscriptions:\n  - {{platform: console, channel: ops, time: '{due:%H:%M}', "
        "timezone: UTC, days: daily}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
    env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
    env.update(
        K8STIP_CONFIG=str(tmp_path / "config.yaml"),
        K8STIP_CACHE_DIR=str(tmp_path / "cache"),
        PYTHONPATH=str(ROOT),
    )
    # The subscription exists from an hour before: its slot two minutes ago is due at start.
    earlier = (due - timedelta(hours=1)).isoformat()
    synced = subprocess.run(
        [sys.executable, "-m", "bot", "deliver", "--json", "--at", earlier],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(synced.stdout) == []
    main_fd, tty_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=tty_fd,
        stdout=tty_fd,
        stderr=tty_fd,
        env=env,
        cwd=tmp_path,
    )
    os.close(tty_fd)
    screen: list[str] = []
    try:
        _read_until(main_fd, screen, r"Type /k8stip help")
        os.write(main_fd, b"/k8stip secrets\r")
        banner_at = "".join(screen).index("Type /k8stip help")
        # The greeting's tip, then the answer to what was typed (two tip cards)...
        text = _read_until(main_fd, screen, r"(?s)Share with the channel.*Share with the channel")
        assert re.search(r"Topics: [^\n]*Secrets", text[banner_at:])
        # ...and then, once the scheduler runs, the post that was due at start.
        text = _read_until(main_fd, screen, r"\[#ops\] ")
        assert text.count("[#ops] ") == 1
        health = re.search(r"health:\s+(http://\S+)/healthz", text)
        assert health, text
        assert _get(health.group(1) + "/healthz")[0] == 200
        status, body = _get(health.group(1) + "/readyz")
        assert status == 200, body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.close(main_fd)
    assert "Traceback" not in "".join(screen)
    assert QUIET_SECONDS < 2  # a human reading the first tip, not a wait anyone notices
