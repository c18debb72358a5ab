"""The Discord command set: help text, autocomplete, invocation text, sync comparison, shards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord import DiscordAdapter, Sharding, create_adapter, resolve_sharding
from bot.adapters.discord.commands import (
    MAX_CHOICES,
    Answerer,
    build_commands,
    commands_differ,
    subscribe_text,
    timezone_choices,
    topic_suggester,
)
from bot.config import Config, ConfigError, Secrets, config_from_mapping, load_config
from bot.core.commands import COMMANDS as SYNTAX
from bot.core.corpus import Topic
from tests.core_support import ROOT
from tests.fakes.discord_router import TOPICS, Events, Router

TIPS = ROOT / "tips"


def all_commands() -> list[app_commands.Command[Any, ..., Any]]:
    out: list[app_commands.Command[Any, ..., Any]] = []
    for group in build_commands(Answerer(Router())):
        out.extend(c for c in group.walk_commands() if isinstance(c, app_commands.Command))
    return out


def test_every_command_and_option_has_help_text() -> None:
    for command in all_commands():
        assert command.description and command.description != "…", command.qualified_name
        for param in command.parameters:
            assert param.description and param.description != "…", (command.name, param.name)


def test_admin_group_is_hidden_from_members_by_default() -> None:
    k8stip, admin = build_commands(Answerer(Router()))
    assert admin.default_permissions == discord.Permissions(manage_guild=True)
    assert k8stip.default_permissions is None


def test_the_routers_discord_hints_name_real_commands_and_options() -> None:
    """bot/messages.SYNTAX (the hints in router replies) matches what is registered here."""
    registered = {
        f"/{c.qualified_name}": {(p.name, p.required) for p in c.parameters} for c in all_commands()
    }
    for name, syntax in SYNTAX.items():
        if not syntax.discord:
            continue
        assert syntax.discord in registered, name
        options = {p.name for p in syntax.params if p.name}
        assert options <= {o for o, _ in registered[syntax.discord]}, name
        required = {p.name for p in syntax.params if "discord" in p.required}
        assert required == {o for o, req in registered[syntax.discord] if req}, name
    typed = {s.discord for s in SYNTAX.values()}
    assert set(registered) <= typed  # every Discord command has a hint


def test_subscribe_text_is_what_one_would_type() -> None:
    assert (
        subscribe_text("09:00", "Europe/Amsterdam", "mon, wed ,fri", "rbac,  secrets")
        == "subscribe 09:00 Europe/Amsterdam mon,wed,fri rbac secrets"
    )
    assert subscribe_text("07:30", None, None, None) == "subscribe 07:30"
    assert subscribe_text("07:30\n", " UTC ", "", "") == "subscribe 07:30 UTC"


suggest = topic_suggester(TOPICS)


def test_suggestions_prefer_prefixes_then_aliases_then_typos() -> None:
    assert suggest("sec")[0] == ("Secrets", "secrets")
    assert suggest("hpa")[0] == ("Scaling (hpa)", "scaling")
    assert suggest("netwrking")[0][1] == "networking"
    assert suggest("zzzzqqq") == []


def test_an_empty_prefix_lists_topics_alphabetically() -> None:
    labels = [label for label, _ in suggest("")]
    assert labels == sorted(labels)
    many = [Topic(f"t{i:02d}", f"Topic {i:02d}", "") for i in range(40)]
    assert len(topic_suggester(many)("")) == MAX_CHOICES
    assert len(topic_suggester(many)("topic")) == MAX_CHOICES


@given(st.text(max_size=120))
def test_any_typed_prefix_gives_at_most_25_valid_choices(prefix: str) -> None:
    choices = Answerer(Router(), suggest=suggest).choices(prefix)
    assert len(choices) <= MAX_CHOICES
    assert all(1 <= len(c.name) <= 100 and c.value in {t.id for t in TOPICS} for c in choices)


def test_a_failing_suggester_offers_nothing_rather_than_an_error() -> None:
    def broken(prefix: str) -> list[tuple[str, str]]:
        raise RuntimeError("index not loaded")

    assert Answerer(Router(), suggest=broken).choices("rb") == []


def test_timezone_choices() -> None:
    assert timezone_choices("europe/ams") == ["Europe/Amsterdam"]
    assert "America/New_York" in timezone_choices("new_y")
    assert len(timezone_choices("a")) <= MAX_CHOICES


# --- registration comparison ----------------------------------------------------------


def ours() -> list[dict[str, Any]]:
    client = discord.Client(intents=discord.Intents(guilds=True))
    tree = app_commands.CommandTree(client)
    for group in build_commands(Answerer(Router())):
        tree.add_command(group)
    return [c.to_dict(tree) for c in tree.get_commands()]


def as_discord_returns(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def strip(o: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in o.items() if not (k in ("required", "autocomplete") and not v)}
        if "options" in out:
            out["options"] = [strip(s) for s in out["options"]]
        return out

    returned = []
    for i, c in enumerate(reversed(commands)):
        r = strip(c)
        r.update(id=str(1000 + i), application_id="1", version="7")
        if r.get("default_member_permissions") is not None:
            r["default_member_permissions"] = str(r["default_member_permissions"])
        returned.append(r)
    return returned


def test_the_same_commands_as_discord_returns_them_do_not_differ() -> None:
    assert not commands_differ(ours(), as_discord_returns(ours()), global_scope=True)


def admin_of(commands: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in commands if c["name"] == "k8stip-admin")


@pytest.mark.parametrize(
    "change",
    [
        lambda cs: cs[0].update(description="changed"),
        lambda cs: admin_of(cs).update(default_member_permissions=None),
        lambda cs: admin_of(cs).update(dm_permission=True),
        lambda cs: cs[0]["options"][0].update(name="renamed"),
        lambda cs: cs.pop(),
    ],
)
def test_a_changed_command_differs(change: Any) -> None:
    theirs = as_discord_returns(ours())
    change(theirs)
    assert commands_differ(ours(), theirs, global_scope=True)


# --- sharding -----------------------------------------------------------------------------


def test_no_sharding_config_lets_discord_choose() -> None:
    s = resolve_sharding(None, None, hostname="k8stip-3")
    assert (s.shard_count, s.shard_ids) == (None, None)


def test_config_shard_ids_win_over_the_pod_ordinal() -> None:
    s = resolve_sharding(4, [1, 2], hostname="k8stip-0")
    assert (s.shard_count, s.shard_ids) == (4, [1, 2])


def test_with_only_a_count_the_statefulset_ordinal_is_the_shard() -> None:
    assert resolve_sharding(3, None, hostname="k8stip-1").shard_ids == [1]
    assert resolve_sharding(3, None, hostname="laptop").shard_ids is None


def adapter_for(config: Config, hostname: str) -> DiscordAdapter:
    return create_adapter(
        config, Secrets({"DISCORD_TOKEN": "t"}), Router(), Events(), hostname=hostname
    )


def test_shard_env_vars_are_applied_once_when_the_config_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K8STIP_SHARD_ID/COUNT override the config file (bot/config.py); the adapter runs what
    the loaded config says and reads no environment variable itself."""
    path = tmp_path / "k8stip.yaml"
    path.write_text("discord:\n  shard_count: 2\n  shard_ids: [0]\n", encoding="utf-8")
    env = {"K8STIP_SHARD_ID": "2", "K8STIP_SHARD_COUNT": "3"}
    adapter = adapter_for(load_config(path, env), hostname="k8stip-0")
    assert adapter.sharding == Sharding(3, [2])
    # Set in the process environment but not applied to this config: not used.
    monkeypatch.setenv("K8STIP_SHARD_ID", "1")
    monkeypatch.setenv("K8STIP_SHARD_COUNT", "2")
    plain = config_from_mapping({"discord": {"shard_count": 4}})
    assert adapter_for(plain, hostname="laptop").sharding == Sharding(4, None)
    assert adapter_for(plain, hostname="k8stip-discord-3").sharding == Sharding(4, [3])


@pytest.mark.parametrize(
    ("count", "ids", "host", "message"),
    [
        (2, None, "k8stip-2", "outside 0..1"),
        (None, [0], "x", "needs discord.shard_count"),
        (2, [0, 2], "x", "outside 0..1"),
    ],
)
def test_impossible_sharding_is_a_config_error(
    count: int | None, ids: list[int] | None, host: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_sharding(count, ids, hostname=host)


def test_without_a_suggester_the_adapter_completes_from_the_configured_corpus() -> None:
    config = config_from_mapping({"corpus": str(TIPS), "discord": {"api_url": "http://x"}})
    adapter = create_adapter(config, Secrets({"DISCORD_TOKEN": "t"}), Router(), Events())
    choices = adapter.answerer.choices("secr")
    assert choices[0].value == "secrets"
    assert adapter.answerer.choices("netwrking")[0].value == "networking"


def test_the_personal_and_schedule_commands_answer_as_the_typed_words() -> None:
    """`/k8stip subscribe-me` and `/k8stip-admin post-now` run what Slack types as
    `subscribe me …` and `post now`."""
    from bot.adapters.discord.commands import command_text
    from bot.core.commands import COMMANDS

    me = command_text(COMMANDS["subscribe-me"], {"time": "07:30", "days": "every 3 days"})
    assert me == "subscribe me 07:30 every 3 days"
    assert command_text(COMMANDS["post-now"], {}) == "post now"
    assert command_text(COMMANDS["snooze"], {"duration": "7d"}) == "snooze 7d"
