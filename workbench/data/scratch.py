"""Work files of a running process in a temporary folder, named by a token and held with an OS lock.

A process that writes files named ``<token>.*`` or ``.<token>-*`` holds ``<token>.lock`` (``fcntl.flock``) while it
works on them; the kernel releases the lock when the process dies, however it dies. So the next sweep can tell a
dead writer's leftovers (remove them) from a live writer's work or a file waiting for someone's decision (keep
them). Where ``fcntl`` is missing (Windows) nothing is held and only age clears leftovers.

Creating the lock file and locking it are two steps, so a holder writes its process id into the file once it holds
it, before touching any file of the token. A sweep that finds an unlocked lock file still empty has come between a
holder's two steps (or the holder died there, before it did anything): it removes the lock file only, never the
token's files, and the holder, finding its file removed once it locks it, makes another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_held: dict[Path, list[int]] = {}  # lock file → [descriptor, depth]: a process holds each token once
_guard = threading.Lock()


@contextmanager
def hold(folder: Path, token: str) -> Iterator[None]:
    """Hold ``token``'s lock (``folder`` is created) while the block works on its files; re-entrant in a process."""
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # nothing could tell a dead holder from a live one
        yield
        return
    path = folder / f"{token}.lock"
    with _guard:
        if path in _held:
            _held[path][1] += 1
        else:
            _held[path] = [_acquire(path), 1]
    try:
        yield
    finally:
        with _guard:
            _held[path][1] -= 1
            if not _held[path][1]:
                descriptor = _held.pop(path)[0]
                path.unlink(missing_ok=True)  # while still locked: a sweep that opened it finds it unlinked
                os.close(descriptor)


def _acquire(path: Path) -> int:
    """A descriptor of ``path`` holding its exclusive lock (waiting for another holder of the same token), marked
    with this process's id."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if os.fstat(descriptor).st_nlink:
            try:
                os.ftruncate(descriptor, 0)  # a dead holder's id may be there
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
            except BaseException:
                path.unlink(missing_ok=True)
                os.close(descriptor)
                raise
            return descriptor
        os.close(descriptor)  # a sweep or the previous holder removed the file while we waited: lock a new one


def abandoned(folder: Path) -> Iterator[str]:
    """Each token whose holder died, locked while the caller cleans up after it; then its files are removed."""
    if fcntl is None or not folder.exists():
        return
    for path in folder.glob("*.lock"):
        try:
            descriptor = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # released meanwhile
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its holder is alive
            found = os.fstat(descriptor)
            if not found.st_nlink:
                continue  # released normally between our open and our lock
            if not found.st_size:  # its holder created it and has not locked it yet, or died before it did anything
                path.unlink(missing_ok=True)  # a live holder finds it removed when it locks it, and makes another
                continue
            yield path.stem
            for leftover in [*folder.glob(f"{path.stem}.*"), *folder.glob(f".{path.stem}-*")]:
                if leftover != path:
                    leftover.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        finally:
            os.close(descriptor)
