"""The folders the app may read a typed path from: the workspace (its ``imports/`` folder for big files), the
shipped samples, and those the user allowed with ``--data-dir``.

A path typed into a web page is read by the server, so without a limit any page that could drive the app, or a
careless click, would show the first rows of any file on the machine. Refusals never say whether a file outside
these folders exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from workbench.core.i18n import gettext as _

IMPORTS_FOLDER = "imports"
UPLOADS_FOLDER = "tmp/uploads"  # where the Data page keeps an uploaded file (``Datasets.receive``), by a random name


class FolderError(ValueError):
    """A typed path outside the allowed folders, or no such file inside them."""


def allowed_folders(
    workspace_folder: str | Path,
    extra: Iterable[str | Path] = (),
    samples: str | Path | None = None,
    team: bool = False,
) -> tuple[Path, ...]:
    """The workspace folder (with ``imports/``, created here), each ``--data-dir`` and the samples' folder,
    resolved; the workspace comes first. On a ``team`` server only the workspace's ``imports/`` and its uploads
    (each under a random name): the rest of the workspace holds every project's datasets, the metadata database
    and the key sessions are signed with, which one user's typed path must not reach."""
    workspace_folder = Path(workspace_folder)
    (workspace_folder / IMPORTS_FOLDER).mkdir(parents=True, exist_ok=True)
    first = [workspace_folder / IMPORTS_FOLDER, workspace_folder / UPLOADS_FOLDER] if team else [workspace_folder]
    folders = [*first, *(Path(folder).expanduser() for folder in extra), *([samples] if samples else [])]
    return tuple(dict.fromkeys(Path(os.path.realpath(folder)) for folder in folders))


def imports_folder(folders: Sequence[Path]) -> Path:
    """The workspace's folder for big files among the allowed ``folders`` (see :func:`allowed_folders`)."""
    return folders[0] if folders[0].name == IMPORTS_FOLDER else folders[0] / IMPORTS_FOLDER


def inside(path: str | Path, folders: Sequence[Path]) -> Path | None:
    """``path`` resolved (symbolic links and ``..`` followed), or None when it lies outside every folder."""
    resolved = Path(os.path.realpath(Path(str(path).strip()).expanduser()))
    return resolved if any(resolved.is_relative_to(folder) for folder in folders) else None


def typed_file(text: str, folders: Sequence[Path]) -> Path:
    """The file a user typed, refused alike whether or not it exists when it is outside ``folders``."""
    resolved = inside(text, folders) if text and text.strip() else None
    if resolved is None:
        raise FolderError(
            _(
                "The workbench reads typed paths only inside {folders}. Copy the file into {imports}, "
                "or start the workbench with --data-dir FOLDER."
            ).format(folders=", ".join(map(str, folders)), imports=imports_folder(folders))
        )
    if not resolved.is_file():
        raise FolderError(_("No file at {path}.").format(path=resolved))
    return resolved
