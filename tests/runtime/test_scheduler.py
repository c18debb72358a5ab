"""The in-process clock (bot/runtime/scheduler.py): APScheduler 3 ticks run delivery passes."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.config import DeliveryConfig
from bot.runtime.delivery import Deliverer, DeliveryResult
from bot.runtime.scheduler import DeliveryScheduler
from tests.fakes.databases import fresh_store
from tests.fakes.recording import RecordingAdapter
from tests.fakes.tips import FakeTips


class ScriptedDeliverer(Deliverer):
    """A real Deliverer whose passes first fail as if the database were down."""

    outages = 2
    calls = 0

    async def run_pass(self, at: datetime | None = None) -> list[DeliveryResult]:
        self.calls += 1
        if self.outages:
            self.outages -= 1
            raise OperationalError("SELECT", {}, ConnectionError("connection refused"))
        return await super().run_pass(at)


@pytest.fixture
def deliverer(tmp_path: Path) -> Iterator[ScriptedDeliverer]:
    with fresh_store("sqlite", tmp_path) as store:
        yield ScriptedDeliverer(
            store,
            FakeTips(),
            {"console": RecordingAdapter()},
            DeliveryConfig(),
            rng=random.Random(0),
        )


async def test_a_tick_survives_the_database_being_down_and_the_next_one_runs(
    deliverer: ScriptedDeliverer,
) -> None:
    sched = DeliveryScheduler(deliverer, tick_seconds=30)
    await sched.tick()
    await sched.tick()
    assert sched.passes == 0 and deliverer.calls == 2
    await sched.tick()
    assert sched.passes == 1


async def test_the_scheduler_keeps_one_in_memory_job_that_never_overlaps(
    deliverer: ScriptedDeliverer,
) -> None:
    """APScheduler holds one job in its in-memory store, with one instance at a time and missed runs
    coalesced; the first pass runs at once, and shutdown stops the deliverer."""
    deliverer.outages = 0
    sched = DeliveryScheduler(deliverer, tick_seconds=30)
    sched.start()
    [job] = sched.scheduler.get_jobs()
    assert job.max_instances == 1 and job.coalesce
    assert type(sched.scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
    for _ in range(100):  # the first pass runs right away
        if sched.passes:
            break
        await asyncio.sleep(0.02)
    assert sched.passes == 1
    await sched.shutdown(grace_seconds=1)
    assert not sched.scheduler.running
    assert deliverer._stopping


class SlowDeliverer(ScriptedDeliverer):
    """A pass that lasts until the test lets it end, like a fan-out to thousands of channels."""

    outages = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = asyncio.Event()

    async def run_pass(self, at: datetime | None = None) -> list[DeliveryResult]:
        self.calls += 1
        await self.release.wait()
        return []


async def test_a_pass_longer_than_a_tick_logs_one_line_not_one_per_tick(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """APScheduler logged "maximum number of running instances reached" on every tick of a
    long pass. Now the job only starts a pass when none runs, and says once that it still
    runs. Real ticks: APScheduler's interval is whole seconds, so this takes about 3 s."""
    caplog.set_level(logging.DEBUG)
    with fresh_store("sqlite", tmp_path) as store:
        slow = SlowDeliverer(store, FakeTips(), {"console": RecordingAdapter()}, DeliveryConfig())
        sched = DeliveryScheduler(slow, tick_seconds=1)
        ticks = 0
        on_tick = sched._on_tick

        async def counted() -> None:
            nonlocal ticks
            ticks += 1
            await on_tick()

        sched._on_tick = counted  # type: ignore[method-assign]
        sched.start()
        try:
            for _ in range(100):  # the first tick at once, then one a second
                if ticks >= 4:
                    break
                await asyncio.sleep(0.1)
            assert ticks >= 4 and slow.calls == 1
            slow.release.set()
            for _ in range(50):
                if sched.passes:
                    break
                await asyncio.sleep(0.02)
            assert sched.passes == 1
        finally:
            slow.release.set()
            await sched.shutdown(grace_seconds=1)
    lines = [r.getMessage() for r in caplog.records]
    assert not [m for m in lines if "maximum number of running instances" in m]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    still = [m for m in lines if "still running" in m]
    assert len(still) == 1 and still[0].startswith("delivery pass still running after ")


async def test_shutdown_waits_for_a_pass_the_job_started(deliverer: ScriptedDeliverer) -> None:
    deliverer.outages = 0
    sched = DeliveryScheduler(deliverer, tick_seconds=30)
    await sched._on_tick()  # starts the pass as its own task
    await sched.shutdown(grace_seconds=5)
    assert sched.passes == 1


async def test_a_stop_right_after_the_start_logs_no_error(
    deliverer: ScriptedDeliverer, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM the moment `run` has started its scheduler: APScheduler submits the first
    tick's job on the loop's next turn, and applies the shutdown on the one after, before that
    job's task ran. The job is let finish instead of being cancelled (which APScheduler logs as
    "Error running job" with a CancelledError traceback); no pass starts once stopping."""
    deliverer.outages = 0
    sched = DeliveryScheduler(deliverer, tick_seconds=30)
    sched.start()
    await sched.shutdown(grace_seconds=5)
    for _ in range(3):  # whatever the loop still had to run
        await asyncio.sleep(0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert sched.passes == 0 and deliverer.calls == 0
