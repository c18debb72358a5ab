"""The console's server: error pages instead of aiohttp's plain text, bodies that are not
forms refused with a 400 page, one log line for a 500 and none for a 404, aiohttp's own
parse errors quieted to one line a minute, and the flash cookie's Secure flag."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.core.engine import Engine
from bot.runtime.router import Router
from bot.runtime.store import Store
from bot.runtime.web import auth
from bot.runtime.web.auth import PasswordHash
from bot.runtime.web.context import CONTEXT, WebContext
from bot.runtime.web.errors import QuietServerLog
from bot.runtime.web.forms import MAX_BODY_BYTES
from bot.runtime.web.render import FLASH_COOKIE, flash
from bot.runtime.web.server import MAX_LINE_BYTES, WebServer, build_app
from tests.fakes.clock import FakeClock
from tests.runtime.web.test_channel import text_of
from tests.runtime.web.web_support import (
    NOW,
    PASSWORD,
    Console,
    console_config,
    csrf_of,
    open_console,
)

pytestmark = pytest.mark.both_databases

FORM = "application/x-www-form-urlencoded"
HOSTILE_PATH = "/%3Cscript%3Ealert(1)%3C/script%3E%7B%7B7*7%7D%7D"


@pytest.fixture
async def console(store: Store, engine: Engine) -> AsyncIterator[Console]:
    async for c in open_console(store, engine):
        yield c


def context_for(store: Store, engine: Engine, **web_keys: object) -> WebContext:
    config = console_config(**web_keys)
    clock = FakeClock(NOW)
    router = Router(engine, store, config, clock, random.Random(7))

    async def current() -> Engine:
        return engine

    return WebContext(
        store=store,
        engine=current,
        handle=router.handle,
        settings=config.web,
        clock=clock.now,
        health=lambda: {"console": True},
        password=PasswordHash(PASSWORD),
        default_timezone=config.timezone,
    )


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---------------------------------------------------------------- error pages


async def test_an_unknown_path_is_a_404_page_of_the_console_and_logs_nothing(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await console.sign_in()
    response = await console.client.get("/no-such-page")
    assert response.status == 404
    assert response.content_type == "text/html"
    page = await response.text()
    assert "<h1>Not found</h1>" in page
    assert "Signed in as Ana" in page  # the console's own layout, not aiohttp's text
    assert '<a href="/">Back to the Overview</a>' in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert errors_logged(caplog) == []


async def test_a_hostile_unknown_path_shows_as_text_on_the_404_page(console: Console) -> None:
    await console.sign_in()
    response = await console.client.get(HOSTILE_PATH)
    assert response.status == 404
    page = await response.text()
    assert "<script>" not in page
    assert "49" not in text_of(page)  # the page's words: a CSRF token may hold "49"


async def test_an_unknown_path_without_a_session_goes_to_sign_in_and_reveals_nothing(
    console: Console,
) -> None:
    response = await console.client.get("/no-such-page", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login")


async def test_a_method_a_path_does_not_take_is_a_405_page_naming_the_allowed_ones(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await console.client.delete("/login")
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    page = await response.text()
    assert "<h1>Not allowed here</h1>" in page
    assert "does not take a DELETE request" in page
    assert '<a href="/login">Sign in</a>' in page
    assert errors_logged(caplog) == []


async def test_a_bug_is_a_500_page_and_one_log_line_without_a_traceback(
    store: Store,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    app = build_app(context_for(store, engine))

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("the store said no")

    app.router.add_get("/login/broken", broken)
    # A page that needs no sign-in, like /login, so the bug is all the test is about.
    monkeypatch.setattr(auth, "PUBLIC_PATHS", frozenset({*auth.PUBLIC_PATHS, "/login/broken"}))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get("/login/broken")
        page = await response.text()
    finally:
        await client.close()
    assert response.status == 500
    assert "<h1>Something went wrong</h1>" in page
    assert "RuntimeError" not in page and "the store said no" not in page
    logged = errors_logged(caplog)
    assert len(logged) == 1
    (line,) = logged
    assert line.levelno == logging.ERROR and line.exc_info is None
    message = line.getMessage()
    assert "\n" not in message
    assert "GET /login/broken failed: RuntimeError at test_server.py:" in message
    assert "the store said no" in message


# ---------------------------------------------------------------- bodies that are not forms


MALFORMED: dict[str, tuple[dict[str, str], bytes, str]] = {
    "not UTF-8": ({"Content-Type": FORM}, b"csrf=\xff\xfe&name=\xc3", "could not be read"),
    "unknown charset": (
        {"Content-Type": f"{FORM}; charset=no-such-charset"},
        b"csrf=x&name=Ana",
        "could not be read",
    ),
    "JSON": ({"Content-Type": "application/json"}, b'{"csrf": "x"}', "takes a form"),
    "multipart": (
        {"Content-Type": "multipart/form-data; boundary=zz"},
        b"--zz\r\nContent-Disposition: form-data; name=csrf\r\n\r\nx\r\n--zz--\r\n",
        "takes a form",
    ),
    "no type": ({}, b"csrf=x", "takes a form"),
    "huge": ({"Content-Type": FORM}, b"name=" + b"a" * (MAX_BODY_BYTES + 1), "larger than"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_body_that_is_not_a_form_is_a_400_page_at_sign_in(
    console: Console, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    headers, body, reason = MALFORMED[kind]
    await console.client.get("/login")  # the login cookie, as a browser would have it
    response = await console.client.post("/login", data=body, headers=headers)
    assert response.status == 400
    assert response.content_type == "text/html"
    assert reason in await response.text()
    assert errors_logged(caplog) == []
    assert (await console.client.get("/login")).status == 200  # and the server goes on


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_body_that_is_not_a_form_is_a_400_page_when_signed_in(
    console: Console, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    headers, body, reason = MALFORMED[kind]
    await console.sign_in()
    response = await console.client.post("/logout", data=body, headers=headers)
    assert response.status == 400
    page = await response.text()
    assert reason in page
    assert "Signed in as Ana" in page  # the session was not ended by the bad body
    assert errors_logged(caplog) == []


async def test_a_post_without_a_session_is_refused_before_its_body_is_read(
    console: Console,
) -> None:
    """Unsigned: a 403 whatever the body, so no unsigned byte reaches the form parser."""
    headers, body, _ = MALFORMED["not UTF-8"]
    response = await console.client.post("/logout", data=body, headers=headers)
    assert response.status == 403


async def test_a_form_still_signs_in(console: Console) -> None:
    page = await console.client.get("/login")
    token = csrf_of(await page.text())
    response = await console.client.post(
        "/login",
        data=f"csrf={token}&name=Ana&password={PASSWORD.replace(' ', '+')}&next=%2F",
        headers={"Content-Type": FORM},
        allow_redirects=False,
    )
    assert response.status == 303


# ---------------------------------------------------------------- aiohttp's own parse errors


async def _send_raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=10)
    finally:
        writer.close()


async def test_request_lines_past_the_limit_log_one_quiet_line_not_one_traceback_each(
    store: Store, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = WebServer(context_for(store, engine), sock=sock)
    await server.start()
    try:
        line = b"GET /" + b"a" * (MAX_LINE_BYTES + 1000) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        answers = [await _send_raw(server.port, line) for _ in range(20)]
    finally:
        await server.stop()
    assert all(a.split(b" ", 2)[1] == b"400" for a in answers), answers[0][:80]
    assert [r for r in caplog.records if r.name == "aiohttp.server"] == []
    quiet = [r for r in caplog.records if r.name == "bot.runtime.web.server"]
    assert len(quiet) == 1
    assert quiet[0].levelno == logging.WARNING and quiet[0].exc_info is None
    assert "\n" not in quiet[0].getMessage()
    assert "aaaa" not in quiet[0].getMessage()  # nothing the sender wrote


def test_the_quiet_log_passes_one_line_a_window_and_counts_the_rest() -> None:
    now = [0.0]
    quiet = QuietServerLog(window=60, clock=lambda: now[0])

    def record() -> logging.LogRecord:
        try:
            raise ValueError("hostile bytes")
        except ValueError as e:
            exc = (type(e), e, e.__traceback__)
        return logging.LogRecord("s", logging.ERROR, "f", 1, "Error %s", ("x",), exc)

    passed = [quiet.filter(record()) for _ in range(5)]
    assert passed == [True, False, False, False, False]
    now[0] = 61.0
    later = record()
    assert quiet.filter(later)
    assert "and 4 more before it" in later.getMessage()
    assert "hostile bytes" not in later.getMessage() and later.exc_info is None


# ---------------------------------------------------------------- the flash cookie


@pytest.mark.parametrize(("secure_cookie", "expected"), [(True, True), (False, False)])
def test_the_flash_cookie_follows_web_secure_cookie(
    store: Store, engine: Engine, secure_cookie: bool, expected: bool
) -> None:
    """Behind a proxy that ends TLS the request itself is plain HTTP: the setting decides."""
    app = web.Application()
    app[CONTEXT] = context_for(store, engine, secure_cookie=secure_cookie)
    request = make_mocked_request("POST", "/channel/1/pause", app=app)
    assert not request.secure
    response = web.Response()
    flash(request, response, "Paused.")
    assert bool(response.cookies[FLASH_COOKIE]["secure"]) is expected
