"""Review page benchmark, store only: how long the web console's `/review` waits on the
database when it is full, beside the chat command's read of one workspace.

Fills a fresh store with `--requests` tip_requests rows (60 days, `--workspaces` workspaces,
2,000 keys, 5,000 members; half requests, half unanswered; each key asked in many
workspaces) and
`--suggestions` suggestions (one in ten pending, the rest decided). Then times, per database,
side by side: the page's requests list over every workspace (`asked_for_everywhere`, 50 rows)
and `/k8stip requests`' two reads of one workspace (`top_tip_requests`, 10 rows each), and
the queue's reads (`pending_suggestions` 100, `decided_suggestions` 20). Prints the median of
`--repeat` runs.

    PYTHONPATH=. python bench/bench_review.py [--requests N] [--suggestions N]
        [--workspaces N] [--repeat N] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_requests import KEYS, MEMBERS, NOW, _bulk, median_ms
from bot.runtime.store import Store
from bot.runtime.store.schema import suggestions, tip_requests
from tests.fakes.databases import fresh_store


def fill(store: Store, requests: int, suggested: int, workspaces: int) -> None:
    naive = NOW.replace(tzinfo=None)
    _bulk(
        store,
        tip_requests,
        [
            {
                "platform": "slack",
                # i // 3: a key's asks fall in many workspaces (i % 50 would keep each key in
                # one, as 50 divides the 2,000 keys' cycle).
                "workspace": f"W{(i // 3) % workspaces:03d}",
                "channel": f"C{i % 200:04d}",
                "member": f"U{(i * 7919) % MEMBERS:05d}",
                "kind": "request" if i % 2 else "unanswered",
                "query": f"Topic {(i * 31) % KEYS} words",
                "key": f"topic {(i * 31) % KEYS} words",
                "at": naive - timedelta(minutes=(i * 37) % (60 * 24 * 60)),
            }
            for i in range(requests)
        ],
    )
    _bulk(
        store,
        suggestions,
        [
            {
                "platform": "slack",
                "workspace": f"W{i % workspaces:03d}",
                "channel": "C0001",
                "member": f"U{i % MEMBERS:05d}",
                "member_name": f"Member {i}",
                "text": f"Suggested tip number {i} says something about Kubernetes.",
                "topics": "rbac",
                "status": "pending" if i % 10 == 0 else ("approved", "rejected")[i % 2],
                "created_at": naive - timedelta(minutes=i),
                "decided_by": None if i % 10 == 0 else "U1",
                "decided_by_name": None if i % 10 == 0 else "Ana",
                "decided_at": None if i % 10 == 0 else naive - timedelta(seconds=i),
                "reason": None,
                "tip_id": None,
            }
            for i in range(suggested)
        ],
    )


def run(kind: str, requests: int, suggested: int, workspaces: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, Path(tmp)) as store:
        t0 = time.perf_counter()
        fill(store, requests, suggested, workspaces)
        filled = time.perf_counter() - t0
        since = NOW - timedelta(days=30)

        def one_workspace() -> None:
            store.top_tip_requests("slack", "W001", "request", since, 10)
            store.top_tip_requests("slack", "W001", "unanswered", since, 10)

        everywhere = store.asked_for_everywhere(since, 50)
        assert len(everywhere) == 50 and everywhere[0].workspaces > 1, "aggregated"
        t_all = median_ms(lambda: store.asked_for_everywhere(since, 50), repeat)
        t_one = median_ms(one_workspace, repeat)
        t_pending = median_ms(lambda: store.pending_suggestions(100), repeat)
        t_decided = median_ms(lambda: store.decided_suggestions(20), repeat)
        print(
            f"{kind:8} {requests} requests, {suggested} suggestions (filled in {filled:.1f} s): "
            f"every workspace {t_all:.1f} ms, one workspace (chat) {t_one:.1f} ms, "
            f"ratio {t_all / t_one:.1f}x; pending {t_pending:.1f} ms, decided {t_decided:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--suggestions", type=int, default=5_000)
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.db.split(","):
        run(kind.strip(), args.requests, args.suggestions, args.workspaces, args.repeat)


if __name__ == "__main__":
    main()
