"""HTTP mode on an open port (issue 15): what unsigned, malformed, replayed and idle traffic
may cost. Real slack-bolt and aiohttp on 127.0.0.1 against the fake Slack; clock pinned to NOW.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import sqlalchemy

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.http_mode import HttpServer
from bot.adapters.slack.render import render
from bot.config import SlackConfig
from bot.core.replies import Reply, ReplyKind
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    NOW,
    SIGNING_SECRET,
    RecordingEvents,
    StandInRouter,
    form,
    make_config,
    make_secrets,
    migrated,
    sign,
    slash_command,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    fake.add_channel("C_LEARN")
    fake.add_user("U_ADMIN", admin=True)
    yield fake
    await fake.stop()


@pytest.fixture
def database(tmp_path: Any) -> str:
    return migrated(f"sqlite:///{tmp_path}/k8stip.db")


def new_adapter(fake: FakeSlack, database: str, router: Any, events: Any, **slack: Any) -> Any:
    host = None if "http_host" in slack else "127.0.0.1"  # else the config's http_host
    return SlackAdapter(
        make_config(fake.api_url, mode="http", database=database, **slack),
        make_secrets(SLACK_APP_TOKEN=""),
        router,
        events,
        wall_clock=lambda: NOW,
        http_host=host,
    )


@pytest.fixture
async def adapter(
    fake: FakeSlack, database: str, router: StandInRouter, events: RecordingEvents
) -> AsyncIterator[SlackAdapter]:
    adapter = new_adapter(fake, database, router, events)
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
def router() -> StandInRouter:
    return StandInRouter()


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


async def post(port: int | None, body: bytes | str, headers: dict[str, str]) -> tuple[int, str]:
    url = f"http://127.0.0.1:{port}/slack/events"
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_malformed_requests_get_a_quiet_4xx_and_one_log_line_per_address(
    adapter: SlackAdapter, router: StandInRouter, caplog: pytest.LogCaptureFixture
) -> None:
    good = sign("a=1", NOW)
    latin1 = "text=caf\xe9".encode("latin-1")
    signed_latin1 = sign("x", NOW) | {
        "X-Slack-Signature": sign_bytes(latin1, NOW),
    }
    cases: list[tuple[bytes | str, dict[str, str]]] = [
        ("a=1", {}),  # no signature headers
        ("a=1", good | {"X-Slack-Request-Timestamp": "soon"}),  # non-numeric timestamp
        ("a=1", good | {"X-Slack-Request-Timestamp": "1e9"}),
        (latin1, signed_latin1),  # signed, but not UTF-8
        ("a=2", good | {"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}),
    ]
    caplog.set_level(logging.DEBUG)
    statuses = []
    for _ in range(20):
        for body, headers in cases:
            statuses.append((await post(adapter.http_port, body, headers))[0])
    assert set(statuses) <= {400, 401}, statuses
    assert router.calls == []
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(noisy) <= 1, [r.getMessage() for r in noisy]
    assert all(r.exc_info is None for r in caplog.records)


def sign_bytes(body: bytes, timestamp: float) -> str:
    import hashlib
    import hmac

    ts = str(int(timestamp)).encode()
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


async def test_an_unsigned_large_body_is_refused_on_its_headers_and_a_signed_one_is_capped(
    adapter: SlackAdapter, router: StandInRouter
) -> None:
    big = "a=" + "x" * (1024 * 1024)
    status, _ = await post(adapter.http_port, big, {"Content-Type": "text/plain"})
    assert status == 401
    status, _ = await post(adapter.http_port, "a=" + "x" * 70_000, sign("a=" + "x" * 70_000, NOW))
    assert status == 413
    assert router.calls == []


async def open_raw(port: int | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            return await reader.read(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def test_idle_and_dripping_connections_are_closed_and_connections_are_capped(
    adapter: SlackAdapter, database: str
) -> None:
    server = HttpServer(
        adapter.app,
        None,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
        database=database,
        wall_clock=lambda: NOW,
        max_connections=3,
        idle_seconds=0.3,
    )
    await server.start()
    try:
        idle = await open_raw(server.port)
        drip = await open_raw(server.port)
        drip[1].write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        third = await open_raw(server.port)
        over = await open_raw(server.port)
        assert await closed_within(over[0], 1.0)  # the fourth: closed on accept
        assert await closed_within(idle[0], 3.0)
        assert await closed_within(drip[0], 3.0)
        assert await closed_within(third[0], 3.0)
        for _, writer in (idle, drip, third, over):
            writer.close()
    finally:
        await server.stop()


async def test_a_replayed_signed_command_is_processed_once_and_acked_quietly(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    _, url = fake.response_url()
    body = form(slash_command("subscribe 09:00", url, user="U_ADMIN"))
    answers = [await post(adapter.http_port, body, sign(body, NOW)) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert len(router.calls) == 1
    assert answers[1][1] == answers[2][1] == ""


async def test_a_replay_sent_to_another_replica_is_refused_through_the_database(
    fake: FakeSlack, database: str, router: StandInRouter, events: RecordingEvents
) -> None:
    replicas = [new_adapter(fake, database, router, events) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    try:
        _, url = fake.response_url()
        body = form(slash_command("subscribe 09:00", url, user="U_ADMIN"))
        for replica in replicas:
            assert (await post(replica.http_port, body, sign(body, NOW)))[0] == 200
        assert len(router.calls) == 1
    finally:
        for replica in replicas:
            await replica.stop()


async def test_slacks_retry_of_an_event_with_a_new_signature_has_no_second_effect(
    adapter: SlackAdapter, events: RecordingEvents
) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev42",
        "event_time": 1,
    }
    body = json.dumps(event)
    first = sign(body, NOW) | {"Content-Type": "application/json"}
    retry = sign(body, NOW + 5) | {"Content-Type": "application/json", "X-Slack-Retry-Num": "1"}
    assert (await post(adapter.http_port, body, first))[0] == 200
    await events.wait()
    assert (await post(adapter.http_port, body, retry))[0] == 200
    assert events.removed == [("slack", "T1", "app_uninstalled")]


async def test_expired_replay_keys_are_purged_as_requests_arrive(database: str) -> None:
    from bot.adapters.slack.replays import KEEP_SECONDS, SeenRequests

    seen = SeenRequests(database)
    try:
        assert await seen.first_time(["sig:old"], NOW)
        assert not await seen.first_time(["sig:old"], NOW + 1)
        assert await seen.first_time(["sig:new"], NOW + KEEP_SECONDS + 61)
        engine = sqlalchemy.create_engine(database)
        with engine.connect() as conn:
            keys = conn.execute(sqlalchemy.text("SELECT key FROM slack_seen_requests")).all()
        engine.dispose()
        assert [k for (k,) in keys] == ["sig:new"]
    finally:
        seen.close()


async def test_the_bind_address_comes_from_slack_http_host(
    fake: FakeSlack, database: str, router: StandInRouter, events: RecordingEvents
) -> None:
    assert SlackConfig().http_host == "0.0.0.0"  # containers: today's behaviour
    adapter = new_adapter(fake, database, router, events, http_host="127.0.0.1")
    await adapter.start()
    try:
        _, writer = await open_raw(adapter.http_port)
        writer.close()
    finally:
        await adapter.stop()


async def test_a_cold_start_under_load_sends_one_auth_test(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    held = asyncio.Event()
    fake.fail("auth.test", delay_event=held)

    async def command(i: int) -> int:
        _, url = fake.response_url()
        body = form(slash_command(f"tip {i}", url))
        return (await post(adapter.http_port, body, sign(body, NOW)))[0]

    sends = asyncio.gather(*(command(i) for i in range(20)))
    await fake.wait_for(lambda: fake.calls_to("auth.test"))
    await asyncio.sleep(0.2)  # let the other 19 reach authorization while the first waits
    held.set()
    assert await sends == [200] * 20
    assert len(fake.calls_to("auth.test")) == 1


async def test_the_install_page_is_rate_limited_per_address(
    fake: FakeSlack, database: str, router: StandInRouter, events: RecordingEvents
) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url, mode="http", oauth=True, database=database),
        make_secrets(SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s"),
        router,
        events,
        wall_clock=lambda: NOW,
        http_host="127.0.0.1",
    )
    await adapter.start()
    try:
        url = f"http://127.0.0.1:{adapter.http_port}/slack/install"
        async with aiohttp.ClientSession() as s:
            statuses = []
            for _ in range(15):
                async with s.get(url) as resp:
                    statuses.append(resp.status)
        assert statuses == [200] * 10 + [429] * 5
        engine = sqlalchemy.create_engine(database)
        with engine.connect() as conn:
            states = conn.execute(sqlalchemy.text("SELECT count(*) FROM slack_oauth_states"))
            assert states.scalar() == 10
        engine.dispose()
    finally:
        await adapter.stop()


def test_a_markdown_link_typed_by_a_user_is_echoed_as_text() -> None:
    reply = Reply(kind=ReplyKind.INFO, text="No tip matches “[docs](http://evil.example)”")
    message = render(reply)
    for text in (message["text"], message["blocks"][0]["text"]["text"]):
        assert "<http://evil.example" not in text
        assert "docs" in text and "evil.example" in text


async def test_starting_with_slack_bot_token_in_the_environment_logs_no_token_warning(
    fake: FakeSlack,
    database: str,
    router: StandInRouter,
    events: RecordingEvents,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.DEBUG)
    new_adapter(fake, database, router, events)
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]
