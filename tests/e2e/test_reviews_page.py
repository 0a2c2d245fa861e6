"""End-to-end: a consultant uploads the Czech review export on the Reviews & audits page of the demo, reads the import
report and the reply KPIs per branch and platform, imports the later, overlapping export (only the new and changed
reviews count), and opens the heatmap of the reviews' stars from the link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.serving import wait_for, wait_settled
from workbench.repos.datasets import SAMPLE_FOLDER

pytestmark = pytest.mark.e2e

SAMPLE = SAMPLE_FOLDER / "reviews-cs-cp1250.csv"
LATER = Path(__file__).parents[1] / "data" / "reviews-cs-later.csv"
NODE_LABEL = (
    "(key) => window.cy && window.cy.getElementById(key).length ? window.cy.getElementById(key).data('label') : ''"
)


def upload(page, path) -> None:
    page.set_input_files("#rv-upload input[type=file]", str(path))
    expect(page.locator("#rv-file")).to_have_text(path.name)
    page.click("#rv-import")


def test_the_czech_export_is_imported_with_its_reply_kpis_and_stars_on_the_heatmap(demo_server, page, screenshot):
    page.set_viewport_size({"width": 1500, "height": 1300})
    page.goto(demo_server.at("/sources"))
    expect(page.locator("#rv-default")).to_have_value("pickup-point", timeout=30_000)  # the branch visit suggested
    page.fill("#rv-name", "Recenze 2026")
    upload(page, SAMPLE)
    counts = page.locator("#rv-counts")
    expect(counts).to_have_text(
        "120 reviews read · 120 new reviews · 0 reviews updated · 0 reviews already there · 0 rows refused",
        timeout=30_000,
    )
    expect(page.locator("#rv-report")).to_contain_text("Saved as Recenze 2026 · v1: 120 reviews.")
    expect(page.locator("#rv-dataset option:checked")).to_have_text("Recenze 2026 · v1")
    branches = page.locator("#rv-branches")
    expect(branches).to_contain_text("Ostrava-Poruba", timeout=30_000)
    for branch in ("Praha-Smíchov", "Praha-Karlín", "Brno-Líšeň", "Olomouc"):
        expect(branches).to_contain_text(branch)
    expect(branches.locator("tbody tr")).to_have_count(5)
    expect(branches.locator("tbody tr").first).to_contain_text("◌")  # under 30 reviews: flagged
    expect(page.locator("#rv-kpis")).to_contain_text("◌ fewer than 30 reviews")
    platforms = page.locator("#rv-platforms")
    expect(platforms.locator("tbody tr")).to_have_count(2)
    expect(platforms).to_contain_text("Google")
    expect(platforms).to_contain_text("Facebook")
    wait_settled(page)
    screenshot(page, "reviews-tab")

    upload(page, LATER)
    expect(counts).to_have_text(
        "75 reviews read · 15 new reviews · 2 reviews updated · 58 reviews already there · 0 rows refused",
        timeout=30_000,
    )
    expect(page.locator("#rv-report")).to_contain_text("Saved as Recenze 2026 · v2: 135 reviews.")
    expect(page.locator("#rv-dataset option:checked")).to_have_text("Recenze 2026 · v2")
    expect(page.locator("#rv-heatmap")).to_have_attribute(
        "href", re.compile(r"dataset=" + page.locator("#rv-dataset").input_value())
    )
    href = page.locator("#rv-heatmap").get_attribute("href")
    assert "metric=stars" in href and "dataset=" in href, href
    page.click("#rv-heatmap")
    expect(page.locator("#hm-dataset")).to_have_value(href.split("dataset=")[1].split("&")[0], timeout=30_000)
    page.locator("#hm-window").select_option("all")
    wait_for(page, f"({NODE_LABEL})('pickup-point').includes('±')", timeout=60_000)
    wait_settled(page)
    label = page.evaluate(f"({NODE_LABEL})('pickup-point')")
    assert "n 135" in re.sub(r"\s", " ", label), label  # every review of the branch visit, both exports
    screenshot(page, "reviews-heatmap-stars")
    assert not page.errors, page.errors
