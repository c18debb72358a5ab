"""Slack installations at rest: tokens encrypted under K8STIP_TOKEN_KEY, keys rotated, plaintext
rows from before upgraded, expired OAuth states deleted. On SQLite and on the real PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.installations import (
    STATE_PURGE_EVERY_SECONDS,
    TOKEN_COLUMNS,
    ThreadedInstallationStore,
    ThreadedStateStore,
    TokenKeyError,
    build_stores,
)
from bot.config import ConfigError
from bot.core.replies import Visibility
from bot.ports import PermanentError, Target, TransientError
from tests.fakes.databases import database_url
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    SECRETS_CARD,
    RecordingEvents,
    StandInRouter,
    make_config,
    make_secrets,
    tip_reply,
)

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
BOT_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
USER_TOKEN = "xoxp-1234567890123-1234567890123-1234567890123-0123456789abcdef0123456789abcdef"
# Rotating tokens are long: 180 characters encrypt to ~330, past slack-sdk's VARCHAR(200).
REFRESH_TOKEN = "xoxe-1-" + "My0xLTEyMzQ1Njc4OTAxMjMtMTIzNDU2Nzg5MDEyMy" * 4 + "x" * 5
WEBHOOK_URL = "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX"
PLAINTEXT = (BOT_TOKEN, USER_TOKEN, REFRESH_TOKEN, WEBHOOK_URL)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as u:
        yield u


def installation(team: str = "T1", refresh: str = REFRESH_TOKEN) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id=team,
        user_id="U1",
        bot_token=BOT_TOKEN,
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes="commands,chat:write",
        bot_refresh_token=refresh,
        user_token=USER_TOKEN,
        user_refresh_token=refresh,
        incoming_webhook_url=WEBHOOK_URL,
        installed_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC).timestamp(),
    )


def stored_tokens(url: str) -> list[str]:
    """Every non-null value of every token column, as the database holds it."""
    engine = sqlalchemy.create_engine(url)
    values: list[str] = []
    with engine.connect() as conn:
        for table, names in TOKEN_COLUMNS.items():
            cols = ", ".join(names)
            for row in conn.execute(sqlalchemy.text(f"SELECT {cols} FROM {table}")):
                values += [v for v in row if v is not None]
    engine.dispose()
    return values


async def stores(url: str, key: str) -> ThreadedInstallationStore:
    store, states = build_stores(url, "111.222", key)
    await store.create_tables()
    await states.create_tables()
    return store


async def assert_reads_back(store: ThreadedInstallationStore) -> None:
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN
    assert bot.bot_refresh_token == REFRESH_TOKEN
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.user_token, found.incoming_webhook_url) == (
        BOT_TOKEN,
        USER_TOKEN,
        WEBHOOK_URL,
    )
    assert found.user_refresh_token == REFRESH_TOKEN


def assert_encrypted_under(url: str, key: str) -> None:
    values = stored_tokens(url)
    assert len(values) == 7  # 5 columns of the installation, 2 of the bot
    for value in values:
        assert not any(p in value for p in PLAINTEXT)
        assert Fernet(key).decrypt(value.encode()).decode() in PLAINTEXT


async def test_tokens_are_stored_encrypted_and_read_back_in_plaintext(url: str) -> None:
    store = await stores(url, NEW_KEY)
    await store.async_save(installation())
    assert_encrypted_under(url, NEW_KEY)
    await assert_reads_back(store)


async def test_plaintext_installs_from_before_are_read_and_encrypted_at_start(url: str) -> None:
    """An upgrade keeps every install: rows slack-sdk wrote in plaintext (in its own VARCHAR(200)
    columns) are readable at once and encrypted by the next start."""
    path = sqlalchemy.make_url(url).database
    if url.startswith("sqlite"):
        Path(path or "").parent.mkdir(parents=True, exist_ok=True)
    engine = sqlalchemy.create_engine(url)
    old = SQLAlchemyInstallationStore(client_id="111.222", engine=engine)
    old.metadata.create_all(engine)
    old.save(installation(refresh="xoxe-1-short"))
    engine.dispose()
    assert set(stored_tokens(url)) == {BOT_TOKEN, USER_TOKEN, WEBHOOK_URL, "xoxe-1-short"}

    store, _ = build_stores(url, "111.222", NEW_KEY)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN  # before any rewrite

    await store.create_tables()
    values = stored_tokens(url)
    assert len(values) == 7 and not set(values) & {BOT_TOKEN, USER_TOKEN, WEBHOOK_URL}
    # The widened columns now take a long rotating token, on PostgreSQL too.
    await store.async_save(installation(team="T1"))
    await assert_reads_back(store)
    assert_encrypted_under(url, NEW_KEY)


async def test_after_rotation_old_rows_are_read_and_re_encrypted_with_the_new_key(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = await stores(url, OLD_KEY)
    await store.async_save(installation())
    assert_encrypted_under(url, OLD_KEY)

    rotated = await stores(url, f"{NEW_KEY},{OLD_KEY}")  # the new key first
    await assert_reads_back(rotated)
    assert_encrypted_under(url, NEW_KEY)

    await assert_reads_back(await stores(url, NEW_KEY))  # the old key may now go
    logged = caplog.text
    assert "encrypted 2 stored token(s)" in logged  # one installation row, one bot row
    for secret in (OLD_KEY, NEW_KEY, *PLAINTEXT):
        assert secret not in logged


async def test_a_token_under_a_key_we_do_not_have_stops_the_start_with_one_clear_line(
    url: str,
) -> None:
    store = await stores(url, OLD_KEY)
    await store.async_save(installation())
    wrong, _ = build_stores(url, "111.222", NEW_KEY)
    with pytest.raises(TokenKeyError) as e:
        await wrong.create_tables()
    message = str(e.value)
    assert isinstance(e.value, ConfigError)  # `k8stip run` prints it as one config error
    assert "\n" not in message
    assert "can't be decrypted with any key in K8STIP_TOKEN_KEY" in message
    assert "slack_installations.bot_token" in message
    for secret in (OLD_KEY, NEW_KEY, *PLAINTEXT):
        assert secret not in message
    with pytest.raises(TokenKeyError):
        await wrong.async_find_bot(enterprise_id=None, team_id="T1")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_channel("C_LEARN")
    yield fake
    await fake.stop()


def oauth_adapter(fake: FakeSlack, database: str, key: str | None) -> SlackAdapter:
    return SlackAdapter(
        make_config(fake.api_url, mode="http", oauth=True, database=database),
        make_secrets(
            SLACK_BOT_TOKEN="",
            SLACK_APP_TOKEN="",
            SLACK_CLIENT_ID="111.222",
            SLACK_CLIENT_SECRET="client-secret",
            K8STIP_TOKEN_KEY=key or "",
        ),
        StandInRouter(),
        RecordingEvents(),
    )


async def test_a_daily_post_with_the_wrong_key_fails_with_that_line_not_a_traceback(
    fake: FakeSlack, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path}/k8stip.db"
    store = await stores(database, OLD_KEY)
    await store.async_save(installation())
    adapter = oauth_adapter(fake, database, NEW_KEY)
    daily = tip_reply(SECRETS_CARD, Visibility.CHANNEL)
    with pytest.raises(TransientError) as e:
        await adapter.post(Target("slack", "T1", "C_LEARN"), daily, "d1")
    assert "can't be decrypted with any key in K8STIP_TOKEN_KEY" in e.value.reason
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert fake.calls_to("chat.postMessage") == []


async def test_a_revoked_oauth_install_is_permanent_for_that_workspace_only(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """With OAuth installs each workspace has its own token: Slack refusing it means that
    install is gone, so its channels pause (with how to reinstall) rather than wait."""
    database = f"sqlite:///{tmp_path}/k8stip.db"
    store = await stores(database, NEW_KEY)
    await store.async_save(installation())  # a token the fake Slack does not (or no longer) know
    adapter = oauth_adapter(fake, database, NEW_KEY)
    daily = tip_reply(SECRETS_CARD, Visibility.CHANNEL)
    with pytest.raises(PermanentError) as e:
        await adapter.post(Target("slack", "T1", "C_LEARN"), daily, "d1")
    await adapter.stop()
    assert "workspace T1 (invalid_auth)" in e.value.reason
    assert "/slack/install" in e.value.reason and BOT_TOKEN not in e.value.reason


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "slack.oauth is on, which needs K8STIP_TOKEN_KEY"),
        (" , ", "slack.oauth is on, which needs K8STIP_TOKEN_KEY"),
        ("not-a-fernet-key", "K8STIP_TOKEN_KEY: key 1 of 1 is not a Fernet key"),
        (f"{NEW_KEY},{NEW_KEY[:-4]}", "K8STIP_TOKEN_KEY: key 2 of 2 is not a Fernet key"),
    ],
)
def test_oauth_without_a_usable_key_is_one_config_error_at_start(
    fake: FakeSlack, tmp_path: Path, key: str | None, expected: str
) -> None:
    with pytest.raises(ConfigError) as e:
        oauth_adapter(fake, f"sqlite:///{tmp_path}/k8stip.db", key)
    assert e.value.problems == [e.value.problems[0]] and expected in e.value.problems[0]
    assert "Fernet.generate_key()" in e.value.problems[0]  # the fix
    for part in (key or "").split(","):
        if part.strip():
            assert part.strip() not in str(e.value)


def test_a_single_workspace_bot_needs_no_token_key(fake: FakeSlack) -> None:
    """Without slack.oauth no token is stored, so there is nothing to encrypt."""
    SlackAdapter(
        make_config(fake.api_url),
        make_secrets(K8STIP_TOKEN_KEY=""),
        StandInRouter(),
        RecordingEvents(),
    )


# ----- OAuth states ------------------------------------------------------------------------------


class Clock:
    def __init__(self, start: datetime) -> None:
        self.t = start.timestamp()

    def __call__(self) -> float:
        return self.t


def count_states(states: ThreadedStateStore) -> int:
    with states.store.engine.connect() as conn:
        return int(
            conn.execute(
                sqlalchemy.select(sqlalchemy.func.count()).select_from(states.store.oauth_states)
            ).scalar_one()
        )


def add_states(states: ThreadedStateStore, n: int, expire_at: datetime) -> None:
    rows: list[dict[str, Any]] = [
        {"state": f"old-{i}", "expire_at": expire_at.replace(tzinfo=None)} for i in range(n)
    ]
    with states.store.engine.begin() as conn:
        conn.execute(states.store.oauth_states.insert(), rows)


async def test_expired_oauth_states_are_deleted_so_install_page_visits_cannot_pile_up(
    url: str,
) -> None:
    """20,000 unauthenticated visits to /slack/install used to leave 20,000 rows for good."""
    now = datetime.now(UTC)  # slack-sdk stamps new states from the wall clock itself
    clock = Clock(now)
    _, states = build_stores(url, "111.222", NEW_KEY, now=clock)
    await states.create_tables()  # purges once at start
    add_states(states, 20_000, expire_at=now - timedelta(seconds=1))

    clock.t += STATE_PURGE_EVERY_SECONDS
    fresh = await states.async_issue()
    assert count_states(states) == 1  # the 20,000 expired ones went with this issue
    assert await states.async_consume(fresh)

    # At most one purge a minute per process: the next expired batch waits for it.
    add_states(states, 100, expire_at=now - timedelta(seconds=1))
    live = await states.async_issue()
    assert count_states(states) == 101
    clock.t += STATE_PURGE_EVERY_SECONDS
    await states.async_issue()
    assert count_states(states) == 2
    assert await states.async_consume(live)  # unexpired states are kept and still work


async def test_a_restart_deletes_states_that_expired_while_it_was_down(url: str) -> None:
    now = datetime.now(UTC)
    _, states = build_stores(url, "111.222", NEW_KEY, now=Clock(now))
    await states.create_tables()
    add_states(states, 50, expire_at=now - timedelta(minutes=5))
    add_states(states, 3, expire_at=now + timedelta(minutes=5))
    _, restarted = build_stores(url, "111.222", NEW_KEY, now=Clock(now))
    await restarted.create_tables()
    assert count_states(restarted) == 3
