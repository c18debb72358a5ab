"""What `/metrics` scrapes cost a running bot, at 50 and at 50,000 subscriptions.

Runs the real `k8stip run` (a subprocess, console only) on a SQLite or PostgreSQL store filled
with N subscriptions, waits for its first delivery pass to finish (the subscriptions start in
two days, so none is due), then sends C concurrent `/metrics` scrapes and, while they run, one
`/readyz`. Prints the scrapes' wall time and slowest answer, and /readyz's status and latency.

`--src DIR` runs the bot from another checkout: compare with main's version by exporting it
(`git archive main | tar -x -C /tmp/k8stip-main`) and passing `--compare /tmp/k8stip-main`,
which prints both and the ratios.

    PYTHONPATH=. python bench/bench_metrics.py [--subs 50,50000] [--scrapes 40] [--db sqlite]
        [--compare DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.runtime.store import Store
from tests.fakes.databases import add_sink_subscriptions, pg_schema_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, float]:
    start = time.perf_counter()
    async with session.get(url) as r:
        await r.read()
        return r.status, time.perf_counter() - start


async def measure(port: int, scrapes: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    timeout = aiohttp.ClientTimeout(total=120)
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=conn) as s:
        start = time.perf_counter()
        tasks = [asyncio.create_task(_get(s, f"{base}/metrics")) for _ in range(scrapes)]
        await asyncio.sleep(0.05)  # /readyz arrives while the scrapes are in flight
        ready_status, ready_s = await _get(s, f"{base}/readyz")
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        "slowest_scrape_s": max(t for _, t in results),
        "scrape_errors": float(sum(1 for st, _ in results if st != 200)),
        "readyz_status": float(ready_status),
        "readyz_s": ready_s,
    }


def one_run(src: Path, url: str, subs: int, args: argparse.Namespace) -> dict[str, float]:
    store = Store.open(url)
    store.migrate()
    add_sink_subscriptions(store, subs, 100, datetime.now(UTC) + timedelta(days=2), "bench")
    store.close()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "k8stip.yaml"
        cfg.write_text(
            f"database: '{url}'\ncorpus: {ROOT / 'tips'}\n"
            f"health: {{port: {port}}}\ndelivery: {{tick_seconds: 3600}}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
        env["PYTHONPATH"] = str(src)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(cfg), "run", "--no-console"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            cwd=tmp,
        )
        try:
            deadline = time.monotonic() + 120
            while True:  # up, and its first pass (which scans every subscription) done
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the bot never became ready"
                try:
                    status, _ = asyncio.run(_probe(port))
                    if status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.5)
            time.sleep(args.settle)  # the first pass plans over every subscription
            return asyncio.run(measure(port, args.scrapes))
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


async def _probe(port: int) -> tuple[int, float]:
    async with aiohttp.ClientSession() as s:
        return await _get(s, f"http://127.0.0.1:{port}/readyz")


def run_all(
    src: Path, args: argparse.Namespace, label: str
) -> dict[tuple[str, int], dict[str, float]]:
    out = {}
    for db in args.db.split(","):
        for n in [int(x) for x in args.subs.split(",")]:
            with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
                url = (
                    stack.enter_context(pg_schema_url())
                    if db == "postgres"
                    else f"sqlite:///{tmp}/k8stip.db"
                )
                r = one_run(src, url, n, args)
            out[(db, n)] = r
            print(
                f"{label:<6} {db:<8} {n:>6} subs: {args.scrapes} scrapes in {r['wall_s']:.3f} s "
                f"(slowest {r['slowest_scrape_s']:.3f} s, {r['scrape_errors']:.0f} errors); "
                f"/readyz during them {r['readyz_status']:.0f} in {r['readyz_s']:.3f} s",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", default="50,50000")
    parser.add_argument("--scrapes", type=int, default=40)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to wait after ready")
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres or both (comma)")
    parser.add_argument("--src", default=str(ROOT), help="checkout to run the bot from")
    parser.add_argument("--compare", metavar="DIR", help="also run this checkout ('before')")
    args = parser.parse_args()
    before = run_all(Path(args.compare), args, "before") if args.compare else {}
    after = run_all(Path(args.src), args, "after")
    sizes = [int(x) for x in args.subs.split(",")]
    for db in args.db.split(","):
        small, big = (after[(db, sizes[0])], after[(db, sizes[-1])])
        wall, ready = big["wall_s"] / small["wall_s"], big["readyz_s"] / small["readyz_s"]
        print(
            f"{db}: after, {sizes[-1]} vs {sizes[0]} subs: "
            f"scrape wall time x{wall:.2f}, /readyz x{ready:.2f}"
        )
        if before:
            for n in sizes:
                b, a = before[(db, n)], after[(db, n)]
                wall, ready = b["wall_s"] / a["wall_s"], b["readyz_s"] / a["readyz_s"]
                print(
                    f"{db} {n} subs: before/after scrape wall time x{wall:.1f}, "
                    f"/readyz x{ready:.1f} "
                    f"(before {b['readyz_status']:.0f}, after {a['readyz_status']:.0f})"
                )


if __name__ == "__main__":
    main()
