"""PostgreSQL databases for tests: a new, empty database per test on the server ``CXWB_TEST_POSTGRESQL`` names."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER = "CXWB_TEST_POSTGRESQL"  # e.g. postgresql+psycopg://cxwb:cxwb@127.0.0.1:5432/postgres (.ci/run sets it)


@contextmanager
def fresh_postgresql() -> Iterator[str]:
    """The URL of a new database on the test server, dropped (with any connection left) when the block ends."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = os.environ.get(SERVER)
    if not server:
        if os.environ.get("CI"):
            pytest.fail(f"{SERVER} is not set: CI runs the database tests on PostgreSQL too (.ci/run starts it)")
        pytest.skip(f"no PostgreSQL server to test on ({SERVER} unset)")
    name = f"cxwb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str, tries: int = 20) -> None:
    """Drop a test database. FORCE ends the test's own connections; a server process of another role (autovacuum,
    which visits a new database now and then) cannot be ended by the test login, so the drop waits for it."""
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for attempt in range(tries):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
