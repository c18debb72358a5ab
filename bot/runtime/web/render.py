"""Templates (Jinja2, autoescaped) and the headers every page carries.

Autoescaping is on for every template, so a tip whose text holds `<script>` or `{{ }}` shows
those characters as text: text reaches a template only as a value, never as template source.
The pages load no script at all, and the Content-Security-Policy says so; the one inline
stylesheet is allowed by its hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from typing import Any

import jinja2
import markupsafe
from aiohttp import web

from bot.runtime.web.auth import SIGNED_IN, cookie_secure
from bot.runtime.web.context import context

__all__ = ["FLASH_COOKIE", "flash", "page_headers", "render", "templates"]

FLASH_COOKIE = "k8stip_flash"
MAX_FLASH_CHARS = 600


@functools.cache
def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.runtime.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,  # a misspelt value fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@functools.cache
def _style() -> tuple[str, str]:
    """The console's stylesheet, inlined into each page, and its CSP hash."""
    loader = templates().loader
    assert loader is not None
    css, _, _ = loader.get_source(templates(), "console.css")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {_style()[1]}; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def render(
    request: web.Request, template: str, *, status: int = 200, **values: Any
) -> web.Response:
    """A page from `template`; every page gets the signed-in session (if any), its CSRF
    token, the current path and a message left by the change before (`flash`)."""
    signed = request.get(SIGNED_IN)
    page = (
        templates()
        .get_template(template)
        .render(
            # Markup: autoescaping would turn the stylesheet's quotes into entities, and
            # the page's CSS would no longer match the hash the CSP allows.
            style=markupsafe.Markup(_style()[0]),
            signed_in=signed.session if signed is not None else None,
            csrf=signed.session.csrf if signed is not None else "",
            path=request.path,
            flash=_read_flash(request),
            **values,
        )
    )
    response = web.Response(
        status=status, text=page, content_type="text/html", headers=page_headers()
    )
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/")
    return response


def _flash_mac(request: web.Request, text: str) -> str:
    key = context(request).password.cookie_key
    return hmac.new(key, b"flash:" + text.encode(), hashlib.sha256).hexdigest()


def flash(request: web.Request, response: web.StreamResponse, text: str) -> None:
    """Leave `text` for the next page this browser opens (after a redirect): the outcome of
    a change, shown once. Signed, so nobody else can put words there."""
    text = text[:MAX_FLASH_CHARS]
    raw = base64.urlsafe_b64encode(text.encode()).decode()
    value = f"{raw}.{_flash_mac(request, text)}"
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=120,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=cookie_secure(request),  # `web.secure_cookie` behind a TLS proxy, like the session
    )


def _read_flash(request: web.Request) -> str:
    value = request.cookies.get(FLASH_COOKIE, "")
    if not value or len(value) > 4 * MAX_FLASH_CHARS:
        return ""
    raw, _, mac = value.rpartition(".")
    try:
        text = base64.urlsafe_b64decode(raw.encode()).decode()
    except ValueError:
        return ""
    return text if hmac.compare_digest(mac, _flash_mac(request, text)) else ""
