"""Shared pieces for the Slack tests: a stand-in router with realistic replies, config, secrets.

The stand-in answers like the real router (`bot/commands.py`) with fixed cards, so adapter
tests can steer it (a slow answer, a crash) without a store; tests/test_slack_router.py runs
the adapter with the real router.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bot.config import Config, Secrets, config_from_mapping
from bot.core.invocation import Handler, Invocation
from bot.core.replies import Action, Reply, ReplyKind, TipCard, Visibility
from bot.ports import PlatformEvents
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN

if TYPE_CHECKING:
    from bot.adapters.slack import SlackAdapter

SIGNING_SECRET = "test-signing-secret"
# K8STIP_TOKEN_KEY for OAuth mode (a Fernet key made for the tests; it guards no real data).
TOKEN_KEY = "Xani2P_oloEYLXK514zuSqI4vrfYhLuy0s_EE0xOwYE="
NOW = 1_780_000_000.0  # the pinned wall clock of every HTTP-mode test

SECRETS_CARD = TipCard(
    tip_id="hoka-ch10-007",
    text=(
        "Don't put secrets in env vars of the Deployment spec: mount them from Azure Key Vault "
        "with the Secrets Store CSI driver & rotate them there. "
        "See https://learn.microsoft.com/azure/aks/csi-secrets-store-driver?tabs=a&b=c."
    ),
    source="Hands-On Kubernetes on Azure, 2nd ed.",
    chapter="Ch. 10 Securing your AKS cluster",
    topics=("secrets", "security"),
    topic_titles=("Secrets", "Security"),
)
RBAC_CARD = TipCard(
    tip_id="hoka-ch08-002",
    text="Bind Azure AD groups, not users, to <ClusterRoles> with RoleBindings.",
    source="Hands-On Kubernetes on Azure, 2nd ed.",
    chapter="Ch. 8 Role-based access control in AKS",
    topics=("rbac", "security"),
    topic_titles=("RBAC", "Security"),
    score=0.82,
)
CARDS = {c.tip_id: c for c in (SECRETS_CARD, RBAC_CARD)}
ADMIN_ONLY = {"subscribe", "unsubscribe", "pause", "resume", "next"}


def tip_reply(card: TipCard, visibility: Visibility = Visibility.EPHEMERAL) -> Reply:
    topic = card.topics[0]
    return Reply(
        kind=ReplyKind.TIP,
        text=card.text,
        cards=(card,),
        actions=(
            Action("Another tip", f"tip {topic}", "another"),
            Action(f"More on {card.topic_titles[0]}", f"search {topic}", "more"),
        ),
        visibility=visibility,
    )


@dataclass
class StandInRouter:
    """Answers like the router would; records every Invocation; `gate` holds 'slow' answers."""

    calls: list[Invocation] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, inv: Invocation) -> Reply:
        self.calls.append(inv)
        words = inv.text.split()
        verb = words[0].lower() if words else "tip"
        rest = " ".join(words[1:])
        if verb in ADMIN_ONLY and not inv.is_admin:
            return Reply(
                kind=ReplyKind.ERROR,
                text=(
                    f"Only workspace admins and owners can {verb} a channel. "
                    "Ask one of them, or ask whoever runs k8stip to add you to slack.admins."
                ),
            )
        if verb in ADMIN_ONLY:
            return Reply(
                kind=ReplyKind.INFO,
                text=f"Done: {verb} {rest}".strip(),
                visibility=Visibility.CHANNEL,
            )
        if verb == "slow":
            await self.gate.wait()
            return tip_reply(SECRETS_CARD)
        if verb == "boom":
            raise RuntimeError("the router fell over")
        if verb == "share" and rest in CARDS:
            return tip_reply(CARDS[rest], Visibility.CHANNEL)
        if verb == "search":
            return Reply(
                kind=ReplyKind.SEARCH,
                text=f"2 tips match “{rest}”",
                cards=(RBAC_CARD, SECRETS_CARD),
            )
        if verb == "tip" and (not rest or rest in ("secrets", "security")):
            return tip_reply(SECRETS_CARD)
        return Reply(
            kind=ReplyKind.INFO,
            text=f"No tip matches “{inv.text}”. Try /k8stip topics.",
        )


@dataclass
class RecordingEvents:
    """A `PlatformEvents` that records calls; `await events.wait()` until one arrives."""

    removed: list[tuple[str, str, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def workspace_removed(self, platform: str, workspace: str, reason: str) -> None:
        self.removed.append((platform, workspace, reason))
        self.arrived.set()

    async def wait(self, within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            await self.arrived.wait()


def migrated(database: str) -> str:
    """`database` with k8stip's schema (HTTP mode keeps its replay ledger there)."""
    from bot.runtime.store.store import Store

    store = Store.open(database)
    try:
        store.migrate()
    finally:
        store.close()
    return database


def make_config(api_url: str, **slack: Any) -> Config:
    database = slack.pop("database", "sqlite:///:memory:")
    return config_from_mapping(
        {"database": database, "slack": {"api_url": api_url, "http_port": 0, **slack}}
    )


@asynccontextmanager
async def http_mode_adapter(
    api_url: str, handle: Handler, events: PlatformEvents, tmp_path: Path
) -> AsyncIterator[SlackAdapter]:
    """A started Slack adapter in HTTP mode on 127.0.0.1, its replay store migrated under
    `tmp_path`, its wall clock pinned at `NOW`; stopped on exit."""
    from bot.adapters.slack import SlackAdapter

    adapter = SlackAdapter(
        make_config(api_url, mode="http", database=migrated(f"sqlite:///{tmp_path}/k8stip.db")),
        make_secrets(SLACK_APP_TOKEN=""),
        handle,
        events,
        wall_clock=lambda: NOW,
        http_host="127.0.0.1",
    )
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def make_secrets(**extra: str) -> Secrets:
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "K8STIP_TOKEN_KEY": TOKEN_KEY,
    }
    values.update(extra)
    return Secrets({k: v for k, v in values.items() if v})


def sign(body: str, timestamp: float, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """The headers Slack sends with an HTTP-mode request."""
    ts = str(int(timestamp))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_command(
    text: str, response_url: str, user: str = "U_MEMBER", channel: str = "C_LEARN", team: str = "T1"
) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "k8s-learning",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/k8stip",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def block_actions(
    action_id: str,
    value: str,
    response_url: str,
    user: str = "U_MEMBER",
    channel: str = "C_LEARN",
    team: str = "T1",
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "team": {"id": team, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "channel": {"id": channel, "name": "k8s-learning"},
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": "x"},
                "action_ts": "1.2",
            }
        ],
    }


def form(data: dict[str, str]) -> str:
    return urlencode(data)


def actions_form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    view: dict[str, Any],
    values: dict[str, str | None],
    user: str = "U_MEMBER",
    team: str = "T1",
) -> dict[str, Any]:
    """What Slack sends when a member submits `view` (a modal the fake saw opened) with
    `values` typed into its inputs, keyed by the input's block_id suffix (the field name)."""
    state: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        block_id = str(block["block_id"])
        name = block_id.split(":", 1)[-1]
        action_id = str(block["element"]["action_id"])
        value = values.get(name, block["element"].get("initial_value"))
        state[block_id] = {action_id: {"type": "plain_text_input", "value": value}}
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "trigger_id": "4.5.6",
        "view": {
            **view,
            "team_id": team,
            "state": {"values": state},
            "hash": "1700000000.abc",
            "app_id": "A1",
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }
