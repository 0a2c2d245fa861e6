"""Opening a workspace with its reactions wired: the one way the app, the CLI and scripts get a workspace."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

from workbench.core.events import ActionCreated, AlertsRaised, DatasetCommitted
from workbench.features import alerts, crm, notify
from workbench.repos.workspace import Workspace


def open_workspace(
    folder: str | Path | None = None, url: str | None = None, environ: Mapping[str, str] | None = None
) -> Workspace:
    """The workspace in ``folder`` (see :class:`Workspace`), whose inbox checks its rules when a survey arrives
    and marks an alert turned into a card, and whose saved customer rules (CRM lists, churn-risk and opportunity
    tasks) run again on each import; with an SMTP server (``CXWB_SMTP_URL`` in ``environ``, the process's
    environment by default) new alerts are e-mailed to their owners."""
    workspace = Workspace(folder, url)
    workspace.events.subscribe(DatasetCommitted, functools.partial(alerts.raise_alerts, workspace))
    workspace.events.subscribe(ActionCreated, functools.partial(alerts.link_card, workspace))
    workspace.events.subscribe(DatasetCommitted, functools.partial(crm.rerun, workspace))
    sender = notify.mailer(os.environ if environ is None else environ)
    if sender is not None:
        workspace.events.subscribe(AlertsRaised, functools.partial(notify.send, workspace, sender))
    return workspace
