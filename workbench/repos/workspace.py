"""A workspace: a folder with the metadata database; projects, owners and journeys with edit history."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from workbench.core import journeyfile
from workbench.core.errors import (
    ConflictError,
    WorkspaceError,
    clean_name,
    require_free_name,
)
from workbench.core.events import Events
from workbench.core.i18n import gettext as _
from workbench.core.journey import (
    Edge,
    Journey,
    Owner,
    Stage,
    Touchpoint,
    auto_layout,
    validate,
)
from workbench.data.store import (
    Base,
    BenchmarkRow,
    DatasetRow,
    EdgeRow,
    JourneyRevisionRow,
    JourneyRow,
    OwnerRow,
    Project,
    StageRow,
    TouchpointRow,
    claim,
    connect,
    database_url,
    session_factory,
)
from workbench.repos.datasets import Datasets

if TYPE_CHECKING:
    import pandas

DEFAULT_FOLDER = "workspace"
SECRET_FILE = "secret.key"  # the key a team server signs its sessions with (Workspace.secret)
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    name: str
    description: str
    journeys: int
    portal: str | None = None  # the segment column whose values are partners with a portal login


@dataclass(frozen=True)
class JourneyInfo:
    id: int
    project_id: int
    name: str
    touchpoints: int


@dataclass(frozen=True)
class JourneyState:
    """A journey as stored, with its version and what undo/redo would do."""

    id: int
    project_id: int
    version: int
    journey: Journey
    undo_label: str | None
    redo_label: str | None
    undo_by: str = ""  # who made the edit undo would take back ("" on a local workbench)
    redo_by: str = ""


def default_folder() -> Path:
    """The workspace folder: ``CXWB_WORKSPACE`` if set, else ``./workspace``."""
    return Path(os.environ.get("CXWB_WORKSPACE") or DEFAULT_FOLDER)


class Workspace:
    """Projects, owners and journeys of one workspace, stored through SQLAlchemy.

    Parameters
    ----------
    folder : workspace folder; created if missing. Holds ``workbench.db`` unless ``url`` says otherwise.
    url : any SQLAlchemy URL for the metadata (default: ``CXWB_DATABASE_URL`` or SQLite in ``folder``).
    """

    def __init__(self, folder: str | Path | None = None, url: str | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.engine = connect(url or database_url(self.folder))
        self.sessions = session_factory(self.engine)  # sessions() reads; sessions.begin() writes, one writer at a time
        self.events = Events()  # what happened here (a dataset committed); the feature layer subscribes reactions
        self.datasets = Datasets(
            self.folder,
            self.sessions,
            self.events,
            lambda journey_id: [tp.key for tp in self.journey(journey_id).journey.touchpoints],
        )
        self.datasets.sweep()

    @functools.cached_property
    def cache(self):
        """Query results (``diskcache.Cache``), keyed on each file's size and mtime: safe to clear at any time."""
        import diskcache

        return diskcache.Cache(str(self.folder / "cache" / "queries"), size_limit=2**29)

    @functools.cached_property
    def mappings(self):
        """The saved column mappings of every project (``workbench.repos.mappings.Mappings``)."""
        from workbench.repos.mappings import Mappings

        return Mappings(self.sessions)

    @functools.cached_property
    def actions(self):
        """The improvement actions (kanban cards) of every project (``workbench.repos.actions.Actions``)."""
        from workbench.repos.actions import Actions

        return Actions(self.sessions, self.events, lambda journey_id: self.journey(journey_id).journey)

    @functools.cached_property
    def alerts(self):
        """The alert rules and inboxes of every journey (``workbench.repos.alerts.Inbox``)."""
        from workbench.repos.alerts import Inbox

        return Inbox(self.sessions, self.events)

    @functools.cached_property
    def verbatims(self):
        """The codebooks and manual comment coding of every project (``workbench.repos.text.Verbatims``)."""
        from workbench.repos.text import Verbatims

        return Verbatims(self.sessions)

    @functools.cached_property
    def scenarios(self):
        """The saved ROI scenarios of every project (``workbench.repos.scenarios.Scenarios``)."""
        from workbench.repos.scenarios import Scenarios

        return Scenarios(self.sessions)

    @functools.cached_property
    def customer_rules(self):
        """The saved CRM lists and churn-risk / opportunity rules of every project
        (``workbench.repos.customerrules.CustomerRules``)."""
        from workbench.repos.customerrules import CustomerRules

        return CustomerRules(self.sessions)

    @functools.cached_property
    def users(self):
        """The people who log in to a team server (``workbench.repos.users.Users``)."""
        from workbench.repos.users import Users

        return Users(self.sessions)

    def secret(self) -> bytes:
        """The workspace's signing key (sessions of a team server): made once, kept in the folder every worker of
        the server shares, readable by its owner alone."""
        path = self.folder / SECRET_FILE
        if not path.exists():
            # Written whole beside it, then linked in: of two workers starting at once, one key wins and neither
            # reads a half-written one.
            temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(secrets.token_bytes(32))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        return path.read_bytes()

    def close(self) -> None:
        """Wait for the summaries being written, release the database connections and the cache."""
        self.datasets.settle()
        if "cache" in self.__dict__:
            self.cache.close()
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------ projects

    def projects(self) -> list[ProjectInfo]:
        """All projects, by name, with their journey counts."""
        with self.sessions() as session:
            counts = dict(
                session.execute(select(JourneyRow.project_id, func.count()).group_by(JourneyRow.project_id)).all()
            )
            rows = session.scalars(select(Project).order_by(Project.name)).all()
            return [ProjectInfo(p.id, p.name, p.description, counts.get(p.id, 0), p.portal) for p in rows]

    def project(self, project_id: int) -> ProjectInfo | None:
        """One project with its journey count (None when there is none the reader may read)."""
        with self.sessions() as session:
            row = session.get(Project, int(project_id))
            if row is None:
                return None
            journeys = session.scalar(
                select(func.count()).select_from(JourneyRow).where(JourneyRow.project_id == row.id)
            )
            return ProjectInfo(row.id, row.name, row.description, int(journeys or 0), row.portal)

    def create_project(self, name: str, description: str = "") -> int:
        """Create a project (one per client) and return its id."""
        name = clean_name(name, "project")
        with self.sessions.begin() as session:
            require_free_name(
                session.scalars(select(Project)),
                name,
                None,
                _("A project named “{name}” already exists.").format(name=name),
            )
            project = Project(name=name, description=description)
            session.add(project)
            session.flush()
            return project.id

    def set_portal(self, project_id: int, column: str | None) -> None:
        """Make a segment column's values the project's partners with portals (None: no portals)."""
        with self.sessions.begin() as session:
            self._get(session, Project, project_id).portal = column or None

    def rename_project(self, project_id: int, name: str) -> None:
        """Give a project a new name."""
        name = clean_name(name, "project")
        with self.sessions.begin() as session:
            project = self._get(session, Project, project_id)
            require_free_name(
                session.scalars(select(Project)),
                name,
                project_id,
                _("A project named “{name}” already exists.").format(name=name),
            )
            project.name = name

    def delete_project(self, project_id: int) -> None:
        """Delete a project with everything in it, dataset files included."""
        with self.datasets.transaction() as (session, note):
            project = self._get(session, Project, project_id)
            note(session.scalars(select(DatasetRow.file).where(DatasetRow.project_id == project_id)))
            session.delete(project)

    def owners(self, project_id: int) -> list[Owner]:
        """The project's owners, by name."""
        with self.sessions() as session:
            rows = session.scalars(select(OwnerRow).where(OwnerRow.project_id == project_id).order_by(OwnerRow.name))
            return [Owner(o.name, o.kind) for o in rows]

    # ------------------------------------------------------------ journeys

    def journeys(self, project_id: int) -> list[JourneyInfo]:
        """The project's journeys, by name, with their touchpoint counts."""
        with self.sessions() as session:
            counts = dict(
                session.execute(select(TouchpointRow.journey_id, func.count()).group_by(TouchpointRow.journey_id)).all()
            )
            rows = session.scalars(
                select(JourneyRow).where(JourneyRow.project_id == project_id).order_by(JourneyRow.name)
            )
            return [JourneyInfo(j.id, j.project_id, j.name, counts.get(j.id, 0)) for j in rows]

    def create_journey(self, project_id: int, journey: Journey) -> int:
        """Store a new journey in a project (laid out automatically if any position is missing)."""
        validate(journey)
        if any(tp.x is None or tp.y is None for tp in journey.touchpoints):
            journey = auto_layout(journey)
        with self.sessions.begin() as session:
            self._get(session, Project, project_id)
            self._require_unique_journey(session, project_id, journey.name, None)
            row = JourneyRow(
                project_id=project_id, name=journey.name, description=journey.description, revision=0, version=1
            )
            session.add(row)
            self._write(session, row, journey)
            session.add(
                JourneyRevisionRow(
                    journey_id=row.id, seq=0, label=_("Create journey"), snapshot=journeyfile.to_json(journey)
                )
            )
            return row.id

    def delete_journey(self, journey_id: int) -> None:
        """Delete a journey with its touchpoints, edges and history."""
        with self.sessions.begin() as session:
            session.delete(self._get(session, JourneyRow, journey_id))

    def journey(self, journey_id: int) -> JourneyState:
        """Read a journey with its version and undo/redo labels."""
        with self.sessions() as session:
            return self._state(session, self._journey_row(session, journey_id))

    def save_journey(
        self, journey_id: int, journey: Journey, label: str, expected_version: int | None = None, who: str = ""
    ) -> JourneyState:
        """Store an edited journey as one undoable step made by ``who`` (the logged-in user of a team server, else
        nobody); refuse if ``expected_version`` is stale."""
        validate(journey)
        with self.sessions.begin() as session:
            row = self._current(session, journey_id, expected_version)
            self._require_unique_journey(session, row.project_id, journey.name, journey_id)
            self._write(session, row, journey)
            session.execute(
                delete(JourneyRevisionRow).where(
                    JourneyRevisionRow.journey_id == journey_id, JourneyRevisionRow.seq > row.revision
                )
            )
            row.revision += 1
            session.add(
                JourneyRevisionRow(
                    journey_id=journey_id,
                    seq=row.revision,
                    label=label,
                    author=" ".join(who.split())[:200],
                    snapshot=journeyfile.to_json(journey),
                )
            )
            session.execute(
                delete(JourneyRevisionRow).where(
                    JourneyRevisionRow.journey_id == journey_id, JourneyRevisionRow.seq <= row.revision - HISTORY_LIMIT
                )
            )
            session.flush()
            return self._state(session, row)

    def undo(self, journey_id: int, expected_version: int | None = None) -> JourneyState:
        """Go back one edit."""
        return self._step(journey_id, -1, expected_version)

    def redo(self, journey_id: int, expected_version: int | None = None) -> JourneyState:
        """Re-apply the edit last undone."""
        return self._step(journey_id, +1, expected_version)

    # ------------------------------------------------------------ benchmarks

    def benchmarks(self, journey_id: int) -> pandas.DataFrame:
        """The journey's external benchmark values: touchpoint, metric, value, source."""
        import pandas as pd

        with self.sessions() as session:
            rows = session.scalars(
                select(BenchmarkRow).where(BenchmarkRow.journey_id == journey_id).order_by(BenchmarkRow.id)
            ).all()
            return pd.DataFrame(
                [(r.touchpoint, r.metric, r.value, r.source) for r in rows],
                columns=["touchpoint", "metric", "value", "source"],
            )

    def replace_benchmarks(self, journey_id: int, values: Iterable[tuple[str, str, float]], source: str) -> None:
        """Put ``values`` (touchpoint, metric, value) in place of the journey's benchmarks, all or nothing."""
        with self.sessions.begin() as session:
            self._get(session, JourneyRow, journey_id)
            session.execute(delete(BenchmarkRow).where(BenchmarkRow.journey_id == journey_id))
            session.add_all(
                BenchmarkRow(journey_id=journey_id, touchpoint=t, metric=m, value=float(v), source=source[:300])
                for t, m, v in values
            )

    # ------------------------------------------------------------ internals

    def _step(self, journey_id: int, offset: int, expected_version: int | None) -> JourneyState:
        with self.sessions.begin() as session:
            row = self._current(session, journey_id, expected_version)
            snapshot = self._revision(session, journey_id, row.revision + offset)
            if snapshot is None:
                raise WorkspaceError(_("Nothing to undo.") if offset < 0 else _("Nothing to redo."))
            self._write(session, row, journeyfile.from_json(snapshot.snapshot))
            row.revision += offset
            session.flush()
            return self._state(session, row)

    def _current(self, session: Session, journey_id: int, expected_version: int | None) -> JourneyRow:
        """The journey, locked for this transaction at ``expected_version`` (a save, an undo or a redo)."""
        claimed = claim(session, JourneyRow.id, journey_id, expected_version)
        row = self._journey_row(session, journey_id)
        if not claimed:
            raise ConflictError(
                _(
                    "This journey was changed in another window or tab; your edit was not applied. "
                    "The map now shows the latest version."
                )
            )
        return row

    @staticmethod
    def _revision(session: Session, journey_id: int, seq: int) -> JourneyRevisionRow | None:
        return session.scalar(
            select(JourneyRevisionRow).where(JourneyRevisionRow.journey_id == journey_id, JourneyRevisionRow.seq == seq)
        )

    def _state(self, session: Session, row: JourneyRow) -> JourneyState:
        owners = session.scalars(select(OwnerRow).where(OwnerRow.project_id == row.project_id).order_by(OwnerRow.name))
        journey = Journey(
            name=row.name,
            description=row.description,
            stages=tuple(Stage(s.key, s.name) for s in row.stages),
            owners=tuple(Owner(o.name, o.kind) for o in owners),
            touchpoints=tuple(
                Touchpoint(
                    key=t.key,
                    name=t.name,
                    stage=t.stage.key,
                    channel=t.channel,
                    owner=t.owner.name if t.owner else None,
                    kind=t.kind,
                    entry=t.entry,
                    targets=dict(t.targets or {}),
                    x=t.x,
                    y=t.y,
                    notes=t.notes,
                    lanes=journeyfile.read_lanes(t.lanes or {}),
                )
                for t in row.touchpoints
            ),
            edges=tuple(Edge(e.source.key, e.target.key, e.share, e.volume) for e in row.edges),
            **journeyfile.read_map(row.map or {}),
        )
        undo = self._revision(session, row.id, row.revision)
        redo = self._revision(session, row.id, row.revision + 1)
        return JourneyState(
            row.id,
            row.project_id,
            row.version,
            journey,
            undo.label if undo is not None and row.revision > 0 else None,
            redo.label if redo is not None else None,
            undo.author if undo is not None and row.revision > 0 else "",
            redo.author if redo is not None else "",
        )

    def _write(self, session: Session, row: JourneyRow, journey: Journey) -> None:
        """Make the journey's rows equal to ``journey``, keeping row ids of unchanged keys."""
        owners = {o.name: o for o in session.scalars(select(OwnerRow).where(OwnerRow.project_id == row.project_id))}
        for owner in journey.owners:
            if owner.name not in owners:
                owners[owner.name] = OwnerRow(project_id=row.project_id, name=owner.name, kind=owner.kind)
                session.add(owners[owner.name])
            else:
                owners[owner.name].kind = owner.kind
        row.name, row.description, row.map = journey.name, journey.description, journeyfile.map_document(journey)
        row.version = (row.version or 0) + 1
        session.flush()  # new rows below need row.id before the collections are swapped

        old_stages = {s.key: s for s in row.stages}
        stages = []
        for position, stage in enumerate(journey.stages):
            stage_row = old_stages.get(stage.key) or StageRow(journey_id=row.id, key=stage.key)
            stage_row.name, stage_row.position = stage.name, position
            stages.append(stage_row)
        by_stage = {s.key: s for s in stages}

        old_tps = {t.key: t for t in row.touchpoints}
        touchpoints = []
        for position, tp in enumerate(journey.touchpoints):
            tp_row = old_tps.get(tp.key) or TouchpointRow(journey_id=row.id, key=tp.key)
            tp_row.name, tp_row.stage, tp_row.channel, tp_row.kind = tp.name, by_stage[tp.stage], tp.channel, tp.kind
            tp_row.owner = owners[tp.owner] if tp.owner is not None else None
            tp_row.entry, tp_row.targets, tp_row.notes = tp.entry, dict(tp.targets), tp.notes
            tp_row.lanes = journeyfile.lanes_document(tp.lanes)
            tp_row.x, tp_row.y, tp_row.position = tp.x, tp.y, position
            touchpoints.append(tp_row)
        by_key = {t.key: t for t in touchpoints}

        old_edges = {(e.source.key, e.target.key): e for e in row.edges}
        edges = []
        for position, edge in enumerate(journey.edges):
            edge_row = old_edges.get((edge.source, edge.target)) or EdgeRow(
                journey_id=row.id, source=by_key[edge.source], target=by_key[edge.target]
            )
            edge_row.share, edge_row.volume, edge_row.position = edge.share, edge.volume, position
            edges.append(edge_row)

        # Edges first, then touchpoints, then stages: each removal only after what points at it is gone.
        row.edges = edges
        session.flush()
        row.touchpoints = touchpoints
        session.flush()
        row.stages = stages
        session.flush()

    def _journey_row(self, session: Session, journey_id: int) -> JourneyRow:
        """The journey row with its stages, touchpoints, owners and edges loaded in four queries."""
        session.scalars(
            select(OwnerRow)
            .join(JourneyRow, JourneyRow.project_id == OwnerRow.project_id)
            .where(JourneyRow.id == journey_id)
        ).all()
        return self._get(
            session,
            JourneyRow,
            journey_id,
            options=[
                selectinload(JourneyRow.stages),
                selectinload(JourneyRow.touchpoints),
                selectinload(JourneyRow.edges),
            ],
        )

    @staticmethod
    def _get(session: Session, model: type[Base], ident: int, options: list | None = None):
        found = session.get(model, ident, options=options or [])
        if found is None:
            if model is Project:
                raise WorkspaceError(_("No project with id {id}.").format(id=ident))
            if model is JourneyRow:
                raise WorkspaceError(_("No journey with id {id}.").format(id=ident))
            raise WorkspaceError(_("Nothing with id {id}.").format(id=ident))
        return found

    @staticmethod
    def _require_unique_journey(session: Session, project_id: int, name: str, journey_id: int | None) -> None:
        require_free_name(
            session.scalars(select(JourneyRow).where(JourneyRow.project_id == project_id)),
            name,
            journey_id,
            _("A journey named “{name}” already exists in this project.").format(name=name),
        )


def rename_journey(journey: Journey, name: str) -> Journey:
    """The journey under a new name (saved like any other edit, so it can be undone)."""
    return replace(journey, name=clean_name(name, "journey"))
