"""The Overview page (`/`): every subscription by platform and workspace, the next post of
each, the paused ones with their reason, the last 30 days of deliveries as a chart, the
adapters' health and the audit log of changes made on these pages.

It stays fast with 50,000 subscriptions: counts are GROUP BYs, the subscriptions are listed
`PAGE_SIZE` a page (`?page=`, `?paused=1` for the paused ones only) and the audit log
`AUDIT_PAGE_SIZE` a page (`?audit=`), and the next posts of a page's rows come from one read
(`OverviewQueries.next_posts`, the rule `/k8stip status` and the Channel page use).

Every value from the address is hostile: a page number that is not a plain number, or is
absurd, shows the first page; a page past the end says so with a link back. Never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from aiohttp import web

from bot.runtime.schedule_words import local_when, when_text
from bot.runtime.store import FAILED, PAUSED, SENT, SKIPPED, Subscription
from bot.runtime.web.charts import Series, stacked_bars
from bot.runtime.web.context import WebContext, context
from bot.runtime.web.params import page_number
from bot.runtime.web.render import render

__all__ = ["AUDIT_PAGE_SIZE", "PAGE_SIZE", "routes"]

routes = web.RouteTableDef()

PAGE_SIZE = 100  # subscriptions per page
AUDIT_PAGE_SIZE = 50  # audit entries per page
RECENT_DAYS = 30  # the days the deliveries chart covers
WORKSPACES_SHOWN = 200  # workspace rows in the counts table; the rest are summed up
PAUSED_SHOWN = 20  # paused subscriptions listed in their own section
CHART_KEPT = timedelta(seconds=60)  # how long the chart's counts are reused (per process)
CHART_MEMO = "overview.delivery_counts"
STATUS_COLORS = {SENT: "#18794e", SKIPPED: "#9a6700", FAILED: "#b42318", PAUSED: "#5b6474"}


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription as the list shows it: where, when, its status and next post."""

    id: int
    platform: str
    workspace: str
    channel: str
    name: str
    schedule: str
    paused: bool
    reason: str
    snoozed_until: str
    next_post: str


def _link(page: int, audit: int, paused_only: bool) -> str:
    """The Overview's address for these page numbers, with only what differs from the
    first page in it."""
    query: dict[str, str] = {}
    if paused_only:
        query["paused"] = "1"
    if page > 1:
        query["page"] = str(page)
    if audit > 1:
        query["audit"] = str(audit)
    return "/?" + urlencode(query) if query else "/"


NextPosts = dict[int, tuple[date, datetime, list[date]] | None]


def _rows(ctx: WebContext, subs: list[Subscription], nexts: NextPosts) -> list[SubscriptionRow]:
    now = ctx.clock()
    rows = []
    for sub in subs:
        found = nexts.get(sub.id)
        until = sub.snoozed_until
        rows.append(
            SubscriptionRow(
                id=sub.id,
                platform=sub.platform,
                workspace=sub.workspace,
                channel=sub.channel,
                name=f"personal: {sub.member}" if sub.personal else sub.channel,
                schedule=when_text(sub),
                paused=sub.paused,
                reason=sub.paused_reason,
                snoozed_until=(
                    local_when(until, sub.timezone) if until is not None and until > now else ""
                ),
                next_post=local_when(found[1], sub.timezone) if found else "",
            )
        )
    return rows


async def _delivery_counts(ctx: WebContext, first: date, last: date) -> dict[tuple[date, str], int]:
    """`deliveries_by_day`, kept for `CHART_KEPT` in this process: a page of the list or the
    audit log need not count 30 days of deliveries again on every click (tens of
    milliseconds at 200,000 rows with migration 0007's (local_date, status) index, a few
    hundred without it). A chart at most a minute old is good enough."""
    now = ctx.clock()
    kept = ctx.memo.get(CHART_MEMO)
    if kept is not None:
        span, at, counts = kept
        if span == (first, last) and timedelta(0) <= now - at < CHART_KEPT:
            return cast(dict[tuple[date, str], int], counts)
    counts = await ctx.db(ctx.store.deliveries_by_day, first, last)
    ctx.memo[CHART_MEMO] = ((first, last), now, counts)
    return cast(dict[tuple[date, str], int], counts)


async def _deliveries_chart(ctx: WebContext) -> dict[str, Any]:
    """The chart of the last `RECENT_DAYS` local dates' deliveries per status, and a table
    of the same numbers, a row per day."""
    last = ctx.clock().date()
    first = last - timedelta(days=RECENT_DAYS - 1)
    counts = await _delivery_counts(ctx, first, last)
    days = [first + timedelta(days=i) for i in range(RECENT_DAYS)]
    statuses = list(STATUS_COLORS)
    series = [
        Series(str(s), [counts.get((d, s.value), 0) for d in days], STATUS_COLORS[s])
        for s in statuses
    ]
    chart = stacked_bars(
        f"Deliveries per day, last {RECENT_DAYS} days",
        [f"{d:%d %b}" for d in days],
        series,
        y_label="deliveries",
    )
    table = [
        (f"{d:%a %d %b}", [counts.get((d, s.value), 0) for s in statuses]) for d in reversed(days)
    ]
    totals = [sum(s.values) for s in series]
    return {
        "chart": chart,
        "chart_statuses": [str(s) for s in statuses],
        "chart_rows": table,
        "chart_totals": totals,
    }


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    ctx = context(request)
    page = page_number(request.query.get("page"))
    audit = page_number(request.query.get("audit"))
    paused_only = request.query.get("paused") == "1"
    workspaces, totals = await ctx.db(ctx.store.workspace_counts, WORKSPACES_SHOWN)
    total, paused_total = totals.subscriptions, totals.paused
    subs = await ctx.db(ctx.store.subscription_page, PAGE_SIZE, (page - 1) * PAGE_SIZE, paused_only)
    paused_subs = await ctx.db(ctx.store.subscription_page, PAUSED_SHOWN, 0, True)
    nexts = await ctx.db(ctx.store.next_posts, subs, ctx.clock())
    entries = await ctx.db(ctx.store.audit_page, AUDIT_PAGE_SIZE + 1, (audit - 1) * AUDIT_PAGE_SIZE)
    listed = paused_total if paused_only else total
    pages = max(1, -(-listed // PAGE_SIZE))
    health = sorted(ctx.health().items())
    return render(
        request,
        "overview.html",
        total=total,
        paused_total=paused_total,
        workspaces=workspaces,
        workspaces_more=totals.workspaces - len(workspaces),
        workspace_total=totals.workspaces,
        rows=_rows(ctx, subs, nexts),
        paused_rows=_rows(ctx, paused_subs, {}),
        paused_only=paused_only,
        page=page,
        pages=pages,
        newer_subs=_link(page - 1, audit, paused_only) if page > 1 else "",
        older_subs=_link(page + 1, audit, paused_only) if page < pages else "",
        first_subs=_link(1, audit, paused_only),
        only_paused_link=_link(1, audit, True),
        all_link=_link(1, audit, False),
        health=health,
        audit_entries=[
            (local_when(e.at, ctx.default_timezone), e) for e in entries[:AUDIT_PAGE_SIZE]
        ],
        audit=audit,
        newer_audit=_link(page, audit - 1, paused_only) if audit > 1 else "",
        older_audit=(_link(page, audit + 1, paused_only) if len(entries) > AUDIT_PAGE_SIZE else ""),
        first_audit=_link(page, 1, paused_only),
        recent_days=RECENT_DAYS,
        timezone=ctx.default_timezone,
        **await _deliveries_chart(ctx),
    )
