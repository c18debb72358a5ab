"""`/login` (the one page a browser that has not signed in may open) and `/logout`."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bot.runtime.web.auth import (
    LOGIN_COOKIE,
    MAX_NAME_CHARS,
    SESSION_COOKIE,
    SignInThrottle,
    client_address,
    safe_next,
    see_other,
    session_lifetime,
    session_of,
    set_cookie,
    token_hash,
)
from bot.runtime.web.context import context
from bot.runtime.web.forms import read_form
from bot.runtime.web.render import render

__all__ = ["THROTTLE", "routes"]

routes = web.RouteTableDef()
THROTTLE: web.AppKey[SignInThrottle] = web.AppKey("k8stip_sign_in_throttle", SignInThrottle)
_LOGIN_TOKEN_CHARS = 43  # secrets.token_urlsafe(32)


def _login_token(request: web.Request) -> str:
    token = request.cookies.get(LOGIN_COOKIE, "")
    valid = len(token) == _LOGIN_TOKEN_CHARS and token.replace("-", "").replace("_", "").isalnum()
    return token if valid else ""


def _login_page(
    request: web.Request, *, status: int = 200, problem: str = "", name: str = ""
) -> web.Response:
    token = _login_token(request) or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status=status,
        problem=problem,
        name=name,
        login_csrf=token,
        next=safe_next(request.query.get("next")),
    )
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


def _clean_name(value: object) -> str:
    if not isinstance(value, str):
        return ""
    name = " ".join(value.split())
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        return ""
    return name


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    throttle = request.app[THROTTLE]
    address = client_address(request)
    wait = throttle.retry_after(address)
    if wait > 0:
        seconds = int(wait) + 1
        response = _login_page(
            request,
            status=429,
            problem=f"Too many failed sign-ins from this address; try again in {seconds} s.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    form = await read_form(request)  # unsigned bytes: checked, bounded, never logged
    sent = form.get("csrf")
    expected = _login_token(request)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        return _login_page(
            request, status=403, problem="The sign-in form expired; try again on this one."
        )
    name = _clean_name(form.get("name"))
    password = form.get("password")
    if not name:
        return _login_page(
            request, status=400, problem=f"Type your name (1–{MAX_NAME_CHARS} characters)."
        )
    if not isinstance(password, str) or not await ctx.password.check(password):
        throttle.failed(address)
        return _login_page(request, status=401, problem="Wrong password.", name=name)
    throttle.succeeded(address)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = ctx.clock()
    try:
        await ctx.db(
            ctx.store.create_web_session,
            token_hash(token),
            name,
            address,
            csrf,
            now,
            now + session_lifetime(request),
        )
        await ctx.db(ctx.store.record_audit, now, name, address, "sign-in", "console", "")
    except Exception:
        return _login_page(
            request, status=503, problem="The database cannot be reached; try again in a minute."
        )
    response = see_other(safe_next(form.get("next")))
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        ctx.password.sign(token),
        max_age=int(session_lifetime(request).total_seconds()),
    )
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    signed = session_of(request)
    await ctx.db(ctx.store.delete_web_session, signed.token_hash)
    await ctx.db(
        ctx.store.record_audit,
        ctx.clock(),
        signed.session.actor,
        client_address(request),
        "sign-out",
        "console",
        "",
    )
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
