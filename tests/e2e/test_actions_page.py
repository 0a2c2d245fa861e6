"""End-to-end: the team plans actions on the kanban, creates them from a break, checks an effect, and two windows
editing one card never overwrite each other."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_heatmap_page import NODE_LABEL, open_heatmap
from tests.serving import wait_for, wait_settled
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e


def titles(page, status: str) -> list[str]:
    """The cards of a column in the order shown (AG Grid's DOM order is not its visual order)."""
    # Read in one step: row by row, a redraw between listing the rows and reading one (a filter just clicked)
    # left a locator to a row that was gone, and the read waited 30 s for it.
    found = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].map((row) => [
            Number(row.getAttribute("row-index")), row.querySelector(".cx-card-title")?.innerText ?? ""])""",
        f"#act-grid-{status} .ag-center-cols-container .ag-row",
    )
    return [title for _index, title in sorted((index, title) for index, title in found)]


def assert_titles(page, status: str, expected: list[str], timeout: float = 15) -> None:
    """Wait until a column shows exactly ``expected`` (the grid redraws after the server stored the move)."""
    deadline = time.monotonic() + timeout
    while titles(page, status) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert titles(page, status) == expected


def card(page, status: str, title: str):
    return page.locator(f"#act-grid-{status} .ag-center-cols-container .ag-row", has_text=title)


def drag(page, source, target, offset: float = 10) -> None:
    """Press on a card, move the mouse in steps as a hand would, and release over ``target`` (+ offset px)."""
    start, end = source.bounding_box(), target.bounding_box()
    x0, y0, x1, y1 = start["x"] + 60, start["y"] + 20, end["x"] + 60, end["y"] + offset
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * step / 20, y0 + (y1 - y0) * step / 20)
        time.sleep(0.02)
    page.mouse.up()


def open_board(page, server) -> None:
    page.goto(server.at("/actions"))
    expect(card(page, "done", "Pilot")).to_be_visible(timeout=30_000)
    wait_settled(page)


def test_cards_are_dragged_across_and_within_columns_and_stay_there(demo_server, page, screenshot):
    open_board(page, demo_server)
    assert_titles(page, "planned", ["Shorter checkout form"])
    expect(page.locator("#act-count-backlog")).to_have_text("2")
    expect(page.locator("#act-cost-backlog")).to_have_text("Σ 65\u202f000")

    drag(page, card(page, "backlog", "Refund within 3 days"), card(page, "planned", "Shorter checkout form"))
    expect(card(page, "planned", "Refund within 3 days")).to_be_visible()
    assert_titles(page, "planned", ["Refund within 3 days", "Shorter checkout form"])
    assert_titles(page, "backlog", ["Photos of the parcel at the door"])
    expect(page.locator("#act-cost-planned")).to_have_text("Σ 85\u202f000")

    drag(page, card(page, "planned", "Refund within 3 days"), card(page, "planned", "Shorter checkout form"), 60)
    wait_for(page, "() => document.querySelector('#act-grid-planned .ag-row[row-index=\"0\"]')"
                           ".innerText.includes('Shorter')")
    page.reload()
    expect(card(page, "planned", "Refund within 3 days")).to_be_visible(timeout=30_000)
    assert_titles(page, "planned", ["Shorter checkout form", "Refund within 3 days"])
    assert not page.locator("#act-message").is_visible()
    screenshot(page, "actions-board")

    # The same move without a mouse: open the card, press the buttons (keyboard-focusable).
    card(page, "planned", "Refund within 3 days").locator(".cx-card").click()
    expect(page.locator("#act-f-status")).to_have_text("Planned")
    moves = page.locator("#act-history li", has_text="Moved within Planned")
    before = moves.count()
    page.focus("#act-up")
    page.keyboard.press("Enter")
    expect(moves).to_have_count(before + 1)
    page.click("#act-right")
    expect(page.locator("#act-f-status")).to_have_text("In progress")
    page.keyboard.press("Escape")
    expect(card(page, "in_progress", "Refund within 3 days")).to_be_visible()

    page.click("label:text-is('Overdue only')")
    expect(page.locator("#act-count-in_progress")).to_have_text("1")
    assert_titles(page, "in_progress", [next(t for t in titles(page, "in_progress") if t.startswith("Coaching"))])
    assert_titles(page, "planned", [])
    assert not page.errors


def test_an_action_from_a_break_and_the_check_of_a_done_one(demo_server, page, screenshot):
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_heatmap(page, demo_server)
    assert "⚑ 2 open actions" in page.evaluate(f"({NODE_LABEL})('own-courier')")
    first = page.locator("#hm-break-list .list-group-item").first
    first.locator("a.cx-new-action").click()

    expect(page.locator("#act-f-title")).to_have_value("Fix Own courier delivery (region Jižní Morava)",
                                                       timeout=30_000)
    expect(page.locator("#act-f-origin")).to_contain_text("Break")
    expect(page.locator("#act-f-owner")).to_contain_text("Own courier fleet")
    page.fill("#act-f-cost", "12000")
    page.click("#act-save")
    expect(card(page, "backlog", "Fix Own courier delivery")).to_contain_text("Own courier fleet")
    expect(card(page, "backlog", "Fix Own courier delivery")).to_contain_text("12\u202f000")

    for _attempt in range(2):  # a refused drag can be tried again: the second drop is reported too
        drag(page, card(page, "done", "Pilot"), page.locator("#act-grid-verified .ag-body-viewport"), 40)
        expect(page.locator("#act-message")).to_contain_text("a card moves to Verified only with a before/after")
        page.locator("#act-message .btn-close").click()
        expect(page.locator("#act-message")).to_be_hidden()
    assert_titles(page, "done", [next(t for t in titles(page, "done") if t.startswith("Pilot"))])

    card(page, "done", "Pilot").locator(".cx-card").click()
    expect(page.locator("#act-check")).to_be_visible()
    page.click("#act-right")
    expect(page.locator("#act-editor-message")).to_contain_text("Check the effect first")
    page.click("#act-check")
    expect(page.locator("#act-verdict")).to_have_text("improved", timeout=30_000)
    expect(page.locator("#act-verdict-sentence")).to_contain_text("elsewhere: an effect of +0.")
    expect(page.locator("#act-verdict-detail")).to_contain_text("Answers clustered by branch (")
    expect(page.locator("#act-verdict-detail")).to_contain_text("design effect")
    screenshot(page, "actions-check")
    page.click("#act-right")
    expect(page.locator("#act-f-status")).to_have_text("Verified")
    expect(page.locator("#act-history")).to_contain_text("Checked the effect: improved")
    page.keyboard.press("Escape")
    expect(card(page, "verified", "Pilot")).to_contain_text("improved (+0.")

    open_heatmap(page, demo_server)
    assert "⚑ 3 open actions" in page.evaluate(f"({NODE_LABEL})('own-courier')")
    assert not page.errors


def test_two_windows_editing_one_card_get_a_conflict_not_a_silent_overwrite(demo_server, browser):
    first, second = (browser.new_context(viewport={"width": 1500, "height": 900}).new_page() for _ in range(2))
    for page, user in ((first, "Window one"), (second, "Window two")):
        open_board(page, demo_server)
        page.fill("#act-user", user)
        page.keyboard.press("Enter")
        card(page, "planned", "Shorter checkout form").locator(".cx-card").click()
        expect(page.locator("#act-f-cost")).to_have_value("60000")

    first.fill("#act-f-cost", "75000")
    first.click("#act-save")
    expect(card(first, "planned", "Shorter checkout form")).to_contain_text("75\u202f000")

    second.fill("#act-f-title", "Checkout in one step")
    second.click("#act-save")
    message = second.locator("#act-editor-message")
    expect(message).to_contain_text("changed in another window or tab (Window one")
    expect(message).to_contain_text("your change was not applied")
    expect(message).to_contain_text("Not saved: title “Checkout in one step”")  # what the user typed is kept
    expect(second.locator("#act-f-cost")).to_have_value("75000")  # the editor now shows the latest version

    with open_workspace(demo_server.workspace) as workspace:
        [stored] = [a for a in workspace.actions.list(workspace.projects()[0].id) if a.status == "planned"]
        assert (stored.title, stored.cost) == ("Shorter checkout form", 75_000)
        assert workspace.actions.history(stored.id)[0].who == "Window one"

    second.fill("#act-f-title", "Checkout in one step")
    second.click("#act-save")
    expect(card(second, "planned", "Checkout in one step")).to_contain_text("75\u202f000")
    for page in (first, second):
        page.context.close()
