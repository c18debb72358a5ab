"""When a post that did not go out in this pass is tried again: a later pass, inside the
catch-up window.

A post that keeps failing on transient errors (5xx, timeouts, 429s without end) for
`max_attempts` tries, or that meets an adapter outage (the platform rejected the bot's token),
is not final: its row goes back to `planned` with a `retry_at`, and later passes claim it once
that time has come. The wait between passes backs off (about 1, 2, 4 … minutes, at most 15)
and never reaches past the catch-up window: a post that still fails when
`delivery.catch_up_hours` runs out is recorded as `failed`, never posted late.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.runtime.delivery.pacing import backoff_delay
from bot.runtime.store import Delivery

PASS_BACKOFF_BASE_SECONDS = 60.0
PASS_BACKOFF_MAX_SECONDS = 900.0


def next_try(
    d: Delivery, now: datetime, catch_up: timedelta, rng: random.Random
) -> datetime | None:
    """When a later pass may try `d` again, or None when its catch-up window has no room left.

    `d.claims` counts this claim too, so the wait grows with every pass that failed.
    """
    window_end = d.due_at + catch_up
    if now >= window_end:
        return None
    delay = backoff_delay(
        max(1, d.claims), PASS_BACKOFF_BASE_SECONDS, PASS_BACKOFF_MAX_SECONDS, rng
    )
    return min(now + timedelta(seconds=delay), window_end)


def gave_up_note(d: Delivery, catch_up_hours: float) -> str:
    """Why a row that failed before is final now that its catch-up window has passed."""
    return (
        f"gave up: still failing ({d.last_error or 'no answer'}) when the "
        f"{catch_up_hours:g} h catch-up window ran out"
    )
