"""End-to-end: an ROI scenario built by hand, its cost changed until ROI and its interval move, saved, reopened,
compared and downloaded; and a scenario taken from an action card."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.test_actions_page import card
from tests.serving import wait_settled

pytestmark = pytest.mark.e2e


def number(text: str) -> float:
    """A figure as the page prints it (thin-space thousands, a real minus sign) as a float."""
    return float(re.sub(r"[^\d.\-]", "", text.replace("−", "-")))


def roi_range(page) -> tuple[float, float]:
    low, high = page.locator("#roi-roi-range").inner_text().split(": ")[1].split(" to ")
    return number(low), number(high)


def pick(page, dropdown: str, name: str, attempts: int = 4) -> None:
    """Choose ``name`` in a multi-value dropdown by typing, as a user does. The options of the compare list are
    redrawn when the page has stored or opened a scenario, which closes an open menu; a user opens it again, and
    so does this (at most ``attempts`` times; on a loaded CI machine the page's first callbacks take seconds)."""
    for attempt in range(attempts):
        # The page's callbacks redraw the list while they run (seconds on a loaded machine): let them finish.
        wait_settled(page)
        page.click(dropdown)
        page.keyboard.type(name.split()[0])
        try:
            page.locator("[role=option]", has_text=name).click(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
    page.keyboard.press("Escape")  # close the menu, so the next click opens it again
    expect(page.locator(dropdown)).to_contain_text(name)


def change_input(page, touchpoint: str):
    return page.locator("#roi-changes-table tr", has_text=touchpoint).locator("input")


def test_build_a_scenario_change_its_cost_save_reopen_and_compare(demo_server, page, screenshot):
    page.goto(demo_server.at("/roi"))
    expect(page.locator("#roi-changes-table tbody tr")).to_have_count(7, timeout=30_000)
    expect(page.locator("#roi-link-sentence")).to_contain_text("Revenue rises 0.407 % per NPS point")
    page.fill("#roi-name", "Faster checkout")
    change_input(page, "Checkout").fill("0.2")
    change_input(page, "Checkout").press("Enter")
    page.fill("#roi-cost", "800000")
    page.press("#roi-cost", "Enter")
    # One callback draws the figures and the charts: the cost in the waterfall says they show this scenario.
    expect(page.locator("#roi-waterfall")).to_contain_text("−800 k", timeout=20_000)
    expect(page.locator("#roi-waterfall")).to_contain_text("Checkout")
    expect(page.locator("#roi-supported")).to_contain_text("Supported by the data")
    expect(page.locator("#roi-chance")).to_have_text(re.compile(r"^100\s%$"))
    first_roi, first_range = number(page.inner_text("#roi-roi")), roi_range(page)
    assert first_range[0] < first_roi < first_range[1]
    expect(page.locator("#roi-waterfall .waterfalllayer .point")).to_have_count(3)  # checkout, cost, NPV
    expect(page.locator("#roi-tornado .bars .point")).to_have_count(2 * 8)  # eight assumptions, low and high

    page.fill("#roi-cost", "3200000")  # four times the cost
    page.press("#roi-cost", "Enter")
    expect(page.locator("#roi-waterfall")).to_contain_text("−3.20 M", timeout=20_000)
    second_roi, second_range = number(page.inner_text("#roi-roi")), roi_range(page)
    # ROI = (gain − cost)/cost: with the same gain, 4× the cost gives (1 + ROI)/4 − 1.
    assert second_roi == pytest.approx(((1 + first_roi / 100) / 4 - 1) * 100, abs=1.5)
    assert second_range[1] < first_range[0] and second_range[1] - second_range[0] < first_range[1] - first_range[0]
    page.locator("#roi-cost").blur()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "roi")

    page.fill("#roi-user", "Eva")
    page.click("#roi-save")
    expect(page.locator("#roi-saved")).to_contain_text("Saved “Faster checkout”")
    # The save's refresh lists the scenario among the saved ones; *New* comes after it, as a person's click would.
    expect(page.locator("#roi-open option", has_text="Faster checkout")).to_have_count(1, timeout=20_000)
    page.click("#roi-new")
    expect(page.locator("#roi-name")).to_have_value("", timeout=20_000)
    expect(change_input(page, "Checkout")).to_have_value("")
    page.select_option("#roi-open", label="Faster checkout")
    expect(page.locator("#roi-name")).to_have_value("Faster checkout")
    expect(change_input(page, "Checkout")).to_have_value("0.2")
    expect(page.locator("#roi-cost")).to_have_value("3200000")
    expect(page.locator("#roi-waterfall")).to_contain_text("−3.20 M", timeout=20_000)
    expect(page.locator("#roi-waterfall")).to_contain_text("Checkout")
    assert number(page.inner_text("#roi-roi")) == pytest.approx(second_roi, abs=0.5)

    for name in ("Faster checkout", "Courier coaching"):
        pick(page, "#roi-compare-pick", name)
    table = page.locator("#roi-compare-table")
    expect(table.locator("thead th")).to_have_count(3, timeout=20_000)
    expect(table).to_contain_text("Faster checkout")
    expect(table).to_contain_text("Courier coaching, churn")
    with page.expect_download() as download:
        page.click("#roi-compare-csv")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0][1:] == ["Faster checkout", "Courier coaching, churn"]
    assert float({row[0]: row[1] for row in rows}["Cost"]) == 3_200_000
    assert not page.errors


def test_a_scenario_from_an_action_card(demo_server, page):
    page.goto(demo_server.at("/actions"))
    card(page, "planned", "Shorter checkout form").click()
    page.locator("#act-roi").click()
    expect(page).to_have_url(re.compile(r"/roi\?action=\d+"))
    expect(page.locator("#roi-name")).to_have_value("Shorter checkout form", timeout=30_000)
    expect(page.locator("#roi-message")).to_contain_text("its expected change (not verified yet)")
    expect(change_input(page, "Checkout")).to_have_value("0.2", timeout=20_000)
    expect(page.locator("#roi-cost")).to_have_value("60000")
    expect(page.locator("#roi-chance")).to_have_text(re.compile(r"\d+\s%"), timeout=20_000)
    assert not page.errors


def test_a_scenario_with_only_a_cost_is_not_shown_as_supported(demo_server, page):
    page.goto(demo_server.at("/roi"))
    expect(page.locator("#roi-changes-table tbody tr")).to_have_count(7, timeout=30_000)
    page.fill("#roi-name", "Only a cost")
    page.fill("#roi-cost", "50000")
    page.press("#roi-cost", "Enter")
    expect(page.locator("#roi-waterfall")).to_contain_text("−50.0 k", timeout=20_000)
    verdict = page.locator("#roi-supported")
    expect(verdict).to_have_text(re.compile(r"^Not supported by the data\. The scenario assumes no change of the NPS"))
    expect(verdict).to_have_class(re.compile(r"alert-danger"))
    expect(page.locator("#roi-roi")).to_have_text(re.compile(r"^−100\s%$"))
    assert not page.errors
