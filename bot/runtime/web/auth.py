"""Signing in and out, sessions and CSRF.

- The password (K8STIP_WEB_PASSWORD or _FILE) is kept only as a scrypt hash with a random
  salt (`PasswordHash`); the plain text is dropped at start-up.
- The session cookie is `token.signature`: a random token and its HMAC under a key derived
  from the password. A cookie that was not signed with it is refused before anything else
  reads it, without touching the database; the store keeps only the token's SHA-256
  (`web_sessions`), so neither a copy of the database nor of the cookie key signs anybody in.
  Changing the password ends every session.
- Every form carries a CSRF token. A session's forms carry the session's token (kept with
  it); the sign-in form, which has no session yet, carries the token of a `k8stip_login`
  cookie (double submit).
- Five failed sign-ins from one address within a minute, and that address is refused until
  the minute has passed (429 with Retry-After): no password is hashed for it meanwhile.
  Failures are neither logged nor written anywhere: an unsigned request costs a dictionary
  entry (bounded) and, at most, one scrypt hash at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from yarl import URL

from bot.runtime.web.context import context
from bot.runtime.web.forms import read_form

if TYPE_CHECKING:
    from bot.runtime.store.web_console import WebSession

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "SIGNED_IN",
    "PasswordHash",
    "SignInThrottle",
    "auth_middleware",
    "client_address",
    "see_other",
    "session_of",
]

SESSION_COOKIE = "k8stip_session"
LOGIN_COOKIE = "k8stip_login"
MAX_NAME_CHARS = 64
MAX_PASSWORD_CHARS = 1024
MIN_PASSWORD_CHARS = 12
# scrypt's cost: about 16 MB and some tens of milliseconds per check.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


class PasswordHash:
    """The console's password as a salted scrypt hash, and the key that signs its cookies."""

    def __init__(self, password: str) -> None:
        self._salt = secrets.token_bytes(16)
        self._digest = self._hash(password)
        # One key for every replica that has the same password: a browser signed in on one is
        # signed in on all (the session row is shared), and a new password ends every session.
        self.cookie_key = hmac.new(
            password.encode(), b"k8stip web console cookie v1", hashlib.sha256
        ).digest()
        self._checking = asyncio.Semaphore(1)  # bounds memory: one 16 MB hash at a time

    def _hash(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode(), salt=self._salt, **_SCRYPT)

    def matches(self, candidate: str) -> bool:
        """Blocking (tens of milliseconds): call through `check`."""
        return hmac.compare_digest(self._hash(candidate), self._digest)

    async def check(self, candidate: str) -> bool:
        if len(candidate) > MAX_PASSWORD_CHARS:
            return False
        async with self._checking:
            return await asyncio.to_thread(self.matches, candidate)

    def sign(self, token: str) -> str:
        mac = hmac.new(self.cookie_key, token.encode(), hashlib.sha256).hexdigest()
        return f"{token}.{mac}"

    def unsign(self, cookie: str | None) -> str | None:
        """The token of a cookie signed with this key, else None (nothing else is read)."""
        if not cookie or len(cookie) > 200 or not set(cookie) <= _TOKEN_CHARS:
            return None
        token, _, mac = cookie.rpartition(".")
        expected = hmac.new(self.cookie_key, token.encode(), hashlib.sha256).hexdigest()
        return token if token and hmac.compare_digest(mac, expected) else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInThrottle:
    """Failed sign-ins per address in the last `window` seconds; `limit` of them and the
    address waits until the oldest leaves the window. At most `max_addresses` are tracked
    (the oldest dropped first), so no flood of addresses grows it without bound."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 60.0,
        max_addresses: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_addresses = limit, window, max_addresses
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str) -> float:
        """Seconds this address must wait before its next try; 0 when it may try now."""
        failures = self._failures.get(address)
        if failures is None:
            return 0.0
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window - now)

    def failed(self, address: str) -> None:
        failures = self._failures.pop(address, None) or deque(maxlen=self.limit)
        failures.append(self.clock())
        self._failures[address] = failures
        while len(self._failures) > self.max_addresses:
            self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


def client_address(request: web.Request) -> str:
    return (request.remote or "unknown")[:64]


@dataclass(frozen=True)
class SignedIn:
    """What the middleware puts on a signed-in request (`session_of`)."""

    session: WebSession
    token_hash: str


SIGNED_IN: web.RequestKey[SignedIn] = web.RequestKey("k8stip_signed_in", SignedIn)


def session_of(request: web.Request) -> SignedIn:
    return request[SIGNED_IN]


def see_other(location: str) -> web.Response:
    """A 303 to `location`: after a form, the browser GETs the next page."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def cookie_secure(request: web.Request) -> bool:
    configured = context(request).settings.secure_cookie
    return request.secure if configured is None else configured


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=cookie_secure(request),
    )


# Paths a browser that has not signed in may open: the sign-in page, nothing else.
PUBLIC_PATHS = frozenset({"/login"})


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Cache-Control": "no-store"})


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every path but `/login` needs a signed-in session, and every POST its CSRF token."""
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    ctx = context(request)
    token = ctx.password.unsign(request.cookies.get(SESSION_COOKIE))
    session = None
    if token is not None:
        digest = token_hash(token)
        try:
            session = await ctx.db(ctx.store.web_session, digest, ctx.clock())
        except Exception:  # a signed cookie: the database is down, not the browser hostile
            return _plain(503, "The database cannot be reached; try again in a minute.")
    if session is None:
        if request.method in ("GET", "HEAD"):
            return see_other(_login_location(request))
        return _plain(403, "Sign in first: open /login.")
    # Signed in from here (a bad body's error page shows the console's own header); the
    # handler still runs only with the form's CSRF token.
    request[SIGNED_IN] = SignedIn(session, digest)
    if request.method not in ("GET", "HEAD"):
        form = await read_form(request)  # a body that is no form: a 400 page (errors.py)
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
            return _plain(403, "This form has expired; reload the page and try again.")
    return await handler(request)


def _login_location(request: web.Request) -> str:
    """`/login`, with the page asked for to return to after signing in (same site only)."""
    path = request.rel_url.path
    if path in ("", "/") or not path.startswith("/") or path.startswith("//"):
        return "/login"
    return str(URL("/login").with_query(next=request.rel_url.path_qs[:500]))


def safe_next(value: object) -> str:
    """Where to go after signing in: a path on this site, else the overview."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return value[:500]


def session_lifetime(request: web.Request) -> timedelta:
    return timedelta(hours=context(request).settings.session_hours)
