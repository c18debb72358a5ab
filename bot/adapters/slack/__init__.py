"""Slack: slack-bolt (async) in Socket Mode or HTTP mode, Block Kit rendering, REST posting."""

from bot.adapters.slack.adapter import SlackAdapter, create_adapter

__all__ = ["SlackAdapter", "create_adapter"]
