"""A quiz-mode channel's daily post: close yesterday's question, choose today's, record it.

Runs for a claimed row of a `mode: quiz` subscription, under the row's claim, before posting:

1. The channel's previous daily question (`last_quiz_posting`) is closed: its answers move its
   Leitner card (`core.leitner.next_card`), the card is saved and the posting marked revealed,
   once (a posting already revealed is not counted again). Today's post reveals its answer.
2. Today's question: the posting of this local date if an earlier claimer recorded one (a
   retry posts the same question), else `core.leitner.choose_quiz` over the questions of the
   tips the channel's topic filter lets through, seeded by channel and date.
3. The posting is recorded (kind daily) before anything is posted, so answers find it; the
   deliverer stores the platform's message id on it after the post.

None when the corpus yields no question for the filter: the deliverer posts a tip instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.core.corpus import Corpus
from bot.core.leitner import QuestionKey, choose_quiz, next_card
from bot.core.picker import seeded_rng
from bot.core.quiz import Question, QuestionBank, quiz_reply, reveal_line
from bot.core.replies import Reply
from bot.runtime.store import Delivery, QuizPosting, ShownKind, Store, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuizPost:
    """What a quiz-mode row posts: the question, its recorded posting, the reply."""

    question: Question
    posting_id: int
    reply: Reply


class QuizDaily:
    """Prepares quiz-mode posts; keeps one `QuestionBank` per corpus."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._bank: QuestionBank | None = None
        self._no_question: set[tuple[str, ...]] = set()  # filters already logged

    def bank(self, corpus: Corpus) -> QuestionBank:
        if self._bank is None or self._bank.corpus is not corpus:
            self._bank = QuestionBank(corpus)
        return self._bank

    def prepare(
        self, corpus: Corpus, d: Delivery, sub: Subscription, now: datetime
    ) -> QuizPost | None:
        """Steps 1-3 above (blocking store calls: run it off the event loop)."""
        bank = self.bank(corpus)
        key = (d.platform, d.workspace, d.channel)
        today = self.store.last_quiz_posting(*key, d.local_date + timedelta(days=1))
        if today is not None and today.local_date != d.local_date:
            today = None
        previous = self.store.last_quiz_posting(*key, d.local_date)
        if previous is not None and not previous.revealed:
            self._close(previous, d.local_date)
        question: Question | None = None
        if today is not None:
            question = bank.get(today.qid)
        if question is None:
            question = self._choose(bank, corpus, d, sub)
            if question is None:
                if sub.topics not in self._no_question:
                    self._no_question.add(sub.topics)
                    log.warning(
                        "no quiz question for the topic filter %s; %s posts a tip instead",
                        ",".join(sub.topics) or "(all)",
                        d.key,
                    )
                return None
        if today is None or today.qid != question.id:
            posting_id = self.store.record_quiz_posting(
                *key,
                question.id,
                question.tip_id,
                question.term_key,
                d.local_date,
                now,
                ShownKind.DAILY,
            )
        else:
            posting_id = today.id
        reply = quiz_reply(question)
        if previous is not None:
            line = reveal_line(_answer_of(bank, previous), previous.local_date, d.local_date)
            reply = replace(reply, text=f"{reply.text}\n\n{line}", lines=(*reply.lines, line))
        return QuizPost(question, posting_id, reply)

    def _close(self, previous: QuizPosting, local_date: date) -> None:
        """Move the previous question's Leitner card by its answers, then mark it revealed."""
        key = previous.key
        answers = [
            a
            for a in self.store.channel_quiz_answers(*key, previous.posted_at)
            if a.question_id == str(previous.id)
        ]
        card = next(
            (
                c
                for c in self.store.channel_leitner(*key)
                if (c.tip_id, c.term) == (previous.tip_id, previous.term)
            ),
            None,
        )
        moved = next_card(card, answers, local_date, previous.tip_id, previous.term)
        self.store.save_leitner(*key, [moved])
        self.store.mark_revealed(previous.id)

    def _choose(
        self, bank: QuestionBank, corpus: Corpus, d: Delivery, sub: Subscription
    ) -> Question | None:
        allowed = {t.id for t in corpus.tips_for_topics(list(sub.topics))}
        questions = [q for q in bank.questions if q.tip_id in allowed]
        if not questions:
            return None
        by_key = {(q.tip_id, q.term_key): q for q in questions}
        available = [QuestionKey(q.tip_id, q.term_key, q.topics) for q in questions]
        cards = self.store.channel_leitner(d.platform, d.workspace, d.channel)
        rng = seeded_rng("quiz", d.platform, d.workspace, d.channel, d.local_date.isoformat())
        pick = choose_quiz(available, cards, d.local_date, rng)
        return by_key[pick.question.key] if pick is not None else None


def _answer_of(bank: QuestionBank, posting: QuizPosting) -> str:
    """The right choice of a posted question, as its buttons showed it (the stored term key
    when the corpus no longer yields the question)."""
    question = bank.get(posting.qid)
    return question.right_choice if question is not None else posting.term
