"""The ROI screen's features without a browser: what stops the chain, the choices, a form read as a scenario, the
value of a churn point, a card's scenario, saving in the right place and the comparison of saved scenarios."""

from __future__ import annotations

import csv
import datetime
import io
import math

import pyarrow as pa
import pytest

from workbench.analysis import roi as analysis
from workbench.core.errors import ConflictError
from workbench.core.scenario import Assumptions, Scenario
from workbench.features import roi
from workbench.features.demo import DEMO_DATASETS

KPIS = DEMO_DATASETS["kpi_period"]
DEFAULTS = Assumptions(value_per_unit=0.3, months=24, discount=0.08)


def evidence(log_kpi: bool = True) -> analysis.Evidence:
    """Evidence without a score model, 1 000 000 of KPI a month and 50 segment rows a month."""
    link = analysis.Link("revenue", "nps", 0.004, 0.001, 0.002, 0.006, 0.001, 1200, 50, 0.4, log_kpi, 0, 0.95, True,
                         "")
    return analysis.Evidence(link, None, "no model", 1_000_000.0, 50.0, "Survey · v1", "KPIs · v1")


def form(**changes) -> Scenario:
    """A form as the page reads it: every field given as typed, ``changes`` replacing any."""
    fields = {"name": "  Lift ", "journey_id": 3, "kpi_dataset": KPIS, "kpi": "revenue", "segment": "branch",
              "lag": None, "driver_metric": "csat", "changes": {"checkout": 0.3, "web": None, "cart": 0},
              "overall": None, "base": None, "value": 0.25, "cost": 5000, "months": 12, "discount_percent": 10,
              "defaults": DEFAULTS, **changes}
    return roi.scenario_from_form(evidence(), **fields)


def test_a_form_is_read_as_a_scenario_on_its_evidence():
    scenario = form()
    a = scenario.assumptions
    assert scenario.name == "Lift" and scenario.lag == 0 and scenario.log_kpi
    assert a.changes == {"checkout": 0.3}  # blank and zero changes are no change
    assert (a.value_per_unit, a.cost, a.months, a.discount) == (0.25, 5000, 12, pytest.approx(0.10))
    assert scenario.base_from_data and a.base == 1_000_000.0  # a blank base is the KPI per month from the data


def test_a_form_keeps_a_typed_base_and_bounds_what_cannot_be():
    scenario = form(base=2_000, cost=-10, months=0, discount_percent=-5, overall="x")
    a = scenario.assumptions
    assert not scenario.base_from_data and a.base == 2_000
    assert (a.cost, a.months, a.discount, a.overall_change) == (0.0, 1, 0.0, 0.0)
    blank = form(months=None, discount_percent=None, value=float("inf"))
    assert (blank.assumptions.months, blank.assumptions.discount, blank.assumptions.value_per_unit) == (
        24, pytest.approx(0.08), 0.0)  # blank: the defaults; infinite: nothing


def test_a_linear_link_takes_the_segment_rows_as_its_base():
    linear = roi.scenario_from_form(analysis.Evidence(**{**evidence().__dict__, "link": evidence(False).link}),
                                    name="x", journey_id=1, kpi_dataset=KPIS, kpi="churn_rate", segment="branch",
                                    lag=2, driver_metric="csat", changes={}, overall=2, base="", value=-300,
                                    cost=1, months=6, discount_percent=0, defaults=DEFAULTS)
    assert not linear.log_kpi and linear.assumptions.base == 50.0 and linear.lag == 2
    assert linear.assumptions.overall_change == 2


def test_the_value_of_a_churn_point_from_the_form():
    lifetime, value = roi.churn_point(600, 0.8, 8, 20_000)
    assert lifetime == pytest.approx(600 * 0.8 / (1 + 0.08 - 0.8))  # 1 714.29 per customer
    assert value == -342_857.14  # −1 714.2857 × 20 000 / 100, to the cent
    assert roi.churn_point(None, 0.5, None, 100) == (0.0, 0.0)  # blank fields count as zero
    with pytest.raises(ValueError):
        roi.churn_point(600, 1.2, 8, 20_000)


def test_the_demo_project_can_carry_the_chain_and_an_empty_one_says_why_not(seeded_demo, workspace):
    demo, project_id, journey_id, _effects = seeded_demo
    assert roi.blocker(demo, project_id, journey_id) is None
    empty = workspace.create_project("Empty")
    assert roi.blocker(workspace, empty, 1) == roi.Blocker(roi.NO_SURVEY)


def survey(touchpoint: str) -> pa.Table:
    """Twenty NPS answers at one touchpoint, in one branch and month."""
    return pa.table({"response_id": [str(i) for i in range(20)], "respondent_id": [f"r{i}" for i in range(20)],
                     "ts": [datetime.datetime(2026, 5, 4)] * 20, "touchpoint": [touchpoint] * 20,
                     "nps": [9] * 10 + [3] * 10, "branch": ["Brno"] * 20})


@pytest.mark.parametrize(("touchpoint", "kind"), [("web", roi.NO_OVERALL), ("_overall", roi.NO_KPIS)])
def test_a_survey_without_an_overall_nps_or_a_project_without_kpis_is_named(workspace, small_journey, touchpoint,
                                                                             kind):
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    workspace.datasets.add_table(project, survey(touchpoint), "Survey", "survey", journey_id=journey_id)
    assert roi.blocker(workspace, project, journey_id) == roi.Blocker(kind)


def test_kpi_columns_prefer_revenue_and_the_finest_segment_and_keep_a_choice(seeded_demo):
    workspace, project_id, _journey_id, _effects = seeded_demo
    first = roi.kpi_columns(workspace, project_id, KPIS)
    assert first.kpi == "revenue" and first.segment == first.segments[-1] == "branch"
    kept = roi.kpi_columns(workspace, project_id, KPIS, "churn_rate", first.segments[0])
    assert (kept.kpi, kept.segment) == ("churn_rate", first.segments[0])
    assert roi.kpi_columns(workspace, project_id, "Nope") == roi.KpiColumns((), None, (), None)


def test_a_link_opens_its_scenario_s_journey(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    saved = workspace.scenarios.list(project_id)[0]
    journeys, chosen = roi.opening_journey(workspace, project_id, scenario_id=saved.id)
    assert chosen == saved.scenario.journey_id == journey_id and (chosen in [i for _n, i in journeys])
    assert roi.opening_journey(workspace, project_id, scenario_id=999_999)[1] == journeys[0][1]  # gone: the first
    offered = roi.journey_choices(workspace, project_id, journey_id)
    assert {s.scenario.name for s in offered.saved} >= {"Courier coaching, churn"} and offered.kpi_datasets == [KPIS]
    assert all(card.touchpoints for card in offered.cards)


def test_a_card_gives_a_scenario_and_says_where_its_change_came_from(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    card = next(a for a in workspace.actions.list(project_id) if a.title == "Shorter checkout form")
    taken = roi.from_card(workspace, card.id, journey_id, KPIS, "revenue", value=None, months=None,
                          discount_percent=None, defaults=DEFAULTS)
    assert (taken.source, taken.title) == ("expected", "Shorter checkout form")
    a = taken.scenario.assumptions
    assert a.changes == {"checkout": 0.2} and (a.cost, a.value_per_unit, a.months, a.discount) == (
        60_000, 0.3, 24, pytest.approx(0.08))


def test_saving_overwrites_only_the_scenario_opened_in_the_same_journey(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    scenario = Scenario(name="Saved here", journey_id=journey_id, kpi_dataset=KPIS, kpi="revenue")
    first = roi.save(workspace, project_id, scenario, "Eva", None, as_new=False)
    loaded = {"id": first.id, "version": first.version, "project": project_id, "journey": journey_id}
    second = roi.save(workspace, project_id, scenario, "Eva", loaded, as_new=False)
    assert (second.id, second.version) == (first.id, 2)
    elsewhere = roi.save(workspace, project_id, Scenario(name="Saved there", journey_id=journey_id, kpi_dataset=KPIS,
                                                         kpi="revenue"), "Eva", {**loaded, "journey": -1},
                         as_new=False)
    assert elsewhere.id != first.id and elsewhere.version == 1
    assert roi.saved(workspace, first.id).version == 2
    with pytest.raises(ConflictError):
        roi.delete(workspace, project_id, loaded)  # opened at version 1, saved since
    roi.delete(workspace, project_id, {**loaded, "version": 2})
    assert first.id not in [s.id for s in workspace.scenarios.list(project_id)]


def test_the_comparison_of_saved_scenarios_runs_each_on_today_s_data(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    saved = [s for s in workspace.scenarios.list(project_id) if s.scenario.note]  # the two demo scenarios
    table = roi.comparison(workspace, project_id, [s.id for s in saved])
    assert list(table.columns) == [s.scenario.name for s in saved]
    assert table.loc["Cost"].tolist() == [s.scenario.assumptions.cost for s in saved]
    found = roi.gather(workspace, project_id, saved[0].scenario)
    assert found.base == found.evidence.base(saved[0].scenario.log_kpi) and found.names["checkout"] == "Checkout"
    result = roi.result(analysis.with_base(saved[0].scenario, found.evidence), found.evidence, found.names)
    assert result.outcome.npv == pytest.approx(table.loc["NPV", saved[0].scenario.name])
    assert set(result.spread.columns) >= {"assumption", "swing"} and not math.isnan(result.outcome.npv)
    rows = list(csv.reader(io.StringIO(roi.to_csv(table))))
    assert rows[0][1:] == [s.scenario.name for s in saved]


def verdict_of(overall: float, cost: float, se: float = 0.0) -> roi.Verdict:
    """The verdict of a revenue scenario of ``overall`` NPS points on a 0.004 link (SE ``se``) with 1 M a month."""
    link = analysis.Link("revenue", "nps", 0.004, se, 0.002, 0.006, 0.001, 1200, 50, 0.4, True, 0, 0.95, True, "")
    assumptions = Assumptions(overall_change=overall, base=1_000_000, value_per_unit=0.25, cost=cost, months=12,
                              discount=0.0)
    return roi.verdict(analysis.evaluate(assumptions, link, draws=2_000))


def test_a_scenario_with_no_change_and_only_a_cost_is_not_supported_whatever_its_links():
    found = verdict_of(overall=0, cost=50_000)
    assert found.kind == "unsupported"
    assert found.text == ("Not supported by the data. The scenario assumes no change of the NPS: it has a cost and "
                          "no gain.")


def test_the_verdict_speaks_of_the_scenario_s_money_on_significant_links():
    # 2 NPS points are 0.8 % of 1 M a month: 8 000 a month, 96 000 a year at a quarter's margin is 24 000.
    assert verdict_of(overall=2, cost=10_000).kind == "pays"
    assert verdict_of(overall=2, cost=10_000).text.startswith("Supported by the data: every link in the chain is "
                                                              "significant, and the scenario pays in 100\u00a0% of")
    loses = verdict_of(overall=2, cost=50_000)
    assert loses.kind == "loses" and "does not pay: its NPV is below zero in 100\u00a0% of the simulations" in loses.text
    uncertain = verdict_of(overall=2, cost=24_000, se=0.002)  # the NPV's P10–P90 straddles zero
    assert uncertain.kind == "uncertain" and "whether the scenario pays is uncertain" in uncertain.text


def test_evidence_with_a_stored_score_model_equals_evidence_fitted_afresh(seeded_demo):
    """A second scenario on the same survey reuses the score model and reads only the overall answers for its
    link: the same link, KPI base and model as fitting everything again."""
    workspace, project_id, _journey_id, _effects = seeded_demo
    scenario = workspace.scenarios.list(project_id)[0].scenario
    survey = workspace.datasets.survey_for(project_id, scenario.journey_id)
    kpis = roi._kpi_dataset(workspace, project_id, scenario.kpi_dataset)
    fresh = roi.estimate(survey, kpis, scenario)
    assert fresh.model is not None
    reused = roi.estimate(survey, kpis, scenario, (fresh.model, fresh.model_note))
    assert reused == fresh


def test_evidence_from_the_survey_s_respondent_table_equals_evidence_from_its_answers(seeded_demo, monkeypatch):
    """The demo's import left a respondent table beside the survey (``data.respondents``): the score model read
    from it is the one fitted on the answers without it, to rounding, with the same note and link."""
    from workbench.data import respondents

    workspace, project_id, _journey_id, _effects = seeded_demo
    scenario = workspace.scenarios.list(project_id)[0].scenario
    survey = workspace.datasets.survey_for(project_id, scenario.journey_id)
    kpis = roi._kpi_dataset(workspace, project_id, scenario.kpi_dataset)
    assert respondents.read(survey.path, scenario.driver_metric) is not None
    stored = roi.estimate(survey, kpis, scenario)
    monkeypatch.setattr(respondents, "load", lambda source, metric: None)  # as while it is being written
    fresh = roi.estimate(survey, kpis, scenario)
    assert (stored.link, stored.model_note, stored.kpi_per_month) == (fresh.link, fresh.model_note, fresh.kpi_per_month)
    assert (stored.model.touchpoints, stored.model.n, stored.model.reach) == (
        fresh.model.touchpoints, fresh.model.n, fresh.model.reach)
    assert stored.model.slopes == pytest.approx(fresh.model.slopes, rel=1e-10)
    assert stored.model.r2 == pytest.approx(fresh.model.r2, rel=1e-10)
