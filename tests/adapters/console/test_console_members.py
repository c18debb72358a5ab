"""Issue 13 on the console, end to end through the real Router, Store, CommunityEngine,
notifier and Deliverer: suggest → review → review edit (the form printed, `review save` typed)
→ approve (the author's direct message printed), subscribe me → a pass prints "(direct message
to …)", a request, history."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

from bot.adapters.console import ConsoleAdapter
from bot.config import DeliveryConfig, config_from_mapping
from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.delivery import Deliverer
from bot.runtime.notifier import AdapterNotifier
from bot.runtime.router import Router
from bot.runtime.store import SENT, Store
from tests.fakes.clock import FakeClock

TIP = (
    "Use kubectl rollout undo deployment/web to go back to the previous ReplicaSet of a Deployment"
)
EDITED = (
    "Run kubectl rollout undo deployment/web --to-revision=2 to return a Deployment to revision 2"
)
MONDAY = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 in Amsterdam
DUE = datetime(2026, 3, 30, 7, 0, 30, tzinfo=UTC)  # just past 09:00


async def test_the_members_flows_on_the_console(store: Store, engine: Engine) -> None:
    clock = FakeClock(MONDAY)
    config = config_from_mapping({"timezone": "Europe/Amsterdam"})
    community = CommunityEngine(engine, store, clock)
    notifier = AdapterNotifier()
    router = Router(community, store, config, clock, random.Random(3), notifier=notifier)
    out = io.StringIO()
    console = ConsoleAdapter(router.handle, out=out, interactive=False, user="ana")
    notifier.adapters["console"] = console
    deliverer = Deliverer(
        store, community, {"console": console}, DeliveryConfig(), clock, random.Random(1)
    )

    async def say(line: str) -> str:
        start = len(out.getvalue())
        await console.answer(line)
        return out.getvalue()[start:]

    queued = await say(f"/k8stip suggest {TIP} | deployments")
    assert "#1" in queued, queued
    listed = await say("/k8stip review")
    assert "1 suggested tip waits for review" in listed
    assert "[Approve #1: /k8stip review approve 1]" in listed, listed
    assert "[Edit #1: /k8stip review edit 1]" in listed
    form = await say("/k8stip review edit 1")
    assert "/k8stip review save 1" in form, form
    assert TIP in form and "deployments" in form
    saved = await say(f"/k8stip review save 1 {EDITED} | deployments")
    assert "Saved #1" in saved, saved
    approved = await say("/k8stip review approve 1")
    assert "(direct message to ana)" in approved and "approved" in approved, approved
    assert "Approved #1" in approved and "told by direct message" in approved
    found = await say("/k8stip search revision 2 rollout")
    assert "--to-revision=2" in found, found
    again = await say("/k8stip review approve 1")
    assert "already approved" in again, again

    mine = await say("/k8stip subscribe me 09:00 Europe/Amsterdam")
    assert "by direct message" in mine, mine
    await say("/k8stip subscribe 09:00 Europe/Amsterdam daily")
    clock.set(DUE)
    start = len(out.getvalue())
    results = await deliverer.run_pass()
    assert sorted(r.status for r in results) == [SENT, SENT]
    posted = out.getvalue()[start:]
    assert posted.count("(direct message to ana)") == 1, posted
    assert posted.count("[#console]") == 1, posted

    nothing = await say("/k8stip search zeppelin quasar")
    assert "[Request tips on this: /k8stip request zeppelin quasar]" in nothing, nothing
    asked = await say("/k8stip request zeppelin quasar")
    assert "zeppelin quasar" in asked, asked
    requests = await say("/k8stip requests")
    assert "Requested (1)" in requests and "zeppelin quasar" in requests, requests
    history = await say("/k8stip history")
    assert "The last 1 daily tip posted here" in history and "2026-03-30" in history, history
