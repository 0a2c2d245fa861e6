"""A team server (``cxwb serve --team``) in Chromium: the login page, a wrong password, the board with the user's
name in place of "You are" and in the history, and logging out."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_actions_page import card
from tests.serving import Server, copy_workspace, wait_for, wait_settled
from workbench.features.workspace import open_workspace

PASSWORD = "correct horse battery"


def test_a_person_logs_in_their_changes_carry_their_name_and_they_log_out(tmp_path, demo_folder, page, screenshot):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
    server = Server(folder, demo=False, extra=("--team",))
    try:
        page.goto(f"{server.url}/actions")  # no token: a team server asks who you are
        expect(page.locator("#login")).to_be_visible()
        screenshot(page, "team-login")
        page.fill("#name", "jana")
        page.fill("#password", "not the password")
        page.click("#login button[type=submit]")
        expect(page.locator("#login .error")).to_contain_text("Wrong name or password")
        expect(page.locator("#name")).to_have_value("jana")
        page.fill("#password", PASSWORD)
        page.click("#login button[type=submit]")

        expect(card(page, "done", "Pilot")).to_be_visible(timeout=30_000)  # on to the page they asked for
        wait_settled(page)
        expect(page.locator("#nav-user")).to_have_text("Jana Nováková")
        expect(page.locator("#act-user")).to_have_value("Jana Nováková")
        expect(page.locator("#act-user")).to_be_disabled()
        card(page, "planned", "Shorter checkout form").locator(".cx-card").click()
        expect(page.locator("#act-f-status")).to_have_text("Planned")
        page.click("#act-right")
        expect(page.locator("#act-f-status")).to_have_text("In progress")
        expect(page.locator("#act-history li").first).to_contain_text("Jana Nováková")
        screenshot(page, "team-board-history")
        page.keyboard.press("Escape")

        page.goto(f"{server.url}/")  # a journey edit remembers who made it: the undo button says so
        wait_for(page, "() => window.cy && window.cy.nodes('[type = \"touchpoint\"]').length > 0")
        wait_settled(page)
        page.click("#je-autolayout")
        expect(page.locator("#je-undo")).to_have_attribute("title", "Undo: Auto-layout (by Jana Nováková)")

        page.click("#nav-logout")
        expect(page.locator("#login")).to_be_visible()
        page.goto(f"{server.url}/actions")
        expect(page.locator("#login")).to_be_visible()  # the session is gone
        assert not page.errors
    finally:
        server.stop()
    with open_workspace(folder) as workspace:
        [moved] = [a for a in workspace.actions.list(workspace.projects()[0].id) if a.title == "Shorter checkout form"]
        assert moved.status == "in_progress" and workspace.actions.history(moved.id)[0].who == "Jana Nováková"


def log_in(page, server, name: str, password: str, path: str = "/") -> None:
    page.goto(f"{server.url}{path}")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login button[type=submit]")


def test_an_administrator_adds_a_user_who_then_logs_in_without_the_users_page(tmp_path, demo_folder, browser,
                                                                              screenshot):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", PASSWORD, "Jana Nováková", admin=True)
    server = Server(folder, demo=False, extra=("--team",))
    admin = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
    errors: list[str] = []
    admin.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(admin, server, "jana", PASSWORD, "/users")
        expect(admin.locator("#us-users")).to_contain_text("Jana Nováková")
        admin.fill("#us-name", "piotr")
        admin.fill("#us-display", "Piotr <b>Nowak</b>")
        admin.fill("#us-password", "hasło bardzo długie")
        admin.fill("#us-again", "hasło bardzo długie!")
        admin.click("#us-add")
        expect(admin.locator("#us-message")).to_contain_text("The two passwords differ")
        admin.fill("#us-password", "hasło bardzo długie")
        admin.fill("#us-again", "hasło bardzo długie")
        admin.click("#us-add")
        expect(admin.locator("#us-message")).to_have_text("Added piotr.")
        expect(admin.locator("#us-users")).to_contain_text("Piotr <b>Nowak</b>")  # a name is text, never markup
        expect(admin.locator("#us-password")).to_have_value("")
        admin.select_option("#us-who", "jana")
        admin.click("#us-disable")
        expect(admin.locator("#us-message")).to_contain_text("last administrator")
        admin.select_option("#us-who", "piotr")
        admin.select_option("#us-project", label="Demo: Parcel Express")
        admin.select_option("#us-role", "analyst")
        admin.click("#us-grant")
        expect(admin.locator("#us-message")).to_have_text("Roles of piotr saved.")
        expect(admin.locator("#us-users tr", has_text="piotr")).to_contain_text("Demo: Parcel Express (analyst)")
        screenshot(admin, "team-users")

        member = browser.new_context(viewport={"width": 1500, "height": 900}).new_page()
        log_in(member, server, "piotr", "hasło bardzo długie", "/actions")
        expect(card(member, "done", "Pilot")).to_be_visible(timeout=30_000)
        expect(member.locator("#nav-user")).to_have_text("Piotr <b>Nowak</b>")
        expect(member.locator("nav a[href='/users']")).to_have_count(0)
        expect(admin.locator("nav a[href='/users']")).to_have_count(1)
        member.goto(f"{server.url}/users")
        expect(member.locator("#us-notice")).to_contain_text("Only an administrator")
        expect(member.locator("#us-add")).to_have_count(0)

        admin.select_option("#us-who", "piotr")
        admin.click("#us-disable")
        expect(admin.locator("#us-message")).to_have_text("piotr is disabled.")
        member.goto(f"{server.url}/actions")
        expect(member.locator("#login")).to_be_visible()  # his session ended with the disabling
        assert not errors
        member.context.close()
    finally:
        admin.context.close()
        server.stop()


def test_a_viewer_sees_only_their_project_and_their_changes_are_refused(tmp_path, demo_folder, page, screenshot):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        [demo] = workspace.projects()
        workspace.create_project("Another client")
        workspace.users.add("jana", PASSWORD, admin=True)
        workspace.users.add("vera", PASSWORD, "Vera Viewer")
        workspace.users.grant("vera", demo.id, "viewer")
    server = Server(folder, demo=False, extra=("--team",))
    try:
        log_in(page, server, "vera", PASSWORD, "/actions")
        expect(card(page, "planned", "Shorter checkout form")).to_be_visible(timeout=30_000)
        wait_settled(page)
        options = page.locator("#act-project option:not([value=''])")  # the select's own empty placeholder aside
        expect(options).to_have_text([demo.name])
        expect(page.locator("#act-new")).to_be_hidden()  # a viewer of every project they have gets no such controls
        expect(page.locator(".ag-drag-handle").first).to_be_hidden()
        card(page, "planned", "Shorter checkout form").locator(".cx-card").click()
        expect(page.locator("#act-f-status")).to_have_text("Planned")
        for control in ("#act-right", "#act-save", "#act-delete"):
            expect(page.locator(control)).to_be_hidden()
        wait_settled(page)  # the editor's own callbacks done: the card it holds is the one the click moves
        page.evaluate("document.querySelector('#act-right').click()")  # a forged click: the callback refuses it
        expect(page.locator("#act-editor-message")).to_contain_text(
            "read this project but not change it", timeout=30_000
        )
        expect(page.locator("#act-f-status")).to_have_text("Planned")
        screenshot(page, "team-viewer-refused")
        assert not page.errors
    finally:
        server.stop()
    with open_workspace(folder) as workspace:
        [kept] = [a for a in workspace.actions.list(demo.id) if a.title == "Shorter checkout form"]
        assert kept.status == "planned"
