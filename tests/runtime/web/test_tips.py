"""The Tips page of the admin web console (`/tips`, `/tips/{id}`): the corpus browser with
the engine's search, topic and source filters, and each tip's posts, votes and quiz answers
across channels."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import event

from bot.core.corpus import Corpus, Source
from bot.core.engine import Engine
from bot.core.learning_model import VoteKind
from bot.runtime.store import SKIPPED, Store, Subscription, SubscriptionSpec
from bot.runtime.web.tips import MAX_QUERY_CHARS, PAGE_SIZE, SEARCH_LIMIT
from tests.fakes.ledger import add_delivery
from tests.fakes.tips import make_corpus
from tests.runtime.web.web_support import NOW, Console, open_console

pytestmark = pytest.mark.both_databases

HOSTILE = "<script>alert(1)</script> {{ 7*7 }} @everyone"
TIPS = 60  # more than a page
RUNBOOK = range(55, 60)  # the tips of the second source


def browser_corpus() -> Corpus:
    """The fake corpus with 60 tips: tip-00's text hostile, tip-55 to tip-59 from a runbook."""
    corpus = make_corpus(TIPS)
    tips = [
        t._replace(text=HOSTILE) if i == 0 else t._replace(source="runbook") if i in RUNBOOK else t
        for i, t in enumerate(corpus.tips)
    ]
    tips[5] = tips[5]._replace(search_words=("pods can't reach each other", "<b>cni</b>"))
    sources = {**corpus.sources, "runbook": Source("runbook", "Team runbook", ("Ana",))}
    return Corpus(tips=tips, sources=sources, topics=corpus.topics)


@pytest.fixture
def engine() -> Engine:
    return Engine(browser_corpus())


@pytest.fixture
async def console(store: Store, engine: Engine) -> AsyncIterator[Console]:
    async for c in open_console(store, engine):
        yield c


def subscribe(store: Store, channel: str) -> Subscription:
    spec = SubscriptionSpec("slack", "T1", channel, "09:00", "UTC", (1, 2, 3, 4, 5), ())
    return store.upsert_subscription(spec, "chat", "U0", NOW - timedelta(days=60))


async def open_page(console: Console, path: str) -> tuple[int, str]:
    response = await console.client.get(path, allow_redirects=False)
    return response.status, await response.text()


def listed(page: str) -> list[str]:
    """The tip ids of a list page's rows, in order."""
    return re.findall(r'<td><a href="/tips/[^"]+">([^<]+)</a>', page)


def row_counts(page: str, tip_id: str) -> list[int]:
    """A list row's numbers: posted, 👍, 👎, ✅, quiz right, quiz wrong."""
    row = re.search(rf'<a href="/tips/{tip_id}">.*?</tr>', page, re.S)
    assert row is not None, f"no row for {tip_id}"
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group())]


def activity(store: Store) -> Subscription:
    """tip-05 sent twice in C1 and once in C2 (a skipped day not counted), voted on in both,
    and asked as a quiz question answered right twice and wrong once. C2 has unsubscribed."""
    sub = subscribe(store, "C1")
    for day in (2, 9):
        add_delivery(store, date(2026, 3, day), "tip-05", channel=("slack", "T1", "C1"))
    add_delivery(store, date(2026, 3, 10), "tip-05", channel=("slack", "T1", "C1"), status=SKIPPED)
    add_delivery(store, date(2026, 3, 4), "tip-05", channel=("slack", "T1", "C2"))
    add_delivery(store, date(2026, 3, 5), "tip-06", channel=("slack", "T1", "C2"))
    votes = [
        ("C1", "U1", VoteKind.USEFUL),
        ("C1", "U2", VoteKind.USEFUL),
        ("C1", "U3", VoteKind.KNEW_IT),
        ("C2", "U1", VoteKind.NOT_USEFUL),
        ("C2", "U4", VoteKind.USEFUL),
    ]
    for channel, member, kind in votes:
        store.record_vote("slack", "T1", channel, "tip-05", member, kind, False, NOW)
    store.record_vote("slack", "T1", "C1", "tip-06", "U1", VoteKind.USEFUL, False, NOW)
    posting = store.record_quiz_posting(
        "slack", "T1", "C1", "q1", "tip-05", "term", date(2026, 3, 20), NOW
    )
    for member, right in (("U1", True), ("U2", True), ("U3", False)):
        store.record_quiz_answer(posting, member, "x", right, NOW)
    return sub


async def test_signed_out_the_tips_pages_send_the_browser_to_sign_in(console: Console) -> None:
    for path in ("/tips", "/tips/tip-05"):
        status, _ = await open_page(console, path)
        assert status in (302, 303)


async def test_the_list_shows_every_tip_paged_with_topic_source_and_chapter(
    console: Console,
) -> None:
    await console.sign_in()
    status, page1 = await open_page(console, "/tips")
    assert status == 200
    assert listed(page1) == [f"tip-{i:02d}" for i in range(PAGE_SIZE)]
    _, page2 = await open_page(console, "/tips?page=2")
    assert listed(page2) == [f"tip-{i:02d}" for i in range(PAGE_SIZE, TIPS)]
    assert 'href="/tips?page=2"' in page1 and 'href="/tips?page=3"' not in page2
    row = re.search(r'<a href="/tips/tip-04">.*?</tr>', page1, re.S)
    assert row is not None
    assert "RBAC" in row.group() and "Hands-On Kubernetes on Azure" in row.group()
    assert "Ch. 5 A chapter" in row.group()
    # The select boxes list the corpus's topics and sources.
    for value in ("rbac", "secrets", "networking", "book", "runbook"):
        assert f'<option value="{value}"' in page1


async def test_each_row_counts_posts_votes_and_quiz_answers_across_channels(
    console: Console,
) -> None:
    activity(console.store)
    await console.sign_in()
    _, page = await open_page(console, "/tips")
    # posted, 👍, 👎, ✅, quiz right, quiz wrong
    assert row_counts(page, "tip-05") == [3, 3, 1, 1, 2, 1]
    assert row_counts(page, "tip-06") == [1, 1, 0, 0, 0, 0]
    assert row_counts(page, "tip-07") == [0, 0, 0, 0, 0, 0]


async def test_a_search_lists_what_k8stip_search_ranks_in_its_order(
    console: Console, engine: Engine
) -> None:
    await console.sign_in()
    _, page = await open_page(console, "/tips?q=rbac")
    expected = [h.tip.id for h in engine.search("rbac", limit=SEARCH_LIMIT).hits]
    assert expected and listed(page) == expected[:PAGE_SIZE]
    _, nothing = await open_page(console, "/tips?q=zzqqxxyy")
    assert listed(nothing) == [] and "No tip answers" in html.unescape(nothing)


async def test_topic_and_source_filters_combine_with_each_other_and_a_search(
    console: Console, engine: Engine
) -> None:
    corpus = engine.corpus
    await console.sign_in()
    _, by_topic = await open_page(console, "/tips?topic=secrets")
    assert listed(by_topic) == [t.id for t in corpus.tips if "secrets" in t.topics]
    _, by_source = await open_page(console, "/tips?source=runbook")
    assert listed(by_source) == [f"tip-{i:02d}" for i in RUNBOOK]
    _, both = await open_page(console, "/tips?topic=rbac&source=runbook")
    assert listed(both) == [
        t.id for t in corpus.tips if "rbac" in t.topics and t.source == "runbook"
    ]
    assert '<option value="rbac" selected>' in both
    _, none = await open_page(console, "/tips?q=secrets&source=runbook&topic=rbac")
    assert listed(none) == [] and "0 of them with that topic or source" in none
    _, searched = await open_page(console, "/tips?q=tip+number&source=runbook")
    ranked = [h.tip.id for h in engine.search("tip number", limit=SEARCH_LIMIT).hits]
    runbook = {f"tip-{i:02d}" for i in RUNBOOK}
    assert listed(searched) == [t for t in ranked if t in runbook]
    assert listed(searched)


async def test_a_search_for_a_tip_id_opens_that_tip(console: Console) -> None:
    await console.sign_in()
    response = await console.client.get("/tips?q=+tip-05+", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/tips/tip-05"
    response = await console.client.get("/tips?q=TIP-06", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/tips/tip-06")


async def test_hostile_text_in_a_tip_shows_as_text(console: Console) -> None:
    await console.sign_in()
    for path in ("/tips", "/tips/tip-00"):
        status, page = await open_page(console, path)
        assert status == 200
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} @everyone" in page


@pytest.mark.parametrize(
    "q",
    ["x" * 10_000, "🚀🔥💥" * 50, "@everyone", "<script>alert(1)</script>", "{{ 7*7 }}", "%00"],
)
async def test_hostile_searches_get_a_page_never_a_500(console: Console, q: str) -> None:
    await console.sign_in()
    response = await console.client.get("/tips", params={"q": q}, allow_redirects=False)
    page = await response.text()
    assert response.status == 200
    assert "<script>alert" not in page
    if len(q) > MAX_QUERY_CHARS:
        assert f"cut to its first {MAX_QUERY_CHARS} characters" in page


async def test_bad_page_numbers_topics_and_sources_show_the_first_page(console: Console) -> None:
    await console.sign_in()
    for nonsense in ("abc", "-1", "0", "9" * 40, "²", "99999"):
        status, page = await open_page(console, f"/tips?page={quote(nonsense)}")
        assert status == 200
        if nonsense == "99999":  # a real number past the end
            assert listed(page) == [] and 'href="/tips">back to the first page' in page
        else:
            assert listed(page)[:1] == ["tip-00"]
    status, page = await open_page(console, "/tips?topic=%3Cscript%3E&source=nope")
    assert status == 200 and len(listed(page)) == PAGE_SIZE
    assert "No topic has that id" in page and "No source has that id" in page


async def test_a_tips_page_shows_it_whole_with_attribution_counts_and_channels(
    console: Console,
) -> None:
    sub = activity(console.store)
    await console.sign_in()
    status, page = await open_page(console, "/tips/tip-05")
    assert status == 200
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Tip number 5 about networking." in words
    assert "Search words pods can't reach each other, <b>cni</b> (search only" in words
    assert "&lt;b&gt;cni&lt;/b&gt;" in page  # shown as text
    assert "Hands-On Kubernetes on Azure, 2nd ed." in words and "Ch. 1 A chapter" in words
    counts = re.search(r'<table class="tip-counts">.*?</table>', page, re.S)
    assert counts is not None
    # posted, 👍, 👎, ✅, quiz questions, right, wrong
    found = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', counts.group())]
    assert found == [3, 3, 1, 1, 1, 2, 1]
    lines = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td class=\"num\">(\d+)</td>\s*<td>([^<]*)</td>", page, re.S
    )
    # The latest post first: C1 on 9 March, then C2 (no longer subscribed) on 4 March.
    assert [(posted, when.strip()) for _, posted, when in lines] == [
        ("2", "Mon 09 Mar 09:00 CET"),
        ("1", "Wed 04 Mar 09:00 CET"),
    ]
    assert f'<a href="/channel/{sub.id}">slack/T1/C1</a>' in lines[0][0]
    assert "slack/T1/C2" in lines[1][0] and "no longer subscribed" in lines[1][0]


async def test_a_runbook_tip_names_its_authors(console: Console) -> None:
    await console.sign_in()
    _, page = await open_page(console, "/tips/tip-55")
    assert "Team runbook" in page and "by Ana" in page
    assert "Search words" not in page  # a tip without them has no such line
    assert "No channel has been sent this tip" in page


@pytest.mark.parametrize("tip_id", ["nope", "x" * 10_000, "%3Cscript%3E", "tip-05%00"])
async def test_an_unknown_tip_is_a_404_page_with_a_link_back(console: Console, tip_id: str) -> None:
    await console.sign_in()
    status, page = await open_page(console, f"/tips/{tip_id}")
    assert status == 404
    assert "No such tip" in page and 'href="/tips"' in page
    assert "<script>" not in page


def test_the_counts_take_the_same_few_queries_for_5_tips_as_for_50(store: Store) -> None:
    """Counted by GROUP BY over the page's tips, never one query per tip."""
    activity(store)
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        few = store.tip_page_counts([f"tip-{i:02d}" for i in range(5)])
        n_few = len(statements)
        statements.clear()
        many = store.tip_page_counts([f"tip-{i:02d}" for i in range(50)])
        n_many = len(statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert n_few == n_many == 4
    assert all("GROUP BY" in sql for sql in statements)
    assert few["tip-04"] == many["tip-04"]
    assert many["tip-05"].posted == 3 and many["tip-05"].wrong == 1
    assert set(many) == {f"tip-{i:02d}" for i in range(50)}
