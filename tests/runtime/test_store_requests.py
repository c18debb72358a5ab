"""The store's requests (bot/runtime/store/requests.py) and past posts
(bot/runtime/store/posts.py).

Every `store` test runs on SQLite and on the real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.learning_model import VoteKind
from bot.core.requests import KEY_LIMIT, QUERY_LIMIT, RequestKind
from bot.runtime.store import FAILED, FINAL_STATUSES, SKIPPED, Store
from bot.runtime.store.schema import tip_requests
from tests.fakes.ledger import add_delivery

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MONTH_AGO = NOW - timedelta(days=30)
CH = ("slack", "T1", "C1")


def ask(
    store: Store,
    member: str,
    query: str,
    kind: RequestKind = "request",
    where: tuple[str, str, str] = CH,
    at: datetime = NOW,
) -> bool:
    return store.record_tip_request(*where, member, kind, query, at)


def test_requests_group_by_normalised_words_and_count_each_member_once(store: Store) -> None:
    ask(store, "U1", "Helm Chart")
    ask(store, "U1", "helm  chart")  # the same member again: still one
    ask(store, "U2", "HELM\tchart")
    ask(store, "U3", "gitops")
    top = store.top_tip_requests("slack", "T1", "request", MONTH_AGO, 10)
    assert [(r.key, r.members) for r in top] == [("helm chart", 2), ("gitops", 1)]
    # The words shown are the latest asker's, with their case.
    assert top[0].query == "HELM chart"
    assert top[0].last_at == NOW


def test_requests_and_unanswered_questions_are_listed_apart(store: Store) -> None:
    ask(store, "U1", "argo rollouts", "unanswered")
    ask(store, "U2", "argo rollouts", "unanswered")
    ask(store, "U1", "service mesh")
    unanswered = store.top_tip_requests("slack", "T1", "unanswered", MONTH_AGO, 10)
    asked = store.top_tip_requests("slack", "T1", "request", MONTH_AGO, 10)
    assert [(r.key, r.members) for r in unanswered] == [("argo rollouts", 2)]
    assert [(r.key, r.members) for r in asked] == [("service mesh", 1)]


def test_only_the_last_thirty_days_and_only_this_workspace_count(store: Store) -> None:
    ask(store, "U1", "old news", at=NOW - timedelta(days=31))
    ask(store, "U1", "fresh", at=NOW - timedelta(days=29))
    ask(store, "U1", "other team", where=("slack", "T2", "C9"))
    ask(store, "U1", "other platform", where=("discord", "T1", "C1"))
    top = store.top_tip_requests("slack", "T1", "request", MONTH_AGO, 10)
    assert [r.key for r in top] == ["fresh"]


def test_the_list_is_cut_at_its_limit_most_members_first(store: Store) -> None:
    for n in range(5):
        for m in range(n + 1):
            ask(store, f"U{m}", f"topic {n}")
    top = store.top_tip_requests("slack", "T1", "request", MONTH_AGO, 3)
    assert [(r.key, r.members) for r in top] == [("topic 4", 5), ("topic 3", 4), ("topic 2", 3)]


def test_hostile_words_are_stored_bounded_and_as_typed(store: Store) -> None:
    """A 10,000-character query keeps at most QUERY_LIMIT characters and a key of at most
    KEY_LIMIT; @everyone and markup are kept as text (adapters make them inert where shown);
    control characters go."""
    assert ask(store, "U1", "kubectl " * 1250)
    assert ask(store, "U2", "@everyone <script>alert(1)</script>\x00\u202e")
    with store.engine.connect() as conn:
        rows = conn.execute(select(tip_requests.c.query, tip_requests.c.key)).all()
    by_len = sorted(rows, key=lambda r: len(r.query))
    short, long_ = by_len
    assert len(long_.query) <= QUERY_LIMIT and len(long_.key) <= KEY_LIMIT
    assert long_.query.startswith("kubectl kubectl")
    assert short.query == "@everyone <script>alert(1)</script>"
    assert short.key == "@everyone <script>alert(1)</script>"


def test_words_that_normalise_to_nothing_are_not_stored(store: Store) -> None:
    assert not ask(store, "U1", " \u200b\t ")
    assert store.top_tip_requests("slack", "T1", "request", MONTH_AGO, 10) == []


def test_forgetting_a_member_deletes_their_requests_on_that_platform_only(store: Store) -> None:
    ask(store, "U1", "helm")
    ask(store, "U1", "kustomize", "unanswered", where=("slack", "T2", "C2"))
    ask(store, "U1", "helm", where=("discord", "G1", "C1"))
    ask(store, "U2", "helm")
    assert store.forget_member_requests("slack", "U1") == 2
    assert [
        (r.key, r.members) for r in store.top_tip_requests(*CH[:2], "request", MONTH_AGO, 9)
    ] == [("helm", 1)]
    assert store.top_tip_requests("discord", "G1", "request", MONTH_AGO, 9)[0].members == 1
    assert store.forget_member_requests("slack", "U1") == 0


# -- past posts ---------------------------------------------------------------------------


def test_a_channels_posts_come_newest_first_with_their_vote_counts(store: Store) -> None:
    for d in range(1, 6):
        add_delivery(store, date(2026, 11, d), f"tip-{d}")
    add_delivery(store, date(2026, 11, 6), None, status=SKIPPED)
    add_delivery(store, date(2026, 11, 7), "tip-7", status=FAILED)
    add_delivery(store, date(2026, 11, 8), "tip-8", channel=("slack", "T1", "C2"))
    store.record_vote(*CH, "tip-5", "U1", VoteKind.USEFUL, False, NOW)
    store.record_vote(*CH, "tip-5", "U2", VoteKind.USEFUL, False, NOW)
    store.record_vote(*CH, "tip-5", "U3", VoteKind.KNEW_IT, False, NOW)
    store.record_vote(*CH, "tip-4", "U1", VoteKind.NOT_USEFUL, False, NOW)
    # A vote in another channel on the same tip is that channel's.
    store.record_vote("slack", "T1", "C2", "tip-5", "U1", VoteKind.NOT_USEFUL, False, NOW)
    posts = store.channel_posts(*CH, 3)
    assert [p.tip_id for p in posts] == ["tip-5", "tip-4", "tip-3"]
    assert [(p.useful, p.not_useful, p.knew_it) for p in posts] == [(2, 0, 1), (0, 1, 0), (0, 0, 0)]
    assert posts[0].posted_at == datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    assert [p.tip_id for p in store.channel_posts(*CH, 3, offset=3)] == ["tip-2", "tip-1"]
    assert store.channel_posts(*CH, 3, offset=6) == []


def test_one_days_post_is_found_by_its_local_date(store: Store) -> None:
    add_delivery(store, date(2026, 11, 29), "tip-a")
    add_delivery(store, date(2026, 11, 30), "tip-b")
    found = store.channel_posts(*CH, 1, on=date(2026, 11, 29))
    assert [p.tip_id for p in found] == ["tip-a"]
    assert store.channel_posts(*CH, 1, on=date(2026, 11, 28)) == []


def test_the_export_takes_every_channel_or_one_and_a_start_date(store: Store) -> None:
    add_delivery(store, date(2026, 11, 1), "tip-1")
    add_delivery(store, date(2026, 11, 2), None, status=SKIPPED)
    add_delivery(store, date(2026, 11, 3), "tip-3", channel=("discord", "G1", "D1"))
    store.record_vote("discord", "G1", "D1", "tip-3", "U1", VoteKind.USEFUL, False, NOW)
    every = list(store.export_posts(statuses=FINAL_STATUSES))
    assert [(p.platform, p.local_date.day, p.status) for p in every] == [
        ("discord", 3, "sent"),
        ("slack", 1, "sent"),
        ("slack", 2, "skipped"),
    ]
    assert every[0].useful == 1 and every[2].posted_at is None
    assert [p.tip_id for p in store.export_posts("C1")] == ["tip-1"]  # sent only by default
    assert [p.tip_id for p in store.export_posts(since=date(2026, 11, 2))] == ["tip-3"]
