"""Daily posts over REST (`chat.postMessage`) and reading them back to reconcile after a crash.

The delivery client retries nothing: the delivery loop owns retries, and an SDK-level retry
after a reset connection could post the tip twice (bolt's interactive client, by contrast,
retries a 429 once: a person is waiting). Works without the bot being started, so
`k8stip deliver` can use it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import api_error_code, map_api_error, map_transport_error
from bot.adapters.slack.render import render
from bot.core.replies import Reply
from bot.ports import AmbiguousError, Target, TransientError

log = logging.getLogger("k8stip.slack")

DELIVERY_EVENT_TYPE = "k8stip_delivery"
MIN_SECONDS_BETWEEN_POSTS = 1.0  # chat.postMessage: 1 message per second per channel
HISTORY_PAGES = 3  # find_posted reads at most this many pages of 200 messages


class Poster:
    """`post` and `find_posted` of the Adapter protocol, for Slack.

    `token_for(workspace)` gives the bot token to post with (raising a PostError when the
    workspace has none).
    """

    def __init__(
        self,
        *,
        api_url: str,
        token_for: Callable[[str], Awaitable[str]],
        http_timeout: float,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._api_url = api_url
        self._token_for = token_for
        self._http_timeout = http_timeout
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        self._clients: dict[str, AsyncWebClient] = {}
        # One HTTP session (connection pool) for all daily posts: without it slack-sdk opens
        # a new session, so a new TCP + TLS connection, for every post.
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _client(self, workspace: str) -> AsyncWebClient:
        token = await self._token_for(workspace)
        session = self._session
        if session is None or session.closed:
            # slack-sdk takes the timeout from the session it is given.
            session = self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._http_timeout)
            )
        client = self._clients.get(token)
        if client is None:
            client = AsyncWebClient(
                token=token,
                base_url=self._api_url,
                timeout=self._http_timeout,  # type: ignore[arg-type]  # annotated int, used as aiohttp seconds
                retry_handlers=[],  # delivery owns retries; see the module docstring
                session=session,
            )
            self._clients[token] = client
        client.session = session  # a new one if close() closed the previous one
        return client

    async def client_for(self, workspace: str) -> AsyncWebClient:
        """The delivery client for `workspace` (`direct.py` opens IMs with it)."""
        return await self._client(workspace)

    async def _pace(self, target: Target) -> None:
        key = f"{target.workspace}/{target.channel}"
        last = self._last_post.get(key)
        if last is not None:
            wait = MIN_SECONDS_BETWEEN_POSTS - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)
        now = self._monotonic()
        self._last_post[key] = now
        if len(self._last_post) > 10_000:  # forget channels not posted to for a while
            self._last_post = {
                k: t for k, t in self._last_post.items() if now - t < MIN_SECONDS_BETWEEN_POSTS
            }

    async def post(self, target: Target, reply: Reply, delivery_id: str) -> str:
        client = await self._client(target.workspace)
        rendered = render(reply, ephemeral=False)
        await self._pace(target)
        try:
            resp = await client.chat_postMessage(
                channel=target.channel,
                text=rendered["text"],
                blocks=rendered["blocks"],
                metadata={
                    "event_type": DELIVERY_EVENT_TYPE,
                    "event_payload": {"delivery_id": delivery_id},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as e:
            raise map_api_error(e, posting=True) from None
        except SlackClientError as e:
            # Slack answered, but not in a form slack-sdk could read: the post may be there.
            raise AmbiguousError(f"unreadable answer from Slack ({type(e).__name__})") from None
        except (aiohttp.ClientError, TimeoutError) as e:
            raise map_transport_error(e, sent=True) from None
        return str(resp["ts"])

    async def find_posted(self, target: Target, delivery_id: str) -> str | None:
        """Look for the delivery id in the channel's recent history (newest first).

        Without `channels:history`/`groups:history` this can't see anything and answers None,
        so delivery posts again: a rare duplicate rather than a silently missed day.
        """
        client = await self._client(target.workspace)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                resp = await client.conversations_history(
                    channel=target.channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            except SlackApiError as e:
                if api_error_code(e) == "missing_scope":
                    log.warning(
                        "Slack: no history scope in %s; can't reconcile delivery %s, "
                        "assuming it was not posted",
                        target.channel,
                        delivery_id,
                    )
                    return None
                raise map_api_error(e) from None
            except SlackClientError as e:
                raise TransientError(f"unreadable answer from Slack ({type(e).__name__})") from None
            except (aiohttp.ClientError, TimeoutError) as e:
                raise map_transport_error(e, sent=False) from None
            for message in resp.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == DELIVERY_EVENT_TYPE
                    and payload.get("delivery_id") == delivery_id
                ):
                    return str(message["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None
