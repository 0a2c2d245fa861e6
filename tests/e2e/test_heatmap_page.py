"""End-to-end: a manager reads the journey heatmap, its breaks, a touchpoint's detail and the segment matrix."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.serving import SETTLED, Server, copy_workspace, wait_for, wait_settled

pytestmark = pytest.mark.e2e

NODE_LABEL = "(key) => window.cy && window.cy.getElementById(key).length ? window.cy.getElementById(key).data('label') : ''"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_folder):
    """One demo workspace for the module: the heatmap only reads, so the tests can share it."""
    server = Server(copy_workspace(demo_folder, tmp_path_factory.mktemp("heatmap") / "ws"), demo=True)
    yield server
    server.stop()


def open_heatmap(page, server) -> None:
    page.goto(server.at("/heatmap"))
    expect(page.locator("#hm-break-list .list-group-item").first).to_be_visible(timeout=30_000)
    wait_for(page, f"({NODE_LABEL})('own-courier').includes('±')")
    wait_settled(page)


def node_label(page, key: str) -> str:
    return page.evaluate(f"({NODE_LABEL})({key!r})")


def tap(page, key: str) -> None:
    """Click a touchpoint where it is drawn on the screen."""
    box = page.locator("#hm-graph").bounding_box()
    pos = page.evaluate(f"() => window.cy.getElementById({key!r}).renderedPosition()")
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])


def choose_segment(page, dropdown: str, option: str) -> None:
    """Open a dropdown, search for the option and pick it."""
    page.click(dropdown)
    page.keyboard.type(option.split(": ")[-1])
    page.locator("[role=option]", has_text=option).click()
    page.keyboard.press("Escape")


def test_the_planted_break_is_on_top_and_leads_to_its_trend(demo, page, screenshot):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_heatmap(page, demo)
    first = page.locator("#hm-break-list .list-group-item").first
    expect(first).to_contain_text("Own courier delivery")
    expect(first).to_contain_text("region Jižní Morava")
    expect(first).to_contain_text("since March 2026")
    assert page.evaluate("() => window.cy.getElementById('own-courier').data('broken')") is True
    assert not page.evaluate("() => window.cy.getElementById('product-page').data('broken')")
    assert re.search(r"\d\.\d\d ± 0\.\d\d · n \d", node_label(page, "checkout"))
    screenshot(page, "heatmap-map")

    first.click()
    expect(page.locator("#hm-detail-title")).to_have_text("Own courier delivery")
    expect(page.locator("#hm-breakdown-column")).to_have_value("region")
    expect(page.locator("#hm-trend .js-plotly-plot")).to_be_visible()
    expect(page.locator("#hm-breakdown .js-plotly-plot")).to_contain_text("Jižní Morava")
    expect(page.locator("#hm-distribution .js-plotly-plot")).to_be_visible()
    lines = page.evaluate("() => document.querySelector('#hm-trend .js-plotly-plot').data"
                          ".filter(t => t.name).map(t => [t.name, t.x.length])")
    assert lines == [["everyone else", 24], ["region Jižní Morava", 24]]  # every month up to the period's end
    page.locator("#hm-detail-card").scroll_into_view_if_needed()
    screenshot(page, "heatmap-detail")
    assert not page.errors


def test_metric_filters_compare_and_a_tapped_touchpoint(demo, page, screenshot):
    open_heatmap(page, demo)
    answers = page.locator("#hm-summary").inner_text()
    page.click("label:text-is('NPS')")
    expect(page.locator("#hm-summary")).to_contain_text("NPS", timeout=30_000)  # a first, uncached query
    expect(page.locator("#hm-legend")).to_contain_text("NPS against target")
    wait_for(page, f"({NODE_LABEL})('checkout').match(/[+−]\\d+ ± \\d+ · n/)")

    choose_segment(page, "#hm-segments", "region: Jižní Morava")
    expect(page.locator("#hm-summary")).to_contain_text("region Jižní Morava", timeout=30_000)
    assert page.locator("#hm-summary").inner_text() != answers

    page.select_option("#hm-compare", "previous")
    expect(page.locator("#hm-legend")).to_contain_text("significantly worse")
    page.select_option("#hm-window", "12")
    expect(page.locator("#hm-summary")).to_contain_text("2025-11-01 – 2026-10-31", timeout=30_000)

    wait_settled(page)
    tap(page, "checkout")
    expect(page.locator("#hm-detail-title")).to_have_text("Checkout")
    expect(page.locator("#hm-trend .js-plotly-plot")).to_be_visible()
    comments = page.locator("#hm-detail-card .hm-comment")
    expect(comments.first).to_be_visible()
    screenshot(page, "heatmap-filtered")
    assert not page.errors


def test_matrix_drills_from_region_to_branch_beside_benchmarks(demo, page, screenshot, tmp_path):
    open_heatmap(page, demo)
    page.click("a.nav-link:text-is('Matrix')")
    table = page.locator("#hm-matrix-table")
    expect(table.locator("th").filter(has_text="Jižní Morava")).to_be_visible()
    expect(table.locator("td.hm-stage").first).to_have_text("Discovery")
    assert table.locator("td.hm-low-n").count() == 0 or table.locator("td.hm-low-n").first.is_visible()
    screenshot(page, "heatmap-matrix-regions")

    table.locator("th button", has_text="Jižní Morava").click()
    expect(page.locator("#hm-matrix-column")).to_have_value("branch")
    expect(page.locator("#hm-drill-path")).to_contain_text("region Jižní Morava")
    expect(table.locator("th").filter(has_text="Brno-Líšeň")).to_be_visible()
    expect(table.locator("th").filter(has_text="Mazowsze")).to_have_count(0)
    expect(table.locator("th").filter(has_text="Warszawa")).to_have_count(0)
    expect(table.locator("th:text-is('Whole network')")).to_be_visible()  # the benchmark beside the region
    low_n = table.locator("td.hm-low-n")
    expect(low_n.first).to_be_visible()  # a branch's thin cells are marked, not coloured as reliable

    wait_settled(page)
    page.select_option("#hm-matrix-sort", "(network)")
    expect(table.locator("td.hm-stage")).to_have_count(0, timeout=15_000)
    screenshot(page, "heatmap-matrix-branches")

    page.click("#hm-drill-path button:text-is('whole network')")
    expect(page.locator("#hm-matrix-column")).to_have_value("region")
    expect(table.locator("th").filter(has_text="Mazowsze")).to_be_visible()

    bad = tmp_path / "bad.csv"
    bad.write_bytes("touchpoint;metric;value\nKurýr;csat;4,4\n".encode("cp1250"))
    page.set_input_files("#hm-benchmark-upload input[type=file]", str(bad))
    expect(page.locator("#hm-benchmark-message")).to_contain_text("Row 2, column touchpoint")
    expect(table.locator("th:text-is('Benchmark')")).to_have_count(0)
    good = tmp_path / "sector.csv"
    good.write_bytes("touchpoint;metric;value\nOwn courier delivery;csat;4,4\ncheckout;csat;4,15\n"
                     "checkout;nps;30\n".encode("cp1250"))
    page.set_input_files("#hm-benchmark-upload input[type=file]", str(good))
    expect(page.locator("#hm-benchmark-message")).to_contain_text("3 benchmark values (csat, nps) from sector.csv")
    expect(table.locator("th:text-is('Benchmark')")).to_be_visible()
    courier = table.locator("tr").filter(has=page.locator("td:first-child:text-is('Own courier delivery')"))
    expect(courier.locator("td").nth(2)).to_contain_text("4.40")
    screenshot(page, "heatmap-matrix-benchmark")
    page.click("#hm-benchmark-remove")
    expect(table.locator("th:text-is('Benchmark')")).to_have_count(0)
    assert not page.errors


def test_breaks_tab_lists_evidence_and_thresholds_apply(demo, page):
    open_heatmap(page, demo)
    page.click("a.nav-link:text-is('Breaks')")
    rows = page.locator("#hm-break-rows tbody tr")
    expect(rows.first).to_contain_text("own-courier")
    expect(rows.first).to_contain_text("region Jižní Morava")
    expect(rows.first).to_contain_text("2026-03-01")
    # the demo has branches: the break's answers were clustered, and the table says how and how much it cost
    expect(page.locator("#hm-break-rows thead")).to_contain_text("Design effect")
    expect(page.locator("#hm-break-rows thead")).to_contain_text("% interval")
    expect(rows.first).to_contain_text("clusters (branch × month)")
    total = rows.count()
    page.fill("#hm-min-delta", "0.6")
    page.press("#hm-min-delta", "Enter")
    expect(rows).not_to_have_count(total)
    expect(rows.first).to_contain_text("own-courier")
    page.fill("#hm-min-delta", "5")
    page.press("#hm-min-delta", "Enter")
    expect(page.locator("#hm-break-table")).to_contain_text("No break")
    assert not page.errors


def test_courier_of_the_month_leaderboard(demo, page, screenshot):
    page.goto(demo.at("/leaderboards"))
    expect(page.locator("#lb-rows tbody tr").first).to_be_visible(timeout=30_000)
    page.select_option("#lb-window", "12")
    wait_for(page, SETTLED)
    page.select_option("#lb-level", "employee")
    wait_for(page, SETTLED)
    page.select_option("#lb-touchpoint", "own-courier")
    rows = page.locator("#lb-rows tbody tr")
    expect(page.locator("#lb-rows")).to_contain_text("Petr Svoboda", timeout=30_000)  # an employee, not a branch
    wait_settled(page)
    expect(rows.first.locator("td").first).to_have_text("1")
    ranked = [r for r in rows.all_inner_texts() if not r.startswith("–")]
    unranked = [r for r in rows.all_inner_texts() if r.startswith("–")]
    assert len(ranked) > 10 and unranked, "couriers with too few answers are listed but not ranked"
    counts = [int(r.split("\t")[4].replace("\u00a0", "")) for r in ranked]
    assert min(counts) >= 30
    wait_settled(page)
    page.get_by_label("by trend").check()
    expect(page.locator("#lb-rows thead")).to_contain_text("Trend rank", timeout=15_000)
    screenshot(page, "leaderboard-couriers")
    assert not page.errors
