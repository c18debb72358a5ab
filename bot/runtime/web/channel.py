"""The Channel page (`/channel/{id}`): one subscription's schedule, topics and mode, its
history with votes, its retired tips and a chart of votes over time; pause, resume, skip
the next post and restore a retired tip.

Each button posts to `/channel/{id}/<action>` and runs the `/k8stip` command a chat admin
would type in that channel (`actions.run_command`), so the page never has its own pause or
restore. A member's personal subscription (channel `dm:<member>`) is shown read-only: it is
the member's own, changed by them in a direct message (`snooze`, `unsubscribe me`), and an
admin pausing it from a page would silence a member without their knowing.

Every value from the address is hostile: an id that is not a number of a subscription, an
unknown action or an absurd page number gets a 404 page or the first page, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.core.learning_model import VoteKind
from bot.core.mentions import describe_mention
from bot.runtime.learning_commands import short
from bot.runtime.schedule_words import local_when, when_text
from bot.runtime.store import Subscription
from bot.runtime.store.channel_reads import LedgerRow
from bot.runtime.web.actions import done, run_command
from bot.runtime.web.charts import Series, stacked_bars
from bot.runtime.web.context import WebContext, context
from bot.runtime.web.forms import read_form
from bot.runtime.web.params import MAX_TIP_ID, page_number, row_id
from bot.runtime.web.render import render

__all__ = ["PAGE_SIZE", "routes"]

routes = web.RouteTableDef()

PAGE_SIZE = 25  # history rows per page
RECENT_DAYS = 30  # the non-sent deliveries listed and the days the chart covers
RETIRED_SHOWN = 200
# The commands a button may run: its path's last word -> the `/k8stip` command.
COMMANDS = {"pause": "pause", "resume": "resume", "skip": "skip"}
VOTE_COLORS = {
    VoteKind.USEFUL: "#18794e",
    VoteKind.NOT_USEFUL: "#b42318",
    VoteKind.KNEW_IT: "#2457c5",
}
VOTE_LABELS = {
    VoteKind.USEFUL: "👍 useful",
    VoteKind.NOT_USEFUL: "👎 not useful",
    VoteKind.KNEW_IT: "✅ knew it",
}


@dataclass(frozen=True)
class HistoryRow:
    """A history row as the template shows it: local times with the zone's name."""

    when: str
    tip_id: str | None
    tip_link: str
    tip_text: str
    status: str
    reason: str
    useful: int
    not_useful: int
    knew_it: int


async def _subscription(request: web.Request) -> Subscription | None:
    sub_id = row_id(request.match_info.get("id"))
    if sub_id is None:
        return None
    ctx = context(request)
    found: Subscription | None = await ctx.db(ctx.store.get_subscription_by_id, sub_id)
    return found


def _missing(request: web.Request) -> web.Response:
    return render(request, "channel_missing.html", status=404)


def _where(sub: Subscription) -> str:
    return f"{sub.platform}/{sub.workspace}/{sub.channel}"


def _history_row(row: LedgerRow, tz: str, texts: dict[str, str]) -> HistoryRow:
    at = row.posted_at or row.due_at
    text = texts.get(row.tip_id, "(no longer loaded)") if row.tip_id else ""
    return HistoryRow(
        when=local_when(at, tz),
        tip_id=row.tip_id,
        tip_link=f"/tips?q={quote(row.tip_id, safe='')}" if row.tip_id else "",
        tip_text=text,
        status=row.status,
        reason=row.reason,
        useful=row.useful,
        not_useful=row.not_useful,
        knew_it=row.knew_it,
    )


async def _votes_chart(ctx: WebContext, sub: Subscription, now: datetime) -> dict[str, Any]:
    """The chart of the last `RECENT_DAYS` days' votes (UTC days) and the totals table."""
    first = now.date() - timedelta(days=RECENT_DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    by_day = await ctx.db(ctx.store.channel_votes_by_day, sub.key, since)
    totals = await ctx.db(ctx.store.channel_vote_totals, sub.key)
    days = [first + timedelta(days=i) for i in range(RECENT_DAYS)]
    series = [
        Series(VOTE_LABELS[k], [by_day.get((d, k), 0) for d in days], VOTE_COLORS[k])
        for k in VoteKind
    ]
    chart = stacked_bars(
        f"Votes per day, last {RECENT_DAYS} days (UTC)",
        [f"{d:%d %b}" for d in days],
        series,
        y_label="votes",
    )
    recent = {k: sum(by_day.get((d, k), 0) for d in days) for k in VoteKind}
    rows = [(VOTE_LABELS[k], recent[k], totals[k]) for k in VoteKind]
    return {"chart": chart, "vote_rows": rows}


@routes.get("/channel/{id}")
async def channel_page(request: web.Request) -> web.Response:
    sub = await _subscription(request)
    if sub is None:
        return _missing(request)
    ctx = context(request)
    page = page_number(request.query.get("page"))
    now = ctx.clock()
    engine = await ctx.engine()
    corpus = engine.corpus
    found = await ctx.db(ctx.store.next_unwritten_post, sub, now)
    next_post = local_when(found[1], sub.timezone) if found else ""
    written_off = [f"{d:%a %d %b}" for d in found[2]] if found else []
    since = now.astimezone(sub.schedule.tz).date() - timedelta(days=RECENT_DAYS)
    ledger = await ctx.db(
        ctx.store.channel_ledger_page, sub.key, since, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE
    )
    texts = {t: short(corpus.by_id[t].text) for r in ledger if (t := r.tip_id) in corpus.by_id}
    retired_ids = await ctx.db(ctx.store.channel_retired_tips, sub.key)
    retired = [
        (t, short(corpus.by_id[t].text) if t in corpus.by_id else "(no longer loaded)")
        for t in retired_ids[:RETIRED_SHOWN]
    ]
    threads = await ctx.db(ctx.store.threads_enabled, *sub.key)
    until = sub.snoozed_until
    snoozed_until = local_when(until, sub.timezone) if until is not None and until > now else ""
    return render(
        request,
        "channel.html",
        sub=sub,
        where=_where(sub),
        schedule=when_text(sub),
        topics=[corpus.topic_title(t) for t in sub.topics],
        mention=describe_mention(sub.platform, sub.mention),
        threads=threads,
        snoozed_until=snoozed_until,
        next_post=next_post,
        written_off=written_off,
        history=[_history_row(r, sub.timezone, texts) for r in ledger[:PAGE_SIZE]],
        page=page,
        more=len(ledger) > PAGE_SIZE,
        recent_days=RECENT_DAYS,
        retired=retired,
        retired_more=max(0, len(retired_ids) - RETIRED_SHOWN),
        **await _votes_chart(ctx, sub, now),
    )


@routes.post("/channel/{id}/{action}")
async def channel_action(request: web.Request) -> web.StreamResponse:
    """Pause, resume, skip or restore, as the signed-in admin, through the router."""
    sub = await _subscription(request)
    action = request.match_info.get("action", "")
    if sub is None or (action not in COMMANDS and action != "restore"):
        return _missing(request)
    location = f"/channel/{sub.id}"
    if sub.personal:
        return done(
            request,
            location,
            "A personal subscription is the member's own: nothing was changed. They pause "
            "it with `snooze` and end it with `unsubscribe me` in a direct message.",
        )
    target = _where(sub)
    if action == "restore":
        form = await read_form(request)
        tip = form.get("tip")
        if not isinstance(tip, str) or not tip or len(tip) > MAX_TIP_ID or not tip.isprintable():
            return done(request, location, "Say which tip to restore: use a Restore button.")
        if any(c.isspace() for c in tip):
            return done(request, location, "A tip id has no spaces: use a Restore button.")
        command, target = f"restore {tip}", f"{target} tip {tip}"
    else:
        command = COMMANDS[action]
    answer = await run_command(request, sub.key, command, action=action, target=target)
    return done(request, location, answer)
