"""The command table (bot/core/commands.py) is where every command is declared: help text,
admin flag, arguments and Discord's app commands all come from it."""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.adapters.discord.commands import Answerer, _register, build_commands
from bot.core.commands import COMMANDS, DISCORD_GROUPS, discord_commands
from tests.core_support import ROOT
from tests.fakes.discord_router import Router

# What main registered before the table existed; Discord re-registers only when this changes.
GOLDEN = ROOT / "tests" / "adapters" / "golden" / "discord_commands.json"


def registered() -> dict[str, app_commands.Command[Any, ..., Any]]:
    out = {}
    for group in build_commands(Answerer(Router())):
        for c in group.walk_commands():
            assert isinstance(c, app_commands.Command)
            out[f"/{c.qualified_name}"] = c
    return out


def test_every_command_in_the_table_has_a_summary() -> None:
    """A summary is a sentence of its own, without its full stop and without who may run it."""
    for name, spec in COMMANDS.items():
        assert spec.name == name
        assert len(spec.summary) > 10 and spec.summary[0].isupper(), name
        assert not spec.summary.endswith("."), name
        assert "admin" not in spec.summary.lower(), name  # the `admin` flag says that
        for param in spec.params:
            assert param.placeholder, (name, param)
            if param.name and spec.discord_description:
                assert param.description, (name, param.name)


def test_admin_is_a_flag_and_help_names_the_platforms_admins() -> None:
    assert {n for n, c in COMMANDS.items() if c.admin} == {
        "subscribe",
        "skip",
        "post-now",
        "unsubscribe",
        "pause",
        "resume",
        "next",
        "threads",
        "mention",
        "retired",
        "restore",
        "requests",
    }
    assert COMMANDS["pause"].help_summary("workspace admins") == (
        "Pause the daily tip here, keeping its schedule (workspace admins)."
    )
    assert COMMANDS["topics"].help_summary("workspace admins") == (
        "Every topic and how many tips it has."
    )


def test_discords_registered_names_and_descriptions_come_from_the_table() -> None:
    commands = registered()
    declared = {c.discord: c for g in DISCORD_GROUPS for c in discord_commands(g)}
    assert set(commands) == set(declared)
    for path, command in commands.items():
        spec = declared[path]
        assert command.description == spec.discord_description, path
        options = {p.name: p for p in spec.params if p.name}
        assert [p.name for p in command.parameters] == list(options), path
        for param in command.parameters:
            assert param.description == options[param.name].description, (path, param.name)
            assert param.required == ("discord" in options[param.name].required), path
    for group in build_commands(Answerer(Router())):
        assert group.description == DISCORD_GROUPS[group.name]


def test_buttons_borrow_an_app_command_and_register_none() -> None:
    buttons = [c for c in COMMANDS.values() if c.button]
    assert {c.name for c in buttons} == {"another", "more", "share", "vote", "quiz-answer"}
    assert all(not c.discord_description for c in buttons)
    assert {c.discord for c in buttons} <= {"", "/k8stip tip"}


def test_a_callback_whose_options_disagree_with_the_table_is_refused() -> None:
    group = app_commands.Group(name="k8stip", description="d")

    async def search(interaction: discord.Interaction[Any], words: str) -> None:
        return None

    with pytest.raises(ValueError, match="options"):
        _register(group, "search", search)

    async def another(interaction: discord.Interaction[Any]) -> None:
        return None

    with pytest.raises(ValueError, match="not an app command"):
        _register(group, "another", another)


def test_discord_registers_exactly_the_golden_commands() -> None:
    """Registration JSON is byte-identical to the golden: a table edit that changes what
    Discord is sent shows up here, and is reviewed, before it re-registers anywhere."""
    client = discord.Client(intents=discord.Intents(guilds=True))
    tree = app_commands.CommandTree(client)
    for group in build_commands(Answerer(Router())):
        tree.add_command(group)
    payload = {"commands": [c.to_dict(tree) for c in tree.get_commands()]}
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert text == GOLDEN.read_text(encoding="utf-8")
