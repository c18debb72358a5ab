"""The durable store: subscriptions, the delivery ledger and tip history, in one SQL database.

One code path for SQLite and PostgreSQL (SQLAlchemy 2 Core). Methods are synchronous and
short; async callers run them with `asyncio.to_thread` so the event loop never waits on the
database.

`Store` is the one object the rest of the bot holds. Its methods live with the tables they
touch: `subscriptions.py`, `ledger.py` (planning and reading deliveries), `claims.py` (claim,
lease, mark, release) and `history.py`. Those classes hold no state but `self.engine`, which
`Store` owns, so `Store` inherits them: every caller keeps calling `store.mark_sent(...)`, with
no layer of forwarding methods to keep in step. Records and statuses are in `records.py`,
schema upgrades in `migrate.py`.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from bot.runtime.store.claims import ClaimQueries
from bot.runtime.store.engine import open_engine
from bot.runtime.store.history import HistoryQueries
from bot.runtime.store.ledger import LedgerQueries
from bot.runtime.store.migrate import bundled_head, current_revision, upgrade
from bot.runtime.store.subscriptions import SubscriptionQueries


class Store(SubscriptionQueries, LedgerQueries, ClaimQueries, HistoryQueries):
    """Subscriptions, deliveries and history in one SQL database."""

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

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
