"""The one mention a subscription may carry: parsed from what an admin typed, kept as a neutral
token, described for status lines.

Tokens (what `Reply.mention` holds and `subscriptions.mention` stores): "role:<id>" (a Discord
role), "group:<id>" (a Slack user group; on the console, the typed name) or "user:<id>".
Broadcasts (@everyone, @here, @channel and Discord's @everyone role, whose id is the guild's)
are refused: a daily post pings exactly the one named, never the whole channel.

How each platform hands over the name:
- Slack: slash-command text with "Escape channels, users, and links" on carries
  `<!subteam^S0123ABC|@k8s-learners>` for a user group and `<@U0123|name>` for a user.
- Discord: the adapter turns the role option into `<@&123>`; typed user mentions are `<@123>`.
- Console: `@name`, kept as the name (the terminal pings nobody).
"""

from __future__ import annotations

import re

from bot.core.replies import MENTION_KINDS

OFF_WORDS = ("off", "none")
MENTION_MAX = 160  # subscriptions.mention holds this many characters

_SLACK_GROUP = re.compile(r"^<!subteam\^([A-Z0-9]{2,40})(?:\|[^>]{0,200})?>$")
_SLACK_USER = re.compile(r"^<@([UW][A-Z0-9]{2,40})(?:\|[^>]{0,200})?>$")
_DISCORD_ROLE = re.compile(r"^<@&(\d{1,25})>$")
_DISCORD_USER = re.compile(r"^<@!?(\d{1,25})>$")
_CONSOLE_NAME = re.compile(r"^@?([A-Za-z0-9][\w.-]{0,63})$")
_BROADCASTS = re.compile(
    r"^(?:@|<!)(?:everyone|here|channel)\b|^(?:everyone|here|channel)$", re.IGNORECASE
)
# What a stored token's id may be, per platform (checked again by adapters before rendering).
_IDS = {
    "slack": re.compile(r"^[A-Z0-9]{2,40}$"),
    "discord": re.compile(r"^\d{1,25}$"),
    "console": re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$"),
}

BROADCAST_REFUSED = (
    "A daily tip never pings the whole channel (@everyone, @here, @channel). "
    "Name one role or user group instead."
)
ONE_ONLY = "A daily tip pings at most one role or user group: name just one."
SLACK_NEEDS_ESCAPING = (
    "Slack sent that name without its id. Pick the user group from the list as you type @ "
    "(or ask whoever set up the Slack app to turn on “Escape channels, users, and links” "
    "for the slash command), then run it again."
)
NOT_A_MENTION = {
    "slack": "That isn't a user group or a person. Type @ and pick a user group from the list.",
    "discord": "That isn't a role. Pick one in the role option.",
    "console": "That isn't a name. Use letters, digits, dots, dashes or underscores.",
}


class MentionError(ValueError):
    """What an admin typed can't be the channel's mention; `str(e)` says what to do."""


def parse_mention(platform: str, text: str, workspace: str = "") -> str:
    """The token for `text` ("group:S0123ABC"), or "" for off. Raises `MentionError`.

    `workspace` is the Discord guild id: its @everyone role has the same id, and is refused."""
    words = text.split()
    if not words:
        raise MentionError(NOT_A_MENTION.get(platform, NOT_A_MENTION["slack"]))
    if len(words) == 1 and words[0].lower() in OFF_WORDS:
        return ""
    if any(_BROADCASTS.search(w) for w in words):
        raise MentionError(BROADCAST_REFUSED)
    if len(words) > 1:
        raise MentionError(ONE_ONLY)
    word = words[0]
    token = _token(platform, word, workspace)
    if len(token) > MENTION_MAX:
        raise MentionError(NOT_A_MENTION.get(platform, NOT_A_MENTION["slack"]))
    return token


def _token(platform: str, word: str, workspace: str) -> str:
    if platform == "slack":
        if m := _SLACK_GROUP.match(word):
            return f"group:{m.group(1)}"
        if m := _SLACK_USER.match(word):
            return f"user:{m.group(1)}"
        if word.startswith("@") and len(word) > 1:
            raise MentionError(SLACK_NEEDS_ESCAPING)
    elif platform == "discord":
        if m := _DISCORD_ROLE.match(word):
            if workspace and m.group(1) == workspace:  # the @everyone role
                raise MentionError(BROADCAST_REFUSED)
            return f"role:{m.group(1)}"
        if m := _DISCORD_USER.match(word):
            return f"user:{m.group(1)}"
    elif platform == "console" and (m := _CONSOLE_NAME.match(word)):
        return f"group:{m.group(1)}"
    raise MentionError(NOT_A_MENTION.get(platform, NOT_A_MENTION["slack"]))


def split_token(platform: str, token: str) -> tuple[str, str] | None:
    """(kind, id) of a stored token when it is well formed for `platform`, else None (an
    adapter then pings nobody)."""
    kind, sep, ident = token.partition(":")
    pattern = _IDS.get(platform)
    if not sep or kind not in MENTION_KINDS or pattern is None or not pattern.match(ident):
        return None
    return kind, ident


def describe_mention(platform: str, token: str) -> str:
    """What a status line says about the mention: "nobody", "the user group S0123ABC"."""
    parts = split_token(platform, token) if token else None
    if parts is None:
        return "nobody"
    kind, ident = parts
    if platform == "console":
        return f"@{ident}"
    what = {"role": "the role", "group": "the user group", "user": "the member"}[kind]
    return f"{what} with id {ident}"
