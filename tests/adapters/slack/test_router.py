"""The Slack adapter with the real router (bot/commands.py) and `k8stip deliver`.

Everything real except Slack: slack-bolt and slack-sdk talk to the fake Slack on 127.0.0.1,
the router answers from the bundled corpus and a fresh SQLite store, and `k8stip deliver`
runs as its own process, as a Kubernetes CronJob would.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.models.blocks import Block

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack.render import mrkdwn
from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.runtime.router import Router
from bot.runtime.store import Store
from tests.core_support import ROOT
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack_support import RecordingEvents, block_actions, make_secrets, slash_command

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Amsterdam
DUE = "2026-03-30T09:00:30+02:00"  # the Monday after, just past 09:00 in Amsterdam


@pytest.fixture
async def adapter(fake: FakeSlack, engine: Engine, store: Store) -> AsyncIterator[SlackAdapter]:
    config = config_from_mapping(
        {
            "timezone": "Europe/Amsterdam",
            "rate_limit": {"commands_per_minute": 1000},
            "slack": {"api_url": fake.api_url},
        }
    )
    router = Router(engine, store, config, FakeClock(NOW), random.Random(7))
    adapter = SlackAdapter(config, make_secrets(), router.handle, RecordingEvents())
    await adapter.start()
    yield adapter
    await adapter.stop()


async def command(fake: FakeSlack, text: str, user: str = "U_MEMBER") -> dict[str, Any]:
    _, url = fake.response_url()
    envelope = await fake.push("slash_commands", slash_command(text, url, user=user))
    payload: dict[str, Any] = (await fake.ack_for(envelope)).get("payload") or {}
    return payload


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button of a message, whichever actions row it is in."""
    return [b for block in blocks if block["type"] == "actions" for b in block["elements"]]


async def test_a_topic_command_gets_a_real_tip_card_with_working_buttons(
    fake: FakeSlack, adapter: SlackAdapter, engine: Engine
) -> None:
    payload = await command(fake, "secrets")
    assert payload["response_type"] == "ephemeral"
    tip_section, context = payload["blocks"][0], payload["blocks"][1]
    assert tip_section["type"] == "section"
    assert context["elements"][0]["text"].startswith("Hands-On Kubernetes on Azure, 2nd ed. · Ch.")
    buttons = {b["action_id"].split(":")[1]: b["value"] for b in _buttons(payload["blocks"])}
    assert set(buttons) == {"another", "more", "share", "vote"}  # vote: the feedback row
    tip_id = buttons["share"].removeprefix("share ")
    assert "secrets" in engine.corpus.by_id[tip_id].topics

    rid, url = fake.response_url()
    action = next(b for b in _buttons(payload["blocks"]) if b["value"] == buttons["share"])
    await fake.push("interactive", block_actions(action["action_id"], action["value"], url))
    [shared] = await fake.wait_for(lambda: fake.responses_for(rid))
    assert shared["response_type"] == "in_channel"
    tip_text = mrkdwn(engine.corpus.by_id[tip_id].text)[:40]
    assert any(b.get("text", {}).get("text", "").startswith(tip_text) for b in shared["blocks"])
    assert "share" not in {b["action_id"].split(":")[1] for b in _buttons(shared["blocks"])}


async def test_only_admins_may_subscribe_and_at_here_is_escaped(
    fake: FakeSlack, adapter: SlackAdapter, store: Store
) -> None:
    refused = await command(fake, "subscribe 09:00 Europe/Amsterdam weekdays")
    assert refused["response_type"] == "ephemeral"
    assert "admin" in refused["text"].lower()
    assert store.list_subscriptions() == []

    done = await command(fake, "subscribe 09:00 Europe/Amsterdam weekdays", user="U_OWNER")
    assert done["response_type"] == "in_channel", done
    [sub] = store.list_subscriptions()
    assert (sub.platform, sub.workspace, sub.channel, sub.time, sub.timezone) == (
        "slack",
        "T1",
        "C_LEARN",
        "09:00",
        "Europe/Amsterdam",
    )

    echoed = await command(fake, "@here what about <!channel>")
    assert "@here" not in json.dumps(echoed)
    assert "<!channel>" not in json.dumps(echoed)


def _config_file(tmp_path: Path, fake: FakeSlack, lease: float = 300.0) -> Path:
    path = tmp_path / "k8stip.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{tmp_path}/k8stip.db",
                "corpus": str(ROOT / "tips"),
                "timezone": "Europe/Amsterdam",
                "slack": {"api_url": fake.api_url},
                "health": {"enabled": False},
                "delivery": {"lease_seconds": lease, "backoff_base_seconds": 0.01},
                "subscriptions": [
                    {
                        "platform": "slack",
                        "workspace": "T1",
                        "channel": "C_LEARN",
                        "time": "09:00",
                        "days": "weekdays",
                    }
                ],
            }
        )
    )
    return path


async def _deliver(config: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "deliver",
        "--at",
        DUE,
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_k8stip_deliver_posts_with_metadata_once(fake: FakeSlack, tmp_path: Path) -> None:
    config = _config_file(tmp_path, fake)
    proc = await _deliver(config)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    [result] = json.loads(out)
    assert (result["platform"], result["channel"], result["status"]) == ("slack", "C_LEARN", "sent")
    [call] = fake.calls_to("chat.postMessage")
    assert call.args["metadata"]["event_type"] == "k8stip_delivery"
    assert call.args["metadata"]["event_payload"]["delivery_id"]
    blocks = call.args["blocks"]
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None
        block.validate_json()
    assert blocks[0]["text"]["text"] == "*Kubernetes tip of the day*"
    assert blocks[2]["elements"][0]["text"].startswith("Hands-On Kubernetes on Azure, 2nd ed.")
    kinds = {b["action_id"].split(":")[1] for b in _buttons(blocks)}
    # No "Share" on a message the channel already sees; the feedback buttons are there.
    assert kinds == {"another", "more", "vote"}

    again = await _deliver(config)
    out, err = await again.communicate()
    assert again.returncode == 0, err.decode()
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_a_crash_between_post_and_mark_then_a_restart_does_not_post_twice(
    fake: FakeSlack, tmp_path: Path
) -> None:
    config = _config_file(tmp_path, fake, lease=1.0)
    fake.fail("chat.postMessage", hold_after_effect=True)  # it lands; the answer never comes
    proc = await _deliver(config)
    await fake.wait_for(lambda: fake.channels["C_LEARN"].messages, within=30)
    proc.send_signal(signal.SIGKILL)
    await proc.wait()

    # Leases are wall-clock: a restart within the dead process's lease (1 s, the smallest
    # allowed) finds the row held, as a second replica would; once it has run out, it's ours.
    await asyncio.sleep(1.2)
    restart = await _deliver(config)
    out, err = await restart.communicate()
    assert restart.returncode == 0, err.decode()
    # (The restart's own pipelined claimer may see the row twice, so there may be two result
    # lines: both must be the one reconciled message.)
    results = json.loads(out)
    [message] = fake.channels["C_LEARN"].messages
    assert results, err.decode()
    assert results and all(r["status"] == "sent" and r["reconciled"] for r in results), results
    assert {r["message_id"] for r in results} == {message["ts"]}
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert fake.calls_to("conversations.history")
