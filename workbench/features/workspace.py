"""Opening a workspace with its reactions wired: the one way the app, the CLI and scripts get a workspace."""

from __future__ import annotations

import functools
from pathlib import Path

from workbench.core.events import ActionCreated, DatasetCommitted
from workbench.features import alerts
from workbench.repos.workspace import Workspace


def open_workspace(folder: str | Path | None = None, url: str | None = None) -> Workspace:
    """The workspace in ``folder`` (see :class:`Workspace`), whose inbox checks its rules when a survey arrives
    and marks an alert turned into a card."""
    workspace = Workspace(folder, url)
    workspace.events.subscribe(DatasetCommitted, functools.partial(alerts.raise_alerts, workspace))
    workspace.events.subscribe(ActionCreated, functools.partial(alerts.link_card, workspace))
    return workspace
