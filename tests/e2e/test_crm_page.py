"""End-to-end: on the demo, the CRM lists page runs the "Detractors in the last 30 days" preset and downloads the
list as CSV with the CRM's columns."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.serving import wait_settled

pytestmark = pytest.mark.e2e


def test_run_the_detractors_preset_and_download_its_csv(demo_server, page, screenshot):
    page.goto(demo_server.at("/crm"))
    rule = page.locator("#crm-rule")
    expect(rule.locator("option", has_text="Detractors in the last 30 days")).to_have_count(1, timeout=30_000)
    value = rule.locator("option", has_text="Detractors in the last 30 days").get_attribute("value")
    rule.select_option(value)
    expect(page.locator("#crm-name")).to_have_value("Detractors in the last 30 days", timeout=20_000)
    wait_settled(page)
    page.click("#crm-run")
    expect(page.locator("#crm-summary")).to_contain_text("customers match", timeout=60_000)
    expect(page.locator("#crm-table tbody tr").first).to_be_visible()
    rows = page.locator("#crm-table tbody tr").count()
    assert 1 <= rows <= 50
    screenshot(page, "crm-detractors")
    with page.expect_download(timeout=60_000) as info:
        page.click("#crm-csv")
    download = info.value
    assert download.suggested_filename == "detractors-in-the-last-30-days.csv"
    found = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    header, first = found[0], found[1]
    assert header[:1] == ["customer_id"] and {"score", "date", "touchpoint", "comment", "matched"} <= set(header)
    row = dict(zip(header, first, strict=True))
    assert row["customer_id"].startswith("C") and 0 <= float(row["score"]) <= 6
    assert row["touchpoint"] == "Overall" and "detractors" in row["matched"]
    summary = page.locator("#crm-summary").inner_text()
    assert summary.startswith(f"{len(found) - 1:,}".replace(",", "\u00a0") + " customer") or str(len(found) - 1) in (
        summary.replace("\u00a0", "").replace(" ", "")
    )


def test_save_an_opportunity_rule_with_edited_thresholds_and_see_its_cards(demo_server, page, screenshot):
    page.goto(demo_server.at("/crm"))
    rule = page.locator("#crm-rule")
    preset = rule.locator("option", has_text="Opportunity: happy customer with few products")
    expect(preset).to_have_count(1, timeout=30_000)
    rule.select_option(preset.get_attribute("value"))
    expect(page.locator("#crm-thresholds")).to_have_value("products <= 1", timeout=20_000)
    wait_settled(page)
    page.fill("#crm-name", "Happy single-product customers this week")
    page.fill("#crm-days", "3")
    page.fill("#crm-thresholds", "products <= 1\nrevenue >= 2000")
    page.click("#crm-save-new")
    expect(page.locator("#crm-message")).to_contain_text("Saved “Happy single-product customers this week”")
    expect(rule).to_contain_text("Happy single-product customers this week · Opportunity task", timeout=20_000)
    wait_settled(page)
    page.click("#crm-run")
    summary = page.locator("#crm-summary")
    expect(summary).to_contain_text("new card", timeout=60_000)
    expect(summary).to_contain_text("revenue ≥ 2")
    cards = page.locator("#crm-result li a")
    expect(cards.first).to_have_attribute("href", re.compile(r"^/actions\?card=\d+$"))
    assert cards.count() == int(re.search(r"(\d+) new cards?", summary.inner_text()).group(1))
    expect(page.locator("#crm-last-run")).to_contain_text("Last run")
    screenshot(page, "crm-opportunity-cards")
    page.click("#crm-run")  # again: no second card for the same customers
    expect(summary).to_contain_text("0 new cards", timeout=60_000)
