"""Group-committed marks: posts marked sent in batches, one transaction for many."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.runtime.store import SentMark

GROUP_COMMIT_BATCH = 200  # a flush with this many marks waiting goes at once
GROUP_COMMIT_LINGER = 0.02  # seconds a small flush waits for more marks while posts are in flight


class GroupCommit:
    """Marks posts sent in batches: while one transaction commits, the next marks gather.

    A fan-out of thousands of posts then costs tens of transactions, not thousands. A crash
    before a batch commits leaves its rows claimed; after the lease, the next claimer finds
    the posts (`find_posted`) and marks them without posting again.
    """

    def __init__(self, commit: Callable[[list[SentMark]], Awaitable[None]]) -> None:
        self.commit = commit  # writes one batch (with database retries)
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
                await self.commit([m for m, _ in batch])
            except Exception as e:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e)
            else:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)
