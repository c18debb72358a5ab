"""The Channel page (`/channel/{id}`): one subscription's schedule, topics and mode, its
history with votes, its retired tips and a chart of votes over time; pause, resume, skip
the next post and restore a retired tip."""

from __future__ import annotations

from aiohttp import web

__all__ = ["routes"]

routes = web.RouteTableDef()
