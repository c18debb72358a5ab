"""Socket Mode: a WebSocket k8stip opens to Slack (no public URL), dispatching into bolt."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger("k8stip.slack")


class SocketModeConnection:
    """Connect and close bolt's Socket Mode handler (slack-sdk's aiohttp client)."""

    def __init__(self, app: AsyncApp, app_token: str) -> None:
        self._app = app
        self._app_token = app_token
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        self._handler = AsyncSocketModeHandler(self._app, app_token=self._app_token)
        await self._handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
        log.info("Slack: connected in Socket Mode")

    async def stop(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
            self._handler = None
