"""Quiz questions: one taxonomy term hidden as ______, and exactly one of 3 or 4 choices right.

The invariants are checked on every question the bundled tips yield and on the corpora the
importers make of the fixture exports, so a new tip or topic that breaks one fails here.
"""

from __future__ import annotations

import functools
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core import quiz
from bot.core.corpus import Corpus, Source, Tip, Topic
from bot.core.loader import load_corpus
from bot.core.quiz import BLANK, Question
from bot.core.replies import ReplyKind, tally_line
from bot.core.textnorm import STOPWORDS, stem
from tests.core_support import ROOT, TIPS_DIR, engine

WORD_RE = re.compile(r"[^\W_]+")
FIXTURES = ROOT / "tests" / "fixtures"
IMPORTED = ("highlights-seed.txt", "kindle-my-clippings.txt", "readwise-export.csv", "notes.md")


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD_RE.findall(text)]


def _stems(text: str) -> list[str]:
    return [stem(w) for w in _words(text)]


def _occurrences(phrase: str, text: str) -> int:
    """Whole-word, case-insensitive occurrences of `phrase` in `text`, any inflection of its
    words (stems), spelled with spaces or hyphens between them."""
    want = _stems(phrase)
    have = _stems(text)
    n = len(want)
    return sum(1 for i in range(len(have) - n + 1) if have[i : i + n] == want)


def _names(corpus: Corpus, topic_id: str) -> list[str]:
    t = corpus.topics[topic_id]
    return [t.id.replace("-", " "), t.title, *t.aliases, *t.keywords]


def _topic_of_label(corpus: Corpus, label: str) -> list[str]:
    key = tuple(_stems(label))
    return [t.id for t in corpus.topics.values() if key in _name_stems(t)]


@functools.cache
def _name_stems(topic: Topic) -> set[tuple[str, ...]]:
    names = [topic.id.replace("-", " "), topic.title, *topic.aliases, *topic.keywords]
    return {tuple(_stems(n)) for n in names}


def _assert_unambiguous(corpus: Corpus, q: Question) -> None:
    tip = corpus.by_id[q.tip_id]
    where = f"{q.id}: {q.prompt!r} {q.choices}"
    # The hidden term stands in the tip once, and no inflection of any of its words elsewhere
    # (words too common to tell anything, such as "kubernetes", may show again).
    assert re.search(rf"(?<![\w-]){re.escape(q.term)}(?![\w-])", tip.text), where
    assert _occurrences(q.term, tip.text) == 1, where
    for raw in _words(q.term):
        word = stem(raw)
        assert _stems(tip.text).count(word) == 1 or raw in STOPWORDS, where
    # The prompt is the tip with that one span blanked, and shows no trace of the term.
    assert q.prompt.count(BLANK) == 1, where
    before, after = q.prompt.split(BLANK)
    assert before + q.term + after == tip.text, where
    assert _occurrences(q.term, q.prompt) == 0, where
    # 3 or 4 distinct choices, exactly one right: the term, which the tip holds once.
    assert quiz.MIN_CHOICES <= len(q.choices) <= quiz.MAX_CHOICES, where
    assert len({c.lower() for c in q.choices}) == len(q.choices), where
    assert q.choices[q.answer] == q.term, where
    assert [quiz.check(q, i) for i in range(len(q.choices))].count(True) == 1, where
    for i, choice in enumerate(q.choices):
        if i == q.answer:
            continue
        # No distractor, nor any word of it, nor any name of its topic, is in the tip.
        assert _occurrences(choice, tip.text) == 0, where
        assert not set(_stems(choice)) & set(_stems(tip.text)), where
        owners = _topic_of_label(corpus, choice)
        assert owners, f"{where}: {choice!r} names no topic"
        for owner in owners:
            assert owner != q.term_topic and owner not in tip.topics, where
            for name in _names(corpus, owner):
                assert _occurrences(name, tip.text) == 0, f"{where}: {name!r} of {owner}"
    # Ids: stable, short enough for "quiz-answer <id> <i>" in a 100-char custom_id.
    assert len(q.id) <= quiz.ID_LIMIT and " " not in q.id, where
    assert q.id == quiz.question_id(q.tip_id, quiz.term_key(q.term)), where
    assert q.source == corpus.source_title(tip) and q.chapter == tip.chapter, where


def _imported(tmp_path: Path, name: str) -> Corpus:
    out = tmp_path / name.replace(".", "-")
    assert main(["import", str(FIXTURES / name), "-o", str(out)]) == 0
    (out / "topics.yaml").write_text((TIPS_DIR / "topics.yaml").read_text("utf-8"), "utf-8")
    corpus = load_corpus([out])
    assert corpus.tips and not corpus.errors
    return corpus


def test_every_bundled_question_is_unambiguous() -> None:
    """Each question the bundled tips yield hides a term that stands once, blanks it once,
    and offers 3-4 distinct choices of which only the term is right and none is in the tip."""
    corpus = engine().corpus
    questions = quiz.all_questions(corpus)
    assert len({q.tip_id for q in questions}) >= 25  # of the 70 tips
    for q in questions:
        _assert_unambiguous(corpus, q)
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", IMPORTED)
def test_every_question_of_an_imported_corpus_is_unambiguous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """The same holds for the tips each importer makes of its fixture export."""
    corpus = _imported(tmp_path, name)
    capsys.readouterr()
    questions = quiz.all_questions(corpus)
    for q in questions:
        _assert_unambiguous(corpus, q)
    assert len({q.id for q in questions}) == len(questions)


def test_the_hand_checked_questions() -> None:
    """A few questions read as a person would set them."""
    corpus = engine().corpus
    by_id = {q.id: q for q in quiz.all_questions(corpus)}
    cm = by_id["hka-c03-492101~configmap"]
    assert cm.prompt.startswith("A ______ is a portable way of configuring containers")
    assert cm.term == "ConfigMap" and cm.term_topic == "configmaps"
    # Singular object names beside a singular object name.
    assert all(c[:1].isupper() and not c.endswith("s") for c in cm.choices), cm.choices
    keda = by_id["hka-c11-f337da~keda"]
    assert keda.prompt.startswith("______ is a custom autoscaler")
    assert keda.term == "KEDA"
    # A giveaway is dropped: the seed's "A readiness probe ... A liveness probe ..." shares
    # "probe"; the Secret tips say "secret" and "secrets".
    assert not quiz.questions_for(corpus, corpus.by_id["hka-c07-459afe"])
    assert all(
        q.term_key != "secret" for q in quiz.questions_for(corpus, corpus.by_id["hka-c10-28e150"])
    )


def _tiny(text: str, tip_id: str = "t-1", topics: tuple[str, ...] = ()) -> Corpus:
    base = engine().corpus
    tip = Tip(tip_id, text, "src", topics, 3, "Deploying")
    return Corpus(tips=[tip], sources={"src": Source("src", "A Book")}, topics=base.topics)


def test_a_term_that_shows_twice_in_any_form_is_never_hidden() -> None:
    """ "secret" hidden while "secrets" shows, "RoleBinding" while "role binding" or
    "ClusterRoleBinding" shows, a term inside a link: no question."""
    for text in (
        "Mount the Secret as a file; secrets in env vars leak.",
        "A RoleBinding is a role binding, namespaced.",
        "A RoleBinding differs from a ClusterRoleBinding.",
        "Read https://example.com/helm before Helm.",
        "Helm charts: Helm renders them.",
    ):
        questions = quiz.questions_for(_tiny(text), _tiny(text).tips[0])
        hidden = {q.term.lower() for q in questions}
        assert not hidden & {"secret", "rolebinding", "helm"}, (text, hidden)


def test_generic_words_are_not_hidden() -> None:
    """ "container", "config", "port", "network" make trivial questions: never hidden."""
    text = "Expose the container port on the network with this config."
    corpus = _tiny(text)
    assert quiz.questions_for(corpus, corpus.tips[0]) == []


def test_a_hostile_tip_stays_raw_text() -> None:
    """Markup, mentions and template braces stay as typed in the model; adapters neutralise."""
    text = "<script>alert(1)</script> @everyone {{ .Values }} A ConfigMap holds <b>config</b>."
    corpus = _tiny(text)
    [q] = quiz.questions_for(corpus, corpus.tips[0])
    assert q.term == "ConfigMap"
    assert q.prompt == text.replace("ConfigMap", BLANK)
    assert "<script>" in q.prompt and "@everyone" in q.prompt and "{{ .Values }}" in q.prompt
    card = quiz.quiz_card(q)
    assert card.prompt == q.prompt


def test_choices_and_ids_are_the_same_in_another_process() -> None:
    """Distractors, their order and the ids depend on the tip and term only (no hash seed)."""
    here = [(q.id, q.choices, q.answer) for q in quiz.all_questions(engine().corpus)]
    code = (
        "from bot.core.loader import load_corpus; from bot.core import quiz;"
        f"c = load_corpus([{str(TIPS_DIR)!r}]);"
        "print(repr([(q.id, q.choices, q.answer) for q in quiz.all_questions(c)]))"
    )
    env = {"PYTHONHASHSEED": "12345", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == repr(here)


def test_long_ids_are_shortened_and_still_found() -> None:
    """A tip id of 80 characters gives a 60-character id that `question_by_id` resolves."""
    long_id = "a" * 80
    corpus = _tiny("A ConfigMap keeps settings out of images.", tip_id=long_id)
    [q] = quiz.questions_for(corpus, corpus.tips[0])
    assert len(q.id) == quiz.ID_LIMIT
    assert quiz.question_by_id(corpus, q.id) == q
    assert len(quiz.answer_command(q.id, 3)) <= 100


def test_question_by_id_round_trips_and_refuses_junk() -> None:
    corpus = engine().corpus
    for q in quiz.all_questions(corpus):
        assert quiz.question_by_id(corpus, q.id) == q
    for junk in ("", "~", "nope~pod", "hka-c03-492101~secret", "x" * 500, "@everyone"):
        assert quiz.question_by_id(corpus, junk) is None


def test_check_is_true_only_for_the_answer() -> None:
    q = quiz.all_questions(engine().corpus)[0]
    assert quiz.check(q, q.answer)
    assert not any(quiz.check(q, i) for i in (-1, len(q.choices), 99) if i != q.answer)


def test_question_for_draws_on_a_topic_and_avoids_what_was_asked() -> None:
    """A topic's questions hide its own terms first; `exclude` is avoided while others remain;
    the same random source draws the same question."""
    corpus = engine().corpus
    q = quiz.question_for(corpus, "keda", random.Random(1))
    assert q is not None and q.term_topic == "keda"
    keda = [x for x in quiz.all_questions(corpus) if x.term_topic == "keda"]
    assert len(keda) >= 2
    left = quiz.question_for(corpus, "keda", random.Random(1), exclude={keda[0].id})
    assert left is not None and left.id != keda[0].id
    everything = {x.id for x in keda}
    again = quiz.question_for(corpus, "keda", random.Random(1), exclude=everything)
    assert again is not None and again.term_topic == "keda"
    draws = [quiz.question_for(corpus, None, random.Random(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    with pytest.raises(quiz.UnknownTopic) as e:
        quiz.question_for(corpus, "no-such-topic", random.Random(1))
    assert e.value.topic == "no-such-topic"


def test_the_bank_draws_what_question_for_draws() -> None:
    corpus = engine().corpus
    bank = quiz.QuestionBank(corpus)
    assert list(bank.questions) == quiz.all_questions(corpus)
    for topic in (None, "pods", "helm", "aks"):
        assert bank.draw(topic, random.Random(3)) == quiz.question_for(
            corpus, topic, random.Random(3)
        )
    some = bank.questions[0]
    assert bank.get(some.id) == some and bank.get("nope") is None


def test_the_quiz_card_buttons_answer_by_index() -> None:
    """One "quiz" button per choice; pressing runs "quiz-answer <id> <index>" (<= 100 chars)."""
    q = quiz.all_questions(engine().corpus)[0]
    reply = quiz.quiz_reply(q, tally=tally_line(14, 9))
    assert reply.kind is ReplyKind.QUIZ and reply.quiz is not None
    card = reply.quiz
    assert [a.label for a in card.choices] == list(q.choices)
    assert [a.command for a in card.choices] == [
        f"quiz-answer {q.id} {i}" for i in range(len(q.choices))
    ]
    assert all(a.kind == "quiz" and len(a.command) <= 100 for a in card.choices)
    assert card.tally == "14 answered · 9 right"
    assert card.attribution == f"{q.source} · {q.chapter}"
    assert q.term not in reply.text.split("\n")[0]  # the fallback shows the prompt, not the tip
    assert not reply.cards and not reply.actions  # a quiz is not a tip card


def test_tally_line() -> None:
    assert tally_line(0, 0) == "0 answered · 0 right"
    assert tally_line(14, 9) == "14 answered · 9 right"


def _vocabulary() -> list[str]:
    corpus = engine().corpus
    words = ["the", "a", "runs", "in", "your", "cluster", "and", "before", ",", ".", "-", "@here"]
    for t in corpus.topics.values():
        words += [t.title, t.title.lower(), *t.aliases[:6], *t.keywords[:3]]
    return words


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_vocabulary()), min_size=1, max_size=25), st.sampled_from(" -"))
def test_any_text_of_taxonomy_words_yields_only_unambiguous_questions(
    parts: list[str], glue: str
) -> None:
    """Whatever mix of names, aliases, inflections and filler a tip holds, every question it
    yields keeps the rules (the term once, no distractor in the tip, one right choice)."""
    text = glue.join(parts) if glue == " " else " ".join(p + glue for p in parts)
    corpus = _tiny(text, topics=("pods",))
    for q in quiz.questions_for(corpus, corpus.tips[0]):
        _assert_unambiguous(corpus, q)


def test_a_tip_in_another_language_is_not_quizzed() -> None:
    """A source marked `language: de` yields no question: a choice may stand in the tip in
    that language's words ("Dienst" for Service) where English checks cannot see it."""
    text = "Eine ConfigMap hält Einstellungen außerhalb des Images."
    english = _tiny(text)
    assert [q.term for q in quiz.questions_for(english, english.tips[0])] == ["ConfigMap"]
    german = Corpus(
        tips=english.tips,
        sources={"src": Source("src", "Ein Buch", language="de")},
        topics=english.topics,
    )
    assert quiz.questions_for(german, german.tips[0]) == []
