"""What every page needs from the running app: its workspace, and links between pages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from workbench.features.actions import Draft
    from workbench.repos.workspace import Workspace


def workspace() -> Workspace:
    """The workspace the app was created with."""
    return current_app.extensions["cxwb_workspace"]


def readable_folders() -> tuple[Path, ...]:
    """The folders a typed path may point into (the workspace first)."""
    return current_app.extensions["cxwb_folders"]


def new_action_href(draft: Draft, journey_id: int) -> str:
    """Address of the Actions page opening a new card pre-filled with ``draft`` for the journey."""
    from urllib.parse import urlencode

    return "/actions?" + urlencode({**draft.to_params(), "journey": journey_id})
