"""End-to-end: a journey from data (issue 24). A consultant with an empty workspace loads the client's survey export
before drawing any journey: the Data page makes a draft journey of the file's touchpoint labels, maps every label to
its touchpoint, imports the answers, and the Journeys page shows the draft, in headless Chromium."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_data_import import check_file, label_select
from tests.serving import wait_for, wait_settled
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parents[1] / "data"
BOOTCAMP = DATA / "googleforms_psu_r_bootcamp_survey.csv"  # a real Google Forms export, sources in tests/data
DAY = "Favorite day of the week"
GOT = "Your enthusiasm for Game of Thrones"
TOUCHPOINT_COUNT = "() => window.cy ? window.cy.nodes('[type = \"touchpoint\"]').length : -1"


def days() -> list[str]:
    """The file's days in the order they first come (the blank first row's "NA" too)."""
    with BOOTCAMP.open(encoding="utf-8", newline="") as handle:
        return list(dict.fromkeys(row[DAY] for row in csv.DictReader(handle)))


def test_an_empty_workspace_gets_its_journey_from_a_survey_export(empty_server, page, screenshot):
    # A project on the Journeys page: no journey in it yet.
    page.goto(empty_server.at())
    page.wait_for_selector("#je-graph")
    page.click("#je-project-new")
    page.fill("#je-name-input", "Client")
    page.click("#je-name-ok")
    wait_for(page, "() => document.querySelector('#je-project').selectedOptions[0]?.text === 'Client'")

    # The Data page: the project has no journey; the file is uploaded and read as one answer a row.
    page.goto(empty_server.at("/data"))
    expect(page.locator("#da-datasets")).to_contain_text("No data yet")
    expect(page.locator("#da-journey option:not(:empty)")).to_have_count(0)
    page.set_input_files("#da-upload input[type=file]", str(BOOTCAMP))
    expect(page.locator("#da-file-info")).to_contain_text(BOOTCAMP.name)
    wait_settled(page)
    page.get_by_label("Survey answers — one row per answer (a touchpoint column)").check()
    page.select_option("#da-touchpoint", DAY)
    page.select_option("#da-rating", GOT)
    offer = page.locator("#da-values-box .alert")
    expect(offer).to_contain_text("No journey yet for the file's 7 touchpoint labels")
    for label in days():
        expect(offer.locator("td", has_text=re.compile(f"^{label}$"))).to_have_count(1)
    name = offer.locator("input")
    expect(name).to_have_value(BOOTCAMP.stem)
    offer.scroll_into_view_if_needed()
    screenshot(page, "journey-from-data-offer")
    name.fill("R bootcamp survey")
    page.get_by_role("button", name="Create a draft journey from these").click()

    # The draft is chosen for the answers and every label is matched to its own touchpoint.
    said = page.locator("#da-draft-said")
    expect(said).to_contain_text("Draft journey “R bootcamp survey” created with 7 touchpoints: arrange them into "
                                 "stages on the Journeys page.")
    expect(said.get_by_role("link", name="Open the Journeys page")).to_have_attribute("href", "/")
    expect(page.locator("#da-journey")).to_have_value(re.compile(r"^\d+$"))
    expect(page.locator("#da-journey option:checked")).to_have_text("R bootcamp survey")
    expect(page.locator("#da-unmatched")).to_have_text("Every label matched a touchpoint.")
    wait_settled(page)
    with open_workspace(empty_server.workspace) as workspace:
        [project] = workspace.projects()
        [info] = workspace.journeys(project.id)
        journey = workspace.journey(info.id).journey
    keys = {t.name: t.key for t in journey.touchpoints}
    assert list(keys) == days()
    for label, key in keys.items():
        expect(label_select(page, label)).to_have_value(key)
    # What was chosen in the form stayed (the guesses were not made again for the new journey).
    expect(page.get_by_label("Survey answers — one row per answer (a touchpoint column)")).to_be_checked()
    expect(page.locator("#da-touchpoint")).to_have_value(DAY)
    expect(page.locator("#da-rating")).to_have_value(GOT)
    expect(page.locator("#da-values-box .alert")).to_have_count(0)  # no offer once the labels have touchpoints
    said.scroll_into_view_if_needed()
    screenshot(page, "journey-from-data-matched")

    # Checked and imported: only the sheet's blank first row is left out, no label without a touchpoint.
    page.fill("#da-name", "Bootcamp")
    check_file(page)
    report = page.locator("#da-report-body")
    expect(report).to_contain_text("39 rows read, 38 valid, 1 with problems")
    expect(report).not_to_contain_text("not in the journey")
    report.scroll_into_view_if_needed()
    screenshot(page, "journey-from-data-report")
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("Imported 38 rows as “Bootcamp” version 1")

    # The Journeys page shows the draft: one stage to arrange, a touchpoint per day, none on another.
    said.get_by_role("link", name="Open the Journeys page").click()
    page.wait_for_selector("#je-graph")
    wait_for(page, "() => document.querySelector('#je-journey').selectedOptions[0]?.text.startsWith('R bootcamp')")
    wait_for(page, f"() => ({TOUCHPOINT_COUNT})() === 7")
    labels = page.evaluate("() => window.cy.nodes('[type = \"touchpoint\"]').map(n => n.data('label'))")
    assert sorted(labels) == sorted(keys)
    boxes = page.evaluate("""() => window.cy.nodes('[type = "touchpoint"]').map(n => n.renderedBoundingBox())""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a["x2"] <= b["x1"] or b["x2"] <= a["x1"] or a["y2"] <= b["y1"] or b["y2"] <= a["y1"], (a, b)
    expect(page.locator("#je-stage-list, #je-graph").first).to_be_visible()
    screenshot(page, "journey-from-data-journeys")
    assert not page.errors


def test_too_many_labels_are_refused_with_the_file_and_column_named_and_many_stay_readable(empty_server, page,
                                                                                         screenshot):
    with open_workspace(empty_server.workspace) as workspace:
        workspace.create_project("Client")
    name = "googleforms_cs50_favorites.csv"
    page.goto(empty_server.at("/data"))
    page.set_input_files("#da-upload input[type=file]", str(DATA / name))
    expect(page.locator("#da-file-info")).to_contain_text(name)
    wait_settled(page)
    page.get_by_label("Survey answers — one row per answer (a touchpoint column)").check()
    page.select_option("#da-touchpoint", "title")
    page.get_by_role("button", name="Create a draft journey from these").click()
    expect(page.locator("#da-draft-said")).to_have_text(
        "googleforms_cs50_favorites.csv, column “title”: 264 different labels; a draft journey takes at most 200 "
        "touchpoints.")
    with open_workspace(empty_server.workspace) as workspace:
        assert workspace.journeys(workspace.projects()[0].id) == []

    # The genres column's 173 labels (lists of genres as the form ticked them) make a journey: laid out in a grid
    # the Journeys page shows whole, every name on its own.
    page.select_option("#da-touchpoint", "genres")
    page.get_by_role("button", name="Create a draft journey from these").click()
    expect(page.locator("#da-draft-said")).to_contain_text("created with 173 touchpoints")
    # 173 selects of 175 touchpoints each take the browser a few seconds to draw.
    expect(page.locator("#da-unmatched")).to_have_text("Every label matched a touchpoint.", timeout=30_000)
    page.goto(empty_server.at())
    page.wait_for_selector("#je-graph")
    wait_for(page, f"() => ({TOUCHPOINT_COUNT})() === 173")
    wait_settled(page)
    screenshot(page, "journey-from-data-173-touchpoints")
    boxes = page.evaluate("""() => window.cy.nodes('[type = "touchpoint"]').map(n => n.boundingBox())""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a["x2"] <= b["x1"] or b["x2"] <= a["x1"] or a["y2"] <= b["y1"] or b["y2"] <= a["y1"], (a, b)
    width = max(box["x2"] for box in boxes) - min(box["x1"] for box in boxes)
    height = max(box["y2"] for box in boxes) - min(box["y1"] for box in boxes)
    assert 0.5 < width / height < 3, (width, height)  # a grid about as wide as a screen, not a row or a column
    assert not page.errors


def test_a_wide_exports_rating_columns_become_a_draft_each_column_on_its_own(empty_server, page, screenshot):
    """fivethirtyeight's Star Wars survey (SurveyMonkey, one row per respondent), to a project without a journey."""
    with open_workspace(empty_server.workspace) as workspace:
        workspace.create_project("Client")
    name = "fivethirtyeight_StarWars.csv"
    page.goto(empty_server.at("/data"))
    page.set_input_files("#da-upload input[type=file]", str(DATA / name))
    expect(page.locator("#da-file-info")).to_contain_text(name)
    wait_settled(page)
    page.get_by_label("Survey — one row per respondent (a rating column per touchpoint)").check()
    offer = page.locator("#da-wide-box .alert")
    expect(offer).to_contain_text("No journey yet for the file's 25 rating columns")
    expect(offer.locator("td:text-is('Han Solo')")).to_have_count(1)  # the row of the matrix question
    offer.get_by_role("button", name="Create a draft journey from these").click()
    expect(page.locator("#da-draft-said")).to_contain_text("Draft journey “fivethirtyeight_StarWars” created with 25 "
                                                           "touchpoints")
    selects = page.locator("#da-wide-table select[id*='da-wide-tp']")
    expect(selects).to_have_count(26)  # RespondentID too, left out: it is the respondent id
    with open_workspace(empty_server.workspace) as workspace:
        [project] = workspace.projects()
        [info] = workspace.journeys(project.id)
        journey = workspace.journey(info.id).journey
    # Each column on its own touchpoint, in the file's order; a matrix question's columns named by their rows.
    keys = [touchpoint.key for touchpoint in journey.touchpoints]
    for i, key in enumerate(["__none__", *keys]):
        expect(selects.nth(i)).to_have_value(key)
    assert journey.touchpoint(keys[-4]).name == "Yoda"
    expect(page.locator("#da-wide-box .alert")).to_have_count(0)
    page.locator("#da-wide-table").scroll_into_view_if_needed()
    screenshot(page, "journey-from-data-wide")
    assert not page.errors
