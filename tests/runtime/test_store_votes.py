"""The store's votes and restorations (bot/runtime/store/votes.py), and forgetting a member.

Every `store` test runs on SQLite and on the real PostgreSQL; the race tests open two `Store`s
on one database, as two replicas would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.core.learning_model import Restoration, Vote, VoteKind
from bot.runtime.store import ForgetCounts, Store
from tests.fakes.replicas import at_once, two_replicas

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CH = ("slack", "T1", "C1")
USEFUL, NOT_USEFUL, KNEW_IT = VoteKind.USEFUL, VoteKind.NOT_USEFUL, VoteKind.KNEW_IT


def vote(
    store: Store,
    member: str,
    kind: VoteKind,
    tip: str = "tip-1",
    at: datetime = NOW,
    admin: bool = False,
    channel: tuple[str, str, str] = CH,
) -> VoteKind | None:
    return store.record_vote(*channel, tip, member, kind, admin, at)


def test_a_first_vote_replaced_nothing_and_is_listed_for_the_channel(store: Store) -> None:
    assert vote(store, "U1", USEFUL) is None
    assert store.channel_votes(*CH) == [Vote("tip-1", "U1", USEFUL, False, NOW)]


def test_pressing_another_button_replaces_the_vote_and_says_what_it_replaced(store: Store) -> None:
    vote(store, "U1", USEFUL)
    later = NOW + timedelta(minutes=1)
    assert vote(store, "U1", NOT_USEFUL, at=later, admin=True) is USEFUL
    assert store.channel_votes(*CH) == [Vote("tip-1", "U1", NOT_USEFUL, True, later)]
    assert vote(store, "U1", KNEW_IT, at=later) is NOT_USEFUL


def test_pressing_the_same_button_again_keeps_the_votes_time(store: Store) -> None:
    """A repeat is not a new vote: a useful tip's review schedule counts from the first press;
    another kind is a new vote, from its press."""
    vote(store, "U1", USEFUL, admin=False)
    assert vote(store, "U1", USEFUL, at=NOW + timedelta(days=5)) is USEFUL
    assert store.channel_votes(*CH) == [Vote("tip-1", "U1", USEFUL, False, NOW)]
    vote(store, "U1", KNEW_IT, at=NOW + timedelta(days=6))
    assert store.channel_votes(*CH)[0].at == NOW + timedelta(days=6)


def test_the_same_button_twice_counts_once(store: Store) -> None:
    assert vote(store, "U1", USEFUL) is None
    assert vote(store, "U1", USEFUL) is USEFUL
    assert [v.kind for v in store.channel_votes(*CH)] == [USEFUL]
    assert store.vote_counts_by_kind()[USEFUL] == 1


def test_the_channels_with_a_kind_of_vote_are_listed_once_each(store: Store) -> None:
    vote(store, "U1", NOT_USEFUL)
    vote(store, "U2", NOT_USEFUL)
    vote(store, "U1", USEFUL, channel=("slack", "T1", "C2"))
    vote(store, "U1", NOT_USEFUL, channel=("discord", "G1", "C9"))
    assert store.channels_with_votes(NOT_USEFUL) == [("discord", "G1", "C9"), CH]
    assert store.channels_with_votes(KNEW_IT) == []


def test_a_tip_id_longer_than_its_column_is_refused_alike_on_both_databases(
    store: Store,
) -> None:
    with pytest.raises(ValueError, match=r"votes\.tip_id is 129 characters; at most 128"):
        vote(store, "U1", USEFUL, tip="t" * 129)
    with pytest.raises(ValueError, match=r"restorations\.tip_id is 129 characters"):
        store.restore_tip(*CH, "t" * 129, "A1", NOW)
    assert store.channel_votes(*CH) == []
    assert vote(store, "U1", USEFUL, tip="t" * 128) is None


def test_votes_are_per_member_per_tip_per_channel(store: Store) -> None:
    vote(store, "U1", USEFUL)
    vote(store, "U2", NOT_USEFUL, at=NOW + timedelta(seconds=1))
    vote(store, "U1", KNEW_IT, tip="tip-2", at=NOW + timedelta(seconds=2))
    other = ("slack", "T1", "C2")
    assert vote(store, "U1", NOT_USEFUL, channel=other) is None  # C1's vote is not replaced
    assert vote(store, "U1", USEFUL, channel=("discord", "T1", "C1")) is None
    assert [(v.member, v.tip_id, v.kind) for v in store.channel_votes(*CH)] == [
        ("U1", "tip-1", USEFUL),
        ("U2", "tip-1", NOT_USEFUL),
        ("U1", "tip-2", KNEW_IT),
    ]
    assert [v.kind for v in store.channel_votes(*other)] == [NOT_USEFUL]
    assert store.channel_votes("slack", "T9", "C1") == []


def test_a_tips_votes_everywhere_are_grouped_by_channel(store: Store) -> None:
    vote(store, "U1", USEFUL)
    vote(store, "U2", NOT_USEFUL, channel=("discord", "G1", "D1"))
    vote(store, "U3", USEFUL, tip="tip-2")
    found = store.tip_votes_everywhere("tip-1")
    assert found == {
        CH: [Vote("tip-1", "U1", USEFUL, False, NOW)],
        ("discord", "G1", "D1"): [Vote("tip-1", "U2", NOT_USEFUL, False, NOW)],
    }
    assert store.tip_votes_everywhere("tip-9") == {}


def test_vote_counts_by_kind_count_current_votes_and_name_every_kind(store: Store) -> None:
    assert store.vote_counts_by_kind() == {USEFUL: 0, NOT_USEFUL: 0, KNEW_IT: 0}
    vote(store, "U1", USEFUL)
    vote(store, "U2", USEFUL)
    vote(store, "U2", NOT_USEFUL)  # replaces U2's useful
    vote(store, "U3", KNEW_IT, tip="tip-2")
    assert store.vote_counts_by_kind() == {USEFUL: 1, NOT_USEFUL: 1, KNEW_IT: 1}
    assert store.member_vote_count("slack", "U2") == 1
    assert store.member_vote_count("discord", "U2") == 0


def test_restoring_keeps_the_latest_restore_per_tip_and_channel(store: Store) -> None:
    assert store.channel_restorations(*CH) == []
    store.restore_tip(*CH, "tip-1", "A1", NOW)
    store.restore_tip(*CH, "tip-2", "A1", NOW + timedelta(hours=1))
    store.restore_tip(*CH, "tip-1", "A2", NOW + timedelta(hours=2))
    store.restore_tip("slack", "T1", "C2", "tip-1", "A3", NOW)
    assert store.channel_restorations(*CH) == [
        Restoration("tip-2", "A1", NOW + timedelta(hours=1)),
        Restoration("tip-1", "A2", NOW + timedelta(hours=2)),
    ]


def test_forgetting_a_member_deletes_their_votes_and_answers_on_that_platform_only(
    store: Store,
) -> None:
    vote(store, "U1", USEFUL)
    vote(store, "U1", NOT_USEFUL, tip="tip-2", channel=("slack", "T2", "C9"))
    vote(store, "U1", USEFUL, channel=("discord", "G1", "D1"))  # a different person
    vote(store, "U2", USEFUL)
    posting = store.record_quiz_posting(*CH, "q1", "tip-1", "secret", date(2026, 12, 1), NOW)
    store.record_quiz_answer(posting, "U1", "secret", True, NOW)
    store.record_quiz_answer(posting, "U2", "configmap", False, NOW)
    assert store.quiz_tally(posting) == (2, 1)

    assert store.forget_member("slack", "U1") == ForgetCounts(votes=2, answers=1)

    assert [v.member for v in store.channel_votes(*CH)] == ["U2"]
    assert store.channel_votes("slack", "T2", "C9") == []
    assert [v.member for v in store.channel_votes("discord", "G1", "D1")] == ["U1"]
    assert store.quiz_tally(posting) == (1, 0)  # the tally dropped U1's right answer
    assert store.member_quiz_answers("slack", "U1") == []
    assert store.vote_counts_by_kind()[NOT_USEFUL] == 0
    assert store.forget_member("slack", "U1") == ForgetCounts(votes=0, answers=0)


# -- two replicas at once -------------------------------------------------------------------


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with two_replicas(request.param, tmp_path) as stores:
        yield stores


BOTH_REPLICAS = pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@BOTH_REPLICAS
def test_one_member_voting_on_two_replicas_at_once_ends_with_one_row(
    replicas: tuple[Store, Store],
) -> None:
    """Each round, the member's presses on two replicas race: one of them finds no vote, the
    other finds the first's (never both None, never a lost row)."""
    a, b = replicas
    for i in range(20):
        tip = f"tip-{i}"
        got = at_once(
            [
                partial(a.record_vote, *CH, tip, "U1", USEFUL, False, NOW),
                partial(b.record_vote, *CH, tip, "U1", NOT_USEFUL, False, NOW),
            ]
        )
        assert sorted(map(str, got)) in (["None", "useful"], ["None", "not_useful"])
        final = [v for v in a.channel_votes(*CH) if v.tip_id == tip]
        assert len(final) == 1
        # The later press wins, and it replaced the earlier one's kind.
        loser = got.index(None)
        assert final[0].kind == (NOT_USEFUL if loser == 0 else USEFUL)


@BOTH_REPLICAS
def test_many_members_voting_on_two_replicas_lose_no_vote(replicas: tuple[Store, Store]) -> None:
    a, b = replicas

    def press(store: Store, members: range) -> int:
        for m in members:
            store.record_vote(*CH, "tip-1", f"U{m}", USEFUL, False, NOW)
            store.record_vote(*CH, "tip-1", f"U{m}", USEFUL, False, NOW)  # double press
        return len(members)

    assert at_once([partial(press, a, range(0, 60)), partial(press, b, range(30, 90))]) == [60, 60]
    assert len(b.channel_votes(*CH)) == 90
    assert a.vote_counts_by_kind()[USEFUL] == 90
