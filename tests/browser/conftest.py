"""Fixtures of the browser tests: Debian's Chromium driven by Playwright (nothing is
downloaded at test time), the seeded console it opens (`console_world`), a fresh browser
context per test, and screenshots of the pages it saw under `test-artifacts/` (not committed).

Without /usr/bin/chromium these tests fail, saying how to install it: a skipped browser
suite would let a broken page pass CI unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.console_world import PASSWORD, World, serve_world

CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = (
    "The browser tests drive Debian's Chromium at {path}, which is not installed: "
    "run `apt-get install chromium` (as root; .ci/run does this in CI)."
)


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serve_world(tmp_path_factory.mktemp("browser-world")) as served:
        yield served


def require_chromium(path: Path = CHROMIUM) -> Path:
    """`path`, or a failed test that says how to install Chromium."""
    if not path.is_file():
        pytest.fail(MISSING_CHROMIUM.format(path=path), pytrace=False)
    return path


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            # Containers and CI runners often lack the user namespaces Chromium's sandbox needs.
            args=["--no-sandbox"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, world: World) -> Iterator[Page]:
    """A fresh browser (no cookies) at the console; every test's own."""
    context = browser.new_context(base_url=world.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def signed_in(page: Page) -> Page:
    sign_in(page)
    return page


@pytest.fixture(scope="package")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = pytestconfig.rootpath / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


def sign_in(page: Page, name: str = "Ana", password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form as a person would."""
    page.goto("/login")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def shoot(page: Page, artifacts: Path, name: str) -> Path:
    """A full-page screenshot of what the browser shows now, as test-artifacts/NAME.png."""
    path = artifacts / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
