"""ROI scenarios on the demo workspace: evidence from import to link, the chain to money, saving, comparing, export."""

from __future__ import annotations

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open

import csv
import dataclasses
import io

import pandas as pd
import pytest

from workbench.core.errors import ConflictError, WorkspaceError
from workbench.core.scenario import Assumptions, Scenario
from workbench.features import roi as screen
from workbench.features.demo import DEMO_DATASETS
from workbench.repos.actions import Action

KPIS = DEMO_DATASETS["kpi_period"]


def revenue(journey_id: int, **changes) -> Scenario:
    """A revenue scenario on the demo KPIs, with ``changes`` to any field."""
    return Scenario(**{"name": "Revenue", "journey_id": journey_id, "kpi_dataset": KPIS, "kpi": "revenue",
                                 **changes})


def test_the_demo_kpi_dataset_offers_its_kpis_and_segments(seeded_demo):
    workspace, project_id, _journey_id, _effects = seeded_demo
    (choice,) = screen.kpi_choices(workspace, project_id)
    assert choice.name == KPIS and {"revenue", "churn_rate", "resolution_hours"} <= set(choice.kpis)
    assert "branch" in choice.segments


def test_evidence_recovers_the_planted_revenue_link_and_the_key_drivers(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    found = screen.evidence(workspace, project_id, revenue(journey_id))
    assert found.link.low <= effects.revenue_semi_elasticity <= found.link.high and found.link.supported
    assert (found.link.n, found.link.groups) == (1200, 50)
    slopes = {key: found.model.slope(key) for key in found.model.touchpoints}
    assert set(sorted(slopes, key=slopes.get)[-2:]) == set(effects.driver_touchpoints)
    assert screen.evidence(workspace, project_id, revenue(journey_id)).to_dict() == found.to_dict()  # cached
    table = pd.read_parquet(workspace.datasets.list(project_id, "kpi_period")[0].path)
    monthly = table.groupby("period")["revenue"].sum().sort_index().tail(12)
    assert found.kpi_per_month == pytest.approx(monthly.mean()) and found.rows_per_month == 50


def test_a_scenario_on_the_zero_link_is_not_supported(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    scenario = revenue(journey_id, kpi=effects.zero_link_kpi, log_kpi=False,
                       assumptions=Assumptions(changes={"checkout": 0.3}, value_per_unit=-50, cost=1000))
    _scenario, found, outcome = screen.run(workspace, project_id, scenario)
    assert not found.link.supported and not outcome.supported
    assert outcome.doubts == ("The link of resolution hours to NPS is not significant.",)


def test_run_takes_the_base_from_the_data_unless_it_was_typed(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    typed = Assumptions(changes={"checkout": 0.3}, base=1e6, value_per_unit=0.3, cost=1e5)
    from_data, found, outcome = screen.run(workspace, project_id, revenue(journey_id, assumptions=typed))
    assert from_data.assumptions.base == found.kpi_per_month
    kept, _found, kept_outcome = screen.run(workspace, project_id,
                                               revenue(journey_id, assumptions=typed, base_from_data=False))
    assert kept.assumptions.base == 1e6
    assert kept_outcome.monthly_gain == pytest.approx(outcome.monthly_gain * 1e6 / found.kpi_per_month)


def test_the_evidence_names_what_is_missing(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    with pytest.raises(WorkspaceError, match="no KPI-per-period dataset named “Nope”"):
        screen.evidence(workspace, project_id, revenue(journey_id, kpi_dataset="Nope"))
    with pytest.raises(ValueError, match="has no column 'profit'"):
        screen.evidence(workspace, project_id, revenue(journey_id, kpi="profit"))
    with pytest.raises(ValueError, match="survey has no column 'store'"):
        screen.evidence(workspace, project_id, revenue(journey_id, segment="store"))


def test_the_demo_ships_two_saved_scenarios_that_pay_back(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    saved = workspace.scenarios.list(project_id)
    assert [s.scenario.name for s in saved] == ["Checkout and notifications +0.3 CSAT", "Courier coaching, churn"]
    for item in saved:
        _scenario, _found, outcome = screen.run(workspace, project_id, item.scenario)
        assert outcome.supported and outcome.npv > 0 and outcome.payback is not None


def test_saving_checks_names_and_versions(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    scenario = revenue(journey_id, name="  Price  promise ", assumptions=Assumptions(changes={"checkout": 0.2}))
    first = workspace.scenarios.save(project_id, scenario, "Eva")
    assert first.scenario.name == "Price promise" and first.version == 1 and first.updated_by == "Eva"
    assert workspace.scenarios.get(first.id).scenario == first.scenario
    with pytest.raises(WorkspaceError, match="already exists"):
        workspace.scenarios.save(project_id, dataclasses.replace(scenario, name="price PROMISE"))
    second = workspace.scenarios.save(project_id, dataclasses.replace(first.scenario, lag=1), "Jan",
                                      scenario_id=first.id, expected_version=1)
    assert second.version == 2 and workspace.scenarios.get(first.id).scenario.lag == 1
    with pytest.raises(ConflictError, match="saved in another window by Jan"):
        workspace.scenarios.save(project_id, first.scenario, "Eva", scenario_id=first.id, expected_version=1)
    with pytest.raises(WorkspaceError, match="needs a name"):
        workspace.scenarios.save(project_id, dataclasses.replace(scenario, name="  "))
    other = workspace.create_project("Another client")
    with pytest.raises(WorkspaceError, match="No scenario with id"):  # never across projects
        workspace.scenarios.save(other, first.scenario, "Eva", scenario_id=first.id, expected_version=2)
    with pytest.raises(WorkspaceError, match="No scenario with id"):
        workspace.scenarios.delete(other, first.id, expected_version=2)
    with pytest.raises(ConflictError):
        workspace.scenarios.delete(project_id, first.id, expected_version=1)
    workspace.scenarios.delete(project_id, first.id, expected_version=2)
    assert first.id not in [s.id for s in workspace.scenarios.list(project_id)]


def test_a_scenario_survives_a_round_trip_through_the_store_and_json():
    scenario = Scenario(name="x", journey_id=3, kpi_dataset="K", kpi="churn_rate", log_kpi=False, lag=2,
                                  assumptions=Assumptions(changes={"a": 0.5}, cost=10.0), base_from_data=False,
                                  action_id=7, note="n")
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    assert Scenario.from_dict({**scenario.to_dict(), "added_later": 1}) == scenario


def test_an_action_card_gives_its_verified_change_else_its_expected_one():
    card = Action(title="Coaching", touchpoints=("own-courier", "unboxing"), cost=95_000.0, expected_change=0.8,
                  metric="csat", id=12)
    base = Assumptions(value_per_unit=0.3, months=18)
    planned = screen.from_action(card, 1, KPIS, "revenue", base)
    assert planned.assumptions.changes == {"own-courier": 0.8, "unboxing": 0.8}
    assert (planned.assumptions.cost, planned.assumptions.months, planned.action_id) == (95_000.0, 18, 12)
    verified = dataclasses.replace(card, verification={"effect": 0.35, "change": 0.5})
    taken = screen.from_action(verified, 1, KPIS, "revenue", base)
    assert taken.assumptions.changes == {"own-courier": 0.35, "unboxing": 0.35} and taken.driver_metric == "csat"
    index = screen.from_action(dataclasses.replace(card, metric="index", expected_change=5.0), 1, KPIS, "revenue",
                                  base)
    assert index.assumptions.changes == {"own-courier": 0.2, "unboxing": 0.2} and index.driver_metric == "csat"
    nps = screen.from_action(dataclasses.replace(card, metric="nps", expected_change=8.0), 1, KPIS, "revenue",
                                base)
    assert nps.assumptions.changes == {} and nps.driver_metric == "nps"  # NPS points are no rating change


def test_comparison_and_its_csv_keep_formulas_out(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    items = []
    for name, cost in (("=HYPERLINK(\"http://x\")", 1e5), ("Cheap", 1e4)):
        scenario = revenue(journey_id, name=name, assumptions=Assumptions(changes={"checkout": 0.1},
                                                                              value_per_unit=0.3, cost=cost))
        items.append(screen.run(workspace, project_id, scenario)[::2])
    table = screen.compare(items)
    assert list(table.columns) == ["=HYPERLINK(\"http://x\")", "Cheap"]
    assert table.loc["NPV", "Cheap"] - table.loc["NPV", "=HYPERLINK(\"http://x\")"] == pytest.approx(9e4)
    rows = list(csv.reader(io.StringIO(screen.to_csv(table))))
    assert rows[0] == ["", "'=HYPERLINK(\"http://x\")", "Cheap"]
    by_label = {row[0]: row[1:] for row in rows[1:]}
    assert by_label["Cost"] == ["100000.0", "10000.0"] and by_label["Supported by the data"] == ["yes", "yes"]
    assert float(by_label["NPV"][1]) == table.loc["NPV", "Cheap"]  # every digit
