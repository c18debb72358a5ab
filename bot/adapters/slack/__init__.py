"""Slack: slack-bolt (async) in Socket Mode or HTTP mode, Block Kit rendering, REST posting.

Importing the package is cheap: app.py asks `FACTORY` whether Slack runs before anything
loads slack-bolt. The adapter's own names load it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.slack.factory import FACTORY, SlackFactory

if TYPE_CHECKING:
    from bot.adapters.slack.adapter import SlackAdapter, create_adapter

__all__ = ["FACTORY", "SlackAdapter", "SlackFactory", "create_adapter"]

_FROM_ADAPTER = frozenset({"SlackAdapter", "create_adapter"})


def __getattr__(name: str) -> object:
    """The names from `adapter.py`, imported when first asked for (PEP 562)."""
    if name in _FROM_ADAPTER:
        from bot.adapters.slack import adapter

        return getattr(adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
