"""Requests for tips (bot/runtime/request_commands.py): `request`, the `Request tips on this`
button under every "nothing found" answer, `requests` for admins, the unanswered-question
metric, and `forget me` taking requests too. Through `Router.handle`, as every platform calls
it."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord.render import render as discord_render
from bot.adapters.slack.render import render as slack_render
from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.invocation import Invocation
from bot.core.replies import Reply, ReplyKind
from bot.core.requests import BUTTON_COMMAND_LIMIT, QUERY_LIMIT, REQUEST_BUTTON_LABEL
from bot.runtime.metrics import LateMetrics, Metrics
from bot.runtime.router import Router
from bot.runtime.store import Store
from bot.runtime.store.schema import tip_requests
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MONTH_AGO = NOW - timedelta(days=30)
OUT_OF_CORPUS = "ansible playbook loops"  # no bundled tip answers it


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def router(engine: Engine, store: Store, metrics: Metrics, clock: FakeClock) -> Router:
    config = config_from_mapping(
        {"timezone": "Europe/Amsterdam", "rate_limit": {"commands_per_minute": 1000}}
    )
    return Router(engine, store, config, clock, random.Random(7), observer=metrics)


def inv(
    text: str, admin: bool = False, user: str = "U1", platform: str = "slack", ws: str = "T1"
) -> Invocation:
    return Invocation(platform, ws, "C1", user, text, admin, "Ada")


def unanswered_count(metrics: Metrics, platform: str = "slack") -> float:
    value = metrics.registry.get_sample_value(
        "k8stip_unanswered_queries_total", {"platform": platform}
    )
    return value or 0.0


def rows(store: Store) -> list[tuple[str, str, str, str]]:
    r = tip_requests.c
    with store.engine.connect() as conn:
        found = conn.execute(select(r.kind, r.member, r.query, r.key).order_by(r.id)).all()
    return [(k, m, q, key) for k, m, q, key in found]


def request_button(reply: Reply) -> str:
    [button] = [a for a in reply.actions if a.kind == "request"]
    assert button.label == REQUEST_BUTTON_LABEL
    return button.command


# -- questions nothing answered -----------------------------------------------------------


async def test_a_question_nothing_answers_is_noted_counted_and_offers_the_request_button(
    router: Router, store: Store, metrics: Metrics
) -> None:
    reply = await router.handle(inv(OUT_OF_CORPUS))
    assert reply.kind is ReplyKind.INFO and reply.text.startswith("No tip answers")
    assert request_button(reply) == f"request {OUT_OF_CORPUS}"
    assert rows(store) == [("unanswered", "U1", OUT_OF_CORPUS, OUT_OF_CORPUS)]
    assert unanswered_count(metrics) == 1


async def test_a_search_nothing_answers_is_noted_the_same_way(
    router: Router, store: Store, metrics: Metrics
) -> None:
    reply = await router.handle(inv("search Terraform  Modules"))
    assert reply.text.startswith("No tip answers")
    assert request_button(reply) == "request Terraform Modules"
    assert rows(store) == [("unanswered", "U1", "Terraform Modules", "terraform modules")]
    assert unanswered_count(metrics) == 1


async def test_the_metric_counts_each_unanswered_question_once_and_nothing_else(
    router: Router, metrics: Metrics
) -> None:
    await router.handle(inv(OUT_OF_CORPUS))
    await router.handle(inv("search cobol mainframe", platform="discord"))
    await router.handle(inv("helm chart"))  # answered
    await router.handle(inv("search secrets"))  # answered
    await router.handle(inv("request gitops"))  # a request, not a failed search
    assert unanswered_count(metrics, "slack") == 1
    assert unanswered_count(metrics, "discord") == 1
    # No query text anywhere in the exposition.
    text = metrics.render().decode()
    assert "ansible" not in text and "cobol" not in text


async def test_the_metric_counts_through_late_metrics_before_the_registry_exists(
    engine: Engine, store: Store, clock: FakeClock
) -> None:
    late = LateMetrics()
    config = config_from_mapping({"rate_limit": {"commands_per_minute": 1000}})
    router = Router(engine, store, config, clock, random.Random(1), observer=late)
    await router.handle(inv(OUT_OF_CORPUS))
    metrics = Metrics(CollectorRegistry())
    late.attach(metrics)
    assert unanswered_count(metrics) == 1
    await router.handle(inv("search cobol mainframe"))
    assert unanswered_count(metrics) == 2


async def test_a_mistyped_command_is_not_a_request(
    router: Router, store: Store, metrics: Metrics
) -> None:
    reply = await router.handle(inv("subscrib zqxv"))
    assert any("Did you mean the command" in line for line in reply.lines)
    assert not [a for a in reply.actions if a.kind == "request"]
    assert rows(store) == [] and unanswered_count(metrics) == 0


@pytest.mark.parametrize("query", ["🔥🔥🔥", "?!…", "search 🙈🙉"])
async def test_emoji_or_punctuation_alone_is_not_noted(
    router: Router, store: Store, metrics: Metrics, query: str
) -> None:
    reply = await router.handle(inv(query))
    assert not [a for a in reply.actions if a.kind == "request"]
    assert rows(store) == [] and unanswered_count(metrics) == 0


async def test_a_ten_thousand_character_question_is_kept_bounded_and_its_button_fits(
    router: Router, store: Store
) -> None:
    reply = await router.handle(inv("zqxv " * 2000))
    command = request_button(reply)
    assert len(command) <= BUTTON_COMMAND_LIMIT and command.startswith("request zqxv zqxv")
    assert not command.endswith(" ")
    [(_, _, query, key)] = rows(store)
    assert len(query) <= QUERY_LIMIT and len(key) <= 200


async def test_one_enormous_word_is_cut_inside_it_for_the_button(
    router: Router, store: Store
) -> None:
    reply = await router.handle(inv("x" * 10_000))
    command = request_button(reply)
    assert command == "request " + "x" * (BUTTON_COMMAND_LIMIT - len("request "))


async def test_pressing_the_button_records_the_request_for_the_presser(
    router: Router, store: Store
) -> None:
    answer = await router.handle(inv("@everyone <@123456789012345678> <marquee>zqxv</marquee>"))
    command = request_button(answer)
    done = await router.handle(inv(command, user="U2"))
    assert done.kind is ReplyKind.INFO and done.text.startswith("Noted: you'd like tips on")
    kinds = [(k, m) for k, m, _, _ in rows(store)]
    assert kinds == [("unanswered", "U1"), ("request", "U2")]
    # Shown inert: Slack gets no broadcast and no markup from it.
    rendered = json.dumps(slack_render(done))
    for live in ("<@123456789012345678>", "<marquee>", "@everyone"):
        assert live not in rendered, live  # escaped, or broken with a zero-width joiner
    assert "&lt;marquee&gt;" in rendered
    # Discord: mentions escaped in the text (and the adapter sends with no mentions allowed).
    content = discord_render(done).content or ""
    assert "@everyone" not in content and "<@123456789012345678>" not in content
    assert "@\u200beveryone" in content and "<@\u200b123456789012345678>" in content


async def test_slack_and_discord_render_the_request_button(router: Router) -> None:
    reply = await router.handle(inv(OUT_OF_CORPUS))
    blocks = slack_render(reply)["blocks"]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        (REQUEST_BUTTON_LABEL, f"request {OUT_OF_CORPUS}")
    ]
    view = discord_render(reply).view
    assert view is not None
    assert [(c.label, c.custom_id) for c in view.children] == [  # type: ignore[attr-defined]
        (REQUEST_BUTTON_LABEL, f"k8stip:request {OUT_OF_CORPUS}")
    ]


# -- request ------------------------------------------------------------------------------


async def test_request_records_the_words_and_points_at_the_nearest_topic(
    router: Router, store: Store
) -> None:
    reply = await router.handle(inv("request Helm chart upgrades"))
    assert reply.text == "Noted: you'd like tips on “Helm chart upgrades”."
    assert "Meanwhile, the nearest topic: /k8stip helm" in reply.lines
    assert rows(store) == [("request", "U1", "Helm chart upgrades", "helm chart upgrades")]


@pytest.mark.parametrize("words", ["", "🔥🔥", "!!! ???"])
async def test_request_without_words_says_what_to_type(
    router: Router, store: Store, words: str
) -> None:
    reply = await router.handle(inv(f"request {words}"))
    assert reply.kind is ReplyKind.ERROR
    assert reply.lines == ("Example: /k8stip request helm chart upgrades",)
    assert rows(store) == []


async def test_request_hints_use_discord_syntax_on_discord(router: Router) -> None:
    reply = await router.handle(inv("request", platform="discord"))
    assert reply.lines == ("Example: /k8stip request words:helm chart upgrades",)


# -- requests (admins) --------------------------------------------------------------------


async def test_requests_is_refused_to_members_with_the_reason(router: Router) -> None:
    reply = await router.handle(inv("requests"))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text.startswith("Only workspace admins can see what members asked for")


async def test_requests_lists_requests_and_unanswered_questions_members_counted_once(
    router: Router, store: Store
) -> None:
    for user in ("U1", "U2", "U3"):
        await router.handle(inv("request helm chart upgrades", user=user))
    await router.handle(inv("request Helm  Chart upgrades", user="U1"))  # U1 again: once
    await router.handle(inv("request cobol mainframe", user="U4"))
    await router.handle(inv(OUT_OF_CORPUS, user="U1"))
    await router.handle(inv(OUT_OF_CORPUS, user="U2"))
    await router.handle(inv("request elsewhere", ws="T2"))  # another workspace
    reply = await router.handle(inv("requests", admin=True))
    assert reply.text == "What members asked for in the last 30 days (this workspace):"
    assert reply.lines == (
        "Requested (2):",
        "1. “Helm Chart upgrades” — 3 members — nearest topic: Helm",
        "2. “cobol mainframe” — 1 member — nearest topic: —",
        "Asked, nothing found (1):",
        f"1. “{OUT_OF_CORPUS}” — 2 members — nearest topic: —",
        "Each member counts once per request. Nearest topic: what tip files could extend.",
    )


async def test_requests_older_than_thirty_days_drop_out(
    router: Router, store: Store, clock: FakeClock
) -> None:
    await router.handle(inv("request gitops"))
    clock.advance(timedelta(days=31).total_seconds())
    reply = await router.handle(inv("requests", admin=True))
    assert reply.text == "No requests and no unanswered questions in the last 30 days."
    assert reply.lines == ("Members ask for tips with /k8stip request <words>.",)


async def test_requests_takes_how_many_to_list(router: Router) -> None:
    for n in range(4):
        await router.handle(inv(f"request topic{n}"))
    reply = await router.handle(inv("requests 2", admin=True))
    assert reply.lines[0] == "Requested (2):" and len(reply.lines) == 5
    for bad in ("requests 0", "requests 26", "requests lots", "requests 2 3"):
        refused = await router.handle(inv(bad, admin=True))
        assert refused.kind is ReplyKind.ERROR, bad
        assert refused.text == "Say how many of each to list, 1 to 25.", bad


# -- forget me ----------------------------------------------------------------------------


async def test_forget_me_deletes_the_members_requests_too(router: Router, store: Store) -> None:
    await router.handle(inv("request gitops"))
    await router.handle(inv(OUT_OF_CORPUS))
    await router.handle(inv("request gitops", user="U2"))
    reply = await router.handle(inv("forget me"))
    assert reply.lines == ("Also deleted 2 requests for tips and unanswered questions of yours.",)
    assert [m for _, m, _, _ in rows(store)] == ["U2"]
    again = await router.handle(inv("forget me"))
    assert again.lines == ()
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tip_requests)).scalar() == 1


# -- the console --------------------------------------------------------------------------


async def test_at_the_console_the_button_is_a_command_to_type(router: Router, store: Store) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(router.handle, out=out, interactive=True, user="ada")
    await console.answer(f"/k8stip {OUT_OF_CORPUS}")
    assert f"[{REQUEST_BUTTON_LABEL}: /k8stip request {OUT_OF_CORPUS}]" in out.getvalue()
    await console.answer(f"/k8stip request {OUT_OF_CORPUS}")
    listed = await console.answer("/k8stip requests")
    assert listed is not None
    assert f"1. “{OUT_OF_CORPUS}” — 1 member — nearest topic: —" in out.getvalue()
    assert [k for k, _, _, _ in rows(store)] == ["unanswered", "request"]
