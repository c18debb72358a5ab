"""The Channel page in a real browser: pause and resume with its buttons, and the status the
page shows after each."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import shoot
from tests.browser.console_world import World


def status_of(page: Page) -> str:
    row = page.locator("table.facts tr", has=page.locator("th", has_text="Status"))
    return " ".join(row.locator("td").inner_text().split())


def test_pause_then_resume_with_the_buttons(signed_in: Page, world: World, artifacts: Path) -> None:
    page = signed_in
    page.goto(f"/channel/{world.community.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Channel daily-k8s")
    assert status_of(page) == "Active"
    shoot(page, artifacts, "channel")

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("Paused.")
    assert status_of(page) == "Paused: paused by Ana"
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    shoot(page, artifacts, "channel-paused")
    paused = world.store.get_subscription_by_id(world.community.id)
    assert paused is not None and paused.paused

    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text("Resumed.")
    assert status_of(page) == "Active"
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    resumed = world.store.get_subscription_by_id(world.community.id)
    assert resumed is not None and not resumed.paused


def test_an_unknown_channel_says_so_with_a_way_back(signed_in: Page) -> None:
    response = signed_in.goto("/channel/987654")
    assert response is not None and response.status == 404
    expect(signed_in.get_by_text("No such channel")).to_be_visible()
    signed_in.get_by_role("link", name="Back to the Overview").click()
    expect(signed_in.get_by_role("heading", level=1)).to_have_text("Overview")
