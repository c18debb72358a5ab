"""The store's suggestions and community tips (bot/runtime/store/suggestions.py), on SQLite
and on the real PostgreSQL: the pending limit, decisions made once, the community version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.core.community import community_tip_id
from bot.runtime.store import Store
from bot.runtime.store.suggestions import APPROVED, PENDING, REJECTED, TooManyPending
from tests.fakes.replicas import at_once, two_replicas

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TEXT = "Use kubectl drain --ignore-daemonsets before you upgrade a node."


def add(store: Store, text: str = TEXT, member: str = "U1", max_pending: int = 5) -> int:
    s = store.add_suggestion(
        "slack", "T1", "C1", member, "Ana", text, ("kubectl",), NOW, max_pending
    )
    return s.id


def test_a_suggestion_round_trips(store: Store) -> None:
    sid = add(store)
    s = store.suggestion(sid)
    assert s is not None
    assert (s.platform, s.workspace, s.channel, s.member, s.member_name) == (
        "slack",
        "T1",
        "C1",
        "U1",
        "Ana",
    )
    assert (s.text, s.topics, s.status, s.created_at) == (TEXT, ("kubectl",), PENDING, NOW)
    assert store.suggestion(sid + 1000) is None


def test_the_pending_limit_counts_only_that_members_pending_suggestions(store: Store) -> None:
    first = add(store, "a one", max_pending=2)
    add(store, "a two", max_pending=2)
    with pytest.raises(TooManyPending) as caught:
        add(store, "a three", max_pending=2)
    assert caught.value.pending == 2
    add(store, "b one", member="U2", max_pending=2)
    store.reject_suggestion(first, "UA", "Bo", "", NOW)
    add(store, "a three", max_pending=2)
    assert store.pending_suggestions()[1] == 3  # a two, b one, a three


def test_pending_lists_oldest_first_and_counts_them_all(store: Store) -> None:
    for n in range(4):
        store.add_suggestion("slack", "T1", "C1", f"U{n}", "A", f"t{n}", (), NOW - timedelta(n), 5)
    listed, total = store.pending_suggestions(limit=2)
    assert total == 4 and [s.text for s in listed] == ["t3", "t2"]


def test_approval_makes_one_community_tip_and_a_second_approval_changes_nothing(
    store: Store,
) -> None:
    sid = add(store)
    before = store.community_version()
    decision = store.approve_suggestion(sid, "UA", "Bo", NOW)
    assert decision.changed and decision.suggestion is not None
    assert decision.suggestion.status == APPROVED
    assert decision.suggestion.tip_id == community_tip_id(TEXT)
    [entry] = store.community_entries()
    assert (entry.tip_id, entry.text, entry.topics) == (community_tip_id(TEXT), TEXT, ("kubectl",))
    assert (entry.author_name, entry.approved_by_name, entry.approved_on) == (
        "Ana",
        "Bo",
        NOW.date(),
    )
    assert store.community_version() != before == (0, None)
    again = store.approve_suggestion(sid, "UC", "Cleo", NOW + timedelta(minutes=1))
    assert not again.changed and again.suggestion is not None
    assert again.suggestion.decided_by_name == "Bo"
    assert len(store.community_entries()) == 1
    rejected = store.reject_suggestion(sid, "UC", "Cleo", "late", NOW)
    assert not rejected.changed
    assert not store.edit_suggestion(sid, "changed", ())


def test_a_missing_suggestion_is_reported_as_none(store: Store) -> None:
    assert store.approve_suggestion(404, "UA", "Bo", NOW).suggestion is None
    assert store.reject_suggestion(404, "UA", "Bo", "", NOW).suggestion is None


def test_a_rejection_keeps_its_reason_and_makes_no_tip(store: Store) -> None:
    sid = add(store)
    decision = store.reject_suggestion(sid, "UA", "Bo", "We have it", NOW)
    assert decision.changed and decision.suggestion is not None
    assert (decision.suggestion.status, decision.suggestion.reason) == (REJECTED, "We have it")
    assert store.community_entries() == [] and store.community_version() == (0, None)


def test_edit_changes_a_pending_suggestions_text_and_topics(store: Store) -> None:
    sid = add(store)
    assert store.edit_suggestion(sid, "New text here for the tip", ("pods", "kubectl"))
    s = store.suggestion(sid)
    assert s is not None and (s.text, s.topics) == (
        "New text here for the tip",
        ("pods", "kubectl"),
    )


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with two_replicas(request.param, tmp_path) as stores:
        yield stores


@pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_replicas_deciding_at_once_change_the_suggestion_once(
    replicas: tuple[Store, Store],
) -> None:
    first, second = replicas
    sids: list[int] = []
    for round_ in range(5):  # several rounds: the race must hold every time, not once
        sid = add(first, f"{TEXT} Round {round_}.")
        sids.append(sid)
        results = at_once(
            [
                partial(first.approve_suggestion, sid, "UA", "Bo", NOW),
                partial(second.approve_suggestion, sid, "UB", "Cleo", NOW),
                partial(second.reject_suggestion, sid, "UC", "Di", "no", NOW),
            ]
        )
        assert sum(r.changed for r in results) == 1, round_
        final = first.suggestion(sid)
        assert final is not None and final.status in (APPROVED, REJECTED)
        for r in results:
            assert r.suggestion is not None and r.suggestion.status == final.status
            assert r.suggestion.decided_by_name == final.decided_by_name
    decided = [first.suggestion(sid) for sid in sids]
    approved = sum(1 for d in decided if d is not None and d.status == APPROVED)
    assert len(first.community_entries()) == approved


@pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_one_member_suggesting_eight_times_at_once_on_two_replicas_queues_five(
    replicas: tuple[Store, Store],
) -> None:
    first, second = replicas

    def suggest(store: Store, n: int) -> bool:
        try:
            store.add_suggestion("slack", "T1", "C1", "U1", "Ana", f"tip {n}", (), NOW, 5)
        except TooManyPending:
            return False
        return True

    results = at_once([partial(suggest, first if n % 2 else second, n) for n in range(8)])
    assert sum(results) == 5
    assert first.pending_suggestions()[1] == 5
