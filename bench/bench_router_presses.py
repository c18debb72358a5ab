"""Router benchmark: 1,000 members press a feedback button, or a quiz choice, on one card.

The real `Router` on a real store (SQLite file or PostgreSQL): each press is an `Invocation`
as an adapter makes it (`vote useful <tip>`, `quiz-answer <question> <i>`), handled as the
runtime handles it (store calls in worker threads). The presses arrive spread over `--seconds`
(default 60: "within a minute"), every member pressing twice (a double click). Prints, per
kind of press, the acknowledgement latency of `Router.handle` (p50, p99, max) and whether the
store ends with one vote or one answer per member. Platform I/O is the adapters' share; see
`bench_slack_presses.py` for Slack's whole path.

    PYTHONPATH=. python bench/bench_router_presses.py [--members N] [--seconds S]
        [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONFIG = config_from_mapping({"rate_limit": {"commands_per_minute": 0}})


@contextmanager
def store_of(kind: str) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, Path(tmp)) as store:
        yield store


async def presses(router: Router, texts: list[tuple[str, str]], seconds: float) -> list[float]:
    """Handle each (member, text) at its own moment within `seconds`; the latencies, in ms."""
    gap = seconds / max(1, len(texts))
    latencies: list[float] = []

    async def press(delay: float, member: str, text: str) -> None:
        await asyncio.sleep(delay)
        t0 = time.perf_counter()
        await router.handle(Invocation("slack", "T1", "C1", member, text, False, member, "m1"))
        latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(press(i * gap, m, t) for i, (m, t) in enumerate(texts)))
    return latencies


def report(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"{name}: n={len(ms)} p50={q[49]:.1f} ms p99={q[98]:.1f} ms max={max(ms):.1f} ms"


async def run(kind: str, members: int, seconds: float) -> None:
    engine = Engine.from_paths([ROOT / "tips"], use_cache=False)
    with store_of(kind) as store:
        router = Router(engine, store, CONFIG, FakeClock(NOW), random.Random(1))
        tip = engine.corpus.tips[0].id
        people = [f"U{i:04d}" for i in range(members)]
        votes = [(m, f"vote useful {tip}") for m in people for _ in range(2)]
        random.Random(2).shuffle(votes)
        ms = await presses(router, votes, seconds)
        stored = len(store.channel_votes("slack", "T1", "C1"))
        print(f"[{kind}] {report('vote', ms)}; votes stored {stored} of {members} members")

        quiz = await router.handle(Invocation("slack", "T1", "C1", "U0", "quiz", True, "", ""))
        assert quiz.quiz is not None
        qid = quiz.quiz.question_id
        answers = [(m, f"quiz-answer {qid} {i % 3}") for i, m in enumerate(people) for _ in (0, 1)]
        random.Random(3).shuffle(answers)
        ms = await presses(router, answers, seconds)
        posting = store.find_quiz_posting("slack", "T1", "C1", qid)
        assert posting is not None
        answered, _ = store.quiz_tally(posting.id)
        print(f"[{kind}] {report('quiz-answer', ms)}; answers stored {answered} of {members}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.db.split(","):
        asyncio.run(run(kind, args.members, args.seconds))


if __name__ == "__main__":
    main()
