"""Fan-out benchmark: many subscriptions due in the same minute, one delivery process.

A local fake platform (separate process, tests/fakes/sink.py) answers each post in ~50 ms and
allows 1 message per second per channel and 20 per second per workspace, answering 429 with
Retry-After beyond that. With 10,000 subscriptions in 100 workspaces the limits alone bound
the run at 100 posts / 20 per second = 5 s. Prints total time against that bound, peak memory,
duplicates and missed posts, on SQLite and PostgreSQL, then again with 5% of posts answered
429 or 500.

    PYTHONPATH=. python bench/bench_fanout.py [--subs N] [--workspaces N] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from datetime import UTC, datetime

import aiohttp

from bot.config import DeliveryConfig
from bot.runtime.delivery import Deliverer
from bot.runtime.store import SENT, Store
from tests.fakes.databases import add_sink_subscriptions, pg_schema_url
from tests.fakes.sink import SinkAdapter, SinkConfig, serve_forever
from tests.fakes.tips import FakeTips

AT = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) a child process has used so far; 0 where /proc is absent."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_run(url: str, args: argparse.Namespace, failure_rate: float) -> dict[str, object]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    sink_cfg = SinkConfig(
        delay_seconds=0.05,
        per_channel_per_second=1,
        per_workspace_per_second=20,
        failure_rate=failure_rate,
        retry_after_seconds=1.0,
        seed=7,
    )
    sink = ctx.Process(target=serve_forever, args=(sink_cfg, child), daemon=True)
    sink.start()
    port = parent.recv()
    store = Store.open(url)
    store.migrate()
    add_sink_subscriptions(store, args.subs, args.workspaces, AT.replace(hour=5), "bench")
    adapter = SinkAdapter(f"http://127.0.0.1:{port}")
    settings = DeliveryConfig(
        concurrency=args.concurrency,
        workspace_posts_per_second=args.pace,
        backoff_base_seconds=0.5,
        backoff_max_seconds=5,
    )
    deliverer = Deliverer(store, FakeTips(), {"sink": adapter}, settings, rng=random.Random(1))
    if args.trace_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    loop_cpu0 = time.thread_time()
    sink_cpu0 = _cpu_of(sink.pid)
    results = await deliverer.run_pass(AT)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    loop_cpu = time.thread_time() - loop_cpu0
    sink_cpu = _cpu_of(sink.pid) - sink_cpu0
    _, peak = tracemalloc.get_traced_memory() if args.trace_memory else (0, 0)
    if args.trace_memory:
        tracemalloc.stop()
    async with (
        aiohttp.ClientSession() as s,
        s.get(f"http://127.0.0.1:{port}/stats") as r,
    ):
        stats = await r.json()
    await adapter.stop()
    sent_rows = len(store.list_deliveries(status=SENT))
    store.close()
    sink.terminate()
    sink.join(5)
    bound = args.subs / args.workspaces / 20
    return {
        "failure_rate": failure_rate,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "loop_cpu_seconds": loop_cpu,
        "sink_cpu_seconds": sink_cpu,
        "bound": bound,
        "ratio": elapsed / bound,
        "sent_results": sum(1 for r in results if r.status == SENT),
        "sent_rows": sent_rows,
        "duplicates": stats["duplicates"],
        "missed": args.subs - stats["channels"],
        "sink_429_limits": stats["rate_limited"],
        "injected": stats["injected_429"] + stats["injected_500"],
        "peak_python_mb": peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subs", type=int, default=10_000)
    p.add_argument("--workspaces", type=int, default=100)
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--concurrency", type=int, default=400)
    p.add_argument("--pace", type=float, default=20.0, help="client pacing per workspace")
    p.add_argument("--failures", default="0,0.05")
    p.add_argument("--trace-memory", action="store_true", help="tracemalloc peak (slower)")
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(
        f"fan-out: {args.subs} subscriptions in {args.workspaces} workspaces, all due at once; "
        f"platform ~50 ms/post, 1/s/channel, 20/s/workspace "
        f"(bound {args.subs / args.workspaces / 20:.1f} s)"
    )
    for db in args.db.split(","):
        for rate in (float(x) for x in args.failures.split(",")):
            with ExitStack() as stack:
                if db == "postgres":
                    url = stack.enter_context(pg_schema_url())
                else:
                    tmp = stack.enter_context(tempfile.TemporaryDirectory())
                    url = f"sqlite:///{tmp}/bench.db"
                r = asyncio.run(one_run(url, args, rate))
            print(
                f"{db:<9} failures {rate:>4.0%}: {r['seconds']:6.2f} s "
                f"(bound {r['bound']:.1f} s, {r['ratio']:.2f}x)  sent {r['sent_rows']}  "
                f"duplicates {r['duplicates']}  missed {r['missed']}  "
                f"429-by-limit {r['sink_429_limits']}  injected {r['injected']}  "
                f"bot cpu {r['cpu_seconds']:.1f} s (event loop {r['loop_cpu_seconds']:.1f} s)  "
                f"sink cpu {r['sink_cpu_seconds']:.1f} s  "
                f"peak py {r['peak_python_mb']:.0f} MB  maxrss {r['maxrss_mb']:.0f} MB"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
