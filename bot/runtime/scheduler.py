"""APScheduler 3.x as the in-process clock: a tick every `delivery.tick_seconds` runs one
delivery pass. The job store is in memory on purpose: APScheduler's docs say a job store must
not be shared between processes, so replicas each tick and the database decides who posts.

A pass runs as a task of its own, outside the APScheduler job: the job only starts a pass when
none is running, so a pass longer than a tick never makes APScheduler log "maximum number of
running instances reached" on every tick; the scheduler says once that the pass is still going.

Stopping never cancels the job: APScheduler's asyncio executor cancels the job tasks it has
submitted and not yet run when it shuts down, and logs each as "Error running job" with a
CancelledError traceback (a SIGTERM the moment `run` has started hits that). The job only
starts a pass, so `_TickExecutor` lets it run, and it starts none once stopping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError

from bot.runtime.delivery import Deliverer

log = logging.getLogger(__name__)


class _TickExecutor(AsyncIOExecutor):  # type: ignore[misc]  # APScheduler 3 has no types
    """AsyncIOExecutor whose shutdown lets submitted job tasks finish (see the module note)."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[asyncio.Future[Any]] = []  # at shutdown, not yet finished

    def shutdown(self, wait: bool = True) -> None:
        self.submitted = [f for f in self._pending_futures if not f.done()]
        self._pending_futures.clear()


class DeliveryScheduler:
    def __init__(self, deliverer: Deliverer, tick_seconds: int) -> None:
        self.deliverer = deliverer
        self.tick_seconds = max(1, tick_seconds)
        self.executor = _TickExecutor()
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": self.executor},
            timezone=UTC,
        )
        self._stopping = False
        self._running: set[asyncio.Task[None]] = set()
        self._pass: asyncio.Task[None] | None = None  # the pass the job started last
        self._pass_started = 0.0
        self._said_still_running = False
        self.passes = 0

    def start(self) -> None:
        self.scheduler.add_job(
            self._on_tick,
            IntervalTrigger(seconds=self.tick_seconds, timezone=UTC),
            id="delivery-tick",
            next_run_time=datetime.now(UTC),  # one pass right away: catch up after a restart
            max_instances=1,  # the job returns at once (below), so this never binds
            coalesce=True,
            misfire_grace_time=self.tick_seconds,
        )
        self.scheduler.start()

    async def _on_tick(self) -> None:
        """The APScheduler job: start a pass unless one is running (then say so, once) or
        the scheduler is stopping."""
        if self._stopping:
            return
        if self._pass is not None and not self._pass.done():
            if not self._said_still_running:
                self._said_still_running = True
                log.info(
                    "delivery pass still running after %.0f s; the next starts when it ends",
                    time.monotonic() - self._pass_started,
                )
            return
        self._pass = asyncio.create_task(self.tick())
        self._running.add(self._pass)  # before it first runs, so `shutdown` waits for it
        self._pass.add_done_callback(self._running.discard)

    async def tick(self) -> None:
        """One delivery pass; logs its outcome and never raises."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        self._pass_started = time.monotonic()
        self._said_still_running = False
        try:
            results = await self.deliverer.run_pass()
            self.passes += 1
            if results:
                counts: dict[str, int] = {}
                for r in results:
                    counts[r.status] = counts.get(r.status, 0) + 1
                log.info("delivery pass: %s", ", ".join(f"{v} {k}" for k, v in counts.items()))
        except DBAPIError as e:
            # The database is down: nothing is lost, the next tick plans and posts it.
            log.warning("delivery pass skipped, database unavailable: %s", type(e).__name__)
        except Exception:
            log.exception("delivery pass failed; retrying on the next tick")
        finally:
            if task is not None:
                self._running.discard(task)

    async def shutdown(self, grace_seconds: float) -> None:
        """Stop ticking; let a pass in flight finish within `grace_seconds`, else cancel it (its
        claimed rows are released, or become claimable when their lease ends)."""
        self._stopping = True
        self.deliverer.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler applies shutdown on the loop's next turn
            if self.executor.submitted:  # job tasks that return at once (`_on_tick`, stopping)
                await asyncio.wait(self.executor.submitted, timeout=1.0)
        running = list(self._running)
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
