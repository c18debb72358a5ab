"""Notices outside a command's answer: a new suggestion in the review channel, "your tip was
approved" to its author by direct message.

`AdapterNotifier` posts through the running adapters' `post` (the daily tips' path), each
notice with its own id (`notice-<uuid>`: a notice is never reconciled or retried). It is best
effort: a platform that is not running, refuses, or fails is counted in the `k8stip_notices`
metric and logged, and `notify` returns False. It never raises to the member whose command
caused the notice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Protocol

from bot.core.replies import Reply
from bot.ports import Adapter, PostError, Target

log = logging.getLogger(__name__)


class NoticeObserver(Protocol):
    """Protocol: the metrics hook for notices (`bot.runtime.metrics.Metrics`)."""

    def notice_posted(self, platform: str, sent: bool) -> None: ...


class AdapterNotifier:
    """A `Notifier` over the adapters that run in this process. `adapters` may be filled in
    after the notifier is made (the adapters are built after the router that holds it)."""

    def __init__(
        self, adapters: Mapping[str, Adapter] | None = None, observer: NoticeObserver | None = None
    ) -> None:
        self.adapters: dict[str, Adapter] = dict(adapters or {})
        self.observer = observer

    async def notify(self, target: Target, reply: Reply) -> bool:
        adapter = self.adapters.get(target.platform)
        sent = False
        if adapter is None:
            log.info("notice: no %s adapter runs here; not sent", target.platform)
        else:
            try:
                await adapter.post(target, reply, f"notice-{uuid.uuid4().hex}")
                sent = True
            except PostError as e:
                log.warning("notice: %s refused it (%s)", target.platform, e.reason)
            except Exception as e:  # a notice must never cost the member their answer
                log.warning("notice: posting to %s failed (%s)", target.platform, type(e).__name__)
        if self.observer is not None:
            self.observer.notice_posted(target.platform, sent)
        return sent
