"""Opening a form's modal on a press, and answering its `view_submission`.

A submission is routed like a command (`Invocation.fields` carries the values). Its answer
goes back in the submission's ack when it is ready within the ack budget: an ERROR answer keeps
the modal open with the error under the first field (`response_action: errors`), so the member
can fix what they typed; any other answer closes the modal and is told to the member privately
(`chat.postEphemeral` in the channel the form was opened from, or a direct message when that
channel is unknown or k8stip can't post there). A slow answer closes the modal first and
follows the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any, Protocol, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import api_error_code
from bot.adapters.slack.forms import field_errors, modal_view, read_submission
from bot.adapters.slack.render import render
from bot.core.replies import Reply, ReplyKind

__all__ = ["Answer", "Modals"]

T = TypeVar("T")
log = logging.getLogger("k8stip.slack")


class Answer(Protocol):
    """`Listeners._answer`: build the Invocation (admin check included), route it."""

    def __call__(
        self,
        client: AsyncWebClient,
        *,
        team: str,
        channel: str,
        user: str,
        user_name: str,
        text: str,
        fields: tuple[tuple[str, str], ...] = (),
    ) -> Coroutine[Any, Any, Reply]: ...


class Modals:
    """See the module docstring. `track` runs work that `Listeners.drain()` waits for."""

    def __init__(
        self,
        answer: Answer,
        track: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
        ack_budget: float,
    ) -> None:
        self._answer = answer
        self._track = track
        self._ack_budget = ack_budget

    async def open(
        self,
        client: AsyncWebClient,
        trigger_id: str,
        reply: Reply,
        channel: str,
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        """`views.open` for `reply.form` with the press's trigger. If Slack refuses (the
        trigger expired: the answer took over 3 seconds), the presser gets the reply's own
        text instead: the router's fallback, which says how to type the same as a command."""
        assert reply.form is not None
        try:
            await client.views_open(trigger_id=trigger_id, view=modal_view(reply.form, channel))
            return
        except SlackApiError as e:
            why = api_error_code(e) or "error"
        except (aiohttp.ClientError, TimeoutError) as e:
            why = type(e).__name__
        log.warning("Slack: views.open failed (%s); answering with the typed form instead", why)
        rendered = render(replace(reply, form=None), ephemeral=True, offer_share=False)
        try:
            await respond(**rendered, response_type="ephemeral", replace_original=False)
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("Slack: could not answer through response_url (%s)", type(e).__name__)

    async def on_submission(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        submission = read_submission(view)
        if submission is None:
            # Not a form k8stip opened (or its metadata doesn't parse): close it, route nothing.
            await ack()
            return
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        user_id = str(user.get("id", ""))
        task = self._track(
            self._answer(
                client,
                team=team,
                channel=submission.channel,
                user=user_id,
                user_name=str(user.get("username") or user.get("name") or ""),
                text=submission.command,
                fields=submission.fields,
            )
        )
        done, _ = await asyncio.wait({task}, timeout=self._ack_budget)
        if task in done:
            reply = task.result()
            errors = field_errors(submission, reply.text) if reply.kind is ReplyKind.ERROR else None
            if errors is not None:
                await ack(**errors)
                return
        await ack()
        self._track(self._tell_when_ready(client, task, submission.channel, user_id))

    async def _tell_when_ready(
        self, client: AsyncWebClient, answer: asyncio.Task[Reply], channel: str, user: str
    ) -> None:
        reply = await answer
        rendered = render(reply, ephemeral=True)
        try:
            if channel:
                try:
                    await client.chat_postEphemeral(channel=channel, user=user, **rendered)
                    return
                except SlackApiError as e:  # not in that channel any more: say it directly
                    log.info(
                        "Slack: chat.postEphemeral failed (%s); answering the form by direct "
                        "message",
                        api_error_code(e) or "error",
                    )
            opened = await client.conversations_open(users=user)
            im = str((opened.get("channel") or {}).get("id") or "")
            await client.chat_postMessage(channel=im, **rendered)
        except SlackApiError as e:
            log.warning(
                "Slack: could not answer a form submission (%s)", api_error_code(e) or "error"
            )
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("Slack: could not answer a form submission (%s)", type(e).__name__)
