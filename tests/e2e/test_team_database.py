"""The app with its metadata in PostgreSQL (``CXWB_DATABASE_URL``), as a team server keeps them: the demo is
seeded into the empty database, the pages read it, and an edit made in the browser is in the database."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_heatmap_page import open_heatmap
from tests.e2e.test_journey_editor import add_touchpoint, open_editor
from tests.serving import Server, wait_settled
from workbench.features.demo import DEMO_PROJECT
from workbench.features.workspace import open_workspace

BACKENDS = ("postgresql",)  # SQLite is what every other browser test runs on


def test_the_app_on_postgresql_seeds_the_demo_shows_it_and_keeps_an_edit(tmp_path, database_url, page, screenshot):
    server = Server(tmp_path / "ws", demo=True, database_url=database_url)
    try:
        open_editor(page, server)
        count = page.evaluate("() => window.cy.nodes('[type = \"touchpoint\"]').length")
        add_touchpoint(page, "Výdejní box — Ostrava", "Delivery", "parcel locker", "Partner network", count + 1)
        wait_settled(page)
        screenshot(page, "postgresql-journey-editor")
        open_heatmap(page, server)  # the break list and the map's scores with their intervals, from the database's survey
        expect(page.locator("body")).not_to_contain_text("Traceback")
        screenshot(page, "postgresql-heatmap")
        assert not page.errors
    finally:
        server.stop()
    with open_workspace(tmp_path / "ws", database_url) as workspace:  # what the browser saved, read back
        [project] = [p for p in workspace.projects() if p.name == DEMO_PROJECT]
        journey = workspace.journey(workspace.journeys(project.id)[0].id).journey
        assert "Výdejní box — Ostrava" in {tp.name for tp in journey.touchpoints}
        assert [d.kind for d in workspace.datasets.list(project.id) if d.kind == "survey"]
