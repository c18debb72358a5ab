"""The durable store (SQLite or PostgreSQL): subscriptions, delivery ledger, tip history."""

from bot.runtime.store.store import (
    CLAIMED,
    FAILED,
    FINAL_STATUSES,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    ChannelKey,
    ChooseTips,
    Delivery,
    PlannedDelivery,
    SentMark,
    Store,
    Subscription,
    SubscriptionSpec,
    open_engine,
)

__all__ = [
    "CLAIMED",
    "FAILED",
    "FINAL_STATUSES",
    "PAUSED",
    "PLANNED",
    "SENT",
    "SKIPPED",
    "ChannelKey",
    "ChooseTips",
    "Delivery",
    "PlannedDelivery",
    "SentMark",
    "Store",
    "Subscription",
    "SubscriptionSpec",
    "open_engine",
]
