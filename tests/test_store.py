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
