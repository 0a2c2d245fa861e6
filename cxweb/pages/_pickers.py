"""The pickers every screen starts from: the workspace's projects by name (the first one chosen), and who you are."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from cxweb.pages._context import current_user, workspace
from workbench.core.i18n import gettext as _


def journey_options(project_id, current) -> tuple[list[dict], str | None]:
    """A project's journeys as a select's options, and the one chosen: ``current`` while the project has it, else
    the first (none without a project)."""
    from workbench.features import selection

    if not project_id:
        return [], None
    journeys, first = selection.journey_choices(workspace(), int(project_id))
    ids = [str(choice.value) for choice in journeys]
    options = [{"label": choice.label, "value": str(choice.value)} for choice in journeys]
    return options, current if current in ids else (str(first) if first is not None else None)


def project_options() -> list[dict]:
    """The workspace's projects as a select's options."""
    return [{"label": p.name, "value": p.id} for p in workspace().projects()]


def project_picker(id_: str, **kwargs) -> dbc.Select:
    """A select of the projects with the first chosen (``kwargs``: persistence, style… as dbc.Select takes them)."""
    options = project_options()
    return dbc.Select(id=id_, options=options, value=options[0]["value"] if options else None, **kwargs)


def user_box(id_: str) -> dbc.Input:
    """The name a screen's changes are recorded under, remembered in this browser across pages and visits; on a
    team server the logged-in user's, which cannot be changed here (the callbacks record it whatever is sent)."""
    user = current_user()
    if user is not None:
        return dbc.Input(id=id_, value=user.shown, disabled=True)
    return dbc.Input(
        id=id_, placeholder=_("your name (for the history)"), debounce=True, persistence=True, persistence_type="local"
    )


def sample_picker(id_: str, source: str) -> dbc.InputGroup:
    """A choice of the sample exports of ``source`` ("reviews", "audit") shipped with the workbench, to import
    instead of an uploaded file."""
    from workbench.features.data import sample_choices

    options = [{"label": f"{name} · {said}" if said else name, "value": name} for name, said in sample_choices(source)]
    return dbc.InputGroup(
        [
            dbc.InputGroupText(_("…or a sample file")),
            dbc.Select(id=id_, options=[{"label": _("— none —"), "value": ""}, *options], value=""),
        ],
        size="sm",
        className="mb-2",
    )
