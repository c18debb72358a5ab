"""HTTP-mode Slack adapter under load: signed slash commands at a fixed rate from another process.

    PYTHONPATH=. python bench/bench_slack_http.py [--rate 200] [--seconds 30]

The server process runs the real adapter (slack-bolt AsyncApp behind aiohttp, signature
check, admin lookup) against the fake Slack from tests/fakes on loopback, with a stand-in
router that returns a realistic tip card. A separate client process sends signed
`/k8stip` commands open-loop (request i is sent at t0 + i/rate whether or not earlier ones
have answered) and measures the time to the HTTP answer. Prints p50/p90/p99/max, errors,
and the server's resident memory over the run.

Target (issue 4): p99 <= 100 ms, no errors, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import cast
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECRET = "bench-signing-secret"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ----- server process ---------------------------------------------------------------------------


async def serve(port_out: mp.connection.Connection, stop_in: mp.connection.Connection) -> None:
    from bot.adapters.slack import SlackAdapter
    from bot.config import Secrets, config_from_mapping
    from bot.core.invocation import Invocation
    from bot.core.replies import Action, Reply, ReplyKind, TipCard
    from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

    fake = await FakeSlack().start()
    for i in range(50):
        fake.add_user(f"U{i:03d}", admin=(i == 0))
    card = TipCard(
        tip_id="hoka-ch10-007",
        text="Mount secrets from Azure Key Vault with the Secrets Store CSI driver & rotate "
        "them there. See https://learn.microsoft.com/azure/aks/csi-secrets-store-driver.",
        source="Hands-On Kubernetes on Azure, 2nd ed.",
        chapter="Ch. 10 Securing your AKS cluster",
        topics=("secrets", "security"),
        topic_titles=("Secrets", "Security"),
    )

    async def router(inv: Invocation) -> Reply:
        return Reply(
            kind=ReplyKind.TIP,
            text=card.text,
            cards=(card,),
            actions=(
                Action("Another tip", "tip secrets", "another"),
                Action("More on Secrets", "search secrets", "more"),
            ),
        )

    class NoEvents:
        async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
            return None

    import tempfile

    from tests.slack_support import migrated

    # HTTP mode keeps its replay ledger in the database: a fresh, migrated one per run.
    database = migrated(f"sqlite:///{tempfile.mkdtemp(prefix='k8stip-bench-')}/k8stip.db")
    config = config_from_mapping(
        {"database": database, "slack": {"mode": "http", "api_url": fake.api_url, "http_port": 0}}
    )
    secrets = Secrets({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET})
    adapter = SlackAdapter(config, secrets, router, NoEvents(), http_host="127.0.0.1")
    await adapter.start()
    samples: list[float] = [rss_mb()]
    port_out.send(adapter.http_port)
    loop = asyncio.get_running_loop()
    while not await loop.run_in_executor(None, stop_in.poll, 1.0):
        samples.append(rss_mb())
    samples.append(rss_mb())
    port_out.send({"rss_mb": samples, "slack_calls": len(fake.calls)})
    await adapter.stop()
    await fake.stop()


def server_main(port_out: mp.connection.Connection, stop_in: mp.connection.Connection) -> None:
    asyncio.run(serve(port_out, stop_in))


# ----- client process ---------------------------------------------------------------------------


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def load(port: int, rate: float, seconds: float, tag: str = "t") -> dict[str, object]:
    import aiohttp

    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    errors: dict[str, int] = {}
    total = int(rate * seconds)
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int) -> None:
            body = urlencode(
                {
                    "team_id": "T1",
                    "channel_id": "C_LEARN",
                    "user_id": f"U{i % 50:03d}",
                    "user_name": "bench",
                    "command": "/k8stip",
                    "text": "secrets",
                    "api_app_id": "A1",
                    "response_url": f"http://127.0.0.1:9/respond/{tag}{i}",
                    "trigger_id": f"{tag}{i}",  # unique: the adapter drops replays
                }
            )
            start = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=signed(body)) as resp:
                    payload = await resp.read()
                    elapsed = time.perf_counter() - start
                    if resp.status != 200 or b'"blocks"' not in payload:
                        key = f"HTTP {resp.status}"
                        errors[key] = errors.get(key, 0) + 1
                    else:
                        latencies.append(elapsed)
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
    return {"latencies": latencies, "errors": errors, "sent": total, "wall": wall}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="commands per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port_out, port_in = ctx.Pipe(duplex=False)
    stop_in, stop_out = ctx.Pipe(duplex=False)
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    server = ctx.Process(target=server_main, args=(port_in, stop_in), daemon=True)
    server.start()
    port = port_out.recv()
    # Warm-up (auth.test, the first users.info per user, import costs) is not measured.
    asyncio.run(load(port, rate=50, seconds=1, tag="warm"))
    result = asyncio.run(load(port, args.rate, args.seconds))
    stop_out.send(True)
    info = port_out.recv()
    server.join(timeout=10)

    lat = [x * 1000 for x in cast(list[float], result["latencies"])]
    rss = info["rss_mb"]
    print(
        f"sent {result['sent']} signed /k8stip commands at {args.rate:g}/s "
        f"over {result['wall']:.1f} s (loopback, client in a separate process)"
    )
    print(f"answered 200 with blocks: {len(lat)}   errors: {result['errors'] or 0}")
    if lat:
        print(
            f"time to HTTP answer ms: p50 {statistics.median(lat):.1f}  p90 {pct(lat, 0.90):.1f}  "
            f"p99 {pct(lat, 0.99):.1f}  max {max(lat):.1f}  mean {statistics.fmean(lat):.1f}"
        )
    third = max(1, len(rss) // 3)
    print(
        f"server RSS MB: start {rss[0]:.1f}  after first third {rss[third]:.1f}  "
        f"end {rss[-1]:.1f}  max {max(rss):.1f}  ({len(rss)} samples, 1/s)"
    )
    print(f"Web API calls the adapter made to the fake Slack: {info['slack_calls']}")
    ok = bool(lat) and not result["errors"] and pct(lat, 0.99) <= 100.0
    print("target p99 <= 100 ms, no errors:", "MET" if ok else "NOT MET")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
