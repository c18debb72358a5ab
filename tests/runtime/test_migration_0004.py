"""Migration 0004 (the channel learns) on SQLite and PostgreSQL: a database at 0003 with rows
in it upgrades with every row kept and every subscription in tip mode, and downgrades back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.core.learning_model import SubscriptionMode, VoteKind
from bot.runtime.store import PlannedDelivery, Store, SubscriptionSpec
from bot.runtime.store.migrate import MIGRATIONS_DIR, bundled_head
from bot.runtime.store.schema import metadata
from tests.fakes.databases import database_url

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
LEARNING_TABLES = {
    "votes",
    "restorations",
    "quiz_postings",
    "quiz_answers",
    "leitner_cards",
    "channel_settings",
}


def alembic_to(store: Store, revision: str, down: bool = False) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store.engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def subscription_columns(store: Store) -> set[str]:
    return {c["name"] for c in inspect(store.engine).get_columns("subscriptions")}


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_0003_with_rows_upgrades_to_0004_and_downgrades_back(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        store = Store.open(url)
        try:
            alembic_to(store, "0003")
            assert not LEARNING_TABLES & tables(store)
            assert "mode" not in subscription_columns(store)
            # A subscription as 0003 stored it (no `mode` column yet: raw SQL, not the table
            # object, which names `mode`), and a history row.
            with store.engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO subscriptions (platform, workspace, channel, time, timezone, "
                    "days, topics, paused, paused_reason, origin, created_by, created_at, "
                    "updated_at, active_from) VALUES ('slack', 'T1', 'C1', '09:00', "
                    "'Europe/Amsterdam', '1,2,3,4,5', 'secrets', false, '', 'chat', 'U1', "
                    "'2026-11-30 07:00:00', '2026-11-30 07:00:00', '2026-11-30 07:00:00')"
                )
            store.record_shown("slack", "T1", "C1", "tip-01", "request", NOW)

            alembic_to(store, "0004")
            assert store.revision() == "0004"
            assert tables(store) >= LEARNING_TABLES
            # The store's queries name every column of the head schema: read through them
            # at head (later migrations add columns with defaults), then go down again.
            alembic_to(store, bundled_head())
            [sub] = store.list_subscriptions()
            assert (sub.channel, sub.topics, sub.mode) == ("C1", ("secrets",), SubscriptionMode.TIP)
            assert store.channel_history("slack", "T1", "C1") == ["tip-01"]
            store.plan_deliveries([PlannedDelivery(sub, date(2026, 12, 1), NOW)], NOW)
            assert (
                store.record_vote("slack", "T1", "C1", "tip-01", "U1", VoteKind.USEFUL, False, NOW)
                is None
            )

            alembic_to(store, "0003", down=True)
            assert not LEARNING_TABLES & tables(store)
            assert "mode" not in subscription_columns(store)
            with store.engine.connect() as conn:
                kept = conn.exec_driver_sql("SELECT channel, topics FROM subscriptions").all()
            assert [tuple(r) for r in kept] == [("C1", "secrets")]
            assert store.revision() == "0003"

            assert store.migrate() == bundled_head()  # and up again, to head
            spec = SubscriptionSpec(
                "slack", "T1", "C1", "09:00", "Europe/Amsterdam", (1, 2, 3, 4, 5), ("secrets",)
            )
            again = store.upsert_subscription(spec, "chat", "U1", NOW)
            assert again.mode is SubscriptionMode.TIP
            with store.engine.connect() as conn:  # SQLite rebuilt `subscriptions` on the way down
                ctx = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(ctx, metadata) == []
        finally:
            store.close()
