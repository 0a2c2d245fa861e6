"""End-to-end: a consultant uploads the Czech mystery-shopping sample on the Reviews & audits page, reads its
compliance tables, the branch whose compliance fell and the scatter against the customers' score, then turns on the
heatmap's second layer and sees compliance beside each audited touchpoint's score."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.serving import wait_for, wait_settled
from workbench.repos.datasets import SAMPLE_FOLDER

pytestmark = pytest.mark.e2e

SAMPLE = SAMPLE_FOLDER / "mystery-shopping-cs-cp1250.csv"
MAPPING = "Výdejní místo = pickup-point\nZákaznická linka = Support chat or call\nVrácení zboží = return-request"
NODE_LABEL = "(key) => window.cy && window.cy.getElementById(key).length ? window.cy.getElementById(key).data('label') : ''"


def open_audits(page, server) -> None:
    page.goto(server.at("/sources"))
    page.get_by_role("tab", name="Mystery shopping").click()
    expect(page.locator("#au-journey option:not(:empty)")).not_to_have_count(0, timeout=30_000)


def test_the_czech_sample_is_imported_and_its_compliance_read(demo_server, page, screenshot):
    page.set_viewport_size({"width": 1500, "height": 1100})
    open_audits(page, demo_server)
    page.set_input_files("#au-upload input[type=file]", str(SAMPLE))
    expect(page.locator("#au-file")).to_have_text(SAMPLE.name)
    page.fill("#au-mapping", MAPPING)
    page.fill("#au-name", "Audits 2026")
    page.click("#au-import")
    report = page.locator("#au-report .au-imported")
    expect(report).to_contain_text("Imported as “Audits 2026” version 1.", timeout=30_000)
    expect(report).to_contain_text("40 visits, 735 checklist items kept from 760 rows")
    expect(report).to_contain_text("25 items not applicable or not rated: left out.")
    expect(report).to_contain_text("Vzhled prodejny")
    page.select_option("#au-dataset", label="Audits 2026 · v1")
    wait_settled(page)
    table = page.locator("#au-view .au-table").first
    expect(table).to_contain_text("Return request")
    expect(table).to_contain_text("Pick-up point collection")
    page.get_by_role("tab", name="By branch").click()
    branches = page.locator("#au-view .au-table:visible")
    expect(branches.locator("tr").nth(1)).to_contain_text("Brno-Líšeň")
    expect(branches.locator("tr").nth(1)).to_contain_text("71 % ◌")  # 10 visits: under the 30 a judgement needs
    expect(page.locator("#au-view .au-falling")).to_contain_text("Brno-Líšeň")
    expect(page.locator("#au-link")).to_contain_text("Across 5 branches", timeout=30_000)
    expect(page.locator("#au-scatter .scatterlayer .point")).to_have_count(5)
    screenshot(page, "audits-tab")
    page.locator("#au-scatter").scroll_into_view_if_needed()
    screenshot(page, "audits-tab-falling-and-scatter")
    assert not page.errors, page.errors


def test_a_bad_file_is_refused_naming_its_row_and_column(demo_server, page, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(SAMPLE.read_bytes().replace("ano".encode("cp1250"), "možná".encode("cp1250"), 1))
    open_audits(page, demo_server)
    page.set_input_files("#au-upload input[type=file]", str(bad))
    expect(page.locator("#au-file")).to_have_text("bad.csv")
    page.click("#au-import")
    expect(page.locator("#au-report .au-error")).to_contain_text("bad.csv, row 2, column 'Výsledek'",
                                                                   timeout=30_000)


def test_the_heatmaps_second_layer_shows_compliance_beside_the_score(demo_server, page, screenshot):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(demo_server.at("/heatmap"))
    wait_for(page, f"({NODE_LABEL})('own-courier').includes('±')", timeout=60_000)
    expect(page.locator("#hm-audits-box")).to_be_visible()
    assert "✓ audits" not in page.evaluate(f"({NODE_LABEL})('pickup-point')")
    page.locator("#hm-audits").check()
    wait_for(page, f"({NODE_LABEL})('pickup-point').includes('✓ audits')", timeout=60_000)
    wait_settled(page)
    label = page.evaluate(f"({NODE_LABEL})('pickup-point')")
    assert "%" in label and "±" in label, label
    expect(page.locator("#hm-legend")).to_contain_text("mystery-shopping compliance")
    screenshot(page, "heatmap-audit-layer")
    assert not page.errors, page.errors
