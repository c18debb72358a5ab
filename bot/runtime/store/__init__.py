"""The durable store (SQLite or PostgreSQL): subscriptions, delivery ledger, tip history,
votes and quizzes.

`Store` is the API; the records it takes and returns, and the enum-like column values, come
from `records.py`.
"""

from bot.runtime.store.engine import open_engine
from bot.runtime.store.records import (
    CLAIMED,
    FAILED,
    FINAL_STATUSES,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    ChannelKey,
    ChannelPast,
    ChooseTips,
    Delivery,
    DeliveryStatus,
    ForgetCounts,
    PlannedDelivery,
    QuizPosting,
    QuizPostingNotFound,
    SentMark,
    ShownKind,
    ShownRow,
    Subscription,
    SubscriptionOrigin,
    SubscriptionSpec,
)
from bot.runtime.store.store import Store

__all__ = [
    "CLAIMED",
    "FAILED",
    "FINAL_STATUSES",
    "PAUSED",
    "PLANNED",
    "SENT",
    "SKIPPED",
    "ChannelKey",
    "ChannelPast",
    "ChooseTips",
    "Delivery",
    "DeliveryStatus",
    "ForgetCounts",
    "PlannedDelivery",
    "QuizPosting",
    "QuizPostingNotFound",
    "SentMark",
    "ShownKind",
    "ShownRow",
    "Store",
    "Subscription",
    "SubscriptionOrigin",
    "SubscriptionSpec",
    "open_engine",
]
