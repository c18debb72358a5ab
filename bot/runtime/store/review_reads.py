"""What the web console's Review page reads: the suggestions decided lately (the pending ones
are `SuggestionQueries.pending_suggestions`), and what members asked for and did not find in
every workspace at once, counted in the database.

The requests list is one GROUP BY over `tip_requests` (by the grouping key
`bot.core.requests.request_key` made), then one read of the listed keys' latest words: its
cost follows the number of keys listed, never the number of rows asked. A member is counted
once per key however often they asked, as `/k8stip requests` counts them; member ids are a
platform's own, so a member is their platform and id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, case, desc, func, select

from bot.runtime.store.schema import suggestions, tip_requests
from bot.runtime.store.suggestions import PENDING, Suggestion, suggestion_row
from bot.runtime.store.times import aware, to_db

__all__ = ["AskedFor", "ReviewPageQueries"]


@dataclass(frozen=True)
class AskedFor:
    """One thing members asked for, over every workspace: the words its latest asker used,
    how many members asked (each once), how many times it was asked for (`request`) and
    searched for without an answer (`unanswered`), in how many workspaces, and when last."""

    key: str
    query: str
    members: int
    requested: int
    unanswered: int
    workspaces: int
    last_at: datetime  # UTC, aware


class ReviewPageQueries:
    """Reads of the Review page. A part of `Store`, which supplies the engine."""

    engine: Engine

    def decided_suggestions(self, limit: int) -> list[Suggestion]:
        """The `limit` suggestions decided last (approved or rejected), newest first."""
        s = suggestions.c
        q = (
            select(suggestions)
            .where(s.status != PENDING, s.decided_at.is_not(None))
            .order_by(desc(s.decided_at), desc(s.id))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [suggestion_row(r) for r in conn.execute(q)]

    def suggestion_count(self) -> int:
        """How many suggestions were ever made (any status)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(suggestions)).scalar_one())

    def asked_for_everywhere(self, since: datetime, limit: int) -> list[AskedFor]:
        """The `limit` things asked for (requests and unanswered searches) since `since`, in
        every workspace: most members first, then the most asks, the latest, the key."""
        # Imported here: the word rules load the stemmer, which `k8stip deliver` (this
        # package's other user) never needs.
        from bot.core.requests import REQUEST, UNANSWERED

        r = tip_requests.c
        recent = (r.at >= to_db(since), r.kind.in_((REQUEST, UNANSWERED)))
        members = func.count(func.distinct(r.platform + ":" + r.member)).label("members")
        asks = func.count().label("asks")
        requested = func.sum(case((r.kind == REQUEST, 1), else_=0)).label("requested")
        unanswered = func.sum(case((r.kind == UNANSWERED, 1), else_=0)).label("unanswered")
        workspaces = func.count(func.distinct(r.platform + "/" + r.workspace)).label("spaces")
        last = func.max(r.at).label("last_at")
        q = (
            select(r.key, members, requested, unanswered, workspaces, last)
            .where(*recent)
            .group_by(r.key)
            .order_by(desc(members), desc(asks), desc(last), r.key)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            top = conn.execute(q).all()
            if not top:
                return []
            # The words of each listed key's latest ask, as typed (case kept).
            latest = (
                select(r.key, r.query)
                .where(*recent, r.key.in_([row.key for row in top]))
                .order_by(r.key, desc(r.at), desc(r.id))
            )
            words: dict[str, str] = {}
            for key, query in conn.execute(latest):
                words.setdefault(key, query)
        return [
            AskedFor(
                key=row.key,
                query=words.get(row.key, row.key),
                members=int(row.members),
                requested=int(row.requested or 0),
                unanswered=int(row.unanswered or 0),
                workspaces=int(row.spaces),
                last_at=aware(row.last_at),
            )
            for row in top
        ]
