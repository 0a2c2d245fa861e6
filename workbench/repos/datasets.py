"""Datasets of a workspace: immutable Parquet versions registered per project, staged imports, saved mappings.

An import is staged first (read, validated and written to a temporary file in ``tmp/``), so the user sees the
report before anything is kept; committing renames the file into ``datasets/`` and registers it in one step.
A cancelled or failed import leaves the workspace exactly as it was.

A file can also be appended to a survey (another wave, a month, the second half of a sample): it is staged with the
dataset's latest version as one file, and committed as the next version of that dataset, provided no other version
came meanwhile (:meth:`Datasets.stage`, ``append_to``).

A file of ``datasets/`` and its row appear and disappear together, even when a process is killed half-way: every
change of ``datasets/`` happens inside :meth:`Datasets.transaction`, which notes the files it moves in a journal in
``tmp/`` first, and afterwards, or at the next opening if the process died, keeps each only if a row refers to it.
"""

from __future__ import annotations

import builtins
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from workbench.core import access, contract, folders, formatting, i18n, limits, resources
from workbench.core.errors import Cancelled, IngestError
from workbench.core.events import DatasetCommitted, Events
from workbench.core.i18n import N_
from workbench.core.i18n import gettext as _
from workbench.data import beside, ingest, outcome, query, respondents, scratch, waves
from workbench.data.ingest import (
    CsvDialect,
    ImportReport,
    Issue,
    KpiMapping,
    SurveyMapping,
)
from workbench.data.store import DatasetRow, Project
from workbench.repos.mappings import Mappings

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

DATASET_FOLDER = "datasets"
TEMP_FOLDER = "tmp"
STALE_SECONDS = 24 * 3600
KINDS = i18n.Labels(
    {
        "survey": N_("Survey answers"),
        "kpi_period": N_("KPIs per period"),
        "kpi_customer": N_("KPIs per customer"),
        "audit": N_("Mystery-shopping audits"),
    }
)
# A new version must hold what the dataset's versions hold: said per kind, a whole sentence each.
_OTHER_KIND = i18n.Labels(
    {
        "survey": N_("“{name}” holds survey answers; a new version must too. Choose another name."),
        "kpi_period": N_("“{name}” holds KPIs per period; a new version must too. Choose another name."),
        "kpi_customer": N_("“{name}” holds KPIs per customer; a new version must too. Choose another name."),
        "audit": N_("“{name}” holds mystery-shopping audits; a new version must too. Choose another name."),
    }
)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset version."""

    id: int
    project_id: int
    journey_id: int | None
    name: str
    version: int
    kind: str
    rows: int | None  # None for a scoped member (core.access.Scope): the file's count is not theirs
    source: str
    created_at: datetime
    report: ImportReport
    mapping: dict
    meta: dict
    path: Path
    latest: bool


@dataclass(frozen=True)
class StagedImport:
    """A validated import waiting for the user's decision: its report and the temporary file of valid rows.

    An appended file's import ``extends`` a dataset version (its id): the temporary file then holds that version's
    ``rows`` answers and the file's valid ones, and the report is the file's.
    """

    token: str
    project_id: int
    journey_id: int | None
    kind: str
    source: str
    temp_file: Path
    report: ImportReport
    mapping: dict
    meta: dict
    shape: str
    extends: int | None = None
    rows: int | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "temp_file": str(self.temp_file), "report": self.report.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> StagedImport:
        return cls(**{**data, "temp_file": Path(data["temp_file"]), "report": ImportReport.from_dict(data["report"])})


class Datasets:
    """Dataset versions and saved column mappings of a workspace."""

    def __init__(
        self, folder: Path, sessions: sessionmaker, events: Events, touchpoint_keys: Callable[[int], list[str]]
    ):
        self.root = folder
        self.sessions = sessions  # sessions() reads; sessions.begin() writes
        self.events = events
        self.touchpoint_keys = touchpoint_keys  # a journey's touchpoint keys, which a survey's answers must name
        self.folder = folder / DATASET_FOLDER
        self.temp_folder = folder / TEMP_FOLDER
        # The precomputed files being written after their survey's commit.
        self.writers: builtins.list[threading.Thread] = []
        self._writers_lock = threading.Lock()  # two imports may commit at once (the app's background jobs)

    # ------------------------------------------------------------ reading

    def list(self, project_id: int, kind: str | None = None) -> list[DatasetInfo]:
        """The project's dataset versions, newest first within each name."""
        with self.sessions() as session:
            query = select(DatasetRow).where(DatasetRow.project_id == project_id)
            if kind:
                query = query.where(DatasetRow.kind == kind)
            rows = session.scalars(query.order_by(DatasetRow.name, DatasetRow.version.desc())).all()
            newest: dict[str, int] = {}
            for row in rows:
                newest.setdefault(row.name, row.version)
            return [self._info(row, newest[row.name] == row.version) for row in rows]

    def get(self, dataset_id: int) -> DatasetInfo:
        """One dataset version."""
        from workbench.core.errors import WorkspaceError

        with self.sessions() as session:
            row = session.get(DatasetRow, dataset_id)
            if row is None:
                raise WorkspaceError(_("No dataset with id {id}.").format(id=dataset_id))
            newest = session.scalar(
                select(func.max(DatasetRow.version)).where(
                    DatasetRow.project_id == row.project_id, DatasetRow.name == row.name
                )
            )
            return self._info(row, newest == row.version)

    def survey_for(self, project_id: int, journey_id: int | None) -> DatasetInfo | None:
        """The latest survey linked to the journey, else the project's latest survey (None if there is none); a survey
        before reviews, which are a source of their own (``meta["source"]``), chosen only when nothing else is."""
        latest = sorted(
            (d for d in self.list(project_id, "survey") if d.latest), key=lambda d: d.meta.get("source") == "reviews"
        )
        linked = [d for d in latest if journey_id is not None and d.journey_id == int(journey_id)]
        return (linked or latest)[0] if linked or latest else None

    def names(self, project_id: int) -> builtins.list[str]:
        """Names of the project's datasets."""
        return sorted({d.name for d in self.list(project_id)}, key=str.casefold)

    def _info(self, row: DatasetRow, latest: bool) -> DatasetInfo:
        whole = not access.current().scoped(row.project_id)
        # A scoped member reads some rows (core.access.Scope): the whole file's counts and its import report (whose
        # problems quote cells) are not theirs to see.
        return DatasetInfo(
            row.id,
            row.project_id,
            row.journey_id,
            row.name,
            row.version,
            row.kind,
            row.rows if whole else None,
            row.source,
            row.created_at,
            ImportReport.from_dict(row.report if whole else {"rows_read": 0, "rows_valid": 0}),
            dict(row.mapping),
            dict(row.meta) if whole else {k: v for k, v in row.meta.items() if k != "respondents"},
            self.root / row.file,
            latest,
        )

    # ------------------------------------------------------------ importing

    def stage(
        self,
        project_id: int,
        path: str | Path,
        mapping: SurveyMapping | KpiMapping,
        *,
        journey_id: int | None = None,
        dialect: CsvDialect | None = None,
        sheet: str | None = None,
        header_row: int | None = None,
        source: str | None = None,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        token: str | None = None,
        append_to: int | None = None,
    ) -> StagedImport:
        """Read, validate and write the valid rows to a temporary file; nothing is registered yet.

        ``progress(fraction, step)`` is called between steps; ``cancelled()`` (or :meth:`cancel` of ``token``)
        stops the import at the next step with :class:`Cancelled`, removing what it wrote.

        ``append_to`` (the id of a survey's latest version) stages the file's answers together with that version's,
        to be committed as the survey's next version. The journey is the survey's. An answer whose id the version
        already holds is not kept (issue ``duplicate_across_files``); a file measuring another overall outcome, or
        ratings on another scale, is refused with :class:`~workbench.data.ingest.IngestError`.
        """
        progress = progress or (lambda _fraction, _step: None)
        source = source or Path(path).name
        token = token or self.new_token()

        def step(fraction: float, text: str) -> None:
            if (cancelled and cancelled()) or self._file(token, ".cancel").exists():
                self._file(token, ".cancel").unlink(missing_ok=True)
                raise Cancelled(_("The import was cancelled; nothing was changed."))
            progress(fraction, text)

        extended = self._appendable(project_id, append_to, mapping, journey_id) if append_to is not None else None
        journey_id = extended.journey_id if extended is not None else journey_id
        step(0.05, _("Reading the file"))
        data = ingest.load(path, mapping, dialect, sheet, header_row)
        columns = data.table.column_names
        step(0.45, _("Checking the rows"))
        rows = None
        if isinstance(mapping, SurveyMapping):
            if journey_id is None:
                raise IngestError(_("Choose the journey whose touchpoints the answers are about."))
            keys = self.touchpoint_keys(journey_id)
            previous = _read(extended.path) if extended is not None else None
            prefix = Path(source).stem
            if extended is not None and previous is not None:
                prefix = generated_prefix(previous["response_id"], prefix, extended.version + 1)
            table, report = ingest.prepare_survey(data.table, mapping, keys, data.decimal, prefix, data.first_row)
            kind, meta = "survey", survey_meta(table, mapping.rating_scale) | import_meta(mapping)
            if extended is not None and previous is not None:
                step(0.6, _("Adding the dataset's answers"))
                table, report = drop_known_ids(
                    data.table, table, report, mapping, previous["response_id"], data.first_row
                )
                meta = merge_meta(extended.meta, meta)
                rows, table = previous.num_rows + table.num_rows, merge_answers(previous, table)
                meta |= survey_meta(table, _rating_scale(meta))
                source = f"{extended.source} + {source}"
        else:
            table, report = ingest.prepare_kpi(data.table, mapping, data.decimal, data.first_row)
            kind, meta = mapping.kind, kpi_meta(table, ingest.kpi_names(mapping.kpis))
            journey_id = None
        meta |= {
            "dialect": data.dialect.__dict__ if data.dialect else None,
            "sheet": data.sheet,
            "layout": data.layout.name,
            "header_row": data.header_row if data.kind == "xlsx" else None,
        }
        step(0.7, _("Writing the valid rows"))
        staged = StagedImport(
            token,
            project_id,
            journey_id,
            kind,
            source,
            self._file(token, ".parquet"),
            report,
            ingest.mapping_to_dict(mapping),
            meta,
            ingest.shape(columns),
            append_to,
            rows,
        )
        with scratch.hold(self.temp_folder, token):  # until the description is written, a kill leaves nothing
            try:
                ingest.write_parquet(table, staged.temp_file, self.temp_folder)
                step(0.95, "Ready")
                self._file(token, ".json").write_text(json.dumps(staged.to_dict()), encoding="utf-8")
            except BaseException:
                self.discard(staged)
                raise
        return staged

    def _appendable(
        self, project_id: int, dataset_id: int, mapping: SurveyMapping | KpiMapping, journey_id: int | None
    ) -> DatasetInfo:
        """The survey version a file is appended to, if a file may be: the latest, of this project and journey."""
        from workbench.core.errors import WorkspaceError

        try:
            extended = self.get(dataset_id)
        except WorkspaceError:
            raise IngestError(_("The dataset to append to no longer exists; choose it again.")) from None
        if extended.project_id != project_id:
            raise IngestError(_("The dataset to append to belongs to another project."))
        if extended.kind != "survey" or not isinstance(mapping, SurveyMapping):
            raise IngestError(_("Only survey answers can be appended to a dataset; import KPIs as a new version."))
        if not extended.latest:
            raise IngestError(
                _("“{name}” version {version} is not its latest version: a file is appended to the latest.").format(
                    name=extended.name, version=extended.version
                )
            )
        if journey_id is not None and extended.journey_id is not None and journey_id != extended.journey_id:
            raise IngestError(
                _("“{name}” holds answers about another journey: appended answers are about the same journey.").format(
                    name=extended.name
                )
            )
        return extended

    def new_token(self) -> str:
        """A fresh id for a staged import."""
        return uuid.uuid4().hex

    def cancel(self, token: str) -> None:
        """Ask a running import to stop at its next step (it may be in another process)."""
        self.temp_folder.mkdir(parents=True, exist_ok=True)
        self._file(token, ".cancel").touch()

    def staged(self, token: str) -> StagedImport:
        """A staged import waiting for commit or discard."""
        from workbench.core.errors import WorkspaceError

        try:
            return StagedImport.from_dict(json.loads(self._file(token, ".json").read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise WorkspaceError(_("This import is no longer waiting; start it again.")) from None

    def _file(self, token: str, suffix: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", token):
            raise ValueError(_("Not an import token."))
        return self.temp_folder / f"{token}{suffix}"

    def receive(self, filename: str, content: bytes) -> Path:
        """Keep an uploaded file in the workspace's temporary folder; return where it is."""
        name = Path(filename).name.strip() or "upload"
        ingest.file_kind(name)
        limits.check_size(len(content), limits.UPLOAD_BYTES, name)
        folder = self.root / folders.UPLOADS_FOLDER / uuid.uuid4().hex
        folder.mkdir(parents=True)
        (folder / name).write_bytes(content)
        return folder / name

    def commit(self, staged: StagedImport | str, name: str | None = None) -> DatasetInfo:
        """Keep a staged import as the next version of dataset ``name``; its mapping is saved for the same shape.

        Two commits under one name at once get the next two versions: the version is chosen under the lock. An
        appended file becomes the next version of the survey it was staged with (``name`` may be left out); if
        that version is no longer the latest (another file came meanwhile), it is refused with
        :class:`~workbench.repos.workspace.ConflictError` and the staged import dropped: it must be checked again.
        """
        from workbench.core.errors import ConflictError, WorkspaceError

        staged = self.staged(staged) if isinstance(staged, str) else staged

        name = " ".join(str(name or "").split())
        if not name and staged.extends is None:
            raise WorkspaceError(_("The dataset needs a name."))
        if not staged.report.rows_valid:
            raise WorkspaceError(_("No valid rows to import."))
        relative = f"{DATASET_FOLDER}/{uuid.uuid4().hex}.parquet"
        with scratch.hold(self.temp_folder, staged.token):  # the staging's files change only under its lock
            with self.transaction(staged.token) as (session, note):
                if not staged.temp_file.exists():
                    raise WorkspaceError(_("This import is no longer waiting; start it again."))
                if session.get(Project, staged.project_id) is None:
                    raise WorkspaceError(_("No project with id {id}.").format(id=staged.project_id))
                if staged.extends is not None:
                    try:
                        name = self._extended_name(session, staged.extends, name)
                    except ConflictError:
                        self.discard(staged)  # it holds a version that is no longer the latest: never to be kept
                        raise
                existing = session.scalars(select(DatasetRow).where(DatasetRow.project_id == staged.project_id)).all()
                same = [row for row in existing if row.name.casefold() == name.casefold()]
                if same and same[0].kind != staged.kind:
                    raise WorkspaceError(_OTHER_KIND[same[0].kind].format(name=same[0].name))
                name = same[0].name if same else name
                version = max((row.version for row in same), default=0) + 1
                row = DatasetRow(
                    project_id=staged.project_id,
                    journey_id=staged.journey_id,
                    name=name,
                    version=version,
                    kind=staged.kind,
                    file=relative,
                    source=staged.source,
                    rows=staged.rows or staged.report.answers or staged.report.rows_valid,
                    report=staged.report.to_dict(),
                    mapping=staged.mapping,
                    meta=staged.meta | {"shape": staged.shape},
                )
                session.add(row)
                Mappings.remember(session, staged.project_id, staged.shape, staged.mapping, name)
                session.flush()
                dataset_id = row.id
                note([relative], staged.temp_file)  # if the row does not commit, the file goes back and still waits
                self.folder.mkdir(parents=True, exist_ok=True)
                staged.temp_file.replace(self.root / relative)  # last: the row commits right after
            self._file(staged.token, ".json").unlink(missing_ok=True)  # committed: no longer waiting
        if staged.kind == "survey":
            # After the commit, beside it: the import is done when its file is in place (a 20 M-answer survey's
            # summary takes half a minute), and queries read the answers until the precomputed files are there.
            writer = threading.Thread(
                target=self._precompute, args=(self.root / relative,), name=f"cxwb-precompute-{dataset_id}"
            )
            with self._writers_lock:  # started under the lock: settle() never joins a thread not yet started
                self.writers = [*(alive for alive in self.writers if alive.is_alive()), writer]
                writer.start()
        self.events.emit(DatasetCommitted(staged.project_id, dataset_id, staged.kind))
        return self.get(dataset_id)

    @staticmethod
    def _precompute(path: Path) -> None:
        """Precompute what pages read instead of a survey version's answers: its statistics per touchpoint × month
        × segment (``data.summaries``) and its respondent table (``data.respondents``); whichever fails, the
        answers serve."""
        for write in (query.summarise, respondents.write):
            try:
                write(path)
            except Exception as error:  # noqa: BLE001 - a precomputed file only saves time: the answers still serve
                log.warning("Could not precompute %s for %s: %s", write.__module__, path, error)

    def settle(self) -> None:
        """Wait for the precomputed files still being written (a closing workspace, a test reading them)."""
        with self._writers_lock:
            waiting, self.writers = self.writers, []
        for writer in waiting:
            writer.join()

    @staticmethod
    def _extended_name(session: Session, dataset_id: int, name: str) -> str:
        """The name of the survey an appended file extends, checked under the write lock to be its latest version."""
        from workbench.core.errors import ConflictError, WorkspaceError

        row = session.get(DatasetRow, dataset_id)
        newest = row and session.scalar(
            select(func.max(DatasetRow.version)).where(
                DatasetRow.project_id == row.project_id, DatasetRow.name == row.name
            )
        )
        if row is None or newest != row.version:
            raise ConflictError(
                _(
                    "The dataset changed meanwhile (a version was added or deleted); check the file "
                    "again to append it to the latest version."
                )
            )
        if name and name.casefold() != row.name.casefold():
            raise WorkspaceError(
                _("An appended file becomes the next version of “{name}”; it cannot be named otherwise.").format(
                    name=row.name
                )
            )
        return row.name

    def discard(self, staged: StagedImport | str) -> None:
        """Drop a staged import (the user cancelled after seeing the report)."""
        token = staged if isinstance(staged, str) else staged.token
        for suffix in (".parquet", ".json", ".cancel"):
            self._file(token, suffix).unlink(missing_ok=True)

    def import_file(
        self, project_id: int, path: str | Path, mapping: SurveyMapping | KpiMapping, name: str | None, **options
    ) -> DatasetInfo:
        """Stage and commit in one go (the command line): the valid rows become a new dataset version (with
        ``append_to``, the survey's next version, holding its answers too; ``name`` may then be None)."""
        token = self.new_token()
        with scratch.hold(self.temp_folder, token):  # nothing waits for a decision: a kill leaves nothing
            return self._keep(self.stage(project_id, path, mapping, token=token, **options), name)

    def add_table(
        self,
        project_id: int,
        table: pa.Table,
        name: str,
        kind: str,
        *,
        journey_id: int | None = None,
        source: str = "generated",
        meta: Mapping | None = None,
        report: ImportReport | None = None,
    ) -> DatasetInfo:
        """Register a table already in a contract (generated demo data, read reviews) as a dataset version; ``meta``
        adds to what the table's kind says of it (``{"source": "reviews"}``), ``report`` replaces the plain count."""
        token = self.new_token()
        report = report or ImportReport(table.num_rows, table.num_rows, answers=table.num_rows)
        meta = {"survey": survey_meta, "audit": audit_meta}.get(kind, kpi_meta)(table) | dict(meta or {})
        staged = StagedImport(
            token,
            project_id,
            journey_id,
            kind,
            source,
            self._file(token, ".parquet"),
            report,
            {},
            meta,
            ingest.shape(table.column_names),
        )
        with scratch.hold(self.temp_folder, token):
            ingest.write_parquet(table, staged.temp_file, self.temp_folder)
            return self._keep(staged, name)

    def _keep(self, staged: StagedImport, name: str | None) -> DatasetInfo:
        """Commit a staged import nobody decides on, or drop it if that fails."""
        try:
            return self.commit(staged, name)
        except BaseException:
            self.discard(staged)
            raise

    def delete(self, dataset_id: int) -> None:
        """Delete one dataset version and its file."""
        from workbench.core.errors import WorkspaceError

        self.settle()  # a summary written after its file is gone would be left behind
        with self.transaction() as (session, note):
            row = session.get(DatasetRow, dataset_id)
            if row is None:
                raise WorkspaceError(_("No dataset with id {id}.").format(id=dataset_id))
            note([row.file])
            session.delete(row)

    @contextmanager
    def transaction(self, token: str | None = None) -> Iterator[tuple[Session, Callable[..., None]]]:
        """A transaction that adds files to ``datasets/`` or removes them, under the lock every such change takes.

        Call ``note(files)`` (paths relative to the workspace) before moving a file in, and for each file whose row
        the transaction deletes. When the transaction ends, each noted file stays only if a row refers to it, so a
        file appears and disappears with its row. ``note(files, source)`` says that the file comes from ``source`` in
        ``tmp/``: if no row refers to it, it goes back there instead (a staged import whose commit failed still
        waits). The note is a journal in ``tmp/``, held under ``token``: if the process dies half-way, the next
        :meth:`sweep` settles it the same way.
        """
        token = token or self.new_token()
        journal = self._file(token, ".files")
        noted: builtins.list[str | builtins.list[str]] = []

        def note(files: Iterable[str], source: Path | None = None) -> None:
            origin = source.relative_to(self.root).as_posix() if source is not None else None
            noted.extend([file, origin] if origin else file for file in files)
            part = self._file(token, ".files.part")
            part.write_text(json.dumps(noted), encoding="utf-8")
            part.replace(journal)

        with scratch.hold(self.temp_folder, token):
            try:
                with self.sessions.begin() as session:  # holds the write lock, as every write does
                    yield session, note
            finally:
                if noted:
                    with self.sessions() as session:
                        self._settle(session, noted)
                    journal.unlink(missing_ok=True)

    def _settle_journal(self, journal: Path) -> None:
        """Settle the files noted by a process that died inside :meth:`transaction`."""
        with self.sessions.begin() as session:  # the write lock: the dead process's transaction has ended
            self._settle(session, json.loads(journal.read_text(encoding="utf-8")))

    def _settle(self, session: Session, entries: Iterable[str | builtins.list[str]]) -> None:
        """Remove each file of ``datasets/`` in ``entries`` that no row refers to, or move it back where it came from.

        An entry is a file's path, or ``[path, source]`` for a file moved in from ``source`` in ``tmp/``.
        """
        sources: dict[str, str | None] = {}
        for entry in entries:
            file, source = (entry, None) if isinstance(entry, str) else entry
            if PurePosixPath(file).parent == PurePosixPath(DATASET_FOLDER):
                inside = source is not None and PurePosixPath(source).parent == PurePosixPath(TEMP_FOLDER)
                sources[file] = source if inside else sources.get(file)
        kept = set(session.scalars(select(DatasetRow.file).where(DatasetRow.file.in_(list(sources)))))
        for file in set(sources) - kept:
            path = self.root / file
            source = sources[file]
            if source is None:
                path.unlink(missing_ok=True)
                beside.remove(path)
            elif path.exists():
                path.replace(self.root / source)

    def sweep(self) -> None:
        """Clean up after killed processes and abandoned imports; log the dataset files that rows miss.

        A dead process's work files go at once, with the dataset files it was adding or removing settled by the
        database (:meth:`transaction`); imports waiting for a decision (a closed tab) and uploads go after a day.
        A row whose file is missing is kept and logged, not deleted: the file may be on a volume that is not
        mounted, or be restored from a backup, and the row holds the mapping, the report and the version number.
        """
        for token in scratch.abandoned(self.temp_folder):
            if (journal := self._file(token, ".files")).exists():
                self._settle_journal(journal)
        if self.temp_folder.exists():
            for leftover in self.temp_folder.rglob("*"):
                if leftover.is_file() and time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                    if leftover.suffix == ".files":  # where no lock tells a dead writer (Windows), age does
                        self._settle_journal(leftover)
                    leftover.unlink(missing_ok=True)
            for folder in sorted((f for f in self.temp_folder.rglob("*") if f.is_dir()), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
        if self.folder.exists():
            beside.sweep(self.folder)
        with self.sessions() as session:
            files = session.scalars(select(DatasetRow.file)).all()
        missing = [self.root / file for file in files if not (self.root / file).exists()]
        if missing:
            log.warning(
                "Dataset files missing from the workspace (their datasets cannot be read): %s",
                ", ".join(str(path) for path in missing),
            )

    # ------------------------------------------------------------ mappings

    def append_target(self, project_id: int, name: str) -> int:
        """The id of the latest version of survey ``name``, which a file is appended to."""
        from workbench.core.errors import WorkspaceError

        found = [
            d
            for d in self.list(project_id, "survey")
            if d.latest and d.name.casefold() == " ".join(str(name).split()).casefold()
        ]
        if not found:
            names = ", ".join(f"“{d.name}”" for d in self.list(project_id, "survey") if d.latest)
            if not names:
                raise WorkspaceError(
                    _("No survey dataset “{name}” to append to; the project has no surveys.").format(name=name)
                )
            raise WorkspaceError(
                _("No survey dataset “{name}” to append to; the project's surveys: {names}.").format(
                    name=name, names=names
                )
            )
        return found[0].id

    def last_name_for(self, project_id: int, columns: builtins.list[str]) -> str | None:
        """The dataset name last imported from a file of this shape (the monthly refresh goes to it)."""
        target = ingest.shape(columns)
        matching = [d for d in self.list(project_id) if d.meta.get("shape") == target]
        return max(matching, key=lambda d: d.id).name if matching else None


SAMPLE_FOLDER = resources.shipped("datasets")
# What each sample file holds, as the Data page lists it (in the reader's language).
SAMPLE_DESCRIPTIONS = i18n.Labels(
    {
        "parcel-express-answers-cp1250.csv": N_(
            "Parcel delivery survey, one row per answer: touchpoint, NPS, CSAT, CES, comment (Czech CSV, Windows-1250)"
        ),
        "parcel-express-kpi-cp1250.csv": N_(
            "Monthly KPIs per branch: revenue, orders, churn, complaints (Czech CSV, Windows-1250)"
        ),
        "parcel-express-respondents.xlsx": N_(
            "Parcel delivery survey, one row per respondent: a rating column per touchpoint (Excel)"
        ),
        "mystery-shopping-cs-cp1250.csv": N_(
            "Mystery-shopping audits, one row per checklist item: 40 visits of 5 branches, yes/no and points "
            "(Czech CSV, Windows-1250)"
        ),
        "mystery-shopping-en.xlsx": N_(
            "Mystery-shopping audits, one row per visit: a column per checklist item (Excel)"
        ),
        "reviews-cs-cp1250.csv": N_("120 reviews of 5 Czech branches on Google and Facebook (Czech CSV, Windows-1250)"),
        "reviews-en.json": N_("80 reviews from the app stores and Google, with their ids (JSON)"),
    }
)
# Samples of the sources the Reviews & audits page imports (by their names' start), not the Data page's.
SOURCE_SAMPLES = {"reviews": "reviews-", "audit": "mystery-shopping-"}


def sample_files(source: str | None = None) -> list[Path]:
    """The sample files shipped with the workbench (``datasets/`` of the package): the Data page's survey and KPI
    files, or with ``source`` ("reviews", "audit") that source's exports."""
    folder = SAMPLE_FOLDER
    found = (
        sorted(p for p in folder.glob("*") if p.suffix.lower() in (*ingest.FILE_KINDS, ".json"))
        if folder.exists()
        else []
    )
    if source is not None:
        return [p for p in found if p.name.startswith(SOURCE_SAMPLES[source])]
    others = tuple(SOURCE_SAMPLES.values())
    return [p for p in found if p.suffix.lower() in ingest.FILE_KINDS and not p.name.startswith(others)]


def survey_meta(table: pa.Table, rating_scale: tuple[float, float] | None = None) -> dict:
    """What a survey dataset holds: period, touchpoints, metrics, segments, respondents."""
    import pyarrow.compute as pc

    bounds = pc.min_max(table["ts"]).as_py() if table.num_rows else {"min": None, "max": None}
    metrics = [m for m in contract.METRICS if m in table.column_names]
    return {
        "date_from": _iso(bounds["min"]),
        "date_to": _iso(bounds["max"]),
        "metrics": metrics,
        "segments": [c for c in table.column_names if c not in contract.SURVEY_COLUMNS],
        "touchpoints": sorted(pc.unique(table["touchpoint"]).to_pylist()),
        "rating_scale": list(rating_scale) if rating_scale and "rating" in metrics else None,
        "respondents": pc.count_distinct(table["respondent_id"]).as_py()
        if "respondent_id" in table.column_names
        else None,
    }


def import_meta(mapping: SurveyMapping) -> dict:
    """What a survey's mapping says about its data: the overall outcome, and its wave when answers have no date."""
    found = mapping.outcome()
    meta: dict = {"dated": bool(mapping.ts)}
    if found is not None:
        metric, scale = found
        meta["outcome"] = outcome.describe(metric, mapping.outcome_label, scale, _positive(mapping)).to_dict()
    if not mapping.ts and mapping.wave:
        meta["waves"] = [waves.parse(mapping.wave).to_dict()]
    return meta


def _positive(mapping: SurveyMapping) -> str | None:
    """The label counted as "yes" of a yes/no outcome given as words (the one mapped to 1)."""
    overall = next((w.column for w in mapping.wide if w.touchpoint == contract.OVERALL), None)
    labels = mapping.value_labels.get(overall, {}) if overall else {}
    return next((label for label, value in labels.items() if value == 1), None)


def generated_prefix(known: pa.ChunkedArray, stem: str, version: int) -> str:
    """The prefix of an appended file's generated answer ids (``stem:line``, for a file without an id column):
    the file's name, or with the new version's number when an earlier file of the same name took it."""
    import pyarrow.compute as pc

    taken = pc.any(pc.starts_with(known, f"{stem}:")).as_py()
    return f"{stem}@{version}" if taken else stem


def drop_known_ids(
    raw: pa.Table,
    table: pa.Table,
    report: ImportReport,
    mapping: SurveyMapping,
    known: pa.ChunkedArray,
    first_row: int = 2,
) -> tuple[pa.Table, ImportReport]:
    """An appended file's answers without the file rows whose ids the dataset already holds, and its report saying so.

    ``raw`` is the file as read, ``table`` its valid answers; an id is the file's response id column (or, in a
    one-row-per-respondent file, its respondent id), stored per answer with its touchpoint in a wide file. Each such
    row is left out whole and counted once, under issue ``duplicate_across_files``.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = mapping.response_id or (mapping.respondent_id if mapping.wide else None)
    if column is None:  # generated ids (file name and line) are unique by construction
        return table, report
    ids = ingest._text(ingest._array(raw[column]))
    stored = [pc.binary_join_element_wise(ids, w.touchpoint, ":") for w in mapping.wide] if mapping.wide else [ids]
    kept, known = table["response_id"], known.combine_chunks()

    def any_in(values: pa.Array) -> pa.Array:
        return pc.fill_null(functools.reduce(pc.or_, [pc.is_in(s, value_set=values) for s in stored]), False)

    twice = pc.and_(any_in(kept), any_in(known))  # a row already left out for another problem is not counted again
    count = pc.sum(twice).as_py() or 0
    if not count:
        return table, report
    lines = pa.array(np.arange(first_row, raw.num_rows + first_row, dtype=np.int64))
    issue = Issue(
        "duplicate_across_files",
        column,
        count,
        tuple(pc.filter(lines, twice).slice(0, ingest.FIRST_ROWS).to_pylist()),
        "id already in the dataset (an earlier file): not kept",
    )
    dropped = pa.concat_arrays([pc.filter(s, twice) for s in stored])
    table = table.filter(pc.invert(pc.is_in(table["response_id"], value_set=dropped)))
    return table, replace(
        report, rows_valid=report.rows_valid - count, issues=(*report.issues, issue), answers=table.num_rows
    )


def merge_answers(previous: pa.Table, table: pa.Table) -> pa.Table:
    """Two survey tables as one: a column only one of them has is missing in the other's answers."""
    import pyarrow as pa

    combined = pa.concat_tables([previous, table], promote_options="permissive")
    columns = [name for name in contract.SURVEY_COLUMNS if name in combined.column_names]
    return combined.select(columns + [name for name in combined.column_names if name not in columns])


def _scale(ends) -> str:
    """A rating scale's two ends as the reader writes numbers: '1–5', '0–1,5'."""
    return "–".join(formatting.number(end, len(f"{float(end):g}".partition(".")[2])) for end in ends)


def merge_meta(previous: Mapping, meta: Mapping) -> dict:
    """What a survey's meta says once a file is appended: waves of both, dated if either is, the one outcome.

    Refused (:class:`~workbench.data.ingest.IngestError`) when the two name different overall outcomes or rate on
    different scales: their answers would be averaged together.
    """
    earlier, later = previous.get("outcome"), meta.get("outcome")
    first, second = outcome.from_meta(previous), outcome.from_meta(meta)
    if earlier and later and (first.metric, first.scale, first.binary) != (second.metric, second.scale, second.binary):
        raise IngestError(
            _(
                "The file's overall outcome is {new} ({new_measure}), the dataset's {old} ({old_measure}): "
                "append only a file that measures the same outcome."
            ).format(new=second.label, new_measure=second.measure(), old=first.label, old_measure=first.measure())
        )
    scales = [tuple(m["rating_scale"]) for m in (previous, meta) if m.get("rating_scale")]
    if len(set(scales)) > 1:
        raise IngestError(
            _(
                "The file's ratings are on a {new} scale, the dataset's on {old}: append only a file rated on "
                "the same scale."
            ).format(new=_scale(scales[1]), old=_scale(scales[0]))
        )
    listed = [*(previous.get("waves") or []), *(meta.get("waves") or [])]
    merged = {
        **meta,
        "dated": bool(previous.get("dated", True) or meta.get("dated", True)),
        "waves": [dict(w) for w in {json.dumps(w, sort_keys=True): w for w in listed}.values()],
        "rating_scale": list(scales[0]) if scales else None,
    }
    if earlier or later:
        merged["outcome"] = earlier or later  # named as the dataset first named it
    if not merged["waves"]:
        del merged["waves"]
    return merged


def _rating_scale(meta: Mapping) -> tuple[float, float] | None:
    scale = meta.get("rating_scale")
    return tuple(scale) if scale else None


def _read(path: Path) -> pa.Table:
    """A stored dataset version's answers (the workspace's own file: no upload limits)."""
    import pyarrow.parquet as pq

    return pq.read_table(path)


def audit_meta(table: pa.Table) -> dict:
    """What a mystery-shopping dataset holds: visits, checklist items, branches, touchpoints and the visits' dates."""
    import pyarrow.compute as pc

    bounds = pc.min_max(table["ts"]).as_py() if table.num_rows else {"min": None, "max": None}
    return {
        "date_from": _iso(bounds["min"]),
        "date_to": _iso(bounds["max"]),
        "visits": pc.count_distinct(table["visit_id"]).as_py(),
        "items": pc.count_distinct(pc.binary_join_element_wise(table["section"], table["item"], "\x1f")).as_py(),
        "branches": sorted(pc.unique(table["branch"]).to_pylist()),
        "touchpoints": sorted(t for t in pc.unique(table["touchpoint"]).to_pylist() if t is not None),
    }


def kpi_meta(table: pa.Table, names: dict[str, str] | None = None) -> dict:
    """What a KPI dataset holds: period range, KPI names (file column → stored name), segments."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = "period" if "period" in table.column_names else "respondent_id"
    numeric = [
        f.name
        for f in table.schema
        if f.name != key
        and (pa.types.is_floating(f.type) or pa.types.is_integer(f.type) or pa.types.is_boolean(f.type))
    ]
    meta: dict[str, Any] = {
        "kpis": names or {k: k for k in numeric},
        "segments": [c for c in table.column_names if c != key and c not in numeric],
    }
    if key == "period" and table.num_rows:
        bounds = pc.min_max(table["period"]).as_py()
        meta |= {"date_from": _iso(bounds["min"]), "date_to": _iso(bounds["max"])}
    return meta


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
