"""The Drivers screen's features without a browser: what can be explained, the analysis with its priorities and a
draft card per touchpoint, promoters as a yes/no outcome, and a survey with nothing to explain."""

from __future__ import annotations

import datetime

import pyarrow as pa

from workbench.core.contract import OVERALL
from workbench.features import drivers
from workbench.features.demo import DEMO_DATASETS
from workbench.features.selection import Selection


def demo_selection(workspace, project_id: int, journey_id: int) -> tuple[Selection, int]:
    """All of the demo survey's answers, and its dataset id."""
    [survey] = [d for d in workspace.datasets.list(project_id, "survey") if d.name == DEMO_DATASETS["survey"]]
    chosen = Selection(project_id=project_id, journey=workspace.journey(journey_id).journey,
                       sources=(str(survey.path),), metric="csat", date_from=None, date_to=None, filters=())
    return chosen, survey.id


def test_an_nps_outcome_can_also_be_explained_as_promoter_or_not(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    _chosen, dataset_id = demo_selection(workspace, project_id, journey_id)
    assert drivers.outcome_choices(workspace, dataset_id) == [
        ("NPS: likelihood to recommend (0–10)", "nps"), ("Promoter or not (overall 9–10)", drivers.PROMOTER)]


def test_the_analysis_ranks_the_planted_drivers_with_a_draft_card_each(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    chosen, dataset_id = demo_selection(workspace, project_id, journey_id)
    found = drivers.analyse(workspace, chosen, dataset_id, "nps", "csat", "lmg")
    assert found.error == "" and not found.no_overall and found.shown.label == "NPS" and not found.shown.binary
    top = found.ranked.sort_values("share", ascending=False)["touchpoint"][:2]
    assert set(top) == set(effects.driver_touchpoints)
    assert set(found.drafts) == set(found.ranked["touchpoint"])
    draft = found.drafts["checkout"]
    reason = found.ranked.set_index("touchpoint").at["checkout", "reason"]
    assert (draft.title, draft.touchpoints, draft.metric, draft.description) == (
        "Improve Checkout (key driver)", ("checkout",), "csat", reason)
    assert draft.origin == {"kind": "driver", "label": reason}
    assert found.owners["checkout"] == next(tp.owner for tp in chosen.journey.touchpoints if tp.key == "checkout")
    assert found.filters == "all customers"


def test_promoter_or_not_is_a_yes_no_outcome_named_promoters(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    chosen, dataset_id = demo_selection(workspace, project_id, journey_id)
    found = drivers.analyse(workspace, chosen, dataset_id, drivers.PROMOTER, "csat", "johnson")
    assert found.shown.binary and found.shown.label == "promoters" and found.result.method == "johnson"
    assert 0 < found.result.outcome_share().value < 100


def test_a_survey_without_overall_answers_has_nothing_to_explain(workspace, small_journey):
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    table = pa.table({"response_id": ["1", "2"], "respondent_id": ["r1", "r2"],
                      "ts": [datetime.datetime(2026, 5, 4)] * 2, "touchpoint": ["web", "cart"], "csat": [4, 5]})
    info = workspace.datasets.add_table(project, table, "Survey", "survey", journey_id=journey_id)
    chosen = Selection(project_id=project, journey=small_journey, sources=(str(info.path),), metric="csat",
                       date_from=None, date_to=None, filters=())
    assert OVERALL not in info.meta["touchpoints"]
    found = drivers.analyse(workspace, chosen, info.id, "nps", "csat", "lmg")
    assert found.no_overall and found.result is None


def test_too_few_answers_give_the_analysis_s_reason(workspace, small_journey):
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    table = pa.table({"response_id": ["1", "2", "3"], "respondent_id": ["r1", "r1", "r2"],
                      "ts": [datetime.datetime(2026, 5, 4)] * 3, "touchpoint": ["web", OVERALL, OVERALL],
                      "csat": [4, None, None], "nps": [None, 9, 3]})
    info = workspace.datasets.add_table(project, table, "Survey", "survey", journey_id=journey_id)
    chosen = Selection(project_id=project, journey=small_journey, sources=(str(info.path),), metric="csat",
                       date_from=None, date_to=None, filters=())
    found = drivers.analyse(workspace, chosen, info.id, "nps", "csat", "lmg")
    assert found.result is None and found.error and not found.no_overall


def test_a_touchpoint_s_verdict_in_words_with_its_adjusted_p_value():
    assert drivers.verdict(True, 0.0004) == "matters (p < 0.001)"
    assert drivers.verdict(False, 0.41234) == "no evidence it matters (p = 0.412)"
    assert drivers.verdict(False, float("nan")) == "no evidence it matters (p not defined)"


def test_the_method_note_names_the_interval_s_level_and_the_test(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    chosen, dataset_id = demo_selection(workspace, project_id, journey_id)
    found = drivers.analyse(workspace, chosen, dataset_id, "nps", "csat", "johnson")
    note = drivers.method_note(found.result)
    touchpoints = len(found.result.table)
    assert "Intervals: 95\u00a0% percentile bootstrap over 200 resamples" in note
    assert f"Holm-adjusted across the {touchpoints} touchpoints at 5\u00a0%" in note
    assert "Johnson's relative weights credits it" in note
    # The planted drivers matter; every verdict is the Holm-adjusted p-value against 5 %.
    table = found.ranked.set_index("touchpoint")
    assert table.loc[list(effects.driver_touchpoints), "matters"].all()
    assert (table["matters"] == (table["p_adjusted"] < 0.05)).all()
