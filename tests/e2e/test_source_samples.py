"""End-to-end: the Reviews & audits page imports its shipped samples without a file of one's own (a consultant
trying the workbench), and the Data page lists only the samples it imports itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.serving import wait_settled

pytestmark = pytest.mark.e2e


def test_the_samples_of_reviews_and_audits_import_from_their_tabs(demo_server, page, screenshot):
    page.goto(demo_server.at("/sources"))
    expect(page.locator("#rv-default option").first).to_be_attached(timeout=30_000)
    wait_settled(page)
    page.select_option("#rv-sample", "reviews-en.json")
    page.click("#rv-import")
    expect(page.locator("#rv-counts")).to_contain_text("80 reviews read", timeout=60_000)
    expect(page.locator("#rv-counts")).to_contain_text("80 new reviews")
    screenshot(page, "sources-review-sample")

    page.locator("#so-tabs .nav-link").nth(1).click()
    expect(page.locator("#au-sample")).to_be_visible(timeout=20_000)
    page.select_option("#au-sample", "mystery-shopping-cs-cp1250.csv")
    page.fill("#au-name", "Sample audits")
    page.click("#au-import")
    expect(page.locator(".au-imported")).to_contain_text("Imported as “Sample audits” version 1", timeout=60_000)
    expect(page.locator(".au-imported")).to_contain_text("40 visits")
    screenshot(page, "sources-audit-sample")

    page.goto(demo_server.at("/data"))
    samples = page.locator("#da-sample option")
    expect(samples.first).to_be_attached(timeout=30_000)
    values = samples.evaluate_all("o => o.map(x => x.value)")
    assert not [v for v in values if v.startswith(("reviews-", "mystery-shopping-"))], values
    assert "parcel-express-answers-cp1250.csv" in values
    assert not page.errors, page.errors
