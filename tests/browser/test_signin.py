"""Signing in and out of the console in a real browser: the form, the refusals, the redirect
of a browser without a session, and a sign-out that ends the session for good."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import shoot, sign_in
from tests.browser.console_world import PASSWORD, World


def test_a_wrong_password_is_refused_with_a_message(page: Page, artifacts: Path) -> None:
    page.goto("/login")
    shoot(page, artifacts, "login")
    sign_in(page, password="not the password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Your name")).to_have_value("Ana")  # kept, to try again
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    shoot(page, artifacts, "login-wrong-password")


def test_the_right_password_reaches_the_overview(page: Page) -> None:
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_text("Signed in as Ana")).to_be_visible()


def test_a_page_opened_without_a_session_goes_to_login_and_back(page: Page, world: World) -> None:
    path = f"/channel/{world.team.id}"
    page.goto(path)
    expect(page).to_have_url(re.compile(rf"/login\?next=(/|%2F)channel(/|%2F){world.team.id}$"))
    expect(page.get_by_role("heading", name="Sign in to k8stip")).to_be_visible()
    sign_in_here(page)
    expect(page).to_have_url(re.compile(rf"{path}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel k8s-learning")


def sign_in_here(page: Page) -> None:
    """Send the sign-in form already open (keeping its `next`)."""
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_signing_out_ends_the_session_even_for_a_kept_cookie(page: Page) -> None:
    sign_in(page)
    [session] = [c for c in page.context.cookies() if c["name"] == "k8stip_session"]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    # A copy of the cookie taken before signing out opens nothing: the session is gone.
    page.context.add_cookies(
        [{"name": session["name"], "value": session["value"], "url": page.url}]
    )
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Signed in as")).to_have_count(0)
