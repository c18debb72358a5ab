"""What the web console's Overview page reads about every subscription at once: how many
there are per platform and workspace, one page of them in order, the next post of each on
that page, the deliveries of recent days counted per day and status, and a page of the audit
log.

Each read is one query (or two) whatever the number of subscriptions: counts are GROUP BYs
in the database, lists are LIMITed pages, and the next posts of a page's subscriptions come
from one read of their ledger rows, never one query per subscription.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, case, func, select

from bot.runtime.store.channel_reads import _day
from bot.runtime.store.records import FAILED, PAUSED, SENT, SKIPPED, Subscription
from bot.runtime.store.schedule_changes import WRITTEN_LOOKBACK, first_unwritten_post
from bot.runtime.store.schema import deliveries, subscriptions, web_audit
from bot.runtime.store.times import aware, to_db
from bot.runtime.store.web_console import AuditEntry

__all__ = ["CHART_STATUSES", "OverviewQueries", "SubscriptionTotals", "WorkspaceCount"]

# The endings a day's deliveries are counted by (planned and claimed ones are not over yet).
CHART_STATUSES = (SENT, SKIPPED, FAILED, PAUSED)


@dataclass(frozen=True)
class WorkspaceCount:
    """The subscriptions of one workspace (Slack) or guild (Discord), and how many are paused."""

    platform: str
    workspace: str
    subscriptions: int
    paused: int


@dataclass(frozen=True)
class SubscriptionTotals:
    """Every subscription: how many workspaces and guilds, subscriptions and paused ones."""

    workspaces: int
    subscriptions: int
    paused: int


class OverviewQueries:
    """Reads of the Overview page. A part of `Store`, which supplies the engine."""

    engine: Engine

    def workspace_counts(self, limit: int) -> tuple[list[WorkspaceCount], SubscriptionTotals]:
        """The first `limit` workspaces by platform and name with their subscription and
        paused counts, and the totals over every workspace: one GROUP BY, one pass over
        the table (a workspace past `limit` is counted, not kept)."""
        s = subscriptions.c
        paused = func.sum(case((s.paused.is_(True), 1), else_=0))
        q = (
            select(s.platform, s.workspace, func.count(), paused)
            .group_by(s.platform, s.workspace)
            .order_by(s.platform, s.workspace)
        )
        shown: list[WorkspaceCount] = []
        groups = subs = paused_subs = 0
        with self.engine.connect() as conn:
            for platform, workspace, n, p in conn.execute(q):
                groups, subs, paused_subs = groups + 1, subs + int(n), paused_subs + int(p or 0)
                if len(shown) < limit:
                    shown.append(WorkspaceCount(platform, workspace, int(n), int(p or 0)))
        return shown, SubscriptionTotals(groups, subs, paused_subs)

    def subscription_page(
        self, limit: int, offset: int = 0, paused_only: bool = False
    ) -> list[Subscription]:
        """`limit` subscriptions after `offset`, by platform, workspace and channel (the order
        of their unique index); only the paused ones when `paused_only`."""
        s = subscriptions.c
        q = select(subscriptions).order_by(s.platform, s.workspace, s.channel)
        if paused_only:
            q = q.where(s.paused.is_(True))
        with self.engine.connect() as conn:
            rows = conn.execute(q.limit(limit).offset(offset)).all()
        return [Subscription.from_row(r) for r in rows]

    def next_posts(
        self, subs: list[Subscription], after: datetime
    ) -> dict[int, tuple[date, datetime, list[date]] | None]:
        """`next_unwritten_post` of each subscription, by id, from one read of all their
        ledger rows that can matter (the rule is `schedule_changes.first_unwritten_post`)."""
        if not subs:
            return {}
        d = deliveries.c
        q = select(d.subscription_id, d.local_date).where(
            d.subscription_id.in_([sub.id for sub in subs]),
            d.due_at > to_db(after - WRITTEN_LOOKBACK),
        )
        written: dict[int, set[date]] = defaultdict(set)
        with self.engine.connect() as conn:
            for sub_id, local_date in conn.execute(q):
                written[sub_id].add(_day(local_date))
        return {sub.id: first_unwritten_post(sub, after, written[sub.id]) for sub in subs}

    def deliveries_by_day(self, first: date, last: date) -> dict[tuple[date, str], int]:
        """Every channel's finished deliveries of the local dates `first`..`last`, counted
        per local date and status (sent, skipped, failed, paused): one GROUP BY.

        The statuses are picked here, not in the WHERE: with `status IN (…)` SQLite walks
        the `(status, due_at)` index and fetches every row from the table, which took twice
        as long as one plain pass over it (200,000 rows of 30 days: ~500 ms against ~220 ms
        on a busy machine). The few planned and claimed rows are dropped after."""
        d = deliveries.c
        q = (
            select(d.local_date, d.status, func.count())
            .where(d.local_date >= first, d.local_date <= last)
            .group_by(d.local_date, d.status)
        )
        finished = {s.value for s in CHART_STATUSES}
        with self.engine.connect() as conn:
            return {
                (_day(day), str(status)): int(n)
                for day, status, n in conn.execute(q)
                if status in finished
            }

    def audit_page(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        """`limit` changes made on pages after `offset`, newest first."""
        a = web_audit.c
        q = (
            select(a.id, a.at, a.actor, a.address, a.action, a.target, a.detail)
            .order_by(a.at.desc(), a.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            AuditEntry(r.id, aware(r.at), r.actor, r.address, r.action, r.target, r.detail)
            for r in rows
        ]
