"""The Overview page of the admin web console (`/`): subscriptions per platform and workspace
with their next posts, the paused ones, 30 days of deliveries, adapter health and the audit
log, all paged and safe against what the address bar holds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from bot.core.engine import Engine
from bot.runtime.store import (
    FAILED,
    PAUSED,
    PLANNED,
    SKIPPED,
    Store,
    Subscription,
    SubscriptionSpec,
)
from bot.runtime.web.overview import AUDIT_PAGE_SIZE, PAGE_SIZE
from tests.fakes.databases import add_sink_subscriptions
from tests.fakes.ledger import add_delivery
from tests.fakes.tips import make_corpus
from tests.runtime.web.test_channel import HOSTILE, open_page, post, text_of
from tests.runtime.web.web_support import NOW, Console, open_console

pytestmark = pytest.mark.both_databases

WEEKDAYS = (1, 2, 3, 4, 5)


@pytest.fixture
async def console(store: Store) -> AsyncIterator[Console]:
    async for c in open_console(store, Engine(make_corpus())):
        yield c


def subscribe(
    store: Store, platform: str = "slack", workspace: str = "T1", channel: str = "C1"
) -> Subscription:
    spec = SubscriptionSpec(
        platform, workspace, channel, "09:00", "Europe/Amsterdam", WEEKDAYS, ("rbac",)
    )
    return store.upsert_subscription(spec, "chat", "U0", NOW - timedelta(days=60))


def words(page: str) -> str:
    return " ".join(text_of(page).split())


def sub_rows(page: str) -> list[str]:
    """The channel names of the subscription list's rows, in order."""
    return re.findall(r'<tr class="sub-row">\s*<td><a href="/channel/\d+">([^<]+)</a>', page)


async def test_the_counts_show_each_platform_and_workspace(console: Console) -> None:
    store = console.store
    subscribe(store, "slack", "T1", "C1")
    paused = subscribe(store, "slack", "T1", "C2")
    subscribe(store, "slack", "T2", "C9")
    subscribe(store, "discord", "G1", "D1")
    store.set_paused(paused.id, True, "paused by U9", NOW)
    await console.sign_in()
    status, page = await open_page(console, "/")
    assert status == 200
    counts = re.findall(
        r'<tr class="workspace-count"><td>(\w+)</td><td>(\w+)</td>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>',
        page,
    )
    assert counts == [
        ("discord", "G1", "1", "0"),
        ("slack", "T1", "2", "1"),
        ("slack", "T2", "1", "0"),
    ]
    assert "4 subscriptions in 3 workspaces and guilds, 1 paused." in words(page)
    # The list groups its rows under their platform and workspace.
    groups = re.findall(r'<tr class="group"><th colspan="4">([^<]+)</th></tr>', page)
    assert groups == ["discord · G1", "slack · T1", "slack · T2"]
    assert sub_rows(page) == ["D1", "C1", "C2", "C9"]


async def test_each_row_links_its_channel_page_with_its_next_post(console: Console) -> None:
    store = console.store
    sub = subscribe(store, channel="C1")
    skipped = subscribe(store, channel="C2")
    store.skip_next_post(skipped, NOW, "skipped by U9", NOW)
    await console.sign_in()
    _, page = await open_page(console, "/")
    rows = re.findall(
        r'<tr class="sub-row">\s*<td><a href="(/channel/\d+)">([^<]+)</a></td>'
        r"\s*<td>([^<]+)</td>\s*<td>.*?</td>\s*<td>([^<]*)</td>",
        page,
        re.S,
    )
    # Friday 27 March 11:00 in Amsterdam: Monday's post is next, after the DST change; the
    # skipped channel's is Tuesday's, as `/k8stip status` says.
    assert rows == [
        (
            f"/channel/{sub.id}",
            "C1",
            "every weekday at 09:00 Europe/Amsterdam",
            "Mon 30 Mar 09:00 CEST",
        ),
        (
            f"/channel/{skipped.id}",
            "C2",
            "every weekday at 09:00 Europe/Amsterdam",
            "Tue 31 Mar 09:00 CEST",
        ),
    ]


def test_next_posts_of_a_page_agree_with_each_subscriptions_own_read(store: Store) -> None:
    """One read for a page of subscriptions finds what `next_unwritten_post` finds for each."""
    subs = [subscribe(store, channel=f"C{i}") for i in range(4)]
    store.skip_next_post(subs[1], NOW, "skipped", NOW)
    store.skip_next_post(subs[1], NOW, "skipped again", NOW)
    store.set_snooze(subs[2].id, NOW + timedelta(days=5), NOW)
    subs = [s for sub in subs if (s := store.get_subscription_by_id(sub.id)) is not None]
    found = store.next_posts(subs, NOW)
    assert found == {sub.id: store.next_unwritten_post(sub, NOW) for sub in subs}
    twice_skipped = found[subs[1].id]
    assert twice_skipped is not None and twice_skipped[0] == date(2026, 4, 1)
    assert store.next_posts([], NOW) == {}


async def test_paused_subscriptions_are_listed_with_their_reason(console: Console) -> None:
    store = console.store
    subscribe(store, channel="C1")
    paused = subscribe(store, channel="C2")
    store.set_paused(paused.id, True, "channel_not_found: the bot was removed", NOW)
    await console.sign_in()
    _, page = await open_page(console, "/")
    paused_rows = re.findall(
        r'<tr class="paused-row"><td><a href="/channel/(\d+)">([^<]+)</a></td>'
        r'<td>[^<]+</td><td class="status-paused">([^<]+)</td></tr>',
        page,
    )
    assert paused_rows == [(str(paused.id), "C2", "channel_not_found: the bot was removed")]
    assert "Paused : channel_not_found: the bot was removed" in words(page)
    _, only = await open_page(console, "/?paused=1")
    assert sub_rows(only) == ["C2"]


async def test_the_deliveries_chart_counts_each_status_per_day(console: Console) -> None:
    store = console.store
    c1, c2, c3 = (("slack", "T1", c) for c in ("C1", "C2", "C3"))
    add_delivery(store, date(2026, 3, 26), "tip-01", channel=c1)
    add_delivery(store, date(2026, 3, 26), "tip-02", channel=c2)
    add_delivery(store, date(2026, 3, 26), None, channel=c3, status=FAILED)
    add_delivery(store, date(2026, 3, 25), None, channel=c1, status=SKIPPED)
    add_delivery(store, date(2026, 3, 20), None, channel=c2, status=PAUSED)
    add_delivery(store, date(2026, 3, 27), None, channel=c1, status=PLANNED)  # not over yet
    add_delivery(store, date(2026, 1, 5), "tip-03", channel=c1)  # older than 30 days
    add_delivery(store, date(2026, 3, 30), None, channel=c2, status=SKIPPED)  # ahead
    assert store.deliveries_by_day(date(2026, 2, 26), date(2026, 3, 27)) == {
        (date(2026, 3, 26), "sent"): 2,
        (date(2026, 3, 26), "failed"): 1,
        (date(2026, 3, 25), "skipped"): 1,
        (date(2026, 3, 20), "paused"): 1,
    }
    await console.sign_in()
    _, page = await open_page(console, "/")
    assert "<svg" in page and "Deliveries per day, last 30 days" in page
    for legend in ("sent: 2", "skipped: 1", "failed: 1", "paused: 1"):
        assert legend in page
    table = page[page.index('class="chart-numbers"') :]
    rows = dict(
        (day, tuple(int(n) for n in counts))
        for day, *counts in re.findall(
            r"<tr><td>([^<]+)</td>" + r'<td class="num">(\d+)</td>' * 4 + "</tr>", table
        )
    )
    assert len(rows) == 30
    assert rows["Thu 26 Mar"] == (2, 0, 1, 0)  # sent, skipped, failed, paused
    assert rows["Wed 25 Mar"] == (0, 1, 0, 0)
    assert rows["Fri 20 Mar"] == (0, 0, 0, 1)
    assert rows["Fri 27 Mar"] == (0, 0, 0, 0)
    assert sum(sum(r) for r in rows.values()) == 5
    totals = re.findall(r'<th class="num">(\d+)</th>', table)
    assert totals == ["2", "1", "1", "1"]


async def test_the_chart_counts_are_reused_for_a_minute(console: Console) -> None:
    """Counting a month of every channel's deliveries is the page's one heavy read: a click
    through the list within a minute reuses it; after that the chart is counted again."""
    add_delivery(console.store, date(2026, 3, 26), "tip-01")
    await console.sign_in()
    _, page = await open_page(console, "/")
    assert "sent: 1" in page
    add_delivery(console.store, date(2026, 3, 26), "tip-02", channel=("slack", "T1", "C2"))
    console.clock.advance(59)
    _, page = await open_page(console, "/?page=2")
    assert "sent: 1" in page
    console.clock.advance(2)
    _, page = await open_page(console, "/")
    assert "sent: 2" in page


async def test_the_adapters_health_is_shown(console: Console) -> None:
    await console.sign_in()
    _, page = await open_page(console, "/")
    adapters = re.findall(r'<tr class="adapter"><td>(\w+)</td><td><span class="(\w+)">', page)
    assert adapters == [("console", "ok"), ("discord", "bad"), ("slack", "ok")]
    console.health["slack"] = False
    _, page = await open_page(console, "/")
    assert '<tr class="adapter"><td>slack</td><td><span class="bad">not connected' in page


async def test_a_pause_on_the_channel_page_is_in_the_audit_log(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    status, _ = await post(console, f"/channel/{sub.id}/pause")
    assert status == 303
    _, page = await open_page(console, "/")
    entries = re.findall(
        r'<tr class="audit-row">\s*<td>([^<]+)</td>'
        r'\s*<td>(\w+) <span class="muted">[^<]*</span></td>'
        r'\s*<td>([\w-]+) <span class="muted">([^<]*)</span></td>'
        r'\s*<td class="tip-text">([^<]*)</td>',
        page,
    )
    # Newest first: the pause, then the sign-in; times in the console's timezone.
    assert [(who, what, target) for _, who, what, target, _ in entries] == [
        ("Ana", "pause", "slack/T1/C1"),
        ("Ana", "sign-in", "console"),
    ]
    assert entries[0][0] == "Fri 27 Mar 11:00 CET"
    assert entries[0][4].startswith("Paused.")


async def test_the_subscriptions_are_paged(console: Console) -> None:
    add_sink_subscriptions(console.store, 2 * PAGE_SIZE + 5, 3, NOW, "U0")
    await console.sign_in()
    _, page1 = await open_page(console, "/")
    _, page3 = await open_page(console, "/?page=3")
    _, page4 = await open_page(console, "/?page=4")
    assert len(sub_rows(page1)) == PAGE_SIZE and len(sub_rows(page3)) == 5
    assert "Page 1 of 3" in page1 and 'href="/?page=2#subscriptions"' in page1
    assert 'href="/?page=4' not in page3
    assert not set(sub_rows(page1)) & set(sub_rows(page3))
    assert sub_rows(page4) == [] and "No subscriptions on page 4" in words(page4)
    assert 'href="/#subscriptions"' in page4


async def test_the_audit_log_is_paged(console: Console) -> None:
    for i in range(AUDIT_PAGE_SIZE + 10):
        at = NOW - timedelta(hours=AUDIT_PAGE_SIZE + 10 - i)
        console.store.record_audit(at, "Bo", "127.0.0.1", "pause", f"slack/T1/C{i}", "Paused.")
    await console.sign_in()  # the 61st entry, the newest
    _, page1 = await open_page(console, "/")
    _, page2 = await open_page(console, "/?audit=2")
    assert page1.count('class="audit-row"') == AUDIT_PAGE_SIZE
    assert page2.count('class="audit-row"') == 11
    assert 'href="/?audit=2#audit"' in page1 and "?audit=3" not in page2
    assert "slack/T1/C59" in page1 and "slack/T1/C0" not in page1
    assert "slack/T1/C0" in page2
    # The audit page keeps the list's page, and the list's links keep the audit page.
    _, both = await open_page(console, "/?page=2&audit=2")
    assert 'href="/?page=2#audit"' in both


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=99999999999",
        "page=" + "9" * 5000,
        "page=-1",
        "page=0",
        "page=%C2%B2",
        "page=1e3",
        "page=%00",
        "audit=abc&page=",
        "audit=99999999999",
        "paused=<script>",
        "page=1&page=2",
    ],
)
async def test_hostile_page_numbers_show_the_first_page(console: Console, query: str) -> None:
    subscribe(console.store, channel="C1")
    await console.sign_in()
    status, page = await open_page(console, "/?" + query)
    assert status == 200
    assert sub_rows(page) == ["C1"]
    assert page.count('class="audit-row"') == 1  # the sign-in


async def test_hostile_names_show_as_text(console: Console) -> None:
    subscribe(console.store, workspace="T1", channel=HOSTILE[:40])
    console.store.set_paused(console.store.subscription_page(1)[0].id, True, HOSTILE, NOW)
    console.store.record_audit(NOW, HOSTILE[:60], "127.0.0.1", "pause", HOSTILE, HOSTILE)
    await console.sign_in()
    status, page = await open_page(console, "/")
    assert status == 200
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in text_of(page)


async def test_an_empty_store_shows_an_empty_overview(console: Console) -> None:
    await console.sign_in()
    status, page = await open_page(console, "/")
    assert status == 200
    assert "0 subscriptions in 0 workspaces and guilds, 0 paused." in words(page)
    assert "Nothing is subscribed yet" in page and "No subscription is paused." in page
    assert "Deliveries per day" in page


async def test_the_overview_needs_a_session(console: Console) -> None:
    for path in ("/", "/?page=2", "/?audit=2"):
        response = await console.client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"].startswith("/login")


def test_workspace_counts_are_cut_to_the_limit_and_counted_in_all(store: Store) -> None:
    add_sink_subscriptions(store, 30, 7, NOW, "U0")
    first = store.subscription_page(1)[0]
    assert (first.workspace, first.channel) == ("W000", "C00000")
    store.set_paused(first.id, True, "paused by U9", NOW)
    shown, total = store.workspace_counts(3)
    assert [(w.workspace, w.subscriptions, w.paused) for w in shown] == [
        ("W000", 5, 1),
        ("W001", 5, 0),
        ("W002", 4, 0),
    ]
    assert (total.workspaces, total.subscriptions, total.paused) == (7, 30, 1)


def test_the_audit_page_is_newest_first(store: Store) -> None:
    for i in range(5):
        store.record_audit(NOW + timedelta(minutes=i), "Ana", "", "pause", f"t{i}", "")
    assert [e.target for e in store.audit_page(2, 1)] == ["t3", "t2"]
    assert [e.at for e in store.audit_page(1)] == [NOW + timedelta(minutes=4)]
