"""The Review page (`/review`): the suggestion queue (approve, edit, reject) and what members
asked for and did not find (requests and unanswered searches)."""

from __future__ import annotations

from aiohttp import web

__all__ = ["routes"]

routes = web.RouteTableDef()
