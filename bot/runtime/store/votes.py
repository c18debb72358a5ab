"""Votes and restorations: what each channel's members think of its tips.

A vote is one row per member per tip per channel. A press writes it with one
`INSERT … ON CONFLICT DO UPDATE` that also copies the replaced kind into `previous_kind` and
returns it, so the statement is atomic on both databases: a button pressed twice quickly, or
by the same member on two replicas at once, ends with one row, and each press learns what it
replaced (PostgreSQL makes the second insert wait for the first to commit, then updates the
committed row; SQLite writers take turns). The learning rules (`core.learning`) read the rows;
every tally is computed from them, so deleting a member's rows drops their votes everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, Row, and_, case, delete, func, select
from sqlalchemy.sql.expression import CTE

from bot.core.learning_model import Restoration, Vote, VoteKind
from bot.runtime.store.dialect_insert import dialect_insert, one_writer
from bot.runtime.store.records import ChannelKey, ForgetCounts
from bot.runtime.store.schema import check_fits, quiz_answers, restorations, votes
from bot.runtime.store.times import aware, to_db

T = TypeVar("T")

_KIND_BY_TEXT: dict[str, VoteKind] = {k.value: k for k in VoteKind}


def _vote(m: Any) -> Vote:
    return Vote(
        tip_id=m["tip_id"],
        member=m["member"],
        kind=_KIND_BY_TEXT[m["kind"]],
        admin=bool(m["admin"]),
        at=aware(m["at"]),
    )


def _restoration(m: Any) -> Restoration:
    return Restoration(tip_id=m["tip_id"], by=m["restored_by"], at=aware(m["at"]))


def _by_channel(rows: Iterable[Row[Any]], record: Callable[[Any], T]) -> dict[ChannelKey, list[T]]:
    """Rows of a votes-like table as records, grouped by channel, in the rows' order."""
    found: dict[ChannelKey, list[T]] = {}
    for r in rows:
        m = r._mapping
        found.setdefault((m["platform"], m["workspace"], m["channel"]), []).append(record(m))
    return found


class VoteQueries:
    """The `votes` and `restorations` tables. A part of `Store`, which supplies the engine."""

    engine: Engine

    def record_vote(
        self,
        platform: str,
        workspace: str,
        channel: str,
        tip_id: str,
        member: str,
        kind: VoteKind,
        admin: bool,
        now: datetime,
    ) -> VoteKind | None:
        """Record a member's vote on a tip in a channel, replacing theirs; return the kind it
        replaced (None for their first vote there), so the reply can say "changed your vote"
        or "you already said so"."""
        check_fits(votes.c.tip_id, tip_id)
        check_fits(votes.c.member, member)
        row = {
            "platform": platform,
            "workspace": workspace,
            "channel": channel,
            "tip_id": tip_id,
            "member": member,
            "kind": kind.value,
            "previous_kind": None,
            "admin": admin,
            "at": to_db(now),
        }
        with one_writer(self.engine) as conn:
            stmt = dialect_insert(conn, votes, row)
            stmt = stmt.on_conflict_do_update(
                index_elements=["platform", "workspace", "channel", "tip_id", "member"],
                set_={
                    # Every SET expression reads the row as it was: this is the old kind.
                    "previous_kind": votes.c.kind,
                    "kind": stmt.excluded.kind,
                    "admin": stmt.excluded.admin,
                    # A press that repeats the kind is not a new vote: keep its time, so a
                    # useful tip's review schedule (counted from the vote) does not restart.
                    "at": case(
                        (votes.c.kind == stmt.excluded.kind, votes.c.at), else_=stmt.excluded.at
                    ),
                },
            ).returning(votes.c.previous_kind)
            previous = conn.execute(stmt).scalar_one()
        return _KIND_BY_TEXT[previous] if previous is not None else None

    def channel_votes(self, platform: str, workspace: str, channel: str) -> list[Vote]:
        """Every current vote in a channel, oldest first."""
        v = votes.c
        q = (
            select(votes)
            .where(v.platform == platform, v.workspace == workspace, v.channel == channel)
            .order_by(v.at, v.id)
        )
        with self.engine.connect() as conn:
            return [_vote(r._mapping) for r in conn.execute(q)]

    def tip_votes_everywhere(self, tip_id: str) -> dict[ChannelKey, list[Vote]]:
        """A tip's current votes in every channel, oldest first in each (an admin page)."""
        v = votes.c
        q = select(votes).where(v.tip_id == tip_id).order_by(v.at, v.id)
        with self.engine.connect() as conn:
            return _by_channel(conn.execute(q), _vote)

    def vote_counts_by_kind(self) -> dict[VoteKind, int]:
        """Current votes of each kind, every kind present (0 when none): one GROUP BY."""
        q = select(votes.c.kind, func.count()).group_by(votes.c.kind)
        counts = dict.fromkeys(VoteKind, 0)
        with self.engine.connect() as conn:
            for kind, n in conn.execute(q):
                counts[_KIND_BY_TEXT[kind]] = int(n)
        return counts

    def channels_with_votes(self, kind: VoteKind) -> list[ChannelKey]:
        """The channels holding at least one vote of `kind` (metrics: only channels with a
        `not_useful` vote can have retired a tip)."""
        v = votes.c
        q = (
            select(v.platform, v.workspace, v.channel)
            .where(v.kind == kind.value)
            .distinct()
            .order_by(v.platform, v.workspace, v.channel)
        )
        with self.engine.connect() as conn:
            return [(r.platform, r.workspace, r.channel) for r in conn.execute(q)]

    def member_vote_count(self, platform: str, member: str) -> int:
        """How many votes a member has now, every channel of the platform (`/k8stip stats`)."""
        v = votes.c
        q = (
            select(func.count())
            .select_from(votes)
            .where(v.platform == platform, v.member == member)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # -- restorations -------------------------------------------------------------------

    def restore_tip(
        self, platform: str, workspace: str, channel: str, tip_id: str, by: str, now: datetime
    ) -> None:
        """Record that an admin undid a tip's retirement in a channel (the latest restore
        wins): votes cast before `now` no longer retire it there."""
        check_fits(restorations.c.tip_id, tip_id)
        check_fits(restorations.c.restored_by, by)
        row = {
            "platform": platform,
            "workspace": workspace,
            "channel": channel,
            "tip_id": tip_id,
            "restored_by": by,
            "at": to_db(now),
        }
        with self.engine.begin() as conn:
            stmt = dialect_insert(conn, restorations, row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["platform", "workspace", "channel", "tip_id"],
                    set_={"restored_by": stmt.excluded.restored_by, "at": stmt.excluded.at},
                )
            )

    def channel_restorations(
        self, platform: str, workspace: str, channel: str
    ) -> list[Restoration]:
        """The latest restore of each tip restored in a channel, oldest first."""
        r = restorations.c
        q = (
            select(restorations)
            .where(r.platform == platform, r.workspace == workspace, r.channel == channel)
            .order_by(r.at, r.id)
        )
        with self.engine.connect() as conn:
            return [_restoration(row._mapping) for row in conn.execute(q)]

    # -- forgetting ---------------------------------------------------------------------

    def forget_member(self, platform: str, member: str) -> ForgetCounts:
        """Delete a member's votes and quiz answers in every channel of the platform
        (`/k8stip forget me`), in one transaction. Tallies are counted from rows, so they drop
        the member's too."""
        with self.engine.begin() as conn:
            gone_votes: CursorResult[Any] = conn.execute(
                delete(votes).where(votes.c.platform == platform, votes.c.member == member)
            )
            gone_answers: CursorResult[Any] = conn.execute(
                delete(quiz_answers).where(
                    quiz_answers.c.platform == platform, quiz_answers.c.member == member
                )
            )
            return ForgetCounts(votes=gone_votes.rowcount, answers=gone_answers.rowcount)


def channels_votes(conn: Connection, channels: CTE) -> dict[ChannelKey, list[Vote]]:
    """Every current vote of the channels `channels` lists (platform, workspace, channel
    columns), oldest first in each: one query for a claimed batch."""
    v, k = votes.c, channels.c
    q = (
        select(votes)
        .join_from(
            votes,
            channels,
            and_(v.platform == k.platform, v.workspace == k.workspace, v.channel == k.channel),
        )
        .order_by(v.at, v.id)
    )
    return _by_channel(conn.execute(q), _vote)


def channels_restorations(conn: Connection, channels: CTE) -> dict[ChannelKey, list[Restoration]]:
    """The latest restore of each restored tip in the channels `channels` lists."""
    r, k = restorations.c, channels.c
    q = (
        select(restorations)
        .join_from(
            restorations,
            channels,
            and_(r.platform == k.platform, r.workspace == k.workspace, r.channel == k.channel),
        )
        .order_by(r.at, r.id)
    )
    return _by_channel(conn.execute(q), _restoration)
