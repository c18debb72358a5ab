"""Practice and progress: a channel's Leitner cards (spaced practice of quiz questions), its
quiz leaderboard, and the channel setting that turns the leaderboard on.

The leaderboard is counted from the stored answers, so a member who asks to be forgotten
drops out of it. Names are the display names stored with answers: text to show, never a
mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, case, func, select

from bot.core.learning_model import LeaderboardEntry, LeitnerCard
from bot.runtime.store.channel_options import read_setting, write_setting
from bot.runtime.store.dialect_insert import dialect_insert
from bot.runtime.store.schema import check_fits, leitner_cards, quiz_answers
from bot.runtime.store.times import to_db


class PracticeQueries:
    """The `leitner_cards` and `channel_settings` tables, and the leaderboard over
    `quiz_answers`. A part of `Store`, which supplies the engine."""

    engine: Engine

    def quiz_leaderboard(
        self, platform: str, workspace: str, channel: str, since: datetime, limit: int = 10
    ) -> list[LeaderboardEntry]:
        """The channel's members with the most right answers since `since` (ties: fewer
        answers first, then member id), each with the name of their latest answer."""
        a = quiz_answers.c
        in_channel = (
            a.platform == platform,
            a.workspace == workspace,
            a.channel == channel,
            a.at >= to_db(since),
        )
        right = func.sum(case((a.correct.is_(True), 1), else_=0))
        top = (
            select(a.member, right.label("right"), func.count().label("answered"))
            .where(*in_channel)
            .group_by(a.member)
            .having(right > 0)
            .order_by(right.desc(), func.count(), a.member)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(top).all()
            names: dict[str, str | None] = {}
            if rows:
                named = (
                    select(a.member, a.display_name)
                    .where(*in_channel, a.member.in_([r.member for r in rows]))
                    .order_by(a.at, a.id)
                )
                for member, name in conn.execute(named):
                    names[member] = name if name is not None else names.get(member)
        return [
            LeaderboardEntry(
                member=r.member,
                name=names.get(r.member),
                right=int(r.right),
                answered=int(r.answered),
            )
            for r in rows
        ]

    # -- spaced practice ----------------------------------------------------------------

    def channel_leitner(self, platform: str, workspace: str, channel: str) -> list[LeitnerCard]:
        """A channel's Leitner cards, soonest due first."""
        c = leitner_cards.c
        q = (
            select(leitner_cards)
            .where(c.platform == platform, c.workspace == workspace, c.channel == channel)
            .order_by(c.due, c.tip_id, c.term)
        )
        with self.engine.connect() as conn:
            return [
                LeitnerCard(tip_id=r.tip_id, term=r.term, box=r.box, due=r.due)
                for r in conn.execute(q)
            ]

    def save_leitner(
        self, platform: str, workspace: str, channel: str, cards: Sequence[LeitnerCard]
    ) -> None:
        """Create or move a channel's cards (box and due date), in one transaction."""
        with self.engine.begin() as conn:
            for card in cards:
                check_fits(leitner_cards.c.tip_id, card.tip_id)
                check_fits(leitner_cards.c.term, card.term)
                stmt = dialect_insert(
                    conn,
                    leitner_cards,
                    {
                        "platform": platform,
                        "workspace": workspace,
                        "channel": channel,
                        "tip_id": card.tip_id,
                        "term": card.term,
                        "box": card.box,
                        "due": card.due,
                    },
                )
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["platform", "workspace", "channel", "tip_id", "term"],
                        set_={"box": stmt.excluded.box, "due": stmt.excluded.due},
                    )
                )

    # -- channel settings ---------------------------------------------------------------

    def set_leaderboard(
        self, platform: str, workspace: str, channel: str, enabled: bool, by: str, now: datetime
    ) -> None:
        """Turn a channel's leaderboard on or off (an admin's choice; off until then)."""
        write_setting(self.engine, (platform, workspace, channel), "leaderboard", enabled, by, now)

    def leaderboard_enabled(self, platform: str, workspace: str, channel: str) -> bool:
        return read_setting(self.engine, (platform, workspace, channel), "leaderboard")
