"""Signing in to the admin web console, and what a browser that has not signed in gets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.engine import Engine
from bot.runtime.store import Store
from tests.runtime.web.web_support import Console, open_console

pytestmark = pytest.mark.both_databases


@pytest.fixture
async def console(store: Store, engine: Engine) -> AsyncIterator[Console]:
    async for c in open_console(store, engine):
        yield c


async def test_a_page_opened_without_a_session_redirects_to_login(console: Console) -> None:
    response = await console.client.get("/", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login"


async def test_the_right_password_signs_in_and_the_overview_opens(console: Console) -> None:
    assert await console.sign_in() == 303
    page = await console.client.get("/", allow_redirects=False)
    assert page.status == 200
    assert "Signed in as Ana" in await page.text()
    assert [e.action for e in console.store.recent_audit()] == ["sign-in"]


async def test_a_wrong_password_is_refused(console: Console) -> None:
    assert await console.sign_in(password="wrong password!") == 401
    page = await console.client.get("/", allow_redirects=False)
    assert page.status == 303


async def test_sign_out_ends_the_session(console: Console) -> None:
    await console.sign_in()
    token = await console.csrf()
    out = await console.client.post("/logout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/login"
    again = await console.client.get("/", allow_redirects=False)
    assert again.status == 303
    assert [e.action for e in console.store.recent_audit()] == ["sign-out", "sign-in"]


async def test_a_post_without_the_csrf_token_is_refused(console: Console) -> None:
    await console.sign_in()
    out = await console.client.post("/logout", data={}, allow_redirects=False)
    assert out.status == 403
    assert (await console.client.get("/", allow_redirects=False)).status == 200


async def test_the_inline_stylesheet_is_the_one_the_csp_hash_allows(console: Console) -> None:
    """The page carries the stylesheet byte for byte (not HTML-escaped), so the browser
    applies it: its sha256 is the one the Content-Security-Policy names."""
    import base64
    import hashlib
    import re

    response = await console.client.get("/login")
    page = await response.text()
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]
