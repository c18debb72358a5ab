"""Planning: the ledger rows a pass wants for every post due in its look-back window."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.runtime.store import PAUSED, PLANNED, SKIPPED, PlannedDelivery, Store, Subscription


def plan_for(subs: list[Subscription], at: datetime, catch_up: timedelta) -> list[PlannedDelivery]:
    """Ledger rows for every post due in the look-back window ending at `at`.

    Posts later than the catch-up window become SKIPPED rows (recorded, never posted late);
    a paused subscription's posts become PAUSED rows. Pure: the store decides what's new.
    A date off an `every N days` cycle is not due; a post due while its subscription is
    snoozed is not planned at all (the snooze's days are never caught up).
    """
    start = at - catch_up - timedelta(hours=26)
    late = at - catch_up
    note = f"missed: more than {_hours(catch_up)} late (delivery.catch_up_hours)"
    # Most subscriptions share a handful of schedules (the default time and days): work out
    # each distinct schedule's occurrences once, not once per subscription.
    occurrences: dict[
        tuple[str, str, tuple[int, ...], int | None, date | None], list[tuple[date, datetime]]
    ] = {}
    out: list[PlannedDelivery] = []
    for sub in subs:
        key = (sub.time, sub.timezone, sub.days, sub.every_days, sub.anchor_date)
        due_dates = occurrences.get(key)
        if due_dates is None:
            due_dates = occurrences[key] = sub.schedule.occurrences(start, at)
        for local_date, due in due_dates:
            if sub.active_from is not None and due < sub.active_from:
                continue
            if sub.snoozed_at(due):
                continue
            if sub.paused:
                out.append(PlannedDelivery(sub, local_date, due, PAUSED, sub.paused_reason))
            elif due < late:
                out.append(PlannedDelivery(sub, local_date, due, SKIPPED, note))
            else:
                out.append(PlannedDelivery(sub, local_date, due, PLANNED))
    return out


def planned_since(at: datetime, catch_up: timedelta) -> datetime:
    """Rows due after this instant may already hold a plan of `plan_for(…, at, catch_up)`."""
    return at - catch_up - timedelta(hours=27)


def nothing_due(store: Store, at: datetime, now: datetime, catch_up: timedelta) -> bool:
    """True when a pass for `at` has nothing to do: no row it would plan is new, and no row
    due by `at` is planned or claimed (what a pass claims is a subset of those). `k8stip
    deliver` asks this first, and loads the tips and the adapters only when it is false."""
    if any(open_ for open_, _ in store.open_deliveries_by_platform(at, now).values()):
        return False
    planned = plan_for(store.list_subscriptions(), at, catch_up)
    if not planned:
        return True
    ids = {p.subscription.id for p in planned}
    existing = store.existing_delivery_dates(planned_since(at, catch_up), ids)
    return all((p.subscription.id, p.local_date) in existing for p in planned)


def _hours(td: timedelta) -> str:
    h = td.total_seconds() / 3600
    return f"{h:g} h"
