"""Suggested tips and the "Community" tips approved suggestions become.

A suggestion is `pending` until an admin approves or rejects it. Approval is one transaction:
`UPDATE suggestions … WHERE id = ? AND status = 'pending'`, then the community tip's INSERT.
Of two replicas approving (or one approving, one rejecting) the same suggestion at once,
exactly one changes the row; the other finds it decided and is told by whom. Replicas notice
new community tips by `community_version()` (count and newest change), a read cheap enough to
make before every command. A member's pending limit holds under concurrent suggestions too:
on PostgreSQL they take turns on an advisory lock for that member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    String,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql

from bot.core.community import CommunityEntry, community_tip_id
from bot.runtime.store.dialect_insert import one_writer
from bot.runtime.store.schema import check_fits, community_tips, suggestions
from bot.runtime.store.times import aware, from_db, to_db

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
# Display names are only shown, never matched: a long one is cut, not refused.
NAME_MAX = cast(String, suggestions.c.member_name.type).length or 0
REASON_MAX = 500


@dataclass(frozen=True)
class Suggestion:
    id: int
    platform: str
    workspace: str
    channel: str
    member: str
    member_name: str
    text: str
    topics: tuple[str, ...]
    status: str  # PENDING | APPROVED | REJECTED
    created_at: datetime
    decided_by: str = ""
    decided_by_name: str = ""
    decided_at: datetime | None = None
    reason: str = ""
    tip_id: str = ""


@dataclass(frozen=True)
class Decision:
    """What an approve or reject did: `changed` is False when the suggestion was already
    decided (by `suggestion.decided_by_name`, as `suggestion.status`) or does not exist
    (`suggestion` None)."""

    changed: bool
    suggestion: Suggestion | None


class TooManyPending(Exception):
    """The member has `pending` suggestions waiting already, the most allowed."""

    def __init__(self, pending: int) -> None:
        super().__init__(f"{pending} suggestions pending")
        self.pending = pending


def _topics(value: str) -> tuple[str, ...]:
    return tuple(t for t in value.split(",") if t)


def suggestion_row(r: Any) -> Suggestion:
    """A `suggestions` row as a `Suggestion`."""
    return Suggestion(
        id=int(r.id),
        platform=r.platform,
        workspace=r.workspace,
        channel=r.channel,
        member=r.member,
        member_name=r.member_name,
        text=r.text,
        topics=_topics(r.topics),
        status=r.status,
        created_at=aware(r.created_at),
        decided_by=r.decided_by or "",
        decided_by_name=r.decided_by_name or "",
        decided_at=from_db(r.decided_at),
        reason=r.reason or "",
        tip_id=r.tip_id or "",
    )


class SuggestionQueries:
    """The `suggestions` and `community_tips` tables. A part of `Store`, which supplies the
    engine."""

    engine: Engine

    def add_suggestion(
        self,
        platform: str,
        workspace: str,
        channel: str,
        member: str,
        member_name: str,
        text: str,
        topics: tuple[str, ...],
        now: datetime,
        max_pending: int,
    ) -> Suggestion:
        """Queue a suggestion; TooManyPending when the member has `max_pending` waiting."""
        s = suggestions.c
        for column, value in ((s.platform, platform), (s.member, member), (s.channel, channel)):
            check_fits(column, value)
        with one_writer(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                # One member's suggestions queue here, so two at once can't both pass the
                # count (SQLite's BEGIN IMMEDIATE already lets one writer in at a time).
                conn.execute(
                    sql("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                    {"key": f"k8stip-suggest:{platform}:{member}"},
                )
            waiting = conn.execute(
                select(func.count())
                .select_from(suggestions)
                .where(s.platform == platform, s.member == member, s.status == PENDING)
            ).scalar_one()
            if waiting >= max_pending:
                raise TooManyPending(int(waiting))
            new_id = conn.execute(
                insert(suggestions)
                .values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    member=member,
                    member_name=member_name[:NAME_MAX],
                    text=text,
                    topics=",".join(topics),
                    status=PENDING,
                    created_at=to_db(now),
                )
                .returning(s.id)
            ).scalar_one()
            added = self._suggestion(conn, int(new_id))
            assert added is not None  # just inserted, in this transaction
            return added

    def suggestion(self, suggestion_id: int) -> Suggestion | None:
        with self.engine.connect() as conn:
            return self._suggestion(conn, suggestion_id)

    @staticmethod
    def _suggestion(conn: Connection, suggestion_id: int) -> Suggestion | None:
        row = conn.execute(select(suggestions).where(suggestions.c.id == suggestion_id)).first()
        return suggestion_row(row) if row is not None else None

    def pending_suggestions(self, limit: int = 100) -> tuple[list[Suggestion], int]:
        """The oldest pending suggestions (at most `limit`), and how many are pending."""
        s = suggestions.c
        with self.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(suggestions).where(s.status == PENDING)
            ).scalar_one()
            rows = conn.execute(
                select(suggestions)
                .where(s.status == PENDING)
                .order_by(s.created_at, s.id)
                .limit(limit)
            )
            return [suggestion_row(r) for r in rows], int(total)

    def edit_suggestion(self, suggestion_id: int, text: str, topics: tuple[str, ...]) -> bool:
        """Change a pending suggestion's text and topics; False when it is not pending."""
        s = suggestions.c
        with one_writer(self.engine) as conn:
            result = cast(
                CursorResult[Any],
                conn.execute(
                    update(suggestions)
                    .where(s.id == suggestion_id, s.status == PENDING)
                    .values(text=text, topics=",".join(topics))
                ),
            )
            return result.rowcount == 1

    def _decide(
        self,
        conn: Connection,
        suggestion_id: int,
        status: str,
        by: str,
        by_name: str,
        now: datetime,
        **values: Any,
    ) -> bool:
        s = suggestions.c
        result = cast(
            CursorResult[Any],
            conn.execute(
                update(suggestions)
                .where(s.id == suggestion_id, s.status == PENDING)
                .values(
                    status=status,
                    decided_by=by[: cast(String, s.decided_by.type).length],
                    decided_by_name=by_name[:NAME_MAX],
                    decided_at=to_db(now),
                    **values,
                )
            ),
        )
        return result.rowcount == 1

    def approve_suggestion(
        self, suggestion_id: int, by: str, by_name: str, now: datetime
    ) -> Decision:
        """Approve a pending suggestion: it becomes a community tip, in the same transaction.
        Of two approvals at once, one changes it; the other gets `changed=False`."""
        with one_writer(self.engine) as conn:
            current = self._suggestion(conn, suggestion_id)
            if current is None or current.status != PENDING:
                return Decision(False, current)
            tip_id = community_tip_id(current.text)
            taken = conn.execute(
                select(community_tips.c.text).where(community_tips.c.tip_id == tip_id)
            ).first()
            if taken is not None and " ".join(taken.text.lower().split()) != " ".join(
                current.text.lower().split()
            ):
                tip_id = community_tip_id(current.text, long=True)  # two texts, one short hash
            if not self._decide(conn, suggestion_id, APPROVED, by, by_name, now, tip_id=tip_id):
                # Decided between our read and our update: report the winner's decision.
                return Decision(False, self._suggestion(conn, suggestion_id))
            conn.execute(
                insert(community_tips).values(
                    tip_id=tip_id,
                    suggestion_id=suggestion_id,
                    text=current.text,
                    topics=",".join(current.topics),
                    platform=current.platform,
                    author=current.member,
                    author_name=current.member_name,
                    approved_by_name=by_name[:NAME_MAX],
                    approved_at=to_db(now),
                    updated_at=to_db(now),
                )
            )
            return Decision(True, self._suggestion(conn, suggestion_id))

    def reject_suggestion(
        self, suggestion_id: int, by: str, by_name: str, reason: str, now: datetime
    ) -> Decision:
        """Reject a pending suggestion, with an optional reason shown to its author."""
        with one_writer(self.engine) as conn:
            changed = self._decide(
                conn, suggestion_id, REJECTED, by, by_name, now, reason=reason[:REASON_MAX]
            )
            return Decision(changed, self._suggestion(conn, suggestion_id))

    # -- the community source --------------------------------------------------------------

    def community_entries(self) -> list[CommunityEntry]:
        """Every community tip, oldest approval first."""
        c = community_tips.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(community_tips).order_by(c.approved_at, c.tip_id))
            return [
                CommunityEntry(
                    r.tip_id,
                    r.text,
                    _topics(r.topics),
                    r.author_name,
                    r.approved_by_name,
                    aware(r.approved_at).date(),
                )
                for r in rows
            ]

    def community_version(self) -> tuple[int, datetime | None]:
        """(how many community tips, the newest change): changes whenever one is added or
        edited, so a replica rebuilds its corpus only then."""
        c = community_tips.c
        with self.engine.connect() as conn:
            count, newest = conn.execute(select(func.count(), func.max(c.updated_at))).one()
        return int(count), from_db(newest)
