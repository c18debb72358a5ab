"""Answers that go in a daily post's thread (`Visibility.THREAD`), over REST.

The router marks the answer to an "Another" / "More on" press on a daily post as a thread
answer when the channel has threads on. The press is acknowledged without a message
(DEFERRED_UPDATE_MESSAGE) and the answer is posted:

1. in a thread started on that message (`POST /channels/{c}/messages/{m}/threads`). A
   message has at most one thread and its id is the message's, so when Discord says one
   already exists (code 160004) the answer goes into `/channels/{m}/messages`;
2. where the bot may not start threads or post in them (403, 50001 Missing Access, 50013
   Missing Permissions) or the channel cannot have them (a thread itself, a voice channel's
   text, 50024), as a reply to the message (`message_reference`) instead;
3. when that fails too, the caller answers the presser privately.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord
from discord.http import HTTPClient, MultipartParameters, handle_message_parameters

from bot.adapters.discord.render import RenderedMessage

if TYPE_CHECKING:  # discord.types imports in a cycle at run time; only mypy needs it
    from discord.types.message import MessageReference as MessageReferencePayload

log = logging.getLogger(__name__)

THREAD_NAME = "More on this tip"
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day: the next daily post starts the next thread
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
# Codes after which no thread can be had here: reply to the message instead.
NO_THREAD_CODES = frozenset({50001, 50013, 50024, 160005, 160006})

Where = Literal["thread", "reply"]


def _params(
    message: RenderedMessage, reply_to: tuple[int, int] | None = None
) -> MultipartParameters:
    reference: MessageReferencePayload | None = (
        {"message_id": reply_to[1], "channel_id": reply_to[0], "fail_if_not_exists": False}
        if reply_to is not None
        else None
    )
    return handle_message_parameters(
        content=message.content if message.content is not None else discord.utils.MISSING,
        embeds=message.embeds,
        view=message.view if message.view is not None else discord.utils.MISSING,
        allowed_mentions=message.allowed_mentions,
        message_reference=reference if reference is not None else discord.utils.MISSING,
    )


async def _thread_id(http: HTTPClient, channel_id: int, message_id: int) -> int | None:
    """The thread on `message_id`, started now or earlier; None when there can be none."""
    try:
        await http.start_thread_with_message(
            channel_id,
            message_id,
            name=THREAD_NAME,
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
    except discord.HTTPException as e:
        code = int(e.code or 0)
        if code == THREAD_EXISTS:
            return message_id
        if e.status in (400, 403) or code in NO_THREAD_CODES:
            log.info(
                "discord: no thread on a daily post in %s (%s %s); replying to it instead",
                channel_id,
                e.status,
                code,
            )
            return None
        raise
    return message_id  # a thread started on a message has that message's id


async def post_in_thread(
    http: HTTPClient, channel_id: int, message_id: int, message: RenderedMessage
) -> Where | None:
    """Post `message` in the thread of the daily post `message_id` (or as a reply to it);
    where it went, or None when neither worked (logged)."""
    try:
        thread = await _thread_id(http, channel_id, message_id)
        if thread is not None:
            try:
                await http.send_message(thread, params=_params(message))
                return "thread"
            except discord.HTTPException as e:
                if e.status != 403 and int(e.code or 0) not in NO_THREAD_CODES:
                    raise
        reply = _params(message, (channel_id, message_id))
        await http.send_message(channel_id, params=reply)
        return "reply"
    except discord.HTTPException as e:
        log.warning(
            "discord: could not answer on a daily post in %s (%s %s); answering the presser "
            "privately",
            channel_id,
            e.status,
            e.code,
        )
    except (aiohttp.ClientError, TimeoutError) as e:
        log.warning(
            "discord: could not answer on a daily post in %s (%s); answering the presser privately",
            channel_id,
            type(e).__name__,
        )
    return None


async def answer_in_thread(interaction: discord.Interaction[Any], message: RenderedMessage) -> bool:
    """Acknowledge the press without a message, then post `message` on the pressed message
    (`post_in_thread`). False when it could not be posted: answer the presser privately."""
    pressed = interaction.message
    if pressed is None or interaction.channel_id is None:
        return False
    if not interaction.response.is_done():
        await interaction.response.defer()  # DEFERRED_UPDATE_MESSAGE: nothing shown
    where = await post_in_thread(
        interaction.client.http, interaction.channel_id, pressed.id, message
    )
    return where is not None
