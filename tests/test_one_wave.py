"""Integration: a survey without dates, imported as one wave, through every analysis of the pages and the deck.

The analyses over answers (heatmap, matrix, breaks by segment and step, leaderboards, drivers, comments, the deck)
work on it as on any window; those that need time (alerts on trends, before/after, the trend) say that the dataset
is one wave instead of failing or drawing one point.
"""

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from workbench.analysis import breaks, coding, drivers, heatmap, leaderboard, verify
from workbench.core.contract import OVERALL
from workbench.data import query, waves
from workbench.data.ingest import SurveyMapping, WideColumn
from workbench.export import deck
from workbench.features import comments
from workbench.features import export as findings
from workbench.features.actions import check as check_card
from workbench.features.alerts import check as check_alerts
from workbench.repos import alerts, text

RESPONDENTS = 400
REGIONS = ("North", "South", "East", "West")


def write_wave(path: Path) -> SurveyMapping:
    """A wide survey of 400 respondents without a date column at ``path``, and its mapping as the March 2026 wave:
    South's deliveries are rated low, and the overall NPS follows the web and delivery ratings."""
    rng = np.random.default_rng(7)
    lines = ["respondent,region,branch,Overall,Web,Cart,Delivery,comment"]
    for i in range(RESPONDENTS):
        region = REGIONS[i % 4]
        web, cart = rng.integers(3, 6), rng.integers(2, 6)
        delivery = rng.integers(1, 3) if region == "South" else rng.integers(3, 6)
        overall = int(np.clip(round(2 * (web + delivery) - 6 + rng.normal(0, 1)), 0, 10))
        comment = "the courier was late" if delivery < 3 else ("great web shop" if i % 3 == 0 else "")
        lines.append(f"r{i},{region},{region[0]}{i % 3},{overall},{web},{cart},{delivery},{comment}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SurveyMapping(ts=None, wave="2026-03", respondent_id="respondent", comment="comment",
                         segments=("region", "branch"),
                         wide=(WideColumn("Overall", OVERALL, "nps"), WideColumn("Web", "web", "csat"),
                               WideColumn("Cart", "cart", "csat"), WideColumn("Delivery", "delivery", "csat")))


@pytest.fixture
def one_wave(workspace, small_journey, tmp_path):
    """The survey of :func:`write_wave` imported for the small journey: project id, journey id, dataset."""
    mapping = write_wave(tmp_path / "wave.csv")
    project_id = workspace.create_project("Wave")
    journey_id = workspace.create_journey(project_id, small_journey)
    info = workspace.datasets.import_file(project_id, tmp_path / "wave.csv", mapping, "Wave survey",
                                          journey_id=journey_id)
    return project_id, journey_id, info


def window(info) -> query.Query:
    """The filter bar's window over the dataset: its default "last 3 months" keeps the whole wave."""
    sources = (str(info.path),)
    start, end = heatmap.default_window(query.date_bounds(sources), 3)
    return query.Query(sources, date_from=start, date_to=end)


def test_the_wave_is_recorded_and_the_default_window_keeps_every_answer(one_wave):
    _project, _journey, info = one_wave
    wave = waves.single_wave(info.meta)
    assert wave == waves.Wave("2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert "2026-03" in waves.no_trend_message(wave)
    assert query.date_bounds((str(info.path),)) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert int(query.aggregate(window(info))["answers"].sum()) == info.rows


def test_heatmap_matrix_breaks_and_leaderboards_work_on_one_wave(workspace, small_journey, one_wave):
    _project, _journey, info = one_wave
    chosen = window(info)
    scored = heatmap.scores(small_journey, query.aggregate(chosen), "csat")
    assert scored.set_index("touchpoint").loc["delivery", "n"] == RESPONDENTS
    assert len(heatmap.steps(small_journey, scored)) == 3  # the loop back from delivery is not a step
    cells = query.aggregate(replace(chosen, by=("touchpoint", "region")))
    matrix = heatmap.matrix(small_journey, cells, query.aggregate(chosen), "region", "csat")
    assert set(matrix["segment"]) == {"(network)", *REGIONS}

    found = breaks.find(small_journey, chosen.sources, "csat", date_from=chosen.date_from, date_to=chosen.date_to)
    kinds = {(b.kind, b.touchpoint, b.segment) for b in found}
    assert ("segment", "delivery", "South") in kinds  # South's deliveries, undated: one wave has no change point
    assert any(kind == "step" for kind, _tp, _segment in kinds)
    assert all(b.kind != "decline" and b.since is None for b in found)

    by_region = query.aggregate(replace(chosen, by=("region",)))
    board = leaderboard.rank(by_region, None, "region", "csat")
    assert board["name"].iloc[-1] == "South" and board["trend"].eq("").all()
    owners = leaderboard.owner_results(query.aggregate(chosen), small_journey)
    assert len(leaderboard.rank(owners, None, "owner", "csat")) == 2


def test_drivers_comments_and_the_deck_work_on_one_wave(workspace, small_journey, one_wave):
    project_id, journey_id, info = one_wave
    chosen = window(info)
    result = drivers.analyse_query(chosen, outcome="nps", driver_metric="csat", reps=20)
    assert result.model == "respondent" and set(result.table["touchpoint"]) >= {"web", "delivery"}

    workspace.verbatims.save_codebook(project_id, text.Codebook((text.Theme("late", "Late", ("late",)),)),
                                      expected_version=0)
    frame, tags = comments.coded(workspace, project_id, chosen)
    assert len(frame) == len(tags) > 0 and tags["late"].sum() == RESPONDENTS // 4
    counts = coding.theme_counts(frame, tags, by=("region",))
    assert counts.loc[counts["mentions"] > 0, "region"].tolist() == ["South"]
    assert len(coding.theme_by_score(frame, tags, "nps")) == 1 and len(coding.browse(frame, tags)) > 0

    found = findings.gather(workspace, findings.Request(project_id, journey_id, dataset_id=info.id))
    assert found.provenance.answers == info.rows - RESPONDENTS  # the overall answers sit outside the journey
    assert found.drivers is not None and found.breaks
    assert found.provenance.period() == "wave 2026-03"  # the deck's notes name the wave, not a one-day period
    assert deck.build(found)[:2] == b"PK"


def test_alerts_and_before_after_say_the_dataset_is_one_wave(workspace, small_journey, one_wave):
    project_id, journey_id, info = one_wave
    wave = waves.single_wave(info.meta)
    workspace.alerts.save_rules(journey_id, [
        alerts.Rule("calls", "Call back", "answer", metric="csat", need_comment=False),
        alerts.Rule("share", "Unhappy share", "share", metric="csat", min_n=10),
        alerts.Rule("drop", "Falling CSAT", "drop", metric="csat", min_n=10)],
        expected_version=workspace.alerts.rules(journey_id)[1])
    checked = check_alerts(workspace, journey_id)
    assert set(checked.skipped) == {"Unhappy share", "Falling CSAT"}
    assert all("one wave" in why for why in checked.skipped.values())
    raised = workspace.alerts.list(project_id, journey_id)
    assert raised and {item.alert.kind for item in raised} == {"answer"}  # people to call back need no trend

    checked = verify.verify((str(info.path),), ("delivery",), dt.date(2026, 3, 15), wave=wave)
    assert checked.verdict == "insufficient" and checked.sentence == waves.no_trend_message(wave)
    stored = verify.Verification.from_dict(checked.to_dict())  # as a card keeps it
    assert (stored.verdict, stored.sentence, stored.n_before, stored.n_after) == ("insufficient", checked.sentence,
                                                                                  0, 0)


def test_a_cards_check_through_the_api_says_the_dataset_is_one_wave(workspace, small_journey, one_wave):
    from workbench.repos.actions import Draft

    project_id, journey_id, info = one_wave
    card = workspace.actions.create(project_id, Draft("Faster delivery", touchpoints=("delivery",)),
                                    journey_id=journey_id, status="done")
    checked = check_card(workspace, card.id, expected_version=card.version)
    assert checked.verification["verdict"] == "insufficient"
    assert checked.verification["sentence"] == waves.no_trend_message(waves.single_wave(info.meta))
