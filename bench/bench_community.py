"""Community tips benchmark: what keeping every replica's corpus current costs.

Prints, per database, the latency of the version check a command makes at most every 2 s
(`Store.community_version`: p50, p99), and the time to rebuild the engine once a tip was
approved (read the community tips, merge them, index the corpus), for the bundled corpus and
for a synthetic one of `--tips` file tips.

    PYTHONPATH=. python bench/bench_community.py [--tips N] [--community N]
        [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.store import Store
from tests.core_support import TIPS_DIR
from tests.fakes.databases import fresh_store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORDS = (
    "pod node secret volume probe ingress service rollout replica label taint toleration "
    "quota limit request namespace role binding account token helm chart cluster kubelet "
    "scheduler affinity autoscaler deployment statefulset daemonset job cronjob configmap"
).split()


def synthetic(folder: Path, n: int) -> Path:
    rng = random.Random(7)
    tips = [
        {
            "id": f"syn-{i}",
            "text": " ".join(rng.choice(WORDS) for _ in range(25)) + f" ({i}).",
            "topics": ["pods"],
        }
        for i in range(n)
    ]
    path = folder / "synthetic.yaml"
    path.write_text(
        yaml.safe_dump({"source": {"id": "syn", "title": "Synthetic"}, "tips": tips}),
        encoding="utf-8",
    )
    return path


def approve(store: Store, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        text = f"Community tip number {i}: drain the node before you upgrade the kubelet."
        s = store.add_suggestion("slack", "T1", "C1", f"U{i}", "Ana", text, ("pods",), NOW, 5)
        store.approve_suggestion(s.id, "UA", "Bo", NOW)


def run(kind: str, corpora: dict[str, list[Path]], community: int) -> None:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        store = stack.enter_context(fresh_store(kind, tmp))
        approve(store, community)
        checks = []
        for _ in range(300):
            t = time.perf_counter()
            store.community_version()
            checks.append(time.perf_counter() - t)
        q = statistics.quantiles(checks, n=100)
        print(f"{kind}: version check p50 {q[49] * 1e3:.2f} ms, p99 {q[98] * 1e3:.2f} ms")
        for name, paths in corpora.items():
            base = Engine.from_paths(paths, use_cache=False)
            live = CommunityEngine(base, store)
            live.refresh_blocking()
            approve(store, 1, start=community + len(name))  # one more approval
            t = time.perf_counter()
            live.refresh_blocking()
            took = time.perf_counter() - t
            print(
                f"{kind}: {name}: {len(base.corpus.tips)} file tips + "
                f"{len(live.corpus.tips) - len(base.corpus.tips)} community tips, "
                f"rebuild after an approval {took * 1e3:.0f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tips", type=int, default=20_000)
    parser.add_argument("--community", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpora = {
            "bundled": [TIPS_DIR],
            f"synthetic {args.tips}": [
                TIPS_DIR / "topics.yaml",
                synthetic(Path(folder), args.tips),
            ],
        }
        for kind in args.db.split(","):
            run(kind, corpora, args.community)


if __name__ == "__main__":
    main()
