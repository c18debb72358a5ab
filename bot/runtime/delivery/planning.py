"""Planning: the ledger rows a pass wants for every post due in its look-back window."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.runtime.store import PAUSED, PLANNED, SKIPPED, PlannedDelivery, Subscription


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
