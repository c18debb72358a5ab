"""Speed and memory of search and tip requests (prints figures; not a test).

    python -m bench.speed              # seed corpus + a generated corpus of 100,000 tips
    python -m bench.speed --tips 20000 # a smaller generated corpus

Reports in-process p50/p99 of `search` and `tip` over a mix of judged queries, the time to
load and index the generated corpus, peak memory (ru_maxrss of a fresh process that loads it),
and the median wall time of `k8stip tip secrets` as a fresh process beside `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
QUERIES = [
    q["q"] for q in yaml.safe_load((ROOT / "tests/relevance/judged.yaml").read_text())["queries"]
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.99))]


def time_requests(engine: object, rounds: int) -> None:
    from bot.core.engine import Engine

    assert isinstance(engine, Engine)
    rng = random.Random(1)
    for name, fn in (
        ("search", lambda q: engine.search(q, limit=5)),
        ("tip", lambda q: engine.tip(q, rng=rng)),
    ):
        samples = []
        for _ in range(rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                fn(q)
                samples.append((time.perf_counter() - t0) * 1000)
        p50, p99 = percentiles(samples)
        print(f"  {name:<6} n={len(samples):>6}  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms")


def generate(n: int, path: Path) -> None:
    """A corpus of n tips made of the seed's own sentences' words, shuffled."""
    from bot.core.loader import load_corpus

    seed = load_corpus([ROOT / "tips"])
    words = [w for t in seed.tips for w in t.text.split()]
    topic_ids = list(seed.topics)
    rng = random.Random(42)
    tips = []
    for i in range(n):
        length = rng.randint(12, 60)
        start = rng.randrange(len(words) - length)
        text = " ".join(words[start : start + length]) + f" (generated {i})."
        tips.append(
            {
                "id": f"gen-{i:06d}",
                "chapter": {"number": i % 20 + 1, "title": "Generated"},
                "text": text,
                "topics": rng.sample(topic_ids, rng.randint(1, 3)),
                "links": [],
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "source": {"id": "generated", "title": "Generated corpus", "authors": ["bench"]},
        "tips": tips,
    }
    path.write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, width=200))
    (path.parent / "topics.yaml").write_text((ROOT / "tips/topics.yaml").read_text())


LOAD_SNIPPET = """
import resource, sys, time
t0 = time.perf_counter()
from bot.core.engine import Engine
engine = Engine.from_paths([sys.argv[1]])
t1 = time.perf_counter()
print(len(engine.corpus.tips), len(engine.corpus.errors), round(t1 - t0, 3),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def fresh_process_times(runs: int) -> None:
    def median(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    base = median([sys.executable, "-c", "pass"])
    tip = median([sys.executable, "-m", "bot", "tip", "secrets"])
    print(
        f"fresh process, median of {runs}: `python -c pass` {base:.3f} s, "
        f"`k8stip tip secrets` {tip:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tips", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from bot.core.engine import Engine

    print(f"python {sys.version.split()[0]}")
    seed = Engine.from_paths([ROOT / "tips"])
    print(f"seed corpus ({len(seed.corpus.tips)} tips), {len(QUERIES)} queries x {args.rounds}:")
    time_requests(seed, args.rounds)
    fresh_process_times(21)

    path = OUT / f"generated-{args.tips}" / "tips.yaml"
    if not path.exists():
        t0 = time.perf_counter()
        generate(args.tips, path)
        print(f"generated {args.tips} tips in {time.perf_counter() - t0:.1f} s ({path})")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "K8STIP_CACHE_DIR": cache}
        for label in ("cold: YAML parsed, index built, cache written", "warm: from the cache"):
            out = subprocess.run(
                [sys.executable, "-c", LOAD_SNIPPET, str(path.parent)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            print(
                f"generated corpus, {label}: {out[0]} tips ({out[1]} errors) loaded and "
                f"indexed in {out[2]} s, peak RSS {out[3]} MB (fresh process)"
            )
    big = Engine.from_paths([path.parent], use_cache=False)
    print(f"generated corpus ({len(big.corpus.tips)} tips), {len(QUERIES)} queries x 3:")
    time_requests(big, 3)
    print(f"this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
