"""The one mention a daily post may carry (`Reply.mention`), for Discord: the markup that opens
the message's content and the `allowed_mentions` that let exactly that one ping.

Every other mention stays off twice over: text is escaped by `render.neutralise`, and
`allowed_mentions` names only this role or user (never @everyone, never another role, never
the replied-to author). Slack's user groups ("group:") ping nobody here.
"""

from __future__ import annotations

import discord

from bot.core.mentions import split_token

NO_MENTIONS = discord.AllowedMentions.none()


def mention_parts(mention: str) -> tuple[str, discord.AllowedMentions]:
    """(`<@&ID>` or `<@ID>`, the AllowedMentions that allow only it); ("", none) otherwise."""
    parts = split_token("discord", mention) if mention else None
    if parts is None:
        return "", NO_MENTIONS
    kind, ident = parts
    if kind == "role":
        allowed = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(int(ident))], replied_user=False
        )
        return f"<@&{ident}>", allowed
    if kind == "user":
        allowed = discord.AllowedMentions(
            everyone=False, users=[discord.Object(int(ident))], roles=False, replied_user=False
        )
        return f"<@{ident}>", allowed
    return "", NO_MENTIONS
