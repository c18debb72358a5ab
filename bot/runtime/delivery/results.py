"""What a pass reports: one `DeliveryResult` per delivery it handled.

Its own module because both the pass and a post attempt build results.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.runtime.store import SKIPPED, Delivery, PlannedDelivery

log = logging.getLogger(__name__)


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
    # A failed post that a later pass tries again (ISO 8601 UTC); None when final.
    retry_at: str | None = None

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
            "retry_at": self.retry_at,
        }


def result_of(
    d: Delivery,
    status: str,
    tip_id: str | None,
    attempts: int = 0,
    error: str = "",
    message_id: str | None = None,
    reconciled: bool = False,
    retry_at: datetime | None = None,
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
        retry_at=retry_at.isoformat() if retry_at is not None else None,
    )


def taken_over(d: Delivery) -> DeliveryResult:
    log.warning("delivery %s: our claim expired and another process took it over", d.key)
    return result_of(d, SKIPPED, d.tip_id, error="taken over by another process")


def result_from_plan(p: PlannedDelivery) -> DeliveryResult:
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
