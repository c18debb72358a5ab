"""Issue 12 on Discord, end to end: vote and quiz presses over the fake Discord (REST and
gateway) with the real discord.py client, and daily posts that carry the new cards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter, create_adapter, delivery_nonce
from bot.adapters.discord.commands import topic_suggester
from bot.config import Secrets, config_from_mapping
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind, Visibility, tally_line
from bot.ports import Target
from tests.adapters.discord.test_learning_render import quiz, quiz_reply, voted_tip
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord
from tests.fakes.discord_router import TOPICS, Events, Router

PRESSER = 1_300_000_000_000_000_777
CALLBACK = r"/interactions/\d+/[^/]+/callback"

MakeAdapter = Callable[..., Awaitable[DiscordAdapter]]


class LearningRouter(Router):
    """The stub router, answering votes and quiz answers as the real one will: privately,
    and for a quiz answer with the card's new tally as `source_update`. It says CHANNEL for
    a vote on purpose: the adapter must keep a vote private whatever the reply says."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = 0

    async def __call__(self, inv: Invocation) -> Reply:
        words = inv.text.split()
        if words[:1] == ["vote"]:
            self.calls.append(inv)
            return Reply(ReplyKind.INFO, f"Noted: {words[1]}", visibility=Visibility.CHANNEL)
        if words[:1] == ["quiz-answer"]:
            self.calls.append(inv)
            if self.gate is not None:
                await self.gate.wait()
            self.answered += 1
            update = quiz_reply(quiz(tally=tally_line(self.answered, self.answered)))
            return Reply(
                ReplyKind.INFO,
                "Right: RoleBinding.",
                visibility=Visibility.EPHEMERAL,
                source_update=update,
            )
        return await super().__call__(inv)


@pytest.fixture
def router() -> LearningRouter:
    return LearningRouter()


@pytest.fixture
async def make_adapter(fake: FakeDiscord, router: LearningRouter) -> AsyncIterator[MakeAdapter]:
    started: list[DiscordAdapter] = []

    async def make(*, defer_after: float = 2.0) -> DiscordAdapter:
        config = config_from_mapping({"discord": {"api_url": fake.api_url}})
        adapter = create_adapter(
            config,
            Secrets({"DISCORD_TOKEN": fake.token}),
            router,
            Events(),
            suggest=topic_suggester(TOPICS),
            defer_after=defer_after,
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


async def posted_quiz(fake: FakeDiscord, adapter: DiscordAdapter) -> dict[str, Any]:
    """A daily quiz, posted over REST, as the channel's message a member presses on."""
    await adapter.post(target(fake), quiz_reply(), "delivery-q1")
    body = fake.channel_messages[-1]
    return fake._message(body["channel_id"], body)


def private(body: dict[str, Any]) -> bool:
    return bool(int(body.get("flags") or 0) & EPHEMERAL)


async def test_a_vote_reaches_the_router_from_the_presser_and_is_answered_privately(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: LearningRouter
) -> None:
    await make_adapter()
    result = await fake.interact(fake.button("k8stip:vote useful hoka-rbac-1", user_id=PRESSER))
    (inv,) = router.calls
    assert (inv.text, inv.user, inv.platform) == (
        "vote useful hoka-rbac-1",
        str(PRESSER),
        "discord",
    )
    assert inv.channel == str(fake.guilds[0].channels[0])
    assert inv.message_ref.isdigit()  # the message the button was on
    assert result["type"] == 4 and private(result["data"])
    assert result["data"]["content"] == "Noted: useful"
    assert fake.channel_messages == [] and fake.webhook_messages == []  # nothing public


async def test_a_quiz_answer_edits_the_tally_in_place_and_answers_privately(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: LearningRouter
) -> None:
    adapter = await make_adapter()
    message = await posted_quiz(fake, adapter)
    result = await fake.interact(
        fake.button("k8stip:quiz-answer q-hoka-rbac-1 0", message=message, user_id=PRESSER)
    )
    assert router.calls[-1].text == "quiz-answer q-hoka-rbac-1 0"
    assert router.calls[-1].message_ref == message["id"]  # the quiz's posting, by message
    assert result["type"] == 7  # UPDATE_MESSAGE: the button's message, edited for everyone
    (embed,) = result["data"]["embeds"]
    assert embed["fields"][0]["value"] == "1 answered · 1 right"
    # Still the daily post: its delivery marker stays on the edited footer.
    assert embed["footer"]["text"].endswith(" · delivery-q1")
    assert len(result["data"]["components"][0]["components"]) == 4
    assert result["data"]["allowed_mentions"] == {"parse": []}
    followup = await fake.wait_for(lambda: fake.webhook_messages)
    assert [(w["method"], w["original"]) for w in followup] == [("POST", False)]
    assert private(followup[0]["body"])
    assert followup[0]["body"]["content"] == "Right: RoleBinding."
    assert len(fake.channel_messages) == 1  # only the daily post itself


async def test_a_slow_quiz_answer_is_acknowledged_then_edits_the_message_and_follows_up(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: LearningRouter
) -> None:
    adapter = await make_adapter(defer_after=0.01)
    message = await posted_quiz(fake, adapter)
    router.gate = asyncio.Event()
    first = await fake.interact(fake.button("k8stip:quiz-answer q-hoka-rbac-1 2", message=message))
    assert first["type"] == 6  # DEFERRED_UPDATE_MESSAGE: acknowledged, nothing shown
    router.gate.set()
    sent = await fake.wait_for(lambda: len(fake.webhook_messages) >= 2 and fake.webhook_messages)
    edit, followup = sent
    assert (edit["method"], edit["original"]) == ("PATCH", True)
    assert edit["body"]["embeds"][0]["fields"][0]["value"] == "1 answered · 1 right"
    assert (followup["method"], followup["original"]) == ("POST", False)
    assert private(followup["body"])


async def test_a_failed_edit_is_logged_once_and_the_answer_still_arrives(
    fake: FakeDiscord,
    make_adapter: MakeAdapter,
    router: LearningRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = await make_adapter()
    message = await posted_quiz(fake, adapter)
    fake.inject("POST", CALLBACK, 400, code=50035, message="Invalid Form Body")
    caplog.set_level(logging.WARNING, logger="bot.adapters.discord")
    payload = fake.button("k8stip:quiz-answer q-hoka-rbac-1 1", message=message)
    await fake.dispatch("INTERACTION_CREATE", payload)
    answered = await fake.wait_for(lambda: fake.callbacks_for(int(payload["id"])))
    (answer,) = answered  # the refused edit was not recorded as a callback
    assert answer["type"] == 4 and private(answer["data"])
    assert answer["data"]["content"] == "Right: RoleBinding."
    ours = [r for r in caplog.records if r.name.startswith("bot.adapters.discord")]
    assert len(ours) == 1 and "could not update the message" in ours[0].getMessage()


@pytest.mark.parametrize(
    "custom_id",
    [
        "k8stip:" + "vote useful " + "x" * 90,  # over Discord's 100 characters
        "other-app:vote useful hoka-rbac-1",
        "k8stip:vote useful \x07hoka",
        "k8stip:",
    ],
)
async def test_a_malformed_custom_id_is_ignored_quietly(
    fake: FakeDiscord,
    make_adapter: MakeAdapter,
    router: LearningRouter,
    caplog: pytest.LogCaptureFixture,
    custom_id: str,
) -> None:
    await make_adapter()
    caplog.set_level(logging.DEBUG, logger="bot.adapters.discord")
    caplog.clear()
    bad = fake.button(custom_id)
    await fake.dispatch("INTERACTION_CREATE", bad)
    # A good press after it is answered; the bad one reached nothing and said nothing.
    await fake.interact(fake.button("k8stip:vote knew_it hoka-rbac-1"))
    assert [c.text for c in router.calls] == ["vote knew_it hoka-rbac-1"]
    assert fake.callbacks_for(int(bad["id"])) == []
    assert [r for r in caplog.records if r.name.startswith("bot.adapters.discord")] == []


async def test_a_daily_post_carries_the_vote_buttons_and_its_nonce(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    await adapter.post(target(fake), voted_tip(), "delivery-t1")
    (body,) = fake.channel_messages
    assert body["nonce"] == delivery_nonce("delivery-t1") and body["enforce_nonce"] is True
    assert body["embeds"][0]["footer"]["text"].endswith(" · delivery-t1")
    labels = [[b["label"] for b in row["components"]] for row in body["components"]]
    assert labels[1] == ["👍 Useful", "👎 Not useful", "✅ Knew it"]


async def test_a_quiz_mode_post_is_a_quiz_card_with_its_nonce(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    message = await posted_quiz(fake, adapter)
    (body,) = fake.channel_messages
    assert body["nonce"] == delivery_nonce("delivery-q1")
    (embed,) = message["embeds"]
    assert embed["title"] == "Kubernetes quiz"
    assert embed["footer"]["text"].endswith(" · delivery-q1")
    assert [b["label"] for b in body["components"][0]["components"]] == [
        "RoleBinding",
        "ConfigMap",
        "Ingress",
        "PodDisruption",
    ]
    # Read back from channel history (no nonce there), the footer marker finds it.
    (posted,) = fake._history[fake.guilds[0].channels[0]]
    assert await adapter.find_posted(target(fake), "delivery-q1") == posted["id"]


async def test_a_public_press_without_an_update_still_posts_as_before(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: LearningRouter
) -> None:
    """Another / More / Share keep their visibility: only votes and quiz answers are forced
    private."""
    await make_adapter()
    result = await fake.interact(fake.button("k8stip:more rbac"))
    assert result["type"] == 4 and not private(result["data"])
    assert router.calls[-1].text == "more rbac"
