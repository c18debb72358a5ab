"""The command router (bot/commands.py): one Invocation in, one neutral Reply out."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import config_from_mapping
from bot.core.commands import COMMANDS
from bot.core.commands import COMMANDS as SYNTAX
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import ReplyKind, Visibility
from bot.runtime.router import Router, bind
from bot.runtime.store import Store
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam


@pytest.fixture
def router(engine: Engine, store: Store) -> Router:
    config = config_from_mapping(
        {"timezone": "Europe/Amsterdam", "rate_limit": {"commands_per_minute": 1000}}
    )
    return Router(engine, store, config, FakeClock(NOW), random.Random(7))


def inv(text: str, admin: bool = True, channel: str = "C1", user: str = "U1") -> Invocation:
    return Invocation("slack", "T1", channel, user, text, admin, "Ada")


async def test_every_command_has_help_text(router: Router) -> None:
    """Every command in the table has its syntax and a summary, and `help` lists each user
    command."""
    for name, command in router.commands.items():
        assert SYNTAX[command.name].word == name, name  # keyed by what is typed
        assert len(command.summary) > 10, name
    reply = await router.handle(inv("help"))
    assert reply.kind is ReplyKind.HELP
    for name in (
        "search",
        "topics",
        "subscribe",
        "unsubscribe",
        "pause",
        "resume",
        "status",
        "next",
        "quiz",
        "stats",
        "leaderboard",
        "forget",
        "retired",
        "restore",
    ):
        assert any(line.startswith(f"/k8stip {name}") for line in reply.lines), name
    assert (
        "/k8stip forget me — Delete your votes, quiz answers and requests everywhere."
        in reply.lines
    )
    assert not any(line.startswith(("/k8stip vote", "/k8stip quiz-answer")) for line in reply.lines)
    one = await router.handle(inv("help subscribe"))
    assert one.text.startswith("/k8stip subscribe [HH:MM]")


async def test_no_words_gives_a_tip_from_the_channel_rotation_and_records_it(
    router: Router, store: Store
) -> None:
    shown = []
    for _ in range(5):
        reply = await router.handle(inv(""))
        assert reply.kind is ReplyKind.TIP and reply.visibility is Visibility.EPHEMERAL
        shown.append(reply.cards[0].tip_id)
    assert len(set(shown)) == 5
    assert store.channel_history("slack", "T1", "C1") == shown


async def test_a_topic_gives_a_tip_on_that_topic_with_buttons(router: Router) -> None:
    """A topic gives a tip on it with Another, Share and More buttons, each button's command at most
    100 characters."""
    reply = await router.handle(inv("secrets"))
    card = reply.cards[0]
    assert "secrets" in card.topics
    commands = [a.command for a in reply.actions]
    assert commands[0] == "another secrets"
    assert f"share {card.tip_id}" in commands
    assert any(c.startswith("more ") for c in commands)
    assert all(len(c) <= 100 for c in commands)


async def test_buttons_route_like_commands(router: Router) -> None:
    """A button's command answers as if typed: Another gives a new tip on the topic, Share posts the
    same tip to the channel, credited to the sharer."""
    first = await router.handle(inv("secrets"))
    again = await router.handle(inv(first.actions[0].command))
    assert "secrets" in again.cards[0].topics
    assert again.cards[0].tip_id != first.cards[0].tip_id
    share = await router.handle(inv(f"share {first.cards[0].tip_id}"))
    assert share.visibility is Visibility.CHANNEL
    assert share.cards[0].tip_id == first.cards[0].tip_id
    assert "Shared by Ada" in share.lines


async def test_unknown_words_are_a_search_not_an_error(router: Router) -> None:
    reply = await router.handle(inv("how do I rotate secrets in key vault"))
    assert reply.kind is ReplyKind.TIP
    nothing = await router.handle(inv("zzzqqq xyzzy"))
    assert nothing.kind is ReplyKind.INFO and "No tip answers" in nothing.text


async def test_search_and_topics(router: Router) -> None:
    """`search` answers with up to five scored tips, or an example when the query is empty, and
    `topics` lists the topics."""
    res = await router.handle(inv("search pod health probes"))
    assert res.kind is ReplyKind.SEARCH and 1 <= len(res.cards) <= 5
    assert res.cards[0].score is not None
    empty = await router.handle(inv("search"))
    assert empty.kind is ReplyKind.ERROR and empty.lines[0].startswith("Example: /k8stip search")
    topics = await router.handle(inv("topics"))
    assert topics.kind is ReplyKind.TOPICS
    assert any(line.startswith("secrets — ") for line in topics.lines)


async def test_subscribe_confirms_the_next_post_in_the_channel_timezone(
    router: Router, store: Store
) -> None:
    reply = await router.handle(inv("subscribe 09:00 Europe/Amsterdam weekdays security"))
    assert reply.kind is ReplyKind.INFO, reply.text
    # Friday 11:00 now, weekdays at 09:00: next is Monday.
    assert "Next: Mon 30 Mar 09:00 CEST" in reply.text
    sub = store.get_subscription("slack", "T1", "C1")
    assert sub is not None and sub.topics == ("security",) and sub.days == (1, 2, 3, 4, 5)
    assert sub.created_by == "U1" and sub.origin == "chat"


async def test_subscribe_uses_config_defaults(router: Router, store: Store) -> None:
    """A bare `subscribe` takes the configured defaults, and subscribing again changes the channel's
    subscription."""
    reply = await router.handle(inv("subscribe"))
    assert "every weekday at 09:00 Europe/Amsterdam" in reply.text
    later = await router.handle(inv("subscribe 7:30 mon,wed,fri"))
    assert "Changed" in later.text and "on mon,wed,fri at 07:30" in later.text


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ("25:00", "not a time of day"),
        ("Mars/Olympus", "not a known timezone"),
        ("09:00 underwaterbasketweaving", "not a time, timezone, day or topic"),
    ],
)
async def test_bad_subscribe_arguments_get_one_line_and_an_example(
    router: Router, args: str, fragment: str
) -> None:
    reply = await router.handle(inv(f"subscribe {args}"))
    assert reply.kind is ReplyKind.ERROR
    assert fragment in reply.text and "\n" not in reply.text
    assert reply.lines == ("Example: /k8stip subscribe 09:00 Europe/Amsterdam weekdays security",)


async def test_admin_commands_refuse_non_admins(router: Router, store: Store) -> None:
    for text in ("subscribe", "unsubscribe", "pause", "resume", "next"):
        reply = await router.handle(inv(text, admin=False))
        assert reply.kind is ReplyKind.ERROR and reply.text.startswith("Only workspace admins")
    assert store.list_subscriptions() == []


async def test_pause_resume_status_unsubscribe(router: Router, store: Store) -> None:
    """Each of `pause`, `resume` and `unsubscribe` confirms its change, and `status`, for anyone,
    shows who paused the channel or when the next tip posts."""
    assert "no daily tip" in (await router.handle(inv("status"))).text
    await router.handle(inv("subscribe 09:00 daily"))
    paused = await router.handle(inv("pause"))
    assert paused.text.startswith("Paused")
    status = await router.handle(inv("status", admin=False))
    assert any(line.startswith("Paused: paused by Ada") for line in status.lines)
    resumed = await router.handle(inv("resume"))
    assert "Next tip: Sat 28 Mar 09:00 CET" in resumed.text
    status = await router.handle(inv("status"))
    assert "Next post: Sat 28 Mar 09:00 CET" in status.lines
    gone = await router.handle(inv("unsubscribe"))
    assert gone.text.startswith("Unsubscribed")
    assert store.list_subscriptions() == []


async def test_next_previews_the_tip_the_daily_post_will_choose(
    router: Router, store: Store
) -> None:
    await router.handle(inv("subscribe 09:00 daily secrets"))
    preview = await router.handle(inv("next"))
    assert preview.visibility is Visibility.EPHEMERAL
    assert "posts Sat 28 Mar 09:00 CET" in preview.text
    assert "secrets" in preview.cards[0].topics


async def test_a_permanent_pause_is_told_to_admins_on_their_next_command(
    router: Router, store: Store
) -> None:
    """A subscription paused by a platform error is reported at the end of an admin's next reply,
    and not to members."""
    await router.handle(inv("subscribe"))
    sub = store.get_subscription("slack", "T1", "C1")
    assert sub is not None
    store.set_paused(sub.id, True, "channel_not_found", NOW)
    reply = await router.handle(inv("topics"))
    assert reply.lines[-1].startswith("Daily tips here are paused: channel_not_found")
    member = await router.handle(inv("topics", admin=False))
    assert not any("paused" in line for line in member.lines)


async def test_config_subscriptions_are_changed_in_the_config(router: Router, store: Store) -> None:
    """Subscribing over a subscription from the config file is refused with a pointer to the config
    file."""
    from bot.runtime.store import SubscriptionSpec

    store.sync_config_subscriptions(
        [SubscriptionSpec("slack", "T1", "C1", "09:00", "UTC", (1, 2, 3, 4, 5))], NOW
    )
    reply = await router.handle(inv("subscribe 10:00"))
    assert reply.kind is ReplyKind.ERROR and "config file" in reply.text


async def test_per_user_rate_limit_answers_politely(engine: Engine, store: Store) -> None:
    """Past the per-minute limit a user is told when to try again, while other users, and the same
    user a minute later, are answered."""
    config = config_from_mapping({"rate_limit": {"commands_per_minute": 3}})
    clock = FakeClock(NOW)
    router = Router(engine, store, config, clock, random.Random(1))
    for _ in range(3):
        assert (await router.handle(inv("topics"))).kind is ReplyKind.TOPICS
    limited = await router.handle(inv("topics"))
    assert limited.kind is ReplyKind.INFO and "Try again in" in limited.text
    other = await router.handle(inv("topics", user="U2"))
    assert other.kind is ReplyKind.TOPICS
    clock.advance(61)
    assert (await router.handle(inv("topics"))).kind is ReplyKind.TOPICS


async def test_raw_text_stays_raw_for_adapters_to_neutralise(router: Router) -> None:
    """Replies quote user text as typed (`<!channel>`, `@everyone`); neutralising mentions is each
    adapter's job."""
    reply = await router.handle(inv("subscribe <!channel> @everyone"))
    assert reply.kind is ReplyKind.ERROR
    assert "'<!channel>', '@everyone'" in reply.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
async def test_property_any_text_gets_a_reply(router: Router, text: str) -> None:
    """Any text at all gets a reply with text, never an exception."""
    reply = await router.handle(inv(text))
    assert reply.text
    assert reply.kind in set(ReplyKind)


# How each platform types the same requests (docs/discord.md, bot/adapters/discord_commands.py).
PLATFORM_SYNTAX = {
    "slack": {
        "help": "/k8stip subscribe [HH:MM]",
        "subscribe": "/k8stip subscribe 09:00 Europe/Amsterdam weekdays",
        "start": "/k8stip subscribe 09:00",
        "search": "/k8stip search rotate",
        "status": "/k8stip status",
        "resume": "/k8stip resume",
        "admins": "Only workspace admins can",
    },
    "console": {
        "help": "/k8stip subscribe [HH:MM]",
        "subscribe": "/k8stip subscribe 09:00 Europe/Amsterdam weekdays",
        "start": "/k8stip subscribe 09:00",
        "search": "/k8stip search rotate",
        "status": "/k8stip status",
        "resume": "/k8stip resume",
        "admins": "Only admins can",
    },
    "discord": {
        "help": "/k8stip-admin subscribe time:HH:MM [timezone:",
        "subscribe": "/k8stip-admin subscribe time:09:00 timezone:Europe/Amsterdam days:weekdays",
        "start": "/k8stip-admin subscribe time:09:00",
        "search": "/k8stip search query:rotate",
        "status": "/k8stip-admin status",
        "resume": "/k8stip-admin resume",
        "admins": "Only members with Manage Server can",
    },
}
OTHER_PLATFORMS_ONLY = {
    "slack": ("/k8stip-admin", "query:", "time:"),
    "console": ("/k8stip-admin", "query:", "time:", "workspace admins"),
    "discord": ("/k8stip subscribe", "/k8stip status", "/k8stip resume", "workspace admins"),
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_SYNTAX))
async def test_hints_use_the_asking_platforms_syntax_and_no_markdown(
    engine: Engine, store: Store, platform: str
) -> None:
    config = config_from_mapping({"rate_limit": {"commands_per_minute": 1000}})
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    want = PLATFORM_SYNTAX[platform]

    async def ask(text: str, admin: bool = True) -> str:
        reply = await router.handle(Invocation(platform, "T1", "C1", "U1", text, admin, "Ada"))
        return "\n".join((reply.text, *reply.lines))

    said = {
        "help": await ask("help") + "\n" + await ask("help subscribe"),
        "not subscribed": await ask("status"),
        "refusal": await ask("subscribe", admin=False),
        "bad subscribe": await ask("subscribe 25:00"),
        "empty search": await ask("search"),
        "typo": await ask("subscrib"),
        "topics": await ask("topics"),
        "no more topic": await ask("more"),
    }
    await ask("subscribe 09:00 daily")
    sub = store.get_subscription(platform, "T1", "C1")
    assert sub is not None
    said["pause"] = await ask("pause")
    store.set_paused(sub.id, True, "channel_not_found", NOW)
    said["paused notice"] = await ask("topics")
    said["unsubscribe"] = await ask("unsubscribe")

    assert want["help"] in said["help"]
    assert want["subscribe"] in said["bad subscribe"]
    assert want["start"] in said["not subscribed"]
    assert want["search"] in said["empty search"]
    assert want["admins"] in said["refusal"]
    assert want["resume"] in said["pause"] and want["resume"] in said["paused notice"]
    assert want["start"].rpartition(" ")[0] in said["typo"]
    assert want["start"].rpartition(" ")[0] in said["unsubscribe"]
    if platform != "discord":  # Discord hides the admin group from those it refuses
        assert want["status"] in said["refusal"]
    for what, text in said.items():
        assert "`" not in text, (what, text)
        for foreign in OTHER_PLATFORMS_ONLY[platform]:
            # a whole command: "/k8stip subscribe" is not "/k8stip subscribe-me"
            assert not re.search(re.escape(foreign) + r"(?![\w-])", text), (what, foreign, text)


async def test_hints_use_the_configured_slack_command(engine: Engine, store: Store) -> None:
    """With `slack.command` set to `/tips`, Slack examples and help use `/tips`."""
    config = config_from_mapping({"slack": {"command": "/tips"}})
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    reply = await router.handle(Invocation("slack", "T1", "C1", "U1", "search", True))
    assert reply.lines == ("Example: /tips search rotate secrets without downtime",)
    help_ = await router.handle(Invocation("slack", "T1", "C1", "U1", "help", True))
    assert all(line.startswith("/tips ") for line in help_.lines)


async def test_a_topic_request_in_chat_draws_from_the_same_tips_as_k8stip_tip(
    router: Router, engine: Engine
) -> None:
    """`/k8stip secrets` answers with a tip mainly about secrets (the pool `k8stip tip secrets`
    draws from), and repeated requests in a channel walk through that pool without repeats."""
    pool = {h.tip.id for h in engine.best("secrets")[0]}
    assert len(pool) >= 3
    shown = []
    for _ in range(len(pool)):
        reply = await router.handle(inv("secrets", admin=False, channel="C-topic"))
        assert reply.kind is ReplyKind.TIP
        shown.append(reply.cards[0].tip_id)
    assert set(shown) == pool
    assert all(engine.corpus.by_id[t].topics[0] == "secrets" for t in shown)


async def test_the_tables_admin_flag_decides_who_is_refused(router: Router) -> None:
    """Non-admins are refused exactly the commands the table marks admin, in its own words."""
    for spec in COMMANDS.values():
        if not spec.word:
            continue
        reply = await router.handle(inv(f"{spec.word} x", admin=False))
        refused = reply.text.startswith("Only workspace admins can ")
        assert refused == spec.admin, spec.name
        if refused:
            assert reply.text.startswith(f"Only workspace admins can {spec.summary.lower()}.")


def test_a_table_command_without_a_handler_is_an_error_at_start() -> None:
    handlers = dict.fromkeys(("help", "search", "topics"), Router.cmd_topics)
    with pytest.raises(ValueError, match="'subscribe'"):
        bind(handlers)  # type: ignore[arg-type]  # unbound methods stand in for handlers
