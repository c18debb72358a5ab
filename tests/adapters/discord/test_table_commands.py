"""App commands come from the command table alone: a new entry with a `discord_description`
is registered without adapter code, with its options, fixed choices where the table gives
them, and the invocation text the same request is typed as."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.commands import Answerer, build_commands, command_text
from bot.core.commands import COMMANDS, DISCORD_GROUPS, CommandSpec, Param
from tests.fakes.discord_router import Router

MODE = Param("mode", "tip|quiz", (), "Post a tip or a quiz", choices=("tip", "quiz"))
SUBSCRIBE = COMMANDS["subscribe"]

TABLE: dict[str, CommandSpec] = {
    "tip": COMMANDS["tip"],
    "subscribe": CommandSpec(
        "subscribe",
        "subscribe",
        SUBSCRIBE.summary,
        admin=True,
        params=(*(p for p in SUBSCRIBE.params if p.name != "mode"), MODE),
        discord=SUBSCRIBE.discord,
        discord_description=SUBSCRIBE.discord_description,
    ),
    "quiz": CommandSpec(
        "quiz",
        "quiz",
        "A quiz question from a tip",
        params=(Param("topic", "topic", (), "Only this topic, e.g. rbac"),),
        discord="/k8stip quiz",
        discord_description="A quiz question from a tip",
    ),
    "forget": CommandSpec(
        "forget",
        "forget me",
        "Delete your votes and answers",
        discord="/k8stip forget-me",
        discord_description="Delete your votes and quiz answers everywhere",
    ),
    "quiz-answer": CommandSpec(
        "quiz-answer", "quiz-answer", "Answer a quiz (the buttons)", button=True
    ),
}


def registered(table: dict[str, CommandSpec]) -> dict[str, dict[str, Any]]:
    client = discord.Client(intents=discord.Intents(guilds=True))
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    for group in build_commands(Answerer(Router()), table, DISCORD_GROUPS):
        tree.add_command(group)
    return {
        f"/{c['name']} {sub['name']}": sub
        for c in (c.to_dict(tree) for c in tree.get_commands())
        for sub in c["options"]
    }


def test_new_table_entries_with_a_discord_description_are_registered() -> None:
    commands = registered(TABLE)
    assert set(commands) == {
        "/k8stip tip",
        "/k8stip quiz",
        "/k8stip forget-me",
        "/k8stip-admin subscribe",
    }
    quiz = commands["/k8stip quiz"]
    assert quiz["description"] == "A quiz question from a tip"
    (topic,) = quiz["options"]
    assert (topic["name"], topic["required"], topic["autocomplete"]) == ("topic", False, True)
    assert commands["/k8stip forget-me"]["options"] == []


def test_a_param_with_fixed_choices_is_registered_as_a_choice_list() -> None:
    options = {o["name"]: o for o in registered(TABLE)["/k8stip-admin subscribe"]["options"]}
    mode = options["mode"]
    assert mode["choices"] == [{"name": "tip", "value": "tip"}, {"name": "quiz", "value": "quiz"}]
    assert not mode.get("autocomplete") and mode["required"] is False
    assert options["time"]["required"] is True
    assert [o for o in options if options[o].get("autocomplete")] == ["timezone", "days", "topics"]


def test_the_invocation_text_follows_the_tables_word_and_option_order() -> None:
    values = {"time": "09:00", "days": "mon, fri", "topics": "rbac,secrets", "mode": "quiz"}
    assert command_text(TABLE["subscribe"], values) == "subscribe 09:00 mon,fri rbac secrets quiz"
    assert command_text(TABLE["forget"], {}) == "forget me"
    assert command_text(TABLE["quiz"], {"topic": " rbac\n"}) == "quiz rbac"
    assert command_text(TABLE["tip"], {"query": None}) == ""


async def test_a_built_command_runs_as_its_typed_text() -> None:
    """The generated callback takes the table's options and hands the router that text."""
    router = Router()
    answerer = Answerer(router)
    texts: list[str] = []

    async def record(interaction: Any, text: str, *, admin_only: bool = False) -> None:
        texts.append(f"{text} admin={admin_only}")

    answerer.answer = record  # type: ignore[method-assign]  # the callback's one way out
    k8stip, admin = build_commands(answerer, TABLE, DISCORD_GROUPS)
    quiz = k8stip.get_command("quiz")
    subscribe = admin.get_command("subscribe")
    assert isinstance(quiz, app_commands.Command) and isinstance(subscribe, app_commands.Command)
    interaction: Any = object()  # the recording `answer` never reads it
    run_quiz: Any = quiz.callback
    run_subscribe: Any = subscribe.callback
    await run_quiz(interaction, topic="rbac")
    await run_subscribe(interaction, time="07:30", mode="quiz")
    assert texts == ["quiz rbac admin=False", "subscribe 07:30 quiz admin=True"]
