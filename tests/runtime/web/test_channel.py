"""The Channel page of the admin web console (`/channel/{id}`): one subscription's schedule,
history with votes, retired tips and chart; pause, resume, skip and restore through the router.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.corpus import Corpus
from bot.core.engine import Engine
from bot.core.learning_model import VoteKind
from bot.runtime.learning_commands import channel_retired
from bot.runtime.store import PAUSED, SKIPPED, Store, Subscription, SubscriptionSpec
from bot.runtime.store.schema import deliveries
from bot.runtime.web.channel import PAGE_SIZE
from tests.fakes.ledger import add_delivery
from tests.fakes.tips import make_corpus
from tests.runtime.web.web_support import NOW, Console, open_console

pytestmark = pytest.mark.both_databases

HOSTILE = "<script>alert(1)</script> {{ 7*7 }} @everyone"
WEEKDAYS = (1, 2, 3, 4, 5)


def hostile_corpus() -> Corpus:
    """The fake corpus, its first tip's text hostile."""
    corpus = make_corpus()
    tips = [corpus.tips[0]._replace(text=HOSTILE), *corpus.tips[1:]]
    return Corpus(tips=tips, sources=corpus.sources, topics=corpus.topics)


@pytest.fixture
async def console(store: Store) -> AsyncIterator[Console]:
    async for c in open_console(store, Engine(hostile_corpus())):
        yield c


def subscribe(
    store: Store, channel: str = "C1", member: str = "", topics: tuple[str, ...] = ("rbac",)
) -> Subscription:
    spec = SubscriptionSpec(
        "slack", "T1", channel, "09:00", "Europe/Amsterdam", WEEKDAYS, topics, member=member
    )
    return store.upsert_subscription(spec, "chat", "U0", NOW - timedelta(days=60))


def retire(store: Store, tip_id: str, channel: str = "C1") -> None:
    """Two members found it not useful: the channel's votes retire it."""
    for member in ("U1", "U2"):
        store.record_vote(
            "slack", "T1", channel, tip_id, member, VoteKind.NOT_USEFUL, False, NOW - timedelta(1)
        )


def text_of(page: str) -> str:
    """The page's text with tags dropped and entities decoded (for word checks)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def open_page(console: Console, path: str) -> tuple[int, str]:
    response = await console.client.get(path, allow_redirects=False)
    return response.status, await response.text()


async def post(console: Console, path: str, **form: str) -> tuple[int, str]:
    """POST `form` with the page's csrf token; the status and where it sends the browser."""
    page = path.rsplit("/", 1)[0]
    token = await console.csrf(page)
    response = await console.client.post(path, data={"csrf": token, **form}, allow_redirects=False)
    return response.status, response.headers.get("Location", "")


async def test_the_page_shows_the_schedule_topics_status_and_next_post(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    status, page = await open_page(console, f"/channel/{sub.id}")
    assert status == 200
    words = " ".join(text_of(page).split())
    assert "every weekday at 09:00 Europe/Amsterdam" in words
    assert "RBAC" in words
    assert "Active" in words
    # Friday 27 March 11:00 in Amsterdam: the next weekday post is Monday's, after the DST change.
    assert "Mon 30 Mar 09:00 CEST" in words
    assert f'action="/channel/{sub.id}/pause"' in page
    assert f'action="/channel/{sub.id}/resume"' not in page


async def test_the_history_lists_posts_newest_first_with_their_votes(console: Console) -> None:
    sub = subscribe(console.store)
    for day in (23, 24, 25):
        add_delivery(console.store, date(2026, 3, day), f"tip-{day - 20:02d}", at=time(8, 0))
    add_delivery(console.store, date(2026, 3, 26), None, status=SKIPPED)
    for member, kind in (
        ("U1", VoteKind.USEFUL),
        ("U2", VoteKind.USEFUL),
        ("U3", VoteKind.KNEW_IT),
    ):
        console.store.record_vote("slack", "T1", "C1", "tip-05", member, kind, False, NOW)
    await console.sign_in()
    _, page = await open_page(console, f"/channel/{sub.id}")
    rows = re.findall(
        r"<tr>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>\s*<td[^>]*>([^<]+)</td>"
        r"\s*<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>"
        r"<td class=\"num\">(\d+)</td>",
        page,
        re.S,
    )
    assert [(when, status, (u, n, k)) for when, _, status, u, n, k in rows] == [
        ("Thu 26 Mar 09:00 CET", "skipped", ("0", "0", "0")),
        ("Wed 25 Mar 09:00 CET", "sent", ("2", "0", "1")),
        ("Tue 24 Mar 09:00 CET", "sent", ("0", "0", "0")),
        ("Mon 23 Mar 09:00 CET", "sent", ("0", "0", "0")),
    ]
    assert 'href="/tips?q=tip-05"' in page
    assert "Tip number 5 about" in page


async def test_the_history_is_paged(console: Console) -> None:
    sub = subscribe(console.store)
    first = date(2026, 1, 1)
    for i in range(PAGE_SIZE + 3):
        add_delivery(console.store, first + timedelta(days=i), "tip-01")
    await console.sign_in()
    _, page1 = await open_page(console, f"/channel/{sub.id}")
    _, page2 = await open_page(console, f"/channel/{sub.id}?page=2")
    assert page1.count('class="status-sent"') == PAGE_SIZE
    assert page2.count('class="status-sent"') == 3
    assert f"/channel/{sub.id}?page=2" in page1 and f"/channel/{sub.id}?page=3" not in page2
    for nonsense in ("abc", "-1", "0", "9" * 40, "²"):
        status, page = await open_page(console, f"/channel/{sub.id}?page={nonsense}")
        assert status == 200 and page.count('class="status-sent"') == PAGE_SIZE


async def test_retired_tips_are_listed_with_a_restore_button(console: Console) -> None:
    sub = subscribe(console.store)
    retire(console.store, "tip-04")
    await console.sign_in()
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert 'name="tip" value="tip-04"' in page
    assert "Tip number 4 about" in page


async def test_the_votes_chart_and_totals_count_the_last_30_days(console: Console) -> None:
    sub = subscribe(console.store)
    store = console.store
    store.record_vote("slack", "T1", "C1", "tip-01", "U1", VoteKind.USEFUL, False, NOW)
    store.record_vote("slack", "T1", "C1", "tip-01", "U2", VoteKind.KNEW_IT, False, NOW)
    old = NOW - timedelta(days=90)
    store.record_vote("slack", "T1", "C1", "tip-02", "U1", VoteKind.USEFUL, False, old)
    # Another channel's vote is not this one's.
    store.record_vote("slack", "T1", "C2", "tip-01", "U1", VoteKind.NOT_USEFUL, False, NOW)
    assert store.channel_votes_by_day(sub.key, NOW - timedelta(days=1)) == {
        (NOW.date(), VoteKind.USEFUL): 1,
        (NOW.date(), VoteKind.KNEW_IT): 1,
    }
    await console.sign_in()
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert "<svg" in page and "Votes per day, last 30 days (UTC)" in page
    assert "👍 useful: 1" in page  # the legend: the last 30 days only
    totals = re.findall(
        r"<td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", page
    )
    assert totals == [
        ("👍 useful", "1", "2"),
        ("👎 not useful", "0", "0"),
        ("✅ knew it", "1", "1"),
    ]


async def test_pause_runs_the_command_as_the_web_admin_and_shows_resume(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    status, location = await post(console, f"/channel/{sub.id}/pause")
    assert (status, location) == (303, f"/channel/{sub.id}")
    now = console.store.get_subscription_by_id(sub.id)
    assert now is not None and now.paused and now.paused_reason == "paused by Ana"
    _, page = await open_page(console, location)
    assert "Paused." in page  # the router's answer, as the flash message
    assert f'action="/channel/{sub.id}/resume"' in page
    assert f'action="/channel/{sub.id}/pause"' not in page
    [entry, _] = console.store.recent_audit()
    assert (entry.actor, entry.action, entry.target) == ("Ana", "pause", "slack/T1/C1")


async def test_resume_restarts_a_paused_channel(console: Console) -> None:
    sub = subscribe(console.store)
    console.store.set_paused(sub.id, True, "paused by U9", NOW)
    await console.sign_in()
    assert (await post(console, f"/channel/{sub.id}/resume"))[0] == 303
    now = console.store.get_subscription_by_id(sub.id)
    assert now is not None and not now.paused
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert "Resumed. Next tip: Mon 30 Mar 09:00 CEST." in page
    assert console.store.recent_audit()[0].action == "resume"


async def test_skip_writes_the_next_posts_ledger_row_as_skipped(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    assert (await post(console, f"/channel/{sub.id}/skip"))[0] == 303
    with console.store.engine.connect() as conn:
        rows = conn.execute(deliveries.select().where(deliveries.c.subscription_id == sub.id)).all()
    assert [(r.local_date, r.status, r.last_error) for r in rows] == [
        (date(2026, 3, 30), SKIPPED, "skipped by Ana")
    ]
    _, page = await open_page(console, f"/channel/{sub.id}")
    words = " ".join(text_of(page).split())
    assert "Skipped the post of Mon 30 Mar" in words
    assert "skipped: skipped by Ana" in words  # the history shows the skip written ahead
    assert "Tue 31 Mar 09:00 CEST" in words  # and the next post is the one after


async def test_restore_undoes_a_retirement(console: Console) -> None:
    sub = subscribe(console.store)
    retire(console.store, "tip-04")
    await console.sign_in()
    assert (await post(console, f"/channel/{sub.id}/restore", tip="tip-04"))[0] == 303
    [restored] = console.store.channel_restorations("slack", "T1", "C1")
    assert (restored.tip_id, restored.by) == ("tip-04", "web:Ana")
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert 'name="tip" value="tip-04"' not in page
    assert "Restored:" in page
    entry = console.store.recent_audit()[0]
    assert (entry.action, entry.target) == ("restore", "slack/T1/C1 tip tip-04")


async def test_restore_with_a_hostile_tip_field_changes_nothing(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    for tip in ("", "x" * 10_000, "tip-04 pause", "@everyone", "<script>", "🙂🙂"):
        status, _ = await post(console, f"/channel/{sub.id}/restore", tip=tip)
        assert status == 303
    assert console.store.channel_restorations("slack", "T1", "C1") == []
    now = console.store.get_subscription_by_id(sub.id)
    assert now is not None and not now.paused


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    console: Console,
) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    for action in ("pause", "skip"):
        response = await console.client.post(f"/channel/{sub.id}/{action}", data={})
        assert response.status == 403
    now = console.store.get_subscription_by_id(sub.id)
    assert now is not None and not now.paused
    assert console.store.list_deliveries(sub.id) == []
    assert console.store.recent_audit()[0].action == "sign-in"


async def test_hostile_tip_text_and_channel_name_show_as_text(console: Console) -> None:
    sub = subscribe(console.store, channel=HOSTILE[:40])
    add_delivery(console.store, date(2026, 3, 26), "tip-00", channel=sub.key)
    retire(console.store, "tip-00", channel=sub.channel)
    await console.sign_in()
    status, page = await open_page(console, f"/channel/{sub.id}")
    assert status == 200
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in text_of(page)


async def test_an_unknown_or_non_numeric_id_is_a_404_page(console: Console) -> None:
    await console.sign_in()
    for bad in (
        "abc",
        "999999",
        "2147483648",
        "9999999999",
        "1e3",
        "-1",
        "9" * 40,
        "²",
        "<script>",
    ):
        status, page = await open_page(console, f"/channel/{bad}")
        assert status == 404, bad
        assert "No such channel" in page and 'href="/"' in page
        posted = await console.client.post(
            f"/channel/{bad}/pause", data={"csrf": await console.csrf()}, allow_redirects=False
        )
        assert posted.status == 404


async def test_an_unknown_action_is_a_404_and_changes_nothing(console: Console) -> None:
    sub = subscribe(console.store)
    await console.sign_in()
    status, _ = await post(console, f"/channel/{sub.id}/unsubscribe")
    assert status == 404
    assert console.store.get_subscription_by_id(sub.id) is not None


async def test_a_personal_subscription_is_shown_read_only(console: Console) -> None:
    sub = subscribe(console.store, channel="dm:U7", member="U7")
    console.store.set_snooze(sub.id, NOW + timedelta(days=7), NOW)
    await console.sign_in()
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert "Personal daily tip of U7" in page and "read-only" in page
    assert "Snoozed until Fri 03 Apr 12:00 CEST" in " ".join(text_of(page).split())
    assert f'action="/channel/{sub.id}/pause"' not in page
    status, _ = await post(console, f"/channel/{sub.id}/pause")
    assert status == 303
    now = console.store.get_subscription_by_id(sub.id)
    assert now is not None and not now.paused
    _, page = await open_page(console, f"/channel/{sub.id}")
    assert "nothing was changed" in page


async def test_a_page_needs_a_session(console: Console) -> None:
    sub = subscribe(console.store)
    response = await console.client.get(f"/channel/{sub.id}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login")


def test_the_ledger_page_keeps_only_recent_non_sent_rows(store: Store) -> None:
    """Sent posts of any age; skipped, failed and paused ones only from the given date on."""
    sub = subscribe(store)
    add_delivery(store, date(2026, 1, 5), "tip-01")
    add_delivery(store, date(2026, 1, 6), None, status=SKIPPED)
    add_delivery(store, date(2026, 3, 20), None, status=PAUSED)
    rows = store.channel_ledger_page(sub.key, date(2026, 3, 1), 10)
    assert [(r.local_date, r.status) for r in rows] == [
        (date(2026, 3, 20), "paused"),
        (date(2026, 1, 5), "sent"),
    ]
    assert rows[1].posted_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_the_retired_tips_read_agrees_with_the_chat_commands_rule(store: Store) -> None:
    """One GROUP BY finds the tips `retired` (every vote read, the rule in core) finds."""
    where = ("slack", "T1", "C1")
    before, after = NOW - timedelta(days=3), NOW - timedelta(days=1)
    useful, bad, knew = VoteKind.USEFUL, VoteKind.NOT_USEFUL, VoteKind.KNEW_IT
    cases: dict[str, list[tuple[str, VoteKind, bool, datetime]]] = {
        "two-bad": [("U1", bad, False, after), ("U2", bad, False, after)],
        "outvoted": [(f"U{i}", bad if i < 3 else useful, False, after) for i in range(1, 6)],
        "one-bad": [("U1", bad, False, after), ("U2", knew, False, after)],
        "admin-bad": [("U1", bad, True, after)],
        "restored": [("U1", bad, False, before), ("U2", bad, False, before)],
        "retired-again": [("U1", bad, True, before), ("U2", bad, True, after)],
        "tied": [(f"U{i}", bad if i < 3 else useful, False, after) for i in range(1, 5)],
    }
    for tip, tip_votes in cases.items():
        for member, kind, admin, at in tip_votes:
            store.record_vote(*where, tip, member, kind, admin, at)
    for tip in ("restored", "retired-again"):
        store.restore_tip(*where, tip, "U9", NOW - timedelta(days=2))
    store.record_vote("slack", "T1", "C2", "one-bad", "U3", bad, False, after)  # another channel
    assert store.channel_retired_tips(where) == channel_retired(store, *where)
    assert store.channel_retired_tips(where) == ["admin-bad", "retired-again", "two-bad"]
