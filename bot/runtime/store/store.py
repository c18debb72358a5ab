"""The durable store: subscriptions, the delivery ledger, tip history, votes and quizzes, in
one SQL database.

One code path for SQLite and PostgreSQL (SQLAlchemy 2 Core). Methods are synchronous and
short; async callers run them with `asyncio.to_thread` so the event loop never waits on the
database.

`Store` is the one object the rest of the bot holds. Its methods live with the tables they
touch: `subscriptions.py`, `ledger.py` (planning and reading deliveries), `claims.py` (claim,
lease, mark, release), `history.py`, `votes.py` (votes, restorations, forgetting a member),
`quizzes.py` (quiz postings and answers), `practice.py` (Leitner cards, the leaderboard
and its channel setting), `channel_options.py` (thread answers, a post's mention),
`requests.py` (requests for tips, unanswered questions), `posts.py` (past daily posts with
their votes), `schedule_changes.py` (`skip` and `post now` in the ledger), `personal.py`
(members' own subscriptions), `suggestions.py` (suggested tips, the community source) and
`web_console.py` (the admin web console's sessions and audit log), with the console pages'
reads in `overview_reads.py`, `channel_reads.py`, `tip_reads.py` and `review_reads.py`.
Those classes hold no state but `self.engine`, which `Store` owns, so `Store` inherits them:
every caller keeps calling `store.mark_sent(...)`, with no layer of forwarding methods to keep
in step. Records and statuses are in `records.py`, schema upgrades in `migrate.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, text

from bot.runtime.store.channel_options import ChannelOptionQueries
from bot.runtime.store.channel_reads import ChannelPageQueries
from bot.runtime.store.claims import ClaimQueries
from bot.runtime.store.engine import SQLITE_BUSY_TIMEOUT_MS, open_engine
from bot.runtime.store.history import HistoryQueries
from bot.runtime.store.ledger import LedgerQueries
from bot.runtime.store.migrate import bundled_head, current_revision, upgrade
from bot.runtime.store.overview_reads import OverviewQueries
from bot.runtime.store.personal import PersonalQueries
from bot.runtime.store.posts import PostQueries
from bot.runtime.store.practice import PracticeQueries
from bot.runtime.store.quizzes import QuizQueries
from bot.runtime.store.requests import RequestQueries
from bot.runtime.store.review_reads import ReviewPageQueries
from bot.runtime.store.schedule_changes import ScheduleChangeQueries
from bot.runtime.store.schema import subscriptions
from bot.runtime.store.subscriptions import SubscriptionQueries
from bot.runtime.store.suggestions import SuggestionQueries
from bot.runtime.store.tip_reads import TipPageQueries
from bot.runtime.store.votes import VoteQueries
from bot.runtime.store.web_console import WebConsoleQueries


class Store(
    SubscriptionQueries,
    LedgerQueries,
    ClaimQueries,
    HistoryQueries,
    VoteQueries,
    QuizQueries,
    PracticeQueries,
    SuggestionQueries,
    ChannelOptionQueries,
    RequestQueries,
    PostQueries,
    ScheduleChangeQueries,
    PersonalQueries,
    WebConsoleQueries,
    ChannelPageQueries,
    TipPageQueries,
    ReviewPageQueries,
    OverviewQueries,
):
    """Subscriptions, deliveries, history, votes and quizzes in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest bundled revision; return it.

        Safe to run from several replicas at once: on PostgreSQL they take turns under an
        advisory lock, and the later ones find the schema at head and change nothing."""
        upgrade(self.engine)
        return self.revision() or ""

    def revision(self) -> str | None:
        return current_revision(self.engine)

    @staticmethod
    def head_revision() -> str:
        return bundled_head()

    # -- what the health server asks ---------------------------------------------------

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # On the driver's connection: through SQLAlchemy, SELECT 1 would first BEGIN
                # IMMEDIATE (engine.py) and wait behind any writer for up to 30 s.
                raw: Any = conn.connection.driver_connection
                raw.execute("SELECT 1").fetchall()
                return
            conn.execute(text("SELECT 1"))

    def check_writable(self, timeout_seconds: float = 2.0) -> None:
        """Raise unless a small write commits within `timeout_seconds` of waiting for locks.

        The write rewrites the one `alembic_version` row in place and commits: a table every
        migrated store has and no hot path reads. A committed write is what a delivery mark
        needs, so it fails where marks would: a SQLite file or filesystem that is read-only,
        a disk that is full when the journal must grow, a PostgreSQL standby or a read-only
        transaction default. (A write rolled back on SQLite never reaches the file, so it
        would miss a full disk.) The lock wait is bounded on the connection, so a probe never
        sits in a thread for SQLite's 30 s busy timeout."""
        ms = max(1, int(timeout_seconds * 1000))
        bump = text("UPDATE alembic_version SET version_num = version_num")
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # On the driver's connection: through SQLAlchemy the PRAGMA would open the
                # transaction (BEGIN IMMEDIATE) before the shorter wait applies.
                raw: Any = conn.connection.driver_connection
                raw.execute(f"PRAGMA busy_timeout={ms}")
                try:
                    with conn.begin():  # BEGIN IMMEDIATE: takes the write lock
                        conn.execute(bump)
                finally:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                return
            with conn.begin():
                conn.execute(text(f"SET LOCAL lock_timeout = {ms}"))
                conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
                conn.execute(bump)

    def subscription_counts(self) -> tuple[int, int]:
        """(all subscriptions, paused ones): one COUNT … GROUP BY, whatever their number."""
        q = select(subscriptions.c.paused, func.count()).group_by(subscriptions.c.paused)
        with self.engine.connect() as conn:
            counts = {bool(paused): int(n) for paused, n in conn.execute(q)}
        return sum(counts.values()), counts.get(True, 0)
