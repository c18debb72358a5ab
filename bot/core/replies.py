"""The neutral answer model: what the core says, before any platform renders it.

Adapters turn a `Reply` into Block Kit, a Discord embed or plain text. Text in here is raw:
user input is kept as typed, and each adapter neutralises mentions and markup for its platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Visibility(Enum):
    """Who sees an answer: only the person who asked, or the whole channel."""

    EPHEMERAL = "ephemeral"
    CHANNEL = "channel"
    # In the thread of the message that carried the pressed button (`Invocation.message_ref`):
    # Slack posts with `thread_ts`; Discord opens (or reuses) a thread on that message where
    # the bot may, otherwise replies to it. Without a message_ref, adapters treat it as CHANNEL.
    THREAD = "thread"


class ReplyKind(Enum):
    TIP = "tip"
    SEARCH = "search"
    TOPICS = "topics"
    HELP = "help"
    INFO = "info"  # confirmations, status, "nothing found"
    ERROR = "error"  # a mistake the user can fix; the text says how
    QUIZ = "quiz"  # a quiz question: `Reply.quiz` holds the card


NOTE_LABEL = "Reader's note"  # how every platform labels a card's note


@dataclass(frozen=True)
class TipCard:
    """One tip, ready to render: text, where it comes from, what it is about."""

    tip_id: str
    text: str
    source: str  # "Hands-On Kubernetes on Azure, 2nd ed."
    chapter: str  # "Ch. 10 Securing your AKS cluster" ("" when the source has no chapters)
    topics: tuple[str, ...]  # topic ids, e.g. ("secrets", "security")
    topic_titles: tuple[str, ...]  # display titles, same order as `topics`
    links: tuple[str, ...] = ()
    score: float | None = None  # set on search results
    # The reader's own note on an imported highlight, shown under the tip and labelled as
    # theirs. It comes from an export, so adapters render it as text: no markup, no mentions.
    note: str = ""

    @property
    def attribution(self) -> str:
        """'Source · Chapter', the context line under a tip."""
        return f"{self.source} · {self.chapter}" if self.chapter else self.source


@dataclass(frozen=True)
class Action:
    """A button. Pressing it is the same as running `/k8stip <command>` in that channel.

    `command` stays short (<= 100 chars) so it fits in Slack's `value` and Discord's `custom_id`.
    """

    label: str
    command: str
    kind: str = "another"  # "another" | "more" | "share" | "quiz" | "vote"


def tally_line(answered: int, right: int) -> str:
    """A quiz card's tally, updated in place as members answer: "14 answered · 9 right"."""
    return f"{answered} answered · {right} right"


@dataclass(frozen=True)
class QuizCard:
    """A quiz question, ready to render (`bot.core.quiz.quiz_card` builds it).

    The prompt is the tip with one term hidden as ______; the tip's full text is not shown
    until someone answers. Each choice is a button (kind "quiz") whose command,
    "quiz-answer <question id> <index>", is at most 100 characters.
    """

    question_id: str
    tip_id: str
    prompt: str
    choices: tuple[Action, ...]
    source: str
    chapter: str = ""
    tally: str = ""  # `tally_line(...)`, "" before anyone answered

    @property
    def attribution(self) -> str:
        """'Source · Chapter', the context line under the question."""
        return f"{self.source} · {self.chapter}" if self.chapter else self.source


@dataclass(frozen=True)
class FormField:
    """One input of a form: `name` is the key its value comes back under
    (`Invocation.fields`), `value` the text it starts with."""

    name: str
    label: str
    value: str = ""
    multiline: bool = False
    max_length: int = 1000
    required: bool = True
    placeholder: str = ""


@dataclass(frozen=True)
class Form:
    """A small form a button opens (a Slack modal, a Discord modal; the console shows the
    typed command instead). Submitting it is the same as running `/k8stip <command>` with
    the fields' values in `Invocation.fields`. `command` stays under 100 characters (it
    travels in Slack's `private_metadata` and Discord's `custom_id`); at most 5 fields
    (Discord's limit), labels under 45 characters."""

    title: str  # under 24 characters (Slack's modal title limit)
    command: str
    fields: tuple[FormField, ...]
    submit: str = "Save"


# Neutral mention tokens: what `Reply.mention` holds and the store keeps.
MENTION_KINDS = ("role", "group", "user")


@dataclass(frozen=True)
class Reply:
    """An answer to one invocation (or a daily post)."""

    kind: ReplyKind
    text: str  # the plain fallback: notifications, screen readers, the console
    cards: tuple[TipCard, ...] = ()
    actions: tuple[Action, ...] = ()
    visibility: Visibility = Visibility.EPHEMERAL
    # Extra lines of plain text (topic lists, status lines, suggestions) shown under `text`.
    lines: tuple[str, ...] = field(default_factory=tuple)
    quiz: QuizCard | None = None  # set when kind is ReplyKind.QUIZ
    # Set on the answer to a button press when the message that carried the button must
    # change for everyone (a quiz card's tally): the adapter edits that message in place to
    # read as `source_update`, and still sends this reply itself (privately) to the presser.
    source_update: Reply | None = None
    # Set on the answer to a button press that opens a form instead of answering: the adapter
    # opens it (Slack `views.open` with the press's trigger_id, a Discord modal response) and
    # sends nothing else. `text` stays the fallback the console prints.
    form: Form | None = None
    # The one role, user group or user this post may ping, as "role:<id>" (Discord role),
    # "group:<id>" (Slack user group) or "user:<id>"; "" pings nobody. Adapters put the
    # mention first in the message and allow exactly that one (every other mention stays off).
    mention: str = ""
