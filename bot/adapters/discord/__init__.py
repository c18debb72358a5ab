"""Discord: discord.py gateway client, app commands, embeds and REST posting."""

from bot.adapters.discord.adapter import (
    REMOVED_FROM_GUILD,
    DiscordAdapter,
    Sharding,
    create_adapter,
    delivery_nonce,
    resolve_sharding,
)

__all__ = [
    "REMOVED_FROM_GUILD",
    "DiscordAdapter",
    "Sharding",
    "create_adapter",
    "delivery_nonce",
    "resolve_sharding",
]
