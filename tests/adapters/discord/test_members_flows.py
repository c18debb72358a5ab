"""Issue 13 end to end on Discord: suggest → review (Edit modal, Approve) → the author's
direct message → the tip is searchable; a second approval is told it was decided; two
replicas on one PostgreSQL approving at once: exactly one wins. Everything is real but
Discord (tests/fakes/discord_api.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.core.engine import Engine
from bot.runtime.store import Store
from tests.adapters.discord.members_support import (
    MEMBER,
    MODERATOR,
    NOW,
    REVIEW_CHANNEL,
    SECOND_MODERATOR,
    Stack,
    answer,
    buttons,
    content,
    message_text,
    private,
    start_stack,
    text_inputs,
)
from tests.fakes.clock import FakeClock
from tests.fakes.discord_api import FakeDiscord, FakeGuild

GUILD = 1_300_000_000_000_000_100
CHANNEL = 1_300_000_000_000_000_200
TIP = (
    "Use kubectl rollout undo deployment/web to go back to the previous ReplicaSet of a Deployment"
)
EDITED = (
    "Run kubectl rollout undo deployment/web --to-revision=2 to return a Deployment to revision 2"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    f = FakeDiscord(guilds=[FakeGuild(GUILD, "K8s learners", [CHANNEL, REVIEW_CHANNEL])])
    await f.start()
    yield f
    await f.close()


@pytest.fixture
async def stack(fake: FakeDiscord, engine: Engine, store: Store) -> AsyncIterator[Stack]:
    s = await start_stack(fake, engine, store, FakeClock(NOW))
    yield s
    await s.adapter.stop()


async def test_suggest_review_edit_approve_dm_and_search(fake: FakeDiscord, stack: Stack) -> None:
    suggested = await answer(
        fake,
        fake.slash(["k8stip", "suggest"], {"text": TIP, "topics": "deployments"}, user_id=MEMBER),
    )
    assert private(suggested["data"]), suggested
    assert "#1" in content(suggested)
    # The review notice in discord.review_channel, with its buttons.
    [notice] = await fake.wait_for(
        lambda: [m for m in fake.channel_messages if m["channel_id"] == REVIEW_CHANNEL]
    )
    assert "#1" in message_text(notice)
    assert set(buttons(notice)) == {"Approve #1", "Edit #1", "Reject #1"}
    assert notice["allowed_mentions"]["parse"] == []

    listed = await answer(
        fake, fake.slash(["k8stip-admin", "review"], admin=True, user_id=MODERATOR)
    )
    assert private(listed["data"])
    assert "1 suggested tip waits for review" in content(listed)
    ids = buttons(listed["data"])
    assert set(ids) == {"Approve #1", "Edit #1", "Reject #1"}

    # Edit: a modal with the text and topics, filled in.
    modal = await fake.interact(fake.button(ids["Edit #1"], admin=True, user_id=MODERATOR))
    assert modal["type"] == 9, modal
    text, topics = text_inputs(modal["data"])
    assert text["value"] == TIP and topics["value"] == "deployments"
    saved = await answer(
        fake,
        fake.modal_submit(
            modal["data"]["custom_id"],
            {text["custom_id"]: EDITED, topics["custom_id"]: "deployments"},
            user_id=MODERATOR,
            admin=True,
        ),
    )
    assert "Saved #1" in content(saved), saved
    pending = stack.store.suggestion(1)
    assert pending is not None and pending.text == EDITED

    approved = await answer(fake, fake.button(ids["Approve #1"], admin=True, user_id=MODERATOR))
    assert "Approved #1" in content(approved), approved
    assert "told by direct message" in content(approved)
    # The author's direct message: the DM channel opened, the message posted there.
    opened = fake.requests_to("POST", r"/users/@me/channels")
    assert [int(r.json["recipient_id"]) for r in opened] == [MEMBER]
    dm = fake.dm_channels[MEMBER]
    [told] = [m for m in fake.channel_messages if m["channel_id"] == dm]
    assert "approved" in message_text(told)

    found = await answer(fake, fake.slash(["k8stip", "search"], {"query": "revision 2 rollout"}))
    assert "--to-revision=2" in content(found), found

    again = await answer(fake, fake.button(ids["Approve #1"], admin=True, user_id=SECOND_MODERATOR))
    assert "already approved" in content(again), again
    assert len([m for m in fake.channel_messages if m["channel_id"] == dm]) == 1


@pytest.fixture
def pg_url() -> Iterator[str]:
    from tests.fakes.databases import pg_schema_url

    with pg_schema_url() as url:
        yield url


@pytest.mark.postgres
async def test_two_replicas_approving_at_once_one_wins(engine: Engine, pg_url: str) -> None:
    """Two processes on one PostgreSQL, each its own shard (discord.py's REST base is one per
    process, so both talk to one fake Discord), router and store; two moderators, one in each
    replica's server, press Approve on the same suggestion at the same moment."""
    other = FakeGuild(1_300_000_000_004_194_404, "Ops", [1_300_000_000_000_000_201])
    fake = FakeDiscord(guilds=[FakeGuild(GUILD, "K8s", [CHANNEL, REVIEW_CHANNEL]), other])
    assert [(g.id >> 22) % 2 for g in fake.guilds] == [0, 1]
    stores = [Store.open(pg_url), Store.open(pg_url)]
    stores[0].migrate()
    stacks: list[Stack] = []
    await fake.start()
    try:
        for i, st in enumerate(stores):
            stacks.append(
                await start_stack(
                    fake, engine, st, FakeClock(NOW), f"w{i}", shard_count=2, shard_ids=[i]
                )
            )
        await answer(fake, fake.slash(["k8stip", "suggest"], {"text": TIP}, user_id=MEMBER))
        press = "k8stip:review approve 1"
        results = await asyncio.gather(
            answer(fake, fake.button(press, admin=True, user_id=MODERATOR)),
            answer(fake, fake.button(press, admin=True, user_id=SECOND_MODERATOR, guild=other)),
        )
        texts = sorted(content(r) for r in results)
        assert sum("Approved #1" in t for t in texts) == 1, texts
        assert sum("was already approved" in t for t in texts) == 1, texts
        assert len(stores[1].community_entries()) == 1
        dm = fake.dm_channels[MEMBER]
        told = [m for m in fake.channel_messages if m["channel_id"] == dm]
        assert len(told) == 1 and "approved" in message_text(told[0])
    finally:
        for s in stacks:
            await s.adapter.stop()
        await fake.close()
        for st in stores:
            st.close()


async def test_hostile_suggestions_ping_nobody_and_say_what_to_fix(
    fake: FakeDiscord, stack: Stack
) -> None:
    long = await answer(
        fake, fake.slash(["k8stip", "suggest"], {"text": "x" * 10_000}, user_id=MEMBER)
    )
    assert private(long["data"])
    assert "The tip is too long" in content(long), long  # not "write the tip"
    emoji = await answer(
        fake, fake.slash(["k8stip", "suggest"], {"text": "😀" * 50}, user_id=MEMBER)
    )
    said = content(emoji)
    assert "at least 4 words" in said, said
    # The hint is a Discord command the member can type: topics without the typed `|`.
    assert "topics:deployments" in said and "|" not in said, said
    assert stack.store.pending_suggestions(10)[1] == 0

    loud = "@everyone <@123456789012345678> drain a node with kubectl drain before a reboot"
    await answer(fake, fake.slash(["k8stip", "suggest"], {"text": loud}, user_id=MEMBER))
    [notice] = [m for m in fake.channel_messages if m["channel_id"] == REVIEW_CHANNEL]
    assert notice["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in notice["content"] and "<@1234" not in notice["content"]
    refused = await answer(fake, fake.button("k8stip:review approve 1", user_id=MEMBER))
    assert "Only members with Manage Server" in content(refused)
    fake.dm_refused.add(MEMBER)  # the author turned DMs off: approved all the same
    approved = await answer(
        fake, fake.button("k8stip:review approve 1", admin=True, user_id=MODERATOR)
    )
    assert "Approved #1" in content(approved) and "could not be told" in content(approved)
    found = await answer(fake, fake.slash(["k8stip", "search"], {"query": "drain reboot"}))
    assert found["data"]["allowed_mentions"] == {"parse": []}, found
    assert "@everyone" not in content(found)
