"""Slack Web API failures -> the adapter contract's errors, with a reason a person can act on.

Used on the delivery path only (`post`, `find_posted`). That path's client has no SDK retry
handlers at all: delivery owns the retry policy (Retry-After, backoff, reconciliation), and
the SDK's default connection-error retry would resend a post that may already have landed.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.ports import (
    AmbiguousError,
    AuthError,
    PermanentError,
    PostError,
    RateLimited,
    TransientError,
)

# The fix is in the text: this ends up in `/k8stip status` and in the logs.
PERMANENT_REASONS: dict[str, str] = {
    "not_in_channel": "k8stip is not in this channel: invite me with /invite @k8stip",
    "channel_not_found": (
        "the channel no longer exists or k8stip cannot see it; "
        "for a private channel, invite me with /invite @k8stip"
    ),
    "is_archived": "the channel is archived; unarchive it and run /k8stip resume",
    "missing_scope": (
        "the Slack app lacks a permission it needs; update it from "
        "config/slack-app-manifest.yaml and reinstall"
    ),
    "restricted_action": "a workspace admin has restricted posting in this channel",
    "team_access_not_granted": "the app is not installed in this workspace; install it again",
    "msg_blocked": "Slack blocked the message under this workspace's policy",
    # Only direct messages get this one (`direct.py` words it for the member concerned).
    "messages_tab_disabled": "k8stip's Messages tab is off; turn it on under App Home",
}

# The token itself is refused: every channel fails alike, so this is an outage of the adapter
# (`AuthError`: nothing paused, posts wait for a working token), not a fault of one channel.
# With OAuth installs each workspace has its own token; SlackAdapter turns these into a
# PermanentError for that workspace (its install is gone: reinstall it there).
AUTH_REASONS: dict[str, str] = {
    "invalid_auth": "the Slack bot token is not valid; check SLACK_BOT_TOKEN or reinstall the app",
    "not_authed": "no Slack bot token was sent; set SLACK_BOT_TOKEN",
    "account_inactive": (
        "the Slack app's token is no longer active (app removed or user deactivated); "
        "reinstall the app and update SLACK_BOT_TOKEN"
    ),
    "token_revoked": "the Slack bot token was revoked; reinstall the app, update SLACK_BOT_TOKEN",
    "token_expired": "the Slack bot token has expired; reinstall the app, update SLACK_BOT_TOKEN",
}

TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


def _retry_after(err: SlackApiError) -> float:
    headers = getattr(err.response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0


def api_error_code(err: SlackApiError) -> str:
    data = getattr(err.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "")
    return ""


def map_api_error(err: SlackApiError, *, posting: bool = False) -> PostError:
    """An `ok: false` answer or a non-200 status -> RateLimited / Transient / Auth / Permanent.

    `posting`: the call was a post, so a 200 whose body can't be read (a proxy's HTML page)
    may hide a message that landed: that is ambiguous, not a reason to post again.
    """
    status = int(getattr(err.response, "status_code", 0) or 0)
    code = api_error_code(err)
    if not code and 200 <= status < 300:
        if posting:
            return AmbiguousError("Slack's answer could not be read; the post may have landed")
        return TransientError("Slack's answer could not be read")
    if status == 429 or code == "ratelimited":
        return RateLimited(_retry_after(err), reason="Slack rate limit (429)")
    if status >= 500 or code in TRANSIENT_ERRORS:
        return TransientError(f"Slack answered {status} {code}".strip())
    if code in AUTH_REASONS:
        return AuthError(f"{code}: {AUTH_REASONS[code]}")
    if code in PERMANENT_REASONS:
        return PermanentError(PERMANENT_REASONS[code])
    # An error we don't know (or one caused by our own payload): retrying with backoff is
    # safe and bounded by delivery.max_attempts, pausing the channel for it would not be.
    return TransientError(f"Slack refused the call ({code or status})")


def map_transport_error(exc: BaseException, *, sent: bool) -> PostError:
    """A network failure. `sent`: whether the request may already have reached Slack."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        # The TCP connection never opened: nothing was sent.
        return TransientError("could not connect to Slack")
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        if sent:
            return AmbiguousError("Slack did not answer in time; the post may have landed")
        return TransientError("Slack did not answer in time")
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        if sent:
            return AmbiguousError("the connection to Slack was reset; the post may have landed")
        return TransientError("the connection to Slack was reset")
    return TransientError(f"network error talking to Slack ({type(exc).__name__})")
