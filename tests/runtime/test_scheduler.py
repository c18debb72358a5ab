"""The in-process clock (bot/scheduler.py): APScheduler 3 ticks run delivery passes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

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
