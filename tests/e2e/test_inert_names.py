"""End-to-end: names that are HTML tags show as text on the Drivers page, the heatmap's touchpoint detail and the
Comments page: no link, image or bold text comes out of a name, a segment value, a theme or a comment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import hostile
from tests.serving import Server, wait_settled

pytestmark = pytest.mark.e2e

HREFS = "() => [...document.querySelectorAll('a[href*=\"evil.example\"]')].map(a => a.getAttribute('href'))"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "ws"
    hostile.build(folder)
    server = Server(folder, demo=False)
    yield server
    server.stop()


def assert_no_markup_from_names(page) -> None:
    """No element came out of user text; our own '+ action' links carry a name only URL-encoded in their query."""
    assert all(href.startswith("/actions?") for href in page.evaluate(HREFS)), page.evaluate(HREFS)
    assert page.locator('a[href^="https://evil.example"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("b:text-is('x')").count() == 0
    # Plotly draws <a href> as an SVG link and <b> as a bold tspan; none of our charts here uses either.
    assert page.locator(".js-plotly-plot svg a, .js-plotly-plot tspan[style*='bold']").count() == 0


def test_tags_in_names_show_as_text_on_drivers_heatmap_and_comments(server, page, screenshot):
    page.goto(server.at("/drivers"))
    expect(page.locator("#dr-table tbody tr").first).to_be_visible(timeout=30_000)
    expect(page.locator("#dr-matrix .scatterlayer .point").first).to_be_attached()
    wait_settled(page)
    expect(page.locator("#dr-table")).to_contain_text(hostile.LINK)
    expect(page.locator("#dr-matrix .js-plotly-plot")).to_contain_text(hostile.LINK)  # the dot's label, as text
    expect(page.locator("#dr-bars .js-plotly-plot")).to_contain_text(hostile.LINK)  # the bar's tick label
    expect(page.locator("#dr-bars .js-plotly-plot")).to_contain_text("<img src=x onerror=alert(1)>")
    assert_no_markup_from_names(page)
    screenshot(page, "inert-drivers")

    page.goto(server.at("/heatmap"))
    first = page.locator("#hm-break-list .list-group-item").first
    expect(first).to_be_visible(timeout=30_000)
    expect(first).to_contain_text(hostile.PAYLOADS[0])
    first.click()
    expect(page.locator("#hm-detail-title")).to_have_text(hostile.hostile(8))  # own-courier's name, as typed
    breakdown = page.locator("#hm-breakdown .js-plotly-plot")
    for region in hostile.PAYLOADS:  # every region's value is a tick label of the breakdown
        expect(breakdown).to_contain_text(region)
    comments = page.locator("#hm-detail-card .hm-comment").all_inner_texts()
    assert any(text.startswith(hostile.TAGS) for text in comments), comments
    page.locator("#hm-detail-card").scroll_into_view_if_needed()
    assert_no_markup_from_names(page)
    screenshot(page, "inert-heatmap-detail")

    page.goto(server.at("/comments"))
    expect(page.locator("#cm-theme-table tbody tr").first).to_be_visible(timeout=30_000)
    expect(page.locator("#cm-theme-table")).to_contain_text(hostile.LINK)
    expect(page.locator("#cm-by-score .js-plotly-plot")).to_contain_text("<b>x</b>", timeout=20_000)
    grid = page.locator("#cm-grid .ag-center-cols-container [col-id='comment']")
    expect(grid.first).to_be_visible(timeout=20_000)
    assert any(text.startswith(hostile.TAGS) for text in grid.all_inner_texts())
    assert_no_markup_from_names(page)
    screenshot(page, "inert-comments")
    assert not page.errors
