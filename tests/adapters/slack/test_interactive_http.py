"""The adapter's own HTTP use while it runs (issue 12's load): one aiohttp session for the Web
API calls and response_url answers, and one users.info per member however many presses race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from tests.adapters.slack.test_learning_presses import (
    USEFUL,
    LearningRouter,
    press,
    press_payload,
)
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    NOW,
    RecordingEvents,
    actions_form,
    http_mode_adapter,
    make_config,
    make_secrets,
    sign,
)


@pytest.fixture
def learning() -> LearningRouter:
    return LearningRouter()


@pytest.fixture
async def http_adapter(
    fake: FakeSlack, learning: LearningRouter, events: RecordingEvents, tmp_path: Any
) -> AsyncIterator[SlackAdapter]:
    async with http_mode_adapter(fake.api_url, learning, events, tmp_path) as adapter:
        yield adapter


async def test_presses_reuse_one_connection_for_web_api_calls_and_response_urls(
    fake: FakeSlack, learning: LearningRouter, events: RecordingEvents
) -> None:
    members = [f"U_NEW{i}" for i in range(4)]
    for m in members:
        fake.add_user(m)
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), learning, events)
    await adapter.start()
    try:
        for m in members:  # one after the other: each a users.info and a response_url post
            rid, _ = await press(fake, USEFUL, kind="vote", user=m)
            await fake.wait_for(partial(fake.responses_for, rid))
    finally:
        await adapter.stop()
    lookups = fake.calls_to("users.info")
    assert sorted(c.args["user"] for c in lookups) == members
    # Eight requests, one kept-alive connection (a session per call would use eight).
    peers = {c.peer for c in lookups} | set(fake.response_peers)
    assert len(fake.response_peers) == len(members)
    assert len(peers) == 1, peers


async def test_the_session_lives_from_start_to_stop(
    fake: FakeSlack, learning: LearningRouter, events: RecordingEvents
) -> None:
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), learning, events)
    assert adapter.app.client.session is None
    await adapter.start()
    session = adapter.app.client.session
    assert session is not None and not session.closed
    await adapter.stop()
    assert session.closed
    assert adapter.app.client.session is None
    await adapter.start()  # a restart opens a new one
    again = adapter.app.client.session
    assert again is not None and again is not session and not again.closed
    await adapter.stop()
    assert again.closed


async def http_press(adapter: SlackAdapter, fake: FakeSlack, user: str) -> str:
    import aiohttp

    rid, payload = press_payload(fake, USEFUL, kind="vote", user=user)
    body = actions_form(payload)
    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with (
        aiohttp.ClientSession() as s,
        s.post(url, data=body, headers=sign(body, NOW)) as resp,
    ):
        assert resp.status == 200
    return rid


async def test_concurrent_presses_of_a_new_member_share_one_users_info(
    fake: FakeSlack, http_adapter: SlackAdapter, learning: LearningRouter
) -> None:
    fake.add_user("U_NEW")
    held = asyncio.Event()
    fake.fail("users.info", delay_event=held)  # the first lookup waits for the test
    # Every press is acked (so its answer has started) while the first lookup is held.
    rids = await asyncio.gather(*(http_press(http_adapter, fake, "U_NEW") for _ in range(8)))
    await fake.wait_for(lambda: fake.calls_to("users.info"))
    held.set()
    for rid in rids:
        await fake.wait_for(partial(fake.responses_for, rid))
    assert [c.args["user"] for c in fake.calls_to("users.info")] == ["U_NEW"]
    assert [(c.user, c.is_admin) for c in learning.calls] == [("U_NEW", False)] * 8


async def test_a_failed_shared_lookup_makes_every_waiter_a_non_admin_and_is_not_cached(
    fake: FakeSlack, http_adapter: SlackAdapter, learning: LearningRouter
) -> None:
    held = asyncio.Event()
    fake.fail("users.info", error="user_not_found", delay_event=held)
    rids = await asyncio.gather(*(http_press(http_adapter, fake, "U_ADMIN") for _ in range(3)))
    await fake.wait_for(lambda: fake.calls_to("users.info"))
    held.set()
    for rid in rids:
        await fake.wait_for(partial(fake.responses_for, rid))
    assert [c.is_admin for c in learning.calls] == [False] * 3
    assert len(fake.calls_to("users.info")) == 1
    # The failure was not remembered: the next press asks again, and now sees an admin.
    rid = await http_press(http_adapter, fake, "U_ADMIN")
    await fake.wait_for(lambda: fake.responses_for(rid))
    assert len(fake.calls_to("users.info")) == 2
    assert learning.calls[-1].is_admin is True
