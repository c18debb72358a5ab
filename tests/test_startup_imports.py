"""What the quick commands load, in a fresh interpreter: `k8stip tip` and a `k8stip deliver`
pass with nothing due (a Kubernetes CronJob's usual run) start in a fraction of a second
because they never import what they don't use."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.core_support import ROOT, TIPS_DIR
from tests.fakes.databases import pg_schema_url

# Never needed by either command (pydantic is no longer a dependency at all).
HEAVY: tuple[str, ...] = ("pydantic", "alembic", "aiohttp", "apscheduler", "prometheus_client")
HEAVY += ("slack_bolt", "slack_sdk", "discord", "psycopg", "numpy")
# Never needed by `run` on its defaults (console, health server, scheduler; no web console,
# no Slack or Discord credentials, the schema already at head).
NOT_RUN: tuple[str, ...] = ("jinja2", "markupsafe", "alembic", "slack_bolt", "slack_sdk")
NOT_RUN += ("discord", "psycopg", "numpy", "pydantic", "bot.runtime.web")
# The platform packages' factories are imported (they say what is missing); their adapters not.
NOT_RUN += ("bot.adapters.slack.adapter", "bot.adapters.discord.adapter")

_PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(tmp_path: Path, *argv: str) -> tuple[int, list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
    env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
    env["K8STIP_CONFIG"] = str(tmp_path / "config.yaml")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    *printed, last = proc.stdout.splitlines()
    probe = json.loads(last)
    return probe["code"], probe["modules"], "\n".join(printed)


def _loaded(modules: list[str], *prefixes: str) -> list[str]:
    return [m for m in modules if m.split(".")[0] in prefixes or m.startswith(prefixes)]


def _config(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        f"database: sqlite:///{tmp_path}/k8stip.db\ncorpus: {TIPS_DIR}\n"
        "subscriptions:\n  - {platform: console, channel: ops, time: '09:00', days: daily}\n",
        encoding="utf-8",
    )


def test_tip_loads_neither_the_store_nor_any_server(tmp_path: Path) -> None:
    _config(tmp_path)
    code, modules, printed = _run(tmp_path, "tip", "secrets")
    assert code == 0 and "Secrets" in printed
    assert _loaded(modules, *HEAVY, "sqlalchemy", "bot.runtime", "bot.app") == []


def test_deliver_with_nothing_due_loads_no_tips_no_adapter_and_no_server(
    tmp_path: Path,
) -> None:
    """Before the 09:00 post and after it went out, a pass loads nothing more than the store;
    the pass at 09:05 loads the tips and the console adapter and posts it, once."""
    _config(tmp_path)
    assert _run(tmp_path, "migrate")[0] == 0  # creating the schema loads Alembic, once
    light: tuple[str, ...] = (
        *HEAVY,
        "Stemmer",
        "bot.core.loader",  # the config reads no tips: it needs the loader only for `tips/`
        "bot.core.engine",
        "bot.core.search",
        "bot.runtime.router",
    )
    light += ("bot.runtime.delivery.deliverer", "bot.adapters.console")
    for at, expected, loads_tips in [
        ("2026-03-03T08:00:00+00:00", [], False),  # the subscription starts now
        ("2026-03-03T09:05:00+00:00", [("ops", "sent")], True),
        ("2026-03-03T09:10:00+00:00", [], False),
    ]:
        code, modules, printed = _run(tmp_path, "deliver", "--json", "--at", at)
        assert code == 0
        assert [(r["channel"], r["status"]) for r in json.loads(printed)] == expected
        assert bool(_loaded(modules, *light)) == loads_tips, at
        assert _loaded(modules, *HEAVY) == []


def test_deliver_with_nothing_due_on_sqlite_answers_before_sqlalchemy_loads(
    tmp_path: Path,
) -> None:
    """The CronJob case on SQLite: once a pass has planned what was due, the next pass with
    nothing due answers from the idle check (bot/runtime/idle_check.py) without importing
    SQLAlchemy or asyncio; a pass whose post is due still runs in full and posts it."""
    _config(tmp_path)
    assert _run(tmp_path, "migrate")[0] == 0
    at = "2026-03-03T08:00:00+00:00"  # the subscription is synced (from now), nothing due
    assert _run(tmp_path, "deliver", "--json", "--at", at)[0] == 0
    for at, expected, full in [
        ("2026-03-03T08:30:00+00:00", [], False),
        ("2026-03-03T09:05:00+00:00", [("ops", "sent")], True),
        ("2026-03-03T09:10:00+00:00", [], False),
    ]:
        code, modules, printed = _run(tmp_path, "deliver", "--json", "--at", at)
        assert code == 0
        assert [(r["channel"], r["status"]) for r in json.loads(printed)] == expected
        assert bool(_loaded(modules, "sqlalchemy", "asyncio", "bot.app")) == full, at


@pytest.mark.postgres
def test_deliver_with_nothing_due_on_postgresql_answers_before_sqlalchemy_loads(
    tmp_path: Path,
) -> None:
    """The CronJob case on PostgreSQL: the idle check asks through libpq
    (bot/runtime/libpq.py), so a pass with nothing due imports neither SQLAlchemy nor psycopg
    nor asyncio; a pass whose post is due still runs in full and posts it, once."""
    with pg_schema_url() as url:
        (tmp_path / "config.yaml").write_text(
            f"database: '{url}'\ncorpus: {TIPS_DIR}\n"
            "subscriptions:\n  - {platform: console, channel: ops, time: '09:00', days: daily}\n",
            encoding="utf-8",
        )
        assert _run(tmp_path, "migrate")[0] == 0
        assert _run(tmp_path, "deliver", "--json", "--at", "2026-03-03T08:00:00+00:00")[0] == 0
        for at, expected, full in [
            ("2026-03-03T08:30:00+00:00", [], False),
            ("2026-03-03T09:05:00+00:00", [("ops", "sent")], True),
            ("2026-03-03T09:10:00+00:00", [], False),
        ]:
            code, modules, printed = _run(tmp_path, "deliver", "--json", "--at", at)
            assert code == 0
            assert [(r["channel"], r["status"]) for r in json.loads(printed)] == expected
            heavy = _loaded(modules, "sqlalchemy", "psycopg", "psycopg_binary", "asyncio")
            assert bool(heavy) == full, at
            assert "bot.runtime.libpq" in modules  # it asked PostgreSQL, not SQLite


# `run` in a terminal, writing the modules it loaded to a file as it exits (after SIGTERM,
# which it handles by stopping and returning from main, so atexit handlers run).
_RUN_PROBE = """
import atexit, json, os, sys
from bot.cli import main
def dump():
    with open(os.environ["PROBE_OUT"], "w") as f:
        json.dump(sorted(sys.modules), f)
atexit.register(dump)
sys.exit(main(["run"]))
"""


def _read_until(fd: int, screen: bytearray, pattern: bytes, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not re.search(pattern, screen) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                screen += os.read(fd, 65536)
            except OSError:
                break
    assert re.search(pattern, screen), screen[-1500:].decode(errors="replace")


@pytest.mark.slow
def test_run_on_its_defaults_loads_no_web_console_no_alembic_and_no_chat_sdk(
    tmp_path: Path,
) -> None:
    """`k8stip run` at a terminal with no credentials and the schema at head answers
    `/k8stip secrets` and serves /healthz, and through all of it never imports Jinja2,
    MarkupSafe, Alembic, slack_bolt, discord, psycopg or numpy; it does load aiohttp and the
    health server (so the probe did see the whole start, not one cut short)."""
    (tmp_path / "config.yaml").write_text(
        f"database: sqlite:///{tmp_path}/k8stip.db\ncorpus: {TIPS_DIR}\nhealth: {{port: 0}}\n",
        encoding="utf-8",
    )
    assert _run(tmp_path, "migrate")[0] == 0  # the schema at head, as after the first start
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K8STIP_", "SLACK_"))}
    env = {k: v for k, v in env.items() if not k.startswith(("DISCORD_", "PYTHON"))}
    env.update(
        K8STIP_CONFIG=str(tmp_path / "config.yaml"),
        K8STIP_CACHE_DIR=str(tmp_path / "cache"),
        PROBE_OUT=str(tmp_path / "modules.json"),
        PYTHONPATH=str(ROOT),
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: the bot, in the terminal
        try:
            os.chdir(tmp_path)
            os.execve(sys.executable, [sys.executable, "-c", _RUN_PROBE], env)
        finally:
            os._exit(127)
    screen = bytearray()
    try:
        _read_until(fd, screen, rb"Type /k8stip help")
        os.write(fd, b"/k8stip secrets\r")
        _read_until(fd, screen, rb"(?s)Share with the channel.*Share with the channel")
        health = re.search(rb"health:\s+(http://\S+/healthz)", screen)
        assert health, screen.decode(errors="replace")
        with urllib.request.urlopen(health.group(1).decode(), timeout=30) as resp:
            assert resp.status == 200
    finally:
        os.kill(pid, signal.SIGTERM)
        while not os.waitpid(pid, os.WNOHANG)[0]:  # drain: the child never blocks writing
            if select.select([fd], [], [], 0.2)[0]:
                with contextlib.suppress(OSError):  # the child closed the terminal
                    screen += os.read(fd, 65536)
        os.close(fd)
    assert b"Traceback" not in screen
    modules = json.loads((tmp_path / "modules.json").read_text(encoding="utf-8"))
    assert _loaded(modules, *NOT_RUN) == []
    assert {"aiohttp", "bot.runtime.health", "bot.adapters.console"} <= set(modules)
