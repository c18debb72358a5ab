"""Thread answers and the one allowed mention on Discord, end to end: the real discord.py
client over the fake Discord (bot/adapters/discord/threads.py, mentions.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter, create_adapter
from bot.adapters.discord.commands import NOT_ADMIN, topic_suggester
from bot.adapters.discord.render import render
from bot.config import Secrets, config_from_mapping
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, TipCard, Visibility
from bot.core.wording import daily_reply
from bot.ports import Target
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord
from tests.fakes.discord_router import TOPICS, Events, Router, tip_reply

THREADS = r"/channels/\d+/messages/\d+/threads"
HOSTILE = TipCard(
    tip_id="hostile-1",
    text="Ping @everyone and @here and <@&999> and <@123> and <!channel>.",
    source="A book",
    chapter="",
    topics=("rbac",),
    topic_titles=("RBAC",),
)

MakeAdapter = Callable[[], Awaitable[DiscordAdapter]]


class ThreadRouter(Router):
    """Answers presses like the router with threads on (in the daily post's thread), and
    records every Invocation."""

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        if inv.text.startswith(("more", "another")):
            return tip_reply("rbac", Visibility.THREAD)
        return Reply(ReplyKind.INFO, f"ok: {inv.text}")


@pytest.fixture
def router() -> ThreadRouter:
    return ThreadRouter()


@pytest.fixture
async def make_adapter(fake: FakeDiscord, router: ThreadRouter) -> AsyncIterator[MakeAdapter]:
    started: list[DiscordAdapter] = []

    async def make() -> DiscordAdapter:
        config = config_from_mapping({"discord": {"api_url": fake.api_url}})
        adapter = create_adapter(
            config,
            Secrets({"DISCORD_TOKEN": fake.token}),
            router,
            Events(),
            suggest=topic_suggester(TOPICS),
            client_options={"guild_ready_timeout": 0.01},
        )
        started.append(adapter)
        await asyncio.wait_for(adapter.start(), 10)
        return adapter

    yield make
    for adapter in started:
        await adapter.stop()


def target(fake: FakeDiscord) -> Target:
    g = fake.guilds[0]
    return Target("discord", str(g.id), str(g.channels[0]))


async def daily_post(fake: FakeDiscord, adapter: DiscordAdapter) -> dict[str, Any]:
    """A daily post in the channel, as the message a member presses on."""
    message_id = await adapter.post(target(fake), daily_reply(HOSTILE), "delivery-1")
    return next(m for m in fake._history[fake.guilds[0].channels[0]] if m["id"] == message_id)


def private(body: dict[str, Any]) -> bool:
    return bool(int(body.get("flags") or 0) & EPHEMERAL)


async def test_a_daily_post_allows_exactly_its_role_whatever_the_tip_says(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    post = replace(daily_reply(HOSTILE), mention="role:777")
    await adapter.post(target(fake), post, "delivery-2")
    [sent] = fake.channel_messages
    assert sent["content"].startswith("<@&777>")
    # Only that role: no @everyone/@here ("parse" empty), no member, no other role.
    assert sent["allowed_mentions"] == {"parse": [], "roles": [777]}
    # The tip text is in the embed (embeds never ping), @everyone broken there too; the
    # content, the only text that can ping, is the mention alone.
    assert sent["content"] == "<@&777>"
    assert "@\u200beveryone" in sent["embeds"][0]["description"]


async def test_a_member_mention_allows_only_that_member(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    await adapter.post(target(fake), replace(daily_reply(HOSTILE), mention="user:42"), "d-3")
    [sent] = fake.channel_messages
    assert sent["content"].startswith("<@42>")
    assert sent["allowed_mentions"] == {"parse": [], "users": [42]}


def test_a_daily_post_without_a_mention_or_with_a_slack_group_pings_nobody() -> None:
    for mention in ("", "group:S0123ABC", "role:<@&1>", "role:"):
        message = render(replace(daily_reply(HOSTILE), mention=mention)).to_json()
        assert message["allowed_mentions"] == {"parse": []}
        assert "<@&" not in (message["content"] or "")


async def test_a_press_on_a_daily_post_opens_a_thread_on_it_and_answers_there(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: ThreadRouter
) -> None:
    adapter = await make_adapter()
    post = await daily_post(fake, adapter)
    result = await fake.interact(fake.button("k8stip:more rbac", message=post))
    assert result["type"] == 6  # acknowledged, nothing shown to the presser alone
    assert router.calls[-1].message_ref == post["id"]
    answer = await fake.wait_for(lambda: fake.channel_messages[1:])
    assert fake.threads == {int(post["id"]): int(post["channel_id"])}
    assert answer[0]["channel_id"] == int(post["id"])  # the thread's id is the message's
    assert answer[0]["allowed_mentions"] == {"parse": []}
    assert not private(answer[0])
    # A second press: the thread exists (Discord says 160004), so the answer goes into it.
    await fake.interact(fake.button("k8stip:another", message=post))
    await fake.wait_for(lambda: len(fake.channel_messages) == 3)
    assert fake.channel_messages[2]["channel_id"] == int(post["id"])
    assert len(fake.requests_to("POST", THREADS)) == 2 and len(fake.threads) == 1
    assert fake.webhook_messages == []


@pytest.mark.parametrize("code", [50013, 50001])
async def test_without_thread_permission_the_answer_replies_to_the_post(
    fake: FakeDiscord, make_adapter: MakeAdapter, code: int
) -> None:
    adapter = await make_adapter()
    post = await daily_post(fake, adapter)
    fake.inject("POST", THREADS, 403, code=code, message="Missing Permissions")
    await fake.interact(fake.button("k8stip:more rbac", message=post))
    answer = await fake.wait_for(lambda: fake.channel_messages[1:])
    assert answer[0]["channel_id"] == int(post["channel_id"])
    assert answer[0]["message_reference"]["message_id"] in (post["id"], int(post["id"]))
    assert answer[0]["allowed_mentions"] == {"parse": []}  # replying pings nobody either
    assert fake.threads == {}


async def test_when_neither_thread_nor_reply_works_the_presser_gets_it_privately(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    post = await daily_post(fake, adapter)
    fake.inject("POST", THREADS, 403, code=50013)
    fake.inject("POST", r"/channels/\d+/messages", 403, code=50013)
    await fake.interact(fake.button("k8stip:more rbac", message=post))
    [followup] = await fake.wait_for(lambda: fake.webhook_messages)
    assert followup["method"] == "POST" and private(followup["body"])
    assert len(fake.channel_messages) == 1  # only the daily post


async def test_the_mention_command_takes_a_role_option_as_its_mention(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: ThreadRouter
) -> None:
    await make_adapter()
    payload = fake.slash(["k8stip-admin", "mention"], roles={"role": 777}, admin=True)
    result = await fake.interact(payload)
    assert router.calls[-1].text == "mention <@&777>"
    assert result["type"] == 4 and result["data"]["allowed_mentions"] == {"parse": []}
    off = await fake.interact(fake.slash(["k8stip-admin", "mention"], {"off": "off"}, admin=True))
    assert router.calls[-1].text == "mention off" and off["type"] == 4


async def test_members_cannot_set_the_mention_or_threads(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: ThreadRouter
) -> None:
    await make_adapter()
    for payload in (
        fake.slash(["k8stip-admin", "mention"], roles={"role": 777}),
        fake.slash(["k8stip-admin", "threads"], {"setting": "on"}),
    ):
        result = await fake.interact(payload)
        assert result["data"]["content"] == NOT_ADMIN and private(result["data"])
    assert router.calls == []
