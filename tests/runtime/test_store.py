"""The durable store (bot/store): migrations, subscriptions, the ledger, claims, history.

Every test runs on SQLite and on the real PostgreSQL (127.0.0.1:5432, database `test`).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from bot.runtime.store import (
    CLAIMED,
    PLANNED,
    SENT,
    PlannedDelivery,
    Store,
    SubscriptionSpec,
)
from bot.runtime.store.schema import metadata
from tests.core_support import ROOT
from tests.fakes.databases import database_url, pg_schema_url

pytestmark = pytest.mark.both_databases  # every `store` test: SQLite and PostgreSQL

NOW = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
WEEKDAYS = (1, 2, 3, 4, 5)


def spec(
    channel: str = "C1", time: str = "09:00", topics: tuple[str, ...] = ()
) -> SubscriptionSpec:
    return SubscriptionSpec("slack", "T1", channel, time, "Europe/Amsterdam", WEEKDAYS, topics)


def plan_one(store: Store, channel: str = "C1", day: date = date(2026, 3, 27)) -> None:
    sub = store.get_subscription("slack", "T1", channel)
    assert sub is not None
    store.plan_deliveries([PlannedDelivery(sub, day, sub.schedule.due_at(day))], NOW)


def test_first_run_creates_the_sqlite_directory_and_migrates_idempotently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nested/data/k8stip.db"
    s = Store.open(url)
    assert s.migrate() == Store.head_revision()
    assert (tmp_path / "nested" / "data" / "k8stip.db").is_file()
    assert s.migrate() == Store.head_revision()
    s.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_database_k8stip_creates_is_private_to_its_owner(tmp_path: Path) -> None:
    """It holds Slack tokens: data/ 0700, the file and SQLite's WAL files 0600, whatever the
    umask (022 made them 0755 / 0644)."""
    old_umask = os.umask(0o022)
    try:
        s = Store.open(f"sqlite:///{tmp_path}/data/k8stip.db")
        s.migrate()
    finally:
        os.umask(old_umask)
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    assert _mode(data / "k8stip.db") == 0o600
    wal = data / "k8stip.db-wal"
    assert wal.exists() and _mode(wal) == 0o600
    s.close()


def test_a_database_the_operator_made_keeps_its_mode_and_a_loose_one_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "shared.db"
    db.touch()
    db.chmod(0o640)
    for _ in range(2):
        Store.open(f"sqlite:///{db}").close()
    assert _mode(db) == 0o640
    messages = [r.getMessage() for r in caplog.records]
    warnings = [m for m in messages if "readable by other users" in m]
    assert len(warnings) == 1
    assert "chmod 600" in warnings[0] and "640" in warnings[0]


def test_a_private_database_is_not_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "private.db"
    db.touch()
    db.chmod(0o600)
    Store.open(f"sqlite:///{db}").close()
    assert not [r for r in caplog.records if "readable by other users" in r.getMessage()]


def test_migrated_schema_matches_the_table_definitions(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []


def test_upgrading_again_keeps_subscriptions_and_history(store: Store) -> None:
    store.upsert_subscription(spec(), "chat", "U1", NOW)
    store.record_shown("slack", "T1", "C1", "tip-01", "request", NOW)
    store.migrate()
    assert [s.channel for s in store.list_subscriptions()] == ["C1"]
    assert store.channel_history("slack", "T1", "C1") == ["tip-01"]


def test_config_sync_adds_updates_removes_and_keeps_chat_subscriptions(store: Store) -> None:
    store.upsert_subscription(spec("chat-chan"), "chat", "U1", NOW)
    counts = store.sync_config_subscriptions([spec("A"), spec("B")], NOW)
    assert counts["added"] == 2
    a = store.get_subscription("slack", "T1", "A")
    assert a is not None
    store.set_paused(a.id, True, "channel_not_found", NOW)
    counts = store.sync_config_subscriptions([spec("A", time="10:00")], NOW + timedelta(hours=1))
    assert counts == {"added": 0, "updated": 1, "unchanged": 0, "removed": 1}
    a2 = store.get_subscription("slack", "T1", "A")
    assert a2 is not None and a2.time == "10:00" and a2.origin == "config"
    assert a2.paused and a2.paused_reason == "channel_not_found"  # config doesn't unpause
    assert a2.active_from == NOW + timedelta(hours=1)  # new schedule starts now
    assert {s.channel for s in store.list_subscriptions()} == {"A", "chat-chan"}


def test_subscription_round_trips_every_field(store: Store) -> None:
    sub = store.upsert_subscription(spec(topics=("secrets", "rbac")), "chat", "U9", NOW)
    assert sub.topics == ("secrets", "rbac")
    assert sub.days == WEEKDAYS
    assert sub.created_by == "U9" and sub.created_at == NOW
    assert sub.schedule.describe() == "09:00 Europe/Amsterdam, weekdays"


def test_planning_twice_keeps_one_row_per_subscription_and_day(store: Store) -> None:
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    plan_one(store)
    assert len(store.list_deliveries()) == 1


def test_a_channel_gets_one_row_per_day_even_after_resubscribing(store: Store) -> None:
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    store.delete_subscription("slack", "T1", "C1")
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    assert len(store.list_deliveries()) == 1


def test_unique_subscription_and_date_is_enforced_by_the_database(store: Store) -> None:
    """A second delivery row for the same subscription and local date, inserted past the store, is
    refused by the database."""
    from sqlalchemy import insert

    from bot.runtime.store.schema import deliveries

    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    row = {
        "subscription_id": store.list_subscriptions()[0].id,
        "platform": "slack",
        "workspace": "T1",
        "channel": "other",
        "local_date": date(2026, 3, 27),
        "due_at": NOW.replace(tzinfo=None),
        "status": PLANNED,
        "attempts": 0,
        "claims": 0,
        "created_at": NOW.replace(tzinfo=None),
        "updated_at": NOW.replace(tzinfo=None),
    }
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(deliveries).values(**row))


def test_a_claimed_row_is_not_claimable_until_its_lease_expires(store: Store) -> None:
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    due = NOW + timedelta(hours=2)
    first = store.claim_deliveries(due, due, "w1", 60, 10, ["slack"])
    assert [d.status for d in first] == [CLAIMED] and first[0].claims == 1
    assert store.claim_deliveries(due, due + timedelta(seconds=59), "w2", 60, 10, ["slack"]) == []
    again = store.claim_deliveries(due, due + timedelta(seconds=61), "w2", 60, 10, ["slack"])
    assert [(d.claimed_by, d.claims) for d in again] == [("w2", 2)]


def test_claims_only_rows_that_are_due_and_for_our_platforms(store: Store) -> None:
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    before_due = datetime(2026, 3, 27, 7, 59, tzinfo=UTC)  # 08:59 Amsterdam
    assert store.claim_deliveries(before_due, before_due, "w", 60, 10, ["slack"]) == []
    at = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert store.claim_deliveries(at, at, "w", 60, 10, ["discord"]) == []
    assert len(store.claim_deliveries(at, at, "w", 60, 10, ["slack"])) == 1


def test_marking_sent_records_history_and_only_once(store: Store) -> None:
    """Only the claimer can set the tip, marking sent stores the message id and the channel's
    history, and a second mark is refused."""
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    at = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    [d] = store.claim_deliveries(at, at, "w", 60, 10, ["slack"])
    assert not store.set_delivery_tip(d.id, "tip-03", "not-me", at, at)
    assert store.set_delivery_tip(d.id, "tip-03", "w", at + timedelta(seconds=60), at)
    assert store.mark_sent(d, "tip-03", "1700000000.0001", 1, at)
    assert not store.mark_sent(d, "tip-03", "again", 1, at)
    got = store.get_delivery(d.id)
    assert got is not None and got.status == SENT and got.message_id == "1700000000.0001"
    assert store.channel_history("slack", "T1", "C1") == ["tip-03"]


def test_release_makes_a_row_claimable_again(store: Store) -> None:
    """Only the claimer can release a row, and another worker can claim a released row at once."""
    store.upsert_subscription(spec(), "chat", "U1", NOW - timedelta(days=1))
    plan_one(store)
    at = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    [d] = store.claim_deliveries(at, at, "w1", 600, 10, ["slack"])
    assert not store.release(d.id, "someone-else", 0, "", at)
    assert store.release(d.id, "w1", 0, "shutting down", at)
    assert len(store.claim_deliveries(at, at, "w2", 600, 10, ["slack"])) == 1


def test_pause_workspace_pauses_every_channel_there(store: Store) -> None:
    store.upsert_subscription(spec("A"), "chat", "U1", NOW)
    store.upsert_subscription(spec("B"), "chat", "U1", NOW)
    assert store.pause_workspace("slack", "T1", "app uninstalled", NOW) == 2
    assert all(
        s.paused and s.paused_reason == "app uninstalled" for s in store.list_subscriptions()
    )


def test_concurrent_claimers_never_share_a_row(store: Store) -> None:
    """Four threads claiming in batches share all 60 due rows, each claimed exactly once."""
    at = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    for i in range(60):
        store.upsert_subscription(spec(f"C{i}"), "chat", "U1", NOW - timedelta(days=1))
        plan_one(store, f"C{i}")
    got: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        mine: list[int] = []
        while batch := store.claim_deliveries(at, at, name, 600, 7, ["slack"]):
            mine += [d.id for d in batch]
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for ids in got.values() for i in ids]
    assert len(all_ids) == 60
    assert len(set(all_ids)) == 60


@pytest.mark.postgres
def test_replicas_migrating_an_empty_postgres_together_all_reach_head() -> None:
    """Three processes start on an empty schema at once; the advisory lock makes them take
    turns, so none fails on a table another is creating."""
    root = ROOT
    env = {**os.environ, "PYTHONPATH": str(root)}
    with pg_schema_url() as url:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.fakes.migrate_worker", url],
                cwd=root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        try:
            for p in procs:  # every replica imported and connected
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            for p in procs:  # then all start migrating at once
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            outputs = [p.communicate(timeout=60) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for p, (out, err) in zip(procs, outputs, strict=True):
            assert p.returncode == 0, err
            assert out.split() == [Store.head_revision()], err
        store = Store.open(url)
        try:
            assert store.revision() == Store.head_revision()
            with store.engine.connect() as conn:
                ctx = MigrationContext.configure(conn, opts={"compare_type": True})
                assert compare_metadata(ctx, metadata) == []
        finally:
            store.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_threads_migrating_one_database_together_all_reach_head(kind: str, tmp_path: Path) -> None:
    """Alembic keeps the running migration in module globals; in-process callers take turns."""
    with database_url(kind, tmp_path) as url:
        stores = [Store.open(url) for _ in range(3)]
        start = threading.Barrier(3)
        reached: list[str] = []
        errors: list[BaseException] = []

        def migrate(store: Store) -> None:
            start.wait()
            try:
                reached.append(store.migrate())
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in stores:
            s.close()
        assert errors == []
        assert reached == [Store.head_revision()] * 3
