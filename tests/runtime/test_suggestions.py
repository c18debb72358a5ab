"""Suggested tips through the router, on SQLite and PostgreSQL: members suggest, admins
review, approved tips join the Community source on every replica
(bot/runtime/suggestion_commands.py, bot/runtime/community.py, bot/runtime/notifier.py)."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.config import Config, DeliveryConfig, config_from_mapping
from bot.core.community import COMMUNITY_SOURCE
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.core.suggestions import MAX_PENDING
from bot.ports import PermanentError
from bot.runtime.community import CommunityEngine
from bot.runtime.delivery import Deliverer
from bot.runtime.notifier import AdapterNotifier
from bot.runtime.router import Router
from bot.runtime.store import SENT, Store, SubscriptionSpec
from bot.runtime.store.suggestions import APPROVED, PENDING, REJECTED
from tests.fakes.clock import FakeClock
from tests.fakes.recording import RecordingAdapter
from tests.fakes.replicas import two_replicas

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAILY = (1, 2, 3, 4, 5, 6, 7)
REVIEW_CHANNEL = "C0REVIEW01"
CONFIG = config_from_mapping(
    {
        "rate_limit": {"commands_per_minute": 10_000},
        "slack": {"review_channel": REVIEW_CHANNEL},
    }
)
TIP = (
    "Run kubectl rollout undo deployment/web to roll a Deployment back to its previous "
    "revision in seconds."
)
OTHER = "Give every namespace a LimitRange so a Pod without requests still gets sane defaults."


@dataclass
class Replica:
    router: Router
    engine: CommunityEngine
    slack: RecordingAdapter
    clock: FakeClock


def replica(base: Engine, store: Store, config: Config = CONFIG) -> Replica:
    clock = FakeClock(NOW)
    slack = RecordingAdapter("slack")
    live = CommunityEngine(base, store, clock)
    notifier = AdapterNotifier({"slack": slack})
    router = Router(live, store, config, clock, random.Random(3), notifier=notifier)
    return Replica(router, live, slack, clock)


@pytest.fixture
def one(engine: Engine, store: Store) -> Replica:
    return replica(engine, store)


@pytest.fixture
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with two_replicas(request.param, tmp_path) as stores:
        yield stores


BOTH = pytest.mark.parametrize(
    "replicas", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def inv(
    text: str,
    admin: bool = False,
    user: str = "U1",
    name: str = "Ana",
    fields: tuple[tuple[str, str], ...] = (),
    platform: str = "slack",
) -> Invocation:
    return Invocation(platform, "T1", "C1", user, text, admin, name, fields=fields)


async def suggest(r: Replica, text: str = TIP, user: str = "U1", name: str = "Ana") -> int:
    reply = await r.router.handle(inv(f"suggest {text}", user=user, name=name))
    assert reply.kind is ReplyKind.INFO, (reply.text, reply.lines)
    pending, _ = r.router.ctx.store.pending_suggestions()
    return max(s.id for s in pending)


async def admin(r: Replica, text: str, user: str = "UADMIN", name: str = "Bo") -> Reply:
    return await r.router.handle(inv(text, admin=True, user=user, name=name))


# -- suggesting ---------------------------------------------------------------------------


async def test_a_suggestion_is_queued_and_the_member_is_told_privately_what_happens_next(
    one: Replica, store: Store
) -> None:
    reply = await one.router.handle(inv(f"suggest {TIP} | deployments kubectl"))
    assert reply.kind is ReplyKind.INFO
    assert "Thanks, Ana" in reply.text and "waits for an admin's review" in reply.text
    assert any("direct message" in line for line in reply.lines)
    assert "Topics: deployments, kubectl" in reply.lines
    pending, total = store.pending_suggestions()
    assert total == 1
    s = pending[0]
    assert (s.text, s.topics, s.member, s.member_name, s.status) == (
        TIP,
        ("deployments", "kubectl"),
        "U1",
        "Ana",
        PENDING,
    )


async def test_each_new_suggestion_posts_a_notice_with_review_buttons_to_the_review_channel(
    one: Replica,
) -> None:
    sid = await suggest(one)
    [notice] = one.slack.posts
    assert notice.target.channel == REVIEW_CHANNEL and notice.target.workspace == "T1"
    assert notice.delivery_id.startswith("notice-")
    assert f"#{sid}" in notice.reply.text and "Ana" in notice.reply.text
    assert [a.command for a in notice.reply.actions] == [
        f"review approve {sid}",
        f"review edit {sid}",
        f"review reject {sid}",
    ]
    assert all(a.kind == "review" and len(a.command) <= 100 for a in notice.reply.actions)


async def test_without_a_review_channel_no_notice_is_posted(engine: Engine, store: Store) -> None:
    quiet = replica(engine, store, config_from_mapping({}))
    await suggest(quiet)
    assert quiet.slack.posts == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Write the tip"),
        ("🚀🔥🎉 ✨✨", "at least 4 words"),
        ("kubectl", "at least 4 words"),
        ("See https://exa mple for the rollout docs", "Fix the link"),
        ("See https://localhost/docs for the rollout docs of kubectl", "Fix the link"),
        (" ".join(["rollout"] * 1500), "too long"),
        (f"{TIP} | deploymnts", "Did you mean: deployments"),
        (f"{TIP} | zebra", "Unknown topic “zebra”"),
    ],
)
async def test_a_suggestion_that_would_not_validate_is_refused_with_what_to_fix(
    one: Replica, store: Store, text: str, says: str
) -> None:
    reply = await one.router.handle(inv(f"suggest {text}"))
    assert reply.kind is ReplyKind.ERROR
    assert says in reply.text, reply.text
    assert any(line.startswith("Example: /k8stip suggest") for line in reply.lines)
    assert store.pending_suggestions() == ([], 0)
    assert one.slack.posts == []


async def test_a_suggestion_repeating_a_tip_is_refused_with_that_tip_shown(
    one: Replica, engine: Engine, store: Store
) -> None:
    existing = engine.corpus.tips[5]
    shouted = existing.text.upper().replace(".", "!")  # case and punctuation aside
    reply = await one.router.handle(inv(f"suggest {shouted}"))
    assert reply.kind is ReplyKind.ERROR and "already in k8stip" in reply.text
    assert [c.tip_id for c in reply.cards] == [existing.id]
    assert store.pending_suggestions() == ([], 0)


async def test_the_same_suggestion_twice_waits_once(one: Replica, store: Store) -> None:
    first = await suggest(one)
    reply = await one.router.handle(inv(f"suggest {TIP.lower()}", user="U2", name="Cy"))
    assert f"#{first}" in reply.text and "suggested already" in reply.text
    assert store.pending_suggestions()[1] == 1


async def test_a_member_may_have_five_suggestions_pending_and_more_once_one_is_reviewed(
    one: Replica, store: Store
) -> None:
    ids = [await suggest(one, f"{OTHER} Variant number {n} of this tip.") for n in range(5)]
    assert len(ids) == MAX_PENDING
    sixth = await one.router.handle(inv(f"suggest {TIP}"))
    assert sixth.kind is ReplyKind.ERROR and "5 suggested tips waiting" in sixth.text
    # Another member is not held back by Ana's queue.
    assert (await one.router.handle(inv(f"suggest {TIP}", user="U2"))).kind is ReplyKind.INFO
    await admin(one, f"review reject {ids[0]}")
    again = await one.router.handle(inv(f"suggest {TIP} Also in staging."))
    assert again.kind is ReplyKind.INFO, again.text


async def test_a_mention_in_a_suggestion_is_kept_as_text_for_the_adapters_to_neutralise(
    one: Replica, store: Store
) -> None:
    text = "@everyone <script>alert(1)</script> use kubectl drain before node upgrades"
    await suggest(one, text)
    [s] = store.pending_suggestions()[0]
    assert s.text == text  # raw here: every adapter escapes mentions and markup it renders
    assert one.slack.posts[0].reply.mention == ""  # a notice pings nobody


# -- reviewing ----------------------------------------------------------------------------


async def test_review_is_for_admins_only(one: Replica) -> None:
    await suggest(one)
    reply = await one.router.handle(inv("review"))
    assert reply.kind is ReplyKind.ERROR and "Only" in reply.text


async def test_review_lists_the_oldest_pending_privately_with_three_buttons_each(
    one: Replica,
) -> None:
    assert "No suggested tips" in (await admin(one, "review")).text
    ids = []
    for n in range(7):
        ids.append(await suggest(one, f"{OTHER} Variant number {n} of this tip.", user=f"U{n}"))
        one.clock.advance(60)
    reply = await admin(one, "review")
    assert reply.text == "7 suggested tips wait for review:"
    assert reply.lines[0].startswith(f"#{ids[0]} by Ana: Give every namespace")
    assert reply.lines[-1] == "And 2 more: decide these to see them."
    assert len(reply.actions) == 15
    assert {a.command.split()[1] for a in reply.actions} == {"approve", "edit", "reject"}


async def test_an_approved_tip_is_in_the_community_source_and_its_author_is_told(
    one: Replica, store: Store
) -> None:
    sid = await suggest(one, f"{TIP} | deployments")
    one.slack.posts.clear()
    reply = await admin(one, f"review approve {sid}")
    assert reply.text.startswith(f"Approved #{sid}: it is tip community-")
    assert "Ana was told by direct message." in reply.lines
    [dm] = one.slack.posts
    assert dm.target.is_direct and dm.target.direct_to == "U1"
    assert "approved by Bo" in dm.reply.text
    s = store.suggestion(sid)
    assert s is not None and s.status == APPROVED and s.decided_by_name == "Bo"
    tip = one.engine.corpus.by_id[s.tip_id]
    assert (tip.source, tip.topics) == (COMMUNITY_SOURCE.id, ("deployments",))
    card = one.engine.card(tip)
    assert card.attribution == "Community · suggested by Ana, approved by Bo on 2026-12-01"


@BOTH
async def test_approved_on_one_replica_it_is_searchable_and_in_rotation_on_another(
    engine: Engine, replicas: tuple[Store, Store]
) -> None:
    first, second = replicas
    a, b = replica(engine, first), replica(engine, second)
    await b.router.handle(inv("search rollout undo"))  # b has read the store already
    sid = await suggest(a, f"{TIP} | deployments")
    await admin(a, f"review approve {sid}")
    b.clock.advance(5)  # past the check interval: a command asks the store again
    found = await b.router.handle(inv("search kubectl rollout undo previous revision"))
    assert found.kind is ReplyKind.SEARCH
    assert found.cards[0].source == "Community" and found.cards[0].text == TIP
    # Drawn from rotation: every file tip was shown here already, so the next is it.
    for tip in engine.corpus.tips:
        second.record_shown("slack", "T1", "C9", tip.id, "request", NOW)
    drawn = await b.router.handle(Invocation("slack", "T1", "C9", "U5", "", False, "Di"))
    assert drawn.kind is ReplyKind.TIP and drawn.cards[0].text == TIP


@BOTH
async def test_two_replicas_approving_at_once_one_wins_and_the_other_is_told_who(
    engine: Engine, replicas: tuple[Store, Store]
) -> None:
    first, second = replicas
    a, b = replica(engine, first), replica(engine, second)
    sid = await suggest(a)
    replies = await asyncio.gather(
        admin(a, f"review approve {sid}", user="UA", name="Bo"),
        admin(b, f"review approve {sid}", user="UB", name="Cleo"),
    )
    winners = [r for r in replies if r.text.startswith("Approved")]
    losers = [r for r in replies if "already approved by" in r.text]
    assert len(winners) == 1 and len(losers) == 1, [r.text for r in replies]
    decided = first.suggestion(sid)
    assert decided is not None
    assert f"already approved by {decided.decided_by_name} on 2026-12-01" in losers[0].text
    assert len(first.community_entries()) == 1
    dms = [p for p in (*a.slack.posts, *b.slack.posts) if p.target.is_direct]
    assert len(dms) == 1  # the author hears once


async def test_a_rejected_suggestion_tells_its_author_the_reason_and_stays_out(
    one: Replica, store: Store
) -> None:
    sid = await suggest(one)
    one.slack.posts.clear()
    reply = await admin(one, f"review reject #{sid} Already covered by our runbook")
    assert reply.text == f"Rejected #{sid}."
    [dm] = one.slack.posts
    assert dm.target.direct_to == "U1"
    assert "not approved. Reason: Already covered by our runbook" in dm.reply.text
    s = store.suggestion(sid)
    assert s is not None and s.status == REJECTED
    assert store.community_entries() == []
    again = await admin(one, f"review approve {sid}")
    assert again.text == f"Suggestion #{sid} was already rejected by Bo on 2026-12-01."


async def test_edit_opens_a_form_and_its_submission_saves_text_and_topics(
    one: Replica, store: Store
) -> None:
    sid = await suggest(one, f"{TIP} | kubectl")
    reply = await admin(one, f"review edit {sid}")
    assert reply.form is not None
    assert reply.form.command == f"review save {sid}" and len(reply.form.title) < 24
    assert [(f.name, f.value) for f in reply.form.fields] == [
        ("text", TIP),
        ("topics", "kubectl"),
    ]
    edited = TIP.replace("in seconds", "within seconds")
    fields = (("text", edited), ("topics", "deployments, kubectl"))
    saved = await one.router.handle(inv(reply.form.command, admin=True, name="Bo", fields=fields))
    assert saved.text == f"Saved #{sid}." and len(saved.actions) == 3
    s = store.suggestion(sid)
    assert s is not None and (s.text, s.topics) == (edited, ("deployments", "kubectl"))


async def test_an_edit_is_checked_like_a_suggestion(one: Replica, store: Store) -> None:
    sid = await suggest(one)
    fields = (("text", "🚀"), ("topics", ""))
    reply = await one.router.handle(inv(f"review save {sid}", admin=True, fields=fields))
    assert reply.kind is ReplyKind.ERROR and "at least 4 words" in reply.text
    s = store.suggestion(sid)
    assert s is not None and s.text == TIP


async def test_review_with_a_wrong_number_or_action_says_how_to_type_it(one: Replica) -> None:
    assert "is not a suggestion number" in (await admin(one, "review approve twelve")).text
    assert "approve, edit or reject" in (await admin(one, "review ban 3")).text
    assert "no suggested tip #999" in (await admin(one, "review approve 999")).text


async def test_a_failing_notice_never_costs_the_member_their_answer(one: Replica) -> None:
    one.slack.script[REVIEW_CHANNEL].append(PermanentError("channel_not_found"))
    reply = await one.router.handle(inv(f"suggest {TIP}"))
    assert reply.kind is ReplyKind.INFO and "waits for an admin's review" in reply.text


async def test_an_author_on_a_platform_not_running_here_is_not_told_and_the_admin_knows(
    one: Replica,
) -> None:
    reply = await one.router.handle(inv(f"suggest {TIP}", platform="discord"))
    assert reply.kind is ReplyKind.INFO
    pending = one.router.ctx.store.pending_suggestions()[0]
    approved = await admin(one, f"review approve {pending[0].id}")
    assert "Ana could not be told." in approved.lines


async def test_on_the_console_a_suggestion_is_typed_reviewed_edited_and_approved(
    engine: Engine, store: Store
) -> None:
    """No modals on the console: the edit prints the command to type, and typing it saves."""
    out = io.StringIO()
    live = CommunityEngine(engine, store, FakeClock(NOW))
    notifier = AdapterNotifier()
    router = Router(live, store, CONFIG, FakeClock(NOW), random.Random(1), notifier=notifier)
    console = ConsoleAdapter(router.handle, out=out, interactive=False, user="ana")
    notifier.adapters["console"] = console
    await console.answer(f"/k8stip suggest {TIP} | kubectl")
    listed = await console.answer("/k8stip review")
    assert listed is not None and "1 suggested tip waits for review:" in out.getvalue()
    assert "[Approve #1: /k8stip review approve 1]" in out.getvalue()
    edit = await console.answer("/k8stip review edit 1")
    assert edit is not None and edit.form is not None
    assert "type /k8stip review save 1 <text> | <topics>" in out.getvalue()
    edited = TIP.replace("in seconds", "in a few seconds")
    saved = await console.answer(f"/k8stip review save 1 {edited} | deployments kubectl")
    assert saved is not None and saved.text == "Saved #1."
    approved = await console.answer("/k8stip review approve 1")
    assert approved is not None and "ana was told by direct message." in approved.lines
    assert "(direct message to ana) Your suggested tip was approved by ana" in out.getvalue()
    found = await console.answer("/k8stip search rollout undo previous revision")
    assert found is not None and found.cards[0].text == edited
    assert "— Community · suggested by ana, approved by ana on 2026-12-01" in out.getvalue()


async def test_a_delivery_pass_posts_a_tip_approved_since_its_last_pass(
    store: Store, tmp_path: Path
) -> None:
    """A channel whose topic only a community tip has gets it the next morning."""
    tips = tmp_path / "tips.yaml"
    tips.write_text(
        "source: {id: team, title: Team runbook}\ntips:\n"
        "  - {id: team-1, text: 'Every Pod gets its own IP address in the cluster.', "
        "topics: [pods]}\n",
        encoding="utf-8",
    )
    base = Engine.from_paths([tips], use_cache=False)
    clock = FakeClock(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # 08:00 in Amsterdam
    store.upsert_subscription(
        SubscriptionSpec("slack", "T1", "C7", "09:00", "Europe/Amsterdam", DAILY, ("rbac",)),
        "chat",
        "U1",
        clock.now(),
    )
    slack = RecordingAdapter("slack")
    live = CommunityEngine(base, store, clock)
    deliverer = Deliverer(store, live, {"slack": slack}, DeliveryConfig(), clock, random.Random(1))
    assert await deliverer.run_pass() == []  # not due yet; the community tips were read
    text = "Bind a Role, not a ClusterRole, when a service account needs one namespace only."
    s = store.add_suggestion("slack", "T1", "C1", "U1", "Ana", text, ("rbac",), clock.now(), 5)
    assert store.approve_suggestion(s.id, "UA", "Bo", clock.now()).changed
    clock.advance(3600 + 60)  # 09:01 in Amsterdam
    [result] = await deliverer.run_pass()
    assert result.status == SENT
    [post] = slack.posts
    card = post.reply.cards[0]
    assert card.text == text
    assert card.attribution == "Community · suggested by Ana, approved by Bo on 2026-12-01"
