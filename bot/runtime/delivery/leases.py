"""Our claims on delivery rows: who holds them, how long they last, renewing them only when
a wait would outlast them."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from bot.ports import Clock
from bot.runtime.delivery.store_calls import StoreCalls
from bot.runtime.store import Delivery, Store


def worker_id() -> str:
    """Who holds a claim: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    """The lease ends of the rows this worker holds, as far as it knows them."""

    def __init__(
        self, store: Store, db: StoreCalls, clock: Clock, worker: str, seconds: float
    ) -> None:
        self.store = store
        self.db = db
        self.clock = clock
        self.worker = worker
        self.seconds = seconds
        self._ends: dict[int, datetime] = {}  # delivery id -> our claim's lease end

    def end(self, extra_seconds: float = 0.0) -> datetime:
        """When a lease taken or renewed now would end."""
        return self.clock.now() + timedelta(seconds=self.seconds + extra_seconds)

    def note(self, delivery_id: int, lease_end: datetime) -> None:
        self._ends[delivery_id] = lease_end

    def forget(self, delivery_id: int) -> None:
        self._ends.pop(delivery_id, None)

    async def ensure(self, d: Delivery, seconds_ahead: float) -> bool:
        """Make sure our claim outlives the next `seconds_ahead` (plus a margin), renewing it
        in the database only when it would not. No other process can take a row over before
        its lease ends, so while it is comfortably ahead there is nothing to ask. False if the
        claim was lost (our lease ran out and another process took the row)."""
        margin = timedelta(seconds=max(1.0, self.seconds / 4))
        known = self._ends.get(d.id)
        if (
            known is not None
            and self.clock.now() + timedelta(seconds=seconds_ahead) + margin < known
        ):
            return True
        lease_end = self.end(seconds_ahead)
        if not await self.db.run(self.store.extend_lease, d.id, self.worker, lease_end):
            return False
        self._ends[d.id] = lease_end
        return True
