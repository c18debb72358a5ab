"""What the store hands out and takes in: frozen records and the enum-like column values.

The enums are `StrEnum`s whose values are the strings in the database, so a member equals
its string (`DeliveryStatus.SENT == "sent"`), binds to SQL as that string and prints as it
(`k8stip deliver --json` shows `"status": "sent"`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Row

from bot.core.learning_model import Restoration, SubscriptionMode, Vote
from bot.core.schedules import Schedule, days_from_text
from bot.runtime.store.times import aware, from_db


class DeliveryStatus(StrEnum):
    """A ledger row's state: planned -> claimed -> sent | failed | paused; planned -> skipped
    (missed the catch-up window); claimed -> planned again with a `retry_at` when the post
    failed on transient errors or an adapter outage and the catch-up window still has room.
    `planned` and `claimed` are open; the rest are final."""

    PLANNED = "planned"
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    PAUSED = "paused"


PLANNED = DeliveryStatus.PLANNED
CLAIMED = DeliveryStatus.CLAIMED
SENT = DeliveryStatus.SENT
SKIPPED = DeliveryStatus.SKIPPED
FAILED = DeliveryStatus.FAILED
PAUSED = DeliveryStatus.PAUSED
FINAL_STATUSES = (SENT, SKIPPED, FAILED, PAUSED)

# Rows are read by the thousand in a fan-out; a dict lookup costs a fraction of
# `DeliveryStatus(text)`.
_STATUS_BY_TEXT: dict[str, DeliveryStatus] = {s.value: s for s in DeliveryStatus}


_MODE_BY_TEXT: dict[str, SubscriptionMode] = {m.value: m for m in SubscriptionMode}


class SubscriptionOrigin(StrEnum):
    """Who owns a subscription: the config file (synced at start; config wins) or a chat
    command (lives only in the store)."""

    CONFIG = "config"
    CHAT = "chat"


class ShownKind(StrEnum):
    """Why a tip is in `tip_history`: shown on request (`/k8stip …`). Daily posts are in the
    delivery ledger; `daily` is the column's other documented value."""

    DAILY = "daily"
    REQUEST = "request"


# Subscriptions repeat a few day sets and topic filters: parse each distinct text once.
@lru_cache(maxsize=1024)
def _days(text: str) -> tuple[int, ...]:
    return days_from_text(text)


@lru_cache(maxsize=1024)
def _topics(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


@dataclass(frozen=True)
class SubscriptionSpec:
    """What a subscription asks for; the input to create or change one."""

    platform: str
    workspace: str
    channel: str
    time: str  # "09:00"
    timezone: str  # IANA name
    days: tuple[int, ...]
    topics: tuple[str, ...] = ()
    mode: SubscriptionMode = SubscriptionMode.TIP
    every_days: int | None = None  # `every N days`; its cycle starts the day it is set
    member: str = ""  # a personal subscription's member (channel "dm:<member>")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    workspace: str
    channel: str
    time: str
    timezone: str
    days: tuple[int, ...]
    topics: tuple[str, ...]
    paused: bool
    paused_reason: str
    origin: SubscriptionOrigin
    created_by: str
    created_at: datetime
    updated_at: datetime
    active_from: datetime | None
    mode: SubscriptionMode = SubscriptionMode.TIP
    # The one role, user group or user its daily posts ping ("" nobody): `Reply.mention`.
    mention: str = ""
    every_days: int | None = None  # `every N days`, counted from `anchor_date`
    anchor_date: date | None = None
    snoozed_until: datetime | None = None  # posts nothing due before this instant
    member: str = ""  # a personal subscription's member; "" for a channel's

    @property
    def schedule(self) -> Schedule:
        return Schedule.parse(
            self.time, self.timezone, self.days, self.every_days, self.anchor_date
        )

    @property
    def personal(self) -> bool:
        """A member's own subscription, posted to them by direct message."""
        return bool(self.member)

    def snoozed_at(self, due: datetime) -> bool:
        """Whether a post due at `due` falls in the snooze (never posted, never caught up)."""
        return self.snoozed_until is not None and due < self.snoozed_until

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)

    @classmethod
    def from_row(cls, r: Row[Any]) -> Subscription:
        m = r._mapping
        return cls(
            id=m["id"],
            platform=m["platform"],
            workspace=m["workspace"],
            channel=m["channel"],
            time=m["time"],
            timezone=m["timezone"],
            days=_days(m["days"]),
            topics=_topics(m["topics"]),
            paused=bool(m["paused"]),
            paused_reason=m["paused_reason"],
            origin=SubscriptionOrigin(m["origin"]),
            created_by=m["created_by"],
            created_at=aware(m["created_at"]),
            updated_at=aware(m["updated_at"]),
            active_from=from_db(m["active_from"]),
            mode=_MODE_BY_TEXT[m["mode"]],
            mention=m["mention"] or "",
            every_days=m["every_days"],
            anchor_date=m["anchor_date"],
            snoozed_until=from_db(m["snoozed_until"]),
            member=m["member"],
        )


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    platform: str
    workspace: str
    channel: str
    local_date: date
    due_at: datetime
    status: DeliveryStatus
    tip_id: str | None
    attempts: int
    claims: int
    claimed_by: str | None
    lease_until: datetime | None
    message_id: str | None
    last_error: str | None
    posted_at: datetime | None
    retry_at: datetime | None = None  # not claimed again before this (backoff between passes)
    # Set on claim: an earlier claimer had already chosen the tip, so it may have posted.
    prior_tip: bool = False

    @property
    def key(self) -> str:
        """The id that travels with the message (Slack metadata, Discord nonce <= 25 chars)."""
        d = self.local_date  # not strftime: this is built for every post, and it is slow
        return f"k8s-{self.subscription_id}-{d.year:04d}{d.month:02d}{d.day:02d}"

    @classmethod
    def from_row(cls, r: Row[Any]) -> Delivery:
        m = r._mapping
        return cls(
            id=m["id"],
            subscription_id=m["subscription_id"],
            platform=m["platform"],
            workspace=m["workspace"],
            channel=m["channel"],
            local_date=m["local_date"],
            due_at=aware(m["due_at"]),
            status=_STATUS_BY_TEXT[m["status"]],
            tip_id=m["tip_id"],
            attempts=m["attempts"],
            claims=m["claims"],
            claimed_by=m["claimed_by"],
            lease_until=from_db(m["lease_until"]),
            message_id=m["message_id"],
            last_error=m["last_error"],
            posted_at=from_db(m["posted_at"]),
            retry_at=from_db(m["retry_at"]),
        )


@dataclass(frozen=True)
class SentMark:
    delivery_id: int
    tip_id: str
    message_id: str
    attempts: int
    posted_at: datetime
    last_error: str | None = None


@dataclass(frozen=True)
class PlannedDelivery:
    subscription: Subscription
    local_date: date
    due_at: datetime
    status: DeliveryStatus = PLANNED  # or SKIPPED when it is already past the catch-up window
    note: str = ""


@dataclass(frozen=True)
class QuizPosting:
    """A quiz question posted in a channel; its answers point at `id`."""

    id: int
    platform: str
    workspace: str
    channel: str
    qid: str  # core.quiz question id
    tip_id: str
    term: str  # the hidden term's key
    kind: ShownKind  # daily (a quiz subscription) or request (`/k8stip quiz`)
    message_ref: str | None  # the platform's message id, once posted
    local_date: date
    posted_at: datetime
    revealed: bool  # its answer was shown in a later post

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)

    @classmethod
    def from_row(cls, r: Row[Any]) -> QuizPosting:
        m = r._mapping
        return cls(
            id=m["id"],
            platform=m["platform"],
            workspace=m["workspace"],
            channel=m["channel"],
            qid=m["qid"],
            tip_id=m["tip_id"],
            term=m["term"],
            kind=ShownKind(m["kind"]),
            message_ref=m["message_ref"],
            local_date=m["local_date"],
            posted_at=aware(m["posted_at"]),
            revealed=bool(m["revealed"]),
        )


class QuizPostingNotFound(LookupError):
    """An answer names a quiz posting the store does not have (forged or purged button)."""

    def __init__(self, posting_id: int) -> None:
        super().__init__(f"no quiz posting {posting_id}")
        self.posting_id = posting_id


@dataclass(frozen=True)
class ForgetCounts:
    """What `forget_member` deleted."""

    votes: int
    answers: int


ChannelKey = tuple[str, str, str]  # platform, workspace, channel


@dataclass(frozen=True)
class ShownRow:
    """A tip a channel was shown: a daily post (with its local date) or a request (`local_date`
    None: the runtime converts `at` to the channel's timezone)."""

    tip_id: str
    local_date: date | None
    at: datetime | None  # UTC, aware


@dataclass
class ChannelPast:
    """What a channel's daily pick reads: its showings (oldest first), current votes and
    restorations. The claim fills one per channel of a batch; a pick appends to `shown`."""

    shown: list[ShownRow] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    restorations: list[Restoration] = field(default_factory=list)


# (claimed rows without a tip, each channel's past) -> {delivery id: tip id}
ChooseTips = Callable[[list["Delivery"], dict[ChannelKey, ChannelPast]], dict[int, str | None]]
