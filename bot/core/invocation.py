"""What a person asked, in platform-neutral form: the router's only input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.replies import Reply


@dataclass(frozen=True)
class Invocation:
    """One `/k8stip …` command or button press, from any platform.

    `text` is everything after `/k8stip` exactly as typed (a button press carries its
    action's `command`). `is_admin` is decided by the adapter from the platform's own roles
    (Slack workspace admin/owner, Discord Manage Server) or the config's admin list.
    """

    platform: str  # "slack" | "discord" | "console"
    workspace: str  # Slack team id, Discord guild id, "console"
    channel: str
    user: str
    text: str = ""
    is_admin: bool = False
    user_name: str = ""


Handler = Callable[[Invocation], Awaitable[Reply]]
