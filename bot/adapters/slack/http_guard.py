"""What an unauthenticated request to the HTTP-mode server may cost: checks on its headers,
per-address rate limits, and log lines that can't be used to flood the log.

Pure and synchronous: nothing here reads a body, raises, or writes more than one short log
line per source address per minute. `http_mode` runs these before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_TIMESTAMP_SKEW",
    "AddressLimiter",
    "QuietLog",
    "check_headers",
    "signature_matches",
]

MAX_BODY_BYTES = 64 * 1024  # Slack's largest payloads (a block_actions form) are a few KiB
MAX_TIMESTAMP_SKEW = 5 * 60  # Slack's rule: refuse requests more than 5 minutes off
_MAX_ADDRESSES = 4096  # per-address tables forget everybody when they grow past this


def check_headers(headers: Mapping[str, str], now: float) -> tuple[int, str] | None:
    """(status, reason) to refuse a request with, judged on its headers alone; None if fine.

    Checks the signature headers are there and well formed, the timestamp is a number within
    five minutes of `now`, and the body length is declared and small.
    """
    signature = headers.get("X-Slack-Signature", "")
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not signature or not timestamp:
        return 401, "no signature headers"
    if len(signature) != 67 or not signature.startswith("v0="):
        return 401, "malformed signature"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return 401, "malformed timestamp"
    if abs(now - int(timestamp)) > MAX_TIMESTAMP_SKEW:
        return 401, "timestamp more than 5 minutes off"
    length = headers.get("Content-Length", "")
    if not (length.isascii() and length.isdigit() and len(length) <= 12):
        return 400, "no Content-Length"
    if int(length) > MAX_BODY_BYTES:
        return 413, "body too large"
    return None


def signature_matches(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{raw body bytes}`."""
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + digest.hexdigest(), signature)


@dataclass
class QuietLog:
    """At most one line per source address per `period` seconds; the rest are counted."""

    logger: logging.Logger
    period: float = 60.0
    _last: dict[str, float] = field(default_factory=dict)
    _quiet: int = 0

    def refused(self, address: str, status: int, reason: str, now: float) -> None:
        last = self._last.get(address)
        if last is not None and now - last < self.period:
            self._quiet += 1
            return
        if len(self._last) >= _MAX_ADDRESSES:
            self._last = {a: t for a, t in self._last.items() if now - t < self.period}
            if len(self._last) >= _MAX_ADDRESSES:  # a flood from many addresses: one line
                self._quiet += 1
                return
        self._last[address] = now
        quiet, self._quiet = self._quiet, 0
        more = f" ({quiet} more refused quietly since)" if quiet else ""
        self.logger.warning(
            "Slack HTTP: refused a request from %s: %s (%d)%s", address, reason, status, more
        )


@dataclass
class AddressLimiter:
    """At most `limit` requests per `period` seconds from one address (a fixed window)."""

    limit: int
    period: float = 60.0
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def allow(self, address: str, now: float) -> bool:
        start, count = self._windows.get(address, (now, 0))
        if now - start >= self.period:
            start, count = now, 0
        if count >= self.limit:
            return False
        if len(self._windows) >= _MAX_ADDRESSES and address not in self._windows:
            self._windows = {a: w for a, w in self._windows.items() if now - w[0] < self.period}
            if len(self._windows) >= _MAX_ADDRESSES:
                return False  # too many addresses at once: refuse newcomers until it drains
        self._windows[address] = (start, count + 1)
        return True
