"""How app.py builds the Slack adapter: the secrets each mode needs, then the adapter.

Deciding that Slack stays off imports nothing from slack-bolt; `create` does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `k8stip deliver` asks a factory without loading the core
    from bot.config import Config, Secrets
    from bot.core.corpus import Topic
    from bot.core.invocation import Handler
    from bot.ports import Adapter, AdapterFactory, PlatformEvents


class SlackFactory:
    """Implements `bot.ports.AdapterFactory` for Slack."""

    platform = "slack"

    def enabled(self, config: Config) -> bool | None:
        return config.slack.enabled

    def secrets_needed(self, config: Config) -> tuple[str, ...]:
        if config.slack.mode == "socket":
            return ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
        if config.slack.oauth:
            # Multi-workspace install: each workspace's bot token comes from the OAuth flow.
            return ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET")
        return ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")

    def create(
        self,
        config: Config,
        secrets: Secrets,
        handle: Handler,
        events: PlatformEvents,
        topics: Collection[Topic],  # Slack has no topic autocomplete
    ) -> Adapter:
        from bot.adapters.slack.adapter import create_adapter  # loads slack-bolt

        return create_adapter(config, secrets, handle, events)


FACTORY = SlackFactory()

if TYPE_CHECKING:  # mypy proves SlackFactory follows the AdapterFactory protocol
    _follows_protocol: type[AdapterFactory] = SlackFactory
