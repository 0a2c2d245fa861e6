"""End-to-end: a survey without any segment column (no region, branch or channel) opens on every page without an
error, and the heatmap's detail, matrix and breaks, the leaderboards and the export say what they can."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_heatmap_page import NODE_LABEL, tap
from tests.serving import Server, wait_for, wait_settled
from workbench.data.ingest import SurveyMapping
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/cxwb-no-segments")
PAGES = ("/", "/data", "/heatmap", "/leaderboards", "/drivers", "/comments", "/alerts", "/actions", "/roi", "/export")


def write_survey(path: Path, journey) -> SurveyMapping:
    """Six months of answers (id, date, touchpoint, CSAT, NPS, comment) and nothing else."""
    rng = random.Random(7)
    keys = [tp.key for tp in journey.touchpoints if tp.kind != "outcome"]
    start = dt.date(2026, 3, 1)
    lines = ["id;when;where;csat;nps;comment"]
    for i in range(1_200):
        day = start + dt.timedelta(days=rng.randrange(180))
        comment = rng.choice(["", "", "", "Slow delivery", "Great web shop", "The cart lost my items"])
        lines.append(f"r{i};{day:%d.%m.%Y};{rng.choice(keys)};{rng.randint(2, 5)};{rng.randint(3, 10)};{comment}")
    path.write_text("\n".join(lines), encoding="utf-8")
    return SurveyMapping(ts="when", touchpoint="where", csat="csat", nps="nps", response_id="id", comment="comment")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from workbench.data.templates import load_template

    folder = tmp_path_factory.mktemp("no-segments")
    journey = load_template("ecommerce-delivery")
    mapping = write_survey(folder / "answers.csv", journey)
    with open_workspace(folder / "ws") as workspace:
        project_id = workspace.create_project("No segments")
        journey_id = workspace.create_journey(project_id, journey)
        info = workspace.datasets.import_file(project_id, folder / "answers.csv", mapping, "Answers",
                                              journey_id=journey_id)
        assert info.rows == 1_200
    served = Server(folder / "ws", demo=False)
    yield served
    served.stop()


def shoot(page, name: str) -> None:
    """A screenshot under /tmp for a person to look at."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, animations="disabled")


def no_error(page, server: Server, where: str) -> None:
    """No error box, no script error in the browser, no Python traceback in the server's log."""
    wait_settled(page)
    page.wait_for_timeout(500)  # callbacks chained after the first answers
    wait_settled(page)
    assert not page.locator("#app-error").is_visible(), (where, page.locator("#app-error").inner_text())
    assert page.errors == [], (where, page.errors)
    log = (server.workspace.parent / f"server-{server.port}.log").read_text()
    assert "Traceback" not in log and "Exception on" not in log, (where, log[-3000:])


def test_every_page_opens_on_a_survey_without_segments(server, page):
    page.goto(server.at("/"))
    wait_settled(page)
    for path in PAGES:
        page.goto(f"{server.url}{path}")
        no_error(page, server, path)
        shoot(page, path.strip("/") or "journeys")


def test_the_heatmap_without_segments(server, page):
    page.goto(server.at("/heatmap"))
    wait_for(page, f"({NODE_LABEL})('checkout').includes('±')")
    expect(page.locator("#hm-summary")).to_contain_text("answers")
    expect(page.locator("#hm-segments")).to_contain_text("this survey has no segment columns")
    no_error(page, server, "heatmap")

    tap(page, "checkout")
    expect(page.locator("#hm-detail-title")).to_have_text("Checkout")
    expect(page.locator("#hm-distribution .js-plotly-plot")).to_be_visible()
    expect(page.locator("#hm-breakdown-column option:not([value=''])")).to_have_count(0)  # nothing to break down by
    no_error(page, server, "heatmap detail")
    shoot(page, "heatmap-detail")

    page.click("a.nav-link:text-is('Matrix')")
    expect(page.locator("#hm-matrix-column option:not([value=''])")).to_have_count(0)
    expect(page.locator("#hm-no-segments")).to_contain_text("no segment columns")
    expect(page.locator("#hm-no-segments a[href='/data']")).to_have_text("Data page")
    no_error(page, server, "heatmap matrix")
    shoot(page, "heatmap-matrix")

    page.click("a.nav-link:text-is('Breaks')")
    expect(page.locator("#hm-break-table")).not_to_be_empty()
    no_error(page, server, "heatmap breaks")
    shoot(page, "heatmap-breaks")


def test_the_leaderboard_ranks_the_owners(server, page):
    page.goto(server.at("/leaderboards"))
    expect(page.locator("#lb-rows")).to_be_visible(timeout=30_000)
    expect(page.locator("#lb-level")).to_have_value("__owner__")
    expect(page.locator("#lb-rows tbody tr").first).to_be_visible()
    no_error(page, server, "leaderboards")


def test_the_export_makes_a_deck_without_a_matrix(server, page):
    page.goto(server.at("/export"))
    expect(page.locator("#ex-dataset option:not([value=''])")).to_have_count(1, timeout=30_000)
    expect(page.locator("#ex-dataset")).not_to_have_value("", timeout=30_000)
    wait_settled(page)
    expect(page.locator("#ex-matrix-column option:not([value=''])")).to_have_count(0)
    with page.expect_download(timeout=120_000) as download:
        page.click("#ex-deck")
    assert download.value.suggested_filename.endswith(".pptx")
    expect(page.locator("#ex-message")).to_contain_text("is downloading")
    no_error(page, server, "export")
    shoot(page, "export")
