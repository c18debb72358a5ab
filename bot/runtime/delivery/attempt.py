"""One post of a claimed delivery: its retry policy, and what each `PostError` leads to.

`RateLimited` waits its Retry-After (not counted as an attempt), `TransientError` and
unexpected adapter errors back off with jitter up to `max_attempts`, then the row waits for a
later pass (`retries.py`) while the catch-up window lasts; `AmbiguousError` asks
`find_posted` before trying again; `AuthError` marks the adapter unauthorized (`outages.py`)
and the row waits for a later pass; `PermanentError` pauses the subscription with the reason.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import DeliveryConfig
from bot.core.replies import Reply
from bot.ports import (
    Adapter,
    AmbiguousError,
    AuthError,
    Clock,
    DeliveryObserver,
    PermanentError,
    PostError,
    RateLimited,
    Target,
    TransientError,
)
from bot.runtime.delivery.leases import Leases
from bot.runtime.delivery.marks import GroupCommit
from bot.runtime.delivery.outages import AuthOutages
from bot.runtime.delivery.pacing import WorkspaceLimiter, backoff_delay
from bot.runtime.delivery.results import DeliveryResult, result_of, taken_over
from bot.runtime.delivery.retries import next_try
from bot.runtime.delivery.store_calls import StoreCalls
from bot.runtime.store import FAILED, PAUSED, SENT, Delivery, SentMark, Store, Subscription

log = logging.getLogger(__name__)

MAX_RATE_LIMITED = 20  # 429s in a row for one post before it counts as a failure


@dataclass(frozen=True)
class PostPolicy:
    """How one post is paced and retried (the `delivery.*` settings that concern it)."""

    max_attempts: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    workspace_posts_per_second: float
    catch_up_hours: float = 6.0  # how long a failing post is retried on later passes

    @classmethod
    def from_config(cls, cfg: DeliveryConfig) -> PostPolicy:
        return cls(
            max_attempts=cfg.max_attempts,
            backoff_base_seconds=cfg.backoff_base_seconds,
            backoff_max_seconds=cfg.backoff_max_seconds,
            workspace_posts_per_second=cfg.workspace_posts_per_second,
            catch_up_hours=cfg.catch_up_hours,
        )


class Poster:
    """Posts claimed deliveries through their adapter and records the outcome."""

    def __init__(
        self,
        *,
        store: Store,
        db: StoreCalls,
        leases: Leases,
        policy: PostPolicy,
        clock: Clock,
        rng: random.Random,
        observer: DeliveryObserver | None,
    ) -> None:
        self.store = store
        self.db = db
        self.leases = leases
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.observer = observer
        self.limiter = WorkspaceLimiter(policy.workspace_posts_per_second, clock)
        self.marks = GroupCommit(self._commit_marks)
        self.auth = AuthOutages(clock, observer)

    async def _commit_marks(self, marks: list[SentMark]) -> None:
        await self.db.retry(self.store.mark_sent_many, marks)

    async def find(self, adapter: Adapter, target: Target, d: Delivery) -> str | None:
        """The earlier post of `d` in the channel, if the adapter can see one. While the
        platform refuses our token this asks nothing (the post is held back too); when a probe
        is due, this lookup is the probe."""
        if self.auth.holding(d.platform) is not None:
            return None
        try:
            found = await adapter.find_posted(target, d.key)
        except AuthError as e:
            self.auth.rejected(d.platform, e.reason)
            return None
        except PostError as e:
            log.warning("delivery %s: could not check for an earlier post (%s)", d.key, e.reason)
            return None
        self.auth.accepted(d.platform)
        return found

    async def post(
        self,
        adapter: Adapter,
        target: Target,
        d: Delivery,
        sub: Subscription,
        tip_id: str,
        reply: Reply,
        at: datetime,
    ) -> DeliveryResult:
        s = self.policy
        attempts = 0
        rate_limited = 0
        last_error = ""
        held = self.auth.holding(d.platform)
        if held is not None:  # the platform rejects our token: don't call it for every post
            return await self._retry_later(d, tip_id, 0, held, quiet=True)
        while True:
            attempts += 1
            await self.limiter.acquire(d.platform, d.workspace)
            try:
                message_id = await adapter.post(target, reply, d.key)
                return await self.sent(d, sub, tip_id, message_id, attempts, at, last_error)
            except RateLimited as e:
                rate_limited += 1
                attempts -= 1  # a 429 is the platform pacing us, not a failed attempt
                last_error = e.reason
                self.failed(d.platform, "rate_limited")
                if rate_limited > MAX_RATE_LIMITED:
                    return await self._retry_later(d, tip_id, attempts, "rate limited too often")
                self.limiter.push_back(d.platform, d.workspace, e.retry_after)
                if not await self._wait(d, e.retry_after):
                    return taken_over(d)
                continue
            except AmbiguousError as e:
                last_error = e.reason
                self.failed(d.platform, "ambiguous")
                found = await self.find(adapter, target, d)
                if found is not None:
                    return await self.sent(
                        d, sub, tip_id, found, attempts, at, last_error, reconciled=True
                    )
            except TransientError as e:
                last_error = e.reason
                self.failed(d.platform, "transient")
            except AuthError as e:
                self.auth.rejected(d.platform, e.reason)
                return await self._retry_later(d, tip_id, attempts, e.reason, quiet=True)
            except PermanentError as e:
                self.failed(d.platform, "permanent")
                reason = f"{e.reason} (paused {self.clock.now():%Y-%m-%d %H:%M} UTC)"
                await self.db.retry(self.store.set_paused, sub.id, True, reason, self.clock.now())
                await self.db.retry(
                    self.store.mark_final, d.id, PAUSED, e.reason, attempts, self.clock.now()
                )
                log.warning("paused %s %s/%s: %s", d.platform, d.workspace, d.channel, e.reason)
                return result_of(d, PAUSED, tip_id, attempts=attempts, error=e.reason)
            except Exception as e:  # an adapter bug must not take the whole pass down
                log.exception(
                    "delivery %s: unexpected error from the %s adapter", d.key, d.platform
                )
                last_error = f"unexpected {type(e).__name__}"
                self.failed(d.platform, "unexpected")
            if attempts >= s.max_attempts:
                return await self._retry_later(d, tip_id, attempts, last_error)
            delay = backoff_delay(attempts, s.backoff_base_seconds, s.backoff_max_seconds, self.rng)
            if not await self._wait(d, delay):
                return taken_over(d)

    async def _wait(self, d: Delivery, seconds: float) -> bool:
        """Sleep between attempts, keeping the claim's lease ahead of the wait. False if the
        claim was lost meanwhile (another process took over): then stop trying."""
        if not await self.leases.ensure(d, seconds):
            return False
        await self.clock.sleep(seconds)
        return True

    async def _retry_later(
        self, d: Delivery, tip_id: str, attempts: int, error: str, *, quiet: bool = False
    ) -> DeliveryResult:
        """Not this pass: hand the row back for a later one while the catch-up window lasts
        (reported `failed` for this pass, with `retry_at`), else give up for good. `quiet`:
        an adapter outage, already logged once by `AuthOutages`."""
        now = self.clock.now()
        window = timedelta(hours=self.policy.catch_up_hours)
        when = next_try(d, now, window, self.rng)
        probe = self.auth.next_probe(d.platform)
        if when is not None and probe is not None:  # held back: not before the next probe
            when = min(max(when, probe), d.due_at + window)
        if when is None:
            await self.db.retry(self.store.mark_final, d.id, FAILED, error, attempts, now)
            log.error("delivery %s failed, catch-up window over: %s", d.key, error)
            return result_of(d, FAILED, tip_id, attempts=attempts, error=error)
        if not await self.db.retry(
            self.store.release, d.id, self.leases.worker, attempts, error, now, when
        ):
            return taken_over(d)
        (log.debug if quiet else log.warning)(
            "delivery %s: %s; trying again after %s UTC", d.key, error, f"{when:%H:%M:%S}"
        )
        return result_of(d, FAILED, tip_id, attempts=attempts, error=error, retry_at=when)

    async def sent(
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
        self.auth.accepted(d.platform)
        await self.marks.mark(SentMark(d.id, tip_id, message_id, attempts, now, last_error or None))
        if self.observer is not None:
            self.observer.delivery_sent(d.platform, max(0.0, (now - d.due_at).total_seconds()), now)
        return result_of(
            d, SENT, tip_id, attempts=attempts, message_id=message_id, reconciled=reconciled
        )

    def failed(self, platform: str, reason: str) -> None:
        if self.observer is not None:
            self.observer.delivery_failed(platform, reason)
