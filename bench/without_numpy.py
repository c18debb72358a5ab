"""What a large corpus costs without the optional numpy (`k8stip[fast]`), in fresh processes.

    python -m bench.without_numpy                  # 100,000 generated tips, 3 runs
    python -m bench.without_numpy --tips 20000 --runs 5

For each run, alternately with numpy and with `import numpy` made to fail (as when the extra
isn't installed): a cold load (`Engine.from_paths`, no cache: YAML parsed, index built), then
a warm one from the engine cache it wrote, then the judged queries' search latency (p50/p99 over
`--rounds`). The bundled corpus (under 20,000 tips) never imports numpy either way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from bench.speed import OUT, QUERIES, ROOT, generate

SNIPPET = """
import json, resource, sys, time
if sys.argv[2] == "without":
    sys.modules["numpy"] = None
t0 = time.perf_counter()
from bot.core.engine import Engine
engine = Engine.from_paths([sys.argv[1]])
load = time.perf_counter() - t0
queries = json.loads(sys.argv[3])
times = []
for _ in range(int(sys.argv[4])):
    for q in queries:
        t = time.perf_counter()
        engine.search(q, 5)
        times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"tips": len(engine.corpus.tips), "load": load,
    "numpy": "numpy" in sys.modules and sys.modules["numpy"] is not None,
    "p50": times[len(times) // 2], "p99": times[int(len(times) * 0.99)],
    "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def run(path: str, mode: str, cache: str, rounds: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET, path, mode, json.dumps(QUERIES), str(rounds)],
        cwd=ROOT,
        env={**os.environ, "K8STIP_CACHE_DIR": cache},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = OUT / f"generated-{args.tips}" / "tips.yaml"
    if not path.exists():
        generate(args.tips, path)
    rows: dict[str, list[dict[str, float]]] = {}
    for n in range(args.runs):
        for mode in ("with", "without"):
            with tempfile.TemporaryDirectory() as cache:
                for state in ("cold", "warm"):  # warm: from the cache the cold load wrote
                    r = run(str(path.parent), mode, cache, args.rounds)
                    rows.setdefault(f"{mode} numpy, {state}", []).append(r)
                    print(f"  run {n + 1}, {mode} numpy, {state}: {json.dumps(r)}", flush=True)
    tips = rows["with numpy, cold"][0]["tips"]
    print(f"{tips} tips, {len(QUERIES)} queries x {args.rounds}, median of {args.runs} runs:")
    for label, rs in rows.items():
        load = statistics.median(r["load"] for r in rs)
        p50 = statistics.median(r["p50"] for r in rs) * 1000
        p99 = statistics.median(r["p99"] for r in rs) * 1000
        peak = max(r["rss"] for r in rs)
        used = "numpy imported" if all(r["numpy"] for r in rs) else "no numpy"
        print(
            f"  {label:<20} load {load:6.2f} s  search p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            f"  peak RSS {peak:4.0f} MB  ({used})"
        )


if __name__ == "__main__":
    main()
