"""Direct messages on Slack: a "dm:<member>" target posts in the bot's IM with that member
(conversations.open, cached), reconciles from that IM's history, and says plainly why a member
can't be reached. REST only, over the fake Slack, as `k8stip deliver` runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.direct import DirectChannels
from bot.ports import PermanentError, Target, TransientError, direct_target
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    SECRETS_CARD,
    RecordingEvents,
    StandInRouter,
    make_config,
    make_secrets,
    tip_reply,
)

MEMBER = direct_target("slack", "T1", "U_MEMBER")


@pytest.fixture
async def adapter(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), router, events)
    yield adapter  # not started: posting is REST only
    await adapter.stop()


async def test_a_direct_post_opens_the_members_im_once_and_posts_there_with_its_metadata(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    first = await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "delivery-1")
    second = await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "delivery-2")
    assert [c.args["users"] for c in fake.calls_to("conversations.open")] == ["U_MEMBER"]
    posts = fake.calls_to("chat.postMessage")
    assert [p.args["channel"] for p in posts] == ["DU_MEMBER", "DU_MEMBER"]
    assert [m["ts"] for m in fake.channels["DU_MEMBER"].messages] == [first, second]
    metadata = fake.channels["DU_MEMBER"].messages[0]["metadata"]
    assert metadata["event_payload"] == {"delivery_id": "delivery-1"}


async def test_an_earlier_direct_post_is_found_in_the_ims_history(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ts = await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "delivery-7")
    assert await adapter.find_posted(MEMBER, "delivery-7") == ts
    assert await adapter.find_posted(MEMBER, "delivery-8") is None
    history = fake.calls_to("conversations.history")
    assert {c.args["channel"] for c in history} == {"DU_MEMBER"}


async def test_a_member_who_left_is_a_permanent_error_that_names_them(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    with pytest.raises(PermanentError, match="U_GONE is not in this workspace") as e:
        await adapter.post(direct_target("slack", "T1", "U_GONE"), tip_reply(SECRETS_CARD), "d1")
    assert e.value.reason.startswith("direct message: ")
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("user_disabled", "U_MEMBER was deactivated"),
        ("cannot_dm_bot", "is a bot"),
        ("missing_scope", "im:write"),
    ],
)
async def test_a_refused_conversations_open_says_why(
    fake: FakeSlack, adapter: SlackAdapter, code: str, says: str
) -> None:
    fake.fail("conversations.open", error=code)
    with pytest.raises(PermanentError, match=says):
        await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d1")


async def test_a_refused_direct_post_is_worded_for_the_member_and_the_im_is_opened_afresh(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d1")
    fake.fail("chat.postMessage", error="messages_tab_disabled")
    with pytest.raises(PermanentError, match="Messages tab is turned off"):
        await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d2")
    fake.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(PermanentError) as e:
        await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d3")
    assert "conversation with U_MEMBER is gone" in e.value.reason
    assert "/invite" not in e.value.reason  # a channel's fix, meaningless in a DM
    await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d4")
    # Opened for d1, then again after each failure (the cached IM was dropped).
    assert len(fake.calls_to("conversations.open")) == 3


async def test_a_slack_outage_while_opening_the_im_is_transient(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("conversations.open", status=503)
    with pytest.raises(TransientError):
        await adapter.post(MEMBER, tip_reply(SECRETS_CARD), "d1")


async def test_a_target_that_is_not_a_member_id_is_refused_before_any_call(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    for bad in ("<!channel>", "@everyone", "C_LEARN", "u_lower", "U" + "1" * 40):
        with pytest.raises(PermanentError, match="not a Slack member id"):
            await adapter.post(direct_target("slack", "T1", bad), tip_reply(SECRETS_CARD), "d")
    assert fake.calls == []


async def test_the_im_cache_is_bounded_and_forgets_the_oldest_member(fake: FakeSlack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-test-bot-token", base_url=fake.api_url)

    async def client_for(workspace: str) -> AsyncWebClient:
        return client

    for user in ("U_A1", "U_A2", "U_A3"):
        fake.add_user(user)
    direct = DirectChannels(cache_max=2)
    for user in ("U_A1", "U_A2", "U_A3", "U_A3", "U_A1"):
        im = await direct.channel(direct_target("slack", "T1", user), client_for)
        assert im == Target("slack", "T1", "D" + user)
    opened = [c.args["users"] for c in fake.calls_to("conversations.open")]
    assert opened == ["U_A1", "U_A2", "U_A3", "U_A1"]  # U_A1 was forgotten, U_A3 was not
