"""End-to-end: from a comment on the Comments page to its customer's card (issue 25), a search on the Customers page,
and the ROI page's repeat-purchase card on the demo."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.serving import wait_settled

pytestmark = pytest.mark.e2e


def test_a_comment_s_customer_card_holds_that_comment(demo_server, page, screenshot):
    page.goto(demo_server.at("/comments"))
    link = page.locator("#cm-grid a.cm-customer-link").first
    expect(link).to_be_visible(timeout=30_000)
    row = link.locator("xpath=ancestor::div[@role='row']")
    comment = row.locator("[col-id=comment]").inner_text().strip()
    customer = link.get_attribute("href").rsplit("id=", 1)[1]
    link.click()
    page.wait_for_url("**/customer?**")
    expect(page.locator("#cu-card-id")).to_have_text(customer, timeout=30_000)
    expect(page.locator("#cu-timeline .cu-comment", has_text=comment).first).to_be_visible()
    expect(page.locator("#cu-latest .cu-score").first).to_be_visible()
    wait_settled(page)
    screenshot(page, "customer-card-from-comment")
    assert not page.errors

    # The search finds them by a part of their id and opens the card from the list.
    page.fill("#cu-search", customer[:-1])
    page.keyboard.press("Enter")
    found = page.locator("#cu-result-list .cu-result", has_text=customer)
    expect(found).to_be_visible(timeout=30_000)
    found.click()
    expect(page.locator("#cu-card-id")).to_have_text(customer, timeout=30_000)
    screenshot(page, "customer-search")

    page.goto(demo_server.at("/customer?id=nobody%3Cb%3E"))
    expect(page.locator("#cu-card")).to_contain_text("No customer “nobody<b>”", timeout=30_000)
    assert not page.errors


def test_the_roi_page_links_a_score_to_repeat_purchases(demo_server, page, screenshot):
    page.goto(demo_server.at("/roi"))
    card = page.locator("#roi-repeat")
    expect(card.locator("#roi-rp-text")).to_contain_text("An association, not an effect", timeout=60_000)
    expect(card.locator("#roi-rp-text")).to_contain_text("Promoters (9–10)")
    page.select_option("#roi-rp-touchpoint", label="Checkout")
    page.select_option("#roi-rp-metric", "csat")
    expect(card.locator("#roi-rp-title")).to_have_text("Score after Checkout → repeat purchase", timeout=30_000)
    expect(card.locator("#roi-rp-text")).to_contain_text("Top box (4–5)", timeout=30_000)
    card.scroll_into_view_if_needed()
    wait_settled(page)
    screenshot(page, "roi-repeat-purchases")
    assert not page.errors
