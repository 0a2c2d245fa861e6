"""A scoped member of a team server in Chromium: an administrator gives a branch's partner a login limited to their
branch on the Users page; the partner logs in and sees their branch's results only, on the heatmap, the matrix and
the comments, with no other branch named anywhere they look."""

from __future__ import annotations

import datetime
from dataclasses import replace

from playwright.sync_api import expect

from tests.e2e.test_team_logins import log_in
from tests.serving import Server, copy_workspace, wait_settled
from tests.test_scopes import alert
from workbench.core.access import Scope
from workbench.features.workspace import open_workspace

PASSWORD = "correct horse battery"
OTHERS = ("Praha-Smíchov", "Brno-Líšeň", "Mladá Boleslav", "Jižní Morava", "Mazowsze", "Warszawa")


def test_an_administrator_scopes_a_partner_who_then_sees_only_their_branch(tmp_path, demo_folder, browser,
                                                                           screenshot):  # fmt: skip
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
        workspace.users.add("kladno", PASSWORD, "Pobočka Kladno")
    server = Server(folder, demo=False, extra=("--team",))
    admin = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    partner = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    errors: list[str] = []
    for page in (admin, partner):
        page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(admin, server, "jana", PASSWORD, "/users")
        admin.select_option("#us-who", "kladno")
        admin.select_option("#us-project", label="Demo: Parcel Express")
        admin.select_option("#us-role", "viewer")
        admin.fill("#us-segments", "pobocka=Kladno")
        admin.click("#us-grant")
        expect(admin.locator("#us-message")).to_contain_text("surveys have no column pobocka; they have:")
        admin.fill("#us-segments", "branch=Kladno")
        admin.click("#us-grant")
        expect(admin.locator("#us-message")).to_have_text("Roles of kladno saved.")
        expect(admin.locator("#us-users tr", has_text="kladno")).to_contain_text(
            "Demo: Parcel Express (viewer: branch Kladno)"
        )
        screenshot(admin, "team-scoped-user")

        log_in(partner, server, "kladno", PASSWORD)  # to their scorecard
        expect(partner.locator("#sc-title")).to_have_text("Results of branch Kladno", timeout=30_000)
        expect(partner.locator("#sc-table tbody tr").first).to_be_visible()
        expect(partner.locator("#sc-trend-graph .js-plotly-plot")).to_contain_text("whole network")
        expect(partner.locator("#sc-comment-list")).to_be_visible()
        wait_settled(partner)
        screenshot(partner, "team-scoped-scorecard")
        _sees_no_other_branch(partner)

        partner.goto(f"{server.url}/heatmap")
        expect(partner.locator("#hm-summary")).to_contain_text("answers", timeout=30_000)
        wait_settled(partner)
        summary = partner.locator("#hm-summary").inner_text()
        partner.click("a.nav-link:text-is('Matrix')")
        table = partner.locator("#hm-matrix-table")
        expect(table.locator("th").filter(has_text="Střední Čechy")).to_be_visible(timeout=30_000)  # their region
        partner.select_option("#hm-matrix-column", "branch")
        expect(table.locator("th").filter(has_text="Kladno")).to_be_visible(timeout=30_000)
        expect(table.locator("th:text-is('Whole network')")).to_be_visible()  # everyone, as one line
        wait_settled(partner)
        expect(partner.locator("#nav-scope")).to_have_text("You see the answers of Demo: Parcel Express: branch Kladno.")
        screenshot(partner, "team-scoped-matrix")
        _sees_no_other_branch(partner)

        partner.goto(f"{server.url}/leaderboards")  # their place among all branches, the others unnamed
        rows = partner.locator("#lb-rows tbody tr")
        expect(rows.filter(has_text="Kladno")).to_have_count(1, timeout=30_000)
        expect(partner.locator("#lb-note")).to_contain_text("The other branch values are not named")
        screenshot(partner, "team-scoped-leaderboard")
        expect(rows.filter(has_text="another branch · ").first).to_be_visible()
        assert rows.count() > 40  # the 50 branches' distribution, paged
        wait_settled(partner)
        screenshot(partner, "team-scoped-leaderboard")
        _sees_no_other_branch(partner)

        partner.goto(f"{server.url}/comments")
        expect(partner.locator("#cm-found")).to_contain_text("comment", timeout=30_000)
        wait_settled(partner)
        screenshot(partner, "team-scoped-comments")
        _sees_no_other_branch(partner)

        with open_workspace(folder) as workspace:  # what the whole demo would have said instead
            [demo] = workspace.projects()
            total = workspace.datasets.survey_for(demo.id, None).rows
        assert f"{total:,}".replace(",", "\u00a0") not in summary
        partner.goto(f"{server.url}/data")
        expect(partner.locator("#da-datasets")).to_contain_text("Survey", timeout=30_000)
        expect(partner.locator("#da-datasets")).not_to_contain_text(f"{total:,}".replace(",", "\u00a0"))
        assert not errors
    finally:
        admin.context.close()
        partner.context.close()
        server.stop()


def _sees_no_other_branch(page) -> None:
    """Nothing on the page, its options and its charts' data included, names another branch or region."""
    html = page.content()
    named = [name for name in OTHERS if name in html]
    assert not named, named


def test_an_administrator_opens_portals_and_a_partner_logs_in_with_the_first_password(tmp_path, demo_folder,
                                                                                      browser, screenshot):  # fmt: skip
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
    server = Server(folder, demo=False, extra=("--team",))
    admin = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    partner = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    try:
        log_in(admin, server, "jana", PASSWORD, "/users")
        admin.select_option("#us-portal-project", label="Demo: Parcel Express")
        expect(admin.locator("#us-portal-status")).to_contain_text("No portals")
        admin.select_option("#us-portal-column", "branch")
        admin.click("#us-portal-save")
        expect(admin.locator("#us-message")).to_have_text("Portals saved.")
        expect(admin.locator("#us-portal-status")).to_have_text("0 of 50 partners have a portal login.")
        admin.click("#us-portal-partners")
        admin.keyboard.type("Kolín")
        admin.locator("[role=option]", has_text="Kolín").click()
        admin.keyboard.press("Escape")
        with admin.expect_download() as download:
            admin.click("#us-invite")
        expect(admin.locator("#us-message")).to_contain_text("1 portal login made")
        expect(admin.locator("#us-portal-status")).to_have_text("1 of 50 partners have a portal login.")
        row = admin.locator("#us-invited tbody tr")
        expect(row).to_have_count(1)
        login, password = row.locator("td").nth(1).inner_text(), row.locator("td").nth(2).inner_text()
        handed = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert login == "kolin" and handed == ["partner,login,first password", f"Kolín,kolin,{password}"]
        expect(admin.locator("#us-users tr", has_text="kolin")).to_contain_text("(viewer: branch Kolín)")
        admin.locator("#us-invited").scroll_into_view_if_needed()
        screenshot(admin, "team-portal-invited")

        log_in(partner, server, login, password)
        expect(partner.locator("#sc-title")).to_have_text("Results of branch Kolín", timeout=30_000)
        expect(partner.locator("#nav-user")).to_have_text("Kolín")
        wait_settled(partner)
        screenshot(partner, "team-portal-partner")
        _sees_no_other_branch(partner)
    finally:
        admin.context.close()
        partner.context.close()
        server.stop()


def test_a_partner_handles_their_overdue_case_and_sees_no_one_else_s(tmp_path, demo_folder, page, screenshot):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        [demo] = workspace.projects()
        [journey] = workspace.journeys(demo.id)
        workspace.users.add("jana", PASSWORD, admin=True)
        workspace.users.add("kladno", PASSWORD, "Pobočka Kladno")
        workspace.users.grant("kladno", demo.id, "viewer", Scope((("branch", ("Kladno",)),)))
        case = replace(alert("own-courier", "branch", "Kladno"), kind="answer", key="answer|kladno-1",
                       message="NPS 2 at Own courier delivery: “Nobody came.”")  # fmt: skip
        other = replace(case, key="answer|kolin-1", value="Kolín", message="NPS 1: “Kolín was awful.”")
        responsible = {("branch", "Kladno"): "Pobočka Kladno"}
        workspace.alerts.add(demo.id, journey.id, [case, other], {}, datetime.date(2026, 11, 1), "",
                             responsible, today=datetime.date(2026, 11, 1))  # fmt: skip
    server = Server(folder, demo=False, extra=("--team",))
    try:
        log_in(page, server, "kladno", PASSWORD, "/alerts")
        page.locator("#al-status label", has_text="Overdue cases").click()
        row = page.locator("#al-table tbody tr")
        expect(row).to_have_count(1, timeout=30_000)
        expect(row).to_contain_text("Nobody came.")
        expect(row).to_contain_text("overdue: escalated")
        expect(row).to_contain_text("Pobočka Kladno")
        wait_settled(page)
        screenshot(page, "team-partner-case")
        _sees_no_other_branch(page)
        assert "Kolín" not in page.content()
        row.locator("button", has_text="Acknowledge").click()
        expect(page.locator("#al-table tbody tr")).to_have_count(0, timeout=20_000)
        page.locator("#al-status label", has_text="Acknowledged").click()
        expect(page.locator("#al-table tbody tr").filter(has_text="Nobody came.")).to_have_count(1, timeout=20_000)
        expect(page.locator("#al-check")).to_be_hidden()  # a partner runs no checks and changes no rule
        expect(page.locator("#al-rule-form")).to_be_hidden()
        expect(page.locator("#al-budget-box")).to_be_hidden()
        assert not page.errors
    finally:
        server.stop()
    with open_workspace(folder) as workspace:
        handled = [a for a in workspace.alerts.list(demo.id) if a.alert.key in ("answer|kladno-1", "answer|kolin-1")]
        assert sorted((a.alert.value, a.status, a.history[-1]["who"]) for a in handled) == [
            ("Kladno", "acknowledged", "Pobočka Kladno"), ("Kolín", "new", "someone")]  # raised by nobody named


def test_an_owner_sees_the_alerts_of_their_touchpoints_and_their_scores_only(tmp_path, demo_folder, page,
                                                                             screenshot):  # fmt: skip
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        [demo] = workspace.projects()
        workspace.users.add("jana", PASSWORD, admin=True)
        workspace.users.add("fleet", PASSWORD, "Courier fleet lead")
        workspace.users.grant("fleet", demo.id, "viewer", Scope(owners=("Own courier fleet",)))
        everything = workspace.alerts.list(demo.id)
    assert {a.alert.touchpoint for a in everything} - {"own-courier"}  # others' alerts exist to be hidden
    server = Server(folder, demo=False, extra=("--team",))
    try:
        log_in(page, server, "fleet", PASSWORD, "/alerts")
        page.locator("#al-status label", has_text="All").click()
        rows = page.locator("#al-table tbody tr")
        expect(rows.first).to_be_visible(timeout=30_000)
        wait_settled(page)
        assert rows.count() == len([a for a in everything if a.alert.touchpoint == "own-courier"][:50])
        assert all(text.startswith("Own courier delivery") for text in rows.locator("td:nth-child(3)").all_inner_texts())
        screenshot(page, "team-owner-alerts")
        page.goto(f"{server.url}/scorecard")
        expect(page.locator("#sc-title")).to_have_text("Results of touchpoints of Own courier fleet", timeout=30_000)
        expect(page.locator("#sc-table tbody tr")).to_have_count(1)
        expect(page.locator("#sc-table tbody tr td").first).to_have_text("Own courier delivery")
        assert not page.errors
    finally:
        server.stop()
