"""Direct messages on Discord: the DM channel of a "dm:<member>" target.

`POST /users/@me/channels {recipient_id}` gives the bot's DM channel with a member; it is the
same channel every time, so its id is cached per member, a bounded number of them. The post
then goes there like any other (with its nonce and `enforce_nonce`), and `find_posted` reads
that channel's history.

Discord refuses a DM when the member shares no server with the bot any more or has turned off
direct messages from server members (error 50007): a `PermanentError` that says so, and the
personal subscription pauses with that reason.
"""

from __future__ import annotations

from collections import OrderedDict

import discord
from discord.http import HTTPClient

from bot.ports import PermanentError, Target

__all__ = ["CACHE_MAX", "DIRECT_CODES", "DirectChannels"]

CACHE_MAX = 10_000  # members whose DM channel id is remembered; the oldest is forgotten first

# Discord JSON error codes of a direct message that no retry can fix.
DIRECT_CODES = {
    50007: (
        "cannot_dm: member {member} does not accept direct messages from k8stip (their "
        "privacy settings) or no longer shares a server with it"
    ),
    10013: "unknown_user: Discord has no member {member} any more",
    10003: "unknown_channel: the direct-message channel with member {member} is gone",
    50001: "missing_access: k8stip can't reach member {member} by direct message",
}


def direct_error(exc: discord.HTTPException, member: str) -> PermanentError | None:
    """The reason a DM to `member` failed for good, or None if the error is not DM-specific."""
    reason = DIRECT_CODES.get(int(exc.code or 0))
    return PermanentError(reason.format(member=member)) if reason else None


class DirectChannels:
    """Opens (once) and remembers the DM channel of each member k8stip writes to."""

    def __init__(self, cache_max: int = CACHE_MAX) -> None:
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._cache_max = cache_max

    def forget(self, member: str) -> None:
        self._cache.pop(member, None)

    async def channel_id(self, http: HTTPClient, target: Target) -> int:
        """The DM channel id for a "dm:<member>" target; raises discord.HTTPException (the
        caller maps it, `direct_error` first) or PermanentError for a malformed member id."""
        member = target.direct_to
        if not (member.isascii() and member.isdigit() and len(member) <= 20):
            raise PermanentError(f"bad_member: {member[:40]!r} is not a Discord user id")
        cached = self._cache.get(member)
        if cached is not None:
            self._cache.move_to_end(member)
            return cached
        data = await http.start_private_message(int(member))
        channel = int(data["id"])
        self._cache[member] = channel
        while len(self._cache) > self._cache_max:
            self._cache.popitem(last=False)
        return channel
