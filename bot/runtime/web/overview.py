"""The Overview page (`/`): every subscription by platform and workspace, the next post of
each, the paused ones with their reason, the last 30 days of deliveries as a chart, the
adapters' health and the audit log of changes made on these pages."""

from __future__ import annotations

from aiohttp import web

from bot.runtime.web.render import render

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    return render(request, "overview.html")
