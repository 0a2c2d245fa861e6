"""Files precomputed from a dataset version and kept beside it: written whole or not at all, used only while the
version they were made from is unchanged, and removed with it.

A dataset file ``<name>.parquet`` may have ``<name><suffix>`` beside it for each kind in :data:`KINDS` (the
summary of ``data.summaries``, the respondent table of ``data.respondents``). Each records the size and
modification time of the file it was made from in its Parquet metadata; a reader asks :func:`metadata`, which
answers None unless they still match. A writer writes ``.<name><suffix>.<pid>.<thread>.tmp`` and renames it, so
a half-written file is told by its name and the process that writes it (:func:`writing`, :func:`sweep`).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow

KINDS = (".summary.parquet", ".respondents.parquet")  # every suffix a file kept beside a dataset has
SOURCE_KEY = b"cxwb.source"  # the file it was made from, as "size:mtime_ns", in its Parquet metadata


def path_for(source: str | Path, suffix: str) -> Path:
    """Where the ``suffix`` file of dataset file ``source`` is kept."""
    source = Path(source)
    return source.with_name(source.stem + suffix)


def write(table: pyarrow.Table, source: str | Path, suffix: str, row_group_size: int | None = None) -> Path:
    """Write ``table`` as the ``suffix`` file of ``source``, stamped with the present version of ``source``;
    return its path."""
    import pyarrow.parquet as pq

    target = path_for(source, suffix)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), SOURCE_KEY: signature(source).encode()})
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        pq.write_table(table, temporary, row_group_size=row_group_size)
        os.replace(temporary, target)  # whole or not at all: a reader never sees half a file
    finally:  # a failed write leaves no half file: readers would wait for a writer that has given up
        temporary.unlink(missing_ok=True)
    return target


def signature(source: str | Path) -> str:
    """The version of dataset file ``source``: its size and modification time."""
    stat = os.stat(source)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def metadata(source: str | Path, suffix: str) -> dict[bytes, bytes] | None:
    """The Parquet metadata of the ``suffix`` file of ``source`` if it was made from its present version, else
    None (none there, unreadable, or made from an earlier version)."""
    found = _metadata(path_for(source, suffix))
    if found is None or found.get(SOURCE_KEY, b"").decode() != signature(source):
        return None
    return found


def columns(path: str | Path) -> tuple[str, ...]:
    """The column names of a file kept beside a dataset (read once per version of the file)."""
    return _read_schema(str(path), os.stat(path).st_mtime_ns)[0]


def writing(source: str | Path, suffix: str) -> bool:
    """Whether a running process is writing the ``suffix`` file of ``source`` now (its import has just
    committed)."""
    target = path_for(source, suffix)
    writers = (_writer(temporary) for temporary in target.parent.glob(f".{target.name}.*.tmp"))
    return any(writer is not None and _alive(writer) for writer in writers)


def remove(source: str | Path) -> None:
    """Delete every file kept beside dataset file ``source`` (with the file)."""
    for suffix in KINDS:
        path_for(source, suffix).unlink(missing_ok=True)


def sweep(folder: str | Path) -> None:
    """Remove from a datasets ``folder`` the files kept beside datasets that are gone and the half-written ones of
    processes that died (a live writer's are left alone)."""
    folder = Path(folder)
    for suffix in KINDS:
        for kept in folder.glob("*" + suffix):
            if not kept.with_name(kept.name[: -len(suffix)] + ".parquet").exists():
                kept.unlink(missing_ok=True)
        for temporary in folder.glob(".*" + suffix + ".*.tmp"):
            writer = _writer(temporary)
            if writer is not None and not _alive(writer):
                temporary.unlink(missing_ok=True)


def _writer(temporary: Path) -> int | None:
    """The process id in a half-written file's name (``.<file>.<pid>.<thread>.tmp``, see :func:`write`)."""
    writer = temporary.name.split(".")[-3]
    return int(writer) if writer.isdigit() else None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this computer."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists and belongs to another user (or this system does not tell): leave its files
        return True
    return True


def _metadata(path: Path) -> dict[bytes, bytes] | None:
    """A kept file's Parquet metadata, or None when there is no readable file."""
    try:
        return _read_schema(str(path), os.stat(path).st_mtime_ns)[1]
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=256)
def _read_schema(path: str, _mtime_ns: int) -> tuple[tuple[str, ...], dict[bytes, bytes]]:
    """A kept file's column names and metadata, read once per version of the file."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return tuple(schema.names), dict(schema.metadata or {})
