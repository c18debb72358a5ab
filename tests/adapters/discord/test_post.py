"""Daily posts over REST: nonce + enforce_nonce, no gateway, errors mapped for delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord import DiscordAdapter, create_adapter, delivery_nonce
from bot.config import Secrets, config_from_mapping
from bot.ports import (
    AmbiguousError,
    AuthError,
    PermanentError,
    RateLimited,
    Target,
    TransientError,
)
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_router import Events, Router, tip_reply

MESSAGES = r"/channels/\d+/messages"


@pytest.fixture
async def adapter(fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    a = create_adapter(config, Secrets({"DISCORD_TOKEN": fake.token}), Router(), Events())
    yield a
    await a.stop()


def target(fake: FakeDiscord, channel: int | None = None) -> Target:
    g = fake.guilds[0]
    return Target("discord", str(g.id), str(channel or g.channels[0]))


async def test_posts_the_daily_tip_over_rest_with_a_nonce(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    message_id = await adapter.post(target(fake), tip_reply(), "delivery-42")
    (body,) = fake.channel_messages
    assert message_id.isdigit()
    assert body["channel_id"] == fake.guilds[0].channels[0]
    assert body["nonce"] == delivery_nonce("delivery-42")
    assert body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert body["embeds"][0]["footer"]["text"].startswith("Hands-On Kubernetes on Azure")
    assert body["components"][0]["components"][0]["custom_id"] == "k8stip:rbac"
    assert fake.connections == []  # no gateway needed


async def test_a_retry_of_the_same_delivery_does_not_post_twice(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    first = await adapter.post(target(fake), tip_reply(), "delivery-7")
    again = await adapter.post(target(fake), tip_reply(), "delivery-7")
    assert first == again
    assert len(fake.channel_messages) == 1
    await adapter.post(target(fake), tip_reply(), "delivery-8")
    assert len(fake.channel_messages) == 2


@given(st.text(min_size=1, max_size=300))
def test_nonces_fit_discord_and_are_stable(delivery_id: str) -> None:
    nonce = delivery_nonce(delivery_id)
    assert 1 <= len(nonce) <= 25
    assert nonce.isascii() and nonce.isalnum()
    assert nonce == delivery_nonce(delivery_id)


def test_different_deliveries_get_different_nonces() -> None:
    assert len({delivery_nonce(f"sub-1:2026-11-{d:02d}") for d in range(1, 31)}) == 30


async def test_survives_a_429(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    fake.inject("POST", MESSAGES, 429, retry_after=0.01)
    assert await adapter.post(target(fake), tip_reply(), "d-429")
    assert [r.status for r in fake.requests_to("POST", MESSAGES)] == [429, 200]
    assert len(fake.channel_messages) == 1


async def test_survives_a_global_429(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    fake.inject("POST", MESSAGES, 429, retry_after=0.01, is_global=True)
    assert await adapter.post(target(fake), tip_reply(), "d-429g")
    assert len(fake.channel_messages) == 1


async def test_survives_a_500(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    """discord.py retries 500/502/504 itself (after 1 s); the nonce makes that safe."""
    fake.inject("POST", MESSAGES, 500)
    assert await adapter.post(target(fake), tip_reply(), "d-500")
    assert [r.status for r in fake.requests_to("POST", MESSAGES)] == [500, 200]


async def test_a_long_rate_limit_is_handed_to_the_delivery_loop(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.inject("POST", MESSAGES, 429, retry_after=120.0)
    with pytest.raises(RateLimited) as info:
        await adapter.post(target(fake), tip_reply(), "d-long")
    assert info.value.retry_after == pytest.approx(120.0)


async def test_a_503_is_transient(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    fake.inject("POST", MESSAGES, 503)
    with pytest.raises(TransientError, match="discord_503"):
        await adapter.post(target(fake), tip_reply(), "d-503")


@pytest.mark.parametrize(
    ("status", "code", "message", "reason"),
    [
        (403, 50001, "Missing Access", "missing_access"),
        (403, 50013, "Missing Permissions", "missing_permissions"),
    ],
)
async def test_access_errors_are_permanent(
    fake: FakeDiscord, adapter: DiscordAdapter, status: int, code: int, message: str, reason: str
) -> None:
    fake.inject("POST", MESSAGES, status, code=code, message=message)
    with pytest.raises(PermanentError) as info:
        await adapter.post(target(fake), tip_reply(), "d-403")
    assert info.value.reason.startswith(reason)


async def test_an_unknown_channel_is_permanent(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    with pytest.raises(PermanentError) as info:
        await adapter.post(target(fake, channel=1_300_000_000_000_009_999), tip_reply(), "d-404")
    assert info.value.reason.startswith("unknown_channel")


async def test_a_channel_that_is_not_an_id_is_permanent(adapter: DiscordAdapter) -> None:
    with pytest.raises(PermanentError, match="bad_channel"):
        await adapter.post(Target("discord", "1", "#daily-k8s"), tip_reply(), "d-bad")


async def test_an_unreachable_api_is_transient(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    await fake.close()
    with pytest.raises(TransientError, match="connect_failed"):
        await adapter.post(target(fake), tip_reply(), "d-down")


async def test_a_post_without_an_answer_is_ambiguous(fake: FakeDiscord) -> None:
    """It may have landed; a retry with the same nonce would not post twice."""
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    a = create_adapter(config, Secrets({"DISCORD_TOKEN": fake.token}), Router(), Events())
    a.post_timeout = 0.2
    fake.inject("POST", MESSAGES, 0)
    with pytest.raises(AmbiguousError):
        await a.post(target(fake), tip_reply(), "d-hang")
    assert await a.post(target(fake), tip_reply(), "d-hang")
    await a.stop()


async def test_a_rejected_token_is_an_adapter_outage_reported_without_the_token(
    fake: FakeDiscord,
) -> None:
    """A 401 is the token, for every channel alike: AuthError (delivery pauses nothing)."""
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    a = create_adapter(config, Secrets({"DISCORD_TOKEN": "leaked-value"}), Router(), Events())
    with pytest.raises(AuthError) as info:
        await a.post(target(fake), tip_reply(), "d-401")
    await a.stop()
    assert not isinstance(info.value, PermanentError)
    assert "DISCORD_TOKEN" in info.value.reason
    assert "leaked-value" not in info.value.reason
    assert "leaked-value" not in repr(a)


async def test_a_401_on_a_logged_in_client_is_an_adapter_outage(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    """The token was revoked after login: the post's own 401 maps the same way."""
    await adapter.post(target(fake), tip_reply(), "d-ok")  # logs in
    fake.inject("POST", MESSAGES, 401, message="401: Unauthorized")
    with pytest.raises(AuthError, match="DISCORD_TOKEN"):
        await adapter.post(target(fake), tip_reply(), "d-401-later")


async def test_a_daily_post_carries_its_delivery_id_in_the_footer(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    await adapter.post(target(fake), tip_reply(), "k8s-3-20261126")
    (body,) = fake.channel_messages
    footer = body["embeds"][-1]["footer"]["text"]
    assert footer.startswith("Hands-On Kubernetes on Azure")
    assert footer.endswith(" · k8s-3-20261126")


async def test_find_posted_finds_the_post_in_history_after_the_nonce_window(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    """Read back later, messages have no nonce; the footer marker identifies the post."""
    posted = await adapter.post(target(fake), tip_reply(), "k8s-3-20261126")
    fake.forget_nonces()
    await adapter.post(target(fake), tip_reply(), "k8s-4-20261126")  # another channel's day
    assert await adapter.find_posted(target(fake), "k8s-3-20261126") == posted
    assert await adapter.find_posted(target(fake), "k8s-3-20261127") is None
    [read, *_] = fake.requests_to("GET", MESSAGES)
    assert read.query["limit"] == "100"


async def test_find_posted_reads_a_second_page(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    posted = await adapter.post(target(fake), tip_reply(), "k8s-5-20261126")
    for i in range(120):  # a busy channel since then
        await adapter.post(target(fake), tip_reply(), f"chatter-{i}")
    assert await adapter.find_posted(target(fake), "k8s-5-20261126") == posted
    assert len(fake.requests_to("GET", MESSAGES)) == 2


async def test_find_posted_with_a_rejected_token_is_an_adapter_outage(fake: FakeDiscord) -> None:
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    a = create_adapter(config, Secrets({"DISCORD_TOKEN": "wrong"}), Router(), Events())
    with pytest.raises(AuthError):
        await a.find_posted(target(fake), "k8s-1-20261126")
    await a.stop()
