"""The console a browser test drives: the real `WebServer` of `bot.runtime.web` over a real
SQLite store, engine and router, served on 127.0.0.1 (a free port) from a thread of its own,
so the test's synchronous Playwright calls and the server's event loop never share a loop.

The store is seeded with a small world: subscriptions on Slack and Discord, deliveries of
every status over the 30 days before `NOW`, votes, a pending suggestion, and a tip whose text
is hostile (`<script>` and `{{ }}`), delivered in a channel so its page shows it.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.core.corpus import Corpus, Tip
from bot.core.engine import Engine
from bot.core.learning_model import VoteKind
from bot.runtime.router import Router
from bot.runtime.store import (
    FAILED,
    PAUSED,
    SENT,
    SKIPPED,
    DeliveryStatus,
    Store,
    Subscription,
    SubscriptionSpec,
)
from bot.runtime.web.auth import PasswordHash
from bot.runtime.web.context import WebContext
from bot.runtime.web.server import WebServer, engine_reader
from tests.core_support import TIPS_DIR
from tests.fakes.clock import FakeClock
from tests.fakes.databases import fresh_store
from tests.fakes.ledger import add_delivery
from tests.runtime.web.web_support import PASSWORD, console_config

__all__ = ["HOSTILE", "HOSTILE_ID", "NOW", "PASSWORD", "World", "serve_world"]

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a Friday
HOSTILE_ID = "hostile-01"
HOSTILE = "Beware <script>window.pwned=1</script> and {{ 7*7 }} in a tip."
SUGGESTION = "kubectl rollout undo deployment/web puts back the previous ReplicaSet."
WEEKDAYS = (1, 2, 3, 4, 5)
DAILY = (1, 2, 3, 4, 5, 6, 7)


@dataclass(frozen=True)
class World:
    """The served console: its address and what was seeded (to find it on the pages)."""

    base_url: str
    store: Store
    engine: Engine
    team: Subscription  # slack T1 #k8s-learning, posts the hostile tip
    community: Subscription  # discord G1 #daily-k8s
    paused: Subscription  # slack T1 #ops, paused by a chat admin
    suggestion_id: int


def _engine() -> Engine:
    """The bundled corpus plus one tip whose text is hostile."""
    bundled = Engine.from_paths([TIPS_DIR], use_cache=False).corpus
    first = bundled.tips[0]
    hostile = Tip(
        id=HOSTILE_ID,
        text=HOSTILE,
        source=first.source,
        topics=first.topics,
        chapter_number=first.chapter_number,
        chapter_title=first.chapter_title,
    )
    return Engine(
        Corpus(tips=[*bundled.tips, hostile], sources=bundled.sources, topics=bundled.topics)
    )


def _subscribe(
    store: Store,
    platform: str,
    workspace: str,
    channel: str,
    days: tuple[int, ...],
    topics: tuple[str, ...] = (),
) -> Subscription:
    spec = SubscriptionSpec(platform, workspace, channel, "09:00", "Europe/Amsterdam", days, topics)
    return store.upsert_subscription(spec, "chat", "U0", NOW - timedelta(days=60))


def seed(store: Store, engine: Engine) -> World:
    team = _subscribe(store, "slack", "T1", "k8s-learning", WEEKDAYS, ("networking",))
    community = _subscribe(store, "discord", "G1", "daily-k8s", DAILY)
    paused = _subscribe(store, "slack", "T1", "ops", WEEKDAYS)
    store.set_paused(paused.id, True, "paused by U9", NOW - timedelta(days=3))
    tips = [t.id for t in engine.corpus.tips if t.id != HOSTILE_ID]
    # 30 days of deliveries on each channel's days: mostly sent, some skipped, failed or paused.
    for back in range(1, 31):
        day = (NOW - timedelta(days=back)).date()
        for n, sub in enumerate((team, community, paused)):
            if day.isoweekday() not in sub.days:
                continue
            status: DeliveryStatus = SENT
            if sub is paused and back <= 3:
                status = PAUSED
            elif back % 9 == n:
                status = FAILED
            elif back % 7 == n:
                status = SKIPPED
            tip = tips[(back * 3 + n) % len(tips)] if status == SENT else None
            _deliver(store, sub, day, tip, status)
    _deliver(store, team, NOW.date(), HOSTILE_ID, SENT)
    voters = ("U1", "U2", "U3", "U4")
    for back in range(1, 15):
        tip = tips[(back * 3) % len(tips)]
        for i, member in enumerate(voters[: back % 4 + 1]):
            kind = (VoteKind.USEFUL, VoteKind.KNEW_IT, VoteKind.USEFUL, VoteKind.NOT_USEFUL)[i]
            at = NOW - timedelta(days=back, hours=-2)
            store.record_vote("slack", "T1", "k8s-learning", tip, member, kind, False, at)
    store.record_vote("slack", "T1", "k8s-learning", HOSTILE_ID, "U1", VoteKind.USEFUL, False, NOW)
    suggestion = store.add_suggestion(
        "discord", "G1", "daily-k8s", "U7", "Bea", SUGGESTION, ("deployments",), NOW, 5
    )
    return World("", store, engine, team, community, paused, suggestion.id)


def _deliver(
    store: Store, sub: Subscription, day: date, tip: str | None, status: DeliveryStatus
) -> None:
    add_delivery(
        store,
        day,
        tip,
        channel=(sub.platform, sub.workspace, sub.channel),
        status=status,
        at=time(8, 0),
        subscription_id=sub.id,
    )


@contextmanager
def serve_world(folder: Path) -> Iterator[World]:
    """Seed a fresh SQLite store under `folder` and serve the console over it until the
    block ends."""
    with fresh_store("sqlite", folder) as store:
        engine = _engine()
        world = seed(store, engine)
        config = console_config()
        clock = FakeClock(NOW)
        router = Router(engine, store, config, clock, random.Random(7))

        ctx = WebContext(
            store=store,
            engine=engine_reader(engine),
            handle=router.handle,
            settings=config.web,
            clock=clock.now,
            health=lambda: {"console": True, "slack": True, "discord": False},
            password=PasswordHash(PASSWORD),
            default_timezone=config.timezone,
        )
        with _served(ctx) as port:
            yield replace(world, base_url=f"http://127.0.0.1:{port}")


@contextmanager
def _served(ctx: WebContext) -> Iterator[int]:
    """Run `WebServer` on its own event loop in a daemon thread; yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="web-console", daemon=True)
    thread.start()
    server = WebServer(ctx, sock=sock)
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
        yield server.port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        sock.close()
