"""The Slack app manifest we ship matches what the adapter needs, and no more."""

from __future__ import annotations

import yaml

from bot.adapters.slack.bolt_app import BOT_SCOPES
from tests.core_support import ROOT

MANIFEST = ROOT / "config" / "slack-app-manifest.yaml"


def test_manifest_asks_for_exactly_the_scopes_the_adapter_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_manifest_sets_up_the_command_socket_mode_interactivity_and_uninstall_events() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/k8stip"
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_uninstalled",
        "tokens_revoked",
    }
    info = manifest["display_information"]
    assert len(info["description"]) <= 140  # Slack's limits, checked on import
    assert 175 <= len(info["long_description"]) <= 4000


def test_manifest_keeps_the_messages_tab_open_for_direct_messages() -> None:
    """Without the Messages tab Slack refuses the bot's direct messages (personal tips,
    answers to forms) and members can't type /k8stip there."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False
    assert {"im:write", "im:history"} <= set(manifest["oauth_config"]["scopes"]["bot"])
