"""Relevance of search and tip answers on the judged query set (tests/relevance/judged.yaml).

    python -m bench.relevance            # prints nDCG@5, right-first rates, out-of-corpus rate
    python -m bench.relevance --cli      # the same through `k8stip search/tip --json` processes
    python -m bench.relevance --set tests/relevance/topics.yaml --draws 50

Metrics: nDCG@5 with gains 2^grade - 1 over topic, typo and question queries; "right first":
the first search result has grade 2 (topic/typo) or >= 1 (question); "tip relevant": over 5
random draws (seeds 0-4), `tip` returns a tip of grade >= 1; "drawn on topic": over `--draws`
seeded draws per topic or typo request that some tip is truly about (grade 2), the share of
draws that are such a tip; out-of-corpus: `search` returns [] and `tip` returns null.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "tests" / "relevance" / "judged.yaml"
HOLDOUT = ROOT / "tests" / "relevance" / "holdout.yaml"
TOPICS = ROOT / "tests" / "relevance" / "topics.yaml"
ID_PREFIX = "hka-"
TIP_DRAWS = 5  # draws behind "tip relevant", as when the first figures were taken


@dataclass
class Report:
    ndcg: dict[str, list[float]] = field(default_factory=dict)
    first: dict[str, list[bool]] = field(default_factory=dict)
    tip_ok: dict[str, list[bool]] = field(default_factory=dict)
    on_topic: dict[str, list[float]] = field(default_factory=dict)  # share of draws of grade 2
    none_ok: list[bool] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def mean(self, values: list[float] | list[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    def drawn_on_topic(self) -> float:
        """Share of seeded draws, over topic and typo requests, that are truly about the topic."""
        return self.mean([v for k in ("topic", "typo") for v in self.on_topic.get(k, [])])

    def all_ndcg(self) -> float:
        return self.mean([v for vs in self.ndcg.values() for v in vs])

    def lines(self) -> list[str]:
        out = [f"nDCG@5 (topic+typo+question): {self.all_ndcg():.3f}"]
        for kind in self.ndcg:
            drawn = self.on_topic.get(kind)
            out.append(
                f"  {kind:<9} n={len(self.ndcg[kind]):>2}  nDCG@5 {self.mean(self.ndcg[kind]):.3f}"
                f"  right first {100 * self.mean(self.first[kind]):5.1f}%"
                f"  tip relevant {100 * self.mean(self.tip_ok[kind]):5.1f}%"
                + (f"  drawn on topic {100 * self.mean(drawn):5.1f}%" if drawn else "")
            )
        if drawn_all := self.drawn_on_topic():
            out.append(f"  drawn on topic (topic+typo): {100 * drawn_all:5.1f}%")
        out.append(
            f"  none      n={len(self.none_ok):>2}  nothing found "
            f"{100 * self.mean(self.none_ok):5.1f}%"
        )
        return out


def judgments(
    item: dict[str, Any], tips: list[dict[str, Any]], prefix: str = ID_PREFIX
) -> dict[str, int]:
    if "topic" in item:
        t = item["topic"]
        return {
            tip["id"]: (2 if tip["topics"][0] == t else 1) for tip in tips if t in tip["topics"]
        }
    return {prefix + k: int(v) for k, v in (item.get("relevant") or {}).items()}


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 5) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


Searcher = Callable[[str], list[str]]
Tipper = Callable[[str, int], str | None]


def evaluate(
    search: Searcher,
    tip: Tipper,
    tips: list[dict[str, Any]],
    judged: Path = JUDGED,
    draws: int = TIP_DRAWS,
    prefix: str = ID_PREFIX,
) -> Report:
    data = yaml.safe_load(judged.read_text(encoding="utf-8"))
    report = Report()
    for item in data["queries"]:
        q, kind = item["q"], item["kind"]
        ranked = search(q)
        if kind == "none":
            ok = not ranked and tip(q, 0) is None
            report.none_ok.append(ok)
            if not ok:
                report.failures.append(f"none: {q!r} -> {ranked[:3]}")
            continue
        grades = judgments(item, tips, prefix)
        nd = ndcg_at(ranked, grades)
        # A topic request is answered first by a tip that is mainly about it, when one exists.
        need = 2 if kind in ("topic", "typo") and 2 in grades.values() else 1
        first_ok = bool(ranked) and grades.get(ranked[0], 0) >= need
        drawn = [tip(q, seed) for seed in range(max(draws, TIP_DRAWS))]
        tip_ok = all(d is not None and grades.get(d, 0) >= 1 for d in drawn[:TIP_DRAWS])
        report.ndcg.setdefault(kind, []).append(nd)
        report.first.setdefault(kind, []).append(first_ok)
        report.tip_ok.setdefault(kind, []).append(tip_ok)
        on_topic = 1.0
        if kind in ("topic", "typo") and 2 in grades.values():
            on_topic = sum(d is not None and grades.get(d, 0) == 2 for d in drawn) / len(drawn)
            report.on_topic.setdefault(kind, []).append(on_topic)
        if nd < 0.8 or not first_ok or not tip_ok or on_topic < 1.0:
            report.failures.append(
                f"{kind}: {q!r} nDCG {nd:.2f} first={ranked[:1]} "
                f"grade={grades.get(ranked[0], 0) if ranked else '-'} tips_ok={tip_ok}"
                f" on_topic={on_topic:.2f}"
            )
    return report


def in_process(corpus: list[Path] | None = None) -> tuple[Searcher, Tipper, list[dict[str, Any]]]:
    from bot.core.engine import Engine

    engine = Engine.from_paths(corpus or [ROOT / "tips"], use_cache=corpus is None)
    tips = [{"id": t.id, "topics": list(t.topics)} for t in engine.corpus.tips]

    def search(q: str) -> list[str]:
        return [h.tip.id for h in engine.search(q, limit=5).hits]

    def tip(q: str, seed: int) -> str | None:
        answer = engine.tip(q, rng=random.Random(seed))
        return answer.tip.id if answer.tip else None

    return search, tip, tips


def via_cli() -> tuple[Searcher, Tipper, list[dict[str, Any]]]:
    def run(*args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return json.loads(out.stdout)

    from bot.core.loader import load_corpus

    tips = [{"id": t.id, "topics": list(t.topics)} for t in load_corpus([ROOT / "tips"]).tips]

    def search(q: str) -> list[str]:
        return [r["id"] for r in run("search", "--json", "--limit", "5", "--", q)]

    def tip(q: str, seed: int) -> str | None:
        # The CLI draws from the system random source; seeds only apply in-process.
        r = run("tip", "--json", "--", q)
        return r["id"] if r else None

    return search, tip, tips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", action="store_true", help="go through k8stip processes")
    parser.add_argument("--set", default=str(JUDGED), help="judged query file")
    parser.add_argument(
        "--draws", type=int, default=50, help="seeded `tip` draws per request for drawn on topic"
    )
    parser.add_argument(
        "--corpus",
        action="append",
        type=Path,
        help="tip files or folders instead of tips/ (tips/topics.yaml is added); in-process only",
    )
    parser.add_argument("--id-prefix", default=ID_PREFIX, help="prefix of the set's tip ids")
    args = parser.parse_args()
    corpus = [ROOT / "tips" / "topics.yaml", *args.corpus] if args.corpus else None
    search, tip, tips = via_cli() if args.cli else in_process(corpus)
    report = evaluate(search, tip, tips, Path(args.set), draws=args.draws, prefix=args.id_prefix)
    print("\n".join(report.lines()))
    for f in report.failures:
        print("  miss:", f)


if __name__ == "__main__":
    main()
