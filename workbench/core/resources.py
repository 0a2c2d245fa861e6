"""Files shipped inside the package: journey templates, sample datasets and the demo codebook."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = "workbench"
FOLDER = "resources"  # workbench/resources/: package data, installed with the wheel


def shipped(*parts: str) -> Path:
    """The shipped file or folder ``workbench/resources/<parts>``, found through the installed package.

    A path on disk: pip installs package data as files, and the importers of the workbench (the sample folder is
    offered for imports by path) need one.
    """
    found = files(PACKAGE) / FOLDER
    for part in parts:
        found = found / part
    return Path(str(found))
