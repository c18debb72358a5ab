"""Overview page benchmark: the admin console's `/` over a big store.

Seeds a fresh store with 50,000 subscriptions (every 50th paused, with a reason), 200,000
finished deliveries over the last 28 days (sent, with some skipped, failed and paused) and
2,000 audit entries (on PostgreSQL then VACUUM ANALYZE, as autovacuum would), then serves
the real console (aiohttp test server on 127.0.0.1), signs in and fetches, `--runs` times
each: the first page `/`, a deep page of the list (`/?page=400`, rows 39,901-40,000) and a
deep page of the audit log (`/?audit=30`). Prints the median and worst milliseconds of
each, per database.

Beside it, the store's share of one page's next posts: `next_posts` for the page's 100
subscriptions (one read) against `next_unwritten_post` called for each of them (100 reads),
in the same run, with their ratio. `/` is timed twice: with the chart's delivery counts
read again (the clock moved past the minute they are kept) and with them reused.

    PYTHONPATH=. python bench/bench_overview.py [--subs N] [--deliveries N] [--audit N]
        [--runs N] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.core.engine import Engine
from bot.runtime.store import FAILED, PAUSED, SENT, SKIPPED, Store
from bot.runtime.store.schema import deliveries, subscriptions, web_audit
from tests.fakes.databases import add_sink_subscriptions, fresh_store
from tests.fakes.tips import make_corpus
from tests.runtime.web.web_support import NOW, Console, open_console

PATHS = ("/", "/?page=400", "/?audit=30")
COLD = "/ (chart counted)"
CHUNK = 5000


def seed(store: Store, subs: int, rows: int, audit: int) -> None:
    add_sink_subscriptions(store, subs, 500, NOW - timedelta(days=60), "U0")
    naive_now = NOW.replace(tzinfo=None)
    with store.engine.begin() as conn:
        conn.execute(
            subscriptions.update()
            .where(subscriptions.c.id % 50 == 0)
            .values(paused=True, paused_reason="channel_not_found: the bot was removed")
        )
        ids = [
            (r.id, r.workspace, r.channel)
            for r in conn.execute(
                subscriptions.select().with_only_columns(
                    subscriptions.c.id, subscriptions.c.workspace, subscriptions.c.channel
                )
            )
        ]
    per_sub = -(-rows // len(ids))
    batch: list[dict[str, object]] = []
    written = 0
    statuses = [SENT] * 16 + [SKIPPED, FAILED, PAUSED, SENT]
    for j in range(per_sub):
        for sub_id, workspace, channel in ids:
            if written == rows:
                break
            day = NOW.date() - timedelta(days=1 + (sub_id + j * 7) % 28)
            due = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
            status = statuses[(sub_id + j) % len(statuses)]
            batch.append(
                {
                    "subscription_id": sub_id,
                    "platform": "sink",
                    "workspace": workspace,
                    "channel": channel,
                    "local_date": day,
                    "due_at": due,
                    "status": status,
                    "tip_id": "tip-01" if status == SENT else None,
                    "attempts": 1,
                    "claims": 1,
                    "posted_at": due if status == SENT else None,
                    "last_error": None if status == SENT else "why",
                    "created_at": due,
                    "updated_at": due,
                }
            )
            written += 1
            if len(batch) == CHUNK:
                with store.engine.begin() as conn:
                    conn.execute(insert(deliveries), batch)
                batch = []
    audit_rows = [
        {
            "at": naive_now - timedelta(minutes=i),
            "actor": "Ana",
            "address": "127.0.0.1",
            "action": "pause",
            "target": f"sink/W000/C{i:05d}",
            "detail": "Paused.",
        }
        for i in range(audit)
    ]
    with store.engine.begin() as conn:
        if batch:
            conn.execute(insert(deliveries), batch)
        conn.execute(insert(web_audit), audit_rows)
    if store.engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load; without the statistics PostgreSQL
        # plans these tables as if they were empty (a sort of all 50,000 subscriptions for
        # a deep page, a scan of every delivery for a page's next posts).
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def millis(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:7.1f} ms, worst {max(samples) * 1000:7.1f} ms"
    )


async def timed_get(console: Console, path: str) -> float:
    t0 = time.perf_counter()
    response = await console.client.get(path)
    body = await response.text()
    took = time.perf_counter() - t0
    if response.status != 200 or "sub-row" not in body:
        raise SystemExit(f"{path}: status {response.status} or no rows")
    return took


async def measure(store: Store, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {p: [] for p in (COLD, *PATHS)}
    async for console in open_console(store, Engine(make_corpus())):
        assert await console.sign_in() == 303

        for _ in range(runs):
            console.clock.advance(61)  # past CHART_KEPT: the chart's counts are read again
            out[COLD].append(await timed_get(console, "/"))
        for path in PATHS:  # within the minute: the chart's counts are reused
            for _ in range(runs):
                out[path].append(await timed_get(console, path))
    return out


def next_posts_side_by_side(store: Store, runs: int) -> tuple[list[float], list[float]]:
    page = store.subscription_page(100, 39_900)
    batched, each = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        together = store.next_posts(page, NOW)
        batched.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        apart = {sub.id: store.next_unwritten_post(sub, NOW) for sub in page}
        each.append(time.perf_counter() - t0)
        if together != apart:
            raise SystemExit("next_posts and next_unwritten_post disagree")
    return batched, each


def run(kind: str, subs: int, rows: int, audit: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, Path(tmp)) as store:
        t0 = time.perf_counter()
        seed(store, subs, rows, audit)
        seeded = time.perf_counter() - t0
        print(
            f"{kind}: {subs} subscriptions, {rows} deliveries, {audit} audit rows "
            f"(seeded in {seeded:.1f} s); {runs} runs each"
        )
        for path, samples in asyncio.run(measure(store, runs)).items():
            print(f"  GET {path:18} {millis(samples)}")
        batched, each = next_posts_side_by_side(store, runs)
        ratio = statistics.median(each) / statistics.median(batched)
        print(f"  next posts of 100 rows, one read:       {millis(batched)}")
        print(f"  next posts of 100 rows, a read per row: {millis(each)}  ({ratio:.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subs", type=int, default=50_000)
    ap.add_argument("--deliveries", type=int, default=200_000)
    ap.add_argument("--audit", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db", default="sqlite,postgres")
    args = ap.parse_args()
    for kind in args.db.split(","):
        run(kind, args.subs, args.deliveries, args.audit, args.runs)


if __name__ == "__main__":
    main()
