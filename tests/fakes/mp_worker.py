"""One delivery worker process for the multi-process test: what `k8stip run` does on each
tick (plan, claim, post, mark), against a shared database, posting to a FakeSink over HTTP.

It repeats passes for one instant until no delivery due by then is open, so rows claimed by
a process that died are picked up once their lease runs out.

    python -m tests.fakes.mp_worker DB_URL SINK_URL AT_ISO LEASE_SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from bot.config import DeliveryConfig
from bot.runtime.delivery import Deliverer, run_passes_until_done
from bot.runtime.store import Store
from tests.fakes.sink import SinkAdapter
from tests.fakes.tips import FakeTips


async def main(db_url: str, sink_url: str, at_iso: str, lease: float) -> int:
    store = Store.open(db_url)
    at = datetime.fromisoformat(at_iso)
    adapter = SinkAdapter(sink_url)
    settings = DeliveryConfig(concurrency=8, workspace_posts_per_second=0, lease_seconds=lease)
    deliverer = Deliverer(store, FakeTips(), {"sink": adapter}, settings)

    async def done() -> bool:
        return await asyncio.to_thread(store.open_deliveries, at) == 0

    results = await asyncio.wait_for(
        run_passes_until_done(deliverer, at, poll_seconds=0.5, done=done), timeout=120
    )
    await adapter.stop()
    store.close()
    counts: dict[str, int] = {}
    for r in results:
        key = f"{r.status}{'+reconciled' if r.reconciled else ''}"
        counts[key] = counts.get(key, 0) + 1
    sys.stdout.write(json.dumps({"worker": deliverer.worker, "results": counts}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))))
