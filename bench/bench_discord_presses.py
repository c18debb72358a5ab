"""Many members answering one Discord quiz card at once (issue 12): acknowledgement times.

    PYTHONPATH=. python bench/bench_discord_presses.py [--members 1000] [--rate 100]

The real adapter (discord.py over the fake Discord of tests/fakes, gateway and REST on
127.0.0.1) posts a quiz, then `--members` distinct members each press an answer, `--rate`
presses a second. A stub router counts each member's answer and returns the card's new
tally as `source_update`, so every press is answered with an in-place edit (UPDATE_MESSAGE)
and a private follow-up. Printed: presses the router saw, edits and follow-ups the fake
received, and the time from the gateway dispatch to the fake receiving the interaction
response (p50, p99, max). The router here is in memory: this measures the adapter, not the
store.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def run(members: int, rate: float) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    from bot.adapters.discord import create_adapter
    from bot.config import Secrets, config_from_mapping
    from bot.core.invocation import Invocation
    from bot.core.replies import Reply, ReplyKind, Visibility, tally_line
    from bot.ports import Target
    from tests.adapters.discord.test_learning_render import quiz, quiz_reply
    from tests.fakes.discord_api import FakeDiscord

    acked: dict[int, float] = {}

    class TimedDiscord(FakeDiscord):
        def _callback(self, interaction_id: int, body: Any) -> tuple[int, Any]:
            acked.setdefault(interaction_id, time.perf_counter())
            return super()._callback(interaction_id, body)

    answers: dict[str, str] = {}

    async def router(inv: Invocation) -> Reply:
        answers[inv.user] = inv.text
        right = sum(1 for a in answers.values() if a.endswith(" 0"))
        update = quiz_reply(quiz(tally=tally_line(len(answers), right)))
        return Reply(
            ReplyKind.INFO, "Right.", visibility=Visibility.EPHEMERAL, source_update=update
        )

    class NoEvents:
        async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
            return None

    fake = TimedDiscord()
    await fake.start()
    config = config_from_mapping({"discord": {"api_url": fake.api_url}})
    adapter = create_adapter(
        config,
        Secrets({"DISCORD_TOKEN": fake.token}),
        router,
        NoEvents(),
        suggest=lambda _: [],
        client_options={"guild_ready_timeout": 0.01},
    )
    await adapter.start()
    g = fake.guilds[0]
    await adapter.post(Target("discord", str(g.id), str(g.channels[0])), quiz_reply(), "bench")
    body = fake.channel_messages[-1]
    message = fake._message(body["channel_id"], body)

    sent: dict[int, float] = {}
    start = time.perf_counter()
    for i in range(members):
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        payload = fake.button(
            f"k8stip:quiz-answer q-hoka-rbac-1 {i % 4}",
            message=message,
            user_id=1_300_000_000_000_100_000 + i,
        )
        sent[int(payload["id"])] = time.perf_counter()
        await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda: len(acked) >= members, 120)
    try:
        await fake.wait_for(lambda: len(fake.webhook_messages) >= members, 120)
    except TimeoutError:
        print("follow-ups missing after 120 s")
    followups = fake.webhook_messages
    elapsed = time.perf_counter() - start
    latencies = sorted((acked[i] - t) * 1000 for i, t in sent.items())
    edits = [c for c in fake.callbacks if c["type"] == 7]
    private = [w for w in followups if int(w["body"].get("flags") or 0) & 64]
    print(f"members {members}, rate {rate:g}/s, wall {elapsed:.1f} s")
    print(
        f"router saw {len(answers)} members; edits {len(edits)}; private follow-ups {len(private)}"
    )
    print(
        f"ack ms: p50 {statistics.median(latencies):.1f}, "
        f"p99 {latencies[int(0.99 * (len(latencies) - 1))]:.1f}, max {latencies[-1]:.1f}"
    )
    print(f"last tally on the card: {edits[-1]['data']['embeds'][0]['fields'][0]['value']}")
    await adapter.stop()
    await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="presses a second")
    args = parser.parse_args()
    asyncio.run(run(args.members, args.rate))


if __name__ == "__main__":
    main()
