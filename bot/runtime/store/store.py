"""The durable store: subscriptions, the delivery ledger and tip history.

One code path for SQLite and PostgreSQL (SQLAlchemy 2 Core). Methods are synchronous and
short; async callers run them with `asyncio.to_thread` (see `AsyncStore`) so the event loop
never waits on the database.

Claiming is the heart of "exactly once per channel per day": a claim selects due rows with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite ignores the clause and serialises writers with
`BEGIN IMMEDIATE` instead) and then flips them with a conditional UPDATE, so two processes can
never both hold a row. A claim carries a lease; a process that dies mid-run leaves its rows
claimable again once the lease runs out, and the next claimer reconciles before re-posting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    String,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.engine import Row, make_url
from sqlalchemy.sql.expression import CTE

from bot.core.schedules import Schedule, days_from_text, days_to_text
from bot.runtime.store.schema import deliveries, subscriptions, tip_history

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# A fixed key for PostgreSQL's advisory lock: replicas starting together on an empty database
# migrate one at a time instead of racing to create the same tables.
MIGRATION_LOCK_KEY = 0x6B387374  # "k8st"
# Alembic keeps its running migration in module globals: one upgrade per process at a time.
_ALEMBIC_LOCK = threading.Lock()


@contextmanager
def migration_lock(conn: Connection) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock `MIGRATION_LOCK_KEY` on `conn` (waiting for
    another process's migration to finish); nothing on SQLite, whose writers are serialised
    by the file lock. The connection has no transaction open on entry or exit."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    conn.commit()  # a session-level lock outlives the transaction that took it
    try:
        yield
    finally:
        try:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
        except Exception:
            # Never return a connection that may still hold the lock to the pool: closing
            # its session releases the lock.
            conn.invalidate()
            raise


# Delivery statuses. `planned` and `claimed` are open; the rest are final.
PLANNED, CLAIMED, SENT, SKIPPED, FAILED, PAUSED = (
    "planned",
    "claimed",
    "sent",
    "skipped",
    "failed",
    "paused",
)
FINAL_STATUSES = (SENT, SKIPPED, FAILED, PAUSED)


def to_db(dt: datetime) -> datetime:
    """Aware datetime -> naive UTC, the form both databases store."""
    if dt.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None else None


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC)


# Subscriptions repeat a few day sets and topic filters: parse each distinct text once.
@lru_cache(maxsize=1024)
def _days(text: str) -> tuple[int, ...]:
    return days_from_text(text)


@lru_cache(maxsize=1024)
def _topics(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


@dataclass(frozen=True)
class SubscriptionSpec:
    """What a subscription asks for; the input to create or change one."""

    platform: str
    workspace: str
    channel: str
    time: str  # "09:00"
    timezone: str  # IANA name
    days: tuple[int, ...]
    topics: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    workspace: str
    channel: str
    time: str
    timezone: str
    days: tuple[int, ...]
    topics: tuple[str, ...]
    paused: bool
    paused_reason: str
    origin: str  # "config" | "chat"
    created_by: str
    created_at: datetime
    updated_at: datetime
    active_from: datetime | None

    @property
    def schedule(self) -> Schedule:
        return Schedule.parse(self.time, self.timezone, self.days)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)

    @classmethod
    def from_row(cls, r: Row[Any]) -> Subscription:
        m = r._mapping
        return cls(
            id=m["id"],
            platform=m["platform"],
            workspace=m["workspace"],
            channel=m["channel"],
            time=m["time"],
            timezone=m["timezone"],
            days=_days(m["days"]),
            topics=_topics(m["topics"]),
            paused=bool(m["paused"]),
            paused_reason=m["paused_reason"],
            origin=m["origin"],
            created_by=m["created_by"],
            created_at=_aware(m["created_at"]),
            updated_at=_aware(m["updated_at"]),
            active_from=from_db(m["active_from"]),
        )


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    platform: str
    workspace: str
    channel: str
    local_date: date
    due_at: datetime
    status: str
    tip_id: str | None
    attempts: int
    claims: int
    claimed_by: str | None
    lease_until: datetime | None
    message_id: str | None
    last_error: str | None
    posted_at: datetime | None
    # Set on claim: an earlier claimer had already chosen the tip, so it may have posted.
    prior_tip: bool = False

    @property
    def key(self) -> str:
        """The id that travels with the message (Slack metadata, Discord nonce <= 25 chars)."""
        d = self.local_date  # not strftime: this is built for every post, and it is slow
        return f"k8s-{self.subscription_id}-{d.year:04d}{d.month:02d}{d.day:02d}"

    @classmethod
    def from_row(cls, r: Row[Any]) -> Delivery:
        m = r._mapping
        return cls(
            id=m["id"],
            subscription_id=m["subscription_id"],
            platform=m["platform"],
            workspace=m["workspace"],
            channel=m["channel"],
            local_date=m["local_date"],
            due_at=_aware(m["due_at"]),
            status=m["status"],
            tip_id=m["tip_id"],
            attempts=m["attempts"],
            claims=m["claims"],
            claimed_by=m["claimed_by"],
            lease_until=from_db(m["lease_until"]),
            message_id=m["message_id"],
            last_error=m["last_error"],
            posted_at=from_db(m["posted_at"]),
        )


@dataclass(frozen=True)
class SentMark:
    delivery_id: int
    tip_id: str
    message_id: str
    attempts: int
    posted_at: datetime
    last_error: str | None = None


@dataclass(frozen=True)
class PlannedDelivery:
    subscription: Subscription
    local_date: date
    due_at: datetime
    status: str = PLANNED  # or SKIPPED when it is already past the catch-up window
    note: str = ""


ChannelKey = tuple[str, str, str]  # platform, workspace, channel
# (claimed rows without a tip, channel histories) -> {delivery id: tip id}
ChooseTips = Callable[[list["Delivery"], dict[ChannelKey, list[str]]], dict[int, str | None]]


def _prepare_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str) -> Engine:
    """An Engine for `url`; creates the directory of a SQLite file on first run."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, per dialect (the only dialect-specific statement)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)


class Store:
    """Subscriptions, deliveries and history in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        return cls(open_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest bundled revision; return it.

        Safe to run from several replicas at once: on PostgreSQL they take turns under an
        advisory lock, and the later ones find the schema at head and change nothing."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with _ALEMBIC_LOCK, self.engine.connect() as conn, migration_lock(conn), conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return self.revision() or ""

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            rev: str | None = MigrationContext.configure(conn).get_current_revision()
            return rev

    @staticmethod
    def head_revision() -> str:
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        head = ScriptDirectory.from_config(cfg).get_current_head()
        return head or ""

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- subscriptions ------------------------------------------------------------------

    def list_subscriptions(
        self, platform: str | None = None, include_paused: bool = True
    ) -> list[Subscription]:
        q = select(subscriptions).order_by(subscriptions.c.id)
        if platform is not None:
            q = q.where(subscriptions.c.platform == platform)
        if not include_paused:
            q = q.where(subscriptions.c.paused.is_(False))
        with self.engine.connect() as conn:
            return [Subscription.from_row(r) for r in conn.execute(q)]

    def get_subscription(self, platform: str, workspace: str, channel: str) -> Subscription | None:
        q = select(subscriptions).where(
            subscriptions.c.platform == platform,
            subscriptions.c.workspace == workspace,
            subscriptions.c.channel == channel,
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Subscription.from_row(row) if row else None

    def get_subscription_by_id(self, subscription_id: int) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subscriptions).where(subscriptions.c.id == subscription_id)
            ).first()
        return Subscription.from_row(row) if row else None

    def upsert_subscription(
        self, spec: SubscriptionSpec, origin: str, created_by: str, now: datetime
    ) -> Subscription:
        """Create the channel's subscription or change its schedule; keeps pause state."""
        with self.engine.begin() as conn:
            self._upsert(conn, spec, origin, created_by, now)
            row = conn.execute(
                select(subscriptions).where(
                    subscriptions.c.platform == spec.platform,
                    subscriptions.c.workspace == spec.workspace,
                    subscriptions.c.channel == spec.channel,
                )
            ).one()
        return Subscription.from_row(row)

    def _upsert(
        self,
        conn: Connection,
        spec: SubscriptionSpec,
        origin: str,
        created_by: str,
        now: datetime,
        active_from: datetime | None = None,
    ) -> str:
        """Insert or update; a new or changed schedule counts from `active_from` (default now)."""
        start = to_db(active_from or now)
        s = subscriptions.c
        existing = conn.execute(
            select(subscriptions).where(
                s.platform == spec.platform,
                s.workspace == spec.workspace,
                s.channel == spec.channel,
            )
        ).first()
        values = {
            "time": spec.time,
            "timezone": spec.timezone,
            "days": days_to_text(spec.days),
            "topics": ",".join(spec.topics),
        }
        if existing is None:
            _insert_ignore(
                conn,
                subscriptions,
                [
                    {
                        "platform": spec.platform,
                        "workspace": spec.workspace,
                        "channel": spec.channel,
                        **values,
                        "paused": False,
                        "paused_reason": "",
                        "origin": origin,
                        "created_by": created_by,
                        "created_at": to_db(now),
                        "updated_at": to_db(now),
                        "active_from": start,
                    }
                ],
            )
            return "added"
        m = existing._mapping
        if all(m[k] == v for k, v in values.items()) and m["origin"] == origin:
            return "unchanged"
        changes: dict[str, Any] = {**values, "origin": origin, "updated_at": to_db(now)}
        if (m["time"], m["timezone"], m["days"]) != (
            values["time"],
            values["timezone"],
            values["days"],
        ):
            changes["active_from"] = start  # a new schedule: no instant post for the old one
        conn.execute(update(subscriptions).where(s.id == m["id"]).values(**changes))
        return "updated"

    def sync_config_subscriptions(
        self,
        specs: Sequence[SubscriptionSpec],
        now: datetime,
        catch_up: timedelta = timedelta(0),
    ) -> dict[str, int]:
        """Make the store match `subscriptions:` in config (config wins for those channels).

        Config subscriptions no longer in the file are removed; chat subscriptions are kept.
        A new config subscription counts from `now - catch_up`, so a first start at 11:00
        still posts the 09:00 tip (as a restart would), but nothing older is reported.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0}
        keys = {spec.key for spec in specs}
        with self.engine.begin() as conn:
            for spec in specs:
                counts[self._upsert(conn, spec, "config", "config", now, now - catch_up)] += 1
            for r in conn.execute(select(subscriptions).where(subscriptions.c.origin == "config")):
                m = r._mapping
                if (m["platform"], m["workspace"], m["channel"]) not in keys:
                    conn.execute(delete(subscriptions).where(subscriptions.c.id == m["id"]))
                    counts["removed"] += 1
        return counts

    def delete_subscription(self, platform: str, workspace: str, channel: str) -> bool:
        s = subscriptions.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                delete(subscriptions).where(
                    s.platform == platform, s.workspace == workspace, s.channel == channel
                )
            )
            return res.rowcount > 0

    def set_paused(self, subscription_id: int, paused: bool, reason: str, now: datetime) -> bool:
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(
                    paused=paused, paused_reason=reason if paused else "", updated_at=to_db(now)
                )
            )
            return res.rowcount > 0

    def pause_workspace(self, platform: str, workspace: str, reason: str, now: datetime) -> int:
        """Pause every subscription in a workspace (app uninstalled, bot removed)."""
        s = subscriptions.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(subscriptions)
                .where(s.platform == platform, s.workspace == workspace, s.paused.is_(False))
                .values(paused=True, paused_reason=reason, updated_at=to_db(now))
            )
            return res.rowcount

    # -- the delivery ledger ------------------------------------------------------------

    def existing_delivery_dates(
        self, since: datetime, subscription_ids: Iterable[int] | None = None
    ) -> set[tuple[int, date]]:
        """(subscription id, local date) of every delivery row due after `since`."""
        q = select(deliveries.c.subscription_id, deliveries.c.local_date).where(
            deliveries.c.due_at > to_db(since)
        )
        if subscription_ids is not None:
            q = q.where(deliveries.c.subscription_id.in_(list(subscription_ids)))
        with self.engine.connect() as conn:
            return {(r[0], r[1]) for r in conn.execute(q)}

    def plan_deliveries(self, planned: Sequence[PlannedDelivery], now: datetime) -> None:
        """Insert the ledger rows that don't exist yet; existing rows are never touched, so
        replicas planning the same day at once are harmless."""
        stamp = to_db(now)
        rows = [
            {
                "subscription_id": p.subscription.id,
                "platform": p.subscription.platform,
                "workspace": p.subscription.workspace,
                "channel": p.subscription.channel,
                "local_date": p.local_date,
                "due_at": to_db(p.due_at),
                "status": p.status,
                "tip_id": None,
                "attempts": 0,
                "claims": 0,
                "last_error": p.note or None,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for p in planned
        ]
        with self.engine.begin() as conn:
            _insert_ignore(conn, deliveries, rows)

    def claim_deliveries(
        self,
        at: datetime,
        now: datetime,
        worker: str,
        lease_seconds: float,
        limit: int,
        platforms: Sequence[str],
        choose: ChooseTips | None = None,
    ) -> list[Delivery]:
        """Claim up to `limit` rows due by `at`: planned ones, and claimed ones whose lease
        ran out before `now` (their claimer died). Committed before anything is posted.

        `choose(rows, histories)` picks tips for the claimed rows that have none yet, in the
        same transaction, from each channel's history (one query for the whole batch).
        """
        d = deliveries.c
        claimable = or_(d.status == PLANNED, and_(d.status == CLAIMED, d.lease_until < to_db(now)))
        with self.engine.begin() as conn:
            ids = (
                conn.execute(
                    select(d.id)
                    .where(claimable, d.due_at <= to_db(at), d.platform.in_(list(platforms)))
                    .order_by(d.due_at, d.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            rows = conn.execute(
                update(deliveries)
                .where(d.id.in_(ids), claimable)
                .values(
                    status=CLAIMED,
                    claimed_by=worker,
                    lease_until=to_db(now + timedelta(seconds=lease_seconds)),
                    claims=d.claims + 1,
                    updated_at=to_db(now),
                )
                .returning(*deliveries.c)
            ).all()
            claimed = sorted(map(_claimed_delivery, rows), key=lambda x: (x.due_at, x.id))
            need = [x for x in claimed if x.tip_id is None]
            if choose is None or not need:
                return claimed
            c = deliveries.alias("c")
            channels = (
                select(c.c.platform, c.c.workspace, c.c.channel)
                .where(c.c.id.in_([x.id for x in need]))
                .distinct()
                .cte("k")
            )
            histories = _histories(conn, channels)
            picks = {k: v for k, v in choose(need, histories).items() if v}
            if picks:
                conn.execute(
                    update(deliveries)
                    .where(d.id == bindparam("b_id"))
                    .values(tip_id=bindparam("b_tip")),
                    [{"b_id": k, "b_tip": v} for k, v in picks.items()],
                )
        for x in claimed:
            if x.id in picks:
                object.__setattr__(x, "tip_id", picks[x.id])  # our own fresh, unshared objects
        return claimed

    def set_delivery_tip(
        self, delivery_id: int, tip_id: str, worker: str, lease_until: datetime, now: datetime
    ) -> bool:
        """Record the chosen tip before posting (so a reconciling claimer knows what went out)
        and renew the lease. False if the claim is no longer ours: then don't post."""
        return self.extend_lease(
            delivery_id, worker, lease_until, {"tip_id": tip_id, "updated_at": to_db(now)}
        )

    def extend_lease(
        self,
        delivery_id: int,
        worker: str,
        until: datetime,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Renew our claim's lease; False if another process has taken the row over."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED, d.claimed_by == worker)
                .values(lease_until=to_db(until), **(values or {}))
            )
            return res.rowcount > 0

    def mark_sent(
        self,
        delivery: Delivery,
        tip_id: str,
        message_id: str,
        attempts: int,
        now: datetime,
        last_error: str | None = None,
    ) -> bool:
        """Final: posted (the tip is now in the channel's history). False if the row was no
        longer claimed (someone else finished it)."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery.id, d.status == CLAIMED)
                .values(
                    status=SENT,
                    tip_id=tip_id,
                    message_id=message_id,
                    attempts=d.attempts + attempts,
                    posted_at=to_db(now),
                    lease_until=None,
                    last_error=last_error,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0

    def mark_sent_many(self, marks: Sequence[SentMark]) -> None:
        """Mark many posts sent in one transaction (group commit for large fan-outs)."""
        if not marks:
            return
        d = deliveries.c
        stmt = (
            update(deliveries)
            .where(d.id == bindparam("b_id"), d.status == CLAIMED)
            .values(
                status=SENT,
                tip_id=bindparam("b_tip"),
                message_id=bindparam("b_msg"),
                attempts=d.attempts + bindparam("b_attempts"),
                posted_at=bindparam("b_at"),
                lease_until=None,
                last_error=bindparam("b_err"),
                updated_at=bindparam("b_at"),
            )
        )
        rows = [
            {
                "b_id": m.delivery_id,
                "b_tip": m.tip_id,
                "b_msg": m.message_id,
                "b_attempts": m.attempts,
                "b_at": to_db(m.posted_at),
                "b_err": m.last_error,
            }
            for m in marks
        ]
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def mark_final(
        self, delivery_id: int, status: str, error: str, attempts: int, now: datetime
    ) -> bool:
        """Final without a post: failed, paused (subscription paused) or skipped."""
        if status not in (SKIPPED, FAILED, PAUSED):
            raise ValueError(f"not a final status without a post: {status}")
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED)
                .values(
                    status=status,
                    last_error=error,
                    attempts=d.attempts + attempts,
                    lease_until=None,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0

    def release(
        self, delivery_id: int, worker: str, attempts: int, error: str, now: datetime
    ) -> bool:
        """Give a claimed row back (shutting down, or retries exhausted for now)."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == CLAIMED, d.claimed_by == worker)
                .values(
                    status=PLANNED,
                    claimed_by=None,
                    lease_until=None,
                    attempts=d.attempts + attempts,
                    last_error=error or None,
                    updated_at=to_db(now),
                )
            )
            return res.rowcount > 0

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
        return Delivery.from_row(row) if row else None

    def list_deliveries(
        self,
        subscription_id: int | None = None,
        status: str | None = None,
        local_date: date | None = None,
    ) -> list[Delivery]:
        q = select(deliveries).order_by(deliveries.c.due_at, deliveries.c.id)
        if subscription_id is not None:
            q = q.where(deliveries.c.subscription_id == subscription_id)
        if status is not None:
            q = q.where(deliveries.c.status == status)
        if local_date is not None:
            q = q.where(deliveries.c.local_date == local_date)
        with self.engine.connect() as conn:
            return [Delivery.from_row(r) for r in conn.execute(q)]

    def last_delivery(self, subscription_id: int) -> Delivery | None:
        q = (
            select(deliveries)
            .where(deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.local_date.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return Delivery.from_row(row) if row else None

    def open_deliveries(self, at: datetime, platforms: Sequence[str] | None = None) -> int:
        """How many rows due by `at` are planned or claimed (not final yet)."""
        d = deliveries.c
        q = (
            select(func.count())
            .select_from(deliveries)
            .where(d.status.in_([PLANNED, CLAIMED]), d.due_at <= to_db(at))
        )
        if platforms is not None:
            q = q.where(d.platform.in_(list(platforms)))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def open_deliveries_by_platform(
        self, at: datetime, now: datetime
    ) -> dict[str, tuple[int, int]]:
        """Rows due by `at` that are planned or claimed, per platform: (open, held), where
        held are claimed with a lease still running at `now` (a live process is posting them).
        One query, so the counts agree with each other while other processes work."""
        d = deliveries.c
        live = and_(d.status == CLAIMED, d.lease_until >= to_db(now))
        q = (
            select(d.platform, func.count(), func.sum(case((live, 1), else_=0)))
            .where(d.status.in_([PLANNED, CLAIMED]), d.due_at <= to_db(at))
            .group_by(d.platform)
        )
        with self.engine.connect() as conn:
            return {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(q)}

    def status_counts(self) -> dict[str, int]:
        q = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(q)}

    # -- tip history --------------------------------------------------------------------

    def record_shown(
        self, platform: str, workspace: str, channel: str, tip_id: str, kind: str, now: datetime
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tip_history).values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    tip_id=tip_id,
                    kind=kind,
                    shown_at=to_db(now),
                )
            )

    def channel_history(
        self, platform: str, workspace: str, channel: str, limit: int = 5000
    ) -> list[str]:
        """Tip ids shown in a channel (daily posts and requests), oldest first."""
        with self.engine.connect() as conn:
            channels = select(
                literal(platform, String).label("platform"),
                literal(workspace, String).label("workspace"),
                literal(channel, String).label("channel"),
            ).cte("k")
            return _histories(conn, channels, limit).get((platform, workspace, channel), [])


def _claimed_delivery(r: Row[Any]) -> Delivery:
    d = Delivery.from_row(r)
    if d.tip_id is not None:
        object.__setattr__(d, "prior_tip", True)  # frozen dataclass, built just now
    return d


def _histories(conn: Connection, channels: CTE, limit: int = 5000) -> dict[ChannelKey, list[str]]:
    """Tip history for the channels `channels` lists (platform, workspace, channel columns),
    in one query: sent daily posts and tips shown on request, oldest first, at most `limit`
    per channel (the most recent).

    The channels come as a table joined on equality, so both databases look each one up by
    index. `(platform, workspace, channel) IN (<list>)` made them read every sent row instead
    (SQLite: a membership test per row; PostgreSQL: an OR of hundreds of terms per row), a
    cost that grew with the whole ledger on every claim.
    """
    d, h, k = deliveries.c, tip_history.c, channels.c
    posts = (
        select(
            d.platform,
            d.workspace,
            d.channel,
            d.tip_id,
            d.posted_at.label("ts"),
            literal(0).label("o"),
        )
        .join_from(
            deliveries,
            channels,
            and_(d.platform == k.platform, d.workspace == k.workspace, d.channel == k.channel),
        )
        .where(d.status == SENT)
    )
    shown = select(
        h.platform, h.workspace, h.channel, h.tip_id, h.shown_at.label("ts"), h.id.label("o")
    ).join_from(
        tip_history,
        channels,
        and_(h.platform == k.platform, h.workspace == k.workspace, h.channel == k.channel),
    )
    both = union_all(posts, shown).subquery()
    q = select(both).order_by(both.c.ts, both.c.o)
    out: dict[tuple[str, str, str], list[str]] = {}
    for r in conn.execute(q):
        if r.tip_id is not None:
            out.setdefault((r.platform, r.workspace, r.channel), []).append(r.tip_id)
    return {k: v[-limit:] for k, v in out.items()}
