"""End-to-end: a consultant fills the journey map in a workshop — personas, lanes, the measured curve, an action card
from an opportunity, a to-be version compared with the as-is — in headless Chromium on the demo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.serving import wait_for, wait_settled
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e


def open_map(page, server) -> None:
    page.goto(server.at("/map"))
    page.wait_for_selector(".jm-table")
    wait_settled(page)


def test_a_workshop_fills_the_journey_map(demo_server, page, screenshot):
    page.set_viewport_size({"width": 1366, "height": 768})
    open_map(page, demo_server)
    expect(page.locator(".jm-table .jm-stage").first).to_be_visible()

    # A persona for business customers, its rule on the survey's customer_type column.
    page.fill("#jm-persona-name", "Small business <b>owner</b>")
    page.fill("#jm-persona-description", "Ships 20 parcels a week")
    page.fill("#jm-persona-rule", "customer_type = business")
    page.click("#jm-persona-save")
    expect(page.locator("#jm-personas")).to_contain_text("Small business <b>owner</b>")
    expect(page.locator("#jm-personas")).to_contain_text("customer_type = business")

    # The curve: everyone, then the persona beside it.
    wait_for(page, "() => document.querySelectorAll('#jm-curve .scatterlayer .trace').length >= 3")
    page.get_by_label("Small business <b>owner</b>", exact=True).check()
    wait_for(page, "() => [...document.querySelectorAll('#jm-curve .legendtext')].some("
                   "(e) => e.textContent === 'Small business <b>owner</b>')")

    # Lanes of the first touchpoint, and a lane of our own.
    page.fill("#jm-lane-name", "Systems")
    page.click("#jm-lane-add")
    expect(page.locator(".jm-table")).to_contain_text("Systems")
    first = page.locator(".jm-tp").first
    name = first.inner_text()
    first.click()
    expect(page.locator("#jm-lanes-modal")).to_be_visible()
    expect(page.locator("#jm-lanes-title")).to_have_text(name)
    page.fill("#jm-l-does", "Searches for a courier")
    page.fill("#jm-l-feels", "Unsure <script>alert(1)</script>")
    page.fill("#jm-l-pains", "Prices are hidden\nNo delivery date")
    page.fill("#jm-l-opportunities", "Show the delivery day up front")
    page.fill("#jm-l-backstage", "Marketing: price list on the web")
    page.locator("#jm-l-custom div:has(label:text-is('Systems')) textarea").fill("CMS")
    page.click("#jm-lanes-save")
    expect(page.locator("#jm-lanes-modal")).to_be_hidden()
    table = page.locator(".jm-table")
    expect(table).to_contain_text("No delivery date")
    expect(table).to_contain_text("Unsure <script>alert(1)</script>")
    expect(table).to_contain_text("Marketing: price list on the web")
    expect(table).to_contain_text("CMS")
    screenshot(page, "journey-map-lanes")

    # An opportunity becomes an action card with one click.
    page.locator('[id*="jm-opportunity"]').first.click()
    expect(page.locator("#jm-message")).to_contain_text("Show the delivery day up front")

    # A to-be version, changed and compared with the as-is.
    as_is_name = page.locator("#jm-journey").evaluate("(e) => e.selectedOptions[0].text")
    page.fill("#jm-tobe-name", "Delivery to-be")
    page.click("#jm-tobe")
    expect(page.locator("#jm-message")).to_contain_text("to-be version is created")
    wait_for(page, "() => document.querySelector('#jm-journey').selectedOptions[0]?.text === 'Delivery to-be'")
    wait_settled(page)
    expect(page.get_by_label("to-be", exact=True)).to_be_checked()
    page.locator(".jm-tp").nth(1).click()
    expect(page.locator("#jm-lanes-modal")).to_be_visible()
    page.fill("#jm-l-pains", "Nobody answers the phone")
    page.click("#jm-lanes-save")
    expect(page.locator(".jm-table")).to_contain_text("Nobody answers the phone")
    page.click("#jm-compare")
    expect(page.locator("#jm-comparison .jm-changed")).to_contain_text("lanes")
    changed = page.locator(".jm-tp").nth(1)
    expect(changed).to_have_class(re.compile(r"jm-tp-changed"))  # the grid marks the change too
    screenshot(page, "journey-map-compare")
    page.locator("#jm-comparison .jm-changed button").click()  # a card to make the change happen
    expect(page.locator("#jm-message")).to_contain_text("To-be: " + changed.inner_text())

    # The persona filters the heatmap as its segment rule does.
    page.goto(demo_server.at("/heatmap"))
    page.wait_for_selector("#hm-summary")
    wait_settled(page)
    page.select_option("#hm-journey", label=as_is_name)
    wait_settled(page)
    page.click("#hm-segments")
    page.locator("[role=option]", has_text="Persona: Small business <b>owner</b>").click()
    page.keyboard.press("Escape")
    expect(page.locator("#hm-summary")).to_contain_text("customer_type business", timeout=30_000)
    assert page.errors == []

    workspace = open_workspace(demo_server.workspace)
    try:
        project = workspace.projects()[0].id
        journeys = {j.name: j.id for j in workspace.journeys(project)}
        to_be = workspace.journey(journeys["Delivery to-be"]).journey
        as_is = workspace.journey(next(i for n, i in journeys.items() if n != "Delivery to-be")).journey
        assert (as_is.state, to_be.state, to_be.based_on) == ("as-is", "to-be", as_is.name)
        persona = next(p for p in as_is.personas if p.name == "Small business <b>owner</b>")
        assert persona.segment == {"customer_type": "business"} and persona.description == "Ships 20 parcels a week"
        first = next(t for t in as_is.touchpoints if t.name == name)
        lanes, lanes_key = first.lanes, first.key
        assert lanes.pains == ("Prices are hidden", "No delivery date") and lanes.custom["Systems"] == "CMS"
        assert lanes.backstage[0].owner == "Marketing"
        cards = {card.title: card for card in workspace.actions.list(project)}
        assert cards["Show the delivery day up front"].touchpoints == (lanes_key,)
        assert any(title.startswith("To-be: ") for title in cards)
    finally:
        workspace.close()
