"""Tips page benchmark: the admin console's corpus browser over a busy database.

Fills a fresh store with `--rows` daily deliveries (2,000 channels, most sent), as many votes,
a tenth as many quiz questions and three answers to each, over a synthetic corpus of `--tips`
tips; serves the real console (aiohttp on 127.0.0.1) and signs in. Then prints, per database,
the median and max over `--repeat` requests of: `/tips` (first page, 50 tips with their
counts), `/tips?q=secrets` (the engine's search, then counts), `/tips/<busiest tip>`, and the
store's `tip_page_counts` for one page alone. Each is measured with the indexes of migration
0007 and again with those before it (0006), side by side with the ratio.

    PYTHONPATH=. python bench/bench_tips_page.py [--rows N] [--tips N] [--repeat N]
        [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.core.engine import Engine
from bot.core.learning_model import VoteKind
from bot.runtime.store import Store
from bot.runtime.store.schema import deliveries, quiz_answers, quiz_postings, votes
from tests.fakes.databases import fresh_store
from tests.fakes.tips import make_corpus
from tests.runtime.web.web_support import NOW, Console, open_console

CHANNELS = 2000
INDEXES = ("ix_deliveries_tip_id_status", "ix_quiz_postings_tip_id", "ix_votes_tip_id_kind")
BATCH = 10_000
Timing = tuple[float, float]  # median and max milliseconds


def fill(store: Store, rows: int, tip_ids: list[str], rng: random.Random) -> str:
    """Write the rows in bulk; return the most posted tip's id."""
    stamp = NOW.replace(tzinfo=None)
    first = date(2025, 1, 1)
    days = -(-rows // CHANNELS)
    posted: dict[str, int] = {}

    def delivery(i: int) -> dict[str, object]:
        ch, day = i % CHANNELS, i // CHANNELS
        tip = rng.choice(tip_ids)
        sent = rng.random() < 0.9
        posted[tip] = posted.get(tip, 0) + sent
        due = datetime.combine(first + timedelta(days=day), datetime.min.time())
        return {
            "subscription_id": ch + 1,
            "platform": "slack",
            "workspace": "T1",
            "channel": f"C{ch:05d}",
            "local_date": first + timedelta(days=day),
            "due_at": due,
            "status": "sent" if sent else "skipped",
            "tip_id": tip,
            "attempts": 1,
            "claims": 1,
            "posted_at": due if sent else None,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def vote(i: int) -> dict[str, object]:
        return {
            "platform": "slack",
            "workspace": "T1",
            "channel": f"C{i % CHANNELS:05d}",
            "tip_id": rng.choice(tip_ids),
            "member": f"U{i:07d}",
            "kind": rng.choice(list(VoteKind)).value,
            "admin": False,
            "at": stamp,
        }

    def posting(i: int) -> dict[str, object]:
        return {
            "id": i + 1,
            "platform": "slack",
            "workspace": "T1",
            "channel": f"C{i % CHANNELS:05d}",
            "qid": f"q{i}",
            "tip_id": rng.choice(tip_ids),
            "term": "term",
            "kind": "daily",
            "local_date": first + timedelta(days=i // CHANNELS % days),
            "posted_at": stamp,
            "revealed": False,
        }

    def answer(i: int) -> dict[str, object]:
        return {
            "posting_id": i // 3 + 1,
            "platform": "slack",
            "workspace": "T1",
            "channel": f"C{i // 3 % CHANNELS:05d}",
            "member": f"U{i % 3}",
            "choice": "x",
            "correct": rng.random() < 0.6,
            "at": stamp,
        }

    postings = rows // 10
    for table, make, n in (
        (deliveries, delivery, rows),
        (votes, vote, rows),
        (quiz_postings, posting, postings),
        (quiz_answers, answer, postings * 3),
    ):
        for start in range(0, n, BATCH):
            with store.engine.begin() as conn:
                conn.execute(insert(table), [make(i) for i in range(start, min(n, start + BATCH))])
    analyze(store)
    return max(posted, key=lambda t: posted[t])


def analyze(store: Store) -> None:
    """Fresh statistics; on PostgreSQL also the visibility map autovacuum would have set,
    without which an index-only scan still reads the table."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE deliveries, votes, quiz_postings, quiz_answers"))
        return
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def drop_indexes(store: Store) -> None:
    """Back to the indexes before migration 0007."""
    with store.engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("CREATE INDEX ix_votes_tip_id ON votes (tip_id)"))
    analyze(store)


async def timed(repeat: int, call: Callable[[], Awaitable[object]]) -> Timing:
    """Median and max milliseconds of `repeat` calls (after one warm-up)."""
    await call()
    took = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await call()
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took), max(took)


async def compare(
    console: Console, tip_ids: list[str], busiest: str, repeat: int
) -> tuple[list[str], list[Timing], list[Timing]]:
    """Each case timed with the indexes of 0007, then again without them."""
    store = console.store

    async def get(path: str) -> None:
        response = await console.client.get(path)
        assert response.status == 200, (path, response.status)
        await response.read()

    async def counts() -> None:
        await asyncio.to_thread(store.tip_page_counts, tip_ids[:50])

    cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("GET /tips", lambda: get("/tips")),
        ("GET /tips?q=secrets", lambda: get("/tips?q=secrets")),
        (f"GET /tips/{busiest}", lambda: get(f"/tips/{busiest}")),
        ("tip_page_counts(50 tips)", counts),
    ]
    with_ix = [await timed(repeat, call) for _, call in cases]
    drop_indexes(store)
    without = [await timed(repeat, call) for _, call in cases]
    return [name for name, _ in cases], with_ix, without


async def measure(kind: str, rows: int, tips: int, repeat: int) -> None:
    engine = Engine(make_corpus(tips))
    tip_ids = [t.id for t in engine.corpus.tips]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        store = stack.enter_context(fresh_store(kind, tmp))
        t0 = time.perf_counter()
        busiest = fill(store, rows, tip_ids, random.Random(7))
        print(
            f"{kind}: {rows:,} deliveries, {rows:,} votes, {rows // 10:,} quiz questions, "
            f"{rows // 10 * 3:,} answers over {tips:,} tips (filled in "
            f"{time.perf_counter() - t0:.1f} s)"
        )
        async for console in open_console(store, engine):
            assert await console.sign_in() == 303
            names, with_ix, without = await compare(console, tip_ids, busiest, repeat)
        print(f"  {'median ms (max)':28} {'with 0007':>18} {'before 0007':>18} {'ratio':>7}")
        for name, (a, a_max), (b, b_max) in zip(names, with_ix, without, strict=True):
            print(f"  {name:28} {a:9.1f} ({a_max:6.1f}) {b:9.1f} ({b_max:6.1f}) {b / a:6.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--tips", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--db", default="sqlite,postgres")
    args = ap.parse_args()
    for kind in args.db.split(","):
        asyncio.run(measure(kind, args.rows, args.tips, args.repeat))


if __name__ == "__main__":
    main()
