"""The composition root (bot/app.py): which adapters run, what the banner says is missing."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.app import AdapterSet, StoreEvents, build_adapters, parse_at, safe_url, wire
from bot.config import ConfigError, Secrets, config_from_mapping
from bot.core.invocation import Invocation
from bot.core.replies import Reply
from bot.core.wording import info
from bot.runtime.delivery import Deliverer
from bot.runtime.store import SubscriptionSpec
from tests.core_support import TIPS_DIR
from tests.fakes.databases import fresh_store
from tests.slack_support import TOKEN_KEY


async def handle(inv: Invocation) -> Reply:
    return info(inv.text)


def build(tmp_path: Path, secrets: dict[str, str], **cfg: object) -> AdapterSet:
    with fresh_store("sqlite", tmp_path) as store:
        return build_adapters(
            config_from_mapping(cfg),
            Secrets(secrets),
            handle,
            StoreEvents(store),
            ConsoleAdapter(interactive=False),
            topics=(),
        )


def test_without_credentials_only_the_console_runs_and_the_fix_is_named(tmp_path: Path) -> None:
    built = build(tmp_path, {})
    assert list(built.adapters) == ["console"]
    assert built.notes == [
        "Slack: off; set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (each also as NAME_FILE) "
        "to turn it on",
        "Discord: off; set DISCORD_TOKEN (or DISCORD_TOKEN_FILE) to turn it on",
    ]


def test_http_mode_slack_asks_for_the_signing_secret(tmp_path: Path) -> None:
    built = build(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-secret-value"}, slack={"mode": "http"})
    assert (
        built.notes[0]
        == "Slack: off; set SLACK_SIGNING_SECRET (or SLACK_SIGNING_SECRET_FILE) to turn it on"
    )
    assert not any("xoxb-secret-value" in n for n in built.notes)


def test_oauth_install_needs_the_client_credentials_not_a_bot_token(tmp_path: Path) -> None:
    """In HTTP mode with `slack.oauth`, tokens come from each workspace's install: the client
    id, client secret and signing secret turn Slack on without SLACK_BOT_TOKEN."""
    slack = {"mode": "http", "oauth": True}
    built = build(tmp_path, {"SLACK_SIGNING_SECRET": "s"}, slack=slack)
    assert "slack" not in built.adapters
    assert built.notes[0] == (
        "Slack: off; set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (each also as NAME_FILE) "
        "to turn it on"
    )
    creds = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"}
    with pytest.raises(ConfigError, match="needs K8STIP_TOKEN_KEY"):  # tokens are encrypted
        build(tmp_path, creds, slack=slack, database=f"sqlite:///{tmp_path}/oauth.db")
    creds["K8STIP_TOKEN_KEY"] = TOKEN_KEY
    built = build(tmp_path, creds, slack=slack, database=f"sqlite:///{tmp_path}/oauth.db")
    assert "slack" in built.adapters


def test_explicitly_enabled_without_tokens_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        build(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-secret-value"}, slack={"enabled": True})
    assert "slack.enabled is true but SLACK_APP_TOKEN is not set" in str(e.value)
    assert "xoxb-secret-value" not in str(e.value)


def test_disabled_in_config_says_so(tmp_path: Path) -> None:
    built = build(tmp_path, {"DISCORD_TOKEN": "t"}, discord={"enabled": False})
    assert "Discord: off (discord.enabled: false in the config)" in built.notes
    assert "discord" not in built.adapters


def test_a_missing_adapter_module_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "bot.adapters.slack", None)  # as if not installed
    built = build(tmp_path, {"SLACK_BOT_TOKEN": "a", "SLACK_APP_TOKEN": "b"})
    assert "Slack: this build has no slack adapter" in built.notes
    assert "slack" not in built.adapters


def test_discord_token_builds_the_discord_adapter(tmp_path: Path) -> None:
    built = build(tmp_path, {"DISCORD_TOKEN": "not-a-real-token"})
    assert set(built.adapters) == {"console", "discord"}
    assert built.adapters["discord"].platform == "discord"


async def test_workspace_removed_pauses_its_subscriptions(tmp_path: Path) -> None:
    with fresh_store("sqlite", tmp_path) as store:
        now = datetime(2026, 3, 27, tzinfo=UTC)
        for ch in ("A", "B"):
            store.upsert_subscription(
                SubscriptionSpec("slack", "T1", ch, "09:00", "UTC", (1,)), "chat", "U", now
            )
        store.upsert_subscription(
            SubscriptionSpec("slack", "T2", "C", "09:00", "UTC", (1,)), "chat", "U", now
        )
        await StoreEvents(store).workspace_removed("slack", "T1", "app uninstalled")
        paused = {s.channel: (s.paused, s.paused_reason) for s in store.list_subscriptions()}
        assert paused == {
            "A": (True, "app uninstalled"),
            "B": (True, "app uninstalled"),
            "C": (False, ""),
        }


def test_at_without_an_offset_is_in_the_config_timezone() -> None:
    assert parse_at("2026-03-29T09:00", "Europe/Amsterdam") == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )
    assert parse_at("2026-03-29T09:00Z", "Europe/Amsterdam") == datetime(
        2026, 3, 29, 9, 0, tzinfo=UTC
    )
    assert parse_at("2026-03-29T09:00+02:00", "UTC") == datetime(
        2026, 3, 29, 9, 0, tzinfo=timezone(timedelta(hours=2))
    )
    assert parse_at(None, "UTC") is None


def test_database_passwords_are_hidden() -> None:
    url = "postgresql+psycopg://k8stip:hunter2@db:5432/k8stip"
    assert safe_url(url) == "postgresql+psycopg://k8stip:***@db:5432/k8stip"


async def test_the_deliverer_is_built_on_first_use_once_and_posts_what_is_due(
    tmp_path: Path,
) -> None:
    """`wire` leaves the deliverer (and its imports) for later: `run` answers the console
    first. Built on first use, it is built once, over the same store and adapters, and a
    post due at start still goes out."""
    config = config_from_mapping(
        {
            "database": f"sqlite:///{tmp_path}/k8stip.db",
            "corpus": str(TIPS_DIR),
            "subscriptions": [
                {"platform": "console", "channel": "ops", "time": "09:00", "timezone": "UTC"}
            ],
        }
    )
    out = io.StringIO()
    synced_at = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    wired = await wire(config, Secrets({}), at=synced_at, console_out=out, interactive=False)
    try:
        built: list[object] = []
        real = wired.build_deliverer

        def counted() -> Deliverer:
            built.append(1)
            return real()

        wired.build_deliverer = counted
        first = wired.deliverer
        assert wired.deliverer is first and built == [1]
        assert first.store is wired.store and first.adapters == wired.adapters
        results = await first.run_pass(datetime(2026, 3, 3, 9, 5, tzinfo=UTC))
        assert [(r.channel, r.status) for r in results] == [("ops", "sent")]
        assert "[#ops] " in out.getvalue()
    finally:
        wired.store.close()


async def test_post_now_builds_the_deliverer_it_posts_through_on_first_use(
    tmp_path: Path,
) -> None:
    """The router's `post now` is wired before the deliverer exists (`run` builds it after the
    console's first answers): the first `post now` builds it, and the tip is posted."""
    config = config_from_mapping(
        {
            "database": f"sqlite:///{tmp_path}/k8stip.db",
            "corpus": str(TIPS_DIR),
            "subscriptions": [
                {"platform": "console", "channel": "ops", "time": "09:00", "timezone": "UTC"}
            ],
        }
    )
    out = io.StringIO()
    now = datetime.now(UTC)
    wired = await wire(config, Secrets({}), at=now, console_out=out, interactive=False)
    try:
        assert "deliverer" not in vars(wired)  # not built yet
        inv = Invocation(
            platform="console",
            workspace="",
            channel="ops",
            user="u",
            text="post now",
            is_admin=True,
        )
        reply = await wired.router.handle(inv)
        assert reply.text.startswith("Posted now"), reply
        assert "deliverer" in vars(wired)  # built by that first use
        assert out.getvalue().count("[#ops] ") == 1
    finally:
        wired.store.close()
