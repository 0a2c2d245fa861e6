"""What every page needs from the running app: its workspace, who is logged in, and links between pages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app, has_request_context, request

from cxweb.logins import USER_KEY

if TYPE_CHECKING:
    from workbench.features.actions import Draft
    from workbench.repos.users import User
    from workbench.repos.workspace import Workspace


def workspace() -> Workspace:
    """The workspace the app was created with."""
    return current_app.extensions["cxwb_workspace"]


def current_user() -> User | None:
    """The user logged in to a team server for this request (``cxweb.logins``); None on a local workbench."""
    return request.environ.get(USER_KEY) if has_request_context() else None


def author(typed: str | None) -> str:
    """The name a change is recorded under: the logged-in user's on a team server, whatever a request says,
    else the name typed in the page's "You are" box."""
    user = current_user()
    return user.shown if user is not None else typed or ""


def readable_folders() -> tuple[Path, ...]:
    """The folders a typed path may point into (the workspace first)."""
    return current_app.extensions["cxwb_folders"]


def new_action_href(draft: Draft, journey_id: int) -> str:
    """Address of the Actions page opening a new card pre-filled with ``draft`` for the journey."""
    from urllib.parse import urlencode

    return "/actions?" + urlencode({**draft.to_params(), "journey": journey_id})
