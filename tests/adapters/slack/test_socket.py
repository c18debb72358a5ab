"""Socket Mode end to end: real slack-bolt and slack-sdk against the fake Slack's WebSocket."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.slack import SlackAdapter
from bot.config import ConfigError
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    RecordingEvents,
    StandInRouter,
    block_actions,
    make_config,
    make_secrets,
    slash_command,
)


@pytest.fixture
async def adapter(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        make_config(fake.api_url, admins=["U_LISTED"]),
        make_secrets(),
        router,
        events,
        ack_budget=2.0,
    )
    await adapter.start()
    yield adapter
    await adapter.stop()


async def command(fake: FakeSlack, text: str, user: str = "U_MEMBER") -> dict[str, Any]:
    """Push `/k8stip text` over the socket; return the envelope's ack payload."""
    _, url = fake.response_url()
    envelope = await fake.push("slash_commands", slash_command(text, url, user=user))
    ack = await fake.ack_for(envelope)
    payload: dict[str, Any] = ack.get("payload") or {}
    return payload


async def test_a_slash_command_gets_a_tip_card_in_the_ack(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    payload = await command(fake, "tip secrets")
    assert payload["response_type"] == "ephemeral"
    assert payload["blocks"][1]["elements"][0]["text"].startswith(
        "Hands-On Kubernetes on Azure, 2nd ed. · Ch. 10"
    )
    assert payload["text"].startswith("Don't put secrets")
    [inv] = router.calls
    assert (inv.platform, inv.workspace, inv.channel, inv.user, inv.text) == (
        "slack",
        "T1",
        "C_LEARN",
        "U_MEMBER",
        "tip secrets",
    )
    assert fake.calls_to("apps.connections.open")


async def test_after_slack_refreshes_the_socket_the_app_reconnects_and_keeps_answering(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    await fake.wait_for(lambda: fake.sockets)
    first = fake.sockets[-1]
    await fake.refresh_socket()
    await fake.wait_for(lambda: fake.sockets and fake.sockets[-1] is not first)
    assert len(fake.calls_to("apps.connections.open")) >= 2
    payload = await command(fake, "tip secrets")
    assert payload["blocks"]


async def test_at_here_in_a_query_comes_back_escaped(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    payload = await command(fake, "what is @here <!channel> <@U_ADMIN>")
    for text in (payload["text"], payload["blocks"][0]["text"]["text"]):
        assert "@here" not in text
        assert "@\u200dhere" in text
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text
        assert "<@U_ADMIN>" not in text


async def test_a_slow_answer_is_acked_at_once_and_sent_to_the_response_url(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents
) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url), make_secrets(), router, events, ack_budget=0.05
    )
    await adapter.start()
    try:
        rid, url = fake.response_url()
        envelope = await fake.push("slash_commands", slash_command("slow", url))
        ack = await fake.ack_for(envelope)
        assert "payload" not in ack or not ack["payload"]
        assert fake.responses_for(rid) == []  # the router is still busy
        router.gate.set()
        [body] = await fake.wait_for(lambda: fake.responses_for(rid))
        assert body["response_type"] == "ephemeral"
        assert body["replace_original"] is False
        assert body["blocks"][0]["text"]["text"].startswith("Don't put secrets")
    finally:
        await adapter.stop()


async def test_a_slow_command_does_not_hold_up_the_next_one(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    _, url = fake.response_url()
    slow = await fake.push("slash_commands", slash_command("slow", url))
    quick = await command(fake, "tip secrets")  # answered while "slow" is still waiting
    assert quick["blocks"]
    assert slow not in fake.acks
    router.gate.set()
    assert (await fake.ack_for(slow))["payload"]["blocks"]


async def test_a_button_press_routes_its_command_and_answers_via_response_url(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    rid, url = fake.response_url()
    envelope = await fake.push("interactive", block_actions("k8stip:more:1", "search secrets", url))
    await fake.ack_for(envelope)
    [body] = await fake.wait_for(lambda: fake.responses_for(rid))
    [inv] = router.calls
    assert (inv.text, inv.channel, inv.user, inv.workspace) == (
        "search secrets",
        "C_LEARN",
        "U_MEMBER",
        "T1",
    )
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("2 tips match")


async def test_share_in_channel_posts_the_tip_for_everyone(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    rid, url = fake.response_url()
    await fake.push("interactive", block_actions("k8stip:share:2", "share hoka-ch10-007", url))
    [body] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert router.calls[0].text == "share hoka-ch10-007"
    assert body["response_type"] == "in_channel"
    labels = [b["text"]["text"] for b in body["blocks"][-1]["elements"]]
    assert "Share in channel" not in labels


async def test_a_member_is_not_admin_and_subscribe_is_refused_politely(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    payload = await command(fake, "subscribe 09:00 Europe/Amsterdam weekdays")
    assert router.calls[0].is_admin is False
    assert payload["response_type"] == "ephemeral"
    assert "Only workspace admins and owners" in payload["text"]
    assert [c.args["user"] for c in fake.calls_to("users.info")] == ["U_MEMBER"]


@pytest.mark.parametrize("user", ["U_ADMIN", "U_OWNER", "U_LISTED"])
async def test_admins_owners_and_listed_users_may_subscribe(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter, user: str
) -> None:
    payload = await command(fake, "subscribe 09:00", user=user)
    assert router.calls[0].is_admin is True
    assert payload["response_type"] == "in_channel"
    assert payload["text"].startswith("Done: subscribe")


async def test_admin_lookups_are_cached(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    await command(fake, "tip")
    await command(fake, "tip")
    assert len(fake.calls_to("users.info")) == 1
    assert len(router.calls) == 2


async def test_when_users_info_fails_the_user_is_treated_as_a_member(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    fake.fail("users.info", error="missing_scope")
    payload = await command(fake, "subscribe", user="U_ADMIN")
    assert router.calls[0].is_admin is False
    assert "Only workspace admins" in payload["text"]


async def test_a_router_crash_gets_a_polite_ephemeral_answer(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    payload = await command(fake, "boom")
    assert payload["response_type"] == "ephemeral"
    assert "something went wrong" in payload["text"]
    assert "fell over" not in payload["text"]


async def test_app_uninstalled_tells_the_core_to_pause_the_workspace(
    fake: FakeSlack, adapter: SlackAdapter, events: RecordingEvents
) -> None:
    await fake.push(
        "events_api",
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": {"type": "app_uninstalled"},
            "event_id": "Ev1",
            "event_time": 1,
        },
    )
    await events.wait()
    assert events.removed == [("slack", "T1", "app_uninstalled")]


async def test_revoked_bot_token_pauses_the_workspace_but_a_revoked_user_token_does_not(
    fake: FakeSlack, adapter: SlackAdapter, events: RecordingEvents
) -> None:
    def revoked(tokens: dict[str, list[str]], event_id: str) -> dict[str, object]:
        return {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": {"type": "tokens_revoked", "tokens": tokens},
            "event_id": event_id,
            "event_time": 1,
        }

    first = await fake.push("events_api", revoked({"oauth": ["U_MEMBER"]}, "Ev1"))
    await fake.ack_for(first)
    await fake.push("events_api", revoked({"bot": ["UBOT"]}, "Ev2"))
    await events.wait()
    assert events.removed == [("slack", "T1", "tokens_revoked")]


async def test_a_rate_limited_admin_lookup_is_retried_once_by_the_sdk(
    fake: FakeSlack, adapter: SlackAdapter, router: StandInRouter
) -> None:
    """Interactive calls let slack-sdk honour Retry-After itself: a person is waiting."""
    fake.fail("users.info", status=429, retry_after=0)
    await command(fake, "subscribe", user="U_ADMIN")
    assert len(fake.calls_to("users.info")) == 2
    assert router.calls[0].is_admin is True


async def test_oauth_variables_in_the_environment_do_not_switch_bolt_into_oauth_mode(
    fake: FakeSlack, router: StandInRouter, events: RecordingEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt turns OAuth on by itself when it sees these; k8stip decides from slack.oauth."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    adapter = SlackAdapter(make_config(fake.api_url), make_secrets(), router, events)
    await adapter.start()
    try:
        payload = await command(fake, "tip")
        assert payload["blocks"]
        assert os.environ["SLACK_CLIENT_ID"] == "111.222"  # put back afterwards
    finally:
        await adapter.stop()


def test_missing_tokens_are_a_config_error_that_says_where_to_get_them(
    router: StandInRouter, events: RecordingEvents
) -> None:
    with pytest.raises(ConfigError) as caught:
        SlackAdapter(
            make_config("http://127.0.0.1:9/api/"),
            make_secrets(SLACK_APP_TOKEN="", SLACK_BOT_TOKEN=""),
            router,
            events,
        )
    text = str(caught.value)
    assert "SLACK_BOT_TOKEN" in text and "SLACK_APP_TOKEN" in text
    assert "App-Level Tokens" in text
