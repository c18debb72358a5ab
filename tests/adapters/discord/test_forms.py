"""Forms, direct messages and commands in DMs on Discord, end to end: the real discord.py client
over the fake Discord (gateway and REST).

A press answered with `Reply.form` gets a modal (interaction response type 9); its submit
(interaction type 5) is routed with the typed values and answered privately. A "dm:<member>"
target posts in the member's DM channel (POST /users/@me/channels, cached). `/k8stip` works
in a DM with the bot, where nobody is an admin but `discord.admins`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.discord import DiscordAdapter, create_adapter, delivery_nonce
from bot.adapters.discord.commands import NOT_ADMIN_IN_DM, topic_suggester
from bot.adapters.discord.forms import submitted_fields
from bot.config import Secrets, config_from_mapping
from bot.core.invocation import Invocation
from bot.core.replies import Form, FormField, Reply, ReplyKind, Visibility
from bot.ports import PermanentError, direct_target
from tests.fakes.discord_api import EPHEMERAL, FakeDiscord
from tests.fakes.discord_router import TOPICS, Events, Router, tip_reply

MEMBER = 1_300_000_000_000_000_777
LISTED_ADMIN = 1_300_000_000_000_000_888

FORM = Form(
    title="Suggest a tip",
    command="suggest-submit",
    fields=(
        FormField("text", "Your tip", multiline=True, max_length=500, placeholder="One tip"),
        FormField("source", "Where it comes from", value="my runbook", max_length=80),
        FormField("note", "A note for the reviewers", required=False, max_length=200),
    ),
    submit="Send",
)

MakeAdapter = Callable[..., Awaitable[DiscordAdapter]]


class FormRouter(Router):
    """Answers "suggest" with FORM and a submission with a thank-you that echoes the tip;
    anything else as the stand-in router does. Records every Invocation."""

    async def __call__(self, inv: Invocation) -> Reply:
        if inv.text == "suggest":
            self.calls.append(inv)
            return Reply(ReplyKind.INFO, "Suggest a tip: /k8stip suggest <text>", form=FORM)
        if inv.text == FORM.command:
            self.calls.append(inv)
            if self.gate is not None:
                await self.gate.wait()
            return Reply(
                ReplyKind.INFO,
                f"Thanks! Sent for review: {inv.field('text')}",
                visibility=Visibility.CHANNEL,
            )
        return await super().__call__(inv)


@pytest.fixture
def router() -> FormRouter:
    return FormRouter()


@pytest.fixture
async def make_adapter(fake: FakeDiscord, router: FormRouter) -> AsyncIterator[MakeAdapter]:
    started: list[DiscordAdapter] = []

    async def make(*, defer_after: float = 2.0, start: bool = True) -> DiscordAdapter:
        config = config_from_mapping(
            {"discord": {"api_url": fake.api_url, "admins": [str(LISTED_ADMIN)]}}
        )
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
        if start:
            await asyncio.wait_for(adapter.start(), 10)
        return adapter

    yield make
    for adapter in started:
        await adapter.stop()


def private(body: dict[str, Any]) -> bool:
    return bool(int(body.get("flags") or 0) & EPHEMERAL)


def text_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in modal["components"]:
        out.extend(row.get("components") or [row.get("component")])
    return [c for c in out if c and c.get("type") == 4]


async def test_a_press_answered_with_a_form_gets_a_modal_response(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    result = await fake.interact(fake.button("k8stip:suggest", user_id=MEMBER))
    assert result["type"] == 9  # MODAL
    modal = result["data"]
    assert modal["custom_id"] == "k8stip:suggest-submit"
    assert modal["title"] == "Suggest a tip"
    text, source, note = text_inputs(modal)
    assert (text["custom_id"], text["style"], text["max_length"]) == ("text:500", 2, 500)
    assert text["placeholder"] == "One tip" and text["required"] is True
    assert (source["custom_id"], source["style"], source["value"]) == ("source:80", 1, "my runbook")
    assert note["required"] is False
    assert len(fake.callbacks) == 1 and fake.webhook_messages == []  # nothing else sent


async def test_a_modal_submit_is_routed_with_its_values_and_answered_privately(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    values = {"text:500": "Use PodDisruptionBudgets", "source:80": "my runbook", "note:200": ""}
    result = await fake.interact(fake.modal_submit("k8stip:suggest-submit", values, user_id=MEMBER))
    inv = router.calls[-1]
    assert inv.text == "suggest-submit"
    assert inv.fields == (
        ("text", "Use PodDisruptionBudgets"),
        ("source", "my runbook"),
        ("note", ""),
    )
    assert inv.user == str(MEMBER) and inv.workspace == str(fake.guilds[0].id)
    assert result["type"] == 4 and private(result["data"])  # private, whatever the reply said
    assert "Sent for review: Use PodDisruptionBudgets" in result["data"]["content"]


async def test_a_submit_from_a_newer_client_with_labels_is_read_the_same(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    payload = fake.modal_submit("k8stip:suggest-submit", {"text:500": "hello"}, labels=True)
    await fake.interact(payload)
    assert router.calls[-1].fields == (("text", "hello"),)


async def test_a_slow_submit_is_deferred_then_answered_privately(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    router.gate = asyncio.Event()
    await make_adapter(defer_after=0.05)
    result = await fake.interact(fake.modal_submit("k8stip:suggest-submit", {"text:500": "hi"}))
    assert result["type"] == 5 and private(result["data"])  # "thinking…", only to them
    router.gate.set()
    (edit,) = await fake.wait_for(lambda: fake.webhook_messages)
    assert edit["original"] and "Sent for review: hi" in edit["body"]["content"]


async def test_oversize_values_are_cut_to_their_inputs_length(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    values = {"text:500": "x" * 4000, "source:80": "🙂" * 4000, "note:200": "n" * 300}
    await fake.interact(fake.modal_submit("k8stip:suggest-submit", values))
    assert [len(v) for _, v in router.calls[-1].fields] == [500, 80, 200]


async def test_typed_mentions_in_a_form_come_back_inert(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    typed = "@everyone <@&1300000000000000100> **bold** <script>"
    result = await fake.interact(fake.modal_submit("k8stip:suggest-submit", {"text:500": typed}))
    assert router.calls[-1].field("text") == typed
    content = result["data"]["content"]
    assert "@everyone" not in content and "<@&" not in content and "**bold**" not in content
    assert result["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    "custom_id",
    ["someone-elses-modal", "k8stip:", "k8stip:\u0000x", "k8stip:" + "x" * 200],
)
async def test_a_submit_that_is_not_a_k8stip_form_reaches_no_router(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter, custom_id: str
) -> None:
    await make_adapter()
    await fake.dispatch(
        "INTERACTION_CREATE", fake.modal_submit(custom_id, {"text:500": "hi"}), fake.guilds[0].id
    )
    # A press sent after it is answered; the foreign submit never reached the router.
    await fake.interact(fake.button("k8stip:suggest"))
    assert [c.text for c in router.calls] == ["suggest"]


def test_inputs_k8stip_never_makes_are_dropped() -> None:
    data = {
        "custom_id": "k8stip:suggest-submit",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "text:10", "value": "a" * 20}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "Evil Name:5", "value": "x"}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "huge:99999", "value": "x"}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "nolimit", "value": "x"}]},
            "garbage",
        ],
    }
    assert submitted_fields(data) == ("suggest-submit", (("text", "a" * 10),))
    assert submitted_fields({"custom_id": "k8stip:x"}) is None


# ----- commands and presses in a DM with the bot ---------------------------------------------


async def test_a_command_in_a_dm_is_direct_and_only_listed_admins_are_admins(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    await fake.interact(fake.dm_slash(["k8stip", "tip"], {"query": "rbac"}, user_id=MEMBER))
    await fake.interact(fake.dm_slash(["k8stip", "tip"], {"query": "rbac"}, user_id=LISTED_ADMIN))
    member, listed = router.calls
    assert member.direct and member.workspace == "" and not member.is_admin
    assert member.channel == str(fake.dm_channels[MEMBER])
    assert listed.direct and listed.is_admin


async def test_an_admin_command_reaching_us_from_a_dm_is_refused_with_where_to_run_it(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    """Discord offers the admin group in servers only; one that arrives anyway is refused."""
    from bot.core.commands import COMMANDS

    admin = next(c for c in COMMANDS.values() if c.discord_group == "k8stip-admin" and not c.params)
    await make_adapter()
    path = ["k8stip-admin", admin.discord_name]
    result = await fake.interact(fake.dm_slash(path, user_id=MEMBER))
    assert result["data"]["content"] == NOT_ADMIN_IN_DM and private(result["data"])
    assert router.calls == []


async def test_k8stip_is_offered_in_dms_and_the_admin_group_is_not(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    await make_adapter()
    registered = {c["name"]: c for c in fake.commands[None]}
    assert registered["k8stip"].get("dm_permission") is True
    assert registered["k8stip-admin"].get("dm_permission") is False


async def test_a_press_in_a_dm_is_direct_and_answered(
    fake: FakeDiscord, make_adapter: MakeAdapter, router: FormRouter
) -> None:
    await make_adapter()
    result = await fake.interact(fake.button("k8stip:rbac", user_id=MEMBER, direct=True))
    assert router.calls[-1].direct and router.calls[-1].text == "rbac"
    assert result["type"] == 4


# ----- posting to a member by direct message (REST only) -------------------------------------


async def test_a_direct_post_opens_the_dm_once_and_posts_there_with_its_nonce(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter(start=False)
    target = direct_target("discord", str(fake.guilds[0].id), str(MEMBER))
    first = await adapter.post(target, tip_reply(), "delivery-1")
    await adapter.post(target, tip_reply(), "delivery-2")
    opened = fake.requests_to("POST", "/users/@me/channels")
    assert [r.json for r in opened] == [{"recipient_id": MEMBER}]
    dm = fake.dm_channels[MEMBER]
    assert [m["channel_id"] for m in fake.channel_messages] == [dm, dm]
    assert fake.channel_messages[0]["nonce"] == delivery_nonce("delivery-1")
    assert fake.channel_messages[0]["enforce_nonce"] is True
    assert await adapter.find_posted(target, "delivery-1") == first
    assert await adapter.find_posted(target, "delivery-9") is None


async def test_a_member_who_refuses_dms_is_a_permanent_error_that_says_so(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter(start=False)
    fake.dm_refused.add(MEMBER)
    target = direct_target("discord", "", str(MEMBER))
    with pytest.raises(PermanentError, match="does not accept direct messages") as e:
        await adapter.post(target, tip_reply(), "delivery-1")
    assert str(MEMBER) in e.value.reason
    fake.dm_refused.clear()
    await adapter.post(target, tip_reply(), "delivery-2")
    # The DM channel was forgotten after the refusal and opened again.
    assert len(fake.requests_to("POST", "/users/@me/channels")) == 2


async def test_a_direct_target_that_is_not_a_user_id_is_refused_before_any_call(
    fake: FakeDiscord, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter(start=False)
    for bad in ("@everyone", "<@123>", "12ab", "1" * 30):
        with pytest.raises(PermanentError, match="not a Discord user id"):
            await adapter.post(direct_target("discord", "", bad), tip_reply(), "d")
    assert fake.requests_to("POST", "/users/@me/channels") == []
