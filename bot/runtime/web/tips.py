"""The Tips page (`/tips`): the corpus browser. Search as `k8stip search` does, filter by
topic and source; each tip with its votes across channels, quiz results and post count."""

from __future__ import annotations

from aiohttp import web

__all__ = ["routes"]

routes = web.RouteTableDef()
