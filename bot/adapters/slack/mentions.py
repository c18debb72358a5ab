"""The one mention a daily post may carry (`Reply.mention`), as Slack markup. Pure.

Everything else in a message is escaped by `render.mrkdwn` (so `<!channel>`, `<!here>`,
`<@U…>` or `<!subteam^…>` in tip text arrive as text); this is the only markup that pings,
and only for a well-formed stored token: `<!subteam^S…>` for a user group, `<@U…>` for a
member. Slack has no roles, so a "role:" token pings nobody here.
"""

from __future__ import annotations

from typing import Any

from bot.core.mentions import split_token

BLOCKS_MAX = 50


def mention_markup(mention: str) -> str:
    """`<!subteam^S0123ABC>` / `<@U0123>` for a token, "" when it pings nobody on Slack."""
    parts = split_token("slack", mention) if mention else None
    if parts is None:
        return ""
    kind, ident = parts
    if kind == "group":
        return f"<!subteam^{ident}>"
    if kind == "user":
        return f"<@{ident}>"
    return ""


def with_mention(rendered: dict[str, Any], mention: str) -> dict[str, Any]:
    """`rendered` ({"text", "blocks"}) with the mention first: in the notification text and
    as the first block, so it is the first thing the message reads."""
    markup = mention_markup(mention)
    if not markup:
        return rendered
    first = {"type": "section", "text": {"type": "mrkdwn", "text": markup}}
    blocks = [first, *rendered.get("blocks", [])][:BLOCKS_MAX]
    text = f"{markup} {rendered.get('text', '')}".rstrip()
    return {**rendered, "text": text, "blocks": blocks}
