"""The link that adds k8stip to a Discord server (`k8stip discord invite-url`).

Kept free of the discord.py import so the CLI answers instantly.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from urllib.parse import urlencode

from bot.config import ConfigError, load_secrets

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")

# Only what a daily post needs. Slash-command answers go through the interaction webhook and
# need no channel permission at all; `find_posted` never reads history (see docs/discord.md).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS  # 19456

_MISSING_ID = (
    "cannot tell the Discord application id; pass --application-id ID (Developer Portal → "
    "your application → General Information → Application ID), or set "
    "DISCORD_APPLICATION_ID or DISCORD_TOKEN"
)


def application_id_from_token(token: str) -> str | None:
    """The bot user id encoded in a bot token's first segment (it equals the application id
    for every application created since 2019). None if the token does not look like one."""
    first = token.strip().split(".", 1)[0]
    if not first:
        return None
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    text = decoded.decode("ascii", errors="replace")
    return text if text.isdigit() else None


def invite_url(application_id: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The OAuth2 URL with scopes bot + applications.commands and the minimal permissions.

    The id comes from the argument, else `DISCORD_APPLICATION_ID`, else the token's first
    segment. The token itself is never printed or put in an error message.
    """
    env = os.environ if environ is None else environ
    app_id = (application_id or env.get("DISCORD_APPLICATION_ID") or "").strip()
    if not app_id:
        token = load_secrets(dict(env)).get("DISCORD_TOKEN")
        app_id = (application_id_from_token(token) if token else None) or ""
    if not app_id.isdigit():
        if app_id:
            raise ConfigError(
                [
                    f"application id {app_id!r} is not a number; copy the Application ID from "
                    "the Developer Portal"
                ]
            )
        raise ConfigError([_MISSING_ID])
    query = urlencode(
        {"client_id": app_id, "scope": " ".join(SCOPES), "permissions": str(PERMISSIONS)}
    )
    return f"{AUTHORIZE_URL}?{query}"
