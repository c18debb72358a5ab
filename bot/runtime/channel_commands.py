"""How a channel's daily posts reach people: an admin turns thread answers on or off
(`threads on|off`) and names the one role or user group each daily post pings
(`mention <role or group>|off`); names, help text and who may run each: bot/core/commands.py.

With threads on, a press of "Another" or "More on" on one of the channel's daily posts is
answered in that post's thread (`Visibility.THREAD`; the adapter posts there), not privately.
Other presses, and typed commands, are answered as before. The mention is kept on the
subscription as a neutral token (`bot.core.mentions`); daily posts carry it as `Reply.mention`
and the adapters let exactly that one ping.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.invocation import Invocation
from bot.core.mentions import MentionError, describe_mention, parse_mention
from bot.core.replies import Reply, ReplyKind, Visibility
from bot.core.wording import error, info
from bot.runtime.command_context import CommandContext, CommandHandler
from bot.runtime.store import Subscription

# The presses whose answer goes in the daily post's thread when the channel has threads on.
THREADED_PRESSES = frozenset({"another", "more"})
THREADS_ON = (
    "Threads on: pressing Another or More on one of this channel's daily tips answers in "
    "that post's thread, for everyone to see."
)
DISCORD_THREAD_PERMISSIONS = (
    "Give k8stip Create Public Threads and Send Messages in Threads in this channel; "
    "without them it replies to the post instead."
)
THREADS_OFF = "Threads off: answers to a daily tip's buttons go only to whoever pressed."


class ChannelCommands:
    """The handlers of threads and mention, and what the router and status ask of them."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, CommandHandler]:
        return {"threads": self.cmd_threads, "mention": self.cmd_mention}

    def _hint(self, inv: Invocation, command: str, value: str) -> str:
        """`threads on` / `mention off` as typed where `inv` came from."""
        if inv.platform == "discord":
            option = "setting" if command == "threads" else value
            return f"/k8stip-admin {command} {option}:{value}"
        return self.ctx.example(inv, command, value)

    # -- threads ------------------------------------------------------------------------

    async def cmd_threads(self, inv: Invocation, args: list[str]) -> Reply:
        """Answer a daily post's buttons in its thread (on) or privately (off)."""
        if not args:
            enabled = await self.ctx.db(
                self.ctx.store.threads_enabled, inv.platform, inv.workspace, inv.channel
            )
            state = "on" if enabled else "off"
            other = "off" if enabled else "on"
            return info(
                f"Threads are {state} in this channel.",
                f"Turn them {other}: {self._hint(inv, 'threads', other)}",
            )
        setting = args[0].lower()
        if len(args) > 1 or setting not in ("on", "off"):
            return error("Threads are turned on or off.", self._hint(inv, "threads", "on"))
        if inv.direct:
            return error("Threads are a channel's setting: run this in the channel.")
        enabled = setting == "on"
        await self.ctx.db(
            self.ctx.store.set_threads,
            inv.platform,
            inv.workspace,
            inv.channel,
            enabled,
            inv.user,
            self.ctx.clock.now(),
        )
        if not enabled:
            return info(THREADS_OFF)
        extra = (DISCORD_THREAD_PERMISSIONS,) if inv.platform == "discord" else ()
        return info(THREADS_ON, *extra)

    # -- mention ------------------------------------------------------------------------

    async def cmd_mention(self, inv: Invocation, args: list[str]) -> Reply:
        """Set (or turn off) the one role or user group the channel's daily tips ping."""
        sub = await self.ctx.subscription(inv)
        if sub is None:
            return self.ctx.not_subscribed(inv)
        example = self._hint(inv, "mention", "off")
        if not args:
            who = describe_mention(inv.platform, sub.mention)
            return info(f"Daily tips here ping {who}.", f"To ping nobody: {example}")
        try:
            token = parse_mention(inv.platform, " ".join(args), inv.workspace)
        except MentionError as e:
            return error(str(e), f"To ping nobody: {example}")
        changed = await self.ctx.db(self.ctx.store.set_mention, sub.id, token, self.ctx.clock.now())
        if not changed:
            return self.ctx.not_subscribed(inv)
        if not token:
            return info("Daily tips here ping nobody now.")
        who = describe_mention(inv.platform, token)
        return info(
            f"Each daily tip here now pings {who}, and nobody else.",
            f"To ping nobody: {example}",
        )

    # -- what others ask ------------------------------------------------------------------

    async def status_lines(self, inv: Invocation, sub: Subscription) -> list[str]:
        """The status lines about mentions and threads."""
        enabled = await self.ctx.db_or(
            "read the channel's settings",
            False,
            self.ctx.store.threads_enabled,
            inv.platform,
            inv.workspace,
            inv.channel,
        )
        return [
            f"Pings: {describe_mention(inv.platform, sub.mention)}",
            f"Threads: {'on' if enabled else 'off'} (answers to a daily tip's buttons "
            + ("in its thread)" if enabled else "only to whoever pressed)"),
        ]

    async def threaded(self, inv: Invocation, command: str, reply: Reply) -> Reply:
        """`reply`, to go in the thread of the daily post whose button was pressed, when the
        channel has threads on and `inv` is a press of Another or More on one of its daily
        posts; otherwise `reply` as it was."""
        if (
            command not in THREADED_PRESSES
            or not inv.message_ref
            or inv.direct
            or reply.kind is not ReplyKind.TIP
        ):
            return reply
        in_thread = await self.ctx.db_or(
            "read the channel's settings",
            False,
            self.ctx.store.answers_in_thread,
            inv.platform,
            inv.workspace,
            inv.channel,
            inv.message_ref,
        )
        if not in_thread:
            return reply
        # Everyone in the thread already sees it: no "Share with the channel" button.
        actions = tuple(a for a in reply.actions if a.kind != "share")
        return replace(reply, visibility=Visibility.THREAD, actions=actions)
