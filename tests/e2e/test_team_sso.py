"""Single sign-on in Chromium: a team server configured with an OpenID Connect provider (the local one of
``tests/oidcprovider.py``) offers it on the login page; a person signed on there lands where they were going as
the workbench user of that name; a name the workbench does not know is told so and gets no session."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_actions_page import card
from tests.oidcprovider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.serving import Server, copy_workspace, wait_settled
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e


def test_a_person_signs_on_with_the_organisation_s_provider(tmp_path, demo_folder, page, screenshot):
    folder = copy_workspace(demo_folder, tmp_path / "ws")
    with open_workspace(folder) as workspace:
        workspace.users.add("jana", "a password she never types", "Jana Nováková", admin=True)
    provider = Provider()
    environ = {"CXWB_OIDC_ISSUER": provider.issuer, "CXWB_OIDC_CLIENT_ID": CLIENT_ID,
               "CXWB_OIDC_CLIENT_SECRET": CLIENT_SECRET, "CXWB_OIDC_NAME": "Firma ID"}  # fmt: skip
    server = Server(folder, demo=False, extra=("--team",), environ=environ)
    try:
        provider.login_as = "nobody"
        page.goto(f"{server.url}/actions")
        expect(page.locator("#sso")).to_have_text("Log in with Firma ID", timeout=30_000)
        screenshot(page, "sso-login-page")
        page.click("#sso")
        expect(page.locator("#login .error")).to_contain_text(
            "You are signed on as nobody, who has no login here", timeout=30_000
        )
        assert "/login/oidc/callback" in page.url

        provider.login_as = "jana"
        page.goto(f"{server.url}/actions")
        page.click("#sso")
        expect(card(page, "done", "Pilot")).to_be_visible(timeout=30_000)  # on to the page she asked for
        wait_settled(page)
        expect(page).to_have_url(f"{server.url}/actions")
        expect(page.locator("#nav-user")).to_have_text("Jana Nováková")
        screenshot(page, "sso-signed-on")
        assert not page.errors
    finally:
        server.stop()
        provider.stop()
