"""Project backups: exact round trips through an empty workspace, imports next to other projects, and refusals
that leave the workspace untouched."""

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import asdict, replace

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import event, func, select

from workbench.core.errors import WorkspaceError
from workbench.data import query
from workbench.data.store import Base, MappingRow
from workbench.data.templates import load_template
from workbench.features import comments
from workbench.features.actions import check
from workbench.features.demo import (
    DEMO_DATASETS,
    DEMO_PROJECT,
    DEMO_TEMPLATE,
    seed_demo,
)
from workbench.features.workspace import open_workspace
from workbench.repos.actions import Draft
from workbench.repos.backup import FORMAT, VERSION, read_backup, write_backup
from workbench.repos.scenarios import Scenario
from workbench.repos.workspace import Workspace

PROJECT_TABLES = {"projects", "owners", "journeys", "stages", "touchpoints", "edges", "journey_revisions", "datasets",
                  "mappings", "benchmarks", "actions", "action_events", "codebooks", "comment_tags", "alert_settings",
                  "alerts", "roi_scenarios", "customer_rules"}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Workspace A: another project first (so the demo's ids do not start at 1), then the seeded demo with a bit of
    everything a backup must carry: undone journey edit, benchmarks, a saved mapping, a second dataset version,
    an action from an alert, an origin change, a checked card, a scenario from a card, a comment coded by hand."""
    workspace = open_workspace(tmp_path_factory.mktemp("source"))
    other = workspace.create_project("Other client")
    other_journey = workspace.create_journey(other, load_template("insurance-claim"))
    workspace.actions.create(other, Draft(title="Other card"), "Eva", journey_id=other_journey)

    project_id = seed_demo(workspace, answers=20_000)
    journey_id = workspace.journeys(project_id)[0].id
    state = workspace.journey(journey_id)
    workspace.save_journey(journey_id, replace(state.journey, description="Edited"), "Edit description")
    workspace.undo(journey_id)
    workspace.replace_benchmarks(journey_id, [("checkout", "csat", 4.1), ("refund", "nps", 12.0)], "Sector study")
    with workspace.sessions.begin() as session:
        session.add(MappingRow(project_id=project_id, shape="abc123", mapping={"ts": "Datum", "nps": "NPS"}))
    kpis = workspace.datasets.list(project_id, "kpi_period")[0]
    workspace.datasets.add_table(project_id, pq.read_table(kpis.path), kpis.name, "kpi_period")

    alerts = workspace.alerts.list(project_id)
    from_alert = workspace.actions.create(project_id, Draft(title="From an alert", origin={
        "kind": "alert", "label": alerts[0].alert.message, "ref": str(alerts[0].id)}), "Jana", journey_id=journey_id)
    card = next(a for a in workspace.actions.list(project_id) if a.title == "Shorter checkout form")
    workspace.actions.update(card.id, replace(card.draft, origin={"kind": "alert", "label": "x", "ref": alerts[1].id}),
                             "Jana", expected_version=card.version)
    workspace.alerts.set_status(alerts[2].id, "acknowledged", "Jana", expected_version=alerts[2].version)
    pilot = next(a for a in workspace.actions.list(project_id) if a.status == "done")
    check(workspace, pilot.id, who="Jana", expected_version=pilot.version)
    workspace.scenarios.save(project_id, Scenario(name="From the pilot", journey_id=journey_id,
                                                  kpi_dataset=DEMO_DATASETS["kpi_period"], kpi="revenue",
                                                  action_id=pilot.id), "Jana")
    comments.retag(workspace, project_id, "r1", "the parcel came", {"damaged", "price"}, "Jana")
    assert from_alert.id in {a.action_id for a in workspace.alerts.list(project_id)}
    yield workspace, project_id
    workspace.close()


@pytest.fixture(scope="module")
def backup(source) -> bytes:
    workspace, project_id = source
    target = io.BytesIO()
    write_backup(workspace, project_id, target)
    return target.getvalue()


@pytest.fixture(scope="module")
def restored(backup, tmp_path_factory):
    """Workspace B: empty, then the backup read into it."""
    workspace = open_workspace(tmp_path_factory.mktemp("restored"))
    summary = read_backup(workspace, io.BytesIO(backup))
    yield workspace, summary.project_id
    workspace.close()


# ------------------------------------------------------------------ helpers


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(data: bytes, name: str, content: bytes | None) -> bytes:
    """The backup with one entry replaced (``None`` drops it)."""
    files = entries(data)
    files.pop(name) if content is None else files.__setitem__(name, content)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return target.getvalue()


def snapshot(workspace: Workspace) -> tuple[dict, list]:
    """Rows per table and the files in the workspace folder (the summaries being written landed first)."""
    workspace.datasets.settle()
    with workspace.engine.connect() as connection:
        counts = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    return counts, sorted(str(p.relative_to(workspace.folder)) for p in workspace.folder.rglob("*") if p.is_file())


def plain_origin(origin: dict, alerts: dict[int, str]) -> dict:
    return {**origin, "ref": alerts[int(origin["ref"])]} if origin.get("kind") == "alert" else origin


def plain_action(workspace: Workspace, action, alerts: dict[int, str], datasets: dict[int, tuple]) -> dict:
    """An action and its history without ids: what they point at by name instead."""
    data = {k: v for k, v in asdict(action).items() if k not in ("id", "project_id", "journey_id")}
    data["origin"] = plain_origin(data["origin"], alerts)
    if data["verification"]:
        data["verification"] = {**data["verification"], "dataset": datasets[data["verification"]["dataset"]]}
    data["history"] = [replace(event, changes={**event.changes, "origin": [plain_origin(o, alerts) for o in
                                                                           event.changes["origin"]]})
                       if "origin" in event.changes else event for event in workspace.actions.history(action.id)]
    return data


def project_view(workspace: Workspace, project_id: int) -> dict:
    """Everything a user sees of a project, ids replaced by the names they point at."""
    journeys = workspace.journeys(project_id)
    journey_names = {j.id: j.name for j in journeys}
    datasets = workspace.datasets.list(project_id)
    dataset_names = {d.id: (d.name, d.version) for d in datasets}
    actions = workspace.actions.list(project_id)
    action_titles = {a.id: a.title for a in actions}
    alerts = workspace.alerts.list(project_id)
    alert_keys = {a.id: a.alert.key for a in alerts}
    with workspace.sessions() as session:
        mappings = sorted((m.shape, m.mapping, m.updated_at) for m in
                          session.scalars(select(MappingRow).where(MappingRow.project_id == project_id)))
    return {
        "project": [(p.name, p.description, p.journeys) for p in workspace.projects() if p.id == project_id],
        "owners": workspace.owners(project_id),
        "journeys": [(asdict(s.journey), s.undo_label, s.redo_label) for s in map(workspace.journey, journey_names)],
        "benchmarks": [workspace.benchmarks(j).to_dict("records") for j in journey_names],
        "rules": [workspace.alerts.rules(j) for j in journey_names],
        "datasets": [(d.name, d.version, d.kind, d.rows, d.source, d.created_at, d.report, d.mapping, d.meta, d.latest,
                      journey_names.get(d.journey_id), d.path.read_bytes()) for d in datasets],
        "mappings": mappings,
        "actions": [(plain_action(workspace, a, alert_keys, dataset_names), journey_names.get(a.journey_id))
                    for a in actions],
        "alerts": [(a.alert, a.status, a.owner, a.history, a.version, journey_names[a.journey_id],
                    action_titles.get(a.action_id)) for a in alerts],
        "scenarios": [(s.scenario.name, journey_names[s.scenario.journey_id], action_titles.get(s.scenario.action_id),
                       replace(s.scenario, journey_id=0, action_id=None), s.version, s.updated_by, s.updated_at)
                      for s in workspace.scenarios.list(project_id)],
        "codebook": workspace.verbatims.codebook(project_id),
        "tags": workspace.verbatims.overrides(project_id),
    }


# ------------------------------------------------------------------ round trip


def test_backup_holds_the_project_only_with_dense_ids_and_checked_files(source, backup):
    files = entries(backup)
    manifest, tables = json.loads(files["manifest.json"]), json.loads(files["tables.json"])
    assert manifest["format"] == FORMAT and manifest["version"] == VERSION and manifest["project"] == DEMO_PROJECT
    assert set(tables) == PROJECT_TABLES == set(manifest["counts"])
    assert manifest["counts"] == {name: len(rows) for name, rows in tables.items()}
    assert manifest["counts"]["projects"] == manifest["counts"]["journeys"] == 1
    assert manifest["counts"]["datasets"] == 6 and manifest["counts"]["comment_tags"] >= 1
    assert "Other" not in files["tables.json"].decode()
    for name, rows in tables.items():
        if name != "alert_settings":
            assert [row["id"] for row in rows] == list(range(1, len(rows) + 1)), name
    assert sorted(files) == sorted(["manifest.json", "tables.json",
                                    *(f"datasets/{n}.parquet" for n in range(1, 7))])
    for row in tables["datasets"]:
        assert row["file"] == f"datasets/{row['id']}.parquet"
        assert manifest["files"][row["file"]]["sha256"] == hashlib.sha256(files[row["file"]]).hexdigest()
    # ids kept in JSON point into the backup too
    alert_of = {alert["action_id"]: alert["id"] for alert in tables["alerts"] if alert["action_id"]}
    [linked] = [a for a in tables["actions"] if a["origin"].get("kind") == "alert" and a["id"] in alert_of]
    assert linked["origin"]["ref"] == str(alert_of[linked["id"]])
    [scenario] = [s["body"] for s in tables["roi_scenarios"] if s["name"] == "From the pilot"]
    assert scenario["journey_id"] == 1 and scenario["action_id"] in {a["id"] for a in tables["actions"]}
    checked = [a["verification"]["dataset"] for a in tables["actions"] if a["verification"]]
    assert checked and all(ref in {d["id"] for d in tables["datasets"] if d["kind"] == "survey"} for ref in checked)
    assert any("origin" in e["changes"] for e in tables["action_events"])


def test_backup_is_deterministic_and_written_to_a_path(source, backup, tmp_path):
    workspace, project_id = source
    summary = write_backup(workspace, project_id, tmp_path / "demo.cxwb.zip")
    assert (tmp_path / "demo.cxwb.zip").read_bytes() == backup
    assert summary.bytes == len(backup) and summary.project == DEMO_PROJECT and summary.project_id == project_id
    assert summary.files == tuple(f"datasets/{n}.parquet" for n in range(1, 7))
    assert [p.name for p in tmp_path.iterdir()] == ["demo.cxwb.zip"]


def test_round_trip_through_an_empty_workspace_is_exact(source, backup, restored):
    (a, a_project), (b, b_project) = source, restored
    again = io.BytesIO()
    write_backup(b, b_project, again)
    assert again.getvalue() == backup
    assert project_view(b, b_project) == project_view(a, a_project)
    assert [p.name for p in b.projects()] == [DEMO_PROJECT]
    names = [{d.path.name for d in w.datasets.list(p)} for w, p in (source, restored)]
    assert names[0].isdisjoint(names[1])


def test_analysis_gives_the_same_numbers_after_the_round_trip(source, restored):
    (a, a_project), (b, b_project) = source, restored
    results = []
    for workspace, project_id in ((a, a_project), (b, b_project)):
        survey = workspace.datasets.survey_for(project_id, workspace.journeys(project_id)[0].id)
        results.append(query.aggregate(query.Query(sources=(str(survey.path),), by=("touchpoint", "region"))))
    pd.testing.assert_frame_equal(*results)
    assert len(results[0]) > 10


# ------------------------------------------------------------------ next to other projects


def test_import_next_to_other_projects_points_every_id_at_its_own_rows(source, backup, tmp_path):
    with open_workspace(tmp_path / "c") as workspace:
        other = workspace.create_project("Other client")
        other_journey = workspace.create_journey(other, load_template(DEMO_TEMPLATE))
        workspace.actions.create(other, Draft(title="Other card"), "Eva", journey_id=other_journey)
        earlier = read_backup(workspace, io.BytesIO(backup), name="  Demo   copy ")  # every table's ids shift
        assert earlier.project == "Demo copy"
        before = project_view(workspace, other), project_view(workspace, earlier.project_id)

        summary = read_backup(workspace, io.BytesIO(backup))
        project_id = summary.project_id
        assert summary.project == DEMO_PROJECT and summary.counts["datasets"] == 6
        assert [p.name for p in workspace.projects()] == ["Demo copy", DEMO_PROJECT, "Other client"]
        assert (project_view(workspace, other), project_view(workspace, earlier.project_id)) == before
        assert project_view(workspace, project_id) == project_view(*source)
        [journey] = workspace.journeys(project_id)
        actions = {a.id: a for a in workspace.actions.list(project_id)}
        assert {a.journey_id for a in actions.values()} == {journey.id}
        alerts = {a.id: a for a in workspace.alerts.list(project_id)}
        assert {a.journey_id for a in alerts.values()} == {journey.id} and min(alerts) > len(alerts)
        linked = [a for a in alerts.values() if a.action_id is not None]
        assert linked and all(actions[a.action_id].origin["ref"] == str(a.id) for a in linked)
        surveys = {d.id for d in workspace.datasets.list(project_id, "survey")}
        assert all(a.verification["dataset"] in surveys for a in actions.values() if a.verification)
        [scenario] = [s.scenario for s in workspace.scenarios.list(project_id)
                      if s.scenario.name == "From the pilot"]
        assert scenario.journey_id == journey.id and actions[scenario.action_id].status == "done"
        assert sorted(summary.files) == sorted(str(d.path.relative_to(workspace.folder))
                                               for d in workspace.datasets.list(project_id))
        assert all(d.path.parent == workspace.datasets.folder for d in workspace.datasets.list(project_id))

        state = snapshot(workspace)
        with pytest.raises(WorkspaceError, match=f"“{DEMO_PROJECT}” already exists"):
            read_backup(workspace, io.BytesIO(backup))
        with pytest.raises(WorkspaceError, match="“demo copy” already exists"):
            read_backup(workspace, io.BytesIO(backup), name="demo copy")
        assert snapshot(workspace) == state


# ------------------------------------------------------------------ refusals


def _manifest(backup: bytes, **changes) -> bytes:
    return json.dumps({**json.loads(entries(backup)["manifest.json"]), **changes}).encode()


def _tampered(backup: bytes) -> bytes:
    parquet = bytearray(entries(backup)["datasets/2.parquet"])
    parquet[len(parquet) // 2] ^= 0xFF
    return rezip(backup, "datasets/2.parquet", bytes(parquet))


def _dangling(backup: bytes) -> bytes:
    tables = json.loads(entries(backup)["tables.json"])
    tables["touchpoints"][0]["stage_id"] = 999
    return rezip(backup, "tables.json", json.dumps(tables).encode())


def _bad_date(backup: bytes) -> bytes:
    tables = json.loads(entries(backup)["tables.json"])
    tables["actions"][0]["created_at"] = "yesterday"
    return rezip(backup, "tables.json", json.dumps(tables).encode())


BAD = {
    "garbage": (lambda backup: b"this is no zip file", "not a zip file"),
    "no manifest": (lambda backup: rezip(backup, "manifest.json", None), "no manifest.json"),
    "other format": (lambda backup: rezip(backup, "manifest.json", _manifest(backup, format="x")), "another format"),
    "future version": (lambda backup: rezip(backup, "manifest.json", _manifest(backup, version=VERSION + 1)),
                       "format version 2"),
    "newer schema": (lambda backup: rezip(backup, "manifest.json", _manifest(backup, schema="9999")),
                     "newer workbench"),
    "malformed tables": (lambda backup: rezip(backup, "tables.json", b'{"projects": ['), "tables.json cannot be read"),
    "dangling reference": (_dangling, "refers to no row"),
    "bad date": (_bad_date, "damaged"),
    "missing parquet": (lambda backup: rezip(backup, "datasets/3.parquet", None), "datasets/3.parquet is missing"),
    "tampered parquet": (_tampered, "datasets/2.parquet is not the file it was written with"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_backup_leaves_the_workspace_untouched(case, backup, workspace, small_journey):
    make, message = BAD[case]
    project = workspace.create_project("Existing")
    workspace.create_journey(project, small_journey)
    state = snapshot(workspace)
    with pytest.raises(WorkspaceError, match=message):
        read_backup(workspace, io.BytesIO(make(backup)))
    assert snapshot(workspace) == state


def test_database_failure_midway_leaves_the_workspace_untouched(backup, workspace, small_journey):
    import sqlite3

    project = workspace.create_project("Existing")
    workspace.create_journey(project, small_journey)
    state = snapshot(workspace)

    def fail(_connection, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO alerts"):
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(workspace.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(WorkspaceError, match="could not be stored"):
            read_backup(workspace, io.BytesIO(backup))
    finally:
        event.remove(workspace.engine, "before_cursor_execute", fail)
    assert snapshot(workspace) == state
    assert read_backup(workspace, io.BytesIO(backup)).counts["alerts"] > 0  # the same backup is fine afterwards


def test_unknown_project_is_refused(workspace):
    with pytest.raises(WorkspaceError, match="No project with id 42"):
        write_backup(workspace, 42, io.BytesIO())


def test_dates_come_back_as_dates(restored):
    workspace, project_id = restored
    action = workspace.actions.list(project_id)[0]
    assert isinstance(action.created_at, datetime.datetime)
    assert all(isinstance(a.done_on, datetime.date) for a in workspace.actions.list(project_id) if a.done_on)


def test_a_team_server_s_roles_stay_behind_when_a_project_is_backed_up(tmp_path, small_journey):
    """Roles belong to users of one server: restored elsewhere, they would go to whoever has those user ids."""
    from workbench.data.store import MembershipRow

    with open_workspace(tmp_path / "team") as workspace:
        project = workspace.create_project("Klient")
        workspace.create_journey(project, small_journey)
        workspace.users.add("vera", "correct horse battery")
        workspace.users.grant("vera", project, "analyst")
        target = io.BytesIO()
        write_backup(workspace, project, target)
    assert "memberships" not in json.loads(entries(target.getvalue())["tables.json"])
    with open_workspace(tmp_path / "elsewhere") as workspace:
        workspace.users.add("someone", "correct horse battery")  # user id 1 here too
        read_backup(workspace, io.BytesIO(target.getvalue()))
        with workspace.sessions() as session:
            assert session.scalars(select(MembershipRow)).all() == []
        assert [p.name for p in workspace.projects()] == ["Klient"]
