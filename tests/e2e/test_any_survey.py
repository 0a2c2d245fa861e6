"""End-to-end: a one-wave wide survey with a text outcome and 0 = not applicable, from upload to the heatmap and the
drivers chart, as a consultant does it in a workshop: the guesses accepted after fixing what the page flags, no file
edited outside the app."""

from __future__ import annotations

import csv
import math
import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.serving import Server
from workbench.core.journey import Edge, Journey, Owner, Stage, Touchpoint
from workbench.features.workspace import open_workspace

pytestmark = pytest.mark.e2e

# The airline passenger survey's layout (ratings 0–5 where 0 = not applicable, a text outcome), and a journey whose
# touchpoint names are close to its columns but not the same.
RATINGS = ("Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking", "Gate location",
           "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment", "On-board service",
           "Leg room service", "Baggage handling", "Checkin service", "Inflight service", "Cleanliness")
TOUCHPOINTS = (("booking", "Online booking", "book"), ("schedule", "Departure and arrival time", "book"),
               ("checkin", "Check-in", "airport"), ("gate", "Gate location", "airport"),
               ("boarding", "Boarding", "airport"), ("wifi", "Wi-fi", "flight"), ("seat", "Seat comfort", "flight"),
               ("legroom", "Legroom", "flight"), ("food", "Food & drink", "flight"),
               ("entertainment", "Entertainment", "flight"), ("onboard", "Onboard service", "flight"),
               ("inflight", "Inflight service", "flight"), ("cleanliness", "Cleanliness", "flight"),
               ("baggage", "Baggage handling", "arrival"))
STRONG = {"Online boarding": 1.2, "Inflight wifi service": 0.9, "Inflight entertainment": 0.6, "Seat comfort": 0.4}


def airline_file(path: Path, respondents: int = 1500, seed: int = 7, first_id: int = 70000) -> Path:
    """A wide one-wave survey: no date column, ratings 0–5 (0 = not applicable, about 3 %), ``satisfaction`` as
    text decided by a logistic model of four ratings (the drivers the analysis should find first)."""
    rng = random.Random(seed)
    header = ["id", "Gender", "Customer Type", "Age", "Type of Travel", "Class", "Flight Distance", *RATINGS,
              "Departure Delay in Minutes", "Arrival Delay in Minutes", "satisfaction"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for number in range(respondents):
            base = rng.gauss(0, 1)
            ratings = {name: max(1, min(5, round(3 + 0.8 * base + rng.gauss(0, 1)))) for name in RATINGS}
            logit = -0.2 + sum(weight * (ratings[name] - 3) for name, weight in STRONG.items())
            satisfied = rng.random() < 1 / (1 + math.exp(-logit))
            shown = {name: 0 if rng.random() < 0.03 else value for name, value in ratings.items()}
            writer.writerow([first_id + number, rng.choice(["Male", "Female"]),
                             rng.choice(["Loyal Customer", "disloyal Customer"]), rng.randint(18, 80),
                             rng.choice(["Business travel", "Personal Travel"]), rng.choice(["Eco", "Eco Plus", "Business"]),
                             rng.randint(100, 4000), *shown.values(), rng.randint(0, 60), rng.randint(0, 60),
                             "satisfied" if satisfied else "neutral or dissatisfied"])
    return path


@pytest.fixture
def airline_server(tmp_path):
    with open_workspace(tmp_path / "ws") as workspace:
        project_id = workspace.create_project("Airline")
        keys = [key for key, _name, _stage in TOUCHPOINTS]
        journey = Journey(
            name="Flight", stages=(Stage("book", "Book"), Stage("airport", "Airport"), Stage("flight", "Flight"),
                                   Stage("arrival", "Arrival")),
            owners=(Owner("Operations"),),
            touchpoints=tuple(Touchpoint(key, name, stage, "airport", "Operations", entry=key == keys[0])
                              for key, name, stage in TOUCHPOINTS),
            edges=tuple(Edge(a, b) for a, b in zip(keys, keys[1:])))
        workspace.create_journey(project_id, journey)
    server = Server(tmp_path / "ws", demo=False)
    yield server
    server.stop()


def wide_row(page, column: str):
    return page.locator("#da-wide-table tr").filter(has=page.locator(f"td:first-child:text-is('{column}')"))


def test_a_one_wave_survey_with_a_text_outcome_reaches_the_heatmap_and_drivers(airline_server, page, screenshot,
                                                                               tmp_path):
    path = airline_file(tmp_path / "airline_passenger_satisfaction.csv")
    page.goto(airline_server.at("/data"))
    expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
    page.set_input_files("#da-upload input[type=file]", str(path))
    expect(page.locator("#da-file-info")).to_contain_text(path.name)
    expect(page.locator("#da-layout-note")).to_contain_text("Recognised: plain table")

    # The guesses: one row per respondent, the id unique per row, no date, 0 as "not applicable".
    expect(page.get_by_label("Survey — one row per respondent (a rating column per touchpoint)")).to_be_checked()
    expect(page.locator("#da-respondent_id")).to_have_value("id")
    expect(page.locator("#da-respondent_id-label")).to_contain_text("guess")
    expect(page.locator("#da-ts")).to_have_value("__none__")
    expect(page.locator("#da-na")).to_have_value("0")
    warnings = page.locator("#da-warnings-list")
    expect(warnings).to_contain_text("No column reads as dates")
    # A rating named "…time…" is a rating, matched to its touchpoint; the close names are matched one to one.
    for column, key in (("Departure/Arrival time convenient", "schedule"), ("Online boarding", "boarding"),
                        ("Inflight wifi service", "wifi"), ("Leg room service", "legroom"),
                        ("On-board service", "onboard"), ("Inflight service", "inflight"),
                        ("Checkin service", "checkin")):
        expect(wide_row(page, column).locator("select").first).to_have_value(key)
    # The text outcome: a yes/no, "satisfied" = 1, named after it.
    outcome = wide_row(page, "satisfaction")
    expect(outcome.locator("select").first).to_have_value("_overall")
    expect(outcome.locator("select").nth(1)).to_have_value("yesno")
    expect(page.locator("input[id*='\"label\":\"satisfied\"']")).to_have_value("1")
    expect(page.locator("input[id*='\"label\":\"neutral or dissatisfied\"']")).to_have_value("0")
    expect(page.locator("#da-outcome-name")).to_have_value("Satisfied")
    screenshot(page, "any-survey-guesses")

    # What the page flags is fixed in the page: checking without a date or a wave says what is missing.
    page.fill("#da-name", "Passengers 2026")
    page.click("#da-check")
    expect(page.locator("#da-error")).to_contain_text("fieldwork wave")
    page.fill("#da-wave", "2026-03")
    page.click("#da-check")
    report = page.locator("#da-report-body")
    expect(report).to_be_visible(timeout=60_000)
    expect(report).to_contain_text("1\u00a0500 rows read, 1\u00a0500 valid")
    expect(report).to_contain_text("No dates: every answer belongs to the wave 2026-03.")
    screenshot(page, "any-survey-report")
    page.click("#da-commit")
    expect(page.locator("#da-imported")).to_contain_text("as “Passengers 2026” version 1")

    with open_workspace(airline_server.workspace) as workspace:
        info = workspace.datasets.list(workspace.projects()[0].id)[0]
        assert info.meta["outcome"]["label"] == "Satisfied" and info.meta["outcome"]["binary"]
        assert info.meta["waves"][0]["label"] == "2026-03" and info.meta["dated"] is False

    page.get_by_role("link", name="Open the heatmap").click()
    expect(page.locator("#hm-summary")).to_contain_text("CSAT · wave 2026-03 · all customers", timeout=30_000)
    assert not page.errors, page.errors
    screenshot(page, "any-survey-heatmap")

    page.goto(airline_server.at("/drivers"))
    expect(page.locator("#dr-bars")).to_contain_text("What drives Satisfied", timeout=60_000)
    expect(page.locator("#dr-summary")).to_contain_text("share satisfied")
    # The bars are drawn bottom up: the planted drivers, strongest first, top the chart.
    names = [text.strip() for text in page.locator("#dr-bars .ytick text").all_text_contents()][::-1]
    assert names[:2] == ["Boarding", "Wi-fi"], names
    assert not page.errors, page.errors
    screenshot(page, "any-survey-drivers")


def test_a_second_wave_is_appended_and_the_waves_compared(airline_server, page, tmp_path):
    for month, first_id, seed in (("2026-03", 70000, 7), ("2026-06", 71000, 8)):
        path = airline_file(tmp_path / f"airline_{month}.csv", respondents=1200, seed=seed, first_id=first_id)
        page.goto(airline_server.at("/data"))
        expect(page.locator("#da-journey option:not(:empty)")).not_to_have_count(0)
        page.set_input_files("#da-upload input[type=file]", str(path))
        expect(page.locator("#da-outcome-name")).to_have_value("Satisfied")
        page.fill("#da-wave", month)
        page.fill("#da-name", "Passengers")
        if month == "2026-06":
            page.get_by_label(re.compile("Append to this dataset")).check()
        page.click("#da-check")
        expect(page.locator("#da-report-body")).to_be_visible(timeout=60_000)
        page.click("#da-commit")
    # 200 respondents of the June file (ids 71000–71199) were already in March's: left out and reported.
    imported = page.locator("#da-imported")
    expect(imported).to_contain_text("Appended 14")
    expect(imported).to_contain_text("“Passengers” version 2 holds")
    with open_workspace(airline_server.workspace) as workspace:
        info = next(d for d in workspace.datasets.list(workspace.projects()[0].id) if d.latest)
        assert [w["label"] for w in info.meta["waves"]] == ["2026-03", "2026-06"]
        assert info.report.issues[0].code == "duplicate_across_files" and info.report.issues[0].count == 200
    page.goto(airline_server.at("/heatmap"))
    expect(page.locator("#hm-summary")).to_contain_text("CSAT", timeout=30_000)
    expect(page.get_by_text("one survey wave")).to_have_count(0)  # two waves: time can be compared
    assert not page.errors, page.errors
