"""End-to-end: a network of 400 branches ranks a page of rows at a time, the ranks going on across pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.serving import Server
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from workbench.data import demodata
    from workbench.data.templates import load_template

    folder = tmp_path_factory.mktemp("large-network")
    journey = load_template("ecommerce-delivery")
    data = demodata.generate(load_template("ecommerce-delivery", translated=False), answers=40_000, branch_copies=8)
    with open_workspace(folder / "ws") as workspace:
        project_id = workspace.create_project("Large network")
        journey_id = workspace.create_journey(project_id, journey)
        workspace.datasets.add_table(project_id, data.survey, "Answers", "survey", journey_id=journey_id)
    served = Server(folder / "ws", demo=False)
    yield served
    served.stop()


def test_four_hundred_branches_are_ranked_two_hundred_a_page(server, page, screenshot):
    page.goto(server.at("/leaderboards"))
    rows = page.locator("#lb-rows tbody tr")
    expect(rows.first).to_be_visible(timeout=60_000)
    page.select_option("#lb-level", "branch")
    shown = page.locator("#lb-shown")
    expect(shown).to_have_text(re.compile(r"^Rows 1–200 of \d+$"), timeout=30_000)
    total = int(shown.inner_text().rsplit(" ", 1)[1])
    assert 200 < total <= 400  # the branches with answers in the window
    expect(rows).to_have_count(200)
    expect(rows.first.locator("td").first).to_have_text("1")
    page.locator("#lb-pages").get_by_text("2", exact=True).click()
    expect(shown).to_have_text(f"Rows 201–{total} of {total}", timeout=30_000)
    expect(rows).to_have_count(total - 200)
    ranks = [text.split("\t")[0] for text in rows.all_inner_texts()]
    assert "1" not in ranks  # the second page goes on from the first
    screenshot(page, "leaderboard-second-page")
    page.get_by_label("by trend").check()  # another order starts again on the first page
    expect(shown).to_have_text(f"Rows 1–200 of {total}", timeout=30_000)
    assert not page.errors
