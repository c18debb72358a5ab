"""The ports: every Protocol the layers meet on (adapters, their factories and platform events,
the clock, the engine as the router and delivery see it, observers), and the errors an adapter
may raise on a post.

Delivery code catches these errors to decide what to do next: wait and retry, back off and
retry, reconcile, hold back every post of an unauthorized adapter, or pause the subscription.
Adapters translate their SDK's errors into them.
Two structural types stay inside the core because the core cannot import this module (it
imports the core): `bot.core.picker.Channel` and `bot.core.engine.CorpusSettings`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # the Protocols only name these types: importing the ports loads no engine
    from bot.config import Config, Secrets
    from bot.core.corpus import Corpus, Tip, Topic
    from bot.core.engine import SearchResult, TipAnswer
    from bot.core.invocation import Handler
    from bot.core.replies import Reply, TipCard
    from bot.core.search import Hit, Understanding


DIRECT_PREFIX = "dm:"
"""A personal subscription's channel is "dm:<member id>": the adapter opens (or reuses) the
direct-message conversation with that member (Slack `conversations.open`, Discord
`POST /users/@me/channels`) and posts there."""


@dataclass(frozen=True)
class Target:
    """Where a daily post (or a notice) goes."""

    platform: str
    workspace: str
    channel: str

    @property
    def direct_to(self) -> str:
        """The member a direct message goes to ("" when the target is a channel)."""
        return self.channel.removeprefix(DIRECT_PREFIX) if self.is_direct else ""

    @property
    def is_direct(self) -> bool:
        return self.channel.startswith(DIRECT_PREFIX)


def direct_target(platform: str, workspace: str, member: str) -> Target:
    """The target that reaches `member` by direct message."""
    return Target(platform, workspace, DIRECT_PREFIX + member)


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


class AuthError(PostError):
    """The platform rejected the bot's credentials for every channel (a wrong, revoked or
    expired token; Slack `invalid_auth`, Discord 401): an outage of the whole adapter, not a
    fault of one channel. Delivery pauses nothing: the post stays due and goes out once the
    token works, within the catch-up window; readiness reports the adapter unauthorized."""


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


class Notifier(Protocol):
    """Protocol: posts a notice outside any command's answer: a new suggestion to the review
    channel, "your tip was approved" to its author by direct message (`direct_target`).
    app.py builds it from the running adapters; best effort (a failure is logged by the
    caller's metrics, never raised to the member whose command caused it)."""

    async def notify(self, target: Target, reply: Reply) -> bool:
        """Post `reply` to `target`; False when that platform is not running or refused."""


PostNowStatus = Literal["sent", "already_sent", "busy", "failed", "unavailable"]


@dataclass(frozen=True)
class PostNowOutcome:
    """What `post now` did with today's post: `sent` (now, counted as today's),
    `already_sent` (today's had gone out: nothing posted), `busy` (another process is posting
    it right now), `failed` (tried; `detail` says why) or `unavailable` (this process cannot
    post to that platform)."""

    status: PostNowStatus
    local_date: date
    detail: str = ""


class PostNow(Protocol):
    """Protocol: posts a subscription's tip at once through the delivery ledger, as today's
    post (the router's `post now`; runtime/delivery/post_now.py implements it)."""

    async def post_now(self, subscription_id: int) -> PostNowOutcome: ...


class PlatformEvents(Protocol):
    """What an adapter tells the core about, besides commands. Passed in by app.py."""

    async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
        """The app was uninstalled / the bot removed: pause every subscription there."""


# How app.py builds an adapter: each adapter package exposes an `AdapterFactory` (below).
#
# `post` and `find_posted` must work without `start()` (REST only), so `k8stip deliver` and
# any replica can post daily tips without holding a gateway or Socket Mode connection.


class Clock(Protocol):
    """Protocol: the time source (tests pass a fake one)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""

    async def sleep(self, seconds: float) -> None: ...


class AdapterFactory(Protocol):
    """Protocol: how app.py builds one platform's adapter (each adapter package's `FACTORY`).

    `enabled` and `secrets_needed` answer without importing the platform's SDK, so a start
    with no credentials never loads slack-bolt or discord.py; `create` imports it.
    """

    @property
    def platform(self) -> str:
        """The platform's name in config keys and subscriptions: "slack", "discord"."""

    def enabled(self, config: Config) -> bool | None:
        """`<platform>.enabled` in the config: True must run, False is off, None runs when
        every secret in `secrets_needed` is set."""

    def secrets_needed(self, config: Config) -> tuple[str, ...]:
        """The secret names this platform needs in the configured mode, in the order the
        start-up notes name them."""

    def create(
        self,
        config: Config,
        secrets: Secrets,
        handle: Handler,
        events: PlatformEvents,
        topics: Collection[Topic],
    ) -> Adapter:
        """The adapter, not yet started. `topics` is the loaded corpus's taxonomy (Discord
        completes topic names from it)."""


class CommandObserver(Protocol):
    """Protocol: the metrics hooks the router calls for every handled command, and for
    every question no tip answered (bot.runtime.metrics.Metrics implements it; the words
    asked are never passed)."""

    def command_handled(self, platform: str, command: str) -> None: ...

    def query_unanswered(self, platform: str) -> None: ...


class TipSource(Protocol):
    """Protocol: the tips delivery posts (`bot.core.engine.Engine` has both members)."""

    @property
    def corpus(self) -> Corpus: ...

    def card(self, tip: Tip, score: float | None = None) -> TipCard: ...


class DeliveryObserver(Protocol):
    """Protocol: delivery's metrics hooks (`bot.runtime.health.Metrics` implements them)."""

    def delivery_sent(self, platform: str, lag_seconds: float, at: datetime) -> None: ...

    def delivery_failed(self, platform: str, reason: str) -> None: ...

    def adapter_auth_failed(self, platform: str) -> None:
        """A call was refused for the adapter's credentials (`AuthError`)."""


class TipEngine(TipSource, Protocol):
    """Protocol: the tips and answers the router asks for (`bot.core.engine.Engine`)."""

    def tip(
        self, query: str = "", rng: random.Random | None = None, exclude: Collection[str] = ()
    ) -> TipAnswer: ...

    def search(self, query: str, limit: int = 5) -> SearchResult: ...

    def best(self, query: str) -> tuple[list[Hit], Understanding]: ...

    def topics(self) -> Sequence[Mapping[str, object]]:
        """One mapping per topic with at least `id`, `title` and `count`."""

    def resolve_topics(self, names: Sequence[str]) -> tuple[list[str], list[str]]: ...

    def nearest_topic(self, query: str) -> str | None:
        """The topic id closest to a request's words, None when none is near."""
