"""What every page needs from the running app: its workspace."""

from flask import current_app

from workbench.workspace import Workspace


def workspace() -> Workspace:
    """The workspace the app was created with."""
    return current_app.extensions["cxwb_workspace"]

