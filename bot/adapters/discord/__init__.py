"""Discord: discord.py gateway client, app commands, embeds and REST posting.

Importing the package is cheap: app.py asks `FACTORY` whether Discord runs before anything
loads discord.py. The adapter's own names load it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.discord.factory import FACTORY, DiscordFactory

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import (
        REMOVED_FROM_GUILD,
        DiscordAdapter,
        Sharding,
        create_adapter,
        delivery_nonce,
        resolve_sharding,
    )

__all__ = [
    "FACTORY",
    "REMOVED_FROM_GUILD",
    "DiscordAdapter",
    "DiscordFactory",
    "Sharding",
    "create_adapter",
    "delivery_nonce",
    "resolve_sharding",
]

_FROM_ADAPTER = frozenset(
    {
        "REMOVED_FROM_GUILD",
        "DiscordAdapter",
        "Sharding",
        "create_adapter",
        "delivery_nonce",
        "resolve_sharding",
    }
)


def __getattr__(name: str) -> object:
    """The names from `adapter.py`, imported when first asked for (PEP 562)."""
    if name in _FROM_ADAPTER:
        from bot.adapters.discord import adapter

        return getattr(adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
