"""Requests and history benchmark, store only: how long `/k8stip requests`, `/k8stip history`
and `k8stip export history` wait on the database when it is full.

Fills a fresh store with `--requests` tip_requests rows (60 days, `--workspaces` workspaces,
2,000 keys, 5,000 members; half requests, half unanswered), a ledger of `--channels` channels
with a year of daily posts each, and 20 votes per channel. Then times, per database: the two
reads of `requests` for one workspace, a first and a deep page of `history` (6 rows, as the
command asks for 5 and one more) and the whole export. Prints the median of `--repeat` runs
(the export: one run).

    PYTHONPATH=. python bench/bench_requests.py [--requests N] [--channels N]
        [--workspaces N] [--repeat N] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.runtime.store import FINAL_STATUSES, Store
from bot.runtime.store.schema import deliveries, tip_requests, votes
from tests.fakes.databases import fresh_store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAYS = 365
KEYS = 2000
MEMBERS = 5000
BATCH = 20_000


def _bulk(store: Store, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        with store.engine.begin() as conn:
            conn.execute(insert(table), rows[start : start + BATCH])


def fill(store: Store, requests: int, channels: int, workspaces: int) -> None:
    naive = NOW.replace(tzinfo=None)
    _bulk(
        store,
        tip_requests,
        [
            {
                "platform": "slack",
                "workspace": f"W{i % workspaces:03d}",
                "channel": f"C{i % channels:04d}",
                "member": f"U{(i * 7919) % MEMBERS:05d}",
                "kind": "request" if i % 2 else "unanswered",
                "query": f"Topic {(i * 31) % KEYS} words",
                "key": f"topic {(i * 31) % KEYS} words",
                "at": naive - timedelta(minutes=(i * 37) % (60 * 24 * 60)),
            }
            for i in range(requests)
        ],
    )
    first = date(2026, 12, 1) - timedelta(days=DAYS)
    ledger = []
    for c in range(channels):
        for day in range(DAYS):
            local = first + timedelta(days=day)
            at = datetime.combine(local, datetime.min.time()) + timedelta(hours=8)
            ledger.append(
                {
                    "subscription_id": c + 1,
                    "platform": "slack",
                    "workspace": f"W{c % workspaces:03d}",
                    "channel": f"C{c:04d}",
                    "local_date": local,
                    "due_at": at,
                    "status": "sent",
                    "tip_id": f"tip-{(c + day) % 300}",
                    "attempts": 1,
                    "claims": 1,
                    "posted_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
    _bulk(store, deliveries, ledger)
    _bulk(
        store,
        votes,
        [
            {
                "platform": "slack",
                "workspace": f"W{c % workspaces:03d}",
                "channel": f"C{c:04d}",
                "tip_id": f"tip-{(c + DAYS - 1 - v) % 300}",
                "member": f"U{v:05d}",
                "kind": ("useful", "not_useful", "knew_it")[v % 3],
                "admin": False,
                "at": naive,
            }
            for c in range(channels)
            for v in range(20)
        ],
    )


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run(kind: str, requests: int, channels: int, workspaces: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, Path(tmp)) as store:
        t0 = time.perf_counter()
        fill(store, requests, channels, workspaces)
        filled = time.perf_counter() - t0
        since = NOW - timedelta(days=30)

        def top() -> None:
            store.top_tip_requests("slack", "W001", "request", since, 10)
            store.top_tip_requests("slack", "W001", "unanswered", since, 10)

        listed = store.top_tip_requests("slack", "W001", "request", since, 10)
        page = store.channel_posts("slack", "W001", "C0001", 6)
        assert len(page) == 6 and any(p.useful for p in page), "votes joined"
        t_top = median_ms(top, repeat)
        t_first = median_ms(lambda: store.channel_posts("slack", "W001", "C0001", 6), repeat)
        t_deep = median_ms(
            lambda: store.channel_posts("slack", "W001", "C0001", 6, offset=300), repeat
        )
        t0 = time.perf_counter()
        exported = sum(1 for _ in store.export_posts(statuses=FINAL_STATUSES))
        t_export = time.perf_counter() - t0
        print(
            f"{kind:8} {requests} requests, {channels * DAYS} posts, {channels * 20} votes "
            f"(filled in {filled:.1f} s): requests {t_top:.1f} ms "
            f"(top of {listed[0].members} members), history first page {t_first:.1f} ms, "
            f"page 51 {t_deep:.1f} ms, export of {exported} rows {t_export:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.db.split(","):
        run(kind.strip(), args.requests, args.channels, args.workspaces, args.repeat)


if __name__ == "__main__":
    main()
