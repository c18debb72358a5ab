"""The Tips page (`/tips`): the corpus browser. Search as `k8stip search` does, filter by
topic and source; each tip with its votes across channels, quiz results and post count.

The search is the engine's own (`Engine.search`, what `k8stip search` and `/k8stip search`
answer), never a second one; the filters then keep the ranked tips of that topic or source.
Without a search the page lists the corpus in its order. The tips come from the live engine,
community tips included. A search that is exactly a tip's id opens that tip (`/tips/{id}`).

Counts are read for the tips on the page only, by a few GROUP BY queries (`tip_reads.py`).

Every value from the address is hostile: a huge or emoji-only search is cut and searched as
the engine takes any string; an unknown topic or source is ignored with a note; an absurd
page number shows the first page; an unknown tip id is a "No such tip" page. Tip text reaches
the template only as a value, so `<script>` or `{{ }}` in it shows as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from bot.core.corpus import Corpus, Tip
from bot.runtime.learning_commands import short
from bot.runtime.schedule_words import local_when
from bot.runtime.store.tip_reads import TipChannelLine, TipCounts
from bot.runtime.web.context import context
from bot.runtime.web.params import MAX_TIP_ID, page_number
from bot.runtime.web.render import render

__all__ = ["MAX_QUERY_CHARS", "PAGE_SIZE", "SEARCH_LIMIT", "routes"]

routes = web.RouteTableDef()

PAGE_SIZE = 50  # tips per page
# A search lists at most this many ranked tips (`k8stip search --limit 200`); the topic and
# source filters keep those of the 200 that match.
SEARCH_LIMIT = 200
# A longer search is cut to this: no question needs more, and a 10,000-character one would
# only cost the engine time.
MAX_QUERY_CHARS = 500
CHANNELS_SHOWN = 500  # per-channel lines on a tip's page
TEXT_CHARS = 160  # a tip's text in a list row


@dataclass(frozen=True)
class TipRow:
    """A tip as a list row or a tip page shows it, with its counts."""

    id: str
    link: str
    text: str
    topics: list[str]
    source: str
    chapter: str
    counts: TipCounts


@dataclass(frozen=True)
class Filters:
    """The page's search and filters as read from the address, cleaned."""

    q: str
    topic: str
    source: str
    page: int
    notes: list[str]

    def link(self, page: int) -> str:
        """This page's address at `page` (the filters kept)."""
        values = {"q": self.q, "topic": self.topic, "source": self.source}
        kept = {k: v for k, v in values.items() if v}
        if page > 1:
            kept["page"] = str(page)
        return "/tips" + (f"?{urlencode(kept)}" if kept else "")


def tip_link(tip_id: str) -> str:
    return f"/tips/{quote(tip_id, safe='')}"


def _filters(query: Any, corpus: Corpus) -> Filters:
    notes: list[str] = []
    q = " ".join(str(query.get("q", "")).split())
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        notes.append(f"The search was cut to its first {MAX_QUERY_CHARS} characters.")
    topic = str(query.get("topic", ""))
    if topic and topic not in corpus.topics:
        notes.append("No topic has that id: all topics are shown. Pick one from the list.")
        topic = ""
    source = str(query.get("source", ""))
    if source and source not in corpus.sources:
        notes.append("No source has that id: all sources are shown. Pick one from the list.")
        source = ""
    page = page_number(query.get("page"))
    return Filters(q=q, topic=topic, source=source, page=page, notes=notes)


def _row(corpus: Corpus, tip: Tip, counts: TipCounts, text: str) -> TipRow:
    return TipRow(
        id=tip.id,
        link=tip_link(tip.id),
        text=text,
        topics=[corpus.topic_title(t) for t in tip.topics],
        source=corpus.source_title(tip),
        chapter=tip.chapter,
        counts=counts,
    )


def _keeps(f: Filters, tip: Tip) -> bool:
    return (not f.topic or f.topic in tip.topics) and (not f.source or tip.source == f.source)


@routes.get("/tips")
async def tips_page(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    engine = await ctx.engine()
    corpus = engine.corpus
    f = _filters(request.query, corpus)
    if f.q.lower() in corpus.by_id:  # a tip's id (ids are lower case): open it
        raise web.HTTPSeeOther(tip_link(f.q.lower()))
    message = ""
    if f.q:
        result = engine.search(f.q, limit=SEARCH_LIMIT)
        found = [h.tip for h in result.hits if _keeps(f, h.tip)]
        message = result.message  # the engine's own words: what matched, or "did you mean"
        if result.hits:
            message = result.message.rstrip(":")
            if f.topic or f.source:
                message += f", {len(found)} of them with that topic or source"
            message += "."
    else:
        found = [t for t in corpus.tips if _keeps(f, t)]
    start = (f.page - 1) * PAGE_SIZE
    shown = found[start : start + PAGE_SIZE]
    counts = await ctx.db(ctx.store.tip_page_counts, [t.id for t in shown])
    rows = [_row(corpus, t, counts[t.id], short(t.text, TEXT_CHARS)) for t in shown]
    last = max(1, -(-len(found) // PAGE_SIZE))
    return render(
        request,
        "tips.html",
        f=f,
        message=message,
        rows=rows,
        total=len(found),
        corpus_size=len(corpus.tips),
        last_page=last,
        newer=f.link(f.page - 1) if f.page > 1 else "",
        older=f.link(f.page + 1) if f.page < last else "",
        first=f.link(1),
        topics=sorted(((t.title, t.id) for t in corpus.topics.values()), key=_folded),
        sources=sorted(((s.title, s.id) for s in corpus.sources.values()), key=_folded),
        search_limit=SEARCH_LIMIT,
    )


def _folded(pair: tuple[str, str]) -> tuple[str, str]:
    return pair[0].casefold(), pair[1]


@dataclass(frozen=True)
class ChannelLine:
    """A channel line of a tip's page as the template shows it."""

    where: str
    link: str
    posted: int
    last_posted: str
    useful: int
    not_useful: int
    knew_it: int


def _channel_line(line: TipChannelLine, timezone: str) -> ChannelLine:
    where = f"{line.platform}/{line.workspace}/{line.channel}"
    sub = line.subscription_id
    return ChannelLine(
        where=where,
        link=f"/channel/{sub}" if sub is not None else "",
        posted=line.posted,
        last_posted=local_when(line.last_posted, timezone) if line.last_posted else "",
        useful=line.useful,
        not_useful=line.not_useful,
        knew_it=line.knew_it,
    )


@routes.get("/tips/{id}")
async def tip_page(request: web.Request) -> web.Response:
    ctx = context(request)
    corpus = (await ctx.engine()).corpus
    tip_id = request.match_info.get("id", "")
    tip = corpus.by_id.get(tip_id) if len(tip_id) <= MAX_TIP_ID else None
    if tip is None:
        return render(request, "tip_missing.html", status=404)
    counts = (await ctx.db(ctx.store.tip_page_counts, [tip.id]))[tip.id]
    lines = await ctx.db(ctx.store.tip_channels, tip.id, CHANNELS_SHOWN + 1)
    source = corpus.sources.get(tip.source)
    return render(
        request,
        "tip.html",
        tip=tip,
        row=_row(corpus, tip, counts, tip.text),
        authors=", ".join(source.authors) if source else "",
        source_url=source.url if source else "",
        channels=[_channel_line(x, ctx.default_timezone) for x in lines[:CHANNELS_SHOWN]],
        channels_more=len(lines) > CHANNELS_SHOWN,
        timezone=ctx.default_timezone,
    )
