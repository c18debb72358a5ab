"""Answers that go in a daily post's thread (`Visibility.THREAD`).

The router marks the answer to an "Another" / "More on" press on a daily post as a thread
answer when the channel has threads on. It is posted with `chat.postMessage` and
`thread_ts` = the post's `ts` (from the signed payload's `container`), with the bot token of
the workspace the press came from: everyone in the thread sees it. When Slack refuses (the bot
left the channel, the channel was archived) or cannot be reached, the caller answers the
presser privately instead, as if threads were off.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import api_error_code
from bot.adapters.slack.source_edits import SourceMessage

log = logging.getLogger("k8stip.slack")


async def post_in_thread(
    client: AsyncWebClient, source: SourceMessage, rendered: dict[str, Any]
) -> bool:
    """Post `rendered` ({"text", "blocks"}) in the thread of `source`; False when it could
    not be posted (logged once, with Slack's error code)."""
    try:
        await client.chat_postMessage(
            channel=source.channel,
            thread_ts=source.ts,
            text=rendered["text"],
            blocks=rendered["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as e:
        log.warning(
            "Slack: could not answer in the thread of %s (%s); answering the presser privately",
            source.channel,
            api_error_code(e) or "error",
        )
        return False
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as e:
        log.warning(
            "Slack: could not answer in the thread of %s (%s); answering the presser privately",
            source.channel,
            type(e).__name__,
        )
        return False
    return True
