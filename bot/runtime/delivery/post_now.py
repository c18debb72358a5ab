"""`post now`: a subscription's tip at once, through the delivery ledger, as today's post.

Today's row (the subscription's local date now) is planned with `due_at` = now, or brought
forward, or reopened when it was skipped or failed; this process claims it and runs the same
attempt the scheduler runs (`Deliverer.deliver`: the tip choice, the adapter's post, the
marks). The row is then final, so the scheduled pass later that day finds it and posts
nothing; a row already sent means nothing is posted at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.ports import PostNowOutcome
from bot.runtime.store import CLAIMED, SENT

if TYPE_CHECKING:  # `run` builds its deliverer (and imports it) after the console's first answers
    from bot.runtime.delivery.deliverer import Deliverer


class ImmediatePost:
    """Implements the `PostNow` port with a deliverer (its adapters, leases and marks)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer

    async def post_now(self, subscription_id: int) -> PostNowOutcome:
        dv = self.deliverer
        store, now = dv.store, dv.clock.now()
        sub = await dv.db.run(store.get_subscription_by_id, subscription_id)
        if sub is None:
            return PostNowOutcome("failed", now.date(), "unsubscribed")
        today = now.astimezone(sub.schedule.tz).date()
        if sub.platform not in dv.adapters:
            return PostNowOutcome("unavailable", today, f"{sub.platform} is not running here")
        row = await dv.db.run(store.open_for_now, sub, today, now)
        if row.status == SENT:
            return PostNowOutcome("already_sent", today)
        if row.status == CLAIMED:
            return PostNowOutcome("busy", today)
        claimed = await dv.db.run(store.claim_delivery, row.id, now, dv.worker, dv.leases.seconds)
        if claimed is None:  # another process claimed it between the two calls
            return PostNowOutcome("busy", today)
        try:
            result = await dv.deliver(claimed, sub, now)
        finally:
            dv.leases.forget(claimed.id)
        if result.status == SENT:
            return PostNowOutcome("sent", today)
        return PostNowOutcome("failed", today, result.error or str(result.status))


class LatePostNow:
    """The `PostNow` port for a router built before its deliverer (app.py builds the router
    first: the adapters need its handler, the deliverer needs the adapters)."""

    def __init__(self) -> None:
        self._post: ImmediatePost | None = None
        self._make: Callable[[], Deliverer] | None = None

    def bind(self, deliverer: Deliverer) -> None:
        self._post = ImmediatePost(deliverer)

    def bind_when_used(self, make: Callable[[], Deliverer]) -> None:
        """Bind the deliverer `make` gives, when `post now` is first used (`run` builds its
        deliverer on first use: app.py's `Wiring.deliverer`)."""
        self._make = make

    async def post_now(self, subscription_id: int) -> PostNowOutcome:
        if self._post is None and self._make is not None:
            self.bind(self._make())
        if self._post is None:
            today = datetime.now(UTC).date()
            return PostNowOutcome("unavailable", today, "delivery is not running yet")
        return await self._post.post_now(subscription_id)
