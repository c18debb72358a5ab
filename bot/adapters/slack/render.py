"""Reply -> Block Kit. Pure functions: no SDK calls, no I/O, easy to golden-test.

Everything that reaches Slack as text goes through `mrkdwn()` (or `plain()` for plain_text
fields): `&`, `<`, `>` are escaped so nothing a user typed can become a mention, a channel
link or a broadcast, and bare `@here` / `@channel` / `@everyone` are broken with a zero-width
joiner so older clients and `link_names` parsing don't ping anybody either. Links in tip text
(the corpus) are kept as real links; text a user may have typed (the reply's own text and
lines, which echo queries) gets no links made from it: `[label](http://evil)` shows as typed,
never as a masked link. The one exception is `Reply.mention` (`mentions.py`): the role or
user group a daily post may ping, rendered first.
"""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.slack.mentions import with_mention
from bot.core.replies import NOTE_LABEL, Action, QuizCard, Reply, ReplyKind, TipCard, Visibility

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 2000
BUTTON_LABEL_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTONS_PER_ACTIONS_BLOCK = 25
BLOCKS_MAX = 50
FALLBACK_TEXT_MAX = 3000
HEADER_MAX = 150

# Every button k8stip renders has an action_id starting with this; the kind follows
# ("k8stip:another:0", "k8stip:share:2", "k8stip:vote:4", "k8stip:quiz:1") so a press can tell
# a share from a re-run, and a vote or a quiz answer (answered only privately) from both.
ACTION_PREFIX = "k8stip:"
ACTION_ID_RE = re.compile(r"^k8stip:(?P<kind>[a-z]+):\d+$")
# Presses answered only to the presser, whatever the reply's visibility: they never post.
PRIVATE_KINDS = frozenset({"vote", "quiz"})

_ZWJ = "\u200d"
_BROADCAST_RE = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_URL_RE = re.compile(r"https?://[^\s<>\"'`]+")
_MD_LINK_RE = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s)<>]+)\)")
_TRAILING_PUNCT = ".,;:!?)]}'\""


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def break_broadcasts(text: str) -> str:
    """'@here' -> '@\u200dhere': still readable, never a broadcast."""
    return _BROADCAST_RE.sub(lambda m: "@" + _ZWJ + m.group(1), text)


def plain(text: str, limit: int | None = None) -> str:
    """Text for a plain_text field: Slack shows it as is, so only broadcasts need breaking."""
    out = break_broadcasts(text)
    return _truncate(out, limit) if limit else out


def mrkdwn(text: str, *, links: bool = True) -> str:
    """Raw text -> safe mrkdwn: everything escaped, except that links stay clickable links.

    `links=False` for text a user may have typed: markdown link syntax is broken with a
    zero-width joiner (`]‍(`) so no client makes a masked link of it either.
    """
    if not links:
        return break_broadcasts(escape(text)).replace("](", "]" + _ZWJ + "(")
    out: list[str] = []
    pos = 0
    for kind, start, end, url, label in _links(text):
        out.append(break_broadcasts(escape(text[pos:start])))
        safe_url = escape(url).replace("|", "%7C")
        if kind == "md":
            out.append(f"<{safe_url}|{break_broadcasts(escape(label))}>")
        else:
            out.append(f"<{safe_url}>")
        pos = end
    out.append(break_broadcasts(escape(text[pos:])))
    return "".join(out)


def _links(text: str) -> list[tuple[str, int, int, str, str]]:
    """Markdown links and bare URLs in `text`, in order, not overlapping."""
    found: list[tuple[str, int, int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for m in _MD_LINK_RE.finditer(text):
        found.append(("md", m.start(), m.end(), m.group(2), m.group(1)))
        taken.append((m.start(), m.end()))
    for m in _URL_RE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        url = m.group(0).rstrip(_TRAILING_PUNCT)
        # Keep a closing parenthesis that belongs to the URL (Wikipedia-style links).
        if url.count("(") > url.count(")") and m.group(0)[len(url) : len(url) + 1] == ")":
            url += ")"
        found.append(("url", m.start(), m.start() + len(url), url, ""))
    found.sort(key=lambda f: f[1])
    return found


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn_limited(text: str, limit: int, *, links: bool = True) -> str:
    """Escape, then cut to `limit` without splitting an escape sequence or a link."""
    return _cut(mrkdwn(text, links=links), limit)


def _cut(out: str, limit: int) -> str:
    if len(out) <= limit:
        return out
    cut = out[: limit - 1]
    # Don't leave half an `&amp;` or half a `<link>` at the end.
    amp, lt = cut.rfind("&"), cut.rfind("<")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    if lt > cut.rfind(">"):
        cut = cut[:lt]
    return cut + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action: Action, index: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{action.kind}:{index}",
        "text": {"type": "plain_text", "text": plain(action.label, BUTTON_LABEL_MAX) or "…"},
        "value": action.command[:BUTTON_VALUE_MAX],
    }


def share_action(card: TipCard, label: str = "Share in channel") -> Action:
    """The button that re-posts a tip for the whole channel (`/k8stip share <id>`)."""
    return Action(label=label, command=f"share {card.tip_id}", kind="share")


def _card_context(card: TipCard) -> dict[str, Any] | None:
    parts = [card.attribution]
    titles = [t for t in card.topic_titles if t.strip()]
    if titles:
        parts.append("Topics: " + " · ".join(titles))
    elements = [
        {"type": "mrkdwn", "text": _mrkdwn_limited(p, CONTEXT_TEXT_MAX)} for p in parts if p.strip()
    ]
    return {"type": "context", "elements": elements} if elements else None


def _context_text(text: str) -> str:
    return _mrkdwn_limited(text, CONTEXT_TEXT_MAX)


def _note_context(card: TipCard) -> dict[str, Any] | None:
    """The reader's note under the tip: text from an export, so no links are made from it."""
    if not card.note.strip():
        return None
    note = _mrkdwn_limited(card.note, CONTEXT_TEXT_MAX - len(NOTE_LABEL) - 6, links=False)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{NOTE_LABEL}:* {note}"}]}


def _card_blocks(card: TipCard, share: Action | None, index: int) -> list[dict[str, Any]]:
    body = "\n".join(p for p in (card.text, *card.links) if p.strip()) or card.tip_id
    section = _section(_mrkdwn_limited(body, SECTION_TEXT_MAX))
    if share is not None:
        section["accessory"] = _button(share, index)
    return [b for b in (section, _note_context(card), _card_context(card)) if b is not None]


def fallback_text(reply: Reply) -> str:
    """The plain `text` of a message: notifications and screen readers read only this."""
    # A tip or quiz reply's text is the corpus's (links kept); any other may echo a user.
    corpus_text = reply.kind in (ReplyKind.TIP, ReplyKind.QUIZ)
    parts = [mrkdwn(reply.text, links=corpus_text)] if reply.text else []
    for card in reply.cards:
        if card.text.strip() and card.text.strip() in reply.text:
            parts.append(mrkdwn(f"— {card.attribution}"))  # a tip reply's text is the tip
        else:
            parts.append(mrkdwn(f"{card.text} — {card.attribution}"))
    parts.extend(mrkdwn(line, links=False) for line in reply.lines)
    return _cut("\n".join(p for p in parts if p), FALLBACK_TEXT_MAX)


def _actions_blocks(indexed: list[tuple[int, Action]]) -> list[dict[str, Any]]:
    """Buttons in actions blocks of at most 25; `index` keeps every action_id unique."""
    return [
        {"type": "actions", "elements": [_button(a, i) for i, a in chunk]}
        for chunk in (
            indexed[n : n + BUTTONS_PER_ACTIONS_BLOCK]
            for n in range(0, len(indexed), BUTTONS_PER_ACTIONS_BLOCK)
        )
    ]


def _vote_tip(action: Action) -> str:
    """The tip a vote button is about: the last word of `vote <kind> <tip id>`."""
    words = action.command.split()
    return words[-1] if len(words) >= 3 else ""


def _quiz_blocks(quiz: QuizCard) -> list[dict[str, Any]]:
    """The question (its term hidden as ______), where it comes from, the tally, the choices."""
    blocks = [_section(_mrkdwn_limited(quiz.prompt or quiz.question_id, SECTION_TEXT_MAX))]
    contexts = [p for p in (quiz.attribution, quiz.tally) if p.strip()]
    blocks.extend(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _context_text(p)}]}
        for p in contexts
    )
    blocks.extend(_actions_blocks(list(enumerate(quiz.choices))))
    return blocks


def render(
    reply: Reply, *, ephemeral: bool | None = None, offer_share: bool = True
) -> dict[str, Any]:
    """`{"text": ..., "blocks": [...]}` for chat.postMessage, an ack or a response_url.

    `ephemeral` defaults to the reply's own visibility. Ephemeral tip answers get a
    "Share in channel" button; every search result gets its own "Share" button. The feedback
    buttons (kind "vote") go in their own row under the card they are about; the others
    (Another / More / Share) in the last row. A quiz (`reply.quiz`) renders as its question
    with one button per choice. `offer_share=False` adds no "Share in channel" of its own (the
    private answer to a quiz press: sharing it would give the answer away to the channel).
    """
    if ephemeral is None:
        ephemeral = reply.visibility is Visibility.EPHEMERAL
    blocks: list[dict[str, Any]] = []
    actions = list(reply.actions)
    is_search = reply.kind is ReplyKind.SEARCH
    has_share = any(a.kind == "share" for a in actions)
    quiz = reply.quiz if reply.kind is ReplyKind.QUIZ else None

    if offer_share and ephemeral and reply.kind is ReplyKind.TIP and reply.cards and not has_share:
        actions.append(share_action(reply.cards[0]))
    if not ephemeral:
        # Nobody else can act on a share button in a channel message: it is already shared.
        actions = [a for a in actions if a.kind != "share"]
    # Quiz choices take action_ids 0..n-1; the reply's own buttons are numbered after them.
    first = len(quiz.choices) if quiz is not None else 0
    indexed = list(enumerate(actions, start=first))
    votes = [(i, a) for i, a in indexed if a.kind == "vote"]
    others = [(i, a) for i, a in indexed if a.kind != "vote"]

    if quiz is not None:
        blocks.extend(_quiz_blocks(quiz))
    elif reply.kind is ReplyKind.TIP and reply.cards:
        # A tip speaks for itself; keep only what the text adds to it ("Today's tip:").
        extra = reply.text.replace(reply.cards[0].text, "").strip(" \n:—–-")
        if extra:
            blocks.append(_section(f"*{_mrkdwn_limited(extra, HEADER_MAX, links=False)}*"))
    elif reply.text.strip():
        blocks.append(_section(_mrkdwn_limited(reply.text, SECTION_TEXT_MAX, links=False)))
    for i, card in enumerate(reply.cards):
        share = share_action(card, "Share") if (ephemeral and is_search) else None
        blocks.extend(_card_blocks(card, share, 100 + i))
        # Each card's feedback row sits right under it; with one card, every vote is its own.
        own = [v for v in votes if len(reply.cards) == 1 or _vote_tip(v[1]) == card.tip_id]
        blocks.extend(_actions_blocks(own))
        votes = [v for v in votes if v not in own]
        if is_search and i < len(reply.cards) - 1:
            blocks.append({"type": "divider"})
    blocks.extend(_actions_blocks(votes))  # votes about no card shown (none in practice)
    if "".join(reply.lines).strip():
        lines = "\n".join(reply.lines)
        blocks.append(_section(_mrkdwn_limited(lines, SECTION_TEXT_MAX, links=False)))
    blocks.extend(_actions_blocks(others))
    if len(blocks) > BLOCKS_MAX:
        blocks = blocks[:BLOCKS_MAX]
    # The subscription's one mention (a daily post), first; every other stays escaped text.
    return with_mention({"text": fallback_text(reply), "blocks": blocks}, reply.mention)


def action_kind(action_id: str) -> str | None:
    """'k8stip:share:3' -> 'share'; None for a button that isn't ours."""
    m = ACTION_ID_RE.match(action_id)
    return m.group("kind") if m else None
