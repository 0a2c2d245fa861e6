"""Workspace metadata schema (SQLAlchemy 2) and opening a database with migrations applied."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    event,
    func,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (
    DeclarativeBase,
    InstrumentedAttribute,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
    with_loader_criteria,
)

from workbench.core import access

DATABASE_FILE = "workbench.db"
MIGRATIONS = Path(__file__).parent / "migrations"  # Alembic's scripts, shipped inside the package
VERSION_TABLE = "alembic_version"  # where Alembic keeps the revision a database is at
BUSY_TIMEOUT_MS = 15_000  # a writer waits this long for another's transaction before SQLite says "locked"
WRITE_LOCK = "workbench writes"  # PostgreSQL's advisory lock that every write transaction takes first
WRITER = "writer"  # Session.info key of a session made by Sessions.begin()


class Base(DeclarativeBase):
    pass


class Project(Base):
    """One client engagement: its owners, journeys (and later datasets and actions)."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # The segment column whose values are partners with a portal (a scoped login each); None: no portals.
    portal: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owners: Mapped[list[OwnerRow]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="OwnerRow.name"
    )
    journeys: Mapped[list[JourneyRow]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="JourneyRow.name"
    )
    datasets: Mapped[list[DatasetRow]] = relationship(cascade="all, delete-orphan", order_by="DatasetRow.id")
    mappings: Mapped[list[MappingRow]] = relationship(cascade="all, delete-orphan")


class OwnerRow(Base):
    """A team or person in a project who owns touchpoints."""

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="team")
    project: Mapped[Project] = relationship(back_populates="owners")


class JourneyRow(Base):
    """A journey of a project.

    ``revision`` is the position in its edit history (undo/redo move it); ``version`` grows with every
    write, so an editor holding an older version knows someone else changed the journey.
    """

    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # the journey map around the graph: personas, free lanes, as-is/to-be (journeyfile's document keys)
    map: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    project: Mapped[Project] = relationship(back_populates="journeys")
    stages: Mapped[list[StageRow]] = relationship(
        back_populates="journey", cascade="all, delete-orphan", order_by="StageRow.position"
    )
    touchpoints: Mapped[list[TouchpointRow]] = relationship(
        back_populates="journey", cascade="all, delete-orphan", order_by="TouchpointRow.position"
    )
    edges: Mapped[list[EdgeRow]] = relationship(
        back_populates="journey", cascade="all, delete-orphan", order_by="EdgeRow.position"
    )


class StageRow(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("journey_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    journey: Mapped[JourneyRow] = relationship(back_populates="stages")


class TouchpointRow(Base):
    __tablename__ = "touchpoints"
    __table_args__ = (UniqueConstraint("journey_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[str] = mapped_column(String(100), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="touchpoint")
    entry: Mapped[bool] = mapped_column(Boolean, default=False)
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    x: Mapped[float | None] = mapped_column(Float, nullable=True)
    y: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    lanes: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")  # journeyfile's lanes document
    position: Mapped[int] = mapped_column(Integer, default=0)
    journey: Mapped[JourneyRow] = relationship(back_populates="touchpoints")
    stage: Mapped[StageRow] = relationship()
    owner: Mapped[OwnerRow | None] = relationship()


class EdgeRow(Base):
    __tablename__ = "edges"
    __table_args__ = (UniqueConstraint("journey_id", "source_id", "target_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("touchpoints.id", ondelete="CASCADE"))
    share: Mapped[float | None] = mapped_column(Float, nullable=True)
    volume: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    journey: Mapped[JourneyRow] = relationship(back_populates="edges")
    source: Mapped[TouchpointRow] = relationship(foreign_keys=[source_id])
    target: Mapped[TouchpointRow] = relationship(foreign_keys=[target_id])


class JourneyRevisionRow(Base):
    """A snapshot of a journey after one edit; undo/redo move between them."""

    __tablename__ = "journey_revisions"
    __table_args__ = (UniqueConstraint("journey_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    author: Mapped[str] = mapped_column(String(200), default="", server_default="")  # "" when nobody is logged in
    snapshot: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class DatasetRow(Base):
    """One immutable version of an imported dataset: a Parquet file in the workspace and what it holds.

    Versions of a dataset share its ``name``; re-importing under the same name adds a version and keeps the old.
    """

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journeys.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    file: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(300), default="")
    rows: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class MappingRow(Base):
    """A column mapping saved for files of one shape (the same columns), reused for the next such file."""

    __tablename__ = "mappings"
    __table_args__ = (UniqueConstraint("project_id", "shape"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    shape: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class BenchmarkRow(Base):
    """An external (sector or client-supplied) benchmark value of one metric at one touchpoint of a journey."""

    __tablename__ = "benchmarks"
    __table_args__ = (UniqueConstraint("journey_id", "touchpoint", "metric"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    touchpoint: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))


class ActionRow(Base):
    """An improvement action: a card on the project's kanban.

    ``position`` orders the cards within their status column; ``version`` grows with every write, so a window
    holding an older version learns that someone else changed the card.
    """

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int | None] = mapped_column(
        ForeignKey("journeys.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    touchpoints: Mapped[list] = mapped_column(JSON, default=list)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    metric: Mapped[str] = mapped_column(String(10), default="csat")
    expected_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    segment: Mapped[str | None] = mapped_column(String(200), nullable=True)
    treated: Mapped[list] = mapped_column(JSON, default=list)
    origin: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="backlog", index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    verification: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ActionEventRow(Base):
    """One change of an action: who made it, when, and the fields' old and new values."""

    __tablename__ = "action_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    who: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(String(300))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


class CodebookRow(Base):
    """A project's codebook: the themes verbatims are coded into (``text.Theme`` dictionaries, in order)."""

    __tablename__ = "codebooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    themes: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class CommentTagRow(Base):
    """A person's correction of the automatic coding: this answer's comment does (not) mention this theme."""

    __tablename__ = "comment_tags"
    __table_args__ = (UniqueConstraint("project_id", "response_id", "theme"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(100))
    value: Mapped[bool] = mapped_column(Boolean)
    who: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(DateTime)


class AlertSettingsRow(Base):
    """A journey's alert rules (``alerts.Rule`` dictionaries) and the last week end they were evaluated to."""

    __tablename__ = "alert_settings"
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    rules: Mapped[list] = mapped_column(JSON, default=list)
    evaluated_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AlertRow(Base):
    """One alert in a journey's inbox: what fired (``alerts.Alert`` as a dictionary) and how it is being handled.

    ``key`` identifies the episode, so evaluating again extends an alert instead of repeating it; ``history``
    lists the status changes (who, when, from, to).
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("journey_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(400))
    rule_key: Mapped[str] = mapped_column(String(100))
    touchpoint: Mapped[str] = mapped_column(String(100), default="")
    segment: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the body's, for scopes
    value: Mapped[str] = mapped_column(String(400), default="", server_default="")
    due: Mapped[date | None] = mapped_column(Date, nullable=True)  # a single answer's case: answered by this day
    last_seen: Mapped[date] = mapped_column(Date, index=True)
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"), nullable=True)
    history: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ScenarioRow(Base):
    """A saved, named ROI scenario of a project (``scenarios.Scenario`` as JSON); ``version`` grows with each save."""

    __tablename__ = "roi_scenarios"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class CustomerRuleRow(Base):
    """A project's customer rule (``customerrules.Rule`` as JSON; a CRM list or a task rule) and its last run: when,
    on which dataset version, how many customers it matched and how many cards it created."""

    __tablename__ = "customer_rules"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    run_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    run_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True)
    run_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_tasks: Mapped[int | None] = mapped_column(Integer, nullable=True)


class UserRow(Base):
    """A person who logs in to a team server (``repos.users``): their login ``name`` (unique ignoring case, kept in
    ``key``), the name the history shows, an argon2 hash of their password, and what stops them: ``disabled``, or
    ``locked_until`` after too many failed logins. ``credentials`` grows with each new password or disabling, which
    ends the sessions signed before it."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    credentials: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    email: Mapped[str] = mapped_column(String(320), default="", server_default="")  # where their cases are sent
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class LoginClientRow(Base):
    """Failed logins in a row from one client address (any names): past ``repos.users.MAX_CLIENT_FAILURES`` the
    address is refused until ``locked_until``, so one computer cannot try a password on every name."""

    __tablename__ = "login_clients"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[datetime] = mapped_column(DateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class MembershipRow(Base):
    """A team server user's role in a project (``core.access.ROLES``: analyst or viewer); administrators need none."""

    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # core.access.Scope.to_dict(); None: unscoped


def database_url(folder: str | Path) -> str:
    """The metadata database URL: ``CXWB_DATABASE_URL`` if set, else SQLite in the workspace folder."""
    return os.environ.get("CXWB_DATABASE_URL") or f"sqlite:///{Path(folder).resolve() / DATABASE_FILE}"


def connect(url: str) -> Engine:
    """Create an engine for ``url``, migrated to the newest schema."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if schema_revision(engine) != head_revision():  # a current database is opened without starting Alembic
        migrate(engine)
    return engine


def claim(session: Session, column: InstrumentedAttribute, ident: int, expected_version: int | None) -> bool:
    """The version check of a write: lock the row whose ``column`` is ``ident`` if its version is ``expected_version``.

    Run it in a write transaction (:meth:`Sessions.begin`) before reading the row. Writers take turns there already,
    so the row is as the last writer left it; the conditional update also holds the row's lock (PostgreSQL) or the
    database's (SQLite) until the transaction ends. ``None`` locks the row at any version. False if the row is
    missing or at another version.
    """
    model = column.class_
    statement = update(model).where(column == ident).values(version=model.version)
    if expected_version is not None:
        statement = statement.where(model.version == expected_version)
    result = session.execute(statement, execution_options={"synchronize_session": False})
    if cast(CursorResult, result).rowcount == 1:  # an UPDATE's result is a cursor result, which counts rows
        return True
    if access.current().writable is not None and session.get(cast("type[Base]", model), ident) is not None:
        raise access.refused()  # readable, so not missing: a project its user may only read (_limit_to_access)
    return False


def write_lock(connection: Connection) -> None:
    """Take the workspace's write lock as the transaction's first statement; it is held until the transaction ends.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's one write lock at once (waiting up to the busy timeout), so the
    transaction reads a state no other writer changes before it commits. A transaction that only began at its first
    write would read without the lock, and another writer could commit between its reads and its write (two cards
    got one place in a column). PostgreSQL: a transaction-level advisory lock, which all writers take.
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        key = int.from_bytes(hashlib.blake2b(WRITE_LOCK.encode(), digest_size=8).digest(), "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        raise NotImplementedError(f"No write lock for {dialect} databases; use SQLite or PostgreSQL.")


class Sessions(sessionmaker):
    """The sessions of a workspace: ``with sessions() as session`` reads, ``with sessions.begin() as session`` writes.

    A write transaction takes the write lock (:func:`write_lock`) before its first statement and holds it until it
    commits or rolls back, so everything it reads first (a free name, the last place in a column, the version of a
    row) still holds when it writes: writers take turns, each waiting for the one before (up to the busy timeout on
    SQLite), and never fail because another committed meanwhile. Reading sessions take no lock and never wait; each
    reads one snapshot (:func:`read_snapshot`) and refuses to write, so no write goes around the lock.
    """

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a write transaction, holding the write lock from the start; committed at the end."""
        with self(info={WRITER: True}) as session, session.begin():
            session.connection()  # the transaction begins, and takes the lock, before the block runs
            yield session


def session_factory(engine: Engine) -> Sessions:
    """The session maker of a workspace's engine (:class:`Sessions`)."""
    sessions = Sessions(engine, expire_on_commit=False)
    event.listen(sessions, "after_begin", _lock_writes)
    event.listen(sessions, "before_flush", _refuse_flush_outside_writes)
    event.listen(sessions, "do_orm_execute", _refuse_writes_outside_writes)
    event.listen(sessions, "do_orm_execute", _limit_to_access)
    event.listen(sessions, "before_flush", _refuse_changes_outside_access)
    return sessions


# The rows of a project, by the column that names it directly or through its journey or action.
_BY_PROJECT = (OwnerRow, JourneyRow, DatasetRow, MappingRow, ActionRow, CodebookRow, CommentTagRow, AlertRow,
               ScenarioRow, CustomerRuleRow)  # fmt: skip
_BY_JOURNEY = (StageRow, TouchpointRow, EdgeRow, JourneyRevisionRow, BenchmarkRow, AlertSettingsRow)


def _limit_to_access(state) -> None:
    """Reads see only the projects the current access may read; ORM updates and deletes touch only those it may
    change (``workbench.core.access``): one place below every repository, whatever ids a request names."""
    allowed = access.current()
    if state.is_select:
        ids = allowed.readable
    elif state.is_update or state.is_delete:
        ids = allowed.writable if allowed.writable is not None else allowed.readable
        if (
            ids is not None
            and state.is_update
            and state.bind_mapper is not None
            and state.bind_mapper.class_ is AlertRow
        ):
            ids = ids | allowed.handles  # a case's version is claimed before its status moves (the flush checks it)
    else:
        return
    if ids is None:
        return
    state.statement = state.statement.options(*_criteria(tuple(sorted(ids)), allowed.scopes))


def _criteria(ids: tuple[int, ...], scopes: Mapping[int, access.Scope]) -> list:
    journeys = select(JourneyRow.id).where(JourneyRow.project_id.in_(ids)).scalar_subquery()
    alerts = and_(AlertRow.project_id.in_(ids), *(_scoped_alerts(p, scope) for p, scope in scopes.items()))
    actions = and_(ActionRow.project_id.in_(ids), *(_scoped_actions(p, scope) for p, scope in scopes.items()))
    visible_actions = select(ActionRow.id).where(actions).scalar_subquery()
    return [
        with_loader_criteria(Project, Project.id.in_(ids), include_aliases=True),
        *(with_loader_criteria(model, model.project_id.in_(ids), include_aliases=True)
          for model in _BY_PROJECT if model not in (AlertRow, ActionRow)),
        with_loader_criteria(AlertRow, alerts, include_aliases=True),
        with_loader_criteria(ActionRow, actions, include_aliases=True),
        *(with_loader_criteria(model, model.journey_id.in_(journeys), include_aliases=True) for model in _BY_JOURNEY),
        with_loader_criteria(ActionEventRow, ActionEventRow.action_id.in_(visible_actions), include_aliases=True),
    ]  # fmt: skip


def _scoped_alerts(project_id: int, scope: access.Scope):
    """A scoped member's alerts of ``project_id``: raised on one of their segment values (an alert over the whole
    touchpoint or another segment column would show others' answers) and on a touchpoint their owners own."""
    inside = [and_(AlertRow.segment == column, AlertRow.value.in_(values)) for column, values in scope.segments]
    if scope.owners:
        inside.append(AlertRow.touchpoint.in_(scope.touchpoints))
    return or_(AlertRow.project_id != project_id, and_(*inside))


def _scoped_actions(project_id: int, scope: access.Scope):
    """A scoped member's action cards of ``project_id``: those assigned to them, their owners or segment values."""
    return or_(ActionRow.project_id != project_id, func.lower(ActionRow.owner).in_([n.casefold() for n in scope.names]))


def _refuse_changes_outside_access(session: Session, _context, _instances) -> None:
    """Refuse a flush that would add, change or delete a row of a project the current access may not change; a
    project itself, a user and a role are a team server's administrators' alone."""
    allowed = access.current()
    if allowed.writable is None:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        if row in session.dirty and _handled_case(row, allowed):
            continue
        # A project itself (its name, its deletion with everyone's roles in it) is an administrator's to change.
        if isinstance(row, Project) or not allowed.writes(_project_of(session, row)):
            raise access.refused()


_CASE_FIELDS = {"status", "history", "version"}  # what handling a case changes of its alert


def _handled_case(row, allowed: access.Access) -> bool:
    """Whether a changed row is an alert whose status a member who handles their cases moved, and nothing else."""
    if not isinstance(row, AlertRow) or row.project_id not in allowed.handles:
        return False
    changed = {attr.key for attr in inspect(row).attrs if attr.history.has_changes()}
    return changed <= _CASE_FIELDS


def _project_of(session: Session, row) -> int | None:
    """The project a row belongs to (None: of none, or one the current access cannot read). Users and their roles
    belong to none: only administrators change them, whatever project a role is in."""
    if isinstance(row, (UserRow, MembershipRow)):
        return None
    if hasattr(row, "project_id"):
        return row.project_id
    if hasattr(row, "journey_id"):
        journey = session.get(JourneyRow, row.journey_id) if row.journey_id is not None else None
        return journey.project_id if journey is not None else None
    if isinstance(row, ActionEventRow):
        action = session.get(ActionRow, row.action_id) if row.action_id is not None else None
        return action.project_id if action is not None else None
    return None


def _lock_writes(session: Session, transaction, connection: Connection) -> None:
    if transaction.nested:
        return
    if session.info.get(WRITER):
        write_lock(connection)
    else:
        read_snapshot(connection)


def read_snapshot(connection: Connection) -> None:
    """Make every statement of a reading transaction see the database as of its first read.

    A journey is read in several queries (stages, touchpoints, edges); without one snapshot a save committed
    between two of them gives a journey nobody saved. SQLite: a deferred ``BEGIN`` (the driver would otherwise run
    each SELECT in a transaction of its own); PostgreSQL: REPEATABLE READ. Neither makes a reader wait.
    """
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("BEGIN")
    elif dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _refuse_flush_outside_writes(session: Session, _context, _instances) -> None:
    if not session.info.get(WRITER) and (session.new or session.deleted or session.dirty):
        raise RuntimeError("Changes are written in a write transaction: use `with sessions.begin() as session`.")


def _refuse_writes_outside_writes(state) -> None:
    if not state.session.info.get(WRITER) and (state.is_insert or state.is_update or state.is_delete):
        raise RuntimeError("Changes are written in a write transaction: use `with sessions.begin() as session`.")


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest Alembic revision (no-op if it is current)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@functools.cache
def head_revision() -> str:
    """The newest revision of the migration scripts (read once per process)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:  # the package always ships its migrations
        raise RuntimeError(f"no migration scripts in {MIGRATIONS}")
    return head


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; None for a database Alembic has not touched yet."""
    with engine.connect() as connection:
        try:
            return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        except DBAPIError:  # no such table (a failed read is no harm: migrating a current database changes nothing)
            return None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()
