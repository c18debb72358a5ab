"""How app.py builds the Discord adapter: the secret it needs, then the adapter.

Deciding that Discord stays off imports nothing from discord.py; `create` does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `k8stip deliver` asks a factory without loading the core
    from bot.config import Config, Secrets
    from bot.core.corpus import Topic
    from bot.core.invocation import Handler
    from bot.ports import Adapter, AdapterFactory, PlatformEvents


class DiscordFactory:
    """Implements `bot.ports.AdapterFactory` for Discord."""

    platform = "discord"

    def enabled(self, config: Config) -> bool | None:
        return config.discord.enabled

    def secrets_needed(self, config: Config) -> tuple[str, ...]:
        return ("DISCORD_TOKEN",)

    def create(
        self,
        config: Config,
        secrets: Secrets,
        handle: Handler,
        events: PlatformEvents,
        topics: Collection[Topic],
    ) -> Adapter:
        # These load discord.py.
        from bot.adapters.discord.adapter import create_adapter
        from bot.adapters.discord.commands import topic_suggester

        return create_adapter(config, secrets, handle, events, suggest=topic_suggester(topics))


FACTORY = DiscordFactory()

if TYPE_CHECKING:  # mypy proves DiscordFactory follows the AdapterFactory protocol
    _follows_protocol: type[AdapterFactory] = DiscordFactory
