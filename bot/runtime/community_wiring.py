"""How `k8stip run` and `k8stip deliver` build the suggested-tips pieces (called from
`bot.app.wire`, which is at its size limit): the engine over the tip files and the community
tips, and the notifier the router posts review notices and authors' direct messages with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.engine import Engine
from bot.runtime.community import CommunityEngine
from bot.runtime.notifier import AdapterNotifier, NoticeObserver
from bot.runtime.store import Store

if TYPE_CHECKING:
    from bot.config import Config


def community_wiring(
    config: Config, store: Store, observer: NoticeObserver | None = None
) -> tuple[CommunityEngine, AdapterNotifier]:
    """The live engine (the config's corpus loaded now, community tips read on first use)
    and a notifier without adapters yet: `wire` adds them once they are built."""
    engine = CommunityEngine(Engine.from_config(config), store)
    return engine, AdapterNotifier(observer=observer)
