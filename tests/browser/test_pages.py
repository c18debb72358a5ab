"""The Overview, Tips and Review pages in a real browser: the overview chart, opening a
channel from the overview, finding and opening a tip, and approving a suggestion."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import shoot
from tests.browser.console_world import HOSTILE, HOSTILE_ID, World


def test_the_overview_shows_the_deliveries_chart(signed_in: Page, artifacts: Path) -> None:
    page = signed_in
    chart = page.locator("main svg").first
    expect(chart).to_be_visible()
    # Its first <title> names the whole chart; each bar carries its own (a day and a count).
    expect(chart.locator("> title")).to_contain_text("Deliveries")
    assert chart.locator("rect title").count() >= 20  # 30 days, most with deliveries
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    expect(page.get_by_text("paused by U9").first).to_be_visible()
    shoot(page, artifacts, "overview")


def test_a_channel_opens_from_the_overview(signed_in: Page, world: World) -> None:
    page = signed_in
    page.locator(f'main a[href="/channel/{world.community.id}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/channel/{world.community.id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel daily-k8s")


def test_a_tip_is_found_and_opened_with_its_text_inert(
    signed_in: Page, world: World, artifacts: Path
) -> None:
    page = signed_in
    page.get_by_role("navigation").get_by_role("link", name="Tips").click()
    expect(page).to_have_url(re.compile(r"/tips$"))
    shoot(page, artifacts, "tips")
    search = page.locator('input[name="q"]')
    search.fill("pwned")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/tips\?.*q=pwned"))
    expect(page.get_by_text(HOSTILE).first).to_be_visible()  # in the results, as text
    assert page.evaluate("typeof window.pwned") == "undefined"
    page.locator(f'a[href="/tips/{HOSTILE_ID}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/tips/{HOSTILE_ID}$"))
    expect(page.get_by_text(HOSTILE).first).to_be_visible()
    assert page.evaluate("typeof window.pwned") == "undefined"
    shoot(page, artifacts, "tip")


def test_a_pending_suggestion_is_approved(signed_in: Page, world: World, artifacts: Path) -> None:
    page = signed_in
    page.get_by_role("navigation").get_by_role("link", name="Review").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    suggestion = world.store.suggestion(world.suggestion_id)
    assert suggestion is not None
    pending = page.locator("section, tr, li, article", has_text=suggestion.text).last
    expect(pending).to_be_visible()
    shoot(page, artifacts, "review")
    pending.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved #{world.suggestion_id}")
    decided = world.store.suggestion(world.suggestion_id)
    assert decided is not None and decided.status == "approved"
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    shoot(page, artifacts, "review-approved")
