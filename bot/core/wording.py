"""User-facing words in one place, and the tip replies every platform renders.

Reply text is plain text (adapters escape it), so nothing here uses markdown or backticks.
How a command is typed differs per platform; `example` and `usage` (from the one command
table, `bot.core.commands.COMMANDS`) phrase every command hint for the platform that asked.

Button commands (an `Action.command` is run exactly like `/k8stip <command>`):
- `another [topic …]`  another tip from the channel's rotation (optionally within topics)
- `more <topic>`       a tip on that topic
- `share <tip_id>`     post that tip to the whole channel
- `vote <kind> <tip_id>` the member's feedback on that tip in this channel (answered privately)
- `quiz-answer <question id> <index>` a quiz choice (answered privately; the card's tally
  is edited in place)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.commands import COMMANDS
from bot.core.learning_model import VOTE_LABELS
from bot.core.replies import Action, Reply, ReplyKind, TipCard, Visibility

ACTION_COMMAND_LIMIT = 100

DAILY_HEADER = "Kubernetes tip of the day"


def _fit(command: str) -> str:
    """Keep a button's command within Slack `value` / Discord `custom_id` limits."""
    if len(command) <= ACTION_COMMAND_LIMIT:
        return command
    words = command.split()
    while words and len(" ".join(words)) > ACTION_COMMAND_LIMIT:
        words.pop()
    return " ".join(words)


def tip_actions(
    card: TipCard, filter_topics: Sequence[str] = (), share: bool = False
) -> tuple[Action, ...]:
    actions = [Action("Another tip", _fit(" ".join(["another", *filter_topics])), "another")]
    if card.topics:
        title = card.topic_titles[0] if card.topic_titles else card.topics[0]
        actions.append(Action(f"More on {title}", _fit(f"more {card.topics[0]}"), "more"))
    if share:
        actions.append(Action("Share with the channel", _fit(f"share {card.tip_id}"), "share"))
    # Every tip card, daily or asked for, carries the feedback row the channel learns from.
    return (*actions, *feedback_actions(card.tip_id))


def feedback_actions(tip_id: str) -> tuple[Action, ...]:
    """The three feedback buttons every tip card carries: `vote <kind> <tip id>`, answered
    privately; a new press replaces the member's vote on that tip in that channel."""
    return tuple(
        Action(label, _fit(f"vote {kind.value} {tip_id}"), "vote")
        for kind, label in VOTE_LABELS.items()
    )


def daily_reply(card: TipCard, filter_topics: Sequence[str] = ()) -> Reply:
    """A channel's daily post."""
    return Reply(
        kind=ReplyKind.TIP,
        text=f"{DAILY_HEADER}: {card.text}",
        cards=(card,),
        actions=tip_actions(card, filter_topics),
        visibility=Visibility.CHANNEL,
    )


def tip_reply(
    card: TipCard,
    filter_topics: Sequence[str] = (),
    visibility: Visibility = Visibility.EPHEMERAL,
    lines: tuple[str, ...] = (),
) -> Reply:
    """A tip someone asked for; only they see it unless they share it."""
    return Reply(
        kind=ReplyKind.TIP,
        text=card.text,
        cards=(card,),
        actions=tip_actions(card, filter_topics, share=visibility is Visibility.EPHEMERAL),
        visibility=visibility,
        lines=lines,
    )


def info(text: str, *lines: str) -> Reply:
    return Reply(kind=ReplyKind.INFO, text=text, lines=tuple(lines))


def error(text: str, hint: str = "") -> Reply:
    """A mistake the user can fix: one line saying what's wrong, and an example."""
    return Reply(kind=ReplyKind.ERROR, text=text, lines=(f"Example: {hint}",) if hint else ())


@dataclass(frozen=True)
class Admins:
    """Who may run admin commands, as each platform's people know them, and what anyone
    else can do instead (`{status}` is that platform's status command)."""

    who: str
    ask: str


ADMINS = {
    "slack": Admins("workspace admins", "Ask an admin, or see {status}"),
    "discord": Admins("members with Manage Server", "Ask a server moderator"),
    "console": Admins("admins", "Ask an admin, or see {status}"),
}


def example(platform: str, command: str, *values: str, slash: str = "/k8stip") -> str:
    """`command` with `values` (in the order typed on Slack) as typed on `platform`, e.g.
    "/k8stip subscribe 09:00 Europe/Amsterdam" or, on Discord, "/k8stip-admin subscribe
    time:09:00 timezone:Europe/Amsterdam". "" when the platform has no such command.
    `slash` is the Slack command's name (`slack.command`)."""
    syntax = COMMANDS[command]
    if platform == "discord":
        if not syntax.discord:
            return ""
        opts = [
            f"{p.name}:{_unprefixed(p.prefix, value)}"
            for p, value in zip(syntax.params, values, strict=False)
            if value
        ]
        return " ".join([syntax.discord, *opts])
    return " ".join(w for w in (slash, syntax.word, *values) if w)


def _unprefixed(prefix: str, value: str) -> str:
    """A value as a Discord option takes it: without the word that introduces it when typed
    (`| deployments` is the option `topics:deployments`)."""
    if prefix and value.startswith(prefix):
        return value[len(prefix) :].strip()
    return value


def usage(platform: str, command: str, slash: str = "/k8stip") -> str:
    """The help line's usage: optional arguments in [brackets], e.g. "/k8stip search words"."""
    syntax = COMMANDS[command]
    on_discord = platform == "discord"
    if on_discord and not syntax.discord:
        return ""
    parts = [syntax.discord] if on_discord else [w for w in (slash, syntax.word) if w]
    for p in syntax.params:
        if (on_discord and not p.name) or (not on_discord and not p.typed):
            continue
        required = platform in p.required
        shown = p.placeholder
        if required and not on_discord and p.choices == (shown,):
            parts.append(shown)  # a word typed as it is ("forget me")
            continue
        if on_discord:
            shown = f"{p.name}:{'…' if shown == p.name else shown}"
        elif p.prefix:
            shown = f"{p.prefix} {shown}"
        if required and not on_discord:
            shown = f"<{shown}>"
        parts.append(shown if required else f"[{shown}]")
    return " ".join(parts)


RATE_LIMITED = "Easy there — that's {limit} commands in a minute. Try again in {wait} s."
CONFIG_OWNED = (
    "This channel's daily tip is set in the config file ({source}); change it there, "
    "then restart k8stip."
)
NO_TIPS = "There are no tips loaded. Check “corpus:” in the config and run “k8stip validate”."


def admins(platform: str) -> Admins:
    return ADMINS.get(platform, ADMINS["slack"])


def not_admin(platform: str, what: str, slash: str = "/k8stip") -> str:
    who = admins(platform)
    ask = who.ask.format(status=example(platform, "status", slash=slash))
    return f"Only {who.who} can {what}. {ask}."


def not_subscribed(platform: str, slash: str = "/k8stip") -> str:
    start = example(platform, "subscribe", "09:00", slash=slash)
    who = admins(platform).who
    return f"This channel has no daily tip. {who[0].upper()}{who[1:]} can start one: {start}"


def paused_notice(platform: str, reason: str, slash: str = "/k8stip") -> str:
    resume = example(platform, "resume", slash=slash)
    return f"Daily tips here are paused: {reason}. Fix that, then run {resume}."
