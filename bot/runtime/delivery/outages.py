"""Adapter outages: the platform rejected the bot's credentials (`AuthError`).

A wrong, revoked or expired token fails every post on that platform, so it is an outage of
the adapter, not a fault of any channel: nothing is paused or given up. While a platform is
unauthorized its posts are held back (their rows wait for a later pass, inside the catch-up
window), one post a minute or so tries again, `/readyz` reports the adapter as unauthorized,
and one log line says so when it starts and one when it ends.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.ports import Clock, DeliveryObserver

log = logging.getLogger(__name__)

PROBE_SECONDS = 60.0  # while unauthorized, try a post again this often (a probe)


class AuthOutages:
    """Which platforms rejected our credentials, since when and why (this process's view)."""

    def __init__(self, clock: Clock, observer: DeliveryObserver | None) -> None:
        self.clock = clock
        self.observer = observer
        self._down: dict[str, str] = {}  # platform -> the adapter's reason
        self._last_try: dict[str, datetime] = {}

    def rejected(self, platform: str, reason: str) -> None:
        """A call was refused for the credentials. Logs once per outage, counts every one."""
        if self.observer is not None:
            self.observer.adapter_auth_failed(platform)
        self._last_try[platform] = self.clock.now()
        if platform not in self._down:
            log.error(
                "%s: the platform rejected k8stip's credentials (%s); daily posts wait, "
                "nothing is paused, and they go out by themselves once the token works "
                "(within delivery.catch_up_hours)",
                platform,
                reason,
            )
        self._down[platform] = reason

    def accepted(self, platform: str) -> None:
        """A call went through: the outage, if any, is over."""
        if self._down.pop(platform, None) is not None:
            log.warning("%s: credentials accepted again; posting the tips that waited", platform)

    def holding(self, platform: str) -> str | None:
        """The reason to hold a post back without calling the platform: it rejected our
        credentials less than `PROBE_SECONDS` ago. None: go ahead (and maybe probe)."""
        reason = self._down.get(platform)
        if reason is None:
            return None
        if self.clock.now() - self._last_try[platform] >= timedelta(seconds=PROBE_SECONDS):
            self._last_try[platform] = self.clock.now()  # this post is the probe
            return None
        return reason

    def next_probe(self, platform: str) -> datetime | None:
        """When a post to `platform` may try again (None: not unauthorized): rows held back
        are not claimed again before then."""
        if platform not in self._down:
            return None
        return self._last_try[platform] + timedelta(seconds=PROBE_SECONDS)

    def unauthorized(self) -> dict[str, str]:
        """Platform -> reason, for each adapter whose credentials are rejected right now."""
        return dict(self._down)
