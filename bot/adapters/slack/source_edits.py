"""Editing the message a button was on, for everyone (a quiz card's tally, updated in place).

The router answers a press with a `Reply` whose `source_update` is what the message that
carried the button should now read. The presser's own answer still goes privately through
the press's `response_url`; the message itself is edited here:

- a channel message with `chat.update` (channel id and `container.message_ts` from the
  signed payload), with the bot's token: the edit is seen by everyone, keeps the message's
  `ts` (and so its place and its delivery metadata), and does not spend the press's
  `response_url`, which Slack allows five uses in 30 minutes;
- an ephemeral message (only the presser sees it, and `chat.update` cannot reach it) by
  replacing it through the `response_url`.

Presses arrive in bursts (a whole channel answering the morning quiz), and `chat.update` is
rate limited per workspace, so one message has at most one edit in flight: a newer version
that arrives meanwhile replaces one still waiting (the latest tally wins), and the rest are
never sent. A message that cannot be edited (deleted, the bot removed from the channel) is
logged once and then left alone; a failed edit never stops the presser's answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import api_error_code

log = logging.getLogger("k8stip.slack")

# What a message ts and a conversation id look like; anything else in a payload is not used.
_TS_RE = re.compile(r"^\d{1,12}\.\d{1,8}$")
_CHANNEL_RE = re.compile(r"^[A-Z0-9_]{2,32}$")
# chat.update errors after which editing that message again cannot work.
_GONE = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "invalid_blocks",
    }
)
_REMEMBERED_MAX = 10_000


@dataclass(frozen=True)
class SourceMessage:
    """The message a button was on, as the (already signature-checked) payload names it."""

    channel: str
    ts: str
    ephemeral: bool


def source_message(body: dict[str, Any]) -> SourceMessage | None:
    """The `container` of a block_actions payload, or None when it names no usable message."""
    container = body.get("container")
    if not isinstance(container, dict) or container.get("type") != "message":
        return None
    ts = container.get("message_ts")
    channel = container.get("channel_id")
    if not isinstance(channel, str):
        named = body.get("channel")
        channel = named.get("id") if isinstance(named, dict) else None
    if not (isinstance(ts, str) and _TS_RE.match(ts)):
        return None
    if not (isinstance(channel, str) and _CHANNEL_RE.match(channel)):
        return None
    return SourceMessage(channel, ts, container.get("is_ephemeral") is True)


Respond = Callable[..., Awaitable[Any]]


class SourceEditor:
    """Edits source messages: one edit in flight per message, the latest version wins."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], tuple[AsyncWebClient, dict[str, Any]]] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._gone: set[tuple[str, str]] = set()

    async def edit(
        self,
        client: AsyncWebClient,
        respond: Respond,
        source: SourceMessage,
        message: dict[str, Any],
    ) -> None:
        """Make `source` read as `message` (`{"text", "blocks"}` from `render`)."""
        if source.ephemeral:
            await self._replace_ephemeral(respond, message)
            return
        key = (source.channel, source.ts)
        if key in self._gone:
            return
        self._waiting[key] = (client, message)
        if key in self._in_flight:
            return  # the edit in flight sends this version (or a newer one) when it is done
        self._in_flight.add(key)
        try:
            while (item := self._waiting.pop(key, None)) is not None and key not in self._gone:
                await self._update(item[0], key, item[1])
        finally:
            self._in_flight.discard(key)
            self._waiting.pop(key, None)

    async def _update(
        self, client: AsyncWebClient, key: tuple[str, str], message: dict[str, Any]
    ) -> None:
        channel, ts = key
        try:
            await client.chat_update(
                channel=channel, ts=ts, text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as e:
            code = api_error_code(e) or f"HTTP {e.response.status_code}"
            if code in _GONE:
                if len(self._gone) >= _REMEMBERED_MAX:
                    self._gone.clear()
                self._gone.add(key)
                log.warning(
                    "Slack: can't edit message %s in %s (%s); leaving it as it is",
                    ts,
                    channel,
                    code,
                )
            else:
                log.warning("Slack: editing message %s in %s failed (%s)", ts, channel, code)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as e:
            log.warning(
                "Slack: editing message %s in %s failed (%s)", ts, channel, type(e).__name__
            )

    async def _replace_ephemeral(self, respond: Respond, message: dict[str, Any]) -> None:
        try:
            await respond(**message, replace_original=True)
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning(
                "Slack: could not replace a private message through response_url (%s)",
                type(e).__name__,
            )
