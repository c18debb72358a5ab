"""What keeps the console safe, seen from a real browser: a POST without its CSRF token is
refused, a hostile tip text stays text, the Content-Security-Policy stops any inline script,
and it still lets the page's own stylesheet in (its hash matches)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.browser.conftest import shoot
from tests.browser.console_world import HOSTILE, HOSTILE_ID, World

EXPIRED = "This form has expired; reload the page and try again."
INJECTED = "<script>window.injected = 1</script>"


def test_a_post_without_the_csrf_token_is_refused(signed_in: Page, world: World) -> None:
    response = signed_in.request.post(f"/channel/{world.team.id}/pause", form={})
    assert response.status == 403
    assert EXPIRED in response.text()
    after = world.store.get_subscription_by_id(world.team.id)
    assert after is not None and not after.paused


def test_a_form_whose_token_was_removed_is_refused(signed_in: Page, world: World) -> None:
    page = signed_in
    page.goto(f"/channel/{world.team.id}")
    pause = page.locator(f'form[action="/channel/{world.team.id}/pause"]')
    pause.locator('input[name="csrf"]').evaluate("input => input.remove()")
    pause.get_by_role("button", name="Pause").click()
    expect(page.locator("body")).to_have_text(
        "This form has expired; reload the page and try again."
    )
    after = world.store.get_subscription_by_id(world.team.id)
    assert after is not None and not after.paused


def test_a_hostile_tip_text_is_shown_as_text(
    signed_in: Page, world: World, artifacts: Path
) -> None:
    page = signed_in
    page.goto(f"/channel/{world.team.id}")
    row = page.locator("tr", has=page.get_by_role("link", name=HOSTILE_ID))
    expect(row.locator(".tip-text")).to_have_text(HOSTILE)  # `<script>` and `{{ 7*7 }}` as typed
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("main script").count() == 0
    assert "49" not in row.inner_text()
    shoot(page, artifacts, "channel-hostile-tip")


def test_the_policy_blocks_a_script_that_got_into_a_page(signed_in: Page, world: World) -> None:
    """Were a script ever to slip into a page, the browser would not run it: the page's
    Content-Security-Policy allows no script at all."""
    page = signed_in
    messages: list[str] = []
    page.on("console", lambda m: messages.append(_text(m)))

    def inject(route: Route) -> None:
        served = route.fetch()
        body = served.text().replace("</main>", f"{INJECTED}</main>")
        assert INJECTED in body
        route.fulfill(response=served, body=body)  # the console's own headers, CSP included

    page.route(f"**/channel/{world.team.id}", inject)
    page.goto(f"/channel/{world.team.id}")
    assert page.locator("main script").count() == 1  # it is in the page …
    assert page.evaluate("typeof window.injected") == "undefined"  # … and did not run
    assert any("Content Security Policy" in m for m in messages), messages


def test_the_stylesheet_is_applied_under_the_policy(signed_in: Page) -> None:
    page = signed_in
    messages: list[str] = []
    page.on("console", lambda m: messages.append(_text(m)))
    page.goto("/")
    # console.css: `header.top { background: #1d2330 }`, `body { background: #f6f7f9 }`.
    header = page.locator("header.top")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 35, 48)"
    body = page.locator("body")
    assert body.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(246, 247, 249)"
    assert not [m for m in messages if "Content Security Policy" in m]


def _text(message: ConsoleMessage) -> str:
    return message.text
