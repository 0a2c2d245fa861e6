"""Benchmark: from upload to the first heatmap, per real export — what a consultant does on the Data page.

Each case starts the app on a workspace holding one project and a journey for the file (its touchpoints named as
the client would, not as the file's columns), then drives headless Chromium as a user: upload, the fixes the page
asks for, *Check file*, *Import*, *Open the heatmap*. It counts the user's actions (clicks, typing, choices) and
times the wall clock from the upload to the heatmap's summary line; the median of ``--runs`` runs. The reference
in the same process is the bare page: loading ``/data`` and ``/heatmap`` without an import (what any session
costs). Run: ``.venv/bin/python bench/first_heatmap.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.test_any_survey import airline_file  # noqa: E402
from tests.serving import Server  # noqa: E402
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint  # noqa: E402
from workbench.features.workspace import open_workspace  # noqa: E402

DATA = ROOT / "tests" / "data"
CHARACTERS = ("Han Solo", "Luke Skywalker", "Princess Leia Organa", "Anakin Skywalker", "Obi Wan Kenobi",
              "Emperor Palpatine", "Darth Vader", "Lando Calrissian", "Boba Fett", "C-3P0", "R2 D2", "Jar Jar Binks",
              "Padme Amidala", "Yoda")
AIRLINE = ("Online booking", "Departure and arrival time", "Check-in", "Gate location", "Boarding", "Wi-fi",
           "Seat comfort", "Legroom", "Food & drink", "Entertainment", "Onboard service", "Inflight service",
           "Cleanliness", "Baggage handling")


class User:
    """A Playwright page that counts what the user does."""

    def __init__(self, page):
        self.page, self.actions = page, 0

    def upload(self, path: Path) -> None:
        self.actions += 1
        self.page.set_input_files("#da-upload input[type=file]", str(path))
        self.page.locator("#da-reused.show").wait_for()  # the form is filled: from the guesses or a saved mapping

    def fill(self, selector: str, text: str) -> None:
        self.actions += 1
        self.page.fill(selector, text)

    def choose(self, selector: str, value: str) -> None:
        self.actions += 1
        self.page.select_option(selector, value)

    def click(self, selector: str) -> None:
        self.actions += 1
        self.page.click(selector)

    def wide(self, column: str, index: int, value: str) -> None:
        row = self.page.locator("#da-wide-table tr").filter(has=self.page.locator(f"td:first-child:text-is('{column}')"))
        self.actions += 1
        row.locator("select").nth(index).select_option(value)


def journey(names: tuple[str, ...]) -> Journey:
    keys = [f"t{i}" for i in range(len(names))]
    return Journey(name="Journey", stages=(Stage("all", "All"),), owners=(Owner("Team"),),
                   touchpoints=tuple(Touchpoint(k, n, "all", "web", "Team", entry=i == 0)
                                     for i, (k, n) in enumerate(zip(keys, names))),
                   edges=tuple(Edge(a, b) for a, b in zip(keys, keys[1:])))


def airline(user: User) -> None:
    user.fill("#da-wave", "2026-03")


def qualtrics_matrix(user: User) -> None:
    user.click("#da-exclude input")  # every response of this sample is a Qualtrics test response


def starwars(user: User) -> None:
    user.wide(FAN, 0, "_overall")
    user.fill("#da-outcome-name", "Fan")
    user.fill("#da-wave", "2014-06")


FAN = "Do you consider yourself to be a fan of the Star Wars film franchise?"
CASES = {
    "airline (generated, the issue's workshop case)": (None, AIRLINE, airline),
    "qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv": (
        "qualtricstools_Single_Answer_Matrix_Questions__Insights_.csv", ("Statement 1", "Statement 2", "Statement 3"),
        qualtrics_matrix),
    "fivethirtyeight_StarWars.csv": ("fivethirtyeight_StarWars.csv", CHARACTERS, starwars),
}


def run(browser, folder: Path, name: str | None, touchpoints: tuple[str, ...], fixes) -> tuple[int, float, str]:
    """One walk from upload to the heatmap: (actions, seconds, the heatmap's summary line)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with open_workspace(folder / "ws") as workspace:
        workspace.create_journey(workspace.create_project("Client"), journey(touchpoints))
    path = airline_file(folder / "airline.csv") if name is None else DATA / name
    server = Server(folder / "ws", demo=False)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(server.at("/data"))
        page.locator("#da-journey option:not(:empty)").first.wait_for(state="attached")
        user = User(page)
        start = time.perf_counter()
        user.upload(path)
        fixes(user)
        user.fill("#da-name", "Survey")
        user.click("#da-check")
        page.locator("#da-commit:not([disabled])").wait_for(timeout=120_000)
        user.click("#da-commit")
        page.locator("#da-imported a").wait_for(timeout=60_000)
        user.click("#da-imported a")
        summary = page.locator("#hm-summary")
        summary.filter(has_text="answers").wait_for(timeout=60_000)
        return user.actions, time.perf_counter() - start, summary.inner_text()
    finally:
        context.close()
        server.stop()


def reference(browser, folder: Path) -> float:
    """Seconds to load the Data page and the heatmap page of an empty project (no import)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with open_workspace(folder / "ws") as workspace:
        workspace.create_journey(workspace.create_project("Client"), journey(("One", "Two")))
    server = Server(folder / "ws", demo=False)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(server.at("/data"))
        page.locator("#da-journey option:not(:empty)").first.wait_for(state="attached")
        page.goto(server.at("/heatmap"))
        page.locator("#hm-summary").wait_for(state="attached")
        return time.perf_counter() - start
    finally:
        context.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        folder = Path(temporary)
        base = statistics.median(reference(browser, folder / "ref") for _ in range(args.runs))
        print(f"reference (load /data and /heatmap, no import): {base:.1f} s")
        for label, (name, touchpoints, fixes) in CASES.items():
            walks = [run(browser, folder / "case", name, touchpoints, fixes) for _ in range(args.runs)]
            seconds = statistics.median(w[1] for w in walks)
            print(f"{label}: {walks[0][0]} actions, {seconds:.1f} s (median of {args.runs}); heatmap: "
                  f"{walks[0][2].strip()}")
        browser.close()


if __name__ == "__main__":
    main()
