"""End-to-end fixtures: the app in a subprocess on a free port, and headless Debian Chromium via Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.serving import Server, copy_workspace, screenshots_folder

CHROMIUM = os.environ.get("CXWB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def empty_server(tmp_path):
    server = Server(tmp_path / "ws", demo=False)
    yield server
    server.stop()


@pytest.fixture
def demo_server(tmp_path, demo_folder):
    """The app on a copy of the session's seeded demo workspace (seeding takes longer than copying)."""
    server = Server(copy_workspace(demo_folder, tmp_path / "ws"), demo=True)
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    blocked: list[str] = []  # every browser test also checks that the Content-Security-Policy blocks nothing we need
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    yield page
    context.close()
    assert not blocked, blocked


@pytest.fixture
def screenshot():
    """Save a page's screenshot for a person to look at (in ``tests.serving.screenshots_folder()``)."""

    def take(page, name: str) -> Path:
        path = screenshots_folder() / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        return path

    return take
