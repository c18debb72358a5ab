"""Vote benchmark, store only: 1,000 members press a button on one card at once.

Two `Store`s on one database play two replicas (`--replicas 1`: one); each runs its presses
on a thread pool (as the runtime does with `asyncio.to_thread`). Every member presses twice
(a double click), spread over the replicas. Prints, per database, the latency of one
`record_vote` (p50, p99, max), the wall time, and whether the channel ends with exactly one
vote per member. The whole acknowledgement (adapter, router, reply) is the runtime's to
measure; this is the database's share of it.

    PYTHONPATH=. python bench/bench_votes.py [--members N] [--threads N] [--replicas 1|2]
        [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bot.core.learning_model import VoteKind
from tests.fakes.replicas import two_replicas

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CH = ("sink", "W1", "C1")


def run(kind: str, members: int, threads: int, replicas: int) -> None:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        a, b = stack.enter_context(two_replicas(kind, tmp))
        latencies: list[float] = []

        def press(i: int) -> VoteKind | None:
            store = a if replicas == 1 or i % 2 == 0 else b
            kind_ = (VoteKind.USEFUL, VoteKind.NOT_USEFUL, VoteKind.KNEW_IT)[i % 3]
            t0 = time.perf_counter()
            previous = store.record_vote(*CH, "tip-1", f"U{i:05d}", kind_, False, NOW)
            latencies.append(time.perf_counter() - t0)
            return previous

        presses = [i for i in range(members) for _ in range(2)]  # every member twice
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            replaced = list(pool.map(press, presses))
        wall = time.perf_counter() - started
        votes = a.channel_votes(*CH)
        firsts = sum(1 for r in replaced if r is None)
        q = statistics.quantiles(latencies, n=100)
        print(
            f"{kind:8} {len(presses)} presses by {members} members, {threads} threads, "
            f"{replicas} replica(s): "
            f"p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
            f"max {max(latencies) * 1000:.1f} ms, wall {wall:.2f} s; "
            f"rows {len(votes)} (distinct members {len({v.member for v in votes})}), "
            f"first presses {firsts}"
        )
        if len(votes) != members or firsts != members:
            sys.exit(f"{kind}: lost or doubled votes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--replicas", type=int, choices=(1, 2), default=2)
    ap.add_argument("--db", default="sqlite,postgres")
    args = ap.parse_args()
    for kind in args.db.split(","):
        run(kind, args.members, args.threads, args.replicas)


if __name__ == "__main__":
    main()
