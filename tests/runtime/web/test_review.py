"""The Review page of the admin web console (`/review`): the suggestion queue of every
workspace with Approve, Edit and Reject through the router, the decisions made lately, and
what members asked for and did not find."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.requests import REQUEST, UNANSWERED
from bot.runtime.community import CommunityEngine
from bot.runtime.store import Store
from bot.runtime.store.suggestions import APPROVED, PENDING, REJECTED, Suggestion
from tests.fakes.tips import make_corpus
from tests.runtime.web.web_support import NOW, Console, open_console

pytestmark = pytest.mark.both_databases

TIP = "Run kubectl rollout undo deployment/web to roll a Deployment back in seconds."
OTHER = "Give every namespace a LimitRange so a Pod without requests gets sane defaults."
HOSTILE = "Never paste <script>alert(1)</script> or {{ 7*7 }} into a ConfigMap by hand."


@pytest.fixture
async def console(store: Store) -> AsyncIterator[Console]:
    async for c in open_console(store, Engine(make_corpus()), community=True):
        yield c


def suggest(
    store: Store,
    text: str = TIP,
    *,
    where: tuple[str, str, str] = ("slack", "T1", "C1"),
    member: str = "U1",
    name: str = "Ana",
    topics: tuple[str, ...] = ("rbac",),
    at: datetime = NOW - timedelta(hours=2),
) -> Suggestion:
    return store.add_suggestion(*where, member, name, text, topics, at, 5)


def text_of(page: str) -> str:
    """The page's words, tags dropped and entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def open_page(console: Console, path: str) -> tuple[int, str]:
    response = await console.client.get(path, allow_redirects=False)
    return response.status, await response.text()


async def post(console: Console, path: str, **form: str) -> tuple[int, str]:
    """POST `form` with a csrf token; the status and where it sends the browser."""
    token = await console.csrf("/review")
    response = await console.client.post(path, data={"csrf": token, **form}, allow_redirects=False)
    return response.status, response.headers.get("Location", "")


async def post_page(console: Console, path: str, **form: str) -> tuple[int, str]:
    """POST `form` with a csrf token; the status and the page answered (not followed)."""
    token = await console.csrf("/review")
    response = await console.client.post(path, data={"csrf": token, **form}, allow_redirects=False)
    return response.status, await response.text()


def status_of(store: Store, sid: int) -> Suggestion:
    found = store.suggestion(sid)
    assert found is not None
    return found


# -- the queue ---------------------------------------------------------------------------


async def test_the_queue_lists_every_workspaces_pending_suggestions_oldest_first(
    console: Console,
) -> None:
    first = suggest(console.store, at=NOW - timedelta(days=2))
    second = suggest(
        console.store,
        OTHER,
        where=("discord", "G2", "C9"),
        member="D7",
        name="Bo",
        topics=("secrets", "networking"),
        at=NOW - timedelta(hours=1),
    )
    await console.sign_in()
    status, page = await open_page(console, "/review")
    assert status == 200
    words = text_of(page)
    assert words.index(TIP) < words.index(OTHER)
    assert "by Ana Wed 25 Mar 2026 11:00 CET in slack/T1/C1" in words
    assert "by Bo Fri 27 Mar 2026 10:00 CET in discord/G2/C9" in words
    assert "Topics: RBAC" in words and "Topics: Secrets, Networking" in words
    for s in (first, second):
        assert f'action="/review/{s.id}/approve"' in page
        assert f'action="/review/{s.id}/reject"' in page
        assert f'href="/review/{s.id}/edit"' in page
    assert "No tips have been suggested yet" not in words


async def test_approve_makes_it_a_community_tip_at_once_and_is_audited(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    assert await post(console, f"/review/{s.id}/approve") == (303, "/review")
    done = status_of(console.store, s.id)
    assert (done.status, done.decided_by_name, done.decided_by) == (APPROVED, "Ana", "web:Ana")
    assert isinstance(console.engine, CommunityEngine)
    assert console.engine.current.corpus.by_id[done.tip_id].text == TIP  # rebuilt, searchable
    _, page = await open_page(console, "/review")
    words = text_of(page)
    assert f"Approved #{s.id}: it is tip {done.tip_id} of the Community source" in words
    assert f'action="/review/{s.id}/approve"' not in page  # no longer pending
    assert f"approved: {done.tip_id} by Ana" in words  # in the decisions, linked to the tip
    assert f'href="/tips?q={done.tip_id}"' in page
    entry = console.store.recent_audit()[0]
    assert (entry.actor, entry.action, entry.target) == (
        "Ana",
        "approve",
        f"suggestion #{s.id} (slack/T1/C1)",
    )
    assert entry.detail.startswith(f"Approved #{s.id}")


async def test_approving_twice_says_who_decided_it_first(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    await post(console, f"/review/{s.id}/approve")
    await console.sign_in("Bo")
    assert await post(console, f"/review/{s.id}/approve") == (303, "/review")
    _, page = await open_page(console, "/review")
    assert f"Suggestion #{s.id} was already approved by Ana" in text_of(page)
    assert status_of(console.store, s.id).decided_by_name == "Ana"


async def test_reject_with_a_reason_tells_it_and_shows_it_as_text(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    reason = "<b>Too</b> vague,\n{{ 7*7 }}"
    assert await post(console, f"/review/{s.id}/reject", reason=reason) == (303, "/review")
    done = status_of(console.store, s.id)
    assert (done.status, done.reason) == (REJECTED, "<b>Too</b> vague, {{ 7*7 }}")
    _, page = await open_page(console, "/review")
    assert "<b>Too</b>" not in page and "&lt;b&gt;Too&lt;/b&gt; vague, {{ 7*7 }}" in page
    assert f"Rejected #{s.id}." in text_of(page)
    entry = console.store.recent_audit()[0]
    assert (entry.action, entry.target) == ("reject", f"suggestion #{s.id} (slack/T1/C1)")


async def test_a_reason_too_long_or_with_control_characters_rejects_nothing(
    console: Console,
) -> None:
    s = suggest(console.store)
    await console.sign_in()
    for reason, said in (
        ("x" * 501, "A reason is at most 500 characters (this one has 501)"),
        ("bad\x00reason", "can't hold control characters"),
    ):
        assert await post(console, f"/review/{s.id}/reject", reason=reason) == (303, "/review")
        _, page = await open_page(console, "/review")
        assert said in text_of(page)
    assert status_of(console.store, s.id).status == PENDING
    assert console.store.recent_audit()[0].action == "sign-in"


# -- editing -----------------------------------------------------------------------------


async def test_the_edit_form_shows_the_text_and_topics(console: Console) -> None:
    s = suggest(console.store, HOSTILE, topics=("rbac", "secrets"))
    await console.sign_in()
    status, page = await open_page(console, f"/review/{s.id}/edit")
    assert status == 200
    assert "<script>" not in page
    assert "Never paste &lt;script&gt;alert(1)&lt;/script&gt; or {{ 7*7 }}" in page
    assert 'name="topics" maxlength="200" value="rbac secrets"' in page
    assert f'action="/review/{s.id}/edit"' in page


async def test_save_and_approve_runs_chats_edit_then_approve(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    edited = "Run kubectl rollout undo to roll a Deployment back to its previous revision."
    answer = await post(
        console, f"/review/{s.id}/edit", text=edited, topics="Secrets roles", then="approve"
    )
    assert answer == (303, "/review")
    done = status_of(console.store, s.id)
    assert (done.status, done.text, done.topics) == (APPROVED, edited, ("secrets", "rbac"))
    assert isinstance(console.engine, CommunityEngine)
    assert console.engine.current.corpus.by_id[done.tip_id].text == edited
    _, page = await open_page(console, "/review")
    words = text_of(page)
    assert f"Saved #{s.id}." in words and f"Approved #{s.id}" in words
    actions = [(e.action, e.target) for e in console.store.recent_audit()[:2]]
    target = f"suggestion #{s.id} (slack/T1/C1)"
    assert actions == [("approve", target), ("edit", target)]


async def test_save_only_keeps_it_pending_with_the_new_text(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    answer = await post(console, f"/review/{s.id}/edit", text=HOSTILE, topics="", then="save")
    assert answer == (303, "/review")
    now = status_of(console.store, s.id)
    assert (now.status, now.text, now.topics) == (PENDING, HOSTILE, ())
    _, page = await open_page(console, "/review")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in text_of(page)
    assert f'action="/review/{s.id}/approve"' in page


@pytest.mark.parametrize(
    ("text", "topics", "said"),
    [
        ("word " * 2000, "", "The tip is too long: text is 9999 characters"),
        ("🚀 rollout " * 1000, "", "The tip is too long: text is 9999 characters"),
        ("🙂 🚀 ✅ 🎉", "", "A tip is a sentence of at least 4 words"),
        ("", "", "Write the tip after the command."),
        (TIP, "no-such-topic", "Unknown topic “no-such-topic”"),
        (TIP, "x " * 101, "Topics are a few ids or names, at most 200 characters"),
        ("Use kubectl\x00 to see the rollout of a Deployment.", "", "control characters"),
        ("tip number 3 about SECRETS", "", "That tip is already in k8stip"),
    ],
)
async def test_a_refused_edit_comes_back_with_the_reason_and_the_typed_text(
    console: Console, text: str, topics: str, said: str
) -> None:
    s = suggest(console.store)
    await console.sign_in()
    status, page = await post_page(
        console, f"/review/{s.id}/edit", text=text, topics=topics, then="approve"
    )
    assert status == 400
    assert said in html.unescape(page)
    assert '<div class="problem" role="alert">' in page
    if "\x00" not in text:
        assert f">{html.escape(text, quote=False)}</textarea>" in page
    now = status_of(console.store, s.id)
    assert (now.status, now.text, now.topics) == (PENDING, TIP, ("rbac",))


async def test_an_edit_posted_without_a_button_only_saves(console: Console) -> None:
    """Only "Save and approve" (`then=approve`) approves: a form posted otherwise saves."""
    s = suggest(console.store)
    await console.sign_in()
    assert await post(console, f"/review/{s.id}/edit", text=OTHER, topics="") == (303, "/review")
    now = status_of(console.store, s.id)
    assert (now.status, now.text) == (PENDING, OTHER)


async def test_an_edit_the_rate_limit_stops_keeps_the_typed_text(store: Store) -> None:
    config = config_from_mapping({"rate_limit": {"commands_per_minute": 1}, "web": {}})
    async for console in open_console(store, Engine(make_corpus()), config=config):
        s, other = suggest(store), suggest(store, OTHER, member="U2")
        await console.sign_in()
        assert await post(console, f"/review/{other.id}/reject") == (303, "/review")
        edited = "Run kubectl rollout undo to roll a Deployment back to its last revision."
        status, page = await post_page(
            console, f"/review/{s.id}/edit", text=edited, topics="", then="approve"
        )
        assert status == 400
        assert "that's 1 commands in a minute" in html.unescape(page)
        assert f">{edited}</textarea>" in page
        now = status_of(store, s.id)
        assert (now.status, now.text) == (PENDING, TIP)


async def test_a_form_past_the_body_limit_is_refused_and_changes_nothing(
    console: Console,
) -> None:
    """10,000 emoji are 120 kB as a form: past the console's 64 kB body limit (a browser
    cannot send it: the textarea holds 3,000 characters)."""
    s = suggest(console.store)
    await console.sign_in()
    status, page = await post_page(console, f"/review/{s.id}/edit", text="🙂" * 10_000)
    assert status == 400
    assert "The form is larger than the console takes (64 KB)." in page
    assert status_of(console.store, s.id).text == TIP


async def test_editing_a_decided_suggestion_says_who_decided_it(console: Console) -> None:
    s = suggest(console.store)
    console.store.reject_suggestion(s.id, "U9", "Cy", "", NOW - timedelta(minutes=5))
    await console.sign_in()
    response = await console.client.get(f"/review/{s.id}/edit", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, "/review")
    _, page = await open_page(console, "/review")
    assert f"Suggestion #{s.id} was already rejected by Cy" in text_of(page)
    answer = await post(console, f"/review/{s.id}/edit", text=OTHER, topics="", then="approve")
    assert answer == (303, "/review")
    _, page = await open_page(console, "/review")
    assert f"Suggestion #{s.id} was already rejected by Cy" in text_of(page)
    assert status_of(console.store, s.id).text == TIP


# -- hostile addresses and forms -----------------------------------------------------------


async def test_an_unknown_or_non_numeric_id_is_a_404_page(console: Console) -> None:
    s = suggest(console.store)
    await console.sign_in()
    token = await console.csrf("/review")
    for bad in ("abc", "999999", "0", "2147483648", "9" * 40, "-1", "1e3", "²", "<script>"):
        status, page = await open_page(console, f"/review/{bad}/edit")
        assert status == 404, bad
        assert "No such suggestion" in page and 'href="/review"' in page
        for action in ("approve", "reject", "edit"):
            posted = await console.client.post(
                f"/review/{bad}/{action}", data={"csrf": token}, allow_redirects=False
            )
            assert posted.status == 404, (bad, action)
    posted = await console.client.post(
        f"/review/{s.id}/delete", data={"csrf": token}, allow_redirects=False
    )
    assert posted.status == 404
    assert status_of(console.store, s.id).status == PENDING


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    console: Console,
) -> None:
    s = suggest(console.store)
    await console.sign_in()
    for action, form in (
        ("approve", {}),
        ("reject", {"reason": "no"}),
        ("edit", {"text": OTHER, "then": "approve"}),
        ("approve", {"csrf": "forged"}),
    ):
        response = await console.client.post(f"/review/{s.id}/{action}", data=form)
        assert response.status == 403
    now = status_of(console.store, s.id)
    assert (now.status, now.text) == (PENDING, TIP)
    assert console.store.recent_audit()[0].action == "sign-in"


async def test_the_page_needs_a_session(console: Console) -> None:
    response = await console.client.get("/review", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


# -- requests and unanswered searches ------------------------------------------------------


def ask(store: Store, query: str, member: str, kind: str = REQUEST, **where: str) -> None:
    platform, workspace = where.get("platform", "slack"), where.get("workspace", "T1")
    at = NOW - timedelta(days=float(where.get("days_ago", "1")))
    store.record_tip_request(platform, workspace, "C1", member, kind, query, at)  # type: ignore[arg-type]


def seed_requests(store: Store) -> None:
    ask(store, "helm chart", "U1")
    ask(store, "helm chart", "U1", days_ago="0.5")  # the same member again: counted once
    ask(store, "Helm  Chart", "U2", UNANSWERED, workspace="T2", days_ago="0.1")
    ask(store, "helm chart", "U1", platform="discord", workspace="G1")  # another platform's U1
    ask(store, "istio sidecars", "U3", UNANSWERED)
    ask(store, "istio sidecars", "U4", UNANSWERED, days_ago="2")
    ask(store, "<script>alert(1)</script> {{ 7*7 }}", "U5", days_ago="3")
    ask(store, "windows nodes", "U6", days_ago="45")  # past the 30 days


def test_asked_for_everywhere_counts_members_once_across_workspaces(store: Store) -> None:
    seed_requests(store)
    rows = store.asked_for_everywhere(NOW - timedelta(days=30), 10)
    got = [(r.query, r.members, r.requested, r.unanswered, r.workspaces) for r in rows]
    assert got == [
        ("Helm Chart", 3, 3, 1, 3),  # the latest ask's words, case kept
        ("istio sidecars", 2, 0, 2, 1),
        ("<script>alert(1)</script> {{ 7*7 }}", 1, 1, 0, 1),
    ]
    assert rows[0].last_at == NOW - timedelta(days=0.1)
    assert [r.query for r in store.asked_for_everywhere(NOW - timedelta(days=30), 1)] == [
        "Helm Chart"
    ]


async def test_the_requests_list_is_aggregated_top_first_and_shown_as_text(
    console: Console,
) -> None:
    seed_requests(console.store)
    await console.sign_in()
    _, page = await open_page(console, "/review")
    rows = re.findall(
        r'<tr class="asked">\s*<td class="tip-text">(.*?)</td>\s*'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td>\s*<td>([^<]*)</td>',
        page,
        re.S,
    )
    assert rows == [
        ("Helm Chart", "3", "3", "1", "3", "Fri 27 Mar 2026 08:36 CET"),
        ("istio sidecars", "2", "0", "2", "1", "Thu 26 Mar 2026 11:00 CET"),
        (
            "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}",
            "1",
            "1",
            "0",
            "1",
            "Tue 24 Mar 2026 11:00 CET",
        ),
    ]
    assert "windows nodes" not in page


async def test_empty_states_say_how_members_suggest_and_ask(console: Console) -> None:
    await console.sign_in()
    status, page = await open_page(console, "/review")
    assert status == 200
    words = text_of(page)
    assert "No tips have been suggested yet." in words
    assert "Members suggest a tip in chat with /k8stip suggest <text> | <topics>" in words
    assert "Nobody asked for anything the tips lack in the last 30 days." in words
    assert "Members ask for tips with /k8stip request <words>" in words


async def test_with_only_decided_suggestions_nothing_waits(console: Console) -> None:
    s = suggest(console.store)
    console.store.reject_suggestion(s.id, "U9", "Cy", "dup", NOW - timedelta(minutes=5))
    await console.sign_in()
    _, page = await open_page(console, "/review")
    words = text_of(page)
    assert "No suggested tips wait for review." in words
    assert "No tips have been suggested yet." not in words
    assert "rejected Reason: dup by Cy Fri 27 Mar 2026 10:55 CET" in words
