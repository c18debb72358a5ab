"""End to end: the real discord.py client against the fake Discord (REST + gateway)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.discord import REMOVED_FROM_GUILD, DiscordAdapter, create_adapter
from bot.adapters.discord.commands import HANDLER_FAILED, NOT_ADMIN, topic_suggester
from bot.config import Secrets, config_from_mapping
from bot.core.replies import Visibility
from bot.ports import Target
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord, FakeGuild
from tests.fakes.discord_router import TOPICS, Events, Router, tip_reply

NO_PINGS: dict[str, list[str]] = {"parse": []}
ADMIN_BIT = str(1 << 5)

MakeAdapter = Callable[..., Awaitable[DiscordAdapter]]


@pytest.fixture
def router() -> Router:
    return Router()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
async def make_adapter(
    fake: FakeDiscord, router: Router, events: Events
) -> AsyncIterator[MakeAdapter]:
    started: list[DiscordAdapter] = []

    async def make(
        *, start: bool = True, defer_after: float = 2.0, **discord_cfg: Any
    ) -> DiscordAdapter:
        config = config_from_mapping({"discord": {"api_url": fake.api_url, **discord_cfg}})
        adapter = create_adapter(
            config,
            Secrets({"DISCORD_TOKEN": fake.token}),
            router,
            events,
            suggest=topic_suggester(TOPICS),
            defer_after=defer_after,
            # READY is followed by every GUILD_CREATE at once here; don't wait 2 s for more.
            client_options={"guild_ready_timeout": 0.01},
        )
        started.append(adapter)
        if start:
            await asyncio.wait_for(adapter.start(), 10)
        return adapter

    yield make
    for adapter in started:
        await adapter.stop()


def message_bodies(fake: FakeDiscord) -> list[dict[str, Any]]:
    """Every message the bot sent: interaction responses, webhook follow-ups, channel posts."""
    bodies = [c["data"] for c in fake.callbacks if c["type"] in (4, 7)]
    bodies += [w["body"] for w in fake.webhook_messages if w["method"] != "DELETE"]
    bodies += fake.channel_messages
    return bodies


def assert_never_pings(fake: FakeDiscord) -> None:
    bodies = message_bodies(fake)
    assert bodies
    for body in bodies:
        assert body.get("allowed_mentions") == NO_PINGS, body


async def test_connects_to_the_gateway_that_the_rest_base_hands_out(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    """With discord.api_url set, the gateway address comes from GET /gateway/bot there."""
    await make_adapter()
    assert fake.requests_to("GET", "/gateway/bot")
    assert len(fake.connections) == 1
    assert fake.connections[0].url.startswith(fake.gateway_url)
    assert fake.identifies[0]["token"] == fake.token
    assert fake.identifies[0]["intents"] == 1  # GUILDS only: no privileged intents
    assert fake.connections[0].heartbeats >= 1  # discord.py beats right after HELLO


async def test_after_an_invalidated_session_it_reconnects_to_the_same_gateway(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    """discord.py falls back to a hard-coded gateway.discord.gg here unless told otherwise."""
    await make_adapter()
    await fake.request_reconnect()
    await fake.wait_for(lambda: len(fake.connections) >= 3)
    resumed, fresh = fake.connections[1], fake.connections[2]
    assert resumed.url.startswith(fake.resume_gateway_url)
    assert fresh.url.startswith(fake.gateway_url)


async def test_a_connected_bot_posts_over_its_own_session(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    g = fake.guilds[0]
    await adapter.post(Target("discord", str(g.id), str(g.channels[0])), tip_reply(), "d1")
    assert len(fake.channel_messages) == 1
    assert len(fake.requests_to("GET", "/users/@me")) == 1  # no second login for REST


async def test_registers_both_command_groups_globally(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    await make_adapter()
    (scope, body), *_ = fake.command_overwrites
    assert scope is None
    by_name = {c["name"]: c for c in body}
    assert set(by_name) == {"k8stip", "k8stip-admin"}
    assert {o["name"] for o in by_name["k8stip"]["options"]} == {
        "tip",
        "search",
        "topics",
        "help",
        "quiz",
        "stats",
        "request",
        "yesterday",
        "history",
        "leaderboard",
        "forget",
        "subscribe-me",
        "unsubscribe-me",
        "snooze",
    }
    admin = by_name["k8stip-admin"]
    assert {o["name"] for o in admin["options"]} == {
        "subscribe",
        "unsubscribe",
        "pause",
        "resume",
        "skip",
        "post-now",
        "status",
        "next",
        "threads",
        "mention",
        "retired",
        "restore",
        "requests",
    }
    assert str(admin["default_member_permissions"]) == ADMIN_BIT
    assert by_name["k8stip"]["default_member_permissions"] is None
    tip = next(o for o in by_name["k8stip"]["options"] if o["name"] == "tip")
    assert tip["options"][0]["name"] == "query"
    assert tip["options"][0]["autocomplete"] is True


async def test_a_restart_does_not_re_register_unchanged_commands(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    first = await make_adapter()
    await first.stop()
    second = await make_adapter()
    assert len(fake.command_overwrites) == 1
    assert len(fake.requests_to("GET", r"/applications/\d+/commands")) == 2
    assert second.client is not None and second.client.synced == []


async def test_changed_commands_are_registered_again(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    first = await make_adapter()
    await first.stop()
    stale = fake.commands[None][0]
    stale["description"] = "an older description"
    await make_adapter()
    assert len(fake.command_overwrites) == 2


async def test_dev_guilds_get_the_commands_and_global_scope_is_left_alone(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    guild_id = fake.guilds[0].id
    await make_adapter(dev_guild_ids=[guild_id])
    assert [scope for scope, _ in fake.command_overwrites] == [guild_id]
    assert None not in fake.commands
    result = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "rbac"}))
    assert result["type"] == 4


async def test_a_failed_registration_does_not_stop_the_bot(
    fake: FakeDiscord, make_adapter: MakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    guild_id = fake.guilds[0].id
    fake.inject("PUT", rf"/applications/\d+/guilds/{guild_id}/commands", 403, code=50001)
    adapter = await make_adapter(dev_guild_ids=[guild_id])
    assert adapter.client is not None and adapter.client.synced == []
    assert "applications.commands" in caplog.text
    result = await fake.interact(fake.button("k8stip:rbac"))
    assert result["type"] == 4


async def test_tip_command_is_answered_with_an_embed_and_buttons(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    result = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "rbac"}))
    assert result["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE, no defer needed
    data = result["data"]
    assert not int(data.get("flags") or 0) & EPHEMERAL  # the router said CHANNEL
    (embed,) = data["embeds"]
    assert embed["title"] == "Kubernetes tip · RBAC"
    assert "kubectl auth can-i" in embed["description"]
    assert embed["footer"]["text"] == (
        "Hands-On Kubernetes on Azure, 2nd ed. · Ch. 10 Securing your AKS cluster"
    )
    assert embed["fields"] == [{"name": "Topics", "value": "RBAC, Security", "inline": False}]
    buttons = data["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == ["k8stip:rbac", "k8stip:more rbac"]
    assert data["allowed_mentions"] == NO_PINGS
    (inv,) = router.calls
    assert (inv.platform, inv.text, inv.is_admin) == ("discord", "rbac", False)
    assert inv.workspace == str(fake.guilds[0].id)
    assert inv.channel == str(fake.guilds[0].channels[0])


async def test_search_topics_and_help_reach_the_router_as_typed_text(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    await fake.interact(fake.slash(["k8stip", "search"], {"query": "secret  rotation"}))
    await fake.interact(fake.slash(["k8stip", "topics"]))
    help_result = await fake.interact(fake.slash(["k8stip", "help"]))
    assert [c.text for c in router.calls] == ["search secret rotation", "topics", "help"]
    assert help_result["data"]["embeds"][0]["title"] == "k8stip help"


async def test_autocomplete_offers_topics_by_prefix_and_alias(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    result = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "sec"}, focused="query"))
    assert result["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = result["data"]["choices"]
    assert choices[0] == {"name": "Secrets", "value": "secrets"}
    assert len(choices) <= 25
    alias = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "hpa"}, focused="query"))
    assert alias["data"]["choices"][0]["value"] == "scaling"
    assert router.calls == []  # autocomplete never runs a command


async def test_subscribe_completes_timezones_days_and_topic_lists(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    await make_adapter()
    path = ["k8stip-admin", "subscribe"]
    tz = await fake.interact(
        fake.slash(path, {"time": "09:00", "timezone": "europe/ams"}, focused="timezone")
    )
    assert tz["data"]["choices"] == [{"name": "Europe/Amsterdam", "value": "Europe/Amsterdam"}]
    days = await fake.interact(fake.slash(path, {"time": "09:00", "days": "week"}, focused="days"))
    assert [c["value"] for c in days["data"]["choices"]] == ["weekdays", "weekends"]
    topics = await fake.interact(
        fake.slash(path, {"time": "09:00", "topics": "rbac sec"}, focused="topics", admin=True)
    )
    assert topics["data"]["choices"][0] == {"name": "rbac Secrets", "value": "rbac secrets"}


async def test_a_button_press_works_after_a_restart(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    first = await make_adapter()
    posted = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "rbac"}))
    more = posted["data"]["components"][0]["components"][1]["custom_id"]
    await first.stop()

    await make_adapter()
    old_message = fake._message(
        fake.guilds[0].channels[0],
        {"embeds": posted["data"]["embeds"], "components": posted["data"]["components"]},
    )
    result = await fake.interact(fake.button(more, message=old_message))
    assert result["type"] == 4
    assert router.calls[-1].text == "more rbac"
    assert result["data"]["embeds"][0]["title"] == "Kubernetes tip · RBAC"


async def test_other_apps_buttons_are_left_alone(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    await fake.dispatch("INTERACTION_CREATE", fake.button("someone-else:vote"))
    # A k8stip press after it is answered; the foreign one never reached the router.
    await fake.interact(fake.button("k8stip:secrets"))
    assert [c.text for c in router.calls] == ["secrets"]


async def test_a_member_cannot_subscribe(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    """default_permissions only hides the command; the run-time check refuses it."""
    await make_adapter()
    result = await fake.interact(
        fake.slash(["k8stip-admin", "subscribe"], {"time": "09:00"}, admin=False)
    )
    assert result["type"] == 4
    assert int(result["data"]["flags"]) & EPHEMERAL
    assert result["data"]["content"] == NOT_ADMIN
    assert router.calls == []


async def test_a_manager_subscribes_with_the_equivalent_text(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    options = {
        "time": "09:00",
        "timezone": "Europe/Amsterdam",
        "days": "weekdays",
        "topics": "rbac, secrets",
    }
    result = await fake.interact(fake.slash(["k8stip-admin", "subscribe"], options, admin=True))
    (inv,) = router.calls
    assert inv.text == "subscribe 09:00 Europe/Amsterdam weekdays rbac secrets"
    assert inv.is_admin
    assert int(result["data"]["flags"]) & EPHEMERAL


async def test_a_configured_admin_needs_no_manage_server(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    user_id = 1_300_000_000_000_000_777
    await make_adapter(admins=[str(user_id)])
    await fake.interact(fake.slash(["k8stip-admin", "pause"], user_id=user_id))
    assert [(c.text, c.is_admin) for c in router.calls] == [("pause", True)]


async def test_echoed_mentions_never_ping_anyone(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    await make_adapter()
    result = await fake.interact(
        fake.slash(["k8stip", "tip"], {"query": "@everyone <@&123456789012345678> **x**"})
    )
    content = result["data"]["content"]
    assert "@everyone" not in content and "@\u200beveryone" in content
    assert "<@&123456789012345678>" not in content
    assert r"\*\*x\*\*" in content
    await fake.interact(fake.slash(["k8stip-admin", "status"], admin=False))
    assert_never_pings(fake)


async def test_a_slow_answer_is_deferred_then_edited_in(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter(defer_after=0.01)
    router.gate = asyncio.Event()
    router.visibility = Visibility.EPHEMERAL
    first = await fake.interact(fake.slash(["k8stip", "tip"], {"query": "rbac"}))
    assert first["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking…"
    assert int(first["data"]["flags"]) & EPHEMERAL
    router.gate.set()
    edit = await fake.wait_for(lambda: [w for w in fake.webhook_messages if w["original"]])
    assert edit[0]["method"] == "PATCH"
    assert edit[0]["body"]["embeds"][0]["title"] == "Kubernetes tip · RBAC"
    assert_never_pings(fake)


async def test_a_slow_public_answer_replaces_the_private_thinking_message(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter(defer_after=0.01)
    router.gate = asyncio.Event()
    await fake.interact(fake.slash(["k8stip", "tip"], {"query": "rbac"}))
    router.gate.set()
    followups = await fake.wait_for(
        lambda: [w for w in fake.webhook_messages if w["method"] == "POST"]
    )
    assert [w["method"] for w in fake.webhook_messages] == ["DELETE", "POST"]
    assert not int(followups[0]["body"].get("flags") or 0) & EPHEMERAL


async def test_a_failing_handler_gets_an_apology_not_silence(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    await make_adapter()
    router.fail = True
    result = await fake.interact(fake.slash(["k8stip", "topics"]))
    assert result["data"]["content"] == HANDLER_FAILED
    assert int(result["data"]["flags"]) & EPHEMERAL


async def test_removal_from_a_server_is_reported(
    fake: FakeDiscord, make_adapter: MakeAdapter, events: Events
) -> None:
    await make_adapter()
    guild_id = fake.guilds[0].id
    await fake.remove_guild(guild_id)
    await asyncio.wait_for(events.changed.wait(), 5)
    assert events.removed == [("discord", str(guild_id), REMOVED_FROM_GUILD)]


async def test_an_outage_is_not_a_removal(
    fake: FakeDiscord, make_adapter: MakeAdapter, events: Events, router: Router
) -> None:
    await make_adapter()
    guild_id = fake.guilds[0].id
    await fake.dispatch("GUILD_DELETE", {"id": str(guild_id), "unavailable": True})
    await fake.interact(fake.button("k8stip:rbac"))  # processed after the GUILD_DELETE
    assert events.removed == []


async def test_a_sharded_process_identifies_as_its_own_shard(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: Router
) -> None:
    # Guild ids chosen so each of two shards owns one: (id >> 22) % 2.
    fake.guilds = [
        FakeGuild(1_300_000_000_000_000_100, "even", [1_300_000_000_000_000_200]),
        FakeGuild(1_300_000_000_004_194_404, "odd", [1_300_000_000_000_000_201]),
    ]
    assert [(g.id >> 22) % 2 for g in fake.guilds] == [0, 1]
    await make_adapter(shard_count=2, shard_ids=[1])
    assert [i["shard"] for i in fake.identifies] == [[1, 2]]
    # Even with a fixed shard count, the gateway address came from the fake.
    assert fake.connections[0].url.startswith(fake.gateway_url)
    await fake.interact(fake.button("k8stip:rbac", guild=fake.guilds[1]))
    assert router.calls[-1].workspace == str(fake.guilds[1].id)


async def test_a_rejected_token_fails_start_with_a_fix(fake: FakeDiscord, router: Router) -> None:
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    adapter = create_adapter(config, Secrets({"DISCORD_TOKEN": "wrong-token"}), router, Events())
    with pytest.raises(Exception, match="DISCORD_TOKEN") as info:
        await asyncio.wait_for(adapter.start(), 10)
    assert "wrong-token" not in str(info.value)
    assert fake.connections == []
