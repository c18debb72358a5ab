"""`k8stip deliver`'s idle check (`bot/runtime/idle_check.py`) never says "nothing due" when
the full path would do something: over many generated store states, on SQLite and on
PostgreSQL, whenever it says idle, the config sync changes nothing and `planning.nothing_due`
agrees. A database it cannot read as the full path would (down, behind the bundled schema, a
URL it does not parse) takes the full path."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from bot.config import Config, DeliveryConfig, SubscriptionConfig
from bot.core.schedules import parse_days
from bot.runtime.config_sync import config_subscriptions
from bot.runtime.delivery import planning
from bot.runtime.idle_check import PLAN_LOOK_BACK, PLANNED_SINCE, config_rows, is_idle
from bot.runtime.store import Store, SubscriptionSpec
from bot.runtime.store.schema import deliveries, metadata
from bot.runtime.store.times import to_db
from tests.fakes.databases import pg_schema_url

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]
DAYS: list[str | list[str]] = ["daily", "weekdays", "weekends", ["mon", "wed", "fri"], ["sun"]]
CYCLE_DAYS: list[str | list[str]] = [*DAYS, "every 2 days", "every 3 days", "weekly on fri"]
DAILY = (1, 2, 3, 4, 5, 6, 7)
STATUSES = ["planned", "claimed", "sent", "skipped", "failed", "paused"]
# Around the spring DST change in Europe and the US, and an ordinary week.
BASES = [datetime(2026, 3, 29, 0, 0, tzinfo=UTC), datetime(2026, 3, 8, 0, 0, tzinfo=UTC)]
BASES += [datetime(2026, 6, 10, 0, 0, tzinfo=UTC)]


def _time(rng: random.Random) -> str:
    return f"{rng.choice([0, 1, 2, 8, 9, 12, 23])}:{rng.choice(['00', '30', '59'])}".zfill(5)


def _sub(rng: random.Random, channel: str) -> SubscriptionConfig:
    return SubscriptionConfig(
        platform="console",
        channel=channel,
        time=_time(rng),
        timezone=rng.choice([None, *ZONES]),
        days=rng.choice(DAYS),
        topics=rng.choice([[], ["secrets"], ["rbac", "secrets"]]),
        mode=rng.choice(["tip", "tip", "quiz"]),
    )


def _config(url: str, subs: list[SubscriptionConfig], catch_up: float) -> Config:
    return Config(
        database=url,
        subscriptions=subs,
        timezone="Europe/Amsterdam",
        delivery=DeliveryConfig(catch_up_hours=catch_up),
    )


Opener = Callable[[str], AbstractContextManager[Store]]


@contextmanager
def _opened(url: str) -> Iterator[Store]:
    store = Store.open(url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()


@contextmanager
def _fresh_stores(kind: str, tmp: Path) -> Iterator[tuple[Callable[[int], str], Opener]]:
    """`fresh(n)`: the URL of an empty, migrated store for the n-th state, and how to open
    it: a new SQLite file each time; on PostgreSQL one schema, emptied for each state, and one
    Store kept open (migrating 150 schemas, or opening 300 engines, would take minutes)."""
    if kind == "sqlite":
        yield (lambda n: f"sqlite:///{tmp}/s{n}.db"), _opened
        return
    with pg_schema_url() as url, _opened(url) as shared:

        def fresh(_n: int) -> str:
            with shared.engine.begin() as conn:  # DELETE: ten times faster than TRUNCATE here
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
            return url

        @contextmanager
        def reuse(_url: str) -> Iterator[Store]:
            shared.migrate()  # at head: one query, as on every start
            yield shared

        yield fresh, reuse


def _state(rng: random.Random, url: str, opened: Opener) -> tuple[Config, datetime, timedelta]:
    """A store as earlier runs may have left it: config and chat subscriptions (some paused),
    ledger rows planned by passes at earlier instants in every status (some with retry_at
    or a lease), and sometimes a config that changed since the last sync."""
    base = rng.choice(BASES) + timedelta(hours=rng.randrange(0, 72))
    catch_up_hours = rng.choice([0.0, 1.0, 6.0, 30.0])
    catch_up = timedelta(hours=catch_up_hours)
    subs = [_sub(rng, f"c{i}") for i in range(rng.randrange(0, 4))]
    config = _config(url, subs, catch_up_hours)
    with opened(url) as store:
        synced_at = base - timedelta(hours=rng.randrange(0, 60))
        store.sync_config_subscriptions(config_subscriptions(config), synced_at, catch_up)
        for i in range(rng.randrange(0, 3)):
            spec = SubscriptionSpec(
                "console", "", f"chat{i}", _time(rng), rng.choice(ZONES),
                parse_days(rng.choice(DAYS)),
            )  # fmt: skip
            store.upsert_subscription(spec, "chat", "U1", synced_at)
        for sub in store.list_subscriptions():
            if rng.random() < 0.25:
                store.set_paused(sub.id, True, "channel gone", synced_at)
        # Earlier passes: plan what was due then, and leave the rows in some status.
        for _ in range(rng.randrange(0, 4)):
            when = synced_at + timedelta(hours=rng.randrange(0, 80))
            planned = planning.plan_for(store.list_subscriptions(), when, catch_up)
            kept = [p for p in planned if rng.random() < 0.8]
            store.plan_deliveries(kept, when)
        with store.engine.begin() as conn:
            for (row_id,) in conn.execute(deliveries.select().with_only_columns(deliveries.c.id)):
                status = rng.choice(STATUSES)
                values: dict[str, object] = {"status": status}
                if status == "planned" and rng.random() < 0.5:
                    values["retry_at"] = to_db(base + timedelta(minutes=rng.randrange(-90, 90)))
                if status == "claimed":
                    lease = base + timedelta(minutes=rng.randrange(-30, 30))
                    values["lease_until"] = to_db(lease)
                conn.execute(update(deliveries).where(deliveries.c.id == row_id).values(values))
    if rng.random() < 0.2 and subs:  # the file changed since: one subscription moved
        moved = [*subs[:-1], _sub(rng, subs[-1].channel)]
        config = _config(url, moved, catch_up_hours)
    elif rng.random() < 0.1:  # a subscription was added to the file
        config = _config(url, [*subs, _sub(rng, "new")], catch_up_hours)
    elif rng.random() < 0.1 and subs:  # one was removed from the file
        config = _config(url, subs[1:], catch_up_hours)
    at = base + timedelta(minutes=rng.randrange(0, 48 * 60, 7))
    return config, at, catch_up


def _full_path(
    config: Config, at: datetime, catch_up: timedelta, opened: Opener
) -> tuple[bool, bool]:
    """(the sync changed nothing, nothing_due) as `deliver` computes them."""
    with opened(config.database) as store:
        counts = store.sync_config_subscriptions(config_subscriptions(config), at, catch_up)
        unchanged = counts["unchanged"] == len(config.subscriptions) and not (
            counts["added"] or counts["updated"] or counts["removed"]
        )
        return unchanged, planning.nothing_due(store, at, at, catch_up)


@pytest.mark.parametrize("kind", DATABASES)
def test_idle_only_when_the_full_path_finds_nothing_to_do(kind: str, tmp_path: Path) -> None:
    """Over 150 generated stores: idle implies an unchanged sync and nothing_due; and the
    check is not a stub: it says idle for every state the full path finds idle (28 of the 150)."""
    rng = random.Random(11)
    said_idle = full_idle = 0
    with _fresh_stores(kind, tmp_path) as (fresh, opened):
        for n in range(150):
            config, at, catch_up = _state(rng, fresh(n), opened)
            quick = is_idle(config, at, catch_up)
            assert quick in (True, None)
            unchanged, nothing = _full_path(config, at, catch_up, opened)
            if quick:
                assert unchanged and nothing, (n, at, config.subscriptions)
                said_idle += 1
            if unchanged and nothing:
                full_idle += 1
    assert full_idle >= 20  # the generator reaches idle states often enough to mean something
    assert said_idle == full_idle  # on either database the check misses none of them either


@pytest.mark.parametrize("kind", DATABASES)
def test_a_second_pass_is_idle_and_a_due_post_is_not(kind: str, tmp_path: Path) -> None:
    """After a pass planned the 09:00 post, the check says idle until the next day's post is
    due; with the row still planned (not posted yet), never."""
    with _fresh_stores(kind, tmp_path) as (fresh, _opened_store):
        _second_pass(fresh(0), kind)


def _second_pass(url: str, kind: str) -> None:
    sub = SubscriptionConfig(platform="console", channel="ops", time="09:00", days="daily")
    config = _config(url, [sub], 6.0)
    catch_up = timedelta(hours=6)
    at = datetime(2026, 3, 3, 8, 5, tzinfo=UTC)  # 09:05 in Amsterdam
    if kind == "sqlite":
        assert is_idle(config, at, catch_up) is None  # no database file yet
    store = Store.open(url)
    store.migrate()
    store.sync_config_subscriptions(config_subscriptions(config), at - timedelta(hours=2))
    store.close()
    assert is_idle(config, at - timedelta(minutes=30), catch_up) is True  # 08:35 Amsterdam
    assert is_idle(config, at, catch_up) is None  # 09:05: due, and no row yet
    store = Store.open(url)
    store.plan_deliveries(planning.plan_for(store.list_subscriptions(), at, catch_up), at)
    store.close()
    assert is_idle(config, at, catch_up) is None  # planned, not posted
    store = Store.open(url)
    with store.engine.begin() as conn:
        conn.execute(update(deliveries).values(status="sent"))
    store.close()
    assert is_idle(config, at, catch_up) is True
    assert is_idle(config, at + timedelta(days=1), catch_up) is None  # the next day's post


def test_config_rows_are_what_the_sync_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config_rows agrees with `config_subscriptions` (bot/runtime/config_sync.py), mode and
    cycle included, as text (how both databases' rows are compared): a field the sync learns
    to store must be compared here too."""
    monkeypatch.setattr(f"{__name__}.DAYS", CYCLE_DAYS)
    rng = random.Random(3)
    subs = [_sub(rng, f"c{i}") for i in range(20)]
    config = _config(f"sqlite:///{tmp_path}/x.db", subs, 6.0)
    expected = {
        spec.key: (
            spec.time, spec.timezone, ",".join(map(str, spec.days)), ",".join(spec.topics),
            spec.mode.value, None if spec.every_days is None else str(spec.every_days),
            "config",
        )
        for spec in config_subscriptions(config)
    }  # fmt: skip
    assert config_rows(config) == expected


def test_windows_match_planning() -> None:
    at, catch_up = datetime(2026, 3, 29, 1, 30, tzinfo=UTC), timedelta(hours=6)
    assert at - catch_up - PLANNED_SINCE == planning.planned_since(at, catch_up)
    # plan_for looks back PLAN_LOOK_BACK past the catch-up window: no earlier occurrence
    sub_due = at - catch_up - PLAN_LOOK_BACK
    assert sub_due < planning.planned_since(at, catch_up) + timedelta(hours=2)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/test",  # psycopg2's URL: not the shipped driver
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?host=a,b",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///data/k.db?mode=ro",
        "sqlite+pysqlite:///data/k.db",
        "sqlite:///~/k.db",
    ],
)
def test_other_databases_take_the_full_path(url: str) -> None:
    config = _config(url, [], 6.0)
    assert is_idle(config, datetime(2026, 3, 3, tzinfo=UTC), timedelta(hours=6)) is None


def test_an_unmigrated_file_takes_the_full_path(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    db.write_bytes(b"")
    config = _config(f"sqlite:///{db}", [], 6.0)
    assert is_idle(config, datetime(2026, 3, 3, tzinfo=UTC), timedelta(hours=6)) is None
    assert db.read_bytes() == b""  # read-only: nothing written


def test_a_postgresql_that_is_down_takes_the_full_path() -> None:
    """Connection refused: no answer here; the full pass then reports the outage (as
    tests/test_startup.py checks for `deliver`)."""
    with socket.socket() as closed:  # bound, never listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        config = _config(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", [], 6.0)
        assert is_idle(config, datetime(2026, 3, 3, tzinfo=UTC), timedelta(hours=6)) is None


@pytest.mark.postgres
def test_a_postgresql_schema_not_at_head_takes_the_full_path() -> None:
    """An empty schema (never migrated), then one whose revision is behind the bundled head:
    no answer, and nothing written."""
    at, catch_up = datetime(2026, 3, 3, tzinfo=UTC), timedelta(hours=6)
    with pg_schema_url() as url:
        config = _config(url, [], 6.0)
        assert is_idle(config, at, catch_up) is None
        store = Store.open(url)
        store.migrate()
        assert is_idle(config, at, catch_up) is True  # at head, nothing configured
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        assert is_idle(config, at, catch_up) is None
        with store.engine.begin() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("0004",)
            ]
        store.close()


@pytest.mark.parametrize("kind", DATABASES)
def test_cycles_and_snoozes_only_remove_due_days(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """States with `every N days` and `weekly on` in the config (sometimes changed since the
    last sync), personal subscriptions on cycles, and snoozes that end before, around or
    after `at`: whenever the check says idle, the sync changes nothing and the full path has
    nothing to do. (It may say "maybe" more often than before: it reads the weekdays, not the
    cycle or the snooze, and those only remove due days.)"""
    monkeypatch.setattr(f"{__name__}.DAYS", CYCLE_DAYS)
    rng = random.Random(29)
    said_idle = 0
    with _fresh_stores(kind, tmp_path) as (fresh, opened):
        for n in range(120):
            config, at, catch_up = _state(rng, fresh(n), opened)
            with opened(config.database) as store:
                for i in range(rng.randrange(0, 3)):
                    every = rng.choice([None, 2, 5])
                    spec = SubscriptionSpec(
                        "console", "", f"dm:m{i}", _time(rng), rng.choice(ZONES), DAILY,
                        every_days=every, member=f"m{i}",
                    )  # fmt: skip
                    store.upsert_subscription(spec, "chat", f"m{i}", at - timedelta(days=4))
                for sub in store.list_subscriptions():
                    if rng.random() < 0.4:
                        until = at + timedelta(hours=rng.randrange(-60, 60))
                        store.set_snooze(sub.id, until, at - timedelta(days=3))
            quick = is_idle(config, at, catch_up)
            assert quick in (True, None)
            unchanged, nothing = _full_path(config, at, catch_up, opened)
            if quick:
                assert unchanged and nothing, (n, at, config.subscriptions)
                said_idle += 1
    assert said_idle >= 5  # idle states are reached, so the implication is tested


def test_a_changed_cycle_in_the_config_is_not_idle(tmp_path: Path) -> None:
    """`every 2 days` became `every 3 days` in the file: same weekdays, but the sync must
    store the new cycle (and its new first day), so the check must not say idle."""
    url = f"sqlite:///{tmp_path}/c.db"
    before = SubscriptionConfig(platform="console", channel="ops", days="every 2 days")
    at = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 in Amsterdam: nothing due yet
    store = Store.open(url)
    store.migrate()
    store.sync_config_subscriptions(config_subscriptions(_config(url, [before], 6.0)), at)
    store.close()
    assert is_idle(_config(url, [before], 6.0), at, timedelta(hours=6)) is True
    after = SubscriptionConfig(platform="console", channel="ops", days="every 3 days")
    assert is_idle(_config(url, [after], 6.0), at, timedelta(hours=6)) is None
