"""Relevance on the judged query set (tests/relevance/judged.yaml): the issue's quality bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
import yaml

from bench.relevance import HOLDOUT, ID_PREFIX, JUDGED, Report, evaluate, in_process
from tests.core_support import ROOT, engine

NDCG_TARGET = 0.97
RIGHT_FIRST_TARGET = 0.98


@pytest.fixture(scope="module")
def report() -> Report:
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips)
    print("\n" + "\n".join(result.lines()))
    for miss in result.failures:
        print("  miss:", miss)
    return result


def _judged() -> list[dict[str, Any]]:
    return list(yaml.safe_load(JUDGED.read_text(encoding="utf-8"))["queries"])


def test_judged_set_is_big_enough_and_refers_to_real_tips() -> None:
    """The judged set has >= 40 queries of every kind, and every judgment names a real tip/topic."""
    queries = _judged()
    kinds = Counter(str(q["kind"]) for q in queries)
    assert len(queries) >= 40
    assert {"topic", "typo", "question", "none"} <= set(kinds)
    assert kinds["none"] >= 2 and kinds["question"] >= 10
    corpus = engine().corpus
    for q in queries:
        if "topic" in q:
            assert q["topic"] in corpus.topics, q
        for tip_id, grade in (q.get("relevant") or {}).items():
            assert ID_PREFIX + tip_id in corpus.by_id, q
            assert grade in (1, 2)
    assert len({str(q["q"]).lower() for q in queries}) == len(queries), "duplicate queries"


def test_ndcg_at_5_meets_the_target(report: Report) -> None:
    """nDCG@5 over topic, typo and question queries is at least 0.97 (0.978 today)."""
    assert report.all_ndcg() >= NDCG_TARGET, "\n".join(report.lines() + report.failures)


def test_topic_requests_get_a_right_tip_first(report: Report) -> None:
    """A tip mainly about the topic comes first for >= 98% of topic and typo requests."""
    firsts = report.first["topic"] + report.first["typo"]
    assert report.mean(report.first["topic"]) >= RIGHT_FIRST_TARGET, report.failures
    assert report.mean(firsts) >= RIGHT_FIRST_TARGET, report.failures


def test_topic_requests_always_draw_a_relevant_tip(report: Report) -> None:
    """Every random `tip` draw for a topic or typo request is a tip carrying that topic."""
    assert report.mean(report.tip_ok["topic"] + report.tip_ok["typo"]) == 1.0, report.failures


def test_out_of_corpus_queries_find_nothing(report: Report) -> None:
    """Every out-of-corpus query gets no search results and no tip (100%)."""
    assert report.none_ok and all(report.none_ok), report.failures


def test_holdout_out_of_corpus_queries_find_nothing() -> None:
    """On the held-out set too, out-of-corpus queries get nothing; its figures are printed."""
    search, tip, tips = in_process()
    holdout = evaluate(search, tip, tips, HOLDOUT)
    print("\nholdout:\n" + "\n".join(holdout.lines()))
    assert holdout.none_ok and all(holdout.none_ok), holdout.failures


def test_cli_search_returns_the_same_ids_as_in_process() -> None:
    """`k8stip search --json` in a fresh process ranks the same tips as the engine in-process."""
    e = engine()
    env = {k: v for k, v in os.environ.items() if k != "K8STIP_CONFIG"}
    for query in ("secrets", "cluster role binding", "pods get no requests from their service"):
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "search", "--json", "--limit", "5", "--", query],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=60,
            check=True,
        )
        from_cli = [row["id"] for row in json.loads(proc.stdout)]
        assert from_cli == [h.tip.id for h in e.search(query, limit=5).hits]
        assert from_cli
