"""Integration: the demo workspace (generated data → datasets → query) shows its planted effects."""

import datetime as dt

import pytest

from tests.serving import copy_workspace
from workbench.core import metrics
from workbench.data import query
from workbench.data.query import Query
from workbench.features.demo import DEMO_DATASETS, seed_demo
from workbench.features.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(demo_folder, tmp_path_factory):
    """A copy of the workspace the session seeded with ``seed_demo`` (tests/conftest.py): the demo and its id."""
    workspace = open_workspace(copy_workspace(demo_folder, tmp_path_factory.mktemp("demo") / "ws"))
    [project_id] = [project.id for project in workspace.projects()]
    yield workspace, project_id
    workspace.close()


def test_the_demo_journey_has_survey_and_kpi_data_attached(demo):
    workspace, project_id = demo
    journey_id = workspace.journeys(project_id)[0].id
    named = {d.name: d for d in workspace.datasets.list(project_id)}
    assert set(named) == set(DEMO_DATASETS.values())
    datasets = {key: named[name] for key, name in DEMO_DATASETS.items()}
    assert {key: d.kind for key, d in datasets.items()} == {"survey": "survey", "kpi_period": "kpi_period",
                                                           "kpi_customer": "kpi_customer", "reviews": "survey",
                                                           "audit": "audit"}
    assert datasets["reviews"].meta["source"] == "reviews" and datasets["reviews"].journey_id == journey_id
    survey = datasets["survey"]
    assert survey.journey_id == journey_id and 180_000 < survey.rows < 220_000
    assert survey.meta["segments"] == ["region", "branch", "channel", "employee", "customer_type"]
    assert (survey.meta["date_from"][:7], survey.meta["date_to"][:7]) == ("2024-11", "2026-10")
    keys = {tp.key for tp in workspace.journey(journey_id).journey.touchpoints} | {"_overall"}
    assert set(survey.meta["touchpoints"]) <= keys
    assert set(datasets["kpi_period"].meta["kpis"]) == {"revenue", "orders", "churn_rate", "complaints",
                                                        "resolution_hours"}
    assert seed_demo(workspace) == project_id  # seeding twice adds nothing
    assert len(workspace.datasets.list(project_id)) == 5


def test_the_planted_break_is_found_through_the_query_engine(demo):
    from workbench.data.demodata import generate
    from workbench.data.templates import load_template

    workspace, project_id = demo
    truth = generate(load_template("ecommerce-delivery")).effects  # the same seed as the demo's
    survey = next(d for d in workspace.datasets.list(project_id) if d.name == DEMO_DATASETS["survey"])
    last_day = dt.date.fromisoformat(survey.meta["date_to"][:10])
    year_before = truth.break_from.replace(year=truth.break_from.year - 1)

    def csat(date_from, date_to, regions) -> metrics.Estimate:
        frame = query.aggregate(Query(sources=(str(survey.path),), by=("touchpoint",), date_from=date_from,
                                      date_to=date_to, filters=(("region", regions),)))
        row = frame.set_index("touchpoint").loc[truth.break_touchpoint]
        return metrics.Estimate(row.csat, row.csat_se, row.csat_low, row.csat_high, int(row.csat_n),
                                bool(row.csat_low_n))

    def change(regions) -> metrics.Comparison:
        return metrics.compare(csat(truth.break_from, last_day, regions),
                               csat(year_before, truth.break_from - dt.timedelta(days=1), regions))

    broken = change((truth.break_region,))
    assert broken.difference < -0.5 and broken.p_value < 1e-6
    assert broken.low < -truth.break_csat_drop < broken.high
    others = tuple(r for r in query.segment_values((str(survey.path),), "region") if r != truth.break_region)
    assert abs(change(others).difference) < 0.15


def test_the_demo_pilot_card_is_verified_as_improved_and_a_control_card_as_unchanged(demo):
    """Issue 7: an action on the planted improvement verifies as improved; one on the untouched touchpoint does not."""
    from workbench.analysis.verify import Windows
    from workbench.data.demodata import generate
    from workbench.data.templates import load_template
    from workbench.features.actions import check
    from workbench.repos.actions import Draft

    workspace, project_id = demo
    journey_id = workspace.journeys(project_id)[0].id
    effects = generate(load_template("ecommerce-delivery")).effects  # the same seed and size seed_demo uses
    [pilot] = [a for a in workspace.actions.list(project_id) if a.status == "done"]
    assert pilot.touchpoints == (effects.improved_touchpoint,) and pilot.done_on == effects.improved_from
    checked = check(workspace, pilot.id, Windows(8, 8), "Test", expected_version=pilot.version)
    assert (checked.verdict, checked.verification["method"]) == ("improved", "difference_in_differences")
    assert checked.verification["effect_low"] <= effects.improvement_csat <= checked.verification["effect_high"]
    assert checked.realised_change == pytest.approx(checked.verification["effect"])
    verified = workspace.actions.move(pilot.id, "verified", expected_version=checked.version)
    assert verified.status == "verified"

    control = workspace.actions.create(project_id, Draft("Placebo", touchpoints=(effects.untouched_touchpoint,),
                                                         segment="region", treated=effects.improved_regions),
                                       journey_id=journey_id, status="done")
    control = workspace.actions.update(control.id, control.draft, expected_version=control.version,
                                       done_on=effects.improved_from)
    found = check(workspace, control.id, Windows(8, 8), expected_version=control.version)
    assert found.verdict == "no_change", found.verification["sentence"]
    assert "no detectable change" in found.verification["sentence"]
