"""A whole channel pressing the feedback and quiz buttons of one card (issue 12), HTTP mode.

    PYTHONPATH=. python bench/bench_slack_presses.py [--members 1000] [--seconds 60]

The server process runs the real adapter (HTTP mode: signature check, replay ledger, admin
lookup) with a stand-in router that keeps one vote per member and counts quiz answers,
answering each quiz answer with a `source_update` (the card's new tally); the fake Slack from
tests/fakes runs in a process of its own, as Slack's work is not the adapter's. Before the run
the adapter posts a quiz card in the channel. The client process then sends, open-loop over
`--seconds`, one signed vote press and one signed quiz-answer press per member (press i at
t0 + i/rate whether or not earlier ones have answered) and measures the time to the HTTP
acknowledgement. Then the fake waits for every private answer to reach its response_urls and
for the card's last edit, and reports what arrived.

Target (issue 12): no vote lost, p99 acknowledgement under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_slack_http import SECRET, pct, rss_mb, signed

VOTES = ("useful", "not_useful", "knew_it")
TIP = "hoka-ch10-007"
QID = f"{TIP}~secrets"


# ----- the fake Slack, in a process of its own (Slack's work is not the adapter's) -------------


async def serve_fake(conn: mp.connection.Connection, members: int) -> None:
    from bot.core.replies import tally_line
    from tests.fakes.slack_api import FakeSlack

    fake = await FakeSlack().start()
    fake.add_channel("C_LEARN")
    for i in range(members):
        fake.add_user(f"U{i:05d}")
    conn.send((fake.api_url, fake.base))
    loop = asyncio.get_running_loop()
    expected = await loop.run_in_executor(None, conn.recv)  # the client is done sending
    t0 = time.perf_counter()
    final = tally_line(members, members)

    def card() -> str:
        messages = fake.channels["C_LEARN"].messages
        return json.dumps(messages[0]["blocks"], ensure_ascii=False) if messages else ""

    with contextlib.suppress(TimeoutError):  # reported below as what did arrive
        await fake.wait_for(lambda: len(fake.responses) >= expected and final in card(), within=60)
    conn.send(
        {
            "responses": len(fake.responses),
            "private": sum(1 for _, b in fake.responses if b.get("response_type") == "ephemeral"),
            "chat_update": len(fake.calls_to("chat.update")),
            "chat_post": len(fake.calls_to("chat.postMessage")),
            "users_info": len(fake.calls_to("users.info")),
            "final_tally_shown": final in card(),
            "settle_s": time.perf_counter() - t0,
        }
    )
    await loop.run_in_executor(None, conn.recv)
    await fake.stop()


def fake_main(conn: mp.connection.Connection, members: int) -> None:
    asyncio.run(serve_fake(conn, members))


# ----- server process: the adapter and a stand-in router ----------------------------------------


def quiz(tally: str) -> Any:
    from bot.core.replies import Action, QuizCard, Reply, ReplyKind, Visibility

    card = QuizCard(
        question_id=QID,
        tip_id=TIP,
        prompt="Don't put ______ in env vars: mount them from Azure Key Vault.",
        choices=tuple(
            Action(label, f"quiz-answer {QID} {i}", "quiz")
            for i, label in enumerate(("ConfigMaps", "Secrets", "Volumes"))
        ),
        source="Hands-On Kubernetes on Azure, 2nd ed.",
        tally=tally,
    )
    return Reply(ReplyKind.QUIZ, card.prompt, quiz=card, visibility=Visibility.CHANNEL)


async def serve(conn: mp.connection.Connection, api_url: str) -> None:
    import tempfile

    from bot.adapters.slack import SlackAdapter
    from bot.config import Secrets, config_from_mapping
    from bot.core.invocation import Invocation
    from bot.core.replies import Reply, ReplyKind, tally_line
    from bot.ports import Target
    from tests.fakes.slack_api import BOT_TOKEN
    from tests.slack_support import migrated

    votes: dict[str, str] = {}
    answers: dict[str, bool] = {}

    async def router(inv: Invocation) -> Reply:
        verb, *rest = inv.text.split()
        if verb == "vote":
            votes[inv.user] = rest[0]  # a new press replaces the member's vote
            return Reply(ReplyKind.INFO, f"Noted: {rest[0]}.")
        answers.setdefault(inv.user, rest[-1] == "1")  # one answer per member per question
        tally = tally_line(len(answers), sum(answers.values()))
        text = "Right!" if answers[inv.user] else "Not quite."
        return Reply(ReplyKind.INFO, text, source_update=quiz(tally))

    class NoEvents:
        async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
            return None

    database = migrated(f"sqlite:///{tempfile.mkdtemp(prefix='k8stip-presses-')}/k8stip.db")
    config = config_from_mapping(
        {"database": database, "slack": {"mode": "http", "api_url": api_url, "http_port": 0}}
    )
    secrets = Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET})
    adapter = SlackAdapter(config, secrets, router, NoEvents(), http_host="127.0.0.1")
    await adapter.start()
    ts = await adapter.post(Target("slack", "T1", "C_LEARN"), quiz(""), "bench-delivery")
    rss = [rss_mb()]
    conn.send((adapter.http_port, ts))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # the fake has seen everything arrive
    rss.append(rss_mb())
    await adapter.stop()
    conn.send({"votes": len(votes), "answers": len(answers), "rss_mb": rss})


def server_main(conn: mp.connection.Connection, api_url: str) -> None:
    asyncio.run(serve(conn, api_url))


# ----- client process ---------------------------------------------------------------------------


def press_body(i: int, fake_base: str, ts: str) -> str:
    member = i // 2
    if i % 2 == 0:
        value, action_id = f"vote {VOTES[member % 3]} {TIP}", f"k8stip:vote:{member % 3}"
    else:
        value, action_id = f"quiz-answer {QID} 1", "k8stip:quiz:1"
    payload: dict[str, Any] = {
        "type": "block_actions",
        "api_app_id": "A1",
        "team": {"id": "T1", "domain": "fake"},
        "user": {"id": f"U{member:05d}", "username": "m", "name": "m", "team_id": "T1"},
        "channel": {"id": "C_LEARN", "name": "k8s-learning"},
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": "C_LEARN",
            "is_ephemeral": False,
        },
        "trigger_id": f"p{i}",
        "response_url": f"{fake_base}/respond/p{i}",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": f"{i}.1",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def load(port: int, fake_base: str, ts: str, total: int, seconds: float) -> dict[str, Any]:
    import aiohttp

    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    errors: dict[str, int] = {}
    rate = total / seconds
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int) -> None:
            body = press_body(i, fake_base, ts)
            start = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=signed(body)) as resp:
                    await resp.read()
                    if resp.status == 200:
                        latencies.append(time.perf_counter() - start)
                    else:
                        errors[f"HTTP {resp.status}"] = errors.get(f"HTTP {resp.status}", 0) + 1
            except Exception as e:  # a benchmark counts every failure kind
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1

        t0 = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "wall": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members pressing")
    parser.add_argument("--seconds", type=float, default=60.0, help="over how long")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    fake_conn, fake_child = ctx.Pipe()
    fake = ctx.Process(target=fake_main, args=(fake_child, args.members), daemon=True)
    fake.start()
    api_url, fake_base = fake_conn.recv()
    conn, child = ctx.Pipe()
    server = ctx.Process(target=server_main, args=(child, api_url), daemon=True)
    server.start()
    port, ts = conn.recv()
    total = 2 * args.members
    result = asyncio.run(load(port, fake_base, ts, total, args.seconds))
    fake_conn.send(total)
    slack = fake_conn.recv()
    conn.send("stop")
    info = conn.recv()
    fake_conn.send("stop")
    server.join(timeout=10)
    fake.join(timeout=10)

    lat = [x * 1000 for x in cast(list[float], result["latencies"])]
    print(
        f"{args.members} members, one vote and one quiz answer each: {total} signed presses "
        f"over {result['wall']:.1f} s (loopback; client, adapter and fake Slack in three processes)"
    )
    print(f"acknowledged 200: {len(lat)}   errors: {result['errors'] or 0}")
    if lat:
        print(
            f"time to acknowledgement ms: p50 {statistics.median(lat):.1f}  "
            f"p90 {pct(lat, 0.90):.1f}  p99 {pct(lat, 0.99):.1f}  max {max(lat):.1f}"
        )
    print(
        f"router: votes from {info['votes']} members, quiz answers from {info['answers']}; "
        f"private answers at the response_urls: {slack['private']} of {slack['responses']} "
        f"(all in within {slack['settle_s']:.1f} s after the last press)"
    )
    print(
        f"card edits (chat.update): {slack['chat_update']} for {args.members} answers; "
        f"final tally shown: {slack['final_tally_shown']}; chat.postMessage: {slack['chat_post']} "
        f"(the quiz card itself); users.info: {slack['users_info']}"
    )
    rss = info["rss_mb"]
    print(f"adapter RSS MB: before {rss[0]:.1f}  after the presses {rss[-1]:.1f}")
    ok = (
        bool(lat)
        and not result["errors"]
        and info["votes"] == info["answers"] == args.members
        and slack["private"] == total
        and slack["final_tally_shown"]
        and pct(lat, 0.99) < 100.0
    )
    verdict = "MET" if ok else "NOT MET"
    print("target: no press lost, every answer private, p99 ack < 100 ms:", verdict)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
