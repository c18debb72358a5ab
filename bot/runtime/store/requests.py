"""Requests for tips and unanswered searches: the `tip_requests` table.

One row per request or unanswered question, with the member who made it; every list counts
distinct members, so one member asking ten times counts once. Each workspace sees only its
own rows. `kind` is "request" (asked for) or "unanswered" (a question no tip answered); `key`
is the grouping key `bot.core.requests.request_key` makes, `query` the words as kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Engine, delete, desc, func, insert, select

from bot.runtime.store.schema import check_fits, tip_requests
from bot.runtime.store.times import aware, to_db

if TYPE_CHECKING:
    from bot.core.requests import RequestKind


@dataclass(frozen=True)
class RequestCount:
    """One requested thing: its key, the words its latest asker used, how many members
    asked (each once), and when it was last asked."""

    key: str
    query: str
    members: int
    last_at: datetime  # UTC, aware


class RequestQueries:
    """The `tip_requests` table. A part of `Store`, which supplies the engine."""

    engine: Engine

    def record_tip_request(
        self,
        platform: str,
        workspace: str,
        channel: str,
        member: str,
        kind: RequestKind,
        query: str,
        now: datetime,
    ) -> bool:
        """Note a request or an unanswered question; False (nothing kept) when the words
        normalise to nothing. The query is bounded here whatever the caller passes."""
        # Imported here: the word rules load the stemmer, which `k8stip deliver` (this
        # package's other user) never needs; a chat process has them loaded already.
        from bot.core.requests import kept_query, request_key

        key = request_key(query)
        if not key:
            return False
        check_fits(tip_requests.c.member, member)
        with self.engine.begin() as conn:
            conn.execute(
                insert(tip_requests).values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    member=member,
                    kind=kind,
                    query=kept_query(query),
                    key=key,
                    at=to_db(now),
                )
            )
        return True

    def top_tip_requests(
        self, platform: str, workspace: str, kind: RequestKind, since: datetime, limit: int
    ) -> list[RequestCount]:
        """The most-asked keys of `kind` in a workspace since `since`, most members first
        (then the latest first, then by key), each member counted once per key."""
        r = tip_requests.c
        where = (r.platform == platform, r.workspace == workspace, r.kind == kind)
        recent = (*where, r.at >= to_db(since))
        members = func.count(func.distinct(r.member)).label("members")
        last = func.max(r.at).label("last_at")
        q = (
            select(r.key, members, last)
            .where(*recent)
            .group_by(r.key)
            .order_by(desc(members), desc(last), r.key)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            top = [(m["key"], int(m["members"]), m["last_at"]) for m in _maps(conn.execute(q))]
            if not top:
                return []
            # The words of each key's latest row, as typed (case kept), for the list.
            latest = (
                select(r.key, r.query, r.at, r.id)
                .where(*recent, r.key.in_([k for k, _, _ in top]))
                .order_by(r.key, desc(r.at), desc(r.id))
            )
            words: dict[str, str] = {}
            for m in _maps(conn.execute(latest)):
                words.setdefault(m["key"], m["query"])
        return [RequestCount(k, words.get(k, k), n, aware(at)) for k, n, at in top]

    def forget_member_requests(self, platform: str, member: str) -> int:
        """Delete a member's requests and unanswered questions in every workspace of the
        platform (`/k8stip forget me`); return how many rows went."""
        with self.engine.begin() as conn:
            gone: CursorResult[Any] = conn.execute(
                delete(tip_requests).where(
                    tip_requests.c.platform == platform, tip_requests.c.member == member
                )
            )
            return gone.rowcount


def _maps(result: Any) -> list[Any]:
    return [row._mapping for row in result]
