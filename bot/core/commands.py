"""Every chat command, declared once: what it is called, what it does, who may run it, and
its arguments.

Pure data. The router (bot/runtime/router.py) binds a handler to each entry and takes its
help text and admin check from here; `bot.core.wording.example` / `usage` phrase every hint
from it for the asking platform; the Discord adapter (bot/adapters/discord/commands.py)
registers its app commands with the names, descriptions and options written here.

Admin-only is the `admin` flag, never words in a summary: help adds who the admins are on the
asking platform, and a refusal says "Only <who> can <summary>".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["slack", "console", "discord"]

EVERYWHERE: tuple[Platform, ...] = ("slack", "console", "discord")
TYPED: tuple[Platform, ...] = ("slack", "console")


@dataclass(frozen=True)
class Param:
    """One argument of a command: its Discord option `name` ("" when there is no such option
    there) and that option's `description`, the `placeholder` usage lines show, and the
    platforms where it must be given. `choices`: the only values it takes (Discord offers
    them as a list to pick from)."""

    name: str
    placeholder: str
    required: tuple[Platform, ...] = ()
    description: str = ""
    # Fixed values the option takes ("tip", "quiz"): Discord offers them as a list to pick
    # from; typed platforms take the word as written.
    choices: tuple[str, ...] = ()
    # Typed before the value when it is given ("|" before a suggestion's topics), so the
    # command reads the same typed on Slack as built from Discord's options.
    prefix: str = ""
    # The Discord option's type: "text" (a string) or "role" (a role picker; the adapter
    # hands the router the role's mention, `<@&id>`).
    kind: Literal["text", "role"] = "text"
    # Shown in typed usage lines. False: a Discord-only option whose word typed platforms
    # give in another argument (`mention off`).
    typed: bool = True


@dataclass(frozen=True)
class CommandSpec:
    """One command.

    `word` is what follows the slash command on Slack and the console ("" for `tip`, the
    default when no command word is given). `summary` is the help text: one sentence without
    its full stop, and without who may run it (`admin` says that). `discord` is the app
    command the same request is typed as on Discord ("" when it is a button only there);
    an entry with a `discord_description` registers that app command, the others (buttons)
    borrow one. `button`: run by tip-card buttons, so left out of the help list.
    `tip_text`: its words are a tip's text, not a question, so an Invocation keeps more of
    them (`bot.core.invocation.text_limit`).
    """

    name: str
    word: str
    summary: str
    admin: bool = False
    params: tuple[Param, ...] = ()
    discord: str = ""
    discord_description: str = ""
    button: bool = False
    tip_text: bool = False

    @property
    def discord_group(self) -> str:
        """The app command group it is typed in on Discord ("" when it has none)."""
        return self.discord.removeprefix("/").split(" ")[0] if self.discord else ""

    @property
    def discord_name(self) -> str:
        """The app command's own name within its group."""
        return self.discord.rsplit(" ", 1)[-1] if self.discord else ""

    def help_summary(self, admins: str) -> str:
        """The help line's text; `admins` is who may run admin commands on that platform."""
        return f"{self.summary} ({admins})." if self.admin else f"{self.summary}."


_TIME = Param("time", "HH:MM", ("discord",), "Local time, 24-hour HH:MM, e.g. 09:00")
_TIMEZONE = Param("timezone", "timezone", (), "IANA timezone, e.g. Europe/Amsterdam")
_DAYS = Param(
    "days",
    "daily|weekdays|mon,wed,fri|every 3 days|weekly on fri",
    (),
    "daily, weekdays, mon,wed,fri, every 3 days (2-90) or weekly on fri",
)
_TOPICS = Param("topics", "topic …", (), "Only these topics, e.g. 'rbac secrets' (default: all)")
_TIP_ID = Param("tip", "tip id", EVERYWHERE, "The tip's id, as the retired command lists it")

# Table order is help order (after `tip`) and the order the router lists its commands.
COMMANDS: dict[str, CommandSpec] = {
    c.name: c
    for c in (
        CommandSpec(
            "tip",
            "",
            "A tip: from this channel's rotation, on a topic, or answering a few words",
            params=(
                Param(
                    "query",
                    "topic or question",
                    (),
                    "A topic or a few words, e.g. rbac or 'pod security'",
                ),
            ),
            discord="/k8stip tip",
            discord_description="A Kubernetes tip, on a topic or a few words",
        ),
        CommandSpec(
            "help",
            "help",
            "What each command does",
            params=(Param("", "command"),),
            discord="/k8stip help",
            discord_description="How to use k8stip",
        ),
        CommandSpec(
            "search",
            "search",
            "The best-matching tips for a question, ranked",
            params=(
                Param("query", "words", EVERYWHERE, "Words to look for, e.g. 'secret rotation'"),
            ),
            discord="/k8stip search",
            discord_description="Search every tip for words",
        ),
        CommandSpec(
            "topics",
            "topics",
            "Every topic and how many tips it has",
            discord="/k8stip topics",
            discord_description="List the topics and how many tips each has",
        ),
        CommandSpec(
            "suggest",
            "suggest",
            "Suggest a tip of your own, to be reviewed before it joins the Community tips",
            params=(
                Param(
                    "text",
                    "tip text",
                    EVERYWHERE,
                    "The tip, one or two sentences, e.g. 'kubectl rollout undo rolls back …'",
                ),
                Param(
                    "topics",
                    "topic …",
                    (),
                    "Its topics, e.g. 'deployments kubectl' (optional)",
                    prefix="|",
                ),
            ),
            discord="/k8stip suggest",
            discord_description="Suggest a tip; admins review it before it is posted",
            tip_text=True,
        ),
        CommandSpec(
            "review",
            "review",
            "Review suggested tips: approve, edit or reject each",
            admin=True,
            params=(Param("", "approve|edit|reject id"),),
            discord="/k8stip-admin review",
            discord_description="Review the tips members suggested",
            tip_text=True,
        ),
        CommandSpec(
            "subscribe",
            "subscribe",
            "Post a tip in this channel every day",
            admin=True,
            params=(
                _TIME,
                _TIMEZONE,
                _DAYS,
                _TOPICS,
                Param(
                    "mode",
                    "quiz",
                    (),
                    "tip (the default) or quiz: a quiz question each day",
                    choices=("tip", "quiz"),
                ),
            ),
            discord="/k8stip-admin subscribe",
            discord_description="Post a tip in this channel every day",
        ),
        CommandSpec(
            "unsubscribe",
            "unsubscribe",
            "Stop the daily tip in this channel",
            admin=True,
            discord="/k8stip-admin unsubscribe",
            discord_description="Stop the daily tips in this channel",
        ),
        CommandSpec(
            "pause",
            "pause",
            "Pause the daily tip here, keeping its schedule",
            admin=True,
            discord="/k8stip-admin pause",
            discord_description="Pause the daily tips in this channel",
        ),
        CommandSpec(
            "resume",
            "resume",
            "Restart a paused daily tip",
            admin=True,
            discord="/k8stip-admin resume",
            discord_description="Resume the daily tips in this channel",
        ),
        CommandSpec(
            "skip",
            "skip",
            "Skip this channel's next daily post (again: the one after too)",
            admin=True,
            discord="/k8stip-admin skip",
            discord_description="Skip the next daily post in this channel",
        ),
        # Typed as two words; the router matches two-word command words first.
        CommandSpec(
            "post-now",
            "post now",
            "Post the next tip here now, as today's (nothing if today's went out)",
            admin=True,
            discord="/k8stip-admin post-now",
            discord_description="Post the next tip now, as today's",
        ),
        CommandSpec(
            "subscribe-me",
            "subscribe me",
            "Get a tip by direct message at your own time, days and topics",
            params=(
                Param("time", "HH:MM", (), "Your local time, 24-hour HH:MM (default 09:00)"),
                _TIMEZONE,
                _DAYS,
                _TOPICS,
            ),
            discord="/k8stip subscribe-me",
            discord_description="A tip for you by direct message, at your own time",
        ),
        CommandSpec(
            "unsubscribe-me",
            "unsubscribe me",
            "Stop your personal tip",
            discord="/k8stip unsubscribe-me",
            discord_description="Stop your personal tip by direct message",
        ),
        CommandSpec(
            "snooze",
            "snooze",
            "Hold your personal tip for 1 to 90 days, or off to wake it",
            params=(Param("duration", "7d|off", EVERYWHERE, "How long: 1d to 90d, or off"),),
            discord="/k8stip snooze",
            discord_description="Hold your personal tip for some days (off: wake it)",
        ),
        # Open to everyone on Slack and the console; on Discord it sits in the admin group.
        CommandSpec(
            "status",
            "status",
            "This channel's schedule, next post, topics and anything paused",
            discord="/k8stip-admin status",
            discord_description="Show this channel's subscription and the last delivery",
        ),
        CommandSpec(
            "next",
            "next",
            "Preview the next daily tip, only to you",
            admin=True,
            discord="/k8stip-admin next",
            discord_description="When the next tip will be posted here",
        ),
        CommandSpec(
            "threads",
            "threads",
            "Answer the buttons of a daily post in that post's thread (on), or privately (off)",
            admin=True,
            params=(
                Param(
                    "setting",
                    "on|off",
                    (),
                    "on: answers to a daily post's buttons go in its thread; off: privately",
                    ("on", "off"),
                ),
            ),
            discord="/k8stip-admin threads",
            discord_description="Answer a daily post's buttons in its thread",
        ),
        CommandSpec(
            "mention",
            "mention",
            "The one role or user group each daily tip here pings (off: nobody)",
            admin=True,
            params=(
                Param(
                    "role",
                    "@role or @group|off",
                    TYPED,
                    "The role each daily tip here pings",
                    kind="role",
                ),
                Param(
                    "off",
                    "off",
                    (),
                    "Choose off: the daily tips ping nobody",
                    ("off",),
                    typed=False,
                ),
            ),
            discord="/k8stip-admin mention",
            discord_description="The one role each daily tip here pings",
        ),
        CommandSpec(
            "quiz",
            "quiz",
            "A quiz question made from a tip, for the whole channel to answer",
            params=(Param("topic", "topic", (), "A topic, e.g. rbac (default: any)"),),
            discord="/k8stip quiz",
            discord_description="A quiz question for the channel, on a topic or any",
        ),
        CommandSpec(
            "stats",
            "stats",
            "Your votes, quizzes answered, share right and streak, only to you",
            discord="/k8stip stats",
            discord_description="Your votes, quiz answers and streak (only you see them)",
        ),
        CommandSpec(
            "request",
            "request",
            "Ask for tips on something the tips don't cover yet",
            params=(
                Param(
                    "words",
                    "topic or words",
                    EVERYWHERE,
                    "What you'd like tips on, e.g. 'helm chart upgrades'",
                ),
            ),
            discord="/k8stip request",
            discord_description="Ask for tips on something the tips don't cover yet",
        ),
        CommandSpec(
            "requests",
            "requests",
            "See what members asked for and searched in vain over 30 days, and the nearest topics",
            admin=True,
            params=(Param("count", "N", (), "How many of each to list, 1 to 25 (default 10)"),),
            discord="/k8stip-admin requests",
            discord_description="Top requests and unanswered searches of the last 30 days",
        ),
        CommandSpec(
            "yesterday",
            "yesterday",
            "Yesterday's daily tip in this channel, to read again",
            discord="/k8stip yesterday",
            discord_description="Yesterday's daily tip in this channel",
        ),
        CommandSpec(
            "history",
            "history",
            "This channel's last daily tips, newest first, with their votes",
            params=(Param("count", "N", (), "How many posts, 1 to 25 (default 5)"),),
            discord="/k8stip history",
            discord_description="This channel's last daily tips, newest first",
        ),
        # Anyone sees the board once it is on; turning it on or off is checked in the
        # handler, since the same word does both.
        CommandSpec(
            "leaderboard",
            "leaderboard",
            "This channel's top ten by right quiz answers over 30 days, once turned on",
            params=(
                Param(
                    "setting",
                    "on|off",
                    (),
                    "on or off: show the board in this channel (admins only)",
                    ("on", "off"),
                ),
            ),
            discord="/k8stip leaderboard",
            discord_description="The channel's quiz leaderboard (admins turn it on or off)",
        ),
        CommandSpec(
            "forget",
            "forget",
            "Delete your votes, quiz answers and requests everywhere",
            params=(Param("confirm", "me", EVERYWHERE, "Choose me to confirm", ("me",)),),
            discord="/k8stip forget",
            discord_description="Delete your votes, quiz answers and requests everywhere",
        ),
        CommandSpec(
            "retired",
            "retired",
            "The tips this channel's votes retired, and how to restore one",
            admin=True,
            discord="/k8stip-admin retired",
            discord_description="Tips this channel's votes retired from its daily posts",
        ),
        CommandSpec(
            "restore",
            "restore",
            "Put a retired tip back in this channel's daily posts",
            admin=True,
            params=(_TIP_ID,),
            discord="/k8stip-admin restore",
            discord_description="Put a retired tip back in this channel's daily posts",
        ),
        CommandSpec(
            "another",
            "another",
            "Another tip from this channel's rotation, optionally within topics (the button)",
            params=(Param("query", "topic …"),),
            discord="/k8stip tip",
            button=True,
        ),
        CommandSpec(
            "more",
            "more",
            'A tip on that topic (the "More on …" button)',
            params=(Param("query", "topic", TYPED),),
            discord="/k8stip tip",
            button=True,
        ),
        CommandSpec(
            "share",
            "share",
            'Post that tip to the whole channel (the "Share" button)',
            params=(Param("", "tip id", TYPED),),
            button=True,
        ),
        CommandSpec(
            "vote",
            "vote",
            'Your feedback on that tip in this channel (the "Useful", "Not useful" and '
            '"Knew it" buttons)',
            params=(
                Param("", "useful|not_useful|knew_it", TYPED),
                Param("", "tip id", TYPED),
            ),
            button=True,
        ),
        CommandSpec(
            "quiz-answer",
            "quiz-answer",
            "Answer a quiz question (its choice buttons)",
            params=(Param("", "question id", TYPED), Param("", "choice", TYPED)),
            button=True,
        ),
    )
}

DISCORD_GROUPS: dict[str, str] = {
    "k8stip": "Kubernetes tips: by topic, search, list topics",
    "k8stip-admin": "Daily tips in this channel (needs Manage Server)",
}
"""Discord's two app command groups and their descriptions. Every command in `k8stip-admin`
is hidden from members without Manage Server and refused to them."""


def discord_commands(group: str) -> list[CommandSpec]:
    """The app commands registered in `group`, in table order."""
    return [c for c in COMMANDS.values() if c.discord_description and c.discord_group == group]
