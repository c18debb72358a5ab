"""The quiz commands: `/k8stip quiz [topic]` posts a question for the channel to answer, and
a press on one of its choices (`quiz-answer <question> <index>`) is answered privately.

A quiz asked for is posted to the channel (Visibility.CHANNEL) so its members can answer it,
and recorded as a posting of kind "request", which its answer buttons find: the posting on
the pressed message when the platform says which (`Invocation.message_ref`), else the
channel's latest posting of that question (the console). One answer per member per posting
(the store decides, so two replicas taking a double press count it once). The answer names
the right choice and shows the whole tip; `Reply.source_update` carries the card with its new
tally, for the adapter to edit the posted message in place. The questions come from one
`QuestionBank`, made once per engine, off the event loop, the first time one is needed.
"""

from __future__ import annotations

import asyncio
import difflib
import random
from datetime import datetime, timedelta

from bot.core.engine import FALLBACK_SUGGESTIONS
from bot.core.invocation import Invocation
from bot.core.quiz import QuestionBank, check, quiz_reply
from bot.core.replies import Reply, ReplyKind, Visibility, tally_line
from bot.core.textnorm import normalize, words
from bot.core.wording import error, feedback_actions, info
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.learning_commands import channel_timezone, local_date
from bot.runtime.store import ShownKind, Store
from bot.runtime.store.records import QuizPostingNotFound

CHOICE_DIGITS = 2  # a choice index is 0..3; anything longer is not one


def record_answer(
    store: Store, inv: Invocation, qid: str, choice: str, correct: bool, now: datetime
) -> tuple[bool, tuple[int, int]] | None:
    """Store a member's answer to the channel's posting of `qid` (on the pressed message when
    the platform names it, else the latest); whether it was stored (False: they had answered)
    and the posting's tally after it. None when the channel has no such posting. Blocking."""
    posting = store.find_quiz_posting(
        inv.platform, inv.workspace, inv.channel, qid, inv.message_ref or None
    )
    if posting is None:
        return None
    try:
        stored = store.record_quiz_answer(
            posting.id, inv.user, choice, correct, now, inv.user_name or None
        )
    except QuizPostingNotFound:  # purged between the two calls
        return None
    return stored, store.quiz_tally(posting.id) if stored else (0, 0)


class QuizCommands:
    """The handlers of quiz and quiz-answer, and the question bank they share."""

    def __init__(self, ctx: CommandContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self._bank: QuestionBank | None = None
        self._bank_lock = asyncio.Lock()

    def handlers(self) -> dict[str, CommandHandler]:
        return {"quiz": self.cmd_quiz, "quiz-answer": self.cmd_quiz_answer}

    async def bank(self) -> QuestionBank:
        """The engine's questions, made once (in a worker thread: ~1 ms a tip)."""
        if self._bank is None:
            async with self._bank_lock:
                if self._bank is None:
                    self._bank = await asyncio.to_thread(QuestionBank, self.ctx.engine.corpus)
        return self._bank

    async def cmd_quiz(self, inv: Invocation, args: list[str]) -> Reply:
        """A question for the whole channel, on a topic or any."""
        topic: str | None = None
        if args:
            name = " ".join(args)
            if not words(normalize(name)):
                return error(
                    "Say a topic in words, or nothing for any topic.",
                    self.ctx.example(inv, "quiz", "rbac"),
                )
            found, unknown = self.ctx.engine.resolve_topics([name])
            if not found:
                found, unknown = self.ctx.engine.resolve_topics(args)
            if unknown or not found:
                return self._no_such_topic(inv, name)
            topic = found[0]
        bank = await self.bank()
        now = self.ctx.clock.now()
        tz = await channel_timezone(self.ctx, inv)
        today = local_date(tz, now)
        last = await self.ctx.db_or(
            "read the channel's last quiz",
            None,
            self.ctx.store.last_quiz_posting,
            inv.platform,
            inv.workspace,
            inv.channel,
            today + timedelta(days=1),
            None,
        )
        exclude = (last.qid, last.tip_id) if last is not None else ()
        question = bank.draw(topic, self.rng, exclude)
        if question is None:
            on = f" on {self.ctx.engine.corpus.topic_title(topic)}" if topic else ""
            return info(
                f"No tip{on} makes an unambiguous quiz question yet.",
                f"Try another topic, or {self.ctx.example(inv, 'quiz')} for any.",
            )
        await self.ctx.db(
            self.ctx.store.record_quiz_posting,
            inv.platform,
            inv.workspace,
            inv.channel,
            question.id,
            question.tip_id,
            question.term_key,
            today,
            now,
            ShownKind.REQUEST,
        )
        return quiz_reply(question, visibility=Visibility.CHANNEL)

    def _no_such_topic(self, inv: Invocation, name: str) -> Reply:
        corpus = self.ctx.engine.corpus
        names = {t.id: t.id for t in corpus.topics.values()}
        names.update({t.title.lower(): t.id for t in corpus.topics.values()})
        for t in corpus.topics.values():
            names.update({a.lower(): t.id for a in t.aliases})
        close = difflib.get_close_matches(normalize(name, max_chars=60), names, n=6, cutoff=0.6)
        ids = list(dict.fromkeys(names[c] for c in close))[:3] or [
            t for t in FALLBACK_SUGGESTIONS if t in corpus.topics
        ]
        # Its words only: no mention or markup of what was typed comes back.
        shown = " ".join(words(normalize(name, max_chars=60)))
        return error(
            f"No topic “{shown}”. Did you mean: {', '.join(ids)}?",
            self.ctx.example(inv, "quiz", ids[0]) if ids else self.ctx.example(inv, "topics"),
        )

    async def cmd_quiz_answer(self, inv: Invocation, args: list[str]) -> Reply:
        """A member's press on a quiz choice: answered privately, the card's tally updated."""
        if len(args) != 2 or not args[1].isdigit() or len(args[1]) > CHOICE_DIGITS:
            return error("Press one of the quiz's answer buttons to answer it.")
        bank = await self.bank()
        question = bank.get(args[0])
        if question is None:
            return error("That question isn't asked any more: its tip changed or was removed.")
        index = int(args[1])
        if index >= len(question.choices):
            return error("That isn't one of the question's choices.")
        correct = check(question, index)
        # One trip to a worker thread for the three store calls: under a burst of presses
        # the thread pool's queue, not the database, is what a press waits on.
        outcome = await self.ctx.db(
            record_answer,
            self.ctx.store,
            inv,
            question.id,
            question.choices[index],
            correct,
            self.ctx.clock.now(),
        )
        if outcome is None:
            quiz = self.ctx.example(inv, "quiz")
            return error(f"That question wasn't asked in this channel. {quiz} asks one.")
        stored, (answered, right_count) = outcome
        tip = self.ctx.engine.corpus.by_id.get(question.tip_id)
        cards = (self.ctx.engine.card(tip),) if tip is not None else ()
        right = question.right_choice
        if not stored:
            return Reply(
                ReplyKind.TIP if cards else ReplyKind.INFO,
                f"You already answered this question; your first answer stands. "
                f"The answer: {right}.",
                cards=cards,
                actions=feedback_actions(question.tip_id) if cards else (),
            )
        if correct:
            text = f"Right: {right}."
        else:
            text = f"Not quite: the answer is {right} (you chose {question.choices[index]})."
        return Reply(
            ReplyKind.TIP if cards else ReplyKind.INFO,
            text,
            cards=cards,
            actions=feedback_actions(question.tip_id) if cards else (),
            source_update=quiz_reply(question, tally_line(answered, right_count)),
        )
