"""What every page needs from the running app: its workspace."""

from flask import current_app

from workbench.workspace import Workspace


def workspace() -> Workspace:
    """The workspace the app was created with."""
    return current_app.extensions["cxwb_workspace"]


def workspace_at(folder: str) -> Workspace:
    """The workspace in ``folder``, opened anew: background jobs run in another process, without the app."""
    return Workspace(folder)
