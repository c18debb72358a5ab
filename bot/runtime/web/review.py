"""The Review page (`/review`): the suggestion queue (approve, edit, reject) and what members
asked for and did not find (requests and unanswered searches).

The queue holds the pending suggestions of every workspace, oldest first, and the ones decided
lately with who decided. Each button runs the `/k8stip review …` command a chat admin would
type (`actions.run_command`), in the channel the suggestion was made in, so the page never
has its own approval: the router checks the text, refuses a duplicate, makes the community
tip, rebuilds the engine and tells the author, as it does for chat. The edit form
(`/review/{id}/edit`) posts the edited text and topics as chat's edit form does
(`review save ID` with the form's fields), then, when the admin pressed "Save and approve",
approves it (`review approve ID`): the same edit-then-approve path an admin takes in chat.

Every value from the browser is hostile: an id that is no suggestion's is a 404 page; text
the router refuses (too long, too short, an unknown topic) comes back in the form with the
router's words, the typed text kept; control characters and an overlong reason are refused
here, before any command runs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web

from bot.core.replies import ReplyKind
from bot.core.schedules import parse_timezone
from bot.runtime.store.review_reads import AskedFor
from bot.runtime.store.suggestions import APPROVED, PENDING, REASON_MAX, Suggestion
from bot.runtime.suggestion_commands import TEXT_FIELD_MAX
from bot.runtime.web.actions import done, reply_text, run_command, run_reply
from bot.runtime.web.context import WebContext, context
from bot.runtime.web.forms import read_form
from bot.runtime.web.params import row_id
from bot.runtime.web.render import render

__all__ = ["ASKED_SHOWN", "DECIDED_SHOWN", "PENDING_SHOWN", "REQUEST_DAYS", "routes"]

routes = web.RouteTableDef()

Form = Mapping[str, object]  # a posted form (`request.post()`)

PENDING_SHOWN = 100  # pending suggestions listed; past these, "and N more"
DECIDED_SHOWN = 20  # decisions listed, newest first
ASKED_SHOWN = 50  # things asked for, most members first
REQUEST_DAYS = 30  # how far back the requests list looks (as `/k8stip requests`)
TOPICS_FIELD_MAX = 200  # as chat's edit form
ACTIONS = ("approve", "reject", "edit")
HOME = "/review"


@dataclass(frozen=True)
class QueueRow:
    """A suggestion as the page shows it: times in the console's timezone, topic titles."""

    id: int
    who: str
    when: str
    where: str
    text: str
    topics: list[str]
    status: str
    decided_by: str
    decided_when: str
    reason: str
    tip_id: str
    tip_link: str


@dataclass(frozen=True)
class AskedRow:
    query: str
    members: int
    requested: int
    unanswered: int
    workspaces: int
    last: str


def _when(at: datetime | None, tz: str) -> str:
    """'Fri 27 Mar 2026 11:00 CET' in the console's timezone."""
    if at is None:
        return ""
    return at.astimezone(parse_timezone(tz)).strftime("%a %d %b %Y %H:%M %Z")


def _where(s: Suggestion) -> tuple[str, str, str]:
    return (s.platform, s.workspace, s.channel)


async def _topic_titles(ctx: WebContext) -> dict[str, str]:
    corpus = (await ctx.engine()).corpus
    return {tid: topic.title for tid, topic in corpus.topics.items()}


def _row(s: Suggestion, tz: str, titles: dict[str, str]) -> QueueRow:
    return QueueRow(
        id=s.id,
        who=s.member_name or s.member,
        when=_when(s.created_at, tz),
        where="/".join(_where(s)),
        text=s.text,
        topics=[titles.get(t, t) for t in s.topics],
        status=s.status,
        decided_by=s.decided_by_name or s.decided_by,
        decided_when=_when(s.decided_at, tz),
        reason=s.reason,
        tip_id=s.tip_id,
        tip_link=f"/tips?q={quote(s.tip_id, safe='')}" if s.tip_id else "",
    )


def _asked(a: AskedFor, tz: str) -> AskedRow:
    return AskedRow(
        query=a.query,
        members=a.members,
        requested=a.requested,
        unanswered=a.unanswered,
        workspaces=a.workspaces,
        last=_when(a.last_at, tz),
    )


async def _suggestion(request: web.Request) -> Suggestion | None:
    sid = row_id(request.match_info.get("id"))
    if sid is None:
        return None
    ctx = context(request)
    found: Suggestion | None = await ctx.db(ctx.store.suggestion, sid)
    return found


def _missing(request: web.Request) -> web.Response:
    return render(request, "review_missing.html", status=404)


def _control_characters(text: str) -> bool:
    """Characters no tip or reason holds (NUL, escape codes): line breaks and tabs aside."""
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


@routes.get("/review")
async def review_page(request: web.Request) -> web.Response:
    ctx = context(request)
    tz = ctx.default_timezone
    titles = await _topic_titles(ctx)
    pending, waiting = await ctx.db(ctx.store.pending_suggestions, PENDING_SHOWN)
    decided = await ctx.db(ctx.store.decided_suggestions, DECIDED_SHOWN)
    since = ctx.clock() - timedelta(days=REQUEST_DAYS)
    asked = await ctx.db(ctx.store.asked_for_everywhere, since, ASKED_SHOWN)
    return render(
        request,
        "review.html",
        pending=[_row(s, tz, titles) for s in pending],
        pending_more=max(0, waiting - len(pending)),
        decided=[_row(s, tz, titles) for s in decided],
        asked=[_asked(a, tz) for a in asked],
        request_days=REQUEST_DAYS,
        timezone=tz,
        reason_max=REASON_MAX,
    )


@routes.get("/review/{id}/edit")
async def edit_form(request: web.Request) -> web.Response:
    s = await _suggestion(request)
    if s is None:
        return _missing(request)
    if s.status != PENDING:
        return done(request, HOME, _decided_already(s, context(request).default_timezone))
    return _form(request, s, s.text, " ".join(s.topics))


def _form(
    request: web.Request, s: Suggestion, text: str, topics: str, problem: str = ""
) -> web.Response:
    return render(
        request,
        "review_edit.html",
        status=400 if problem else 200,
        s=_row(s, context(request).default_timezone, {}),
        text=text,
        topics=topics,
        problem=problem,
        text_max=TEXT_FIELD_MAX,
        topics_max=TOPICS_FIELD_MAX,
    )


def _decided_already(s: Suggestion, tz: str) -> str:
    outcome = "approved" if s.status == APPROVED else "rejected"
    by = s.decided_by_name or "an admin"
    return f"Suggestion #{s.id} was already {outcome} by {by} ({_when(s.decided_at, tz)})."


def _field(form: Form, name: str) -> str:
    """A form field's text; "" when absent or not text (a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


@routes.post("/review/{id}/{action}")
async def review_action(request: web.Request) -> web.StreamResponse:
    """Approve, reject or save an edit (and approve), as the signed-in admin, through the
    router."""
    s = await _suggestion(request)
    action = request.match_info.get("action", "")
    if s is None or action not in ACTIONS:
        return _missing(request)
    target = f"suggestion #{s.id} ({'/'.join(_where(s))})"
    form = await read_form(request)
    if action == "approve":
        command = f"review approve {s.id}"
        return done(request, HOME, await _run(request, s, command, action, target))
    if action == "reject":
        reason = _field(form, "reason")
        if _control_characters(reason):
            return done(request, HOME, "A reason is words: it can't hold control characters.")
        reason = " ".join(reason.split())
        if len(reason) > REASON_MAX:
            return done(
                request,
                HOME,
                f"A reason is at most {REASON_MAX} characters (this one has {len(reason)}): "
                "the author reads it in a direct message. Nothing was rejected.",
            )
        command = f"review reject {s.id} {reason}".strip()
        return done(request, HOME, await _run(request, s, command, action, target))
    return await _save(request, s, _field(form, "text"), _field(form, "topics"), form)


async def _run(request: web.Request, s: Suggestion, command: str, action: str, target: str) -> str:
    return await run_command(request, _where(s), command, action=action, target=target)


async def _save(
    request: web.Request, s: Suggestion, text: str, topics: str, form: Form
) -> web.StreamResponse:
    """The edit form's post: `review save ID` with the text and topics as fields, then
    `review approve ID` when the admin pressed "Save and approve" (`then=approve`)."""
    if _control_characters(text) or _control_characters(topics):
        problem = "The text holds control characters (such as NUL); remove them and save again."
        return _form(request, s, text, topics, problem)
    if len(topics) > TOPICS_FIELD_MAX:
        problem = (
            f"Topics are a few ids or names, at most {TOPICS_FIELD_MAX} characters "
            f"(these are {len(topics)})."
        )
        return _form(request, s, text, topics, problem)
    target = f"suggestion #{s.id} ({'/'.join(_where(s))})"
    saved = await run_reply(
        request,
        _where(s),
        f"review save {s.id}",
        action="edit",
        target=target,
        fields=(("text", text), ("topics", topics)),
    )
    ctx = context(request)
    latest: Suggestion | None = await ctx.db(ctx.store.suggestion, s.id)
    if latest is None or latest.status != PENDING:  # decided meanwhile: the router said by whom
        return done(request, HOME, reply_text(saved))
    if saved.kind is not ReplyKind.INFO or not saved.text.startswith(f"Saved #{s.id}."):
        # Refused (too long, an unknown topic, the rate limit): the router's words, and the
        # typed text kept in the form.
        return _form(request, s, text, topics, reply_text(saved))
    if _field(form, "then") != "approve":  # only the "Save and approve" button approves
        return done(request, HOME, reply_text(saved))
    approved = await _run(request, s, f"review approve {s.id}", "approve", target)
    return done(request, HOME, f"{reply_text(saved)}\n{approved}")
