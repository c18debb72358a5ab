"""User-facing words in one place, and the tip replies every platform renders.

Button commands (an `Action.command` is run exactly like `/k8stip <command>`):
- `another [topic …]`  another tip from the channel's rotation (optionally within topics)
- `more <topic>`       a tip on that topic
- `share <tip_id>`     post that tip to the whole channel
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import Action, Reply, ReplyKind, TipCard, Visibility

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
    return tuple(actions)


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


def error(text: str, example: str = "") -> Reply:
    """A mistake the user can fix: one line saying what's wrong, and an example."""
    return Reply(kind=ReplyKind.ERROR, text=text, lines=(f"Example: {example}",) if example else ())


NOT_ADMIN = "Only workspace admins can {what}. Ask an admin, or see `/k8stip status`."
RATE_LIMITED = "Easy there — that's {limit} commands in a minute. Try again in {wait} s."
NOT_SUBSCRIBED = "This channel has no daily tip. An admin can start one: /k8stip subscribe 09:00"
CONFIG_OWNED = (
    "This channel's daily tip is set in the config file ({source}); change it there, "
    "then restart k8stip."
)
PAUSED_NOTICE = "Daily tips here are paused: {reason}. Fix that, then run /k8stip resume."
NO_TIPS = "There are no tips loaded. Check `corpus:` in the config and run `k8stip validate`."
