"""`k8stip quiz`: a question in text or JSON, every question for review, unknown topics."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bot.cli import main
from bot.core import quiz
from tests.core_support import ROOT, engine

QUIZ_KEYS = {"id", "tip_id", "prompt", "choices", "answer", "source", "chapter", "topics"}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("K8STIP_CONFIG", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["quiz", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, _ = _run(capsys, *argv, "--json")
    assert code == 0
    return json.loads(out)


def _assert_question_object(row: dict[str, Any]) -> None:
    assert set(row) >= QUIZ_KEYS
    corpus = engine().corpus
    tip = corpus.by_id[row["tip_id"]]
    assert row["prompt"].count("______") == 1
    assert 3 <= len(row["choices"]) <= 4 and isinstance(row["answer"], int)
    blank_filled = row["prompt"].replace("______", row["choices"][row["answer"]])
    assert blank_filled == tip.text
    assert row["source"] == "Hands-On Kubernetes on Azure, 2nd ed."
    assert row["chapter"] == tip.chapter and row["topics"] == list(tip.topics)


def test_quiz_json_is_one_question_object(capsys: pytest.CaptureFixture[str]) -> None:
    """`quiz --json` prints one object: id, tip_id, prompt, choices, answer, source, chapter,
    topics; the right choice fills the blank back into the tip's text."""
    row = _json(capsys)
    _assert_question_object(row)
    assert quiz.question_by_id(engine().corpus, row["id"]) is not None


def test_quiz_on_a_topic_hides_a_term_of_it(capsys: pytest.CaptureFixture[str]) -> None:
    """A topic given by name, alias or typo is resolved like `tip` resolves it."""
    for name in ("keda", "KEDA", "kedaa"):
        row = _json(capsys, name)
        _assert_question_object(row)
        assert row["term_topic"] == "keda"


def test_quiz_all_json_lists_every_question(capsys: pytest.CaptureFixture[str]) -> None:
    """`quiz --all --json` is the array of every question the corpus yields, for review."""
    rows = _json(capsys, "--all")
    assert rows == [q.to_json() for q in quiz.all_questions(engine().corpus)]
    assert len(rows) >= 30
    for row in rows:
        _assert_question_object(row)
    aks = _json(capsys, "aks", "--all")
    assert aks and all("aks" in (r["term_topic"], *r["topics"]) for r in aks)
    assert len(aks) < len(rows)


def test_quiz_text_numbers_the_choices_and_cites_the_book(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The text form: the prompt, the choices numbered 1-4, then "— book · chapter"; the
    answer is marked only in the review listing (`--all`), which starts each with its id."""
    code, out, _ = _run(capsys, "helm")
    assert code == 0
    lines = out.splitlines()
    assert "______" in lines[0]
    assert "  1. " in out and "  3. " in out and "  5. " not in out
    assert lines[-1].startswith("  — Hands-On Kubernetes on Azure, 2nd ed. · Ch. ")
    assert "✓" not in out  # a question does not give its answer away
    code, out, _ = _run(capsys, "--all")
    questions = quiz.all_questions(engine().corpus)
    assert code == 0 and out.count("______") == out.count("✓") == len(questions)
    first = questions[0]
    assert out.startswith(f"[{first.id}]\n{first.prompt}\n")
    assert f"  {first.answer + 1}. {first.choices[first.answer]}  ✓\n" in out


def test_an_unknown_topic_suggests_and_json_is_null(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown topic says so with did-you-mean, exit 0; with --json: `null` on stdout."""
    code, out, _ = _run(capsys, "helmm", "chartz", "zzz")
    assert code == 0 and "No topic" in out and "Did you mean" in out
    code, out, err = _run(capsys, "ansible", "--json")
    assert code == 0 and out.strip() == "null" and "No topic “ansible”" in err
    code, out, _ = _run(capsys, "@everyone " + "x" * 10_000)
    assert code == 0 and "No topic" in out and len(out) < 300


def test_a_topic_without_questions_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """Probes' tips all repeat their terms: no question, said plainly; `null` with --json."""
    assert not [q for q in quiz.all_questions(engine().corpus) if quiz.on_topic(q, "probes")]
    code, out, _ = _run(capsys, "probes")
    assert code == 0 and out.strip() == "No tip on Probes makes an unambiguous quiz question yet."
    code, out, _ = _run(capsys, "probes", "--json")
    assert code == 0 and out.strip() == "null"


def test_a_tip_never_loads_the_quiz() -> None:
    """`k8stip tip` starts without importing the quiz modules."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "main(['tip', 'secrets'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('bot.core.quiz')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"
