"""End-to-end: a survey without dates, imported as one wave. The heatmap and its touchpoint detail work, and where
time would be needed (the period, the trend, the alerts on trends) the pages say that the dataset is one wave."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_heatmap_page import NODE_LABEL, tap
from tests.serving import Server, screenshots_folder, wait_for, wait_settled
from tests.test_one_wave import write_wave
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

SENTENCE = "This dataset is one survey wave (2026-03, 2026-03-01 – 2026-03-31) without dates per answer"


@pytest.fixture
def server(tmp_path, small_journey):
    """A workspace whose one project holds the one-wave survey (imported through the workbench), served."""
    mapping = write_wave(tmp_path / "wave.csv")
    with open_workspace(tmp_path / "ws") as workspace:
        project_id = workspace.create_project("One wave")
        journey_id = workspace.create_journey(project_id, small_journey)
        workspace.datasets.import_file(project_id, tmp_path / "wave.csv", mapping, "March wave", journey_id=journey_id)
    served = Server(tmp_path / "ws", demo=False)
    yield served
    served.stop()


def test_the_heatmap_of_one_wave_has_no_period_and_no_trend_but_its_scores(server, page):
    page.goto(server.at("/heatmap"))
    wait_for(page, f"({NODE_LABEL})('delivery').includes('±')")
    expect(page.locator("#hm-wave")).to_have_text("one survey wave: 2026-03 (2026-03-01 – 2026-03-31)")
    expect(page.locator("#hm-period")).to_be_hidden()
    expect(page.locator("#hm-summary")).to_contain_text("wave 2026-03")
    expect(page.locator("#hm-summary")).to_contain_text("1 200 answers")  # every answer about the journey
    expect(page.locator("#hm-break-list")).to_contain_text("region South")
    wait_settled(page)

    tap(page, "delivery")
    expect(page.locator("#hm-detail-title")).to_have_text("Delivery")
    expect(page.locator("#hm-trend-note")).to_contain_text(SENTENCE)
    assert page.locator("#hm-trend").count() == 0  # no chart with one point on empty axes
    expect(page.locator("#hm-distribution .js-plotly-plot")).to_be_visible()
    expect(page.locator("#hm-breakdown .js-plotly-plot")).to_contain_text("South")
    page.locator("#hm-detail-card").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots_folder() / "one-wave-heatmap.png"), full_page=True, animations="disabled")

    page.locator("#hm-compare").select_option("previous")
    expect(page.locator("#hm-summary")).to_contain_text(SENTENCE)
    page.click("a.nav-link:text-is('Breaks')")
    expect(page.locator("#hm-breaks-wave")).to_contain_text("No decline can be found. " + SENTENCE)
    page.screenshot(path=str(screenshots_folder() / "one-wave-breaks.png"), full_page=True, animations="disabled")
    assert not page.errors


def test_the_alerts_say_the_survey_is_one_wave(server, page):
    page.goto(server.at("/alerts"))
    expect(page.locator("#al-wave")).to_contain_text(SENTENCE)
    expect(page.locator("#al-wave")).to_contain_text("Only the rules on single answers run on it.")
    page.click("#al-check")
    expect(page.locator("#al-message")).to_contain_text("the survey is one wave without dates, so it has no trend")
    page.screenshot(path="/tmp/one-wave-alerts.png", full_page=True, animations="disabled")
    assert not page.errors


def test_the_leaderboard_of_one_wave_ranks_by_score_without_a_period_before(server, page):
    page.goto(server.at("/leaderboards"))
    page.locator("#lb-level").select_option("region")
    expect(page.locator("#lb-rows tbody tr")).to_have_count(4)
    expect(page.locator("#lb-rows tbody tr").last).to_contain_text("South")
    expect(page.locator("#lb-rows thead")).not_to_contain_text("Period before")
    expect(page.locator("#lb-note")).to_contain_text(SENTENCE)
    expect(page.locator("#lb-wave")).to_contain_text("one survey wave: 2026-03")
    page.screenshot(path="/tmp/one-wave-leaderboards.png", full_page=True, animations="disabled")
    assert not page.errors
