"""What a person asked, in platform-neutral form: the router's only input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.commands import COMMANDS
from bot.core.replies import Reply
from bot.core.textnorm import MAX_QUERY_CHARS


@dataclass(frozen=True)
class Invocation:
    """One `/k8stip …` command or button press, from any platform.

    `text` is everything after `/k8stip` exactly as typed (a button press carries its
    action's `command`). `is_admin` is decided by the adapter from the platform's own roles
    (Slack workspace admin/owner, Discord Manage Server) or the config's admin list.

    `text` is cut to `MAX_QUERY_CHARS` (at a word boundary) when the Invocation is made, so
    no command, topic lookup or search ever works on more: the one limit, applied before any
    work. (A 100,000-character line of unknown words cost about 1 s of topic resolution.)
    `suggest` and `review` carry a tip's text and keep up to `MAX_TIP_TEXT_CHARS`.
    """

    platform: str  # "slack" | "discord" | "console"
    workspace: str  # Slack team id, Discord guild id, "console"
    channel: str
    user: str
    text: str = ""
    is_admin: bool = False
    user_name: str = ""
    # For a button press: the platform's id of the message that carried the button (Slack
    # message ts, Discord message id), "" for typed commands. A quiz answer finds its posting
    # by it; it is never shown or logged.
    message_ref: str = ""
    # A submitted form's values (`bot.core.replies.Form`): (field name, value) pairs, each
    # value cut to its field's max_length by the adapter; () for commands and presses.
    fields: tuple[tuple[str, str], ...] = ()
    # The channel is the member's direct-message conversation with the bot (Slack IM,
    # Discord DM): there is no channel subscription to read, and replies are private anyway.
    direct: bool = False

    def field(self, name: str) -> str:
        """A submitted form field's value ("" when absent)."""
        return next((value for key, value in self.fields if key == name), "")

    def __post_init__(self) -> None:
        if len(self.text) > MAX_QUERY_CHARS:
            object.__setattr__(self, "text", clip(self.text, text_limit(self.text)))


# Commands whose words are a tip's text, not a question (`CommandSpec.tip_text`): cut well past
# the longest tip a chat message holds (3,000 characters), so a longer one is refused as too
# long, never cut short and queued.
TIP_TEXT_COMMANDS = frozenset(c.word for c in COMMANDS.values() if c.tip_text)
MAX_TIP_TEXT_CHARS = 4000


def text_limit(text: str) -> int:
    """How much of an invocation's text is kept: `MAX_QUERY_CHARS`, or more for a command
    that carries a tip's text."""
    head = text[:20].split(maxsplit=1)
    first = head[0].lower() if head else ""
    return MAX_TIP_TEXT_CHARS if first in TIP_TEXT_COMMANDS else MAX_QUERY_CHARS


def clip(text: str, limit: int = MAX_QUERY_CHARS) -> str:
    """`text` cut to `limit` characters, at the last space before it when that keeps at least
    half of them; otherwise inside the long word (cutting at an early space would drop it
    whole: `suggest <10,000 characters>` became `suggest`, "write the tip after the
    command")."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    head, sep, _ = cut.rpartition(" ")
    head = head.rstrip()
    return head if sep and len(head) >= limit // 2 else text[:limit]


Handler = Callable[[Invocation], Awaitable[Reply]]
