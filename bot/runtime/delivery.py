"""Daily posts, once per channel per local day: plan -> claim -> commit -> post -> mark.

1. plan: for every subscription, the posts due in the look-back window become ledger rows
   (UNIQUE per subscription and local date; replicas planning at once insert nothing twice).
2. claim: a batch of due rows is claimed with a lease and committed before anything is posted.
3. post through the platform's Adapter, with the delivery key attached for reconciliation.
4. mark: sent (with the message id), failed, skipped or paused; the tip joins channel history.

Errors from `Adapter.post` decide what happens next: `RateLimited` waits its Retry-After,
`TransientError` backs off exponentially with jitter up to `max_attempts`, `AmbiguousError`
asks `find_posted` before trying again, `PermanentError` pauses the subscription with the
reason. A row whose claimer died is claimable again after its lease; the new claimer looks
for the earlier post (`find_posted`) before posting, so a crash between post and mark does
not post twice on platforms that can tell.

The clock and the random source are injected: tests drive time by hand and never sleep.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.config import DeliveryConfig
from bot.core.corpus import Corpus, Tip
from bot.core.picker import candidates_for, choose_daily_tip, choose_for
from bot.core.replies import Reply, TipCard
from bot.core.wording import daily_reply
from bot.ports import (
    Adapter,
    AmbiguousError,
    Clock,
    PermanentError,
    PostError,
    RateLimited,
    Target,
    TransientError,
)
from bot.runtime.clock import SystemClock
from bot.runtime.store import (
    FAILED,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    ChannelKey,
    ChooseTips,
    Delivery,
    PlannedDelivery,
    SentMark,
    Store,
    Subscription,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

CLAIM_BATCH = 500
REPLY_CACHE_SIZE = 4096  # rendered daily posts kept per corpus
GROUP_COMMIT_BATCH = 200  # a flush with this many marks waiting goes at once
GROUP_COMMIT_LINGER = 0.02  # seconds a small flush waits for more marks while posts are in flight
MAX_RATE_LIMITED = 20  # 429s in a row for one post before it counts as a failure


class TipSource(Protocol):
    """What delivery needs from the engine (`bot.core.engine.Engine` has both)."""

    @property
    def corpus(self) -> Corpus: ...

    def card(self, tip: Tip, score: float | None = None) -> TipCard: ...


class DeliveryObserver(Protocol):
    """Metrics hooks (bot.runtime.health.Metrics implements them)."""

    def delivery_sent(self, platform: str, lag_seconds: float, at: datetime) -> None: ...

    def delivery_failed(self, platform: str, reason: str) -> None: ...


@dataclass(frozen=True)
class DeliveryResult:
    """One delivery a pass handled; `k8stip deliver --json` prints these."""

    platform: str
    workspace: str
    channel: str
    tip_id: str | None
    status: str  # sent | skipped | failed | paused
    local_date: str
    due_at: str
    subscription_id: int
    attempts: int = 0
    error: str = ""
    message_id: str | None = None
    reconciled: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "workspace": self.workspace,
            "channel": self.channel,
            "tip_id": self.tip_id,
            "status": self.status,
            "local_date": self.local_date,
            "due_at": self.due_at,
            "subscription_id": self.subscription_id,
            "attempts": self.attempts,
            "error": self.error,
            "message_id": self.message_id,
            "reconciled": self.reconciled,
        }


def worker_id() -> str:
    """Who holds a claim: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with 'equal jitter': in [d/2, d], d = min(cap, base * 2^(n-1))."""
    d = min(cap, base * (2 ** max(0, attempt - 1)))
    return rng.uniform(d / 2, d)


def plan_for(subs: list[Subscription], at: datetime, catch_up: timedelta) -> list[PlannedDelivery]:
    """Ledger rows for every post due in the look-back window ending at `at`.

    Posts later than the catch-up window become SKIPPED rows (recorded, never posted late);
    a paused subscription's posts become PAUSED rows. Pure: the store decides what's new.
    """
    start = at - catch_up - timedelta(hours=26)
    late = at - catch_up
    note = f"missed: more than {_hours(catch_up)} late (delivery.catch_up_hours)"
    # Most subscriptions share a handful of schedules (the default time and days): work out
    # each distinct schedule's occurrences once, not once per subscription.
    occurrences: dict[tuple[str, str, tuple[int, ...]], list[tuple[date, datetime]]] = {}
    out: list[PlannedDelivery] = []
    for sub in subs:
        key = (sub.time, sub.timezone, sub.days)
        due_dates = occurrences.get(key)
        if due_dates is None:
            due_dates = occurrences[key] = sub.schedule.occurrences(start, at)
        for local_date, due in due_dates:
            if sub.active_from is not None and due < sub.active_from:
                continue
            if sub.paused:
                out.append(PlannedDelivery(sub, local_date, due, PAUSED, sub.paused_reason))
            elif due < late:
                out.append(PlannedDelivery(sub, local_date, due, SKIPPED, note))
            else:
                out.append(PlannedDelivery(sub, local_date, due, PLANNED))
    return out


def _hours(td: timedelta) -> str:
    h = td.total_seconds() / 3600
    return f"{h:g} h"


class WorkspaceLimiter:
    """Spaces posts to one workspace so a fan-out does not trip the platform's limits."""

    def __init__(self, per_second: float, clock: Clock) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self._next: dict[tuple[str, str], float] = {}

    async def acquire(self, platform: str, workspace: str) -> None:
        if self.interval <= 0:
            return
        key = (platform, workspace)
        now = self.clock.now().timestamp()
        slot = max(now, self._next.get(key, now))
        self._next[key] = slot + self.interval
        if slot > now:
            await self.clock.sleep(slot - now)

    def push_back(self, platform: str, workspace: str, seconds: float) -> None:
        """After a 429, hold the whole workspace back, not just the one post."""
        key = (platform, workspace)
        until = self.clock.now().timestamp() + seconds
        self._next[key] = max(self._next.get(key, 0.0), until)


class _GroupCommit:
    """Marks posts sent in batches: while one transaction commits, the next marks gather.

    A fan-out of thousands of posts then costs tens of transactions, not thousands. A crash
    before a batch commits leaves its rows claimed; after the lease, the next claimer finds
    the posts (`find_posted`) and marks them without posting again.
    """

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self.queue: list[tuple[SentMark, asyncio.Future[None]]] = []
        self.flusher: asyncio.Task[None] | None = None
        self.in_flight = 0  # deliveries of the running pass not finished yet (may mark soon)

    async def mark(self, mark: SentMark) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append((mark, fut))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())
        await asyncio.shield(fut)

    async def _flush(self) -> None:
        while self.queue:
            if len(self.queue) < GROUP_COMMIT_BATCH and self.in_flight - len(self.queue) >= 8:
                # Posts finish a few at a time, so a flush started at once commits a handful
                # of rows; with more posts about to finish, wait briefly (like PostgreSQL's
                # commit_delay): one transaction for many instead of thousands of tiny ones.
                await asyncio.sleep(GROUP_COMMIT_LINGER)
            batch, self.queue = self.queue, []
            try:
                await self.deliverer._db_retry(
                    self.deliverer.store.mark_sent_many, [m for m, _ in batch]
                )
            except Exception as e:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)


class Deliverer:
    """Runs delivery passes for the platforms it has adapters for."""

    def __init__(
        self,
        store: Store,
        tips: TipSource,
        adapters: Mapping[str, Adapter],
        settings: DeliveryConfig,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        worker: str | None = None,
        observer: DeliveryObserver | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.tips = tips
        self.adapters = dict(adapters)
        self.settings = settings
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.worker = worker or worker_id()
        self.observer = observer
        self.lease_seconds = lease_seconds if lease_seconds is not None else settings.lease_seconds
        self.limiter = WorkspaceLimiter(settings.workspace_posts_per_second, self.clock)
        self._marks = _GroupCommit(self)
        self._leases: dict[int, datetime] = {}  # delivery id -> our claim's lease end
        self._replies: dict[tuple[str, tuple[str, ...]], Reply] = {}  # see reply_for
        self._reply_corpus: Corpus | None = None
        self._stopping = False
        self.last_pass_at: datetime | None = None

    def stop(self) -> None:
        """Finish the posts in flight, claim nothing new."""
        self._stopping = True

    async def _db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _db_retry(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A store call that must not be lost (marking a post): retry while the database is
        down, for up to half a lease; after that the lease expiry and reconciliation take over."""
        waited, attempt = 0.0, 0
        while True:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except DBAPIError as e:
                attempt += 1
                delay = backoff_delay(attempt, 0.5, 10.0, self.rng)
                if waited + delay > self.lease_seconds / 2:
                    raise
                log.warning("database unavailable (%s); retrying in %.1fs", type(e).__name__, delay)
                waited += delay
                await self.clock.sleep(delay)

    async def run_pass(self, at: datetime | None = None) -> list[DeliveryResult]:
        """One pass for the instant `at` (default now): plan, then claim and post until
        nothing claimable is left."""
        at = at or self.clock.now()
        catch_up = timedelta(hours=self.settings.catch_up_hours)
        results: list[DeliveryResult] = []
        subs = await self._db(self.store.list_subscriptions)
        planned = plan_for(subs, at, catch_up)
        if planned:
            since = at - catch_up - timedelta(hours=27)
            existing = await self._db(
                self.store.existing_delivery_dates, since, {p.subscription.id for p in planned}
            )
            new = [p for p in planned if (p.subscription.id, p.local_date) not in existing]
            if new:
                await self._db(self.store.plan_deliveries, new, self.clock.now())
            results += [_result_from_plan(p) for p in new if p.status != PLANNED]
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
        choose = self._choose_tips(subs_by_id)
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
                    self._db(
                        self.store.claim_deliveries,
                        at,
                        self.clock.now(),
                        self.worker,
                        self.lease_seconds,
                        min(CLAIM_BATCH, room),
                        platforms,
                        choose,
                    )
                )
            while buffer and len(pending) < window:
                pending.add(asyncio.create_task(self._guarded(buffer.popleft(), subs_by_id, at)))
            self._marks.in_flight = len(pending)
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
                await self._db(self.store.release, d.id, self.worker, 0, "", self.clock.now())
            except DBAPIError:
                log.warning("could not release delivery %s; its lease will expire", d.key)

    async def _guarded(
        self, d: Delivery, subs_by_id: dict[int, Subscription], at: datetime
    ) -> DeliveryResult:
        try:
            return await self._deliver_or_release(d, subs_by_id, at)
        finally:
            self._leases.pop(d.id, None)

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
            return _result(d, FAILED, d.tip_id, error="database unavailable")

    def choose_tip(self, sub: Subscription, local_date: str, history: list[str]) -> str | None:
        return choose_daily_tip(self.tips.corpus, sub, local_date, history)

    def reply_for(self, sub: Subscription, tip_id: str) -> Reply | None:
        """The daily post for `tip_id`. Replies are immutable and a fan-out posts the same
        few tips to many channels, so each (tip, topic filter) is rendered once per corpus."""
        corpus = self.tips.corpus
        if corpus is not self._reply_corpus or len(self._replies) > REPLY_CACHE_SIZE:
            self._replies.clear()
            self._reply_corpus = corpus
        key = (tip_id, sub.topics)
        reply = self._replies.get(key)
        if reply is None:
            tip = corpus.by_id.get(tip_id)
            if tip is None:
                return None
            reply = self._replies[key] = daily_reply(self.tips.card(tip), sub.topics)
        return reply

    async def deliver(self, d: Delivery, sub: Subscription | None, at: datetime) -> DeliveryResult:
        """Post one claimed delivery and mark the outcome."""
        if sub is None:
            sub = await self._db(self.store.get_subscription_by_id, d.subscription_id)
        if sub is None:
            await self._db_retry(
                self.store.mark_final, d.id, SKIPPED, "unsubscribed", 0, self.clock.now()
            )
            return _result(d, SKIPPED, d.tip_id, error="unsubscribed")
        if sub.paused:
            await self._db_retry(
                self.store.mark_final, d.id, PAUSED, sub.paused_reason, 0, self.clock.now()
            )
            return _result(d, PAUSED, d.tip_id, error=sub.paused_reason)
        adapter = self.adapters[d.platform]
        target = Target(d.platform, d.workspace, d.channel)

        if d.prior_tip and d.tip_id is not None:
            # An earlier claimer chose this tip and may have posted it before it died.
            found = await self._find(adapter, target, d)
            if found is not None:
                return await self._sent(d, sub, d.tip_id, found, 0, at, reconciled=True)

        if d.due_at < at - timedelta(hours=self.settings.catch_up_hours):
            note = f"missed: more than {self.settings.catch_up_hours:g} h late"
            await self._db_retry(self.store.mark_final, d.id, SKIPPED, note, 0, self.clock.now())
            return _result(d, SKIPPED, d.tip_id, error=note)

        tip_id = d.tip_id  # normally chosen in the claim transaction (see _choose_tips)
        reply = self.reply_for(sub, tip_id) if tip_id else None
        if reply is None:  # no tip matched at claim time, or the chosen tip left the corpus
            history = await self._db(self.store.channel_history, d.platform, d.workspace, d.channel)
            tip_id = self.choose_tip(sub, d.local_date.isoformat(), history)
            reply = self.reply_for(sub, tip_id) if tip_id else None
            if tip_id is None or reply is None:
                why = f"no tips match the topic filter {','.join(sub.topics) or '(all)'}"
                await self._db_retry(self.store.mark_final, d.id, FAILED, why, 0, self.clock.now())
                self._failed(d.platform, "no_tips")
                return _result(d, FAILED, None, error=why)
            lease_end = self._lease_end()
            still_ours = await self._db_retry(
                self.store.set_delivery_tip, d.id, tip_id, self.worker, lease_end, self.clock.now()
            )
            self._leases[d.id] = lease_end
        else:
            # Freshly claimed rows don't ask the database again; see _ensure_lease.
            self._leases[d.id] = d.lease_until or self.clock.now()
            still_ours = await self._ensure_lease(d, 0.0)
        if not still_ours:
            return _taken_over(d)
        assert tip_id is not None  # both branches above set it
        return await self._post(adapter, target, d, sub, tip_id, reply, at)

    async def _ensure_lease(self, d: Delivery, seconds_ahead: float) -> bool:
        """Make sure our claim outlives the next `seconds_ahead` (plus a margin), renewing it
        in the database only when it would not. No other process can take a row over before
        its lease ends, so while it is comfortably ahead there is nothing to ask. False if the
        claim was lost (our lease ran out and another process took the row)."""
        margin = timedelta(seconds=max(1.0, self.lease_seconds / 4))
        known = self._leases.get(d.id)
        if (
            known is not None
            and self.clock.now() + timedelta(seconds=seconds_ahead) + margin < known
        ):
            return True
        lease_end = self._lease_end(seconds_ahead)
        if not await self._db(self.store.extend_lease, d.id, self.worker, lease_end):
            return False
        self._leases[d.id] = lease_end
        return True

    def _choose_tips(self, subs_by_id: dict[int, Subscription]) -> ChooseTips:
        """Tips for a freshly claimed batch, chosen inside the claim transaction."""
        corpus = self.tips.corpus

        def choose(
            rows: list[Delivery], histories: dict[ChannelKey, list[str]]
        ) -> dict[int, str | None]:
            picks: dict[int, str | None] = {}
            by_topics: dict[tuple[str, ...], list[str]] = {}  # candidates, once per filter
            for row in rows:  # oldest first: a channel's second row sees the first's pick
                sub = subs_by_id.get(row.subscription_id)
                if sub is None or sub.paused:
                    continue
                history = histories.setdefault((row.platform, row.workspace, row.channel), [])
                candidates = by_topics.get(sub.topics)
                if candidates is None:
                    candidates = by_topics[sub.topics] = candidates_for(corpus, sub.topics)
                tip_id = choose_for(candidates, sub, row.local_date.isoformat(), history)
                picks[row.id] = tip_id
                if tip_id is not None:
                    history.append(tip_id)
            return picks

        return choose

    def _lease_end(self, extra_seconds: float = 0.0) -> datetime:
        return self.clock.now() + timedelta(seconds=self.lease_seconds + extra_seconds)

    async def _find(self, adapter: Adapter, target: Target, d: Delivery) -> str | None:
        try:
            return await adapter.find_posted(target, d.key)
        except PostError as e:
            log.warning("delivery %s: could not check for an earlier post (%s)", d.key, e.reason)
            return None

    async def _post(
        self,
        adapter: Adapter,
        target: Target,
        d: Delivery,
        sub: Subscription,
        tip_id: str,
        reply: Reply,
        at: datetime,
    ) -> DeliveryResult:
        s = self.settings
        attempts = 0
        rate_limited = 0
        last_error = ""
        while True:
            attempts += 1
            await self.limiter.acquire(d.platform, d.workspace)
            try:
                message_id = await adapter.post(target, reply, d.key)
                return await self._sent(d, sub, tip_id, message_id, attempts, at, last_error)
            except RateLimited as e:
                rate_limited += 1
                attempts -= 1  # a 429 is the platform pacing us, not a failed attempt
                last_error = e.reason
                self._failed(d.platform, "rate_limited")
                if rate_limited > MAX_RATE_LIMITED:
                    return await self._give_up(d, tip_id, attempts, "rate limited too often")
                self.limiter.push_back(d.platform, d.workspace, e.retry_after)
                if not await self._wait(d, e.retry_after):
                    return _taken_over(d)
                continue
            except AmbiguousError as e:
                last_error = e.reason
                self._failed(d.platform, "ambiguous")
                found = await self._find(adapter, target, d)
                if found is not None:
                    return await self._sent(
                        d, sub, tip_id, found, attempts, at, last_error, reconciled=True
                    )
            except TransientError as e:
                last_error = e.reason
                self._failed(d.platform, "transient")
            except PermanentError as e:
                self._failed(d.platform, "permanent")
                reason = f"{e.reason} (paused {self.clock.now():%Y-%m-%d %H:%M} UTC)"
                await self._db_retry(self.store.set_paused, sub.id, True, reason, self.clock.now())
                await self._db_retry(
                    self.store.mark_final, d.id, PAUSED, e.reason, attempts, self.clock.now()
                )
                log.warning("paused %s %s/%s: %s", d.platform, d.workspace, d.channel, e.reason)
                return _result(d, PAUSED, tip_id, attempts=attempts, error=e.reason)
            except Exception as e:  # an adapter bug must not take the whole pass down
                log.exception(
                    "delivery %s: unexpected error from the %s adapter", d.key, d.platform
                )
                last_error = f"unexpected {type(e).__name__}"
                self._failed(d.platform, "unexpected")
            if attempts >= s.max_attempts:
                return await self._give_up(d, tip_id, attempts, last_error)
            delay = backoff_delay(attempts, s.backoff_base_seconds, s.backoff_max_seconds, self.rng)
            if not await self._wait(d, delay):
                return _taken_over(d)

    async def _wait(self, d: Delivery, seconds: float) -> bool:
        """Sleep between attempts, keeping the claim's lease ahead of the wait. False if the
        claim was lost meanwhile (another process took over): then stop trying."""
        if not await self._ensure_lease(d, seconds):
            return False
        await self.clock.sleep(seconds)
        return True

    async def _give_up(self, d: Delivery, tip_id: str, attempts: int, error: str) -> DeliveryResult:
        await self._db_retry(self.store.mark_final, d.id, FAILED, error, attempts, self.clock.now())
        log.error("delivery %s failed after %d attempts: %s", d.key, attempts, error)
        return _result(d, FAILED, tip_id, attempts=attempts, error=error)

    async def _sent(
        self,
        d: Delivery,
        sub: Subscription,
        tip_id: str,
        message_id: str,
        attempts: int,
        at: datetime,
        last_error: str = "",
        reconciled: bool = False,
    ) -> DeliveryResult:
        now = self.clock.now()
        await self._marks.mark(
            SentMark(d.id, tip_id, message_id, attempts, now, last_error or None)
        )
        if self.observer is not None:
            self.observer.delivery_sent(d.platform, max(0.0, (now - d.due_at).total_seconds()), now)
        return _result(
            d, SENT, tip_id, attempts=attempts, message_id=message_id, reconciled=reconciled
        )

    def _failed(self, platform: str, reason: str) -> None:
        if self.observer is not None:
            self.observer.delivery_failed(platform, reason)


def _result(
    d: Delivery,
    status: str,
    tip_id: str | None,
    attempts: int = 0,
    error: str = "",
    message_id: str | None = None,
    reconciled: bool = False,
) -> DeliveryResult:
    return DeliveryResult(
        platform=d.platform,
        workspace=d.workspace,
        channel=d.channel,
        tip_id=tip_id,
        status=status,
        local_date=d.local_date.isoformat(),
        due_at=d.due_at.isoformat(),
        subscription_id=d.subscription_id,
        attempts=attempts,
        error=error,
        message_id=message_id,
        reconciled=reconciled,
    )


def _taken_over(d: Delivery) -> DeliveryResult:
    log.warning("delivery %s: our claim expired and another process took it over", d.key)
    return _result(d, SKIPPED, d.tip_id, error="taken over by another process")


def _result_from_plan(p: PlannedDelivery) -> DeliveryResult:
    s = p.subscription
    return DeliveryResult(
        platform=s.platform,
        workspace=s.workspace,
        channel=s.channel,
        tip_id=None,
        status=p.status,
        local_date=p.local_date.isoformat(),
        due_at=p.due_at.isoformat(),
        subscription_id=s.id,
        error=p.note,
    )


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


__all__ = [
    "SENT",
    "Deliverer",
    "DeliveryResult",
    "TipSource",
    "backoff_delay",
    "plan_for",
    "worker_id",
]
