"""End-to-end: a consultant builds a journey live in a client workshop on a 1366 × 768 laptop, from an empty
workspace: a project, an empty journey, twelve touchpoints in four stages by quick add, and extra connections by
dragging a touchpoint's handle and with the C key, in at most 40 actions (GitHub issue 24, "Fast entry")."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journey_editor import TOUCHPOINT_COUNT, node_center, wait_for_touchpoints
from tests.serving import wait_for, wait_settled
from workbench.core.quickadd import folded
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
READABLE_ZOOM = 0.75  # 12 px labels drawn at 9 px or more
WORKSHOP = """Awareness: Online ad; Marketing; web
Search result; Marketing; web
Friend's recommendation
Consideration: Product page; E-commerce team; web
Reviews; E-commerce team; web
Price comparison
Purchase: Checkout; E-commerce team; web
Payment; Payment provider; web
Order confirmation; CRM team; email
Delivery: Dispatch notice; CRM team; email
Courier delivery; Couriers; courier
Unboxing"""
CHAIN = [
    "online-ad",
    "search-result",
    "friend-s-recommendation",
    "product-page",
    "reviews",
    "price-comparison",
    "checkout",
    "payment",
    "order-confirmation",
    "dispatch-notice",
    "courier-delivery",
    "unboxing",
]


class Actions:
    """The user's actions, counted: a click, a fill, a key press or a drag is one."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def check(self, locator) -> None:
        self.count += 1
        locator.click()

    def fill(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def click_node(self, key: str) -> None:
        self.count += 1
        self.page.mouse.click(*node_center(self.page, key))

    def drag_handle(self, source: str, target: str, screenshot=None) -> None:
        """Point at the source, take the round handle at its right edge, let go over the target: one drag."""
        self.count += 1
        page = self.page
        page.mouse.move(*node_center(page, source))
        handle = page.locator("#je-connect-handle")
        expect(handle).to_be_visible()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        x, y = node_center(page, target)
        page.mouse.move(x, y, steps=12)
        expect(page.locator("#je-connect-line")).to_be_visible()
        if screenshot:
            screenshot(page, "workshop-drag-to-connect")
        page.mouse.up()
        expect(page.locator("#je-connect-line")).to_be_hidden()


def has_edge(page, source: str, target: str) -> None:
    wait_for(page, f"() => window.cy.getElementById('edge:{source}:{target}').length === 1")


def inside_viewport(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= LAPTOP["width"] and box["y"] + box["height"] <= LAPTOP["height"], (selector, box)
    return box


def test_a_workshop_journey_in_at_most_40_actions(empty_server, page, screenshot):
    page.set_viewport_size(LAPTOP)
    page.goto(empty_server.at())
    page.wait_for_selector("#je-graph")
    expect(page.locator("#je-empty")).to_contain_text("create one")
    act = Actions(page)
    started = time.monotonic()

    # A project and an empty journey in it.
    act.click("#je-project-new")
    act.fill("#je-name-input", "Klient Zářivka s.r.o.")
    act.click("#je-name-ok")
    wait_for(page, "() => document.querySelector('#je-project').selectedOptions[0]?.text === 'Klient Zářivka s.r.o.'")
    act.click("#je-journey-new")
    expect(page.locator("#je-new-modal")).to_be_visible()
    act.check(page.get_by_label("Empty", exact=True))
    act.fill("#je-new-journey-name", "Workshop: online order")
    act.click("#je-new-ok")
    wait_for(page, "() => document.querySelector('#je-journey').selectedOptions[0]?.text === 'Workshop: online order'")

    # Twelve touchpoints in four stages, typed or pasted as a list: the dialog says what will be added.
    act.click("#je-quick-open")
    expect(page.locator("#je-quick-modal")).to_be_visible()
    expect(page.locator("#je-quick-connect")).to_be_checked()
    act.fill("#je-quick-text", WORKSHOP)
    preview = page.locator("#je-quick-preview")
    expect(preview).to_contain_text("12 touchpoints in 4 stages, 4 new stages, 11 connections")
    expect(preview).to_contain_text("Online ad → Search result → Friend's recommendation → Product page →")
    screenshot(page, "workshop-quick-add-dialog")
    act.click("#je-quick-ok")
    expect(page.locator("#je-quick-modal")).to_be_hidden()
    wait_for_touchpoints(page, 12)
    wait_for(page, "() => window.cy.edges().length === 11")
    expect(page.locator("#je-message")).to_contain_text("Saved: Quick add: 12 touchpoints in 4 stages")
    wait_settled(page)

    # The map is fitted, but never so small that the labels cannot be read.
    zoom = page.evaluate("() => window.cy.zoom()")
    assert zoom >= READABLE_ZOOM - 1e-9 and 12 * zoom >= 9
    assert page.evaluate("() => window.cy.getElementById('online-ad').renderedBoundingBox().x1") > 0  # its start
    screenshot(page, "workshop-after-quick-add")

    # Two more connections by dragging a touchpoint's handle onto another one …
    act.drag_handle("online-ad", "product-page", screenshot)
    has_edge(page, "online-ad", "product-page")
    expect(page.locator("#je-message")).to_contain_text("Saved: Connect touchpoints")
    act.drag_handle("reviews", "checkout")
    has_edge(page, "reviews", "checkout")

    # … a drag let go over nothing connects nothing …
    page.mouse.move(*node_center(page, "search-result"))
    box = page.locator("#je-connect-handle").bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] - 70, steps=6)  # the band above the nodes: no touchpoint there
    page.mouse.up()
    act.count += 1

    # … and one with the keyboard: select, C, click the next touchpoint.
    act.click_node("search-result")
    wait_for(page, "() => document.querySelector('#je-tp-name').value === 'Search result'")
    act.press("c")
    expect(page.locator("#je-connect-hint")).to_be_visible()
    expect(page.locator("#je-connect-hint")).to_have_text("Click the touchpoint to connect to (Esc cancels)")
    screenshot(page, "workshop-c-key-hint")
    act.click_node("price-comparison")
    has_edge(page, "search-result", "price-comparison")
    expect(page.locator("#je-connect-hint")).to_be_hidden()
    wait_for(page, "() => window.cy.edges().length === 14")

    built = time.monotonic() - started
    print(f"\nworkshop journey: {act.count} actions, {built:.1f} s")  # the report's numbers (pytest -s)
    assert act.count <= 40

    # Esc cancels a C that was pressed by mistake.
    page.keyboard.press("c")
    expect(page.locator("#je-connect-hint")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#je-connect-hint")).to_be_hidden()

    # On the laptop's screen the panel's "Connect to" row and the Checks tab show without scrolling.
    wait_for(page, "() => document.querySelector('#je-tp-name').value === 'Price comparison'")
    inside_viewport(page, "#je-connect-target")
    inside_viewport(page, "#je-connect")
    checks = inside_viewport(page, "#je-tabs .nav-link >> nth=2")
    assert checks["height"] == pytest.approx(page.locator("#je-tabs .nav-link").first.bounding_box()["height"])
    assert page.locator("#je-tabs .nav-link").nth(2).inner_text().startswith("Checks")
    screenshot(page, "workshop-built")
    assert page.errors == []

    # What is stored: twelve touchpoints in four stages, the chain and the three connections drawn on the map.
    workspace = open_workspace(empty_server.workspace)
    try:
        project = workspace.projects()[0]
        state = workspace.journey(workspace.journeys(project.id)[0].id)
    finally:
        workspace.close()
    journey = state.journey
    assert [s.name for s in journey.stages] == ["Awareness", "Consideration", "Purchase", "Delivery"]
    assert [t.key for t in journey.touchpoints] == CHAIN
    assert {folded(t.name) for t in journey.touchpoints} == {
        folded(line.split(";")[0].split(":")[-1]) for line in WORKSHOP.splitlines()
    }
    assert [(t.key, t.stage) for t in journey.touchpoints][9:] == [
        ("dispatch-notice", "delivery"),
        ("courier-delivery", "delivery"),
        ("unboxing", "delivery"),
    ]
    assert journey.touchpoint("payment").owner == "Payment provider"
    assert {(e.source, e.target) for e in journey.edges} == {*zip(CHAIN, CHAIN[1:], strict=False)} | {
        ("online-ad", "product-page"),
        ("reviews", "checkout"),
        ("search-result", "price-comparison"),
    }
    assert state.undo_label == "Connect touchpoints"


def test_the_quick_add_dialog_names_a_wrong_line_and_adds_nothing(demo_server, page):
    page.set_viewport_size(LAPTOP)
    page.goto(demo_server.at())
    wait_for(page, f"({TOUCHPOINT_COUNT})() > 0")
    wait_settled(page)
    count = page.evaluate(TOUCHPOINT_COUNT)
    page.click("#je-quick-open")
    expect(page.locator("#je-quick-text")).to_be_focused()  # ready to type or paste into
    page.fill("#je-quick-text", "Discovery: Newsletter; Marketing; email\nDiscovery: ;Marketing\n")
    expect(page.locator("#je-quick-error")).to_have_text("Line 2: the touchpoint needs a name.")
    page.click("#je-quick-ok")
    expect(page.locator("#je-quick-error")).to_have_text("Line 2: the touchpoint needs a name.")
    expect(page.locator("#je-quick-modal")).to_be_visible()

    # Fixed: an existing stage and touchpoint are reused; the new one joins the stage's chain.
    page.fill("#je-quick-text", "discovery: Search engine result\nDiscovery: Newsletter; Marketing; email")
    expect(page.locator("#je-quick-preview")).to_contain_text(
        "2 touchpoints in 1 stage, 1 of them already in the journey, 1 connection"
    )
    expect(page.locator("#je-quick-error")).to_be_hidden()
    page.locator("#je-quick-text").press("Control+Enter")  # adds, as the Add button does
    expect(page.locator("#je-quick-modal")).to_be_hidden()
    wait_for_touchpoints(page, count + 1)
    wait_for(page, "() => window.cy.getElementById('edge:search-engine:newsletter').length === 1")
    assert page.evaluate("() => window.cy.zoom()") >= READABLE_ZOOM - 1e-9
    page.keyboard.press("Control+z")  # one undo takes the whole paste back
    wait_for_touchpoints(page, count)
    expect(page.locator("#je-message")).to_contain_text("Undone: Quick add: 2 touchpoints in 1 stage")
    assert page.errors == []
