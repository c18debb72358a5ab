"""The config file's `subscriptions:` as the store takes them (`sync_config_subscriptions`)."""

from __future__ import annotations

from bot.config import Config
from bot.core.learning_model import SubscriptionMode
from bot.core.schedules import parse_cadence, parse_timezone
from bot.runtime.store import SubscriptionSpec


def config_subscriptions(config: Config) -> list[SubscriptionSpec]:
    """One spec per config subscription; `days` may be `every N days` or `weekly on <day>`
    (an `every N days` cycle starts on the day the sync first stores it)."""
    out: list[SubscriptionSpec] = []
    for s in config.subscriptions:
        days, every = parse_cadence(s.days)
        out.append(
            SubscriptionSpec(
                platform=s.platform,
                workspace=s.workspace,
                channel=s.channel,
                time=s.time,
                timezone=parse_timezone(s.timezone or config.timezone).key,
                days=days,
                topics=tuple(s.topics),
                mode=SubscriptionMode(s.mode),
                every_days=every,
            )
        )
    return out
