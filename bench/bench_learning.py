"""What the learning rules cost per daily pick, for a channel at the history cap.

    python -m bench.bench_learning                       # 2,000 tips, 5,000 shown, 2,000 votes
    python -m bench.bench_learning --tips 500 --votes 0

Prints the median time of `learning.choose_daily` beside `picker.pick` (what a channel without
the learning rules costs) over the same candidates and history. The history is 5,000 showings
because the store reads at most that many per channel. Figures, not a timed test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bot.core.corpus import Tip
from bot.core.learning import choose_daily
from bot.core.learning_model import Shown, Vote, VoteKind
from bot.core.picker import pick


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tips", type=int, default=2000)
    ap.add_argument("--history", type=int, default=5000)
    ap.add_argument("--votes", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()

    rng = random.Random(1)
    tips = [Tip(id=f"t{i}", text="", source="s", topics=(f"k{i % 30}",)) for i in range(args.tips)]
    day0 = date(2020, 1, 1)
    history = [
        Shown(f"t{rng.randrange(args.tips)}", day0 + timedelta(i)) for i in range(args.history)
    ]
    kinds = list(VoteKind)
    votes = [
        Vote(
            f"t{rng.randrange(args.tips)}",
            f"m{rng.randrange(50)}",
            rng.choice(kinds),
            rng.random() < 0.05,
            datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(args.history)),
        )
        for _ in range(args.votes)
    ]
    today = day0 + timedelta(args.history)
    ids = [t.id for t in tips]
    ids_shown = [s.tip_id for s in history]

    def timed(f: Callable[[int], object]) -> float:
        runs = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            f(i)
            runs.append(time.perf_counter() - t0)
        return statistics.median(runs) * 1000

    learn = timed(lambda i: choose_daily(tips, history, votes, [], today, random.Random(i)))
    plain = timed(lambda i: pick(ids, ids_shown, random.Random(i)))
    print(
        f"{args.tips} tips, {args.history} shown, {args.votes} votes: "
        f"choose_daily {learn:.1f} ms, picker.pick {plain:.1f} ms (median of {args.runs})"
    )


if __name__ == "__main__":
    main()
