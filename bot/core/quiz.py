"""Quiz questions made from tips: one term of the taxonomy hidden as ______, 3 or 4 choices.

A question is a tip with one term that `topics.yaml` knows hidden, and candidate terms as
its choices. Exactly one choice is right; the rules below keep it so, and a tip that yields no
such question is simply not quizzed. Everything here is pure and deterministic: the choices
and their order follow from the tip and the term alone, and `question_for` draws with the
random source it is given. `k8stip quiz --all --json` lists every question, for review.

Which terms are hidden (`TermIndex`). A term is a topic's name or alias as it stands in the
tip (whole words, any case, a hyphen binds: "pod" is not found in "pod-eviction-timeout"):
- a topic's title ("Helm", "ConfigMaps") and its singular when the taxonomy lists it
  ("ConfigMap"); a title that describes rather than names ("Requests and limits",
  "Custom resources (CRDs)") is not a term;
- an alias of two or more words ("liveness probe", "service account"), or of one word that
  the taxonomy lists in singular and plural ("rolebinding"/"rolebindings", "autoscaler"); a
  one-word name without such a pair ("envoy", "dns") has no peers of its kind among the
  titles to stand beside it as choices;
- a word under four letters only when written in capitals in the tip ("AKS", "PVC");
- never everyday vocabulary, titles included, which makes a trivial or unfair question
  (`quiz_terms.GENERIC_TERMS`: "container", "config", "port", "network", "node", "image",
  "error", "security", "monitoring", …: "When ______ an application" fits several).
Where terms overlap, the longest wins ("liveness probe", not "liveness"); a term inside a
link is not hidden (but a link's words count below).

When a term gives itself away (the question is dropped). The hidden term must be the only
trace of itself: none of its words occurs elsewhere in the tip, inflected or not ("secret"
hidden while "secrets" shows), it is not spelled elsewhere joined, split or inside a longer
word ("RoleBinding" and "role binding", "ClusterRoleBinding"), and no other specific name of
its topic shows ("ConfigMap" hidden while "config map" shows; "Deployment" while "rollout").

Distractors, so that no wrong choice is arguably right:
- from other topics only (a term's own topic lists synonyms), never a topic of the tip or a
  topic one of whose names, aliases or keywords occurs in the tip, nor one that shares an
  alias with the term's topic ("scale to zero" is KEDA and scaling);
- no word of a distractor occurs in the tip, and none shares a word with the hidden term;
- of the same kind as the term: a singular name for a singular one ("Secret", "StatefulSet"
  for "ConfigMap"), a plural for a plural, a proper name for a proper name ("Istio", "KEDA"
  for "Helm"), a phrase of as many words for a phrase ("service account" for "liveness
  probe"); related topics first, so they are plausible.
These rules read words, not meaning: a related object can still fit a sentence by sense
("traffic between your ______": Services, and Pods would do), so review new tips' questions
with `k8stip quiz --all`.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.corpus import URL_RE, Corpus, Tip
from bot.core.quiz_terms import (
    Label,
    TermIndex,
    number_of,
    phrase_words,
    squash,
    stems_of,
    term_index,
)
from bot.core.replies import Action, QuizCard, Reply, ReplyKind, Visibility
from bot.core.textnorm import STOPWORDS, language_key

BLANK = "______"
ID_LIMIT = 60  # "quiz-answer <id> <i>" must fit a 100-character Discord custom_id
MIN_CHOICES, MAX_CHOICES = 3, 4
ANSWER_COMMAND = "quiz-answer"

_TOKEN_RE = re.compile(r"[^\W_]+")
_JOIN_RE = re.compile(r"[\s\-]+")  # what may stand between the words of a term in a tip


class UnknownTopic(LookupError):
    """`question_for` was given a topic id the corpus does not have."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic)
        self.topic = topic


@dataclass(frozen=True)
class Question:
    """One quiz question: a tip with `term` hidden in `prompt`, and `choices[answer]` right."""

    id: str  # "<tip id>~<term key>", stable across processes, <= ID_LIMIT characters
    tip_id: str
    term: str  # the hidden term as it stands in the tip ("ConfigMap")
    term_key: str  # its normalised key ("configmap"), as `QuizAnswer.term` stores it
    term_topic: str  # the topic id the term names
    prompt: str  # the tip's text with the term replaced by BLANK
    choices: tuple[str, ...]
    answer: int  # index into `choices`
    source: str  # the source's title
    chapter: str  # "Ch. 3 Application deployment on AKS", or ""
    topics: tuple[str, ...]  # the tip's topic ids

    @property
    def right_choice(self) -> str:
        return self.choices[self.answer]

    def to_json(self) -> dict[str, object]:
        """The object `k8stip quiz --json` prints."""
        return {
            "id": self.id,
            "tip_id": self.tip_id,
            "term": self.term,
            "term_topic": self.term_topic,
            "prompt": self.prompt,
            "choices": list(self.choices),
            "answer": self.answer,
            "source": self.source,
            "chapter": self.chapter,
            "topics": list(self.topics),
        }


def term_key(term: str) -> str:
    """A term's key: its words lowercased, joined by '-' ("Liveness Probe" -> "liveness-probe")."""
    return "-".join(w.lower() for w in _TOKEN_RE.findall(term))


def question_id(tip_id: str, key: str) -> str:
    """`<tip id>~<term key>`, shortened with a digest when longer than ID_LIMIT."""
    qid = f"{tip_id}~{key}"
    if len(qid) <= ID_LIMIT:
        return qid
    digest = hashlib.sha256(f"{tip_id}\0{key}".encode()).hexdigest()[:10]
    return f"{tip_id[:40]}~{key[:8]}~{digest}"


def check(question: Question, choice_index: int) -> bool:
    """Whether `choice_index` is the right answer (an index out of range is simply wrong)."""
    return choice_index == question.answer


# -- finding terms in a tip -----------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    word: str  # lowercase
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _whole(text: str, start: int, end: int) -> bool:
    """A span is whole words: no letter, digit or hyphen touches it on either side."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-_") and not (after.isalnum() or after in "-_")


def _spans(text: str, tokens: list[_Token], index: TermIndex) -> list[tuple[int, int]]:
    """Token ranges [i, j) naming a quizzable term; overlapping ones yield to the longest."""
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        best = 0
        if tokens[i].word not in index.first_words:
            i += 1
            continue
        for n in range(min(index.longest, len(tokens) - i), 0, -1):
            words = tuple(t.word for t in tokens[i : i + n])
            if words not in index.terms:
                continue
            joins = [text[tokens[k].end : tokens[k + 1].start] for k in range(i, i + n - 1)]
            if all(_JOIN_RE.fullmatch(j) for j in joins) and _whole(
                text, tokens[i].start, tokens[i + n - 1].end
            ):
                best = n
                break
        if best:
            found.append((i, i + best))
            i += best
        else:
            i += 1
    return found


def _short_ok(term: str) -> bool:
    """A single word under four letters counts only when written in capitals ("ACR")."""
    return len(term) >= 4 or " " in term or term.isupper()


def _gives_itself_away(
    tokens: list[_Token],
    span: tuple[int, int],
    index: TermIndex,
    owners: Sequence[str],
    word_grams: Counter[tuple[str, ...]],
) -> bool:
    i, j = span
    hidden = [t.word for t in tokens[i:j]]
    rest = tokens[:i] + tokens[j:]
    rest_words = [t.word for t in rest]
    rest_stems = set(stems_of(rest_words))
    content = [w for w in hidden if w not in STOPWORDS]
    if any(s in rest_stems for s in stems_of(content)):
        return True
    key = squash(hidden)
    if len(key) > 4 and key.endswith("s"):
        key = key[:-1]
    for k in range(len(rest_words)):
        joined = ""
        for w in rest_words[k : k + 3]:
            joined += w
            if key in joined:
                return True
            if not key.startswith(joined):
                break
    inside = _grams(hidden, len(hidden))
    hidden_words = tuple(hidden)
    for owner in owners:
        for words in index.specific[owner]:
            if words != hidden_words and word_grams[words] > inside[words]:
                return True  # another specific name of the topic shows
    return False


def _grams(words: Sequence[str], n_max: int) -> Counter[tuple[str, ...]]:
    """Every run of 1 to `n_max` consecutive words, counted."""
    ends = range(1, n_max + 1)
    return Counter(tuple(words[i : i + n]) for n in ends for i in range(len(words) - n + 1))


def _shape(term: str, owners: Sequence[str], index: TermIndex) -> tuple[int, str]:
    words = phrase_words(term)
    return len(words), number_of(term, index.names[owners[0]])


def _styled(label: str, term: str) -> str:
    """A distractor in the hidden term's case style, so case gives nothing away."""
    if term.islower():
        return label.lower()
    if term[:1].isupper() and label[:1].islower() and " " in label:
        return label[:1].upper() + label[1:]
    return label


def _distractors(
    tip: Tip,
    term: str,
    owners: Sequence[str],
    text_stems: set[tuple[str, ...]],
    mentioned: set[str],
    index: TermIndex,
    rng: random.Random,
) -> list[str]:
    n_words, number = _shape(term, owners, index)
    term_stems = set(stems_of(phrase_words(term)))
    own_keys = set().union(*(index.alias_keys[o] for o in owners))
    related = {r for o in owners for r in index.topics[o].related}
    excluded = {*owners, *tip.topics, *mentioned}
    plausible: list[Label] = []
    others: list[Label] = []
    for topic_id, labels in index.labels.items():
        if topic_id in excluded:
            continue  # the tip speaks of this topic: it might be arguably right
        if index.alias_keys[topic_id] & own_keys:
            continue  # shares a name with the term's topic
        near = topic_id in related or any(o in index.topics[topic_id].related for o in owners)
        for label in labels:
            if label.words != n_words or label.number != number:
                continue
            if term_stems.intersection(label.stems) or any((s,) in text_stems for s in label.stems):
                continue
            namers = index.namers.get(label.stems, set()) - {topic_id}
            if namers & excluded or any(index.alias_keys[n] & own_keys for n in namers):
                continue  # another topic names it too, and that one is out
            (plausible if near else others).append(label)
    rng.shuffle(plausible)
    rng.shuffle(others)
    chosen: list[str] = []
    seen_topics: set[str] = set()
    seen = {squash(phrase_words(term))}
    for label in plausible + others:
        if label.topic in seen_topics or label.key in seen:
            continue
        chosen.append(_styled(label.text, term))
        seen_topics.add(label.topic)
        seen.add(label.key)
        if len(chosen) == MAX_CHOICES - 1:
            break
    return chosen


def _seeded(tip_id: str, key: str) -> random.Random:
    """The same (tip, term) always gets the same distractors in the same order."""
    return random.Random(hashlib.sha256(f"{tip_id}\0{key}".encode()).digest())


def questions_for(corpus: Corpus, tip: Tip) -> list[Question]:
    """Every unambiguous question `tip` yields, in the order its terms stand in the text.

    Only tips in English: the checks read English inflections, and a tip in another language
    may say a choice in its own words ("Dienst" for Service)."""
    source = corpus.sources.get(tip.source)
    if source is not None and language_key(source.language):
        return []
    index = term_index(corpus)
    text = tip.text
    tokens = _tokens(text)
    if not tokens:
        return []
    words = [t.word for t in tokens]
    text_stems = set(_grams(stems_of(words), index.longest_mention))
    word_grams = _grams(words, index.longest)
    links = [m.span() for m in URL_RE.finditer(text)]
    mentioned = {t for t, keys in index.mentions.items() if not keys.isdisjoint(text_stems)}
    out: list[Question] = []
    seen: set[str] = set()
    for span in _spans(text, tokens, index):
        i, j = span
        start, end = tokens[i].start, tokens[j - 1].end
        term = text[start:end]
        if not _short_ok(term) or any(a < end and start < b for a, b in links):
            continue  # a link's words are not prose (they still count as giveaways)
        owners = index.terms[tuple(words[i:j])]
        if _gives_itself_away(tokens, span, index, owners, word_grams):
            continue
        key = term_key(term)
        if key in seen:
            continue
        rng = _seeded(tip.id, key)
        wrong = _distractors(tip, term, owners, text_stems, mentioned, index, rng)
        if len(wrong) < MIN_CHOICES - 1:
            continue
        answer = rng.randrange(len(wrong) + 1)
        choices = (*wrong[:answer], term, *wrong[answer:])
        seen.add(key)
        out.append(
            Question(
                id=question_id(tip.id, key),
                tip_id=tip.id,
                term=term,
                term_key=key,
                term_topic=owners[0],
                prompt=f"{text[:start]}{BLANK}{text[end:]}",
                choices=choices,
                answer=answer,
                source=corpus.source_title(tip),
                chapter=tip.chapter,
                topics=tip.topics,
            )
        )
    return out


def all_questions(corpus: Corpus) -> list[Question]:
    """Every question the corpus yields, tip by tip in corpus order."""
    return [q for tip in corpus.tips for q in questions_for(corpus, tip)]


def question_by_id(corpus: Corpus, qid: str) -> Question | None:
    """The question `qid` names, or None (the tip or the term is gone, or the id is junk)."""
    tip_part, _, rest = qid.partition("~")
    tip = corpus.by_id.get(tip_part)
    if tip:
        candidates = [tip]
    elif "~" in rest and len(tip_part) == 40:  # a shortened id: the tip id was cut to 40
        candidates = [t for t in corpus.tips if t.id.startswith(tip_part)]
    else:
        return None
    return next((q for t in candidates for q in questions_for(corpus, t) if q.id == qid), None)


def on_topic(question: Question, topic: str) -> bool:
    """A question is on a topic when its hidden term names it or its tip carries it."""
    return question.term_topic == topic or topic in question.topics


def _draw(
    questions: Sequence[Question], topic: str | None, rng: random.Random, exclude: Collection[str]
) -> Question | None:
    pool = list(questions)
    if topic:
        on = [q for q in pool if on_topic(q, topic)]
        pool = [q for q in on if q.term_topic == topic] or on
    fresh = [q for q in pool if q.id not in exclude and q.tip_id not in exclude]
    pool = fresh or pool
    return rng.choice(pool) if pool else None


def question_for(
    corpus: Corpus,
    topic: str | None,
    rng: random.Random,
    exclude: Collection[str] = (),
) -> Question | None:
    """A question drawn with `rng`, on `topic` (a topic id; questions hiding a term of it
    first, then those of tips carrying it) or on anything. `exclude` holds question or tip
    ids to avoid while others remain (those a channel was asked lately). None when no tip
    yields one. Makes every question anew: a running bot keeps a `QuestionBank`.

    Raises UnknownTopic for a topic id the corpus lacks (the engine resolves what people type).
    """
    if topic is not None and topic not in corpus.topics:
        raise UnknownTopic(topic)
    return _draw(all_questions(corpus), topic, rng, exclude)


class QuestionBank:
    """Every question of a corpus, made once (~1 ms a tip): what a running bot draws from."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.questions = tuple(all_questions(corpus))
        self.by_id = {q.id: q for q in self.questions}

    def get(self, qid: str) -> Question | None:
        return self.by_id.get(qid)

    def draw(
        self, topic: str | None, rng: random.Random, exclude: Collection[str] = ()
    ) -> Question | None:
        """`question_for` over the bank."""
        if topic is not None and topic not in self.corpus.topics:
            raise UnknownTopic(topic)
        return _draw(self.questions, topic, rng, exclude)


# -- the card adapters render ---------------------------------------------------------------


def answer_command(qid: str, choice_index: int) -> str:
    """What pressing a choice runs: "quiz-answer <question id> <index>"."""
    return f"{ANSWER_COMMAND} {qid} {choice_index}"


def quiz_card(question: Question, tally: str = "") -> QuizCard:
    """The card a quiz posts: the prompt, one button per choice, the tip's attribution."""
    return QuizCard(
        question_id=question.id,
        tip_id=question.tip_id,
        prompt=question.prompt,
        choices=tuple(
            Action(label, answer_command(question.id, i), "quiz")
            for i, label in enumerate(question.choices)
        ),
        source=question.source,
        chapter=question.chapter,
        tally=tally,
    )


def quiz_reply(
    question: Question, tally: str = "", visibility: Visibility = Visibility.CHANNEL
) -> Reply:
    """A quiz as a `Reply`: the fallback text is the prompt and the numbered choices."""
    card = quiz_card(question, tally)
    return Reply(
        kind=ReplyKind.QUIZ, text=render_quiz_text(question), quiz=card, visibility=visibility
    )


def render_quiz_text(question: Question, reveal: bool = False) -> str:
    """A question as plain text (CLI, console, notification fallback). The answer is not
    shown unless `reveal` (for review: the id first, the right choice marked)."""
    lines = [f"[{question.id}]"] if reveal else []
    lines += [question.prompt, ""]
    lines += [
        f"  {n}. {label}" + ("  ✓" if reveal and n - 1 == question.answer else "")
        for n, label in enumerate(question.choices, start=1)
    ]
    attribution = f"{question.source} · {question.chapter}" if question.chapter else question.source
    lines.append(f"  — {attribution}")
    return "\n".join(lines)


def reveal_line(answer: str, asked_on: date, today: date) -> str:
    """The line a quiz channel's daily post reveals the previous question's answer with."""
    if (today - asked_on).days == 1:
        return f"Yesterday's answer: {answer}"
    return f"The answer to the quiz of {asked_on:%a %d %b}: {answer}"
