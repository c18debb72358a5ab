"""Quizzes: the questions posted in each channel and the members' answers to them.

One answer per member per posted question: the answer is an `INSERT … ON CONFLICT DO NOTHING`
on the `(posting_id, member)` key, so a double press, or two replicas handling presses by the
same member at once, store the first and tell the others they came second. Tallies (and the
leaderboard, in `practice.py`) are counted from the rows, so a member who asks to be
forgotten drops out of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, String, case, func, insert, select, update

from bot.core.learning_model import QuizAnswer
from bot.runtime.store.dialect_insert import dialect_insert, one_writer
from bot.runtime.store.records import QuizPosting, QuizPostingNotFound, ShownKind
from bot.runtime.store.schema import check_fits, quiz_answers, quiz_postings
from bot.runtime.store.times import aware, to_db

# A display name is only shown, never matched: a long one is cut, not refused.
NAME_MAX = cast(String, quiz_answers.c.display_name.type).length or 0


class QuizQueries:
    """The `quiz_postings` and `quiz_answers` tables. A part of `Store`, which supplies the
    engine."""

    engine: Engine

    # -- postings -----------------------------------------------------------------------

    def record_quiz_posting(
        self,
        platform: str,
        workspace: str,
        channel: str,
        qid: str,
        tip_id: str,
        term: str,
        local_date: date,
        now: datetime,
        kind: ShownKind = ShownKind.DAILY,
        message_ref: str | None = None,
    ) -> int:
        """Record a question posted (or about to be posted) in a channel; return its id, which
        its answer buttons carry."""
        p = quiz_postings.c
        for column, value in ((p.qid, qid), (p.tip_id, tip_id), (p.term, term)):
            check_fits(column, value)
        with self.engine.begin() as conn:
            new_id = conn.execute(
                insert(quiz_postings)
                .values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    qid=qid,
                    tip_id=tip_id,
                    term=term,
                    kind=kind.value,
                    message_ref=message_ref,
                    local_date=local_date,
                    posted_at=to_db(now),
                    revealed=False,
                )
                .returning(quiz_postings.c.id)
            ).scalar_one()
        return int(new_id)

    def set_quiz_message_ref(self, posting_id: int, message_ref: str) -> bool:
        """Remember the platform's message id once the question is posted (to update its
        tally in place); False when there is no such posting."""
        return self._update_posting(posting_id, message_ref=message_ref)

    def mark_revealed(self, posting_id: int) -> bool:
        """The question's answer was shown (in the next day's post); False when there is no
        such posting."""
        return self._update_posting(posting_id, revealed=True)

    def _update_posting(self, posting_id: int, **values: Any) -> bool:
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(quiz_postings).where(quiz_postings.c.id == posting_id).values(**values)
            )
            return res.rowcount > 0

    def quiz_posting(self, posting_id: int) -> QuizPosting | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(quiz_postings).where(quiz_postings.c.id == posting_id)
            ).first()
        return QuizPosting.from_row(row) if row else None

    def find_quiz_posting(
        self,
        platform: str,
        workspace: str,
        channel: str,
        qid: str,
        message_ref: str | None = None,
    ) -> QuizPosting | None:
        """The posting a pressed answer button belongs to (its command carries the question
        id, not the posting): the channel's posting of `qid` on message `message_ref` when the
        platform says which message was pressed, else the channel's latest posting of `qid`
        (a question comes back on a spaced schedule, so a channel may have several)."""
        p = quiz_postings.c
        q = select(quiz_postings).where(
            p.platform == platform, p.workspace == workspace, p.channel == channel, p.qid == qid
        )
        if message_ref is not None:
            q = q.order_by(case((p.message_ref == message_ref, 0), else_=1))
        q = q.order_by(p.id.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return QuizPosting.from_row(row) if row else None

    def last_quiz_posting(
        self,
        platform: str,
        workspace: str,
        channel: str,
        before: date,
        kind: ShownKind | None = ShownKind.DAILY,
    ) -> QuizPosting | None:
        """The channel's latest question posted on a local date before `before` (of `kind`;
        None: any): the one whose answer today's post reveals."""
        p = quiz_postings.c
        q = (
            select(quiz_postings)
            .where(
                p.platform == platform,
                p.workspace == workspace,
                p.channel == channel,
                p.local_date < before,
            )
            .order_by(p.local_date.desc(), p.id.desc())
            .limit(1)
        )
        if kind is not None:
            q = q.where(p.kind == kind.value)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return QuizPosting.from_row(row) if row else None

    # -- answers ------------------------------------------------------------------------

    def record_quiz_answer(
        self,
        posting_id: int,
        member: str,
        choice: str,
        correct: bool,
        now: datetime,
        display_name: str | None = None,
    ) -> bool:
        """Store a member's answer to a posted question; False when they had already
        answered it (their first answer stands). Raises `QuizPostingNotFound` when there is
        no such posting."""
        check_fits(quiz_answers.c.member, member)
        check_fits(quiz_answers.c.choice, choice)
        with one_writer(self.engine) as conn:
            posting = conn.execute(
                select(
                    quiz_postings.c.platform, quiz_postings.c.workspace, quiz_postings.c.channel
                ).where(quiz_postings.c.id == posting_id)
            ).first()
            if posting is None:
                raise QuizPostingNotFound(posting_id)
            row = {
                "posting_id": posting_id,
                "platform": posting.platform,
                "workspace": posting.workspace,
                "channel": posting.channel,
                "member": member,
                "display_name": display_name[:NAME_MAX] if display_name is not None else None,
                "choice": choice,
                "correct": correct,
                "at": to_db(now),
            }
            stmt = dialect_insert(conn, quiz_answers, row)
            stored = conn.execute(
                stmt.on_conflict_do_nothing(index_elements=["posting_id", "member"]).returning(
                    quiz_answers.c.id
                )
            ).first()
        return stored is not None

    def quiz_tally(self, posting_id: int) -> tuple[int, int]:
        """(answered, right) for a posted question, counted from the stored answers."""
        a = quiz_answers.c
        q = select(func.count(), func.sum(case((a.correct.is_(True), 1), else_=0))).where(
            a.posting_id == posting_id
        )
        with self.engine.connect() as conn:
            answered, right = conn.execute(q).one()
        return int(answered), int(right or 0)

    def channel_quiz_answers(
        self, platform: str, workspace: str, channel: str, since: datetime
    ) -> list[QuizAnswer]:
        """Every answer given in a channel at or after `since`, oldest first."""
        a = quiz_answers.c
        return self._answers(
            a.platform == platform,
            a.workspace == workspace,
            a.channel == channel,
            a.at >= to_db(since),
        )

    def member_quiz_answers(self, platform: str, member: str) -> list[QuizAnswer]:
        """Every answer a member gave, in every channel of the platform, oldest first
        (`/k8stip stats`: answered, share right, streak)."""
        a = quiz_answers.c
        return self._answers(a.platform == platform, a.member == member)

    def _answers(self, *where: Any) -> list[QuizAnswer]:
        a, p = quiz_answers.c, quiz_postings.c
        q = (
            select(a.posting_id, p.tip_id, p.term, a.member, a.choice, a.correct, a.at)
            .join_from(quiz_answers, quiz_postings, p.id == a.posting_id)
            .where(*where)
            .order_by(a.at, a.id)
        )
        with self.engine.connect() as conn:
            return [
                QuizAnswer(
                    question_id=str(r.posting_id),
                    tip_id=r.tip_id,
                    term=r.term,
                    member=r.member,
                    choice=r.choice,
                    correct=bool(r.correct),
                    at=aware(r.at),
                )
                for r in conn.execute(q)
            ]

    def quiz_answer_counts(self) -> tuple[int, int]:
        """(right, wrong) answers stored, every channel: for metrics."""
        a = quiz_answers.c
        q = select(a.correct, func.count()).group_by(a.correct)
        with self.engine.connect() as conn:
            counts = {bool(correct): int(n) for correct, n in conn.execute(q)}
        return counts.get(True, 0), counts.get(False, 0)
