"""What a claimed row posts: its tip's daily reply, or a quiz-mode channel's question.

The tip is normally chosen in the claim transaction (`tip_choice.tips_for_claim`); it is chosen
here when the claim found none or the chosen tip left the corpus. A quiz-mode row gets its
question from `quiz_delivery.QuizDaily` (a tip when the filter yields no question). Either
carries the subscription's mention (`Reply.mention`), which the adapter renders first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.learning import LearningSettings
from bot.core.learning_model import SubscriptionMode
from bot.core.replies import Reply
from bot.ports import TipSource
from bot.runtime.delivery.quiz_delivery import QuizDaily, QuizPost
from bot.runtime.delivery.reply_cache import ReplyCache
from bot.runtime.delivery.store_calls import StoreCalls
from bot.runtime.delivery.tip_choice import channel_past, pick_daily
from bot.runtime.store import Delivery, Store, Subscription


@dataclass(frozen=True)
class Content:
    """A row's post. `tip_id`/`reply` None: nothing matches the channel's topic filter.
    `chosen_now`: the tip differs from the row's, so record it on the row before posting."""

    tip_id: str | None
    reply: Reply | None
    chosen_now: bool
    quiz: QuizPost | None = None


class Contents:
    """Finds each claimed row's post; keeps the rendered replies and the question bank."""

    def __init__(
        self, store: Store, db: StoreCalls, tips: TipSource, learning: LearningSettings
    ) -> None:
        self.store = store
        self.db = db
        self.tips = tips
        self.learning = learning
        self.replies = ReplyCache(tips)
        self.quizzes = QuizDaily(store)

    async def for_row(self, d: Delivery, sub: Subscription, now: datetime) -> Content:
        content = await self._for_row(d, sub, now)
        if not sub.mention or content.reply is None:
            return content
        # The one role or user group the subscription pings (`mention …`), first in the post.
        return replace(content, reply=replace(content.reply, mention=sub.mention))

    async def _for_row(self, d: Delivery, sub: Subscription, now: datetime) -> Content:
        if sub.mode is SubscriptionMode.QUIZ:
            quiz = await self.db.run(self.quizzes.prepare, self.tips.corpus, d, sub, now)
            if quiz is not None:
                tip_id = quiz.question.tip_id
                return Content(tip_id, quiz.reply, d.tip_id != tip_id, quiz)
        reply = self.replies.reply_for(sub, d.tip_id) if d.tip_id else None
        if reply is not None:
            return Content(d.tip_id, reply, False)
        # No tip matched at claim time (or a quiz fell back), or the chosen tip left the corpus.
        past = await self.db.run(channel_past, self.store, d.platform, d.workspace, d.channel)
        pick = pick_daily(self.tips.corpus, sub, d.local_date, past, self.learning)
        if pick is None:
            return Content(None, None, True)
        return Content(pick.tip_id, self.replies.reply_for(sub, pick.tip_id), True)
