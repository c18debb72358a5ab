"""Reply -> Discord message: content, embeds and buttons.

Text in a `Reply` is raw. Anything that can echo what a person typed (the reply text and its
extra lines) is escaped for markdown and mentions; tip text comes from the corpus and keeps
its Discord markdown, with mentions neutralised. Every message is also sent with
`allowed_mentions` none, so even a missed escape cannot ping anyone; a daily post with a
mention (`mentions.py`) allows exactly that one role or user, named first in its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.adapters.discord.mentions import NO_MENTIONS as NO_MENTIONS
from bot.adapters.discord.mentions import mention_parts
from bot.core.quiz import BLANK
from bot.core.replies import NOTE_LABEL, Action, QuizCard, Reply, ReplyKind, TipCard

# One colour for every k8stip embed (Kubernetes blue).
COLOUR = discord.Colour(0x326CE5)

# Buttons carry the command they stand for, so a press on a message from last week still
# works after any number of restarts: nothing about it lives in memory.
CUSTOM_ID_PREFIX = "k8stip:"
CUSTOM_ID_MAX = 100
CONTENT_MAX = 2000
EMBED_DESCRIPTION_MAX = 4096
EMBED_TITLE_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
BUTTON_LABEL_MAX = 80
MAX_EMBEDS = 10
EMBEDS_TOTAL_MAX = 6000  # Discord's limit for all embeds of one message together
MAX_BUTTONS = 25
BUTTONS_PER_ROW = 5  # Discord: at most 5 buttons in an action row, at most 5 rows
MAX_ROWS = 5
QUIZ_TITLE = "Kubernetes quiz"
TALLY_LABEL = "Answers"


_STYLES = {
    "another": discord.ButtonStyle.primary,
    "more": discord.ButtonStyle.secondary,
    "share": discord.ButtonStyle.success,
    "quiz": discord.ButtonStyle.primary,
    "vote": discord.ButtonStyle.secondary,
}
# Buttons of one family share rows, and each family starts a row of its own: a tip card's
# Another / More / Share above its three vote buttons, a quiz's choices above anything else.
_FAMILY = {"vote": "vote", "quiz": "quiz"}


def neutralise(text: str) -> str:
    """Echoed user text: no markdown, no @everyone/@here/role/user mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def custom_id(command: str) -> str:
    """`k8stip:<command>`; commands longer than Discord allows are cut (Action says <= 100)."""
    return (CUSTOM_ID_PREFIX + command)[:CUSTOM_ID_MAX]


def command_from_custom_id(value: str) -> str | None:
    """The command a k8stip button stands for, or None for anything else: someone else's
    component, or a custom id no k8stip button carries (longer than Discord allows, or with
    control characters). Cheap and silent: it runs on every press, before anything logs."""
    if len(value) > CUSTOM_ID_MAX or not value.startswith(CUSTOM_ID_PREFIX):
        return None
    command = value[len(CUSTOM_ID_PREFIX) :].strip()
    return command if command and command.isprintable() else None


def card_embed(card: TipCard, *, title: str | None = None) -> discord.Embed:
    """One tip as an embed: title, text, the reader's note, topics and links fields, footer
    'Source · Chapter'."""
    heading = title or (f"Kubernetes tip · {card.topic_titles[0]}" if card.topic_titles else "")
    embed = discord.Embed(
        title=_clip(heading or "Kubernetes tip", EMBED_TITLE_MAX),
        description=_clip(discord.utils.escape_mentions(card.text), EMBED_DESCRIPTION_MAX),
        colour=COLOUR,
    )
    if card.note.strip():
        # The note comes from a reader's export: escaped like anything a person typed.
        embed.add_field(
            name=NOTE_LABEL, value=_clip(neutralise(card.note), FIELD_VALUE_MAX), inline=False
        )
    if card.topic_titles:
        embed.add_field(
            name="Topics",
            value=_clip(", ".join(card.topic_titles), FIELD_VALUE_MAX),
            inline=False,
        )
    if card.links:
        embed.add_field(
            name="Links", value=_clip("\n".join(card.links), FIELD_VALUE_MAX), inline=False
        )
    embed.set_footer(text=_clip(discord.utils.escape_mentions(card.attribution), FOOTER_MAX))
    return embed


def quiz_embed(quiz: QuizCard) -> discord.Embed:
    """A quiz question as an embed: the prompt with its blank, the tally once anyone has
    answered, footer 'Source · Chapter'. The blank is escaped: six underscores are markdown."""
    prompt = discord.utils.escape_mentions(quiz.prompt)
    prompt = prompt.replace(BLANK, discord.utils.escape_markdown(BLANK))
    embed = discord.Embed(
        title=QUIZ_TITLE,
        description=_clip(prompt, EMBED_DESCRIPTION_MAX),
        colour=COLOUR,
    )
    if quiz.tally:
        embed.add_field(
            name=TALLY_LABEL, value=_clip(neutralise(quiz.tally), FIELD_VALUE_MAX), inline=False
        )
    embed.set_footer(text=_clip(discord.utils.escape_mentions(quiz.attribution), FOOTER_MAX))
    return embed


def _text_block(reply: Reply) -> str:
    return "\n".join(neutralise(part) for part in (reply.text, *reply.lines) if part)


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts against the 6000 limit (title, description, fields, footer)."""
    return len(embed)


def _fit_total(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Shorten the longest descriptions until the message is within Discord's total limit."""
    excess = sum(embed_size(e) for e in embeds) - EMBEDS_TOTAL_MAX
    while excess > 0:
        longest = max(embeds, key=lambda e: len(e.description or ""))
        text = longest.description or ""
        if len(text) <= 1:
            break
        keep = max(1, len(text) - excess)
        longest.description = _clip(text, keep)
        excess -= len(text) - len(longest.description)
    return embeds


def reply_embeds(reply: Reply) -> list[discord.Embed]:
    return _fit_total(_reply_embeds(reply))


def _reply_embeds(reply: Reply) -> list[discord.Embed]:
    if reply.quiz is not None:
        # The question first; a card with it (yesterday's answer, revealed) follows.
        return [quiz_embed(reply.quiz)] + [card_embed(c) for c in reply.cards[: MAX_EMBEDS - 1]]
    cards = reply.cards[:MAX_EMBEDS]
    if reply.kind is ReplyKind.SEARCH and len(cards) > 1:
        return [
            card_embed(card, title=f"{i}. {card.topic_titles[0] if card.topic_titles else 'Tip'}")
            for i, card in enumerate(cards, start=1)
        ]
    if cards:
        return [card_embed(card) for card in cards]
    if reply.kind in (ReplyKind.HELP, ReplyKind.TOPICS):
        # Lists outgrow a message's 2000 characters; an embed holds 4096.
        title = "k8stip help" if reply.kind is ReplyKind.HELP else "Topics"
        return [
            discord.Embed(
                title=title,
                description=_clip(_text_block(reply), EMBED_DESCRIPTION_MAX),
                colour=COLOUR,
            )
        ]
    return []


def reply_content(reply: Reply) -> str | None:
    """Plain text above the embeds; None when the embeds already say it all."""
    if reply.kind in (ReplyKind.HELP, ReplyKind.TOPICS) and not reply.cards:
        return None
    if reply.cards or reply.quiz is not None:
        # A tip's text is its card, a quiz's its question; repeating it above would double
        # it (and give the answer away). Extra lines (e.g. "daily tips here are paused")
        # still show.
        head = () if reply.kind in (ReplyKind.TIP, ReplyKind.QUIZ) else (reply.text,)
        text = "\n".join(neutralise(p) for p in (*head, *reply.lines) if p)
        return _clip(text, CONTENT_MAX) or None
    return _clip(_text_block(reply), CONTENT_MAX) or None


def action_button(action: Action) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label=_clip(action.label, BUTTON_LABEL_MAX),
        custom_id=custom_id(action.command),
        style=_STYLES.get(action.kind, discord.ButtonStyle.secondary),
    )


def _rows(actions: tuple[Action, ...]) -> list[list[Action]]:
    """The buttons in action rows: each family (quiz choices, vote buttons, the rest) in rows
    of its own, in the order the families first appear; at most 5 buttons a row, 5 rows."""
    families: dict[str, list[Action]] = {}
    seen: set[str] = set()
    for action in actions:
        cid = custom_id(action.command)
        if cid in seen:  # Discord rejects duplicate custom ids in one message
            continue
        seen.add(cid)
        families.setdefault(_FAMILY.get(action.kind, "card"), []).append(action)
    rows = [
        family[i : i + BUTTONS_PER_ROW]
        for family in families.values()
        for i in range(0, len(family), BUTTONS_PER_ROW)
    ]
    return rows[:MAX_ROWS]


def reply_view(reply: Reply) -> discord.ui.View | None:
    """Buttons for the reply's actions (a quiz's choices first), or None.

    The view is stopped before it is returned: discord.py would otherwise keep it in memory
    and route presses to it for a few minutes. Presses are answered from the custom id
    instead (see `command_from_custom_id`), the same way before and after a restart.
    """
    choices = reply.quiz.choices if reply.quiz is not None else ()
    rows = _rows((*choices, *reply.actions))
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for action in row:
            button = action_button(action)
            button.row = number
            view.add_item(button)
    view.stop()
    return view


def keep_footer_marker(embeds: list[discord.Embed], old_footer: str | None) -> None:
    """When a message is edited in place (a quiz tally), keep what its last footer carried
    after the text we render (a daily post's delivery marker), so channel history still
    recognises the post. Nothing when the old footer is not ours plus a suffix."""
    if not embeds or not old_footer:
        return
    last = embeds[-1]
    new = last.footer.text or ""
    if new and old_footer.startswith(new) and len(old_footer) <= FOOTER_MAX:
        last.set_footer(text=old_footer, icon_url=last.footer.icon_url)


@dataclass(frozen=True)
class RenderedMessage:
    content: str | None
    embeds: list[discord.Embed]
    view: discord.ui.View | None
    # None but for a daily post with a mention: then exactly that role or user.
    allowed_mentions: discord.AllowedMentions = NO_MENTIONS

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `send_message` / `followup.send` / `edit_original_response`."""
        kwargs: dict[str, Any] = {"embeds": self.embeds, "allowed_mentions": self.allowed_mentions}
        if self.content is not None:
            kwargs["content"] = self.content
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `edit_message` / `edit_original_response`: the whole message
        is replaced, so no content and no buttons are said explicitly (None clears them)."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "view": self.view,
            "allowed_mentions": self.allowed_mentions,
        }

    def to_json(self) -> dict[str, Any]:
        """The message payload as Discord receives it (for golden tests and logs)."""
        return {
            "content": self.content,
            "embeds": [e.to_dict() for e in self.embeds],
            "components": self.view.to_components() if self.view is not None else [],
            "allowed_mentions": self.allowed_mentions.to_dict(),
        }


def render(reply: Reply) -> RenderedMessage:
    """The whole message for `reply`; a daily post's mention (`Reply.mention`) opens its
    content and is the one mention allowed."""
    content = reply_content(reply)
    markup, allowed = mention_parts(reply.mention)
    if markup:
        content = _clip(f"{markup}\n{content}" if content else markup, CONTENT_MAX)
    return RenderedMessage(content, reply_embeds(reply), reply_view(reply), allowed)
