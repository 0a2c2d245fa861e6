"""Integration: alert rules run on a journey's survey (on demand and after every import), the inbox keeps one
alert per episode, and an alert moves new → acknowledged → turned into an action → closed."""

import datetime as dt

import pytest

from workbench.core import alerting as alerts
from workbench.core.alerting import Rule
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.data.ingest import SurveyMapping
from workbench.features.alerts import Checked, check
from workbench.features.workspace import open_workspace
from workbench.repos.actions import Draft

BACKENDS = ("sqlite", "postgresql")  # the metadata database of the workspaces the import tests open


def break_alerts(workspace, project_id, journey_id, effects):
    return [item for item in workspace.alerts.list(project_id, journey_id)
            if item.alert.kind == "drop" and item.alert.touchpoint == effects.break_touchpoint
            and item.alert.value == effects.break_region]


def test_the_planted_break_raises_a_drop_alert_when_the_demo_is_seeded(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    found = break_alerts(workspace, project_id, journey_id, effects)
    assert found, "the planted break raised no alert"
    first = min(item.alert.first_seen for item in found)
    assert effects.break_from <= first <= effects.break_from + dt.timedelta(weeks=4)
    owner = workspace.journey(journey_id).journey.touchpoint(effects.break_touchpoint).owner
    assert {item.owner for item in found} == {owner}
    assert all(item.status == "new" for item in found)
    worst = min(found, key=lambda item: item.alert.change)
    assert worst.alert.change < -0.5 and worst.alert.p < 0.001
    other_drops = [item for item in workspace.alerts.list(project_id, journey_id)
                   if item.alert.kind == "drop" and item not in found]
    assert len(other_drops) <= 10  # a budget of 1 false alarm a year over ~3 200 weekly tests (measured: 0)
    assert workspace.alerts.counts(project_id)["new"] == len(workspace.alerts.list(project_id, journey_id))


def test_evaluating_again_adds_nothing_and_the_evaluated_week_is_kept(seeded_demo):
    workspace, project_id, journey_id, _effects = seeded_demo
    before = len(workspace.alerts.list(project_id, journey_id))
    assert check(workspace, journey_id) == Checked(0, {})
    assert len(workspace.alerts.list(project_id, journey_id)) == before


def test_an_alert_is_acknowledged_turned_into_an_action_and_closed(seeded_demo):
    workspace, project_id, journey_id, effects = seeded_demo
    item = break_alerts(workspace, project_id, journey_id, effects)[0]
    acknowledged = workspace.alerts.set_status(item.id, "acknowledged", "Eva", expected_version=item.version)
    assert acknowledged.status == "acknowledged" and acknowledged.history[-1]["who"] == "Eva"
    with pytest.raises(ConflictError, match="Eva"):
        workspace.alerts.set_status(item.id, "closed", "Jan", expected_version=item.version)
    draft = Draft(title="Coach the couriers", touchpoints=(effects.break_touchpoint,),
                  origin={"kind": "alert", "label": item.alert.message, "ref": item.id})
    restored = Draft.from_params(draft.to_params())
    assert restored.origin["ref"] == str(item.id)
    card = workspace.actions.create(project_id, restored, "Jan", journey_id=journey_id)
    linked = workspace.alerts.get(item.id)
    assert (linked.status, linked.action_id) == ("action", card.id)
    closed = workspace.alerts.set_status(item.id, "closed", "Jan", expected_version=linked.version)
    assert [entry["what"] for entry in closed.history] == [
        "Raised", "New → Acknowledged", "Acknowledged → Turned into an action", "Turned into an action → Closed"]
    with pytest.raises(WorkspaceError, match="Unknown alert status"):
        workspace.alerts.set_status(item.id, "gone", expected_version=closed.version)


def test_rules_are_saved_with_a_version_and_bad_rules_are_refused(seeded_demo):
    workspace, _project_id, journey_id, _effects = seeded_demo
    rules, version = workspace.alerts.rules(journey_id)
    assert [rule.kind for rule in rules] == ["answer", "share", "drop"]
    extra = Rule(alerts.new_key(rules), "Checkout effort", "share", "ces", ("checkout",), threshold=0.2)
    saved = workspace.alerts.save_rules(journey_id, [*rules, extra], expected_version=version)
    assert workspace.alerts.rules(journey_id) == ([*rules, extra], saved)
    with pytest.raises(ConflictError):
        workspace.alerts.save_rules(journey_id, rules, expected_version=version)
    with pytest.raises(WorkspaceError, match="share"):
        workspace.alerts.save_rules(journey_id, [Rule("x", "Bad", "share", threshold=3.0)], expected_version=saved)
    assert "per region" in alerts.describe(rules[1])


def import_answers(workspace, project_id, journey_id, path, rows) -> None:
    """Import answer rows (id, date, touchpoint, csat, comment) as a new version of one survey."""
    lines = ["id;when;where;csat;comment"] + [f"{i};{when:%d.%m.%Y};{where};{csat};{comment}"
                                             for i, when, where, csat, comment in rows]
    path.write_text("\n".join(lines), encoding="cp1250")
    mapping = SurveyMapping(ts="when", touchpoint="where", csat="csat", response_id="id", comment="comment")
    workspace.datasets.import_file(project_id, path, mapping, "Answers", journey_id=journey_id)


def test_an_import_runs_the_rules_of_the_journey_it_feeds(tmp_path, small_journey, database_url):
    workspace = open_workspace(tmp_path / "ws", database_url)
    project_id = workspace.create_project("Shop")
    journey_id = workspace.create_journey(project_id, small_journey)
    key = small_journey.touchpoints[0].key
    workspace.alerts.save_rules(journey_id, [Rule("angry", "Angry", "answer", "csat", (key,))], expected_version=0)
    sunday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday() + 1)  # the data ends on a Sunday
    rows = [(f"r{i}", sunday - dt.timedelta(days=i), key, 1 if i < 2 else 5, "Awful" if i < 2 else "")
            for i in range(6)]
    import_answers(workspace, project_id, journey_id, tmp_path / "one.csv", rows)
    found = workspace.alerts.list(project_id, journey_id)
    assert sorted(item.alert.response_id for item in found) == ["r0", "r1"]
    assert all("Awful" in item.alert.message for item in found)
    assert check(workspace, journey_id) == Checked(0, {})  # again, from the day after that Sunday

    # A late answer (dated before the last check) in the next export still raises its alert, once.
    late = ("r9", sunday - dt.timedelta(days=3), key, 1, "Nobody came")
    import_answers(workspace, project_id, journey_id, tmp_path / "two.csv", [*rows, late])
    found = workspace.alerts.list(project_id, journey_id)
    assert sorted(item.alert.response_id for item in found) == ["r0", "r1", "r9"]
    workspace.close()


def test_rules_left_empty_stay_empty_and_a_rule_that_cannot_run_is_named(tmp_path, small_journey, database_url):
    workspace = open_workspace(tmp_path / "ws", database_url)
    project_id = workspace.create_project("Shop")
    journey_id = workspace.create_journey(project_id, small_journey)
    key = small_journey.touchpoints[0].key
    today = dt.date.today()
    import_answers(workspace, project_id, journey_id, tmp_path / "a.csv",
                   [(f"r{i}", today - dt.timedelta(days=i), key, 1, "Bad") for i in range(3)])
    rules, version = workspace.alerts.rules(journey_id)
    assert [rule.key for rule in rules] == [rule.key for rule in alerts.default_rules()]  # stored at the import
    by_region = Rule(alerts.new_key(rules), "Per region", "share", "csat", segment="region", threshold=0.2)
    version = workspace.alerts.save_rules(journey_id, [by_region], expected_version=version)
    assert check(workspace, journey_id).skipped == {"Per region": "the data has no column “region”"}
    workspace.alerts.save_rules(journey_id, [], expected_version=version)
    assert check(workspace, journey_id) == Checked(0, {})
    assert workspace.alerts.rules(journey_id)[0] == []
    assert len({alerts.new_key([]) for _ in range(50)}) == 50  # a deleted rule's key is not handed out again
    workspace.close()
