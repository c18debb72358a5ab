"""Daily posts over the Web API: metadata, reconciliation, error mapping, rate limits.

REST only: no `start()`, exactly as `k8stip deliver` uses the adapter.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import SlackAdapter, create_adapter
from bot.core.replies import Visibility
from bot.ports import (
    AmbiguousError,
    AuthError,
    PermanentError,
    RateLimited,
    Target,
    TransientError,
)
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.slack_support import (
    SECRETS_CARD,
    RecordingEvents,
    StandInRouter,
    make_config,
    make_secrets,
    tip_reply,
)

TARGET = Target("slack", "T1", "C_LEARN")
DAILY = tip_reply(SECRETS_CARD, Visibility.CHANNEL)


class PinnedClock:
    """A monotonic clock that only moves when the (fake) sleep is awaited."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock()


@pytest.fixture
async def adapter(fake: FakeSlack, clock: PinnedClock) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        make_config(fake.api_url),
        make_secrets(),
        StandInRouter(),
        RecordingEvents(),
        monotonic=clock,
        sleep=clock.sleep,
        http_timeout=0.5,
    )
    yield adapter
    await adapter.stop()


async def test_post_carries_the_delivery_id_in_message_metadata(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ts = await adapter.post(TARGET, DAILY, "del-2026-11-26-sub7")
    [call] = fake.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == "C_LEARN"
    assert call.args["metadata"] == {
        "event_type": "k8stip_delivery",
        "event_payload": {"delivery_id": "del-2026-11-26-sub7"},
    }
    assert call.args["text"].startswith("Don't put secrets")
    labels = [b["text"]["text"] for b in call.args["blocks"][-1]["elements"]]
    assert "Share in channel" not in labels
    assert fake.channels["C_LEARN"].messages[-1]["ts"] == ts


async def test_daily_posts_reuse_one_connection(fake: FakeSlack, adapter: SlackAdapter) -> None:
    fake.add_channel("C_OTHER")
    for i, channel in enumerate(["C_LEARN", "C_OTHER", "C_LEARN"]):
        await adapter.post(Target("slack", "T1", channel), DAILY, f"del-{i}")
    calls = fake.calls_to("chat.postMessage")
    assert len(calls) == 3
    assert calls[0].peer and {c.peer for c in calls} == {calls[0].peer}  # kept alive
    await adapter.stop()  # closes the pool; a later post opens a new one
    await adapter.post(TARGET, DAILY, "del-after-stop")
    assert fake.calls_to("chat.postMessage")[-1].peer not in {calls[0].peer, ""}


async def test_find_posted_sees_an_earlier_post_by_its_delivery_id(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    ts = await adapter.post(TARGET, DAILY, "del-a")
    for i in range(250):  # the post scrolls back past the first history page
        fake.channels["C_LEARN"].messages.append({"type": "message", "ts": f"2.{i}", "text": "hi"})
    assert await adapter.find_posted(TARGET, "del-a") == ts
    assert await adapter.find_posted(TARGET, "del-b") is None
    history = fake.calls_to("conversations.history")
    assert all(c.args["include_all_metadata"] in ("1", "true", True) for c in history)


async def test_a_restart_after_a_post_that_was_never_marked_finds_it_instead_of_reposting(
    fake: FakeSlack, clock: PinnedClock
) -> None:
    """Crash between post and mark: the next process reconciles from history."""
    config, secrets = make_config(fake.api_url), make_secrets()
    first = create_adapter(config, secrets, StandInRouter(), RecordingEvents())
    ts = await first.post(TARGET, DAILY, "del-crash")
    await first.stop()  # the process dies before delivery marks the row
    second = create_adapter(config, secrets, StandInRouter(), RecordingEvents())
    assert await second.find_posted(TARGET, "del-crash") == ts
    assert len(fake.calls_to("chat.postMessage")) == 1
    await second.stop()


async def test_429_raises_rate_limited_with_retry_after_and_the_sdk_does_not_retry(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        await adapter.post(TARGET, DAILY, "del-429")
    assert caught.value.retry_after == 7.0
    assert len(fake.calls_to("chat.postMessage")) == 1  # delivery owns the retry
    assert await adapter.post(TARGET, DAILY, "del-429")  # then success
    assert len(fake.channels["C_LEARN"].messages) == 1


async def test_server_errors_are_transient_and_not_retried_by_the_sdk(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", status=503)
    with pytest.raises(TransientError):
        await adapter.post(TARGET, DAILY, "del-503")
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_reset_after_the_post_landed_is_ambiguous_then_reconciled_without_a_duplicate(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", reset_after_effect=True)
    with pytest.raises(AmbiguousError):
        await adapter.post(TARGET, DAILY, "del-reset")
    assert len(fake.calls_to("chat.postMessage")) == 1  # no blind SDK retry
    ts = await adapter.find_posted(TARGET, "del-reset")
    assert ts == fake.channels["C_LEARN"].messages[0]["ts"]
    assert len(fake.channels["C_LEARN"].messages) == 1


async def test_an_unreadable_answer_after_the_post_landed_is_ambiguous(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.fail("chat.postMessage", garbled_after_effect=True)
    with pytest.raises(AmbiguousError):
        await adapter.post(TARGET, DAILY, "del-garbled")
    assert await adapter.find_posted(TARGET, "del-garbled") is not None


async def test_no_answer_in_time_is_ambiguous(fake: FakeSlack, adapter: SlackAdapter) -> None:
    fake.fail("chat.postMessage", hang=True)
    with pytest.raises(AmbiguousError, match="may have landed"):
        await adapter.post(TARGET, DAILY, "del-slow")


async def test_connection_refused_is_transient(fake: FakeSlack) -> None:
    await fake.stop()  # nothing listens on the port any more
    adapter = SlackAdapter(
        make_config(fake.api_url), make_secrets(), StandInRouter(), RecordingEvents()
    )
    with pytest.raises(TransientError):
        await adapter.post(TARGET, DAILY, "del-refused")
    await adapter.stop()


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("not_in_channel", "invite me with /invite @k8stip"),
        ("channel_not_found", "no longer exists"),
        ("is_archived", "archived"),
        ("missing_scope", "slack-app-manifest.yaml"),
    ],
)
async def test_errors_a_person_can_fix_are_permanent_with_the_fix_in_the_reason(
    fake: FakeSlack, adapter: SlackAdapter, error: str, says: str
) -> None:
    fake.fail("chat.postMessage", error=error)
    with pytest.raises(PermanentError) as caught:
        await adapter.post(TARGET, DAILY, "del-x")
    assert says in caught.value.reason
    assert BOT_TOKEN not in caught.value.reason


@pytest.mark.parametrize(
    "error", ["invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"]
)
async def test_a_refused_token_is_an_adapter_outage_not_a_channel_fault(
    fake: FakeSlack, adapter: SlackAdapter, error: str
) -> None:
    """With one SLACK_BOT_TOKEN every channel fails alike: AuthError (delivery pauses nothing),
    with the fix in the reason and never the token."""
    fake.fail("chat.postMessage", error=error)
    with pytest.raises(AuthError) as caught:
        await adapter.post(TARGET, DAILY, "del-auth")
    assert not isinstance(caught.value, PermanentError)
    assert caught.value.reason.startswith(error) and "SLACK_BOT_TOKEN" in caught.value.reason
    assert BOT_TOKEN not in caught.value.reason


async def test_a_wrong_token_is_an_outage_for_reconciliation_too(fake: FakeSlack) -> None:
    adapter = SlackAdapter(
        make_config(fake.api_url),
        make_secrets(SLACK_BOT_TOKEN="xoxb-wrong"),
        StandInRouter(),
        RecordingEvents(),
    )
    with pytest.raises(AuthError, match="invalid_auth"):
        await adapter.find_posted(TARGET, "del-any")
    await adapter.stop()


async def test_real_channel_states_map_to_permanent_errors(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.add_channel("C_OUT", members=False)
    with pytest.raises(PermanentError, match="/invite @k8stip"):
        await adapter.post(Target("slack", "T1", "C_OUT"), DAILY, "d1")
    with pytest.raises(PermanentError, match="no longer exists"):
        await adapter.post(Target("slack", "T1", "C_GONE"), DAILY, "d2")


async def test_posts_to_one_channel_are_spaced_a_second_apart(
    fake: FakeSlack, adapter: SlackAdapter, clock: PinnedClock
) -> None:
    fake.add_channel("C_OTHER")
    await adapter.post(TARGET, DAILY, "d1")
    clock.now += 0.25
    await adapter.post(Target("slack", "T1", "C_OTHER"), DAILY, "d2")
    await adapter.post(Target("slack", "T9", "C_LEARN"), DAILY, "d3")  # same id, other team
    assert clock.slept == []
    await adapter.post(TARGET, DAILY, "d4")
    assert clock.slept == [pytest.approx(0.75)]


async def test_without_history_scope_reconciliation_says_not_posted(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    """Documented choice: it errs towards posting again, never towards a missed day."""
    await adapter.post(TARGET, DAILY, "del-noscope")
    fake.fail("conversations.history", error="missing_scope")
    assert await adapter.find_posted(TARGET, "del-noscope") is None


async def test_blocks_sent_to_slack_are_json_not_python_reprs(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    await adapter.post(TARGET, DAILY, "del-json")
    [call] = fake.calls_to("chat.postMessage")
    json.dumps(call.args["blocks"])  # the fake decoded real JSON
    assert call.args["unfurl_links"] is False
