"""The small contract every platform adapter follows, and the errors it may raise on a post.

Delivery code catches these errors to decide what to do next: wait and retry, back off and
retry, reconcile, or pause the subscription. Adapters translate their SDK's errors into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.replies import Reply


@dataclass(frozen=True)
class Target:
    """Where a daily post goes."""

    platform: str
    workspace: str
    channel: str


class PostError(Exception):
    """Base of everything `Adapter.post` raises."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(PostError):
    """The platform said 429: wait `retry_after` seconds, then try again."""

    def __init__(self, retry_after: float, reason: str = "rate_limited") -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientError(PostError):
    """5xx, timeout, connection refused before sending: retry with backoff."""


class AmbiguousError(PostError):
    """The request may have landed (connection reset after sending): reconcile, don't resend."""


class PermanentError(PostError):
    """Channel gone, bot removed, missing access: pause the subscription, say why."""


class Adapter(Protocol):
    """A platform connection: receives commands, renders replies, posts daily tips."""

    platform: str

    async def start(self) -> None:
        """Connect and begin answering commands. Returns once connected."""

    async def stop(self) -> None:
        """Disconnect; finish or drop in-flight work within a few seconds."""

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        """Post `reply` to `target` and return the platform's message id.

        `delivery_id` must travel with the message (Slack metadata, Discord nonce) so that
        `find_posted` can tell whether an earlier, ambiguous attempt landed.
        """

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        """The message id of an earlier post carrying `delivery_id`, or None if none is seen."""


class PlatformEvents(Protocol):
    """What an adapter tells the core about, besides commands. Passed in by app.py."""

    async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
        """The app was uninstalled / the bot removed: pause every subscription there."""


# How app.py builds an adapter (each adapter module exposes a function of this shape):
#
#     def create_adapter(config: Config, secrets: Secrets, handle: Handler,
#                        events: PlatformEvents) -> Adapter
#
# `post` and `find_posted` must work without `start()` (REST only), so `k8stip deliver` and
# any replica can post daily tips without holding a gateway or Socket Mode connection.


class Clock(Protocol):
    """Protocol: the time source (tests pass a fake one)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""

    async def sleep(self, seconds: float) -> None: ...
