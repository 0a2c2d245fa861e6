"""Project backups: one ``.cxwb.zip`` file with a whole project, to hand a workshop over to a colleague.

The file holds ``manifest.json`` (format, version, schema revision, project name, rows per table, size and SHA-256
of each dataset file), ``tables.json`` (every row of the project, each table's ids renumbered 1..n and every
reference rewritten to match) and ``datasets/<id>.parquet`` (the dataset versions, byte for byte). The same
project always gives the same bytes. Reading a backup adds it as a new project with fresh ids and file names in
one transaction; a damaged or foreign file is refused and leaves the workspace as it was.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from workbench.core import access, formatting, limits
from workbench.core.errors import WorkspaceError, clean_name, require_free_name
from workbench.core.i18n import gettext as _
from workbench.core.limits import LimitError
from workbench.data import scratch, store
from workbench.repos.datasets import DATASET_FOLDER

if TYPE_CHECKING:
    from workbench.repos.workspace import Workspace

FORMAT = "cxwb-backup"
VERSION = 1
SUFFIX = ".cxwb.zip"
MANIFEST = "manifest.json"
TABLES = "tables.json"
ROOT = "projects"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed entry times: the same project gives the same bytes
_CHUNK = 1 << 20

Ids = Mapping[str, Mapping[int, int]]


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: the project (its id in the workspace written from or read into), rows per table,
    dataset files (entries of the backup, or workspace paths after reading) and the backup's size in bytes."""

    project: str
    project_id: int
    counts: Mapping[str, int]
    files: tuple[str, ...]
    bytes: int


# ------------------------------------------------------------------ writing


def write_backup(workspace: Workspace, project_id: int, target: str | Path | BinaryIO) -> BackupSummary:
    """Write the project with its dataset files to a backup file (or a stream that can ``tell()``); refused for a
    project the current access cannot read (the tables are read past the store's sessions, so it is checked here)."""
    if not access.current().reads(project_id):
        raise WorkspaceError(_("No project with id {id}.").format(id=project_id))
    if access.current().scoped(project_id):  # a backup holds every row of every dataset file
        raise access.AccessRefused(_("A backup holds the whole project; you may read only part of it."))
    tables = _tables()
    where = _selection(tables, project_id)
    with workspace.engine.connect() as connection:
        found = {
            name: connection.execute(select(table).where(where[name]).order_by(*table.primary_key.columns))
            .mappings()
            .all()
            for name, (table, _link) in tables.items()
        }
    if not found[ROOT]:
        raise WorkspaceError(_("No project with id {id}.").format(id=project_id))
    ids = {
        name: {row[key]: n for n, row in enumerate(found[name], 1)}
        for name, (table, _link) in tables.items()
        if (key := _own_key(table))
    }
    rows = {name: [_exported(table, row, ids) for row in found[name]] for name, (table, _link) in tables.items()}
    sources = {
        row["file"]: workspace.folder / old["file"]
        for row, old in zip(rows["datasets"], found["datasets"], strict=True)
    }
    if missing := [str(path) for path in sources.values() if not path.exists()]:
        raise WorkspaceError(
            _("Dataset files are missing from the workspace: {files}.").format(files=", ".join(missing))
        )
    counts = {name: len(found[name]) for name in tables}
    project = rows[ROOT][0]["name"]
    if not isinstance(target, (str, Path)):
        return BackupSummary(project, project_id, counts, tuple(sources), _write(target, rows, sources, counts))
    part = Path(target).with_name(Path(target).name + ".part")  # a failed write never looks like a backup
    try:
        with part.open("wb") as stream:
            size = _write(stream, rows, sources, counts)
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return BackupSummary(project, project_id, counts, tuple(sources), size)


def _write(
    stream: BinaryIO, rows: dict[str, list[dict]], sources: Mapping[str, Path], counts: Mapping[str, int]
) -> int:
    start = stream.tell()
    files = {}
    tables = _dumps(rows)
    # Refused here rather than when it is restored: a backup the workbench cannot read back is no backup.
    project = _("Project “{name}”").format(name=rows[ROOT][0]["name"])
    limits.check_size(len(tables), limits.BACKUP_TABLES_BYTES, project, "written", file=TABLES)
    limits.check_json_values(limits.json_values(tables), project, written=TABLES)
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr(_entry(TABLES), tables)
        for name, path in sources.items():
            entry = _entry(name)
            entry.file_size = path.stat().st_size  # lets zipfile choose ZIP64 for a file over 2 GiB
            digest = hashlib.sha256()
            with path.open("rb") as source, archive.open(entry, "w") as target:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
            files[name] = {"bytes": entry.file_size, "sha256": digest.hexdigest()}
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "app": "CX Journey Workbench",
            "schema": _revisions()[0],
            "project": rows[ROOT][0]["name"],
            "counts": counts,
            "files": files,
        }
        archive.writestr(_entry(MANIFEST), _dumps(manifest))
    return stream.tell() - start


def _exported(table: Table, row: Mapping, ids: Ids) -> dict:
    """A row as the backup holds it: ids renumbered, references to match, dates as ISO strings."""
    data = _linked(table, row, ids)
    if key := _own_key(table):
        data[key] = ids[table.name][row[key]]
    data |= _with_ids(table.name, data, _lookup(ids))
    if table.name == "datasets":
        data["file"] = f"{DATASET_FOLDER}/{data['id']}.parquet"
    return {
        name: value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value
        for name, value in data.items()
    }


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=_EPOCH)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


def _dumps(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8")


# ------------------------------------------------------------------ reading


def read_backup(workspace: Workspace, source: str | Path | BinaryIO, *, name: str | None = None) -> BackupSummary:
    """Add the project of a backup to the workspace as a new project, under ``name`` if given.

    The dataset files are unpacked into ``tmp/`` first and moved into ``datasets/`` inside the transaction that
    inserts their rows (``Datasets.transaction``), so a failure or a kill leaves no file without its row. A new
    project is an administrator's: on a team server anyone else is refused (the rows are inserted past the store's
    sessions, so it is checked here).
    """
    if access.current() != access.EVERYTHING:
        raise access.AccessRefused(_("Only an administrator adds projects, from a backup too."))
    datasets = workspace.datasets
    token = datasets.new_token()
    temps: dict[str, Path] = {}
    try:
        with scratch.hold(datasets.temp_folder, token):
            with _open(source) as archive:
                manifest, data = _manifest(archive), _load(archive, TABLES, limits.BACKUP_TABLES_BYTES)
                try:
                    rows = _rows(data)
                    if any(len(rows[table]) != count for table, count in manifest["counts"].items()):
                        raise ValueError(_("the row counts differ from the manifest"))
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    raise WorkspaceError(
                        _("The backup's tables are damaged ({problem}); nothing was imported.").format(problem=error)
                    ) from None
                project = clean_name(name if name is not None else rows[ROOT][0]["name"], "project")
                for entry in dict.fromkeys(str(row.get("file")) for row in rows["datasets"]):
                    temps[entry] = datasets.temp_folder / f"{token}.{len(temps)}.parquet"
                    _unpack(archive, entry, manifest["files"], temps[entry])
                size = Path(source).stat().st_size if isinstance(source, (str, Path)) else source.seek(0, io.SEEK_END)
            files = {entry: f"{DATASET_FOLDER}/{uuid.uuid4().hex}.parquet" for entry in temps}
            with datasets.transaction(token) as (session, note):
                note(files.values())
                datasets.folder.mkdir(parents=True, exist_ok=True)
                for entry, temp in temps.items():
                    temp.replace(workspace.folder / files[entry])
                project_id = _insert(session.connection(), rows, files, project)
    except BaseException as error:
        for path in temps.values():
            path.unlink(missing_ok=True)
        if isinstance(error, SQLAlchemyError):
            raise WorkspaceError(
                _("The backup could not be stored ({error}); nothing was imported.").format(
                    error=error.__class__.__name__
                )
            ) from error
        raise
    return BackupSummary(
        project, project_id, {table: len(found) for table, found in rows.items()}, tuple(files.values()), size
    )


def _open(source: str | Path | BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise WorkspaceError(_("This is not a workbench backup (not a zip file).")) from None


def _load(archive: zipfile.ZipFile, entry: str, limit: int) -> Any:
    """A JSON entry, unpacked as a stream up to ``limit`` bytes and ``limits.JSON_VALUES`` values (counted as it
    comes), nested at most ``limits.NESTING`` levels."""
    where = _where(archive, entry)
    try:
        data, values = bytearray(), 0
        for chunk in limits.zip_chunks(archive, archive.getinfo(entry), limit, where):
            values += limits.json_values(chunk)
            limits.check_json_values(values, where)
            data += chunk
        return limits.load_json(data, where, limit)
    except KeyError:
        raise WorkspaceError(_("This is not a workbench backup (it has no {entry}).").format(entry=entry)) from None
    except LimitError:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError) as error:
        raise _unreadable(entry, error) from None


def _where(archive: zipfile.ZipFile, entry: str) -> str:
    """An entry named for a message: with the backup's file name when it has one (an upload has none)."""
    return f"{Path(archive.filename).name}, {entry}" if archive.filename else entry


def _unreadable(entry: str, error: Exception) -> WorkspaceError:
    return WorkspaceError(
        _("The backup is damaged: {entry} cannot be read ({problem}).").format(entry=entry, problem=error)
    )


def _changed(entry: str) -> WorkspaceError:
    return WorkspaceError(_("The backup is damaged: {entry} is not the file it was written with.").format(entry=entry))


def _manifest(archive: zipfile.ZipFile) -> dict:
    manifest = _load(archive, MANIFEST, limits.DOCUMENT_BYTES)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise WorkspaceError(_("This is not a workbench backup (its manifest names another format)."))
    if manifest.get("version") != VERSION:
        raise WorkspaceError(
            _(
                "The backup has format version {version}; this workbench reads version {ours}. Update the "
                "workbench to open it."
            ).format(version=repr(manifest.get("version")), ours=VERSION)
        )
    if manifest.get("schema") not in _revisions():
        raise WorkspaceError(
            _("The backup comes from a newer workbench (schema {schema}); update the workbench to open it.").format(
                schema=repr(manifest.get("schema"))
            )
        )
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("counts"), dict):
        raise WorkspaceError(_("The backup is damaged: its manifest lists no files or row counts."))
    return manifest


def _rows(data: Any) -> dict[str, list[dict]]:
    """The backup's rows by table, parents first, checked against the schema and each other; dates parsed."""
    tables = _tables()
    if unknown := set(data) - set(tables):
        raise ValueError(_("unknown tables {tables}").format(tables=sorted(unknown)))
    rows: dict[str, list[dict]] = {}
    known: dict[str, set] = {}
    for name, (table, _link) in tables.items():
        rows[name] = [
            {column: _parsed(table.c[column], value) for column, value in row.items()} for row in data.get(name, [])
        ]
        for row in rows[name]:
            for column in table.columns:
                for fk in column.foreign_keys:
                    if row.get(column.name) is not None and row[column.name] not in known[fk.column.table.name]:
                        raise ValueError(
                            _("{column} = {value} refers to no row").format(
                                column=f"{name}.{column.name}", value=row[column.name]
                            )
                        )
        if key := _own_key(table):
            known[name] = {row[key] for row in rows[name]}
            if len(known[name]) != len(rows[name]) or not all(isinstance(i, int) for i in known[name]):
                raise ValueError(_("the ids of {table} are not distinct numbers").format(table=name))
    if len(rows[ROOT]) != 1:
        raise ValueError(_("a backup holds exactly one project"))
    return rows


def _parsed(column: Column, value: Any) -> Any:
    """A value of the backup as the column's Python type (a date from its ISO string)."""
    if value is None or isinstance(column.type, JSON):
        return value
    kind = column.type.python_type
    if kind in (datetime.date, datetime.datetime):
        return kind.fromisoformat(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind):
        raise TypeError(
            _("{column} holds {value}").format(column=f"{column.table.name}.{column.name}", value=repr(value))
        )
    return value


def _unpack(archive: zipfile.ZipFile, entry: str, files: Mapping[str, Mapping], temp: Path) -> None:
    """Copy a dataset file of the backup to ``temp``, checked against the manifest."""
    if not isinstance(files.get(entry), Mapping):
        raise WorkspaceError(_("The backup is damaged: the manifest does not list {entry}.").format(entry=entry))
    expected = files[entry].get("bytes")
    try:
        info = archive.getinfo(entry)
    except KeyError:
        raise WorkspaceError(_("The backup is damaged: {entry} is missing.").format(entry=entry)) from None
    if not isinstance(expected, int) or info.file_size != expected:
        raise _changed(entry)
    # Parquet packs about 2:1 in a zip, zeros 1000:1: a bomb is refused before a byte of it is written.
    allowed = max(limits.ZIP_RATIO * info.compress_size, limits.ZIP_SMALL_BYTES)
    if expected > allowed:
        raise LimitError(
            _where(archive, entry),
            _("it unpacks to {size} from {packed}; the limit is {ratio} times its packed size.").format(
                size=formatting.size(expected),
                packed=formatting.size(info.compress_size),
                ratio=formatting.count(limits.ZIP_RATIO),
            ),
        )
    digest = hashlib.sha256()
    try:
        with temp.open("wb") as target:
            for chunk in limits.zip_chunks(archive, info, expected, _where(archive, entry), _CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except LimitError:  # longer than the zip's directory and the manifest say: stopped at their size
        raise _changed(entry) from None
    except (zipfile.BadZipFile, zlib.error) as error:
        raise _unreadable(entry, error) from None
    if digest.hexdigest() != files[entry].get("sha256"):
        raise _changed(entry)


def _insert(connection: Connection, rows: dict[str, list[dict]], files: Mapping[str, str], name: str) -> int:
    """Insert the rows as project ``name`` with fresh ids, every reference translated; return the project's id."""
    tables = _tables()
    projects = tables[ROOT][0]
    require_free_name(
        connection.execute(select(projects.c.id, projects.c.name)),
        name,
        None,
        _("A project named “{name}” already exists; import the backup under another name.").format(name=name),
    )
    ids: dict[str, dict[int, int]] = {}
    for table_name, (table, _link) in tables.items():
        key = _own_key(table)
        values = [
            {column: value for column, value in _linked(table, row, ids).items() if column != key}
            for row in rows[table_name]
        ]
        for value in values:
            if table_name == ROOT:
                value["name"] = name
            elif table_name == "datasets":
                value["file"] = files[value["file"]]
        if not values:
            ids[table_name] = {}
        elif key is None:
            connection.execute(insert(table), values)
        else:
            new = connection.execute(insert(table).returning(table.c[key], sort_by_parameter_order=True), values)
            ids[table_name] = dict(zip((row[key] for row in rows[table_name]), new.scalars(), strict=True))
    # JSON columns can point at rows inserted after their own (an action's alert), so they follow at the end.
    lookup = _lookup(ids)
    for table_name, (table, _link) in tables.items():
        for row in rows[table_name]:
            if changed := {c: v for c, v in _with_ids(table_name, row, lookup).items() if v != row.get(c)}:
                key = _own_key(table)
                if key is None:  # JSON links live only in tables with their own id (actions, alerts)
                    raise RuntimeError(f"{table_name} holds links but no id of its own")
                connection.execute(update(table).where(table.c[key] == ids[table_name][row[key]]).values(changed))
    return ids[ROOT][rows[ROOT][0]["id"]]


# ------------------------------------------------------------------ tables and ids


def _tables() -> dict[str, tuple[Table, ForeignKey | None]]:
    """Every table of a project, parents first, with the foreign key that ties its rows to the project. A table whose
    rows also belong to something outside projects (a team server's roles belong to users) is not a project's: a
    backup restored elsewhere must not give its roles to whoever has those user ids there."""
    found: dict[str, tuple[Table, ForeignKey | None]] = {}
    depth: dict[str, int] = {}
    for table in store.Base.metadata.sorted_tables:
        if table.name == ROOT:
            found[ROOT], depth[ROOT] = (table, None), 0
            continue
        links = [fk for fk in table.foreign_keys if not fk.parent.nullable and fk.column.table.name in found]
        outside = [fk for fk in table.foreign_keys if not fk.parent.nullable and fk.column.table.name not in found]
        if links and not outside:
            link = min(links, key=lambda fk: (depth[fk.column.table.name], fk.parent.name))
            found[table.name], depth[table.name] = (table, link), depth[link.column.table.name] + 1
    return found


def _selection(tables: Mapping[str, tuple[Table, ForeignKey | None]], project_id: int) -> dict[str, ColumnElement]:
    """Per table, the condition selecting the project's rows (following the tying keys up to the project)."""
    where: dict[str, ColumnElement] = {}
    for name, (table, link) in tables.items():
        where[name] = (
            table.c.id == project_id
            if link is None
            else link.parent.in_(select(link.column).where(where[link.column.table.name]))
        )
    return where


def _own_key(table: Table) -> str | None:
    """The table's own id column, renumbered in a backup (None when its key is another table's id)."""
    key = list(table.primary_key.columns)
    return key[0].name if len(key) == 1 and not key[0].foreign_keys else None


def _linked(table: Table, row: Mapping, ids: Ids) -> dict:
    """The row with each foreign key translated; a nullable one to a row outside the project becomes None."""
    data = dict(row)
    for column in table.columns:
        for fk in column.foreign_keys:
            if data.get(column.name) is not None:
                found = ids[fk.column.table.name].get(data[column.name])
                if found is None and not column.nullable:
                    raise WorkspaceError(
                        _("{column} = {value} points outside the project.").format(
                            column=f"{table.name}.{column.name}", value=data[column.name]
                        )
                    )
                data[column.name] = found
    return data


def _lookup(ids: Ids) -> Callable[[str, Any], int | None]:
    """Translate an id kept in JSON (a number or its digits) by ``ids``; None if it is not the project's."""

    def new(table: str, value: Any) -> int | None:
        try:
            return ids[table].get(int(value))
        except (TypeError, ValueError):
            return None

    return new


def _with_ids(table: str, row: Mapping, new: Callable[[str, Any], int | None]) -> dict:
    """The row's JSON columns that keep ids of other rows, those ids translated by ``new``."""
    if table == "roi_scenarios":
        return {"body": _swap(_swap(row.get("body"), "journey_id", "journeys", new), "action_id", "actions", new)}
    if table == "actions":
        return {
            "origin": _origin(row.get("origin"), new),
            "verification": _swap(row.get("verification"), "dataset", "datasets", new),
        }
    if table == "action_events" and isinstance(row.get("changes"), dict) and "origin" in row["changes"]:
        return {"changes": {**row["changes"], "origin": [_origin(o, new) for o in row["changes"]["origin"]]}}
    return {}


def _origin(origin: Any, new: Callable[[str, Any], int | None]) -> Any:
    """An action's origin; one from an alert keeps the alert's id as ``ref``, one from a customer rule
    "<rule id>:<customer id>"."""
    if isinstance(origin, dict) and origin.get("kind") in ("churn_risk", "opportunity"):
        rule, _colon, customer = str(origin.get("ref", "")).partition(":")
        found = new("customer_rules", rule)
        return {**origin, "ref": f"{found}:{customer}"} if found is not None else origin
    return _swap(origin, "ref", "alerts", new) if isinstance(origin, dict) and origin.get("kind") == "alert" else origin


def _swap(data: Any, field: str, table: str, new: Callable[[str, Any], int | None]) -> Any:
    """``data`` with the id in ``field`` translated (kept as text if it was text)."""
    if not isinstance(data, dict) or data.get(field) is None:
        return data
    found = new(table, data[field])
    return {**data, field: str(found) if found is not None and isinstance(data[field], str) else found}


def _revisions() -> list[str]:
    """The schema revisions this workbench knows, newest first."""
    from alembic.script import ScriptDirectory

    return [
        script.revision for script in ScriptDirectory(str(Path(store.__file__).parent / "migrations")).walk_revisions()
    ]
