"""Forms on Slack end to end: real slack-bolt over the fake Slack (Socket Mode and signed HTTP).

A press answered with `Reply.form` opens a modal; submitting it routes the form's command with
the typed values, and the answer comes back privately (or keeps the modal open on an error).
The router is a stub that answers a press with a form and records what was submitted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.forms import FIELD_BLOCK_PREFIX, FORM_CALLBACK_ID, read_submission
from bot.core.invocation import Invocation
from bot.core.replies import Form, FormField, Reply, ReplyKind, Visibility
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    NOW,
    RecordingEvents,
    actions_form,
    block_actions,
    http_mode_adapter,
    make_config,
    make_secrets,
    sign,
    view_submission,
)

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


@dataclass
class FormRouter:
    """Answers the "suggest" press with FORM; answers a submission as `answer` says
    ("ok": thanks, echoing the tip; "error": a fixable mistake); records every Invocation."""

    calls: list[Invocation] = field(default_factory=list)
    answer: str = "ok"

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        if inv.text == "suggest":
            return Reply(
                ReplyKind.INFO,
                "Suggest a tip: /k8stip suggest <text> | <source>",
                form=FORM,
            )
        if inv.text == FORM.command and self.answer == "error":
            return Reply(ReplyKind.ERROR, "A tip needs at least 20 characters; add a few words.")
        if inv.text == FORM.command:
            return Reply(
                ReplyKind.INFO,
                f"Thanks! Sent for review: {inv.field('text')}",
                visibility=Visibility.CHANNEL,
            )
        return Reply(ReplyKind.INFO, f"direct={inv.direct} admin={inv.is_admin}")


@pytest.fixture
def forms() -> FormRouter:
    return FormRouter()


@pytest.fixture
async def adapter(
    fake: FakeSlack, forms: FormRouter, events: RecordingEvents
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        make_config(fake.api_url, admins=["U_LISTED"]), make_secrets(), forms, events
    )
    await adapter.start()
    yield adapter
    await adapter.stop()


async def open_form(fake: FakeSlack, channel: str = "C_LEARN") -> tuple[str, dict[str, Any]]:
    """Press the "suggest" button; returns (response_url id, the modal Slack was asked for)."""
    rid, url = fake.response_url()
    payload = block_actions("k8stip:another:0", "suggest", url, channel=channel)
    await fake.push("interactive", payload)
    await fake.wait_for(lambda: fake.views)
    return rid, fake.views[-1]


async def submit(fake: FakeSlack, view: dict[str, Any], values: dict[str, str | None]) -> Any:
    """Submit `view` over the socket; returns the ack."""
    envelope = await fake.push("interactive", view_submission(view, values))
    return (await fake.ack_for(envelope)).get("payload")


async def test_a_press_answered_with_a_form_opens_it_as_a_modal_and_sends_nothing_else(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    rid, view = await open_form(fake)
    (call,) = fake.calls_to("views.open")
    assert call.args["trigger_id"] == "1.2.3"
    assert view["callback_id"] == FORM_CALLBACK_ID
    assert view["title"]["text"] == "Suggest a tip"
    assert view["submit"]["text"] == "Send"
    meta = json.loads(view["private_metadata"])
    assert meta == {
        "command": "suggest-submit",
        "channel": "C_LEARN",
        "limits": {"text": 500, "source": 80, "note": 200},
    }
    text, source, note = view["blocks"]
    assert text["block_id"] == FIELD_BLOCK_PREFIX + "text"
    assert text["element"]["multiline"] is True
    assert text["element"]["max_length"] == 500
    assert text["element"]["placeholder"]["text"] == "One tip"
    assert source["element"]["initial_value"] == "my runbook"
    assert source["element"]["multiline"] is False
    assert (text["optional"], note["optional"]) == (False, True)
    assert fake.responses_for(rid) == []


async def test_a_submitted_form_is_routed_with_its_values_and_answered_privately(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    ack = await submit(fake, view, {"text": "Use PodDisruptionBudgets for HA", "note": None})
    assert not ack  # an empty ack closes the modal
    inv = forms.calls[-1]
    assert inv.text == "suggest-submit"
    assert inv.fields == (
        ("text", "Use PodDisruptionBudgets for HA"),
        ("source", "my runbook"),
        ("note", ""),
    )
    assert (inv.platform, inv.workspace, inv.channel, inv.user) == (
        "slack",
        "T1",
        "C_LEARN",
        "U_MEMBER",
    )
    (told,) = await fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    assert (told.args["channel"], told.args["user"]) == ("C_LEARN", "U_MEMBER")
    assert "Sent for review: Use PodDisruptionBudgets for HA" in told.args["text"]
    assert fake.calls_to("chat.postMessage") == []  # never in the channel, whatever it asked


async def test_an_error_answer_keeps_the_modal_open_with_the_error_under_the_first_field(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    forms.answer = "error"
    ack = await submit(fake, view, {"text": "too short"})
    assert ack == {
        "response_action": "errors",
        "errors": {
            FIELD_BLOCK_PREFIX + "text": "A tip needs at least 20 characters; add a few words."
        },
    }
    assert fake.calls_to("chat.postEphemeral") == []


async def test_oversize_values_are_cut_to_their_fields_length_before_the_router_sees_them(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    await submit(fake, view, {"text": "x" * 10_000, "source": "🙂" * 5000, "note": "n" * 201})
    inv = forms.calls[-1]
    assert [len(v) for _, v in inv.fields] == [500, 80, 200]


async def test_typed_mentions_in_a_form_come_back_inert(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    await submit(fake, view, {"text": "@everyone <!channel> <@U_ADMIN> <script>x</script>"})
    assert forms.calls[-1].field("text") == "@everyone <!channel> <@U_ADMIN> <script>x</script>"
    (told,) = await fake.wait_for(lambda: fake.calls_to("chat.postEphemeral"))
    shown = json.dumps([told.args["text"], told.args["blocks"]], ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U_ADMIN>" not in shown and "<script>" not in shown
    assert "@everyone" not in shown  # broken with a zero-width joiner
    assert "&lt;!channel&gt;" in shown


async def test_a_form_opened_outside_a_known_channel_is_answered_by_direct_message(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    meta = json.loads(view["private_metadata"])
    view = {**view, "private_metadata": json.dumps({**meta, "channel": ""})}
    await submit(fake, view, {"text": "Use PodDisruptionBudgets for HA"})
    (posted,) = await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    assert [c.args["users"] for c in fake.calls_to("conversations.open")] == ["U_MEMBER"]
    assert posted.args["channel"] == "DU_MEMBER"
    assert forms.calls[-1].channel == ""


async def test_when_the_channel_refuses_an_ephemeral_the_answer_goes_by_direct_message(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, view = await open_form(fake)
    fake.fail("chat.postEphemeral", error="not_in_channel")
    await submit(fake, view, {"text": "Use PodDisruptionBudgets for HA"})
    (posted,) = await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    assert posted.args["channel"] == "DU_MEMBER"
    assert "Sent for review" in posted.args["text"]


async def test_a_modal_that_cannot_open_in_time_answers_with_the_replys_own_text(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    fake.fail("views.open", error="expired_trigger_id")
    rid, url = fake.response_url()
    await fake.push("interactive", block_actions("k8stip:another:0", "suggest", url))
    (answer,) = await fake.wait_for(lambda: fake.responses_for(rid))
    assert answer["response_type"] == "ephemeral"
    assert "/k8stip suggest &lt;text&gt; | &lt;source&gt;" in answer["text"]
    assert fake.views == []


@pytest.mark.parametrize(
    "metadata",
    [
        "not json",
        json.dumps(["suggest-submit"]),
        json.dumps({"command": "", "channel": "C_LEARN", "limits": {}}),
        json.dumps({"command": "x" * 101, "channel": "C_LEARN", "limits": {}}),
        json.dumps({"command": "ok", "channel": "<!here>", "limits": {}}),
        json.dumps({"command": "ok", "channel": "C1", "limits": {"text": 10**9}}),
        json.dumps({"command": "ok", "channel": "C1", "limits": {"Bad Name": 5}}),
        json.dumps({"command": "ok\u0000", "channel": "C1", "limits": {}}),
    ],
)
async def test_a_submission_whose_metadata_does_not_parse_never_reaches_the_router(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter, metadata: str
) -> None:
    _, view = await open_form(fake)
    before = len(forms.calls)
    ack = await submit(fake, {**view, "private_metadata": metadata}, {"text": "hello"})
    assert not ack
    assert len(forms.calls) == before


def test_a_view_that_is_not_a_k8stip_form_is_not_read_as_one() -> None:
    view = {"callback_id": "someone_else", "private_metadata": '{"command":"x"}'}
    assert read_submission(view) is None
    assert read_submission("not a view") is None


# ----- commands and presses in a direct message ----------------------------------------------


async def test_a_command_typed_in_a_direct_message_is_direct_and_not_an_admins(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    from tests.slack_support import slash_command

    for user in ("U_ADMIN", "U_LISTED"):
        _, url = fake.response_url()
        envelope = await fake.push("slash_commands", slash_command("status", url, user, "DU1"))
        await fake.ack_for(envelope)
    admin, listed = forms.calls
    assert admin.direct and admin.channel == "DU1"
    assert not admin.is_admin  # a workspace admin, but a DM has no channel to administer
    assert listed.is_admin  # slack.admins still counts
    assert fake.calls_to("users.info") == []


async def test_a_press_in_a_direct_message_is_direct(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    rid, url = fake.response_url()
    await fake.push("interactive", block_actions("k8stip:another:0", "tip", url, channel="DU9"))
    await fake.wait_for(lambda: fake.responses_for(rid))
    assert forms.calls[-1].direct and forms.calls[-1].channel == "DU9"


async def test_a_command_in_a_channel_is_not_direct(
    fake: FakeSlack, adapter: SlackAdapter, forms: FormRouter
) -> None:
    from tests.slack_support import slash_command

    _, url = fake.response_url()
    await fake.ack_for(await fake.push("slash_commands", slash_command("status", url, "U_ADMIN")))
    assert not forms.calls[-1].direct and forms.calls[-1].is_admin


# ----- HTTP mode: a submission is signed like every other request ----------------------------


@pytest.fixture
async def http_adapter(
    fake: FakeSlack, forms: FormRouter, events: RecordingEvents, tmp_path: Any
) -> AsyncIterator[SlackAdapter]:
    async with http_mode_adapter(fake.api_url, forms, events, tmp_path) as adapter:
        yield adapter


async def http_send(adapter: SlackAdapter, body: str, headers: dict[str, str]) -> tuple[int, str]:
    import aiohttp

    url = f"http://127.0.0.1:{adapter.http_port}/slack/events"
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_over_http_a_signed_press_opens_the_form_and_a_signed_submission_is_routed(
    fake: FakeSlack, http_adapter: SlackAdapter, forms: FormRouter
) -> None:
    _, url = fake.response_url()
    press = actions_form(block_actions("k8stip:another:0", "suggest", url))
    assert (await http_send(http_adapter, press, sign(press, NOW)))[0] == 200
    await fake.wait_for(lambda: fake.views)
    forms.answer = "error"
    body = actions_form(view_submission(fake.views[-1], {"text": "short"}))
    status, text = await http_send(http_adapter, body, sign(body, NOW))
    assert status == 200
    assert json.loads(text)["response_action"] == "errors"
    assert forms.calls[-1].fields[0] == ("text", "short")


async def test_forged_or_unsigned_submissions_never_reach_the_router_nor_flood_the_log(
    fake: FakeSlack,
    http_adapter: SlackAdapter,
    forms: FormRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, url = fake.response_url()
    press = actions_form(block_actions("k8stip:another:0", "suggest", url))
    await http_send(http_adapter, press, sign(press, NOW))
    await fake.wait_for(lambda: fake.views)
    routed = len(forms.calls)
    body = actions_form(view_submission(fake.views[-1], {"text": "@everyone forged"}))
    forged = sign(body, NOW, secret="not-the-secret")
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    with caplog.at_level(logging.DEBUG, logger="k8stip"):
        for _ in range(20):
            assert (await http_send(http_adapter, body, forged))[0] == 401
            assert (await http_send(http_adapter, body, unsigned))[0] in (400, 401)
    assert len(forms.calls) == routed
    assert len(caplog.records) <= 1  # one line per address per minute, not one per request
    assert fake.calls_to("chat.postEphemeral") == []


# ----- any payload at all: read_submission never raises and never lets more through ---------


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@settings(deadline=None)  # a busy test machine is not a failure
@given(
    limits=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.integers(min_value=-5, max_value=5000),
        max_size=7,
    ),
    values=st.dictionaries(st.text(max_size=20), _JSON, max_size=7),
    command=st.text(max_size=120),
    channel=st.text(max_size=30),
)
def test_any_submission_reads_as_none_or_as_values_within_their_limits(
    limits: dict[str, int], values: dict[str, object], command: str, channel: str
) -> None:
    meta = json.dumps({"command": command, "channel": channel, "limits": limits})
    state = {FIELD_BLOCK_PREFIX + k: {"value": {"value": v}} for k, v in values.items()}
    view = {"callback_id": FORM_CALLBACK_ID, "private_metadata": meta, "state": {"values": state}}
    got = read_submission(view)
    if got is None:
        return
    assert 0 < len(got.command) <= 100 and got.command.isprintable()
    assert [name for name, _ in got.fields] == list(limits)
    for name, value in got.fields:
        assert isinstance(value, str) and len(value) <= limits[name] <= 3000


@settings(deadline=None)
@given(_JSON)
def test_any_view_at_all_reads_without_raising(view: object) -> None:
    read_submission(view)
    read_submission({"callback_id": FORM_CALLBACK_ID, "private_metadata": json.dumps(view)})
