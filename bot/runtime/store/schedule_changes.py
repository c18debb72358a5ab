"""Changes an admin makes to a channel's next posts through the ledger: `skip` (the next
post's row is written ahead as skipped, so no replica posts it) and `post now` (today's row is
planned, or brought forward, to now and claimed by the asking process).

Both work on the `(subscription, local date)` key the scheduled passes use, so whatever a
replica plans later for that date finds the row and leaves it alone.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, and_, or_, select, update

from bot.runtime.store.engine import insert_ignore
from bot.runtime.store.records import (
    CLAIMED,
    FAILED,
    PLANNED,
    SKIPPED,
    Delivery,
    Subscription,
)
from bot.runtime.store.schema import deliveries
from bot.runtime.store.times import to_db

# How far ahead `skip` looks for a post without a ledger row (a year of daily posts).
SKIP_SEARCH_LIMIT = 400
# How far back a ledger row can matter to the next post: a row due up to this long before
# `after` may be the one of a local date still ahead in a far-west timezone.
WRITTEN_LOOKBACK = timedelta(days=2)


def first_unwritten_post(
    sub: Subscription, after: datetime, written: Collection[date]
) -> tuple[date, datetime, list[date]] | None:
    """The rule of `next_unwritten_post` once the subscription's ledger rows due after
    `after` minus two days are read (their local dates, `written`): the first scheduled post
    after `after` with no row and outside a snooze, and the dates passed over because a row
    was already written. Also used for a page of subscriptions whose rows are read at once
    (`overview_reads.next_posts`)."""
    schedule, instant = sub.schedule, after
    passed: list[date] = []
    for _ in range(SKIP_SEARCH_LIMIT):
        local_date, due = schedule.next_after(instant)
        instant = due
        if local_date not in written and not sub.snoozed_at(due):
            return local_date, due, passed
        if local_date in written:
            passed.append(local_date)
    return None


class ScheduleChangeQueries:
    """Ledger rows written ahead by `skip` and `post now`. A part of `Store`."""

    engine: Engine

    def skip_next_post(
        self, sub: Subscription, after: datetime, reason: str, now: datetime
    ) -> tuple[date, datetime] | None:
        """Write the first scheduled post after `after` that has no ledger row yet as
        skipped (`reason` in its `last_error`): (its local date, due instant). A post already
        skipped, or posted by `post now`, is passed over, so a second `skip` skips the one
        after. None when the schedule has no such post within a year."""
        schedule = sub.schedule
        instant = after
        d = deliveries.c
        for _ in range(SKIP_SEARCH_LIMIT):
            local_date, due = schedule.next_after(instant)
            instant = due
            if sub.snoozed_at(due):
                continue
            row = {
                "subscription_id": sub.id,
                "platform": sub.platform,
                "workspace": sub.workspace,
                "channel": sub.channel,
                "local_date": local_date,
                "due_at": to_db(due),
                "status": SKIPPED,
                "tip_id": None,
                "attempts": 0,
                "claims": 0,
                "last_error": reason,
                "created_at": to_db(now),
                "updated_at": to_db(now),
            }
            with self.engine.begin() as conn:
                taken = conn.execute(
                    select(d.id).where(d.subscription_id == sub.id, d.local_date == local_date)
                ).first()
                if taken is None:
                    insert_ignore(conn, deliveries, [row])
                    return local_date, due
        return None

    def next_unwritten_post(
        self, sub: Subscription, after: datetime
    ) -> tuple[date, datetime, list[date]] | None:
        """The next scheduled post after `after` that will go out as far as the ledger
        knows: (its local date, due instant, the dates before it already written off as
        skipped or posted ahead). None when there is none within a year."""
        d = deliveries.c
        with self.engine.connect() as conn:
            written = {
                r.local_date: r.status
                for r in conn.execute(
                    select(d.local_date, d.status).where(
                        d.subscription_id == sub.id, d.due_at > to_db(after - WRITTEN_LOOKBACK)
                    )
                )
            }
        return first_unwritten_post(sub, after, written)

    def open_for_now(self, sub: Subscription, local_date: date, now: datetime) -> Delivery:
        """Today's row, due now: planned if there was none, brought forward if it was
        planned for later, reopened if it was skipped or failed. A row already sent or being
        posted by a live claim is returned as it is."""
        d = deliveries.c
        row = {
            "subscription_id": sub.id,
            "platform": sub.platform,
            "workspace": sub.workspace,
            "channel": sub.channel,
            "local_date": local_date,
            "due_at": to_db(now),
            "status": PLANNED,
            "tip_id": None,
            "attempts": 0,
            "claims": 0,
            "last_error": None,
            "created_at": to_db(now),
            "updated_at": to_db(now),
        }
        key = and_(d.subscription_id == sub.id, d.local_date == local_date)
        with self.engine.begin() as conn:
            insert_ignore(conn, deliveries, [row])
            conn.execute(
                update(deliveries)
                .where(
                    key,
                    or_(
                        d.status.in_([PLANNED, SKIPPED, FAILED]),
                        and_(d.status == CLAIMED, d.lease_until < to_db(now)),
                    ),
                )
                .values(
                    status=PLANNED,
                    due_at=to_db(now),
                    retry_at=None,
                    claimed_by=None,
                    lease_until=None,
                    updated_at=to_db(now),
                )
            )
            return Delivery.from_row(conn.execute(select(deliveries).where(key)).one())

    def claim_delivery(
        self, delivery_id: int, now: datetime, worker: str, lease_seconds: float
    ) -> Delivery | None:
        """Claim one planned row (as `claim_deliveries` claims a batch); None when another
        process holds it or it is final."""
        d = deliveries.c
        with self.engine.begin() as conn:
            res: CursorResult[Any] = conn.execute(
                update(deliveries)
                .where(d.id == delivery_id, d.status == PLANNED)
                .values(
                    status=CLAIMED,
                    claimed_by=worker,
                    lease_until=to_db(now + timedelta(seconds=lease_seconds)),
                    claims=d.claims + 1,
                    retry_at=None,
                    updated_at=to_db(now),
                )
                .returning(*deliveries.c)
            )
            row = res.first()
        if row is None:
            return None
        claimed = Delivery.from_row(row)
        if claimed.tip_id is not None:
            object.__setattr__(claimed, "prior_tip", True)  # see claims._claimed_delivery
        return claimed
