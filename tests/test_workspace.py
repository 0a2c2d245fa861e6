"""Integration tests of the workspace store: projects, journeys, history, conflicts, migrations."""

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from workbench.core import journey as jm
from workbench.core.errors import ConflictError, WorkspaceError
from workbench.data.store import Base, migrate
from workbench.features.demo import DEMO_PROJECT, seed_demo
from workbench.features.workspace import open_workspace

BACKENDS = ("sqlite", "postgresql")  # the metadata database of every workspace these tests open


def test_projects_are_created_renamed_and_deleted(workspace):
    first = workspace.create_project("Acme Insurance")
    workspace.create_project("Beta Bank")
    with pytest.raises(WorkspaceError, match="already exists"):
        workspace.create_project("  Acme   Insurance ")
    with pytest.raises(WorkspaceError, match="already exists"):
        workspace.create_project("acme insurance")
    workspace.rename_project(first, "Acme Pojišťovna")
    assert [p.name for p in workspace.projects()] == ["Acme Pojišťovna", "Beta Bank"]
    workspace.delete_project(first)
    assert [p.name for p in workspace.projects()] == ["Beta Bank"]


def test_journey_is_stored_and_read_back_exactly(workspace, small_journey):
    project = workspace.create_project("Client")
    journey_id = workspace.create_journey(project, small_journey)
    state = workspace.journey(journey_id)
    stored = state.journey
    assert all(tp.x is not None for tp in stored.touchpoints)  # laid out on creation
    assert stored == replace(jm.auto_layout(small_journey), owners=stored.owners)
    assert {o.name for o in workspace.owners(project)} == {"Web team", "Couriers", "Jana Nováková"}
    assert state.undo_label is None and state.redo_label is None
    assert workspace.journeys(project)[0].touchpoints == 4


def test_projects_keep_their_journeys_apart(workspace, small_journey):
    a, b = workspace.create_project("A"), workspace.create_project("B")
    workspace.create_journey(a, small_journey)
    workspace.create_journey(b, small_journey)  # same name in another project is fine
    with pytest.raises(WorkspaceError, match="already exists in this project"):
        workspace.create_journey(a, small_journey)
    assert [p.journeys for p in workspace.projects()] == [1, 1]


def test_undo_and_redo_walk_the_history(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("P"), small_journey)
    start = workspace.journey(journey_id)
    added, key = jm.add_touchpoint(start.journey, "Pick-up point", "get", channel="partner", owner="Couriers")
    after_add = workspace.save_journey(journey_id, added, "Add touchpoint", start.version)
    moved = jm.move_touchpoints(after_add.journey, {key: (999.0, 555.0)})
    after_move = workspace.save_journey(journey_id, moved, "Move touchpoint", after_add.version)
    assert after_move.undo_label == "Move touchpoint"

    undone = workspace.undo(journey_id)
    assert undone.journey.touchpoint(key).x != 999.0 and undone.redo_label == "Move touchpoint"
    undone = workspace.undo(journey_id)
    assert key not in [t.key for t in undone.journey.touchpoints]
    assert undone.undo_label is None
    with pytest.raises(WorkspaceError, match="Nothing to undo"):
        workspace.undo(journey_id)
    redone = workspace.redo(workspace.redo(journey_id).id)
    assert redone.journey.touchpoint(key).x == 999.0
    with pytest.raises(WorkspaceError, match="Nothing to redo"):
        workspace.redo(journey_id)

    # A new edit after an undo drops the redo branch.
    workspace.undo(journey_id)
    branched = workspace.save_journey(journey_id, jm.rename_stage(workspace.journey(journey_id).journey, "get", "Receive"),
                                      "Rename stage")
    assert branched.redo_label is None


def test_stale_version_is_refused_and_nothing_is_lost(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("P"), small_journey)
    tab_a = workspace.journey(journey_id)
    tab_b = workspace.journey(journey_id)
    workspace.save_journey(journey_id, jm.rename_stage(tab_a.journey, "get", "From tab A"), "Rename", tab_a.version)
    with pytest.raises(ConflictError, match="changed in another window"):
        workspace.save_journey(journey_id, jm.rename_stage(tab_b.journey, "get", "From tab B"), "Rename", tab_b.version)
    assert workspace.journey(journey_id).journey.stages[-1].name == "From tab A"


def test_rows_keep_their_ids_across_edits(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("P"), small_journey)
    with workspace.engine.connect() as c:
        before = dict(c.exec_driver_sql("select key, id from touchpoints").all())
    state = workspace.journey(journey_id)
    workspace.save_journey(journey_id, jm.update_touchpoint(state.journey, "cart", name="Basket"), "Rename")
    with workspace.engine.connect() as c:
        assert dict(c.exec_driver_sql("select key, id from touchpoints").all()) == before


def test_demo_is_seeded_once(workspace):
    first = seed_demo(workspace)
    assert seed_demo(workspace) == first
    assert [p.name for p in workspace.projects()] == [DEMO_PROJECT]
    assert workspace.journeys(first)[0].touchpoints >= 10


def test_migrations_build_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_reopening_a_workspace_keeps_its_data(tmp_path, small_journey):
    first = open_workspace(tmp_path / "ws")
    journey_id = first.create_journey(first.create_project("Keep me"), small_journey)
    first.close()
    again = open_workspace(tmp_path / "ws")
    assert again.journey(journey_id).journey.name == "Shop"
    with sqlite3.connect(tmp_path / "ws" / "workbench.db") as db:
        assert db.execute("select version_num from alembic_version").fetchone() == ("0013",)  # the newest
    again.close()


def test_an_older_workspace_is_upgraded_without_losing_data(tmp_path, small_journey):
    from alembic import command
    from alembic.config import Config

    engine = create_engine(f"sqlite:///{tmp_path / 'workbench.db'}")
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__code__.co_filename).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql("insert into projects (name, description) values ('Before datasets', '')")
    engine.dispose()
    upgraded = open_workspace(tmp_path)
    assert [p.name for p in upgraded.projects()] == ["Before datasets"]
    assert upgraded.datasets.list(upgraded.projects()[0].id) == []
    upgraded.close()


def test_database_url_from_environment(tmp_path, monkeypatch, small_journey):
    monkeypatch.setenv("CXWB_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    ws = open_workspace(tmp_path / "folder")
    ws.create_project("Remote")
    ws.close()
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "folder" / "workbench.db").exists()


def test_a_write_waits_for_the_one_before_and_reads_what_it_wrote(workspace):
    """A write reads after taking the write lock: a card made while another write holds it goes below the card that
    write adds, instead of failing or taking the same place."""
    import threading

    from workbench.data.store import ActionRow
    from workbench.repos.actions import Draft

    project_id = workspace.create_project("Turns")
    made = []
    with workspace.sessions.begin() as session:  # another writer, in the middle of its transaction
        session.add(ActionRow(project_id=project_id, title="First", position=0))
        session.flush()
        waiting = threading.Thread(target=lambda: made.append(workspace.actions.create(project_id, Draft("Second"))))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and not made  # waits for the lock instead of failing
    waiting.join(10)
    assert [(card.title, card.position) for card in workspace.actions.list(project_id)] == [("First", 0),
                                                                                           ("Second", 1)]


def test_a_reading_session_refuses_to_write(workspace):
    from sqlalchemy import update

    from workbench.data.store import Project

    project_id = workspace.create_project("Read only")
    with workspace.sessions() as session, pytest.raises(RuntimeError, match="write transaction"):
        session.get(Project, project_id).name = "Renamed"
        session.flush()
    with workspace.sessions() as session, pytest.raises(RuntimeError, match="write transaction"):
        session.execute(update(Project).values(name="Renamed"))
    assert [p.name for p in workspace.projects()] == ["Read only"]


def test_a_journey_edit_remembers_who_made_it_for_undo_and_redo(workspace, small_journey):
    journey_id = workspace.create_journey(workspace.create_project("Client"), small_journey)
    state = workspace.journey(journey_id)
    assert (state.undo_label, state.undo_by) == (None, "")
    edited = workspace.save_journey(journey_id, replace(small_journey, description="v2"), "Describe", state.version,
                                    who="  Jana   Nováková ")
    assert (edited.undo_label, edited.undo_by) == ("Describe", "Jana Nováková")
    undone = workspace.undo(journey_id, edited.version)
    assert (undone.redo_label, undone.redo_by, undone.undo_by) == ("Describe", "Jana Nováková", "")
    anonymous = workspace.save_journey(journey_id, replace(small_journey, description="v3"), "Again", undone.version)
    assert (anonymous.undo_label, anonymous.undo_by) == ("Again", "")
