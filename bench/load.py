"""Cold and warm corpus loads, PyYAML-and-loop (before issue 10) beside rapidyaml-and-numpy.

    python -m bench.load               # the bundled corpus and 100,000 generated tips
    python -m bench.load --tips 20000 --runs 1

Each load is a fresh process doing `Engine.from_paths(...)` with K8STIP_CACHE_DIR pointing
at an empty folder (cold), then again with the cache it wrote (warm); it prints the wall time
and its peak RSS (ru_maxrss). The two paths run alternately in the same run, so a busy
machine slows both alike: compare the ratio. "before" is this checkout with the fast paths
switched off (PyYAML's C loader for every file, the Python loop for the postings).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.speed import OUT, ROOT, generate

SNIPPET = """
import resource, sys, time
t0 = time.perf_counter()
from bot.core import postings, yaml_load
if sys.argv[2] == "before":
    yaml_load.FAST_MIN_CHARS = 1 << 62
    postings.NUMPY_FROM_TIPS = 1 << 62
from bot.core.engine import Engine
engine = Engine.from_paths([sys.argv[1]])
print(len(engine.corpus.tips), round(time.perf_counter() - t0, 3),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def load(path: Path, mode: str, cache: str) -> tuple[int, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET, str(path), mode],
        cwd=ROOT,
        env={**os.environ, "K8STIP_CACHE_DIR": cache},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2])


def compare(label: str, path: Path, runs: int) -> None:
    rows: dict[str, list[tuple[int, float, int]]] = {"before": [], "after": [], "warm": []}
    for _ in range(runs):
        for mode in ("before", "after"):
            with tempfile.TemporaryDirectory() as cache:
                rows[mode].append(load(path, mode, cache))
                if mode == "after":
                    rows["warm"].append(load(path, mode, cache))
    print(f"{label} ({rows['after'][0][0]} tips), median of {runs}:")
    med = {m: statistics.median(r[1] for r in rs) for m, rs in rows.items()}
    for mode, text in (
        ("before", "cold, PyYAML + loop index"),
        ("after", "cold, rapidyaml + numpy index"),
        ("warm", "warm, from the engine cache"),
    ):
        peak = max(r[2] for r in rows[mode])
        print(f"  {text:<32} {med[mode]:7.3f} s  peak RSS {peak:5d} MB")
    print(f"  cold before/after: {med['before'] / med['after']:.1f}x")


def tip_secrets(runs: int) -> None:
    """`k8stip tip secrets` as a fresh process, this checkout beside /work/main's, alternately."""
    main = Path(os.environ.get("K8STIP_MAIN", "/work/main"))
    times: dict[str, list[float]] = {"main": [], "this": []}
    for _ in range(runs):
        for name, cwd in (("main", main), ("this", ROOT)):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "tip", "secrets"],
                cwd=cwd,
                check=True,
                capture_output=True,
            )
            times[name].append(time.perf_counter() - t0)
    m, t = statistics.median(times["main"]), statistics.median(times["this"])
    print(
        f"`k8stip tip secrets`, fresh process, median of {runs}: {main} {m:.3f} s, this {t:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tip_secrets(21)
    compare("bundled corpus", ROOT / "tips", max(args.runs, 5))
    path = OUT / f"generated-{args.tips}" / "tips.yaml"
    if not path.exists():
        generate(args.tips, path)
    compare("generated corpus", path.parent, args.runs)


if __name__ == "__main__":
    main()
