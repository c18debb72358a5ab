"""Changes made on a page run the `/k8stip` command a chat admin would type in that channel
(`pause`, `resume`, `skip`, `restore <tip>`, `review approve <id>`, …) through the same
router, as an admin named after the signed-in person: a page and a chat command can never
disagree, and the router's checks, notices and messages apply to both. Each change is
written to the audit log with the router's answer."""

from __future__ import annotations

from aiohttp import web

from bot.core.invocation import Invocation
from bot.core.replies import Reply
from bot.runtime.web.auth import client_address, see_other, session_of
from bot.runtime.web.context import context
from bot.runtime.web.render import flash

__all__ = ["WEB_USER_PREFIX", "done", "reply_text", "run_command", "run_reply"]

# The user id a page's command runs as: never a platform's id, so the router's per-member
# state (rate limits, votes) is kept apart from anybody's in chat.
WEB_USER_PREFIX = "web:"


def reply_text(reply: Reply) -> str:
    return "\n".join((reply.text, *reply.lines)).strip()


async def run_command(
    request: web.Request,
    where: tuple[str, str, str],
    command: str,
    *,
    action: str,
    target: str,
    fields: tuple[tuple[str, str], ...] = (),
) -> str:
    """Run `/k8stip <command>` in channel `where` (platform, workspace, channel) as the
    signed-in admin; record it in the audit log; return the router's answer as text."""
    reply = await run_reply(request, where, command, action=action, target=target, fields=fields)
    return reply_text(reply)


async def run_reply(
    request: web.Request,
    where: tuple[str, str, str],
    command: str,
    *,
    action: str,
    target: str,
    fields: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """`run_command`, returning the router's whole `Reply` (a page that must know whether
    the command did its work, such as an edit before an approval, reads `Reply.kind`).
    `fields` are a submitted form's values, as a chat form's submission carries them
    (`review save ID` with the edited text and topics)."""
    ctx = context(request)
    actor = session_of(request).session.actor
    platform, workspace, channel = where
    inv = Invocation(
        platform=platform,
        workspace=workspace,
        channel=channel,
        user=f"{WEB_USER_PREFIX}{actor}",
        text=command,
        is_admin=True,
        user_name=actor,
        fields=fields,
    )
    reply = await ctx.handle(inv)
    await ctx.db(
        ctx.store.record_audit,
        ctx.clock(),
        actor,
        client_address(request),
        action,
        target,
        reply_text(reply),
    )
    return reply


def done(request: web.Request, location: str, message: str) -> web.Response:
    """Back to `location` (post, redirect, get), showing `message` there once."""
    response = see_other(location)
    flash(request, response, message)
    return response
