"""While a page computes, the reader sees a spinner over the previous result, greyed, never a blank page.

Every request is held back 2.5 s by Chromium's own network emulation (DevTools' latency), so the computing state
lasts long enough to be looked at whatever the machine's speed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_data_import import CZECH_CSV, LABELS, check_file, label_select, upload

pytestmark = pytest.mark.e2e

SLOW_MS = 2_500


def _slow_network(page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": SLOW_MS, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def _kept_and_greyed(page, selector: str) -> tuple[bool, float]:
    """Whether the element is still shown, and the lowest opacity on its way up to the page."""
    return page.evaluate(
        """selector => {
            const element = document.querySelector(selector);
            if (!element) return [false, 1];
            let lowest = 1;
            for (let e = element; e; e = e.parentElement) lowest = Math.min(lowest, +getComputedStyle(e).opacity);
            return [element.checkVisibility({visibilityProperty: true}), lowest];
        }""",
        selector,
    )


@pytest.mark.parametrize(
    ("path", "ready", "change", "kept"),
    [
        (
            "/drivers",
            "#dr-priorities table tbody tr",
            lambda page: page.select_option("#dr-method", "johnson"),
            "#dr-priorities table",
        ),
        ("/leaderboards", "#lb-rows tbody tr", lambda page: page.locator("#lb-order label").nth(1).click(), "#lb-rows"),
    ],
    ids=["drivers", "leaderboards"],
)
def test_the_previous_result_stays_greyed_under_a_spinner_while_the_new_one_computes(
    demo_server, page, screenshot, path, ready, change, kept
):
    page.goto(demo_server.at(path))
    expect(page.locator(ready).first).to_be_visible(timeout=60_000)
    _slow_network(page)
    change(page)
    expect(page.locator(".dash-spinner").first).to_be_attached(timeout=SLOW_MS)
    shown, opacity = _kept_and_greyed(page, kept)
    screenshot(page, f"busy{path.replace('/', '-')}")
    assert shown and opacity < 0.6, (shown, opacity)  # the old result, readable but plainly not the new one
    expect(page.locator(".dash-spinner")).to_have_count(0, timeout=4 * SLOW_MS + 30_000)
    assert _kept_and_greyed(page, kept) == [True, 1]  # the new result, at full strength


def test_a_greyed_result_takes_no_clicks_until_the_new_one_is_there(demo_server, page):
    page.goto(demo_server.at("/leaderboards"))
    expect(page.locator("#lb-rows tbody tr").first).to_be_visible(timeout=60_000)
    _slow_network(page)
    page.locator("#lb-order label").nth(1).click()
    expect(page.locator(".dash-spinner").first).to_be_attached(timeout=SLOW_MS)
    assert page.evaluate("() => getComputedStyle(document.querySelector('#lb-rows')).pointerEvents") == "none"
    expect(page.locator(".dash-spinner")).to_have_count(0, timeout=4 * SLOW_MS + 30_000)
    assert page.evaluate("() => getComputedStyle(document.querySelector('#lb-rows')).pointerEvents") == "auto"


def test_keeping_an_import_says_so_and_takes_no_second_click(demo_server, page, screenshot):
    upload(page, demo_server, CZECH_CSV)
    for label, key in LABELS.items():
        label_select(page, label).select_option(key)
    page.fill("#da-name", "Slow import")
    check_file(page)
    importing = page.locator("#da-importing")
    expect(importing).to_be_hidden()
    _slow_network(page)
    page.click("#da-commit")
    expect(importing).to_be_visible(timeout=SLOW_MS)
    expect(importing).to_contain_text("Importing…")
    expect(page.locator("#da-commit")).to_be_disabled()
    expect(page.locator("#da-discard")).to_be_disabled()
    screenshot(page, "busy-import")
    expect(page.locator("#da-imported")).to_contain_text("“Slow import”", timeout=4 * SLOW_MS + 30_000)
    expect(importing).to_be_hidden()
