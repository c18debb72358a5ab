"""HTTP-mode Slack adapter under hostile traffic, from a separate process (issue 15).

    PYTHONPATH=. python bench/bench_slack_flood.py [--big 1000] [--bad 5000] [--rate 2000]

The server process runs the real adapter (HTTP mode, a migrated SQLite database, the fake
Slack from tests/fakes) plus a `/healthz` on the same event loop, and logs to a file at INFO.
The client process, in turn:
1. sends `--big` unsigned ~1 MiB POSTs to /slack/events, all at once;
2. sends `--bad` requests with bad headers (no signature, a non-numeric timestamp, a bad
   signature with a bogus charset, a signed non-UTF-8 body) at `--rate` per second;
3. opens idle connections until its file descriptors run out (or `--idle`), then checks
   whether they are closed within a few seconds.
After each step it checks that `/healthz` and a signed `/k8stip` command still answer, and
prints the server's RSS and how many bytes it logged.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_slack_http import SECRET, rss_mb, signed


async def serve(conn: mp.connection.Connection, log_path: str) -> None:
    import logging

    from aiohttp import web

    from bot.adapters.slack import SlackAdapter
    from bot.config import Secrets, config_from_mapping
    from bot.core.invocation import Invocation
    from bot.core.replies import Reply, ReplyKind
    from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
    from tests.slack_support import migrated

    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(message)s")
    fake = await FakeSlack().start()
    fake.add_user("U001")

    async def router(inv: Invocation) -> Reply:
        return Reply(kind=ReplyKind.INFO, text=f"ok {inv.text}")

    class NoEvents:
        async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
            return None

    database = migrated(f"sqlite:///{tempfile.mkdtemp(prefix='k8stip-flood-')}/k8stip.db")
    config = config_from_mapping(
        {"database": database, "slack": {"mode": "http", "api_url": fake.api_url, "http_port": 0}}
    )
    secrets = Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET})
    adapter = SlackAdapter(config, secrets, router, NoEvents(), http_host="127.0.0.1")
    await adapter.start()

    health = web.Application()
    health.router.add_get("/healthz", lambda _: web.Response(text="ok"))  # type: ignore[arg-type,return-value]
    runner = web.AppRunner(health, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send((adapter.http_port, int(runner.addresses[0][1])))
    loop = asyncio.get_running_loop()
    while True:
        msg = await loop.run_in_executor(None, conn.recv)
        if msg == "stop":
            break
        size = Path(log_path).stat().st_size  # noqa: ASYNC240  # a stat between floods
        conn.send({"rss_mb": rss_mb(), "log_bytes": size})
    await runner.cleanup()
    await adapter.stop()
    await fake.stop()


def server_main(conn: mp.connection.Connection, log_path: str) -> None:
    asyncio.run(serve(conn, log_path))


async def still_answering(port: int, health_port: int) -> str:
    import aiohttp

    body = urlencode(
        {"team_id": "T1", "channel_id": "C1", "user_id": "U001", "command": "/k8stip",
         "text": "secrets", "response_url": "http://127.0.0.1:9/r", "trigger_id": "t"}
    )  # fmt: skip
    timeout = aiohttp.ClientTimeout(total=5)
    out = []
    async with aiohttp.ClientSession(timeout=timeout) as s:
        try:
            async with s.get(f"http://127.0.0.1:{health_port}/healthz") as r:
                out.append(f"healthz {r.status}")
        except Exception as e:  # a benchmark reports every failure kind
            out.append(f"healthz {type(e).__name__}")
        try:
            start = time.perf_counter()
            url = f"http://127.0.0.1:{port}/slack/events"
            async with s.post(url, data=body, headers=signed(body)) as r:
                await r.read()
                ms = (time.perf_counter() - start) * 1000
                out.append(f"signed command {r.status} in {ms:.0f} ms")
        except Exception as e:  # a benchmark reports every failure kind
            out.append(f"signed command {type(e).__name__}")
    return ", ".join(out)


async def big_flood(port: int, n: int) -> dict[str, int]:
    import aiohttp

    body = b"x" * (1024 * 1024 - 1)
    counts: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as s:

        async def one() -> None:
            try:
                url = f"http://127.0.0.1:{port}/slack/events"
                async with s.post(url, data=body, headers={"Content-Type": "text/plain"}) as r:
                    key = str(r.status)
            except Exception as e:  # a benchmark counts every failure kind
                key = type(e).__name__
            counts[key] = counts.get(key, 0) + 1

        await asyncio.gather(*(one() for _ in range(n)))
    return counts


async def bad_flood(port: int, n: int, rate: float) -> dict[str, int]:
    import aiohttp

    ts = str(int(time.time()))
    good = signed("a=1")
    variants: list[tuple[bytes, dict[str, str]]] = [
        (b"a=1", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"a=1", {**good, "X-Slack-Request-Timestamp": "soon"}),
        (b"a=2", {**good, "Content-Type": "text/plain; charset=bogus"}),
        (b"text=caf\xe9", {**signed("x"), "X-Slack-Request-Timestamp": ts}),
    ]
    counts: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as s:

        async def one(i: int) -> None:
            body, headers = variants[i % len(variants)]
            try:
                url = f"http://127.0.0.1:{port}/slack/events"
                async with s.post(url, data=body, headers=headers) as r:
                    await r.read()
                    key = str(r.status)
            except Exception as e:  # a benchmark counts every failure kind
                key = type(e).__name__
            counts[key] = counts.get(key, 0) + 1

        t0 = time.perf_counter()
        tasks = []
        for i in range(n):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return counts


async def idle_flood(port: int, health_port: int, limit: int) -> str:
    writers = []
    try:
        for _ in range(limit):
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                break
            writers.append(w)
        opened = len(writers)
        during = await still_answering(port, health_port)
        await asyncio.sleep(8)  # longer than the server's 5 s idle timeout
        still_open = sum(1 for w in writers if not w.transport.is_closing() and not _eof(w))
        return (
            f"opened {opened} idle connections; while open: {during}; open after 8 s: {still_open}"
        )
    finally:
        for w in writers:
            w.close()


def _eof(writer: asyncio.StreamWriter) -> bool:
    reader = getattr(writer, "_reader", None)
    return bool(reader is not None and reader.at_eof())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", type=int, default=1000, help="concurrent unsigned ~1 MiB POSTs")
    parser.add_argument("--bad", type=int, default=5000, help="requests with bad headers")
    parser.add_argument("--rate", type=float, default=2000.0, help="bad requests per second")
    parser.add_argument("--idle", type=int, default=20000, help="idle connections to try")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    log_path = os.path.join(tempfile.mkdtemp(prefix="k8stip-flood-log-"), "server.log")
    ctx = mp.get_context("spawn")
    here, there = ctx.Pipe()
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    server = ctx.Process(target=server_main, args=(there, log_path), daemon=True)
    server.start()
    port, health_port = here.recv()

    def stats() -> dict[str, float]:
        here.send("stats")
        result: dict[str, float] = here.recv()
        return result

    print(f"server fd limit {hard} (raised from {soft}); client the same")
    asyncio.run(still_answering(port, health_port))  # warm-up: auth.test, imports
    before = stats()
    print(f"start: RSS {before['rss_mb']:.1f} MB, log {before['log_bytes']:.0f} bytes")
    floods: tuple[tuple[str, Callable[[], Coroutine[Any, Any, dict[str, int]]]], ...] = (
        (f"{args.big} concurrent unsigned ~1 MiB POSTs", lambda: big_flood(port, args.big)),
        (
            f"{args.bad} bad-header requests at {args.rate:g}/s",
            lambda: bad_flood(port, args.bad, args.rate),
        ),
    )
    for name, work in floods:
        t0 = time.perf_counter()
        counts = asyncio.run(work())
        wall = time.perf_counter() - t0
        after = stats()
        print(
            f"{name}: {dict(sorted(counts.items()))} in {wall:.1f} s; server RSS "
            f"{after['rss_mb']:.1f} MB; log +{after['log_bytes'] - before['log_bytes']:.0f} bytes; "
            f"after: {asyncio.run(still_answering(port, health_port))}"
        )
        before = after
    print(asyncio.run(idle_flood(port, health_port, min(args.idle, hard - 100))))
    after = stats()
    print(
        f"end: RSS {after['rss_mb']:.1f} MB, log {after['log_bytes']:.0f} bytes; "
        f"after idle flood: {asyncio.run(still_answering(port, health_port))}"
    )
    here.send("stop")
    server.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
