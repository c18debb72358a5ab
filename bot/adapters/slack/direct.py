"""Direct messages on Slack: the IM channel of a "dm:<member>" target.

`conversations.open` (scope `im:write`) gives the id of the bot's conversation with a member;
it is the same id every time, so it is cached per (workspace, member), a bounded number of
them. Posting and reading back then work as in any channel (`chat.postMessage` with the
delivery's metadata; `conversations.history` on the IM, scope `im:history`, to reconcile).

A member who can't be reached (left, deactivated, the app's Messages tab off) is a
`PermanentError` that says so: their personal subscription pauses with that reason.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.errors import PERMANENT_REASONS, api_error_code, map_api_error
from bot.ports import PermanentError, PostError, Target, TransientError

__all__ = ["DIRECT_REASONS", "DirectChannels", "direct_reason", "reworded"]

CACHE_MAX = 10_000  # members whose IM id is remembered; the oldest is forgotten first
_MEMBER_RE = re.compile(r"^[UW][A-Z0-9_]{2,24}$")  # ids are [A-Z0-9]; tests use U_MEMBER

# Why a direct message can't reach a member, by Slack error code; the fix is in the text.
DIRECT_REASONS: dict[str, str] = {
    "user_not_found": "member {member} is not in this workspace any more",
    "user_not_visible": "member {member} is not visible to k8stip (a guest or another org)",
    "user_disabled": "member {member} was deactivated",
    "cannot_dm_bot": "{member} is a bot; k8stip sends direct messages to people only",
    "messages_tab_disabled": (
        "k8stip's Messages tab is turned off, so it can't send direct messages; turn it on "
        "under App Home in the Slack app settings (see config/slack-app-manifest.yaml)"
    ),
    # The same errors as in a channel, worded for a conversation with one member.
    "channel_not_found": "the direct-message conversation with {member} is gone",
    "not_in_channel": "k8stip can't post in its conversation with {member}",
    "is_archived": "the conversation with {member} is closed (the member was deactivated)",
    "missing_scope": (
        "the Slack app lacks the im:write scope; update it from "
        "config/slack-app-manifest.yaml and reinstall"
    ),
}
_CHANNEL_REASON_CODES = {reason: code for code, reason in PERMANENT_REASONS.items()}


def direct_reason(code: str, member: str) -> str | None:
    """The reason a direct message to `member` failed with `code`, or None if not ours."""
    reason = DIRECT_REASONS.get(code)
    return f"direct message: {reason.format(member=member)}" if reason else None


def reworded(err: PostError, member: str) -> PostError:
    """A channel-worded PermanentError from posting ("invite me with /invite") as the same
    failure in a direct message; anything else unchanged."""
    if isinstance(err, PermanentError):
        code = _CHANNEL_REASON_CODES.get(err.reason, "")
        reason = direct_reason(code, member)
        if reason is not None:
            return PermanentError(reason)
    return err


class DirectChannels:
    """Opens (once) and remembers the IM channel of each member k8stip writes to."""

    def __init__(self, cache_max: int = CACHE_MAX) -> None:
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._cache_max = cache_max

    def forget(self, target: Target) -> None:
        """Drop a cached IM id (after a post there failed for good)."""
        self._cache.pop((target.workspace, target.direct_to), None)

    async def channel(
        self, target: Target, client_for: Callable[[str], Awaitable[AsyncWebClient]]
    ) -> Target:
        """`target` with its "dm:<member>" channel replaced by the IM's channel id."""
        member = target.direct_to
        if not _MEMBER_RE.match(member):
            raise PermanentError(
                f"direct message: {member[:40]!r} is not a Slack member id (U… or W…)"
            )
        key = (target.workspace, member)
        im = self._cache.get(key)
        if im is None:
            im = await self._open(await client_for(target.workspace), member)
            self._cache[key] = im
            while len(self._cache) > self._cache_max:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return Target(target.platform, target.workspace, im)

    async def _open(self, client: AsyncWebClient, member: str) -> str:
        try:
            resp = await client.conversations_open(users=member, return_im=False)
        except SlackApiError as e:
            reason = direct_reason(api_error_code(e), member)
            if reason is not None:
                raise PermanentError(reason) from None
            raise map_api_error(e) from None
        except SlackClientError as e:
            raise TransientError(f"unreadable answer from Slack ({type(e).__name__})") from None
        except (aiohttp.ClientError, TimeoutError) as e:
            # Opening the same conversation twice is harmless: nothing was posted yet.
            raise TransientError(
                f"could not open a direct message on Slack ({type(e).__name__})"
            ) from None
        channel = resp.get("channel") or {}
        im = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(im, str) or not im:
            raise TransientError("Slack's conversations.open answer had no channel id")
        return im
