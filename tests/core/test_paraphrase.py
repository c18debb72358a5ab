"""Questions in anyone's words (tests/relevance/paraphrase.yaml, issue 11): questions that share
no word with the tip that answers them, kubectl short names and joined words find it, and
out-of-corpus questions still get nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.relevance import ID_PREFIX, Report, evaluate, in_process
from tests.core_support import ROOT, engine

PARAPHRASE = ROOT / "tests" / "relevance" / "paraphrase.yaml"
PARAPHRASE_HOLDOUT = ROOT / "tests" / "relevance" / "paraphrase_holdout.yaml"
# Written after the first two, before the concepts were broadened, and measured once at the end.
PARAPHRASE_FRESH = ROOT / "tests" / "relevance" / "paraphrase_fresh.yaml"
# Written by another helper before its own tuning; measured, not tuned on by answers11 (who
# had read its first 43 questions before adding concepts).
PARAPHRASE_FRESH2 = ROOT / "tests" / "relevance" / "paraphrase_fresh2.yaml"
# Questions sharing no content word with the tip graded 2, written and committed before the
# answers11 tuning (0.425 then, 0.412 with the one question replaced later as a duplicate;
# nothing found for 5 of 6); a development set since.
PARAPHRASE_FRESH3 = ROOT / "tests" / "relevance" / "paraphrase_fresh3.yaml"
NDCG_FLOOR = 0.90


def _queries(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["queries"])


@pytest.fixture(scope="module")
def report() -> Report:
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips, PARAPHRASE)
    print("\n" + "\n".join(result.lines()))
    return result


@pytest.mark.parametrize(
    ("path", "questions", "none"),
    [
        (PARAPHRASE, 40, 8),
        (PARAPHRASE_HOLDOUT, 15, 4),
        (PARAPHRASE_FRESH, 35, 6),
        (PARAPHRASE_FRESH2, 50, 7),
        (PARAPHRASE_FRESH3, 50, 5),
    ],
)
def test_paraphrase_sets_are_big_enough_and_refer_to_real_tips(
    path: Path, questions: int, none: int
) -> None:
    """Each set has enough questions and out-of-corpus queries, each judgment names a real tip."""
    queries = _queries(path)
    kinds = [str(q["kind"]) for q in queries]
    assert kinds.count("question") >= questions and kinds.count("none") >= none
    assert set(kinds) == {"question", "none"}
    corpus = engine().corpus
    for q in queries:
        for tip_id, grade in (q.get("relevant") or {}).items():
            assert ID_PREFIX + tip_id in corpus.by_id, q
            assert grade in (1, 2)
        assert (q["kind"] == "none") == (not q.get("relevant")), q
    assert len({str(q["q"]).lower() for q in queries}) == len(queries), "duplicate queries"


def test_questions_in_other_words_meet_the_ndcg_floor(report: Report) -> None:
    """nDCG@5 over the paraphrased questions is at least 0.90 (0.33 before topic concepts, 0.87
    with them, 0.89 with partial and synonym matches and everyday words, 0.911 with the
    answers11 concepts and expansions): a floor."""
    assert report.all_ndcg() >= NDCG_FLOOR, "\n".join(report.lines() + report.failures)


def test_out_of_corpus_questions_still_get_nothing(report: Report) -> None:
    """Every kind: none query of the paraphrase set: `search` is empty and `tip` is None."""
    assert report.none_ok and all(report.none_ok), report.failures


def test_the_holdout_sets_are_disjoint_from_the_tuning_set() -> None:
    """paraphrase_holdout.yaml and paraphrase_fresh.yaml ask nothing paraphrase.yaml or each
    other asks: they measure generalisation."""
    tuned = {str(q["q"]).lower() for q in _queries(PARAPHRASE)}
    held = {str(q["q"]).lower() for q in _queries(PARAPHRASE_HOLDOUT)}
    fresh = {str(q["q"]).lower() for q in _queries(PARAPHRASE_FRESH)}
    assert not tuned & held and not fresh & (tuned | held)


def test_the_paraphrase_holdout_does_not_regress() -> None:
    """On paraphrase_holdout.yaml (0.33 before concepts, 0.76 when they were added, 0.84 with
    partial and synonym matches and everyday words; a development set since) nDCG@5 stays at
    least 0.88 (0.896 today) and every out-of-corpus query gets nothing: a guard against
    regressions, not a target to tune towards."""
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips, PARAPHRASE_HOLDOUT)
    assert result.all_ndcg() >= 0.88, "\n".join(result.lines() + result.failures)
    assert result.none_ok and all(result.none_ok), result.failures


def test_the_fresh_paraphrase_set_does_not_regress() -> None:
    """On paraphrase_fresh.yaml (written before the concepts were broadened, never tuned on:
    0.676 before, 0.729 after, measured once each; 0.811 since) nDCG@5 stays at least 0.80 and
    every out-of-corpus query gets nothing: a guard against regressions, not a target."""
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips, PARAPHRASE_FRESH)
    assert result.all_ndcg() >= 0.80, "\n".join(result.lines() + result.failures)
    assert result.none_ok and all(result.none_ok), result.failures


@pytest.mark.parametrize(
    ("path", "floor"),
    [(PARAPHRASE_FRESH2, 0.70), (PARAPHRASE_FRESH3, 0.85)],
)
def test_the_later_fresh_sets_do_not_regress(path: Path, floor: float) -> None:
    """paraphrase_fresh2.yaml (0.689 before answers11, 0.702 after) and paraphrase_fresh3.yaml
    (0.412 before, 0.861 after; tuned on) keep their nDCG@5 and answer "nothing found" to
    every out-of-corpus question ("fix a leaking kitchen faucet" once found security tips)."""
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips, path)
    assert result.all_ndcg() >= floor, "\n".join(result.lines() + result.failures)
    assert result.none_ok and all(result.none_ok), result.failures


def test_the_fresh3_set_asks_nothing_the_other_sets_ask() -> None:
    """paraphrase_fresh3.yaml repeats no question of the earlier sets."""
    earlier = {
        str(q["q"]).lower()
        for path in (PARAPHRASE, PARAPHRASE_HOLDOUT, PARAPHRASE_FRESH, PARAPHRASE_FRESH2)
        for q in _queries(path)
    }
    fresh3 = {str(q["q"]).lower() for q in _queries(PARAPHRASE_FRESH3)}
    assert not fresh3 & earlier, fresh3 & earlier


def test_the_post_tuning_fresh4_set_does_not_regress() -> None:
    """paraphrase_fresh4.yaml, written after the answers11 tuning and never tuned on (0.343 on
    the code before it, 0.453 after, measured once each), keeps its nDCG@5. Two of its five
    out-of-corpus questions ("docker compose healthcheck syntax", "set up alertmanager email
    routing") are answered today, before and after: only the share is guarded."""
    path = ROOT / "tests" / "relevance" / "paraphrase_fresh4.yaml"
    queries = _queries(path)
    assert sum(q["kind"] == "question" for q in queries) >= 30
    assert not {str(q["q"]).lower() for q in queries} & {
        str(q["q"]).lower() for q in _queries(PARAPHRASE_FRESH3)
    }
    search, tip, tips = in_process()
    result = evaluate(search, tip, tips, path)
    assert result.all_ndcg() >= 0.45, "\n".join(result.lines() + result.failures)
    assert result.mean(result.none_ok) >= 0.6, result.failures
