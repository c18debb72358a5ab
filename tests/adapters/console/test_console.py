"""The console adapter (bot/adapters/console.py) and `k8stip deliver` with console subscriptions."""

from __future__ import annotations

import asyncio
import io
import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter, render_text
from bot.cli import main
from bot.config import config_from_mapping
from bot.core.engine import Engine
from bot.core.replies import Action, QuizCard, Reply, ReplyKind, TipCard, Visibility
from bot.core.wording import daily_reply
from bot.deliver_output import waiting_notes
from bot.ports import Target
from bot.runtime.router import Router
from bot.runtime.store import PlannedDelivery, Store, SubscriptionSpec
from tests.core_support import ROOT
from tests.fakes.clock import FakeClock

TIPS = ROOT / "tips"
CARD = TipCard("t1", "Use liveness probes.", "The Book", "Ch. 3 Pods", ("probes",), ("Probes",))


def test_a_daily_tip_renders_as_plain_text_with_its_buttons_as_commands() -> None:
    text = render_text(daily_reply(CARD))
    assert text.splitlines() == [
        "Kubernetes tip of the day",
        "Use liveness probes.",
        "  — The Book · Ch. 3 Pods",
        "  Topics: Probes",
        "  [Another tip: /k8stip another]   [More on Probes: /k8stip more probes]",
        "  Feedback: [👍 Useful: /k8stip vote useful t1]"
        "   [👎 Not useful: /k8stip vote not_useful t1]"
        "   [✅ Knew it: /k8stip vote knew_it t1]",
    ]


def test_terminal_control_sequences_are_removed() -> None:
    card = TipCard("t", "bad \x1b[2J\x1b[31mred\x07 text", "S", "", (), ())
    assert "\x1b" not in render_text(daily_reply(card))
    assert "bad red text" in render_text(daily_reply(card))


async def test_post_prints_the_tip_and_can_find_it_again_in_this_process() -> None:
    out = io.StringIO()
    console = ConsoleAdapter(out=out, interactive=False)
    target = Target("console", "", "terminal")
    msg = await console.post(target, daily_reply(CARD), "k8s-1-20260329")
    assert out.getvalue().startswith("[#terminal] Kubernetes tip of the day")
    assert await console.find_posted(target, "k8s-1-20260329") == msg
    assert await console.find_posted(target, "k8s-1-20260330") is None


def router_for(store: Store) -> Router:
    config = config_from_mapping({"timezone": "Europe/Amsterdam"})
    clock = FakeClock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    return Router(Engine.from_paths([TIPS]), store, config, clock, random.Random(1))


async def test_typed_lines_are_answered_until_end_of_input(store: Store) -> None:
    out = io.StringIO()
    stdin = io.StringIO("/k8stip topics\n\n/k8stip subscribe 09:00 daily\n")
    console = ConsoleAdapter(router_for(store).handle, out=out, stdin=stdin, interactive=True)
    await console.start()
    await asyncio.wait_for(console.eof.wait(), timeout=10)
    await console.stop()
    printed = out.getvalue()
    assert "secrets — Secrets" in printed
    assert "Subscribed: a tip every day at 09:00 Europe/Amsterdam" in printed
    sub = store.get_subscription("console", "", "console")
    assert sub is not None and sub.created_by == console.user


async def test_at_a_terminal_it_greets_with_a_first_tip_and_without_one_it_stays_quiet(
    store: Store,
) -> None:
    """`k8stip run` at a terminal shows a tip at once; in a container it prints nothing."""
    out = io.StringIO()
    await ConsoleAdapter(router_for(store).handle, out=out, interactive=True).greet()
    assert out.getvalue().startswith("Your first tip:\n")
    assert "— Hands-On Kubernetes on Azure, 2nd ed. · Ch. " in out.getvalue()
    quiet = io.StringIO()
    await ConsoleAdapter(router_for(store).handle, out=quiet, interactive=False).greet()
    assert quiet.getvalue() == ""


async def test_without_a_terminal_it_reads_nothing(store: Store) -> None:
    stdin = io.StringIO("/k8stip subscribe\n")
    console = ConsoleAdapter(router_for(store).handle, out=io.StringIO(), stdin=stdin)
    assert console.interactive is False  # StringIO is not a TTY
    await console.start()
    await console.stop()
    assert stdin.tell() == 0
    assert store.list_subscriptions() == []


def write_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "k8stip.yaml"
    cfg.write_text(
        f"""
database: sqlite:///{tmp_path}/data/k8stip.db
corpus: {TIPS}
timezone: Europe/Amsterdam
health: {{enabled: false}}
subscriptions:
  - {{platform: console, channel: terminal, time: "09:00", days: daily}}
{extra}"""
    )
    return cfg


@pytest.fixture
def no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def test_deliver_json_prints_one_array_and_the_tip_on_stderr_then_nothing_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tokens: None
) -> None:
    cfg = write_config(tmp_path)
    at = "2026-03-29T09:00:00+02:00"
    assert main(["--config", str(cfg), "deliver", "--at", at, "--json"]) == 0
    out, err = capsys.readouterr()
    [row] = json.loads(out)
    assert (row["platform"], row["channel"], row["status"]) == ("console", "terminal", "sent")
    assert row["tip_id"] and row["local_date"] == "2026-03-29"
    assert "[#terminal] Kubernetes tip of the day" in err
    assert (tmp_path / "data" / "k8stip.db").is_file()  # data/ created on first run

    assert main(["--config", str(cfg), "deliver", "--at", at, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert "tip of the day" not in err


def test_deliver_prints_tips_on_stdout_and_waits_for_missing_platforms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tokens: None
) -> None:
    cfg = write_config(
        tmp_path, '  - {platform: slack, workspace: T1, channel: C1, time: "09:00"}\n'
    )
    assert main(["--config", str(cfg), "deliver", "--at", "2026-03-30T09:05"]) == 0
    out, err = capsys.readouterr()
    assert "[#terminal] Kubernetes tip of the day" in out
    assert "sent     console:terminal  2026-03-30" in out
    assert "1 due post(s) are for platforms without credentials here" in err


def test_deliver_tells_posts_held_by_another_process_from_posts_without_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tokens: None
) -> None:
    """Another replica is posting one console row right now: that is not a missing platform."""
    cfg = write_config(
        tmp_path, '  - {platform: slack, workspace: T1, channel: C1, time: "09:00"}\n'
    )
    store = Store.open(f"sqlite:///{tmp_path}/data/k8stip.db")
    store.migrate()
    busy = SubscriptionSpec("console", "", "busy", "09:00", "Europe/Amsterdam", (1, 2, 3, 4, 5))
    sub = store.upsert_subscription(busy, "chat", "U1", datetime.now(UTC))
    day = date(2026, 3, 30)
    store.plan_deliveries([PlannedDelivery(sub, day, sub.schedule.due_at(day))], datetime.now(UTC))
    [held] = store.claim_deliveries(
        datetime(2026, 3, 30, 8, tzinfo=UTC), datetime.now(UTC), "other:1:x", 3600, 10, ["console"]
    )
    assert held.channel == "busy"
    store.close()

    assert main(["--config", str(cfg), "deliver", "--at", "2026-03-30T09:05"]) == 0
    out, err = capsys.readouterr()
    assert "sent     console:terminal  2026-03-30" in out and "busy" not in out
    assert "1 due post(s) are for platforms without credentials here (slack;" in err
    assert "1 due post(s) are held by another process" in err


def test_waiting_notes_count_only_platforms_without_an_adapter() -> None:
    assert waiting_notes({"console": (2, 2)}, {"console"}) == [
        "2 due post(s) are held by another process, which is posting them "
        "(if it died, the next pass takes them over once its lease runs out)"
    ]
    assert waiting_notes({"console": (1, 0)}, {"console"}) == []
    [note] = waiting_notes({"slack": (3, 1), "discord": (1, 0)}, {"console"})
    assert note.startswith(
        "4 due post(s) are for platforms without credentials here (discord, slack;"
    )


def test_deliver_rejects_a_bad_instant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tokens: None
) -> None:
    cfg = write_config(tmp_path)
    assert main(["--config", str(cfg), "deliver", "--at", "tomorrow"]) == 2
    assert "not an ISO 8601 instant; e.g. --at 2026-03-29T09:00+02:00" in capsys.readouterr().err


def test_migrate_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tokens: None
) -> None:
    cfg = write_config(tmp_path)
    head = Store.head_revision()
    assert main(["--config", str(cfg), "migrate"]) == 0
    assert f"upgraded from empty to schema revision {head}" in capsys.readouterr().out
    assert main(["--config", str(cfg), "migrate"]) == 0
    assert f"already at schema revision {head}" in capsys.readouterr().out
    assert main(["--config", str(cfg), "status", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["schedule"] == "09:00 Europe/Amsterdam, daily" and row["origin"] == "config"


def test_a_quiz_card_shows_its_prompt_numbered_choices_with_commands_source_and_tally() -> None:
    card = QuizCard(
        question_id="t1~configmap",
        tip_id="t1",
        prompt="Mount a ______ as a volume.",
        choices=(
            Action("ConfigMap", "quiz-answer t1~configmap 0", "quiz"),
            Action("StatefulSet", "quiz-answer t1~configmap 1", "quiz"),
            Action("Ingress", "quiz-answer t1~configmap 2", "quiz"),
        ),
        source="The Book",
        chapter="Ch. 3 Pods",
        tally="2 answered · 1 right",
    )
    reply = Reply(ReplyKind.QUIZ, "fallback", quiz=card, visibility=Visibility.CHANNEL)
    assert render_text(reply).splitlines() == [
        "Quiz",
        "Mount a ______ as a volume.",
        "  1. ConfigMap   [/k8stip quiz-answer t1~configmap 0]",
        "  2. StatefulSet   [/k8stip quiz-answer t1~configmap 1]",
        "  3. Ingress   [/k8stip quiz-answer t1~configmap 2]",
        "  — The Book · Ch. 3 Pods",
        "  2 answered · 1 right",
    ]
    fresh = Reply(ReplyKind.QUIZ, "fallback", quiz=replace(card, tally=""))
    assert render_text(fresh).splitlines()[-1] == "  No answers yet"


async def test_a_quiz_typed_at_the_terminal_is_answered_by_typing_its_choice(
    store: Store,
) -> None:
    """The console has no message to press: a typed `quiz-answer` answers the channel's
    latest posting of that question, and the new tally is printed."""
    out = io.StringIO()
    console = ConsoleAdapter(router_for(store).handle, out=out, interactive=True)
    asked = await console.answer("/k8stip quiz rbac")
    assert asked is not None and asked.quiz is not None
    printed = out.getvalue()
    assert printed.startswith("Quiz\n") and "______" in printed
    first = asked.quiz.choices[0].command
    assert f"  1. {asked.quiz.choices[0].label}   [/k8stip {first}]" in printed
    answered = await console.answer(f"/k8stip {first}")
    assert answered is not None and answered.text.startswith(("Right: ", "Not quite: "))
    assert "Feedback: [👍 Useful: /k8stip vote useful " in out.getvalue()
    assert (
        out.getvalue()
        .rstrip()
        .endswith(
            "(quiz card now: 1 answered · 1 right)"
            if answered.text.startswith("Right")
            else "(quiz card now: 1 answered · 0 right)"
        )
    )
    voted = await console.answer(f"/k8stip vote useful {asked.quiz.tip_id}")
    assert voted is not None and voted.text == "Counted: 👍 Useful"
