"""Opening the metadata database: Alembic runs only when the database is not at the newest revision."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine

from workbench.data import store


def refuse(_engine) -> None:
    raise AssertionError("Alembic ran on a current database")


def test_a_current_database_is_opened_without_alembic(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store.connect(url).dispose()
    monkeypatch.setattr(store, "migrate", refuse)
    engine = store.connect(url)
    assert store.schema_revision(engine) == store.head_revision()
    engine.dispose()


def test_a_database_alembic_never_touched_is_migrated_to_the_newest_revision(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path / 'w.db'}")
    assert store.schema_revision(engine) == store.head_revision()
    engine.dispose()
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("select version_num from alembic_version").fetchall() == [(store.head_revision(),)]
        assert {"projects", "datasets", "alerts"} <= {name for (name,) in db.execute(
            "select name from sqlite_master where type = 'table'")}


def test_an_older_database_is_migrated(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store.connect(url).dispose()
    with sqlite3.connect(tmp_path / "w.db") as db:
        db.execute("update alembic_version set version_num = '0006'")
    ran = []
    monkeypatch.setattr(store, "migrate", lambda engine: ran.append(store.schema_revision(engine)))
    store.connect(url).dispose()
    assert ran == ["0006"]


def test_the_head_is_read_from_the_shipped_scripts_once(monkeypatch):
    store.head_revision()
    from alembic import script

    monkeypatch.setattr(script.ScriptDirectory, "get_current_head", pytest.fail)
    newest = max(path.stem.split("_")[0] for path in (store.MIGRATIONS / "versions").glob("0*.py"))
    assert store.head_revision() == newest


def test_a_database_without_a_revision_table_has_none(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert store.schema_revision(engine) is None
    engine.dispose()


BACKENDS = ("sqlite", "postgresql")  # the migrations below run on both databases (the tests above are SQLite's own)


def _alembic(url: str):
    """A function running an Alembic command (``upgrade``/``downgrade``) to a revision on the database at ``url``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))

    def run(name: str, revision: str) -> None:
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                getattr(command, name)(config, revision)
        finally:
            engine.dispose()

    return run


def _differences(url: str) -> list:
    """What differs between the database's schema and the models' (Alembic's autogenerate comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), store.Base.metadata)
    finally:
        engine.dispose()


def test_every_migration_goes_up_and_down_and_the_head_is_the_models_schema(database_url, tmp_path):
    """Each revision in turn from an empty database, then each back down to none and up again: the revision table
    follows, and at the newest revision the tables, columns, indexes and keys are those the models declare."""
    from alembic.script import ScriptDirectory

    url = database_url or f"sqlite:///{tmp_path / 'w.db'}"
    revisions = [r.revision for r in reversed(list(ScriptDirectory(str(store.MIGRATIONS)).walk_revisions()))]
    assert revisions[-1] == store.head_revision() and len(revisions) >= 7
    alembic = _alembic(url)
    engine = create_engine(url)
    for revision in revisions:
        alembic("upgrade", revision)
        assert store.schema_revision(engine) == revision
    assert _differences(url) == []
    for revision in reversed(revisions[:-1]):
        alembic("downgrade", revision)
        assert store.schema_revision(engine) == revision
    alembic("downgrade", "base")
    assert store.schema_revision(engine) is None
    engine.dispose()
    store.connect(url).dispose()  # as a workspace opens it: migrated to the newest revision
    assert _differences(url) == []


def test_a_workspace_on_the_database_keeps_what_it_wrote_across_opening_again(database_url, tmp_path, small_journey):
    """Projects, journeys and their history survive closing and opening the workspace on the same database."""
    from workbench.features.workspace import open_workspace

    with open_workspace(tmp_path / "ws", database_url) as workspace:
        project = workspace.create_project("Klient ČR")
        journey = workspace.create_journey(project, small_journey)
    with open_workspace(tmp_path / "ws", database_url) as workspace:
        assert [p.name for p in workspace.projects()] == ["Klient ČR"]
        stored = workspace.journey(journey).journey
        assert [(t.key, t.name, t.stage) for t in stored.touchpoints] == [
            (t.key, t.name, t.stage) for t in small_journey.touchpoints]
        assert set(stored.owners) == set(small_journey.owners) and stored.edges == small_journey.edges
