"""The pass that ties delivery together: plan, claim in batches, post with a window of
deliveries in flight, mark; and `run_passes_until_done` for workers that repeat passes."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.config import DeliveryConfig
from bot.core.learning import DEFAULT_SETTINGS, LearningSettings
from bot.ports import Adapter, Clock, DeliveryObserver, Target, TipSource
from bot.runtime.clock import SystemClock
from bot.runtime.delivery.attempt import Poster, PostPolicy
from bot.runtime.delivery.content import Contents
from bot.runtime.delivery.leases import Leases, worker_id
from bot.runtime.delivery.planning import plan_for, planned_since
from bot.runtime.delivery.results import (
    DeliveryResult,
    result_from_plan,
    result_of,
    taken_over,
)
from bot.runtime.delivery.retries import gave_up_note
from bot.runtime.delivery.store_calls import StoreCalls
from bot.runtime.delivery.tip_choice import tips_for_claim
from bot.runtime.store import (
    FAILED,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    Delivery,
    DeliveryStatus,
    Store,
    Subscription,
)

log = logging.getLogger(__name__)

CLAIM_BATCH = 500


class Deliverer:
    """Runs delivery passes for the platforms it has adapters for.

    `clock`, `rng` and `worker` default to the wall clock, a fresh random source and this
    host and process; tests pass their own. `learning`: how votes steer the daily pick
    (`learning.*` in the config).
    """

    def __init__(
        self,
        store: Store,
        tips: TipSource,
        adapters: Mapping[str, Adapter],
        settings: DeliveryConfig,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        worker: str | None = None,
        *,
        observer: DeliveryObserver | None = None,
        learning: LearningSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.store = store
        self.tips = tips
        self.adapters = dict(adapters)
        self.settings = settings
        self.clock = clock or SystemClock()
        rng = rng or random.Random()
        self.db = StoreCalls(self.clock, rng, settings.lease_seconds)
        self.leases = Leases(
            store, self.db, self.clock, worker or worker_id(), settings.lease_seconds
        )
        self.poster = Poster(
            store=store,
            db=self.db,
            leases=self.leases,
            policy=PostPolicy.from_config(settings),
            clock=self.clock,
            rng=rng,
            observer=observer,
        )
        self.learning = learning
        self.contents = Contents(store, self.db, tips, learning)
        self._stopping = False
        self.last_pass_at: datetime | None = None

    @property
    def worker(self) -> str:
        """Who this deliverer claims rows as."""
        return self.leases.worker

    @worker.setter
    def worker(self, value: str) -> None:
        self.leases.worker = value

    def stop(self) -> None:
        """Finish the posts in flight, claim nothing new."""
        self._stopping = True

    def unauthorized(self) -> dict[str, str]:
        """Platform -> reason, for each adapter whose credentials the platform rejects now
        (readiness reports them; their posts wait, nothing is paused)."""
        return self.poster.auth.unauthorized()

    @property
    def late_after(self) -> timedelta:
        """A post this overdue when its pass starts is a catch-up post: before its first
        attempt the channel is searched for it (a restored or wiped database forgets posts
        that did go out). Two ticks, at least a minute: on-time posts pay no lookup."""
        return timedelta(seconds=max(60.0, 2.0 * self.settings.tick_seconds))

    async def run_pass(self, at: datetime | None = None) -> list[DeliveryResult]:
        """One pass for the instant `at` (default now): plan, then claim and post until
        nothing claimable is left."""
        at = at or self.clock.now()
        catch_up = timedelta(hours=self.settings.catch_up_hours)
        results: list[DeliveryResult] = []
        subs = await self.db.run(self.store.list_subscriptions)
        planned = plan_for(subs, at, catch_up)
        if planned:
            since = planned_since(at, catch_up)
            existing = await self.db.run(
                self.store.existing_delivery_dates, since, {p.subscription.id for p in planned}
            )
            new = [p for p in planned if (p.subscription.id, p.local_date) not in existing]
            if new:
                await self.db.run(self.store.plan_deliveries, new, self.clock.now())
            results += [result_from_plan(p) for p in new if p.status != PLANNED]
        subs_by_id = {s.id: s for s in subs}
        results += await self._claim_and_post(at, subs_by_id)
        self.last_pass_at = at
        return results

    async def _claim_and_post(
        self, at: datetime, subs_by_id: dict[int, Subscription]
    ) -> list[DeliveryResult]:
        """Keep `concurrency` deliveries in flight. The next batch is claimed while the
        current one posts, so a slow claim never leaves the pipeline empty; stops when
        nothing claimable is left (or we are stopping)."""
        platforms = list(self.adapters)
        window = max(1, self.settings.concurrency)
        refill = max(1, window // 2)
        choose = tips_for_claim(self.tips.corpus, subs_by_id, self.learning)
        results: list[DeliveryResult] = []
        buffer: deque[Delivery] = deque()
        pending: set[asyncio.Task[DeliveryResult]] = set()
        claim: asyncio.Task[list[Delivery]] | None = None
        exhausted = not platforms
        while True:
            if self._stopping and buffer:
                await self._release_unstarted(buffer)
            ahead = len(buffer) + len(pending)
            # Top up only once there is room for at least half a window: a claim costs about
            # the same for 5 rows as for 200, so many tiny claims only burn CPU.
            room = 2 * window - ahead
            if claim is None and not exhausted and not self._stopping and room >= refill:
                claim = asyncio.create_task(
                    self.db.run(
                        self.store.claim_deliveries,
                        at,
                        self.clock.now(),
                        self.worker,
                        self.leases.seconds,
                        min(CLAIM_BATCH, room),
                        platforms,
                        choose,
                    )
                )
            while buffer and len(pending) < window:
                pending.add(asyncio.create_task(self._guarded(buffer.popleft(), subs_by_id, at)))
            self.poster.marks.in_flight = len(pending)
            waiting: set[asyncio.Future[Any]] = set(pending)
            if claim is not None:
                waiting.add(claim)
            if not waiting:
                return results
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if claim is not None and claim in done:
                try:
                    batch = claim.result()
                except DBAPIError as e:
                    log.warning("claiming failed (%s); finishing what is in flight", e)
                    batch = []
                claim = None
                exhausted = not batch
                buffer.extend(batch)
            for task in pending & done:
                pending.discard(task)
                results.append(task.result())

    async def _release_unstarted(self, buffer: deque[Delivery]) -> None:
        """Stopping: give claimed rows we never started back, for another process."""
        while buffer:
            d = buffer.popleft()
            try:
                await self.db.run(self.store.release, d.id, self.worker, 0, "", self.clock.now())
            except DBAPIError:
                log.warning("could not release delivery %s; its lease will expire", d.key)

    async def _guarded(
        self, d: Delivery, subs_by_id: dict[int, Subscription], at: datetime
    ) -> DeliveryResult:
        try:
            return await self._deliver_or_release(d, subs_by_id, at)
        finally:
            self.leases.forget(d.id)

    async def _deliver_or_release(
        self, d: Delivery, subs_by_id: dict[int, Subscription], at: datetime
    ) -> DeliveryResult:
        try:
            return await self.deliver(d, subs_by_id.get(d.subscription_id), at)
        except asyncio.CancelledError:
            # Shutting down mid-post: hand the row back so another process can take it
            # (if the post did land, that claimer finds it before posting again).
            try:
                self.store.release(d.id, self.worker, 0, "interrupted", self.clock.now())
            except DBAPIError:
                log.warning("could not release delivery %s; its lease will expire", d.id)
            raise
        except DBAPIError as e:
            log.error("delivery %s: database error, left for lease expiry: %s", d.key, e)
            return result_of(d, FAILED, d.tip_id, error="database unavailable")

    async def _final_without_post(
        self, d: Delivery, status: DeliveryStatus, why: str
    ) -> DeliveryResult:
        await self.db.retry(self.store.mark_final, d.id, status, why, 0, self.clock.now())
        return result_of(d, status, d.tip_id, error=why)

    async def deliver(self, d: Delivery, sub: Subscription | None, at: datetime) -> DeliveryResult:
        """Post one claimed delivery and mark the outcome."""
        if sub is None:
            sub = await self.db.run(self.store.get_subscription_by_id, d.subscription_id)
        if sub is None:
            return await self._final_without_post(d, SKIPPED, "unsubscribed")
        if sub.paused:
            return await self._final_without_post(d, PAUSED, sub.paused_reason)
        if sub.snoozed_at(d.due_at):  # snoozed after this row was planned
            return await self._final_without_post(d, SKIPPED, "snoozed")
        adapter = self.adapters[d.platform]
        target = Target(d.platform, d.workspace, d.channel)

        if d.prior_tip and d.tip_id is not None:
            # An earlier claimer chose this tip and may have posted it before it died.
            found = await self.poster.find(adapter, target, d)
            if found is not None:
                return await self.poster.sent(d, sub, d.tip_id, found, 0, at, reconciled=True)

        if d.due_at < at - timedelta(hours=self.settings.catch_up_hours):
            # Never posted late. A row that was tried and kept failing is a failure, one the
            # process simply never reached in time is a skip.
            if d.attempts or d.last_error:
                status, note = FAILED, gave_up_note(d, self.settings.catch_up_hours)
            else:
                status, note = SKIPPED, f"missed: more than {self.settings.catch_up_hours:g} h late"
            await self.db.retry(self.store.mark_final, d.id, status, note, 0, self.clock.now())
            return result_of(d, status, d.tip_id, attempts=d.attempts, error=note)

        c = await self.contents.for_row(d, sub, self.clock.now())
        tip_id, reply = c.tip_id, c.reply
        if tip_id is None or reply is None:
            why = f"no tips match the topic filter {','.join(sub.topics) or '(all)'}"
            await self.db.retry(self.store.mark_final, d.id, FAILED, why, 0, self.clock.now())
            self.poster.failed(d.platform, "no_tips")
            return result_of(d, FAILED, None, error=why)
        if c.chosen_now:  # recorded before posting, so a reconciling claimer knows what went out
            lease_end = self.leases.end()
            still_ours = await self.db.retry(
                self.store.set_delivery_tip, d.id, tip_id, self.worker, lease_end, self.clock.now()
            )
            self.leases.note(d.id, lease_end)
        else:
            # Freshly claimed rows don't ask the database again; see Leases.ensure.
            self.leases.note(d.id, d.lease_until or self.clock.now())
            still_ours = await self.leases.ensure(d, 0.0)
        if not still_ours:
            return taken_over(d)
        if not d.prior_tip and at - d.due_at > self.late_after:
            found = await self.poster.find(adapter, target, d)
            if found is not None:
                return await self.poster.sent(d, sub, tip_id, found, 0, at, reconciled=True)
        result = await self.poster.post(adapter, target, d, sub, tip_id, reply, at)
        if c.quiz is not None and result.status == SENT and result.message_id:
            # So the tally of answers can be updated in place on the posted message.
            await self.db.retry(
                self.store.set_quiz_message_ref, c.quiz.posting_id, result.message_id
            )
        return result


async def run_passes_until_done(
    deliverer: Deliverer, at: datetime, poll_seconds: float, done: Callable[[], Awaitable[bool]]
) -> list[DeliveryResult]:
    """Repeat passes until `done()` (used by workers that must also pick up rows left by a
    dead process once their lease runs out)."""
    results: list[DeliveryResult] = []
    while True:
        results += await deliverer.run_pass(at)
        if await done():
            return results
        await deliverer.clock.sleep(poll_seconds)
